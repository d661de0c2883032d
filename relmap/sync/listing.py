"""How much of Silvasoft a run lists to identify its unlinked relations, and where the next listing starts.

Requests are the scarce resource (15 per hour on the free plan), and a listing costs one per 200 relations. Yet only
relations no link owns can match an unlinked OutSmart relation: relmap's own creates are linked the moment they are
made. So:

* The **listing mark** (state meta ``silvasoft_listing_offset``) is the offset before which every Silvasoft relation
  was owned by a link when it was last listed. Silvasoft lists oldest first, so new relations only add pages at the
  end, and a listing that starts at the mark still sees every relation that could match: one listing over a whole
  first sync, plus the pages added since, instead of a listing from offset 0 in every hour it takes.
* A listing **for unlinked relations** goes page by page and stops as soon as it stops paying for itself: each
  page costs a request, and each unowned listed relation an unlinked relation matches saves one (the create's
  answer it would otherwise take). Where it stopped, a relation with a CustomerNumber or e-mail is identified by
  its create with ABORT (the answer is the existing relation, if any); see Directory.by_answer.
* A **whole listing** from offset 0 is still made when the run must compare linked relations with Silvasoft's copy
  (a full read, an unconfirmed update, kept parameters), settle an interrupted create, or place a relation with
  neither CustomerNumber nor e-mail (its create could not tell an existing relation).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from relmap.state import State
from relmap.sync.identity import Directory, guid_of, keyed, payload_email, payload_name, payload_number
from relmap.targets.silvasoft import PAGE_LIMIT, SilvasoftClient

MARK = "silvasoft_listing_offset"


@dataclass(frozen=True)
class Listed:
    """What one run's listing did: its requests, the offset it started at, and whether it reached the end."""

    pages: int
    start: int
    complete: bool


def mark(state: State) -> int:
    """Where the next listing for unlinked relations starts (0 when never set, or set to nonsense)."""
    text = state.get_meta(MARK)
    try:
        value = int(text) if text else 0
    except ValueError:
        return 0
    return value if value >= 0 and value % PAGE_LIMIT == 0 else 0


def owned_prefix(relations: Iterable[dict[str, Any]], owners: dict[int, str], start: int) -> int:
    """The offset after the last whole page, from ``start``, of which every relation has an owner."""
    offset, count, owned = start, 0, True
    for relation in relations:
        guid = guid_of(relation)
        owned = owned and guid is not None and guid in owners
        count += 1
        if count == PAGE_LIMIT:
            if not owned:
                break
            offset, count = offset + PAGE_LIMIT, 0
    return offset


def list_whole(client: SilvasoftClient, state: State, directory: Directory, write: bool = True) -> Listed:
    """Every relation from offset 0 (the client pages through them); moves the mark over the owned pages."""
    relations = list(client.list_all())
    directory.add_listing(relations)
    if write:
        state.set_meta(MARK, str(owned_prefix(relations, directory.owners, 0)))
    return Listed(pages=len(relations) // PAGE_LIMIT + 1, start=0, complete=True)


def list_for(
    client: SilvasoftClient,
    state: State,
    directory: Directory,
    payloads: list[dict[str, Any]],
    use_email: bool,
    write: bool = True,
) -> Listed:
    """List from the mark, page by page, while the pages pay for themselves (see the module's text).

    A listing that reaches the end knows every relation that could match (Directory.unowned_known); one that stops
    early leaves the unmatched relations to be identified by their creates' answers (Directory.by_answer)."""
    numbers = {n for n in map(payload_number, payloads) if n is not None}
    emails = {e for e in map(payload_email, payloads) if e} if use_email else set()
    # each relation with neither key costs a lookup by name where the listing stops: reaching the end saves those
    keyless = sum(1 for p in payloads if not keyed(p, use_email))
    start = offset = mark(state)
    spent = saved = 0
    owned, complete = start, False
    while True:
        page = client.find(Offset=str(offset))
        spent += 1
        directory.add_listing(page, complete=False)
        unowned = [r for r in page if guid_of(r) is not None and guid_of(r) not in directory.owners]
        saved += sum(1 for r in unowned if payload_number(r) in numbers or (payload_email(r) or "") in emails)
        if owned == offset and not unowned and len(page) == PAGE_LIMIT:
            owned = offset + PAGE_LIMIT  # a whole page of linked relations: the next listing starts after it
        if len(page) < PAGE_LIMIT:  # the last page (an answer holding a stray item may end it early: see report)
            complete = True
            break
        if saved + keyless < spent:  # the next page would most likely cost more than it saves
            break
        offset += PAGE_LIMIT
    if write and owned != start:
        state.set_meta(MARK, str(owned))
    directory.unowned_known = complete
    directory.listed = complete and start == 0  # a whole listing after all: linked relations are compared too
    directory.by_answer = not complete
    return Listed(pages=spent, start=start, complete=complete)


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
