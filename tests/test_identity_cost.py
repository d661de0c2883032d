"""What identifying unlinked relations costs: the real CLI against both emulators over sockets, hours simulated.

Silvasoft requests are the scarce resource (15 per hour on the free plan). A listing costs one per 200 relations,
so a run lists only as far as that pays (from the listing mark: what relmap already owns is not listed again), and
a relation with a CustomerNumber or e-mail the listing did not reach is identified by its create's ABORT answer.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import MAPPINGS, CliResult, pass_an_hour

from relmap.sandbox import Sandbox
from relmap.sandbox.harness import sample

BASE = next(r for r in sample("relations") if r["debtor_number"] == "10001")  # a clean consumer


def outsmart(count: int, first: int = 30000, email: bool = True) -> list[dict[str, Any]]:
    """``count`` clean OutSmart consumers with their own debtor numbers (and e-mail addresses)."""
    return [
        {
            **BASE,
            "debtor_number": str(first + n),
            "name": f"Klant {first + n}",
            "contact": f"Dhr. Piet Klant{first + n}",
            "email": f"klant.{first + n}@example.nl" if email else "",
            "phone_number": "",
            "modified_at": f"2024-03-{1 + n % 28:02d} 10:{n % 60:02d}:00",
        }
        for n in range(count)
    ]


def existing(count: int, first: int = 50000) -> list[dict[str, Any]]:
    """Relations a bookkeeper entered in Silvasoft before relmap ever ran (no OutSmart relation is one of them)."""
    return [
        {
            "RelationType": "Private",
            "Name": f"Oud {n}",
            "CustomerNumber": first + n,
            "Relation_Contact": [{"FirstName": "Oud", "LastName": f"Klant {n}", "Email": f"oud.{n}@example.nl"}],
            "createdOn": "2024-01-01T09:00:00",
        }
        for n in range(count)
    ]


class World:
    def __init__(self, box: Sandbox, folder: Path, run_cli: Callable[..., CliResult], mapping: Path) -> None:
        self.box, self.folder, self.run_cli, self.mapping = box, folder, run_cli, mapping
        self.state = folder / "state.db"

    def run(self) -> CliResult:
        report = self.folder / "report.jsonl"
        return self.run_cli("run", str(self.mapping), "--state", str(self.state), "--report", str(report))

    def lines(self) -> dict[str, dict[str, Any]]:
        text = (self.folder / "report.jsonl").read_text(encoding="utf-8")
        return {line["debtor_number"]: line for line in map(json.loads, text.splitlines())}

    def pass_an_hour(self) -> None:
        """As tests/test_sync.py does: the ledger's requests an hour older, and the emulator's window empty."""
        pass_an_hour(self.state)
        self.box.silvasoft.reset_rate_window()

    def converge(self, hours: int) -> tuple[list[int], int]:
        """Run, an hour apart, until a run ends in step; the exit codes, and the hours passed in between."""
        codes, passed = [self.run().code], 0
        while codes[-1] == 3 and passed < hours:
            self.pass_an_hour()
            passed += 1
            codes.append(self.run().code)
        return codes, passed

    def listings(self) -> int:
        return self.box.silvasoft.count(endpoint="listrelations")


@pytest.fixture
def world(
    request: pytest.FixtureRequest, run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., World]]:
    """A world maker: OutSmart relations, Silvasoft's relations from before, a plan size, a mapping edit."""
    boxes: list[Sandbox] = []

    def make(relations: list[dict[str, Any]], before: list[dict[str, Any]], per_hour: int, **replace: str) -> World:
        text = (MAPPINGS / "private-relations.yaml").read_text(encoding="utf-8")
        text = text.replace("requests_per_hour: 15", f"requests_per_hour: {per_hour}")
        for old, new in replace.items():
            assert old in text
            text = text.replace(old, new)
        path = tmp_path / "private.yaml"
        path.write_text(text, encoding="utf-8")
        box = Sandbox(relations=relations, freefields=[], requests_per_hour=per_hour).__enter__()
        boxes.append(box)
        for relation in before:
            box.silvasoft.add(relation)
        for name, value in box.credentials.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("RELMAP_OUTSMART_URL", box.outsmart_url)
        monkeypatch.setenv("RELMAP_SILVASOFT_URL", box.silvasoft_url)
        monkeypatch.setenv("RELMAP_SILVASOFT_PACE", "1000/s")
        return World(box, tmp_path, run_cli, path)

    yield make
    for box in boxes:
        box.__exit__(None, None, None)


