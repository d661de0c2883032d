"""Planning a sync without any network: identity, conflicts, and what an update sends."""

from __future__ import annotations

from typing import Any

import pytest

from relmap.mapping.render import Rendered
from relmap.sources.records import SourceRecord
from relmap.state.store import Link, payload_hash
from relmap.sync.changes import Planner, update_params
from relmap.sync.drift import compare
from relmap.sync.identity import Directory, created_window, existed_before
from relmap.sync.reading import deduplicated


def rendered(debtor: str, email: str | None = None, number: int | None = None, **extra: Any) -> Rendered:
    contact: dict[str, Any] = {"FirstName": "Piet", "LastName": debtor}
    if email:
        contact["Email"] = email
    payload: dict[str, Any] = {"Relation_Contact": [contact], "Address_City": "Baarn", **extra}
    if number is not None:
        payload["CustomerNumber"] = number
    return Rendered(0, "test", debtor, "ok", "consumers", "addprivaterelation", payload)


def link(result: Rendered, guid: int) -> Link:
    payload = result.payload or {}
    return Link(result.debtor_number or "", guid, None, "consumers", "addprivaterelation", payload,
                payload_hash(payload), "new", False)  # fmt: skip


def planner(links: dict[str, Link] | None = None, listing: list[dict[str, Any]] | None = None) -> Planner:
    links = links or {}
    directory = Directory({lk.guid: debtor for debtor, lk in links.items()})
    if listing is not None or not links:  # a run lists Silvasoft when something is unlinked
        directory.add_listing(listing or [])
    return Planner(links, lambda debtor: None, directory, match_email=True)


def test_unchanged_linked_relation_needs_nothing():
    result = rendered("1", number=1)
    change = planner({"1": link(result, 5)}).change(result)
    assert (change.action, change.guid, change.send) == ("unchanged", 5, None)


def test_changed_relation_sends_only_what_updaterelation_takes():
    before = rendered("1", number=1, GroupName="A")
    after = rendered("1", number=1, GroupName="A", Address_Street="Laan")
    change = planner({"1": link(before, 5)}).change(after)
    assert change.action == "update"
    assert change.send == {
        "Address_City": "Baarn",
        "Address_Street": "Laan",
        "CustomerNumber": 1,
        "Relation_Contact": [{"FirstName": "Piet", "LastName": "1"}],
    }


def test_a_change_updaterelation_cannot_carry_costs_nothing():
    before, after = rendered("1", GroupName="A"), rendered("1", GroupName="B")
    change = planner({"1": link(before, 5)}).change(after)
    assert change.action == "unchanged"
    assert "cannot change" in (change.message or "")


def test_unlinked_relation_is_matched_by_number_then_email():
    listing = [
        {"RelationGUID": 7, "CustomerNumber": 1, "Email": "x@y.nl", "Address_City": "Baarn"},
        {"RelationGUID": 8, "CustomerNumber": 9, "Email": "p@q.nl"},
    ]
    plan = planner(listing=listing)
    by_number = plan.change(rendered("1", number=1))
    by_email = plan.change(rendered("2", email="P@Q.nl"))
    assert (by_number.guid, by_number.matched_by) == (7, "number")
    assert (by_email.guid, by_email.matched_by, by_email.action) == (8, "email", "update")


def test_listed_relation_equal_to_the_payload_is_linked_without_a_write():
    relation = {
        "RelationGUID": 7,
        "CustomerNumber": 1,
        "Address_City": "Baarn",
        "Relation_Contact": [{"FirstName": "Piet", "LastName": "1", "Phone": "x"}],
    }
    change = planner(listing=[relation]).change(rendered("1", number=1))
    assert (change.action, change.guid) == ("link", 7)


def test_two_relations_with_one_email_are_a_conflict_not_a_shared_link():
    plan = planner(listing=[{"RelationGUID": 7, "Email": "fam@x.nl"}])
    first, second = plan.change(rendered("1", email="fam@x.nl")), plan.change(rendered("2", email="fam@x.nl"))
    assert first.guid == 7
    assert second.action == "error" and "conflict" in (second.message or "") and "1" in (second.message or "")


def test_two_new_relations_with_one_email_create_only_the_first():
    plan = planner()
    first, second = plan.change(rendered("1", email="a@b.nl")), plan.change(rendered("2", email="a@b.nl"))
    assert (first.action, second.action) == ("create", "error")


def test_an_email_linked_to_another_relation_is_a_conflict():
    existing = rendered("1", email="a@b.nl")
    plan = planner({"1": link(existing, 7)}, listing=[{"RelationGUID": 7, "Email": "a@b.nl"}])
    change = plan.change(rendered("2", email="a@b.nl"))
    assert change.action == "error" and "Silvasoft relation 7" in (change.message or "")


def test_a_customer_number_twice_in_one_run_creates_once():
    plan = planner()
    assert [plan.change(rendered(d, number=5)).action for d in ("1", "2")] == ["create", "error"]


def test_a_refused_payload_is_not_sent_again():
    result = rendered("1")
    directory = Directory({})
    directory.add_listing([])
    plan = Planner({}, lambda d: (payload_hash(result.payload or {}), "HTTP 400: bad"), directory, True)
    change = plan.change(result)
    assert change.action == "error" and "not sent again" in (change.message or "")


def test_a_listed_relation_differs_only_in_what_the_mapping_sets():
    params = update_params({"Address_City": "Baarn", "GroupName": "x", "Relation_Contact": [{"LastName": "B"}, {}]})
    assert params == {"Address_City": "Baarn", "Relation_Contact": [{"LastName": "B"}]}

    def differs(relation: dict[str, Any]) -> bool:
        return compare(params, None, update_params(relation), frozenset()).send is not None

    assert not differs({"Address_City": "Baarn ", "Relation_Contact": [{"LastName": "B", "Phone": "1"}]})
    assert differs({"Address_City": "Baarn", "Relation_Contact": [{"LastName": "C"}]})
    assert differs({"Relation_Contact": [{"LastName": "B"}]})


