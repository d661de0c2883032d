"""Plan: each rendered relation against the link table and Silvasoft's listing → the one change it needs.

Planning sends nothing; applying (apply.py) carries the changes out. A dry run stops after planning, so what it
shows is exactly what a run would send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from relmap.catalog.silvasoft import UPDATABLE
from relmap.mapping.render import Rendered
from relmap.state.store import Link, payload_hash
from relmap.sync.drift import Diffs, FieldDiff, compare, created
from relmap.sync.identity import Directory, keyed, payload_email, payload_number

Action = Literal["create", "update", "link", "unchanged", "skip", "error"]


@dataclass(frozen=True, slots=True)
class Change:
    """What one relation needs. ``send`` is the create payload or the update parameters, as they will be sent."""

    action: Action
    result: Rendered
    name: str = ""
    guid: int | None = None
    matched_by: str | None = None  # linked | number | email | new
    send: dict[str, Any] | None = None
    message: str | None = None
    modified_at: str | None = None
    fields: Sequence[FieldDiff] = ()  # a Diffs for a planned relation: worked out again when read (drift.Diffs)
    involves: str | None = None  # a conflict's other relation: the conflict is checked again when either changes

    @property
    def drift(self) -> bool:
        return any(f.drift for f in self.fields)

    @property
    def debtor_number(self) -> str | None:
        return self.result.debtor_number

    @property
    def writes(self) -> bool:
        return self.action in ("create", "update")


def update_params(payload: dict[str, Any]) -> dict[str, Any]:
    """What updaterelation/ can change of a rendered payload: its parameters, and the main contact only."""
    params = {key: value for key, value in payload.items() if key in UPDATABLE and key != "Relation_Contact"}
    contacts = payload.get("Relation_Contact")
    if isinstance(contacts, list) and contacts:
        params["Relation_Contact"] = [contacts[0]]
    return params


class Planner:
    """Decides the change of each relation of one run; remembers what earlier relations of the run claimed."""

    def __init__(
        self,
        links: Mapping[str, Link],
        failure: Callable[[str], tuple[str, str] | None],
        directory: Directory,
        match_email: bool,
        keep: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self.links = links  # as they were when planning began (a state's snapshot), whatever the run writes
        self.failure = failure
        self.directory = directory
        self.match_email = match_email
        self.keep = keep or {}  # route name → parameters whose drifted Silvasoft value is kept
        self.seen: set[str] = set()
        self.numbers: dict[int, str] = {}  # CustomerNumber → debtor_number, for this run's creates
        self.emails: dict[str, str] = {}
        self._held: dict[tuple[str, Any], Link] | None = None

    @property
    def linked(self) -> dict[tuple[str, Any], Link]:
        """What linked relations were last synced with: where Silvasoft was not listed whole, the relation another
        OutSmart relation owns may be outside what was listed, and its number or e-mail still makes a conflict.
        Read from every link the first time an unlinked relation needs it (a run that creates nothing never does)."""
        if self._held is None:
            self._held = {}
            for link in self.links.values():
                number, email = payload_number(link.payload or {}), payload_email(link.payload or {})
                self._held.update({("number", number): link} if number is not None else {})
                self._held.update({("email", email): link} if email and self.match_email else {})
        return self._held

    def plan(self, results: Iterable[tuple[Rendered, str, str | None]]) -> list[Change]:
        return [self.change(result, name, modified_at) for result, name, modified_at in results]

    def change(self, result: Rendered, name: str = "", modified_at: str | None = None) -> Change:
        debtor = result.debtor_number or ""

        def make(action: Action, **extra: Any) -> Change:
            return Change(action, result, name, modified_at=modified_at, **extra)

        if result.status == "error":
            return make("error", message="; ".join(e.text() for e in result.errors))
        if debtor in self.seen:
            return make("error", message=f"debtor_number {debtor!r} occurs twice in OutSmart's answer; used the first")
        self.seen.add(debtor)
        if result.status == "skipped" or result.payload is None:
            return make("skip", message=result.reason)
        payload = result.payload
        refused = self.failure(debtor)
        if refused and refused[0] == payload_hash(payload):
            return make("error", message=f"{refused[1]} (refused before; not sent again until the relation changes)")
        link = self.links.get(debtor)
        if link is not None:
            return self._linked(make, link, payload, result.route)
        return self._unlinked(make, debtor, payload, result.route)

    def _linked(self, make: Callable[..., Change], link: Link, payload: dict[str, Any], route: str | None) -> Change:
        relation = theirs = None
        if self.directory.listed:
            relation = self.directory.by_guid.get(link.guid)
            if relation is None:
                return make(
                    "error",
                    guid=link.guid,
                    matched_by="linked",
                    message=f"linked Silvasoft relation {link.guid} is missing from Silvasoft's listing (deleted "
                    "there?); relmap does not create it again by itself",
                )
            theirs = update_params(relation)
        synced = update_params(link.payload) if link.payload is not None else None
        keep = self.keep.get(route or "", frozenset())
        found = compare(update_params(payload), synced, theirs, keep)
        fields = _diffs(payload, link.payload, relation, keep)
        unconfirmed = link.payload_hash is None  # the last update's outcome is unknown
        send = found.send
        if send is None and unconfirmed and theirs is None:
            send = update_params(payload)  # Silvasoft not read: send it all again rather than guess
        if send is None:
            note = None
            if unconfirmed:
                note = "the last update was not confirmed; Silvasoft holds these values already"
            elif link.payload_hash != payload_hash(payload):
                note = (
                    "Silvasoft's own values are kept; nothing to send"
                    if any(f.change == "keep" for f in found.fields)
                    else "only parameters that updaterelation/ cannot change differ; nothing to send"
                )
            return make("unchanged", guid=link.guid, matched_by="linked", message=note, fields=fields)
        return make("update", guid=link.guid, matched_by="linked", send=send, fields=fields)

    def _unlinked(self, make: Callable[..., Change], debtor: str, payload: dict[str, Any], route: str | None) -> Change:
        if not self.directory.identifies and not self.directory.by_answer:
            raise RuntimeError("an unlinked relation is planned before Silvasoft was listed")
        match = self.directory.find(payload, use_email=self.match_email)
        if match is None and not keyed(payload, self.match_email):
            match = self.directory.find_named(payload)  # its create could not tell this relation apart
        if match is not None:
            owner = self.directory.claim(match.guid, debtor)
            if owner is not None:
                return make("error", message=_conflict(match.by, payload, owner, match.guid), involves=owner)
            keep = self.keep.get(route or "", frozenset())
            found = compare(update_params(payload), None, update_params(match.relation), keep)
            fields = _diffs(payload, None, match.relation, keep)
            if found.send is not None:
                return make("update", guid=match.guid, matched_by=match.by, send=found.send, fields=fields)
            return make("link", guid=match.guid, matched_by=match.by, fields=fields)
        number, email = payload_number(payload), payload_email(payload) if self.match_email else None
        if not self.directory.listed:
            for by, key in (("number", number), ("email", email)):
                held = self.linked.get((by, key)) if key is not None else None
                if held is not None and held.debtor_number != debtor:
                    message = _conflict(by, payload, held.debtor_number, held.guid)
                    return make("error", message=message, involves=held.debtor_number)
        if number is not None and self.numbers.setdefault(number, debtor) != debtor:
            other = self.numbers[number]
            return make("error", message=f"CustomerNumber {number} is also {other}'s; not created", involves=other)
        if email and self.emails.setdefault(email, debtor) != debtor:
            other = self.emails[email]
            return make("error", message=_conflict("email", payload, other, None), involves=other)
        return make("create", matched_by="new", send=payload, fields=Diffs(created, payload))


def _diffs(
    payload: dict[str, Any], synced: dict[str, Any] | None, theirs: dict[str, Any] | None, keep: frozenset[str]
) -> Diffs:
    """The fields of ``compare`` of these, worked out again when read: a change keeps only what it was made from."""
    return Diffs(_compared, payload, synced, theirs, keep)


def _compared(
    payload: dict[str, Any], synced: dict[str, Any] | None, theirs: dict[str, Any] | None, keep: frozenset[str]
) -> tuple[FieldDiff, ...]:
    last = update_params(synced) if synced is not None else None
    now = update_params(theirs) if theirs is not None else None
    return compare(update_params(payload), last, now, keep).fields


def _conflict(by: str, payload: dict[str, Any], owner: str, guid: int | None) -> str:
    what = {
        "email": f"e-mail address {payload_email(payload)}",
        "name": "name and postal code",
    }.get(by, f"CustomerNumber {payload_number(payload)}")
    where = f"Silvasoft relation {guid}" if guid else "the relation created for it in this run"
    hint = (
        "give each relation its own e-mail address in OutSmart, or set OnExistingRelationEmail: CONTINUE "
        "in the mapping to keep such relations apart"
        if by == "email"
        else "give each relation its own customer number"
    )
    return f"conflict: shares its {what} with OutSmart relation {owner} ({where}); not linked: {hint}"