def assert_no_duplicates(box: Sandbox) -> None:
    relations = box.silvasoft.relations()
    assert [n for n, c in Counter(r["CustomerNumber"] for r in relations).items() if c > 1] == []
    emails = Counter((r.get("Email") or "").lower() for r in relations if r.get("Email"))
    assert [e for e, c in emails.items() if c > 1] == []


def test_3000_in_silvasoft_16_new_on_the_free_plan_are_created_within_2_hours(world: Callable[..., World]) -> None:
    w = world(outsmart(16), existing(3000), per_hour=15)
    codes, hours = w.converge(hours=4)
    assert codes[-1] == 0, codes
    assert hours <= 1, codes  # the budget of two hours: the first and one more
    assert len(w.box.silvasoft.relations()) == 3016
    assert_no_duplicates(w.box)
    assert w.box.silvasoft.count(endpoint="addprivaterelation") == 16
    assert set(Counter(line["action"] for line in w.lines().values())) == {"created"}  # the last run's share
    # one page per run to see whether listing pays, then the creates: never the 15 pages of a whole listing
    assert w.listings() == len(codes)
    assert w.box.silvasoft.count() == 16 + len(codes)


def test_a_first_sync_over_several_hours_lists_silvasoft_once_plus_the_pages_added_since(
    world: Callable[..., World],
) -> None:
    w = world(outsmart(600), [], per_hour=250)
    codes, hours = w.converge(hours=5)
    assert codes[-1] == 0 and hours == 2, codes  # 600 creates at 250 an hour
    assert len(w.box.silvasoft.relations()) == 600
    assert_no_duplicates(w.box)
    # one listing of what was there (nothing: 1 request), then each later run lists only a page relmap added since;
    # before, every hour listed Silvasoft from offset 0 again (1 + 2 + 3 pages)
    assert w.listings() <= 1 + 600 // 200, w.box.silvasoft.log
    assert w.box.silvasoft.count() == 600 + w.listings()
    w.box.silvasoft.clear_log()
    assert w.run().code == 0 and w.box.silvasoft.count() == 0


def test_an_existing_relation_found_by_a_creates_abort_answer_is_linked_not_duplicated(
    world: Callable[..., World],
) -> None:
    before = existing(400)  # two pages the run does not list: the first shows that listing does not pay
    before.append(
        {
            "RelationType": "Private",
            "Name": "Piet Klant30003",
            "CustomerNumber": 30003,
            "Address_City": "Handmatig",
            "Relation_Contact": [{"FirstName": "Piet", "LastName": "Klant30003"}],
            "createdOn": "2024-01-01T09:00:00",
        }
    )
    w = world(outsmart(5), before, per_hour=1200)
    guid = next(r["RelationGUID"] for r in w.box.silvasoft.relations() if r["CustomerNumber"] == 30003)
    assert w.run().code == 0
    assert w.listings() == 1
    line = w.lines()["30003"]
    assert (line["guid"], line["matched_by"], line["action"]) == (guid, "number", "updated")
    assert (w.box.silvasoft.get(guid) or {}).get("Address_City") == BASE["city"]  # brought in step with OutSmart
    assert len(w.box.silvasoft.relations()) == 401 + 4
    assert_no_duplicates(w.box)
    w.box.silvasoft.clear_log()
    assert w.run().code == 0 and w.box.silvasoft.count() == 0


def test_a_relation_without_number_or_email_still_goes_through_the_whole_listing(
    world: Callable[..., World],
) -> None:
    keyless = outsmart(2, first=40000, email=False)
    w = world(keyless, existing(300), per_hour=1200, **{"      CustomerNumber: debtor_number\n": ""})
    assert w.run().code == 0
    assert w.listings() == 2  # 300 relations: two pages, although none of them is one of these two
    assert Counter(line["action"] for line in w.lines().values()) == {"created": 2}
    assert len(w.box.silvasoft.relations()) == 302