NOON = 1795341600.0  # 2026-11-22 10:00:00 UTC, 11:00 in Amsterdam (CET)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T10:00:00Z", (NOON, NOON)),
        ("2026-11-22T11:00:00+01:00", (NOON, NOON)),
        ("2026-11-22T10:00:00", (NOON - 3600, NOON)),  # no zone: Amsterdam (CET, UTC+1) or UTC
        ("22-11-2026 10:00:00", (NOON - 3600, NOON)),
        ("2026-07-01T10:00:00", (1782900000.0 - 7200, 1782900000.0)),  # summer time: two hours apart
        ("", None),
        ("soon", None),
    ],
)
def test_created_on_is_read_in_every_shape_as_the_moments_it_may_mean(text: str, expected: tuple[float, float] | None):
    assert created_window(text) == expected


def test_an_answer_older_than_the_request_existed_before():
    directory = Directory({})
    assert existed_before({"RelationGUID": 1, "createdOn": "2020-01-01T00:00:00"}, NOON, directory)
    # Made within the clocks' skew of the request, or with no usable time: the values decide (the caller's part).
    assert existed_before({"RelationGUID": 1, "createdOn": "2026-11-22T10:00:00Z"}, NOON, directory) is None
    assert existed_before({"RelationGUID": 1, "createdOn": "2026-11-22T09:55:00Z"}, NOON, directory) is None
    assert existed_before({"RelationGUID": 1, "createdOn": "2026-11-22T11:00:00"}, NOON, directory) is None
    assert existed_before({"RelationGUID": 1}, NOON, directory) is None
    assert existed_before({"RelationGUID": 1, "createdOn": "0000-00-00 00:00:00"}, NOON, directory) is None
    assert existed_before({"RelationGUID": 1, "createdOn": "2026-11-22T09:10:00"}, NOON, directory) is True
    # Without a zone, 10:00 is 09:00 or 10:00 UTC: the time cannot tell (the caller compares the values).
    assert existed_before({"RelationGUID": 1, "createdOn": "2026-11-22T10:00:00"}, NOON, directory) is None
    directory.add_listing([{"RelationGUID": 1}])
    assert existed_before({"RelationGUID": 1, "createdOn": "2026-11-22T10:00:00Z"}, NOON, directory) is True


def test_a_relation_sent_twice_identically_counts_once():
    one = SourceRecord(0, "a", {"debtor_number": "1", "name": "A"}, {})
    same = SourceRecord(1, "b", {"debtor_number": "1", "name": "A"}, {})
    other = SourceRecord(2, "c", {"debtor_number": "1", "name": "B"}, {})
    notes: list[str] = []
    assert list(deduplicated([one, same, other], notes)) == [one, other]
    assert notes == ["b: an identical copy of the relation at a; counted once"]  # left out, but said


def test_an_interrupted_create_is_never_matched_to_a_relation_someone_else_owns():
    directory = Directory({7: "other"})
    directory.add_listing([{"RelationGUID": 7, "Email": "fam@x.nl"}, {"RelationGUID": 8, "Email": "fam@x.nl"}])
    found = directory.find_created({"Relation_Contact": [{"Email": "fam@x.nl"}]})
    assert found is not None and found.guid == 8
    directory.owners[8] = "third"
    assert directory.find_created({"Relation_Contact": [{"Email": "fam@x.nl"}]}) is None


def by_answer(links: dict[str, Link] | None = None, partial: list[dict[str, Any]] | None = None) -> Planner:
    """A run whose listing stopped early: what it listed is known, the rest is left to the creates' answers."""
    links = links or {}
    directory = Directory({lk.guid: debtor for debtor, lk in links.items()})
    directory.add_listing(partial or [], complete=False)
    directory.by_answer = True
    return Planner(links, lambda debtor: None, directory, match_email=True)


def test_where_the_listing_stopped_an_unmatched_relation_is_created_with_its_key() -> None:
    change = by_answer().change(rendered("10001", number=10001))
    assert (change.action, change.matched_by) == ("create", "new")


def test_where_the_listing_stopped_a_listed_relation_is_still_matched() -> None:
    relation = {"RelationGUID": 7, "CustomerNumber": 10001, "Address_City": "Baarn", "Name": "Piet 10001"}
    change = by_answer(partial=[relation]).change(rendered("10001", number=10001))
    assert (change.guid, change.matched_by) == (7, "number") and change.action in ("link", "update")


def test_where_the_listing_stopped_an_email_a_linked_relation_was_synced_with_is_a_conflict() -> None:
    owner = rendered("10004", email="fam@example.nl", number=10004)
    change = by_answer({"10004": link(owner, 4)}).change(rendered("10005", email="fam@example.nl", number=10005))
    assert change.action == "error" and change.involves == "10004"
    assert change.message and change.message.startswith("conflict: shares its e-mail address fam@example.nl")


def test_a_relation_without_number_or_email_is_matched_by_name_and_postal_code() -> None:
    relation = {"RelationGUID": 9, "Name": "Piet 10009", "Address_PostalCode": "1234 AB", "Address_City": "Baarn"}
    result = rendered("10009", Address_PostalCode="1234AB")
    change = planner(listing=[relation]).change(result)
    assert (change.guid, change.matched_by) == (9, "name") and change.action in ("link", "update")
    other = planner(listing=[{**relation, "Address_PostalCode": "9999 ZZ"}]).change(result)
    assert other.action == "create"  # the same name elsewhere is another relation
