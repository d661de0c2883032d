"""Silvasoft's relation book: what is stored, how an add finds an existing relation, updates, and listing.

Every relation has one shape (SHAPE), the same in add, update and list answers: the request's parameters
mirrored, plus RelationGUID, RelationType, Name, CustomerNumber, createdOn, Email and Phone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

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
    if not (isinstance(left, str) and isinstance(right, str) and right.strip()):
        return False
    return left.strip().casefold() == right.strip().casefold()


class Book:
    def __init__(self) -> None:
        self.relations: dict[int, dict[str, Any]] = {}
        self.next_guid = FIRST_GUID
        self.next_number = FIRST_NUMBER

    def clear(self) -> None:
        self.relations = {}
        self.next_guid, self.next_number = FIRST_GUID, FIRST_NUMBER

    def snapshot(self) -> dict[str, Any]:
        return {
            "next_guid": self.next_guid,
            "next_number": self.next_number,
            "relations": copy.deepcopy(list(self.relations.values())),
        }

    def restore(self, saved: dict[str, Any]) -> None:
        self.relations = {r["RelationGUID"]: r for r in copy.deepcopy(saved["relations"])}
        self.next_guid = saved["next_guid"]
        self.next_number = saved["next_number"]

    # -- adding ----------------------------------------------------------------------------------------------
    def existing(self, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The relation an add must return instead of creating one, checked on number, then e-mail, then name."""
        number, email = body.get("CustomerNumber") or 0, main_contact(body).get("Email")
        found = self.by_number(number) if number else None
        if found and (body.get("OnExistingRelationNumber") or "ABORT") == "ABORT":
            return found
        found = self._first(lambda r: _same_text(r.get("Email"), email))
        if found and (body.get("OnExistingRelationEmail") or "ABORT") == "ABORT":
            return found
        # A business name is matched unless told to CONTINUE; a private name only when told to ABORT.
        switch = body.get("OnExistingRelationName") or ("ABORT" if kind == "Business" else "CONTINUE")
        name = body.get("Name") if kind == "Business" else contact_name(main_contact(body))
        found = self._first(lambda r: _same_text(r.get("Name"), name))
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
        self.relations[relation["RelationGUID"]] = relation
        return copy.deepcopy(relation)

    def free_number(self) -> int:
        numbers = [r["CustomerNumber"] for r in self.relations.values() if isinstance(r.get("CustomerNumber"), int)]
        return max([self.next_number, *(n + 1 for n in numbers)])

    def by_number(self, number: int) -> dict[str, Any] | None:
        return self._first(lambda r: r.get("CustomerNumber") == number)

    def _first(self, test: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        found = next((r for r in self.relations.values() if test(r)), None)
        return copy.deepcopy(found) if found else None

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
        for key, value in changes.items():
            if key == "Relation_Contact":
                self._replace_contact(relation, value[0], changes)
            elif key not in ("RelationGUID", "CustomerNumber") or value:
                relation[key] = copy.deepcopy(value)
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
        rows = [r for r in self.relations.values() if not tests or combine(test(r) for test in tests)]
        if query.sorting == "RelationGUID":
            rows.sort(key=lambda r: r["RelationGUID"], reverse=query.descending)
        else:  # ties on createdOn are broken by GUID, so pages never overlap or skip
            rows.sort(key=lambda r: (r.get("createdOn") or "", r["RelationGUID"]), reverse=query.descending)
        return copy.deepcopy(rows[query.offset : query.offset + query.limit])


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