def test_the_dry_run_writes_nothing_and_looks_up_what_its_listing_did_not_reach(world: Callable[..., World]) -> None:
    before = existing(3000)
    before.append(
        {
            "RelationType": "Private",
            "Name": "Piet Klant30003",
            "CustomerNumber": 30003,
            "Relation_Contact": [{"FirstName": "Piet", "LastName": "Klant30003"}],
            "createdOn": "2024-01-01T09:00:00",
        }
    )
    w = world(outsmart(5), before, per_hour=15)
    plan = w.run_cli("run", str(w.mapping), "--state", str(w.state), "--dry-run", "--format", "json")
    assert plan.code == 0, plan.err
    doc = json.loads(plan.out)
    actions = {entry["debtor_number"]: entry["action"] for entry in doc["relations"]}
    assert actions == {"30000": "create", "30001": "create", "30002": "create", "30003": "update", "30004": "create"}
    # one page shows listing does not pay; then one lookup per relation, instead of the 16 pages of a whole listing
    assert w.listings() == w.box.silvasoft.count() == 1 + 5
    assert any("5 unlinked relations were looked up one by one" in note for note in doc["warnings"])
    # the creates and the update, and the one page the run lists too: not the plan's own lookups
    assert (doc["cost"]["requests"], doc["cost"]["hours"]) == (4 + 1 + 1, 1), doc["cost"]
    assert "identity: " in doc["cost"]["text"]
    assert len(w.box.silvasoft.relations()) == 3001


def test_a_new_relation_sharing_an_owned_relations_email_is_a_conflict_without_a_request(
    world: Callable[..., World],
) -> None:
    w = world(outsmart(250), [], per_hour=1200)
    assert w.run().code == 0
    with sqlite3.connect(w.state) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'silvasoft_listing_offset'").fetchone() is None
    db.close()
    assert w.run().code == 0  # nothing unlinked: no listing, and the mark stays where it was
    later = {"modified_at": "2024-12-01 10:00:00"}
    twin = {**outsmart(1, first=39000)[0], **later, "email": "klant.30001@example.nl"}  # 30001's, on page 1
    w.box.outsmart.add(twin)
    w.box.outsmart.add({**outsmart(1, first=39001)[0], **later})
    w.box.silvasoft.clear_log()
    assert w.run().code == 1
    line = w.lines()["39000"]
    assert line["action"] == "failed" and "conflict: shares its e-mail address" in line["error"]
    assert "30001" in line["error"]
    assert w.lines()["39001"]["action"] == "created"
    assert w.box.silvasoft.count(endpoint="addprivaterelation") == 1  # the twin is not sent
    assert w.listings() == 1  # a page of relmap's own relations: listing further does not pay
    with sqlite3.connect(w.state) as db:  # and the next listing starts after it
        assert db.execute("SELECT value FROM meta WHERE key = 'silvasoft_listing_offset'").fetchone() == ("200",)
    db.close()
    assert_no_duplicates(w.box)


def test_on_the_free_plan_relations_without_number_or_email_are_looked_up_by_name(
    world: Callable[..., World],
) -> None:
    keyless = outsmart(2, first=40000, email=False)
    before = existing(3000)
    before.append(
        {
            "RelationType": "Private",
            "Name": "Piet Klant40001",
            "Address_PostalCode": "1234 AB",
            "Relation_Contact": [{"FirstName": "Piet", "LastName": "Klant40001"}],
            "createdOn": "2024-01-01T09:00:00",
        }
    )
    w = world(keyless, before, per_hour=15, **{"      CustomerNumber: debtor_number\n": ""})
    guid = next(r["RelationGUID"] for r in w.box.silvasoft.relations() if r["Name"] == "Piet Klant40001")
    codes, _ = w.converge(hours=2)
    assert codes == [0], codes  # a whole listing (16 pages) would not fit in the hour
    lines = w.lines()
    assert lines["40000"]["action"] == "created"
    assert (lines["40001"]["guid"], lines["40001"]["matched_by"]) == (guid, "name")  # linked, not duplicated
    assert len(w.box.silvasoft.relations()) == 3002
    assert w.box.silvasoft.count() <= 8  # a few pages, one lookup by name each, one create, one update


