"""Silvasoft's relation book: what is stored, how an add finds an existing relation, updates, and listing.

Every relation has one shape (SHAPE), the same in add, update and list answers: the request's parameters
mirrored, plus RelationGUID, RelationType, Name, CustomerNumber, createdOn, Email and Phone. Lookups go through
an Index (silvasoft_index), so an add or a listing page costs the same in a book of 100,000 as in one of 10.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

from relmap.sandbox.silvasoft_index import Index, created_key, text_key
from relmap.sandbox.silvasoft_params import ListQuery

FIRST_GUID = 4_000_001
FIRST_NUMBER = 1000
SHAPE = (
    "RelationGUID",
    "RelationType",
    "Name",
    "CustomerNumber",
    "SupplierNumber",
    "createdOn",
    "Email",
    "Phone",
    "Address_City",
    "Address_Street",
    "Address_PostalCode",
    "Address_CountryCode",
    "Address_Unit",
    "Address_UnitAppendix",
    "IsCustomer",
    "IsOther",
    "IsSupplier",
    "GroupName",
    "RegistrationNumber",
    "TaxIdentificationNumber",
    "Relation_Contact",
    "Relation_CustomField",
    "Relation_BankAccount",
)
# Switches of the request, not data of the relation.
NOT_STORED = frozenset(
    {"OnExistingRelationEmail", "OnExistingRelationNumber", "OnExistingRelationName", "CreateSalesLead"}
    | {"Relation_SalesLead"}
)


class BookError(ValueError):
    """A request the book refuses; the message is the errorMessage."""


def main_contact(relation: dict[str, Any]) -> dict[str, Any]:
    contacts = relation.get("Relation_Contact") or []
    return contacts[0] if contacts and isinstance(contacts[0], dict) else {}


def contact_name(contact: dict[str, Any]) -> str:
    return " ".join(part for part in (contact.get("FirstName"), contact.get("LastName")) if part)


def _same_text(left: object, right: object) -> bool:
    """Equal ignoring case and surrounding spaces; blank text equals nothing, so it never finds a relation."""
    key = text_key(right)
    return key is not None and text_key(left) == key


class Book:
    """The relations by GUID, in the order they were stored, with an Index kept in step with every change."""

    def __init__(self) -> None:
        self.relations: dict[int, dict[str, Any]] = {}  # read freely; changed only through the methods below
        self.next_guid = FIRST_GUID
        self.next_number = FIRST_NUMBER
        self._index = Index()

    def clear(self) -> None:
        self.relations = {}
        self.next_guid, self.next_number = FIRST_GUID, FIRST_NUMBER
        self._index = Index()

    def snapshot(self) -> dict[str, Any]:
        """What is saved: the live relations (the caller writes them out at once, under the emulator's lock)."""
        return {"next_guid": self.next_guid, "next_number": self.next_number, "relations": self.relations.values()}

    def restore(self, saved: dict[str, Any]) -> None:
        self.clear()
        for relation in copy.deepcopy(saved["relations"]):
            self.put(relation)
        self.next_guid = saved["next_guid"]
        self.next_number = saved["next_number"]

    def counters(self) -> dict[str, int]:
        return {"next_guid": self.next_guid, "next_number": self.next_number}

    def put(self, relation: dict[str, Any]) -> None:
        """Store ``relation`` as it is under its GUID (a journal entry replayed), replacing what was there."""
        guid = relation["RelationGUID"]
        old = self.relations.get(guid)
        if old is not None:
            self._index.discard(old)
        self.relations[guid] = relation
        self._index.add(relation)

    # -- adding ----------------------------------------------------------------------------------------------
    def existing(self, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The relation an add must return instead of creating one, checked on number, then e-mail, then name."""
        number, email = body.get("CustomerNumber") or 0, main_contact(body).get("Email")
        found = self.by_number(number) if number else None
        if found and (body.get("OnExistingRelationNumber") or "ABORT") == "ABORT":
            return found
        found = self._first("Email", email)
        if found and (body.get("OnExistingRelationEmail") or "ABORT") == "ABORT":
            return found
        # A business name is matched unless told to CONTINUE; a private name only when told to ABORT.
        switch = body.get("OnExistingRelationName") or ("ABORT" if kind == "Business" else "CONTINUE")
        name = body.get("Name") if kind == "Business" else contact_name(main_contact(body))
        found = self._first("Name", name)
        return found if found and switch == "ABORT" else None

    def create(self, fields: dict[str, Any], created_on: str) -> dict[str, Any]:
        """Store a new relation; a CustomerNumber that is 0, absent or taken is replaced by the next free one.

        The caller makes sure ``fields`` holds no RelationGUID that is taken (checked here) before anything changes.
        """
        relation: dict[str, Any] = dict.fromkeys(SHAPE)
        relation.update(IsCustomer=True, IsOther=False, IsSupplier=False, Relation_Contact=[], Relation_CustomField=[])
        relation.update({k: copy.deepcopy(v) for k, v in fields.items() if k not in NOT_STORED and v is not None})
        main = main_contact(relation)
        relation["Name"] = relation["Name"] or contact_name(main) or None
        relation["Email"] = relation["Email"] or main.get("Email")
        relation["Phone"] = relation["Phone"] or main.get("Phone")
        number = relation["CustomerNumber"] or 0
        relation["CustomerNumber"] = number if number and not self.by_number(number) else self.free_number()
        relation["createdOn"] = relation["createdOn"] or created_on
        guid = relation["RelationGUID"] or self.next_guid  # only the Python API may choose a GUID
        if guid in self.relations:
            raise BookError(f"RelationGUID {guid} is taken")
        relation["RelationGUID"] = guid
        self.next_guid = max(self.next_guid, guid + 1)
        self.next_number = max(self.next_number, relation["CustomerNumber"] + 1)
        self.put(relation)
        return copy.deepcopy(relation)

    def free_number(self) -> int:
        highest = self._index.highest_number(self.relations.values())
        return self.next_number if highest is None else max(self.next_number, highest + 1)

    def by_number(self, number: int) -> dict[str, Any] | None:
        return self._first("CustomerNumber", number)

    def _first(self, name: str, value: object) -> dict[str, Any] | None:
        guid = self._index.first(name, value)
        return copy.deepcopy(self.relations[guid]) if guid is not None else None

    # -- changing by hand (the emulator's Python API) ----------------------------------------------------------
    def edit(self, guid: int, fields: dict[str, Any]) -> dict[str, Any]:
        relation = self.relations[guid]
        self._index.discard(relation)
        relation.update(fields)
        self._index.add(relation)
        return relation

    def remove(self, guid: int) -> None:
        relation = self.relations.pop(guid)
        self._index.discard(relation, removed=True)

    # -- updating --------------------------------------------------------------------------------------------
    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply an updaterelation body (checked already); the main contact is replaced, not merged."""
        relation = self.relations.get(changes["RelationGUID"])
        if relation is None:
            raise BookError("Relation not found")
        number = changes.get("CustomerNumber") or 0
        other = self.by_number(number) if number else None
        if other and other["RelationGUID"] != relation["RelationGUID"]:
            raise BookError(f"CustomerNumber {number} is already in use by another relation")
        self._index.discard(relation)
        for key, value in changes.items():
            if key == "Relation_Contact":
                self._replace_contact(relation, value[0], changes)
            elif key not in ("RelationGUID", "CustomerNumber") or value:
                relation[key] = copy.deepcopy(value)
        self._index.add(relation)
        if number:
            self.next_number = max(self.next_number, number + 1)
        return copy.deepcopy(relation)

    @staticmethod
    def _replace_contact(relation: dict[str, Any], contact: dict[str, Any], changes: dict[str, Any]) -> None:
        relation["Relation_Contact"] = [copy.deepcopy(contact), *(relation.get("Relation_Contact") or [])[1:]]
        if relation.get("RelationType") == "Private" and "Name" not in changes:
            relation["Name"] = contact_name(contact) or relation.get("Name")
        for key in ("Email", "Phone"):
            if key not in changes and key in contact:
                relation[key] = contact[key]

    # -- listing ---------------------------------------------------------------------------------------------
    def query(self, query: ListQuery) -> list[dict[str, Any]]:
        tests = _tests(query)
        combine = any if query.any_filter else all
        stop = query.offset + query.limit
        candidates = self._candidates(query)
        if candidates is not None:  # a few relations found by the index; every test still decides
            rows = [r for r in (self.relations[g] for g in candidates) if combine(test(r) for test in tests)]
            if query.sorting == "RelationGUID":
                rows.sort(key=lambda r: r["RelationGUID"], reverse=query.descending)
            else:
                rows.sort(key=created_key, reverse=query.descending)
            return copy.deepcopy(rows[query.offset : stop])
        if not tests:
            guids = self._index.ordered(query.sorting, query.descending, query.offset, stop)
            return copy.deepcopy([self.relations[g] for g in guids])
        walked = (self.relations[g] for g in self._index.walk(query.sorting, query.descending))
        passing = (r for r in walked if combine(test(r) for test in tests))
        return copy.deepcopy(list(itertools.islice(passing, query.offset, stop)))

    def _candidates(self, query: ListQuery) -> set[int] | None:
        """The GUIDs the query's indexed filters allow (None: every relation must be looked at)."""
        found = [
            self._index.matching(name, value)
            for name, value in (
                ("CustomerNumber", query.number),
                ("Email", query.email),
                ("TaxIdentificationNumber", query.vat),
            )
            if value is not None
        ]
        if query.guid is not None:
            found.append({query.guid} if query.guid in self.relations else set())
        if not found:
            return None
        if not query.any_filter:
            return min(found, key=len)
        others = query.relation_type != "All" or query.name is not None
        return None if others else set().union(*found)


def _tests(query: ListQuery) -> list[Callable[[dict[str, Any]], bool]]:
    tests: list[Callable[[dict[str, Any]], bool]] = []
    if query.relation_type != "All":
        flag = "IsSupplier" if query.relation_type == "Supplier" else "IsCustomer"
        tests.append(lambda r: bool(r.get(flag)))
    if query.number is not None:
        tests.append(lambda r: r.get("CustomerNumber") == query.number)
    if query.name is not None:
        needle = query.name.casefold()
        tests.append(lambda r: needle in (r.get("Name") or "").casefold())
    if query.email is not None:
        tests.append(lambda r: _same_text(r.get("Email"), query.email))
    if query.vat is not None:
        tests.append(lambda r: _same_text(r.get("TaxIdentificationNumber"), query.vat))
    if query.guid is not None:
        tests.append(lambda r: r["RelationGUID"] == query.guid)
    return tests
