"""The Silvasoft emulator's index answers every lookup exactly as a scan of its relations does, through adds,
updates, hand edits, removals and restores; and the emulators' journal keeps every write a folder was given."""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
from pathlib import Path
from typing import Any

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from relmap.sandbox import Sandbox
from relmap.sandbox.silvasoft_book import Book, BookError, contact_name, main_contact
from relmap.sandbox.silvasoft_params import ListQuery

EMAILS = ["a@x.nl", " A@X.nl ", "b@x.nl", "", "  ", None]
NAMES = ["Jansen BV", "jansen bv ", "Piet Berg", "", None]
NUMBERS = [0, 1000, 1001, 1005, 2000]
STAMPS = ["2026-01-01T00:00:00", "2026-01-01T00:00:01", "2025-12-31T23:59:59", None]
VATS = ["812345678B01", "812345678b01 ", None]


def _same(left: object, right: object) -> bool:
    """Silvasoft's text comparison, written out again as the scan that the index replaces."""
    if not (isinstance(left, str) and isinstance(right, str) and right.strip()):
        return False
    return left.strip().casefold() == right.strip().casefold()


def scan_first(book: Book, field: str, value: object) -> int | None:
    if field == "CustomerNumber":
        found = (r for r in book.relations.values() if r.get(field) == value)
    else:
        found = (r for r in book.relations.values() if _same(r.get(field), value))
    return next((r["RelationGUID"] for r in found), None)


def scan_query(book: Book, query: ListQuery) -> list[int]:
    """The listing as a sort of every relation (the emulator's code before it had an index)."""
    tests = []
    if query.relation_type != "All":
        flag = "IsSupplier" if query.relation_type == "Supplier" else "IsCustomer"
        tests.append(lambda r: bool(r.get(flag)))
    if query.number is not None:
        tests.append(lambda r: r.get("CustomerNumber") == query.number)
    if query.name is not None:
        tests.append(lambda r: query.name.casefold() in (r.get("Name") or "").casefold())
    if query.email is not None:
        tests.append(lambda r: _same(r.get("Email"), query.email))
    if query.vat is not None:
        tests.append(lambda r: _same(r.get("TaxIdentificationNumber"), query.vat))
    if query.guid is not None:
        tests.append(lambda r: r["RelationGUID"] == query.guid)
    combine = any if query.any_filter else all
    rows = [r for r in book.relations.values() if not tests or combine(t(r) for t in tests)]
    if query.sorting == "RelationGUID":
        rows.sort(key=lambda r: r["RelationGUID"], reverse=query.descending)
    else:
        rows.sort(key=lambda r: (r.get("createdOn") or "", r["RelationGUID"]), reverse=query.descending)
    return [r["RelationGUID"] for r in rows[query.offset : query.offset + query.limit]]


def scan_free_number(book: Book) -> int:
    numbers = [r["CustomerNumber"] for r in book.relations.values() if isinstance(r.get("CustomerNumber"), int)]
    return max([book.next_number, *(n + 1 for n in numbers)])


QUERIES = [
    ListQuery(),
    ListQuery(limit=2, offset=1),
    ListQuery(limit=3, offset=2, descending=True),
    ListQuery(sorting="RelationGUID", descending=True, limit=4, offset=1),
    ListQuery(relation_type="Supplier"),
    ListQuery(relation_type="Customer", offset=1, limit=2, descending=True),
    *(ListQuery(email=e) for e in ("a@x.nl", "B@X.NL ")),
    *(ListQuery(number=n) for n in (1000, 1005)),
    ListQuery(vat="812345678B01"),
    ListQuery(name="jansen"),
    ListQuery(email="a@x.nl", number=1001, any_filter=True),
    ListQuery(email="a@x.nl", name="berg", any_filter=True),
    ListQuery(email="a@x.nl", number=1000),
    ListQuery(guid=4_000_002, relation_type="Supplier", any_filter=True),
    ListQuery(guid=4_000_003, sorting="RelationGUID"),
]

fields = st.fixed_dictionaries(
    {},
    optional={
        "Email": st.sampled_from(EMAILS),
        "Name": st.sampled_from(NAMES),
        "CustomerNumber": st.sampled_from(NUMBERS),
        "createdOn": st.sampled_from(STAMPS),
        "TaxIdentificationNumber": st.sampled_from(VATS),
        "IsSupplier": st.booleans(),
        "IsCustomer": st.booleans(),
    },
)
operations = st.lists(
    st.tuples(st.sampled_from(["create", "update", "edit", "remove", "restore"]), st.integers(0, 7), fields),
    max_size=25,
)