def test_a_create_answered_with_a_relation_another_owns_is_not_sent_again_until_it_changes(
    world: Callable[..., World],
) -> None:
    w = world(outsmart(250), [], per_hour=1200)
    assert w.run().code == 0
    later = {"modified_at": "2024-12-01 10:00:00"}
    w.box.outsmart.add({**outsmart(1, first=39001)[0], **later})
    assert w.run().code == 0  # a page of relmap's own relations: the mark moves past it
    owned = next(r["RelationGUID"] for r in w.box.silvasoft.relations() if r["CustomerNumber"] == 30001)
    w.box.silvasoft.edit(owned, Email="gedeeld@example.nl")  # edited in Silvasoft by hand, before the mark
    w.box.outsmart.add({**outsmart(1, first=39002)[0], **later, "email": "gedeeld@example.nl"})
    w.box.silvasoft.clear_log()
    assert w.run().code == 1
    line = w.lines()["39002"]
    assert line["action"] == "failed" and f"relation {owned} " in line["error"] and "not linked" in line["error"]
    assert len(w.box.silvasoft.relations()) == 251  # no duplicate, and 30001's relation is not taken over
    w.box.outsmart.edit("39002", latitude="52.1")  # read again, its payload as it was
    w.box.silvasoft.clear_log()
    assert w.run().code == 1
    assert w.box.silvasoft.count(endpoint="addprivaterelation") == 0


def test_relations_deleted_before_the_listing_mark_send_the_listing_back_to_the_start(
    world: Callable[..., World],
) -> None:
    keyless = outsmart(250, first=40000, email=False)
    w = world(keyless, [], per_hour=1200, **{"      CustomerNumber: debtor_number\n": ""})
    assert w.run().code == 0
    later = {"modified_at": "2024-12-01 10:00:00", "email": ""}
    w.box.outsmart.add({**outsmart(1, first=41000)[0], **later})
    assert w.run().code == 0  # lists relmap's 250 (a lookup by name would cost as much): the mark moves to 250
    for guid in [r["RelationGUID"] for r in w.box.silvasoft.relations()][:3]:
        w.box.silvasoft.remove(guid)  # a bookkeeper cleans up: the offsets after them move down by 3
    hand = {"Name": "Piet Klant41001", "Address_PostalCode": "1234 AB", "createdOn": "2024-01-01T09:00:00"}
    guid = w.box.silvasoft.add({"RelationType": "Private", **hand, "Relation_Contact": [{"LastName": "Klant41001"}]})
    w.box.outsmart.add({**outsmart(1, first=41001)[0], **later})  # the relation entered by hand just now
    assert w.run().code == 0
    assert (w.lines()["41001"]["guid"], w.lines()["41001"]["matched_by"]) == (guid, "name")
    assert len(w.box.silvasoft.relations()) == 250 + 1 - 3 + 1


def test_a_full_read_on_the_free_plan_lists_silvasoft_once_across_hours_and_finds_drift(
    world: Callable[..., World],
) -> None:
    w = world(outsmart(16), existing(3000), per_hour=15)
    codes, _ = w.converge(hours=4)
    assert codes[-1] == 0, codes
    with sqlite3.connect(w.state) as db:
        (guid,) = db.execute("SELECT guid FROM links WHERE debtor_number = '30003'").fetchone()
    db.close()
    w.box.silvasoft.edit(guid, Address_City="Elders")  # changed by hand in Silvasoft: a full read must find it
    w.pass_an_hour()
    w.box.silvasoft.clear_log()
    full = w.run_cli("run", str(w.mapping), "--state", str(w.state), "--full", "--report", str(w.folder / "r.jsonl"))
    assert full.code == 3, full.out  # 3,016 relations are 16 pages: more than the hour's 15
    assert "16 pending" in full.out  # not compared with Silvasoft's copy yet: not called unchanged
    assert "the whole listing of Silvasoft has 3,000 relations so far; the next run goes on from there" in full.out
    assert w.listings() == 15
    status = w.run_cli("status", str(w.mapping), "--state", str(w.state))
    assert (
        "Silvasoft listing: a full read is not done comparing with Silvasoft; 3,000 relations listed so far, the "
        "next run goes on from there" in status.out
    ), status.out
    w.pass_an_hour()
    w.box.silvasoft.clear_log()
    again = w.run_cli("run", str(w.mapping), "--state", str(w.state), "--report", str(w.folder / "r.jsonl"))
    assert again.code == 0, again.out  # no --full: the full read is owed until it has compared every relation
    assert w.listings() == 1  # it went on from relation 3,000: 16 listing requests over both hours, one listing
    assert w.box.silvasoft.count(endpoint="updaterelation") == 1
    assert w.box.silvasoft.get(guid)["Address_City"] != "Elders"
    assert_no_duplicates(w.box)
    with sqlite3.connect(w.state) as db:
        assert db.execute("SELECT count(*) FROM listing").fetchone() == (0,)  # dropped once it was whole
    db.close()


