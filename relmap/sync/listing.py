"""How much of Silvasoft a run lists to identify its unlinked relations, and where the next listing starts.

Requests are the scarce resource (15 per hour on the free plan), and a listing costs one per 200 relations. Yet only
relations no link owns can match an unlinked OutSmart relation: relmap's own creates are linked the moment they are
made. So:

* The **listing mark** (state meta ``silvasoft_listing_offset``) is the offset before which every Silvasoft relation
  was owned by a link when it was last listed, with the GUID just before it (``silvasoft_listing_anchor``).
  Silvasoft lists oldest first, so new relations only add pages at the end, and a listing that starts at the mark
  still sees every relation that could match: one listing over a whole first sync, plus the pages added since,
  instead of a listing from offset 0 in every hour it takes. A relation deleted before the mark moves the offsets:
  the anchor is then not where it was, and the listing starts from offset 0 again.
* A listing **for unlinked relations** goes page by page and stops as soon as it stops paying for itself: each
  page costs a request, and each unowned listed relation an unlinked relation matches saves one (the create's
  answer it would otherwise take), as does each relation with neither CustomerNumber nor e-mail while the listing
  could still reach the end (else it is looked up by name). Where it stopped, a relation with a CustomerNumber or
  e-mail is identified by its create with ABORT (the answer is the existing relation, if any): Directory.by_answer.
* A **whole listing** from offset 0 is still made when the run must compare linked relations with Silvasoft's copy
  (a full read, an unconfirmed update, kept parameters) or settle an interrupted create. One the hour's budget
  ends is kept, page by page, and the next run goes on from where it stopped (listing_kept.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from relmap.errors import BudgetSpent
from relmap.state.store import State
from relmap.sync.identity import Directory, guid_of, keyed, payload_email, payload_name, payload_number
from relmap.sync.listing_kept import KeptListing
from relmap.targets.silvasoft import PAGE_LIMIT, SilvasoftClient

MARK = "silvasoft_listing_offset"
ANCHOR = "silvasoft_listing_anchor"  # the GUID listed just before the mark: if it is still there, nothing before moved


@dataclass(frozen=True)
class Listed:
    """What one run's listing did: its requests, the offset it started at, and whether it reached the end."""

    pages: int
    start: int
    complete: bool


@dataclass
class Owned:
    """The run of relations from offset 0 (or the mark) that links own, as a listing goes through them."""

    to: int  # the offset after the last relation of the run
    anchor: int | None  # that relation's GUID
    going: bool = True

    def see(self, relations: list[dict[str, Any]], at: int, owners: Mapping[int, str]) -> None:
        for position, relation in enumerate(relations, at):
            guid = guid_of(relation)
            if not self.going or guid is None or guid not in owners:
                self.going = False
                return
            self.to, self.anchor = position + 1, guid

    def save(self, state: State) -> None:
        state.set_meta(MARK, str(self.to))
        state.set_meta(ANCHOR, str(self.anchor) if self.anchor is not None else None)


def mark(state: State) -> tuple[int, int | None]:
    """Where the next listing for unlinked relations starts, and the GUID just before it (0, None: the start)."""
    try:
        offset, anchor = int(state.get_meta(MARK) or 0), int(state.get_meta(ANCHOR) or 0)
    except ValueError:
        return 0, None
    return (offset, anchor) if offset > 0 and anchor > 0 else (0, None)


