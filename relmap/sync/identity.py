"""Who is who: OutSmart's debtor_number against Silvasoft's RelationGUID.

A linked relation is known by its GUID. An unlinked one is looked for in the listing of Silvasoft (whole, or the part
a run needed: see listing.py), by CustomerNumber first, then by e-mail; one the listing did not reach is identified by
its create's answer (ABORT on an existing number or e-mail). Two OutSmart relations may never share one Silvasoft
relation, so every GUID has at most one owner, checked before a link is made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from relmap.mapping.compiled import CompiledMapping, Rule

# A relation Silvasoft returns from a create counts as "already there" when it is this much older than the request.
CREATED_SKEW = 600.0
SILVASOFT_ZONE = ZoneInfo("Europe/Amsterdam")  # Silvasoft's own; from the tzdata package where the system has none


@dataclass(frozen=True)
class Match:
    guid: int
    by: str  # number | email | name
    relation: dict[str, Any]


def payload_email(payload: dict[str, Any]) -> str | None:
    """The e-mail Silvasoft matches on: the first contact's (or a top-level Email)."""
    contacts = payload.get("Relation_Contact")
    first = contacts[0] if isinstance(contacts, list) and contacts and isinstance(contacts[0], dict) else {}
    email = first.get("Email") or payload.get("Email")
    return str(email).strip().casefold() if email else None


def payload_number(payload: dict[str, Any]) -> int | None:
    number = payload.get("CustomerNumber")
    try:
        value = int(number) if number not in (None, "") else 0
    except (TypeError, ValueError):
        return None
    return value or None  # 0 means "empty" to Silvasoft


def guid_of(relation: dict[str, Any]) -> int | None:
    try:
        return int(relation["RelationGUID"])
    except (KeyError, TypeError, ValueError):
        return None


class Owners(MutableMapping[int, str]):
    """GUID → debtor_number, read from the link table the first time it is asked (a run that neither lists Silvasoft
    nor creates never asks), then kept up to date by the run's own claims."""

    def __init__(self, load: Callable[[], dict[int, str]]) -> None:
        self._load = load
        self._owners: dict[int, str] | None = None

    @property
    def _all(self) -> dict[int, str]:
        if self._owners is None:
            self._owners = self._load()
        return self._owners

    def __getitem__(self, guid: int) -> str:
        return self._all[guid]

    def __setitem__(self, guid: int, debtor_number: str) -> None:
        self._all[guid] = debtor_number

    def __delitem__(self, guid: int) -> None:
        del self._all[guid]

    def __iter__(self) -> Iterator[int]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def __contains__(self, guid: object) -> bool:
        return guid in self._all


@dataclass
class Directory:
    """The relations one listing of Silvasoft found, indexed for matching, plus who owns which GUID."""

    owners: MutableMapping[int, str]  # GUID → debtor_number, from the link table and this run's links
    by_number: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_email: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_guid: dict[int, dict[str, Any]] = field(default_factory=dict)
    listed: bool = False  # the whole of Silvasoft was listed: every linked GUID can be checked and compared
    # Every Silvasoft relation no link owns is in the index (a whole listing, or one from the listing mark on:
    # the relations before the mark were all owned when it was set, so they can only be conflicts, not matches).
    unowned_known: bool = False
    # The listing stopped early: an unmatched relation with a CustomerNumber or e-mail is created with ABORT,
    # whose answer is the existing relation, if there is one (apply.py tells the two apart by createdOn).
    by_answer: bool = False
    # What a listing from the mark read, in order from offset ``seen_at``: once this run's links own them, the mark
    # moves over them (listing.advance_mark), so a listing the hour ended goes on from there next run.
    seen_at: int = 0
    seen: list[dict[str, Any]] = field(default_factory=list)
    # Where the listing stopped early, the relations with neither CustomerNumber nor e-mail were looked up by name
    # (listing.look_up_names): what is here is all Silvasoft holds under their names.
    named: bool = False

    @property
    def identifies(self) -> bool:
        """Whether an unlinked relation can be planned: it is matched here or, failing that, created."""
        return self.listed or self.unowned_known

    def add_listing(self, relations: Iterable[dict[str, Any]], complete: bool = True) -> None:
        for relation in relations:
            guid = guid_of(relation)
            if guid is None:
                continue
            self.by_guid[guid] = relation
            number = payload_number(relation)
            if number is not None:
                self.by_number.setdefault(number, relation)
            email = relation.get("Email") or payload_email(relation)
            if email:
                self.by_email.setdefault(str(email).strip().casefold(), []).append(relation)
        if complete:
            self.listed = self.unowned_known = True

    def find(self, payload: dict[str, Any], use_email: bool) -> Match | None:
        """The existing Silvasoft relation this payload is, by CustomerNumber, then e-mail."""
        number = payload_number(payload)
        if number is not None and number in self.by_number:
            relation = self.by_number[number]
            return Match(guid_of(relation) or 0, "number", relation)
        email = payload_email(payload) if use_email else None
        if email and email in self.by_email:
            relation = self.by_email[email][0]
            return Match(guid_of(relation) or 0, "email", relation)
        return None

    def find_named(self, payload: dict[str, Any]) -> Match | None:
        """For a relation with neither CustomerNumber nor e-mail: an unowned relation of the same name and postal
        code (what a create could otherwise duplicate: Silvasoft has nothing else to tell them apart by)."""
        name = _name(payload)
        for relation in self.by_guid.values():
            guid = guid_of(relation)
            same = name and _name(relation) == name and _same(relation, payload, "Address_PostalCode")
            if same and guid is not None and guid not in self.owners:
                return Match(guid, "name", relation)
        return None

    def find_created(self, payload: dict[str, Any]) -> Match | None:
        """A relation an interrupted create may have made, owned by nobody: by number, e-mail, or name + postcode."""
        number, email, name = payload_number(payload), payload_email(payload), _name(payload)
        candidates: list[tuple[str, dict[str, Any]]] = []
        if number is not None and number in self.by_number:
            candidates.append(("number", self.by_number[number]))
        candidates += [("email", relation) for relation in self.by_email.get(email or "", [])]
        candidates += [
            ("name", relation)
            for relation in self.by_guid.values()
            if name and _name(relation) == name and _same(relation, payload, "Address_PostalCode")
        ]
        for by, relation in candidates:
            guid = guid_of(relation)
            if guid is not None and guid not in self.owners:
                return Match(guid, by, relation)
        return None

    def claim(self, guid: int, debtor_number: str) -> str | None:
        """Give ``guid`` to ``debtor_number``; returns the other owner instead when it already has one."""
        owner = self.owners.get(guid)
        if owner is not None and owner != debtor_number:
            return owner
        self.owners[guid] = debtor_number
        return None

    def remember(self, relation: dict[str, Any]) -> None:
        """A relation created during this run joins the index, so a later record cannot take its number."""
        self.add_listing([relation], complete=False)