def test_a_kept_listing_whose_offsets_moved_starts_over(world: Callable[..., World]) -> None:
    w = world(outsmart(16), existing(3000), per_hour=15)
    codes, _ = w.converge(hours=4)
    assert codes[-1] == 0, codes
    w.pass_an_hour()
    assert w.run_cli("run", str(w.mapping), "--state", str(w.state), "--full").code == 3
    oldest = min(r["RelationGUID"] for r in w.box.silvasoft.relations())
    w.box.silvasoft.remove(oldest)  # deleted in Silvasoft: every offset after it moved by one
    w.pass_an_hour()
    w.box.silvasoft.clear_log()
    again = w.run_cli("run", str(w.mapping), "--state", str(w.state), "--full")
    assert again.code == 3, again.out  # the kept pages cannot be trusted: listed again from offset 0
    assert w.listings() == 15  # one to find the kept relations moved, then 14 pages from offset 0
    assert "the whole listing of Silvasoft has 2,800 relations so far; the next run goes on from there" in again.out


def test_a_first_sync_into_an_account_that_holds_the_relations_already_links_them_within_its_first_hour(
    world: Callable[..., World],
) -> None:
    # The bookkeeper keyed in all 700 relations before relmap (with another city); the plan allows 3 an hour, so
    # the first hour's listing ends after 600: those are linked all the same, their updates wait for later hours.
    relations = outsmart(700)
    before = [
        {
            "RelationType": "Private",
            "Name": r["name"],
            "CustomerNumber": int(r["debtor_number"]),
            "Relation_Contact": [{"FirstName": "Piet", "LastName": f"Klant{r['debtor_number']}"}],
            "Address_City": "Elders",
            "createdOn": "2024-01-01T09:00:00",
        }
        for r in relations
    ]
    w = world(relations, before, per_hour=3)
    assert w.run().code == 3
    with sqlite3.connect(w.state) as db:
        links = db.execute("SELECT count(*), min(payload_hash IS NOT NULL) FROM links").fetchone()
        mark = db.execute("SELECT value FROM meta WHERE key = 'silvasoft_listing_offset'").fetchone()
    db.close()
    assert links == (600, 1)  # linked, with Silvasoft's values as the last synced: no listing needed to update
    assert mark == ("600",)  # the next listing goes on after them
    w.pass_an_hour()
    w.box.silvasoft.clear_log()
    assert w.run().code == 3
    log = [entry.endpoint for entry in w.box.silvasoft.log]
    assert log == ["listrelations", "updaterelation", "updaterelation"], log  # one page from 600 on: the last 100
    assert len(w.box.silvasoft.relations()) == 700


def test_an_unconfirmed_update_on_a_big_account_is_sent_again_not_settled_by_a_listing(
    world: Callable[..., World],
) -> None:
    w = world(outsmart(16), existing(3000), per_hour=15)
    codes, _ = w.converge(hours=4)
    assert codes[-1] == 0, codes
    w.pass_an_hour()
    w.box.outsmart.edit("30003", city="Hilversum")
    w.box.silvasoft.faults.inject("drop_after_write", count=5, path="updaterelation")  # every retry: unknown outcome
    assert w.run().code == 3
    w.pass_an_hour()
    w.box.silvasoft.clear_log()
    assert w.run().code == 0
    assert [entry.endpoint for entry in w.box.silvasoft.log] == ["updaterelation"]  # no listing of 3,016 relations
    assert w.run().code == 0  # confirmed now: in step