def list_whole(client: SilvasoftClient, state: State, directory: Directory, write: bool = True) -> Listed:
    """Every relation from offset 0, going on from where an earlier run's whole listing stopped (listing_kept.py);
    moves the mark over the owned relations. When the hour's budget ends it, the pages listed so far are kept and
    the BudgetSpent says how far it came."""
    kept = KeptListing(state, write)
    relations = kept.relations()
    start = len(relations)
    base, skip = (start - 1, 1) if start else (0, 0)  # a resumed listing reads its last kept relation again
    spent = 0
    while True:
        try:
            page, items = client.list_page(base)
        except BudgetSpent as stop:
            raise BudgetSpent(f"{stop}; {_so_far(len(relations), start)}", stop.resume_at) from None
        spent += 1
        if skip and (not page or guid_of(page[0]) != guid_of(relations[-1])):
            relations, start, base, skip = [], 0, 0, 0  # relations before it were deleted: the offsets moved
            continue
        kept.add(len(relations), page[skip:])
        relations += page[skip:]
        if items < PAGE_LIMIT:
            break
        base, skip = base + PAGE_LIMIT, 0
    kept.drop()
    directory.add_listing(relations)
    if write:
        owned = Owned(0, None)
        owned.see(relations, 0, directory.owners)
        owned.save(state)
    return Listed(pages=spent, start=start, complete=True)


def _so_far(listed: int, start: int) -> str:
    earlier = f" ({start:,} of them by earlier runs)" if start else ""
    return f"the whole listing of Silvasoft has {listed:,} relations so far{earlier}; the next run goes on from there"


def list_for(
    client: SilvasoftClient,
    state: State,
    directory: Directory,
    payloads: list[dict[str, Any]],
    use_email: bool,
    write: bool = True,
) -> Listed:
    """List from the mark, page by page, while the pages pay for themselves (see the module's text).

    The first page starts one relation before the mark: that must be the anchor, or a relation before it was
    deleted in Silvasoft (the offsets moved), and the listing starts again from offset 0. A listing that reaches
    the end knows every relation that could match (Directory.unowned_known); one that stops early leaves the
    unmatched relations to be identified by their creates' answers (Directory.by_answer)."""
    numbers = {n for n in map(payload_number, payloads) if n is not None}
    emails = {e for e in map(payload_email, payloads) if e} if use_email else set()
    # each relation with neither key costs a lookup by name where the listing stops: reaching the end saves those
    keyless = sum(1 for p in payloads if not keyed(p, use_email))
    start, anchor = mark(state)
    was = start
    base = max(start - 1, 0)
    owned = Owned(start, anchor)
    spent = saved = 0
    directory.seen_at, directory.seen = start, []
    while True:
        try:
            page = client.find(Offset=str(base))
        except BudgetSpent:
            # The hour ended the listing: what it read identifies what it can; the rest waits (or answers a create)
            directory.unowned_known, directory.listed, directory.by_answer = False, False, True
            raise
        spent += 1
        directory.add_listing(page, complete=False)
        skip = 0
        if start > 0 and base == start - 1:
            if not page or guid_of(page[0]) != anchor:  # moved: what was before the mark may be after it now
                start = base = 0
                owned = Owned(0, None)
                directory.seen_at, directory.seen = 0, []
                continue
            skip = 1
        fresh = page[skip:]
        directory.seen += fresh
        owned.see(fresh, base + skip, directory.owners)
        unowned = [r for r in fresh if guid_of(r) is not None and guid_of(r) not in directory.owners]
        saved += sum(1 for r in unowned if payload_number(r) in numbers or (payload_email(r) or "") in emails)
        # find() leaves out an item that is not a relation: such a page ends the listing early (it is rare, and a
        # relation with a key missed here is still identified by its create's ABORT answer)
        complete = len(page) < PAGE_LIMIT
        if complete or saved + keyless < spent:  # the next page would most likely cost more than it saves
            break
        base += PAGE_LIMIT
    if write and owned.to != was:
        owned.save(state)
    directory.unowned_known = complete
    directory.listed = complete and start == 0  # a whole listing after all: linked relations are compared too
    directory.by_answer = not complete
    return Listed(pages=spent, start=start, complete=complete)