def apply(book: Book, operation: str, pick: int, values: dict[str, Any], stamps: itertools.count[int]) -> None:
    guids = list(book.relations)
    if operation == "create" or not guids:
        contact = {"FirstName": "Piet", "LastName": "Berg", "Email": values.pop("Email", None)}
        book.create({"Relation_Contact": [contact], **values}, f"2026-01-01T00:00:{next(stamps) % 3:02d}")
        return
    guid = guids[pick % len(guids)]
    if operation == "remove":
        book.remove(guid)
    elif operation == "edit":
        book.edit(guid, values)
    elif operation == "restore":
        book.restore(json.loads(json.dumps({**book.counters(), "relations": list(book.relations.values())})))
    else:
        with contextlib.suppress(BookError):  # a number in use by another relation: refused, nothing changed
            book.update({"RelationGUID": guid, **{k: v for k, v in values.items() if k != "createdOn"}})


def check(book: Book) -> None:
    for value in NUMBERS[1:]:  # 0 means "no number": never looked up
        found = book.by_number(value)
        assert (found["RelationGUID"] if found else None) == scan_first(book, "CustomerNumber", value), value
    for field, values in (("Email", EMAILS), ("Name", NAMES)):
        for value in values:
            found = book._first(field, value)
            assert (found["RelationGUID"] if found else None) == scan_first(book, field, value), (field, value)
    for query in QUERIES:
        assert [r["RelationGUID"] for r in book.query(query)] == scan_query(book, query), query
    assert book.free_number() == scan_free_number(book)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_every_lookup_agrees_with_a_scan_after_any_changes(steps: list[tuple[str, int, dict[str, Any]]]) -> None:
    book, stamps = Book(), itertools.count()
    for operation, pick, values in steps:
        apply(book, operation, pick, copy.deepcopy(values), stamps)
        check(book)


def test_an_existing_relation_is_found_after_its_keys_change() -> None:
    book = Book()
    first = book.create({"Relation_Contact": [{"FirstName": "A", "LastName": "B", "Email": "a@x.nl"}]}, "t1")
    body = {"Relation_Contact": [{"FirstName": "C", "LastName": "D", "Email": "A@x.nl"}]}
    assert book.existing("Private", body)["RelationGUID"] == first["RelationGUID"]
    book.update({"RelationGUID": first["RelationGUID"], "Email": "new@x.nl"})
    assert book.existing("Private", body) is None  # the old address no longer finds it ...
    moved = {"Relation_Contact": [{"FirstName": "C", "LastName": "D", "Email": " NEW@x.nl"}]}
    assert book.existing("Private", moved)["RelationGUID"] == first["RelationGUID"]  # ... the new one does
    second = book.create({"Relation_Contact": [{"FirstName": "E", "LastName": "F"}], "CustomerNumber": 1500}, "t2")
    assert book.free_number() == 1501
    book.remove(second["RelationGUID"])
    assert book.free_number() == 1501 and book.by_number(1500) is None  # numbers are not handed out twice
    assert contact_name(main_contact(first)) == "A B"


def _put(session: requests.Session, box: Sandbox, n: int) -> None:
    headers = {"ApiKey": box.credentials["SILVASOFT_API_KEY"], "Username": box.credentials["SILVASOFT_USERNAME"]}
    body = {"Relation_Contact": [{"FirstName": f"P{n}", "LastName": "Berg", "Email": f"p{n}@example.nl"}]}
    response = session.post(f"{box.silvasoft_url}/addprivaterelation/", json=body, headers=headers)
    assert response.status_code == 200, response.text


def test_the_journal_keeps_every_write_until_the_snapshot_takes_it_in(tmp_path: Path) -> None:
    with requests.Session() as session:
        box = Sandbox(tmp_path).start()
        for n in range(40):
            _put(session, box, n)
        box.silvasoft.edit(4_000_003, Email="edited@example.nl")
        box.silvasoft.remove(4_000_004)
        box.outsmart.edit("10001", city="Hilversum")
        journal = (tmp_path / "silvasoft.journal").read_text(encoding="utf-8").splitlines()
        saved = json.loads((tmp_path / "silvasoft.json").read_text(encoding="utf-8"))["relations"]
        assert len(journal) >= 2 and len(saved) + len(journal) >= 41  # each write is in one or the other
        expected = box.silvasoft.relations()
        for server in box._servers:  # stop serving without closing: as if the process had died here
            server.stop()
        with (tmp_path / "silvasoft.journal").open("a", encoding="utf-8") as stream:
            stream.write('{"put": {"RelationGUID": 9')  # a write cut short: never answered, so never kept
        again = Sandbox(tmp_path).start()
        assert again.silvasoft.relations() == expected
        assert again.silvasoft.get(4_000_003)["Email"] == "edited@example.nl"
        assert again.outsmart.get("10001")["city"] == "Hilversum"
        _put(session, again, 99)
        assert again.silvasoft.get(4_000_041)["Name"] == "P99 Berg"
        again.stop()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outsmart.json", "silvasoft.json"]
    assert len(json.loads((tmp_path / "silvasoft.json").read_text(encoding="utf-8"))["relations"]) == 40