def keyed(payload: dict[str, Any], use_email: bool) -> bool:
    """Whether a create of this payload identifies it: ABORT on an existing CustomerNumber (or e-mail, while e-mail
    is an identity) answers the existing relation instead of a duplicate. Without either, a create cannot tell."""
    return payload_number(payload) is not None or (use_email and payload_email(payload) is not None)


def existed_before(relation: dict[str, Any], requested_at: float, directory: Directory) -> bool | None:
    """Whether a create's answer is a relation that was already there (Silvasoft returns it unchanged): True when it
    was listed, or its ``createdOn`` lies clearly before the request; None when the time cannot tell (no usable
    ``createdOn``, or one within the clocks' skew or the hours Dutch time and UTC differ by, where a relation keyed
    in by hand minutes before looks like relmap's own): the caller compares the values."""
    guid = guid_of(relation)
    if guid is not None and guid in directory.by_guid:
        return True
    window = created_window(relation.get("createdOn"))
    if window is not None and window[1] < requested_at - CREATED_SKEW:
        return True
    return None


def created_window(value: Any) -> tuple[float, float] | None:
    """Silvasoft's ``createdOn`` as the earliest and latest moment it may mean. A time with a zone (or ``Z``) is one
    moment; a time without one is Dutch local time (Silvasoft is a Dutch service) or UTC, one or two hours apart."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    for parse in (datetime.fromisoformat, lambda t: datetime.strptime(t, "%d-%m-%Y %H:%M:%S")):
        try:
            moment = parse(text)
        except ValueError:
            continue
        if moment.tzinfo:
            return moment.timestamp(), moment.timestamp()
        return moment.replace(tzinfo=SILVASOFT_ZONE).timestamp(), moment.replace(tzinfo=UTC).timestamp()
    return None


def payload_name(payload: dict[str, Any]) -> str | None:
    """The name Silvasoft lists a relation under: Name, or the main contact's first and last name."""
    return _name(payload)


def _name(relation: dict[str, Any]) -> str | None:
    name = relation.get("Name")
    if not name:
        contacts = relation.get("Relation_Contact")
        if isinstance(contacts, list) and contacts and isinstance(contacts[0], dict):
            first = contacts[0]
            name = f"{first.get('FirstName', '')} {first.get('LastName', '')}".strip()
    return str(name).strip().casefold() if name else None


def _same(relation: dict[str, Any], payload: dict[str, Any], key: str) -> bool:
    def norm(value: Any) -> str:
        return str(value or "").replace(" ", "").casefold()

    return norm(relation.get(key)) == norm(payload.get(key))


def email_identity(plan: CompiledMapping) -> bool:
    """E-mail identifies a relation unless the mapping creates relations with OnExistingRelationEmail: CONTINUE."""
    return not any(
        isinstance(member, Rule)
        and member.name == "OnExistingRelationEmail"
        and member.kind == "value"
        and str(member.get({})).upper() == "CONTINUE"
        for route in plan.routes
        for member in route.fields
    )