def advance_mark(state: State, directory: Directory) -> None:
    """After a run has linked what its listing from the mark found: move the mark over the relations now owned, so
    that a listing the hour ended goes on after them next run instead of reading them again."""
    if not directory.seen or state.read_only:
        return
    owners = state.link_table().owners()
    owned = Owned(directory.seen_at, None)
    owned.see(directory.seen, directory.seen_at, owners)
    if owned.anchor is not None and owned.to > mark(state)[0]:
        owned.save(state)


def look_up_names(
    client: SilvasoftClient, directory: Directory, payloads: list[dict[str, Any]], use_email: bool
) -> int:
    """Where the listing stopped early: each relation with neither CustomerNumber nor e-mail is looked up by name
    (one listrelations/ call each), so that its create cannot duplicate a relation Silvasoft holds under that name
    and postal code (Directory.find_named); returns the calls."""
    calls = 0
    for payload in payloads:
        name = payload_name(payload)
        if keyed(payload, use_email) or not name or directory.find_named(payload) is not None:
            continue
        found = client.find(RelationName=_listed_name(payload))
        calls += 1
        directory.add_listing([r for r in found if payload_name(r) == name], complete=False)
    directory.named = True
    return calls


def _listed_name(payload: dict[str, Any]) -> str:
    contacts = payload.get("Relation_Contact")
    first = contacts[0] if isinstance(contacts, list) and contacts and isinstance(contacts[0], dict) else {}
    return str(payload.get("Name") or f"{first.get('FirstName', '')} {first.get('LastName', '')}".strip())


def look_up(client: SilvasoftClient, directory: Directory, payloads: list[dict[str, Any]], use_email: bool) -> int:
    """The dry run's way for what its listing did not reach: it may not create, so each relation the listing did not
    match is looked up by CustomerNumber or e-mail (one listrelations/ call, SearchOperand OR); returns the calls."""
    calls = 0
    for payload in payloads:
        if directory.find(payload, use_email=use_email) is not None:
            continue
        number, email = payload_number(payload), payload_email(payload) if use_email else None
        filters = {"RelationNumber": str(number)} if number is not None else {}
        filters.update({"RelationEmail": email} if email else {})
        if not filters:
            continue  # not keyed: the caller lists Silvasoft whole for such a relation
        found = client.find(**filters, **({"SearchOperand": "OR"} if len(filters) == 2 else {}))
        calls += 1
        directory.add_listing(
            [r for r in found if payload_number(r) == number or (email and payload_email(r) == email)],
            complete=False,
        )
    directory.unowned_known, directory.by_answer = True, False
    return calls


def identify_for_plan(
    client: SilvasoftClient,
    state: State,
    directory: Directory,
    need: str,
    payloads: list[dict[str, Any]],
    use_email: bool,
) -> tuple[str, int, str | None]:
    """The dry run's identification: the listing the run would make (the mark left where it is), then, for what the
    run would leave to its creates' answers (a dry run may not create), one lookup per relation: cheaper than the
    rest of a whole listing wherever the listing stopped. Returns how it went, the lookups, and a note for the plan."""
    if need == "whole":
        listed = list_whole(client, state, directory, write=False)
        return f"Silvasoft listed whole ({listed.pages} listing request{'s' * (listed.pages != 1)})", 0, None
    listed = list_for(client, state, directory, payloads, use_email, write=False)
    how = f"{listed.pages} listing request{'s' * (listed.pages != 1)} from offset {listed.start}"
    if listed.complete:
        return f"unlinked relations identified by a listing: {how}", 0, None
    calls = look_up(client, directory, payloads, use_email) + look_up_names(client, directory, payloads, use_email)
    note = (
        f"the listing stopped where it no longer paid ({how}); {calls} unlinked relations were looked up one by "
        f"one (listrelations/ by CustomerNumber or e-mail, else by name): the run identifies them by their "
        f"creates' ABORT answers instead, so it spends {calls} Silvasoft requests fewer than this plan read"
    )
    return f"{how}, then {calls} targeted lookups (the run: its creates' ABORT answers)", calls, note
