"""``relmap run`` end to end against a Silvasoft emulator answering in each shape the docs allow, faults or not.

AddPrivateRelation answers "the details of the relation" in ListRelations' format (a JSON array); an object is
what other clients met; an empty body means nothing was created or updated. Whichever Silvasoft sends, the sync
creates each relation once, updates what changed, links what was there, and costs nothing when nothing changed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, pass_an_hour, writes

from relmap.http import RetryPolicy
from relmap.sandbox import Faults, Sandbox
from relmap.sandbox.harness import sample

# Private and business relations that the shipped business-routing mapping syncs without a complaint.
PICKED = ("10001", "10002", "10003", "10004", "10006", "10007", "10009", "10011")
FORMS = {
    "array": ("array", None),
    "object": ("object", None),
    "array-empty": ("array", ""),
    "object-empty-object": ("object", "{}"),
    "array-null": ("array", "null"),
}
KINDS = ("ratelimit", "error", "drop", "drop_after_write", "bad_request")
SWITCHES = ("OnExistingRelationEmail", "OnExistingRelationNumber", "OnExistingRelationName")
NEW = {
    "debtor_number": "20001",
    "name": "Nieuwe Klant",
    "contact": "Nina Nieuw",
    "email": "nina@example.nl",
    "street": "Dorpsstraat",
    "house_number": "1",
    "postal_code": "1234AB",
    "city": "Baarn",
    "country": "NL",
    "debtor_type": "customer",
    "active": "1",
}


@dataclass
class World:
    box: Sandbox
    run: Callable[..., CliResult]
    report: Path

    @property
    def silvasoft(self) -> Any:
        return self.box.silvasoft

    def lines(self) -> dict[str, dict[str, Any]]:
        found = [json.loads(line) for line in self.report.read_text(encoding="utf-8").splitlines()]
        return {line["debtor_number"]: line for line in found}

    def actions(self) -> Counter[str]:
        return Counter(line["action"] for line in self.lines().values())

    def guid(self, number: int) -> int:
        return int(next(r["RelationGUID"] for r in self.silvasoft.relations() if r["CustomerNumber"] == number))


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    run_cli: Callable[..., CliResult],
    mapping: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    """The picked sample relations in OutSmart, an empty Silvasoft answering in the form ``request.param`` names."""
    answer_form, empty_answer = FORMS[getattr(request, "param", "array")]
    relations = [r for r in sample("relations") if r["debtor_number"] in PICKED]
    path = mapping(**{"requests_per_hour: 300": "requests_per_hour: 1200"})
    report = tmp_path / "report.jsonl"
    policy = RetryPolicy(attempts=5, base=0.001, cap=0.01)  # the same retries, with millisecond backoff
    monkeypatch.setattr("relmap.targets.silvasoft.RetryPolicy", lambda: policy)
    with Sandbox(
        relations=relations,
        silvasoft_faults=Faults(seed=11),
        silvasoft_answer_form=answer_form,
        silvasoft_empty_answer=empty_answer,
    ) as box:
        for name, value in box.credentials.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("RELMAP_OUTSMART_URL", box.outsmart_url)
        monkeypatch.setenv("RELMAP_SILVASOFT_URL", box.silvasoft_url)
        monkeypatch.setenv("RELMAP_SILVASOFT_PACE", "1000/s")

        def run(*extra: str, state: str = "state.db") -> CliResult:
            argv = ["run", str(path), "--state", str(tmp_path / state), "--report", str(report), *extra]
            return run_cli(*argv, cwd=tmp_path)

        yield World(box, run, report)
        assert box.silvasoft.failures == []


def stored(body: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A create's body as Silvasoft stores it: the relation someone else made just before relmap's create."""
    return {**{k: v for k, v in body.items() if k not in SWITCHES}, **more}


def assert_once_each(world: World, count: int) -> None:
    """Silvasoft holds ``count`` relations: no customer number or e-mail twice, none lost."""
    relations = world.silvasoft.relations()
    assert len(relations) == count
    assert max(Counter(r["CustomerNumber"] for r in relations).values()) == 1
    assert max(Counter((r.get("Email") or "").lower() for r in relations if r.get("Email")).values()) == 1


def race(world: World) -> None:
    """OutSmart gets relation 20001; Silvasoft gets it too, from elsewhere, after relmap's listing and before its
    create, so the create meets an existing relation (returned as it is, or an empty answer)."""
    world.box.outsmart.add(NEW)
    before = lambda body: world.silvasoft.add(stored(body, createdOn="2025-06-01T12:00:00"))  # noqa: E731
    world.silvasoft.script("addprivaterelation", before=before)


@pytest.mark.parametrize("world", list(FORMS), indirect=True)
def test_the_whole_sync_in_each_answer_form(world: World) -> None:
    empty = world.silvasoft.empty_answer is not None
    first = world.run()
    assert first.code == 0, first.out + first.err
    assert world.actions() == {"created": len(PICKED)}
    assert_once_each(world, len(PICKED))
    assert writes(world.box) == len(PICKED) and world.silvasoft.count("listrelations") == 1
    assert all(line["guid"] == world.guid(int(debtor)) for debtor, line in world.lines().items())

    world.silvasoft.clear_log()
    assert world.run().code == 0 and world.silvasoft.count() == 0  # nothing changed: nothing sent

    world.box.outsmart.edit("10001", city="Hilversum")  # an edit in OutSmart is an update
    assert world.run().code == 0
    assert world.lines()["10001"]["action"] == "updated" and world.silvasoft.count() == 1
    assert world.silvasoft.get(world.guid(10001))["Address_City"] == "Hilversum"

    world.silvasoft.clear_log()  # the same edit on both sides: Silvasoft has nothing to update
    world.silvasoft.edit(world.guid(10003), Address_City="Zeist")
    world.box.outsmart.edit("10003", city="Zeist")
    assert world.run().code == 0
    line = world.lines()["10003"]
    if empty:  # an empty answer, then one look by GUID: Silvasoft holds these values already
        assert (line["action"], world.silvasoft.count("updaterelation"), world.silvasoft.count()) == ("unchanged", 1, 2)
        assert "Silvasoft holds these values already" in line["error"]
    else:
        assert (line["action"], world.silvasoft.count()) == ("updated", 1)

    world.silvasoft.clear_log()
    race(world)
    result = world.run()
    assert result.code == 0, result.out
    line = world.lines()["20001"]
    assert (line["action"], line["matched_by"], line["guid"]) == ("linked", "number", world.guid(20001))
    assert world.silvasoft.count("addprivaterelation") == 1
    assert world.silvasoft.count("listrelations") == 1 + empty  # an empty answer is looked up, once
    assert_once_each(world, len(PICKED) + 1)

    world.silvasoft.clear_log()
    assert world.run().code == 0 and world.silvasoft.count() == 0

    fresh = world.run(state="fresh.db")  # relations already in Silvasoft are linked, not created again
    assert fresh.code == 0, fresh.out
    assert world.actions() == {"linked": len(PICKED) + 1} and writes(world.box) == 0
    assert world.silvasoft.count() == world.silvasoft.count("listrelations") == 1


def converge(world: World, limit: int) -> list[int]:
    """Run until a run ends in step (exit 0); the exit codes of the runs it took. Between two runs the hour a
    "Ratelimit exceeded" asks for passes (a run started within it sends nothing, as it should)."""
    codes: list[int] = []
    while len(codes) < limit and (not codes or codes[-1] != 0):
        codes.append(world.run().code)
        _hour_passes(world)
    return codes


def _hour_passes(world: World) -> None:
    pass_an_hour(world.report.parent / "state.db")


@pytest.mark.parametrize("rate", [0.2, 0.4])
@pytest.mark.parametrize("world", ["array", "object", "array-empty"], indirect=True)
def test_the_sync_converges_under_faults_in_each_answer_form(world: World, rate: float) -> None:
    faults = world.silvasoft.faults
    share = rate / 5  # 500s, drops before and after the write, a 400 with no body, 401 "Ratelimit exceeded"
    faults.error_rate = faults.drop_rate = faults.drop_after_write_rate = share
    faults.bad_request_rate = faults.ratelimit_rate = share
    for kind in KINDS:  # one of each for sure, whatever the dice say, the first writes' and listings' turn
        faults.inject(kind, path="relation")
    codes = converge(world, limit=40)
    assert codes[-1] == 0, codes
    world.box.outsmart.edit("10001", city="Hilversum")
    race(world)
    codes += converge(world, limit=40)
    assert codes[-1] == 0, codes
    fired = Counter(entry.fault for entry in world.silvasoft.log if entry.fault)
    assert set(fired) == set(KINDS), fired

    faults.error_rate = faults.drop_rate = faults.drop_after_write_rate = 0.0
    faults.bad_request_rate = faults.ratelimit_rate = 0.0
    world.silvasoft.clear_log()
    final = world.run("--full")  # compared with Silvasoft's own copy of every relation
    assert final.code == 0, final.out
    assert world.actions() == {"unchanged": len(PICKED) + 1} and writes(world.box) == 0
    assert_once_each(world, len(PICKED) + 1)
    assert world.silvasoft.get(world.guid(10001))["Address_City"] == "Hilversum"
    world.silvasoft.clear_log()
    assert world.run().code == 0 and world.silvasoft.count() == 0


# == answers relmap resolves with one look =========================================================================
def created_guid(world: World, debtor: str) -> int | None:
    guid = world.lines()[debtor]["guid"]
    return int(guid) if guid is not None else None


def test_a_create_answered_with_several_relations_takes_its_own(world: World) -> None:
    other = world.silvasoft.add({"Name": "Ander B.V.", "CustomerNumber": 7})
    world.silvasoft.script("addprivaterelation", reshape=lambda answer: [world.silvasoft.get(other), *answer])
    assert world.run().code == 0
    assert created_guid(world, "10001") == world.guid(10001) != other
    assert world.actions() == {"created": len(PICKED)}


def test_a_create_answered_with_several_strangers_is_pending_and_found_next_run(world: World) -> None:
    strangers = [world.silvasoft.add({"Name": f"Ander {n} B.V.", "CustomerNumber": 7 + n}) for n in range(2)]
    world.silvasoft.script("addprivaterelation", reshape=lambda answer: [world.silvasoft.get(g) for g in strangers])
    first = world.run()
    assert first.code == 3
    line = world.lines()["10001"]
    assert line["action"] == "pending" and "the answer holds 2 relations" in line["error"]
    world.silvasoft.clear_log()
    assert world.run().code == 0  # the open intent is settled from the listing: linked, not created again
    assert world.lines()["10001"]["action"] == "unchanged" and writes(world.box) == 0
    assert_once_each(world, len(PICKED) + 2)


def test_a_create_answered_without_a_guid_is_looked_up(world: World) -> None:
    world.silvasoft.script(
        "addprivaterelation", reshape=lambda answer: [{k: v for k, v in answer[0].items() if k != "RelationGUID"}]
    )
    assert world.run().code == 0
    line = world.lines()["10001"]
    assert (line["action"], line["guid"]) == ("created", world.guid(10001))
    assert world.silvasoft.count("listrelations") == 2  # the run's listing, and one look by number


@pytest.mark.parametrize("world", ["array-empty"], indirect=True)
def test_an_empty_create_answer_with_nothing_there_is_an_error_not_sent_again(world: World) -> None:
    world.silvasoft.script("addbusinessrelation", reshape=lambda answer: b"")  # Silvasoft says: nothing created
    world.silvasoft.script("listrelations", reshape=lambda answer: answer)  # the run's own listing
    world.silvasoft.script("listrelations", reshape=lambda answer: b"{}")  # and the look finds nothing
    first = world.run()
    assert first.code == 1
    line = world.lines()["10002"]
    assert line["action"] == "failed" and "answered that it created nothing" in line["error"]
    assert "finds none with its CustomerNumber or e-mail" in line["error"] and "OnExistingRelationName" in line["error"]
    world.silvasoft.clear_log()
    world.box.outsmart.edit("10002", remark="gezien")  # read again, its payload as it was
    assert world.run().code == 1 and writes(world.box) == 0  # not created a second time
    assert world.lines()["10002"]["action"] == "failed"


@pytest.mark.parametrize("world", ["array-empty"], indirect=True)
def test_an_update_of_a_relation_deleted_in_silvasoft_says_so(world: World) -> None:
    assert world.run().code == 0
    world.silvasoft.remove(world.guid(10001))
    world.box.outsmart.edit("10001", city="Hilversum")
    world.silvasoft.clear_log()
    assert world.run().code == 1
    line = world.lines()["10001"]
    assert line["action"] == "failed" and "does not find it (deleted there?)" in line["error"]
    assert world.silvasoft.count() == 2  # the update, and one look by GUID
    world.silvasoft.clear_log()
    world.box.outsmart.edit("10001", remark="gezien")  # read again, its payload as it was
    assert world.run().code == 1 and world.silvasoft.count() == 0  # not sent again until the relation changes


@pytest.mark.parametrize("world", ["array-empty"], indirect=True)
def test_an_update_answered_empty_though_values_differ_is_an_error(world: World) -> None:
    assert world.run().code == 0
    guid = world.guid(10001)
    world.box.outsmart.edit("10001", city="Hilversum")
    world.silvasoft.script("updaterelation", reshape=lambda answer: b"")
    world.silvasoft.script("listrelations", reshape=lambda answer: [{**answer[0], "Address_City": "Loosdrecht"}])
    assert world.run().code == 1
    line = world.lines()["10001"]
    assert line["action"] == "failed" and line["guid"] == guid
    assert "yet holds other values for Address_City (refused without saying why)" in line["error"]


def test_a_bare_400_on_a_write_is_sent_again_next_run(world: World) -> None:
    world.silvasoft.faults.inject("bad_request", 1, "addbusinessrelation")
    assert world.run().code == 3
    line = world.lines()["10002"]
    assert line["action"] == "pending" and "without Silvasoft's error message" in line["error"]
    assert world.run().code == 0 and world.lines()["10002"]["action"] == "created"
    assert_once_each(world, len(PICKED))


@pytest.mark.parametrize("message", ["Relation already exists", "Relatie met dit e-mailadres bestaat al"])
def test_a_create_refused_as_already_existing_is_looked_up_and_linked(world: World, message: str) -> None:
    assert world.run().code == 0  # the picked relations synced; then 20001 meets a relation made elsewhere
    world.silvasoft.clear_log()
    world.silvasoft.existing_refused = message  # a 400 instead of the existing relation, as some clients met
    race(world)
    result = world.run()
    assert result.code == 0, result.out
    line = world.lines()["20001"]
    assert (line["action"], line["guid"]) == ("linked", world.guid(20001))
    assert world.silvasoft.count("addprivaterelation") == 1
    assert world.silvasoft.count("listrelations") == 2  # the run's listing, and one look by number
    assert_once_each(world, len(PICKED) + 1)
    world.silvasoft.clear_log()
    assert world.run().code == 0 and world.silvasoft.count() == 0  # linked: in step, and no open problem


def test_a_refusal_that_does_not_say_already_exists_stays_a_refusal(world: World) -> None:
    assert world.run().code == 0
    world.silvasoft.clear_log()
    world.silvasoft.existing_refused = "CustomerNumber is invalid"
    race(world)
    assert world.run().code == 1
    line = world.lines()["20001"]
    assert line["action"] == "failed" and "CustomerNumber is invalid" in line["error"]
    assert world.silvasoft.count("listrelations") == 1  # no look-up for a real refusal


def test_a_relation_made_by_hand_half_an_hour_ago_in_dutch_time_is_not_taken_for_the_one_relmap_created(
    world: World,
) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    assert world.run().code == 0
    world.silvasoft.clear_log()
    # createdOn without a zone, in Dutch time: read as UTC it would lie in the future, after relmap's create.
    local = (datetime.now(ZoneInfo("Europe/Amsterdam")) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S")
    world.box.outsmart.add(NEW)
    made = lambda body: world.silvasoft.add(stored(body, createdOn=local, Address_City="Elders"))  # noqa: E731
    world.silvasoft.script("addprivaterelation", before=made)
    assert world.run().code == 0
    line = world.lines()["20001"]
    assert (line["action"], line["guid"]) == ("updated", world.guid(20001))  # linked, and its city set right
    assert world.silvasoft.get(world.guid(20001))["Address_City"] != "Elders"
    assert_once_each(world, len(PICKED) + 1)


@pytest.mark.parametrize("created", ["five minutes ago, with its zone", "missing", "zero"])
def test_a_relation_made_by_hand_just_before_or_without_a_time_is_told_apart_by_its_values(
    world: World, created: str
) -> None:
    from datetime import UTC, datetime, timedelta

    assert world.run().code == 0
    world.silvasoft.clear_log()
    stamp = {
        "five minutes ago, with its zone": (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "missing": None,
        "zero": "0000-00-00 00:00:00",
    }[created]
    world.box.outsmart.add(NEW)

    def made(body: dict[str, Any]) -> None:
        guid = world.silvasoft.add(stored(body, Address_City="Elders"))
        world.silvasoft.edit(guid, createdOn=stamp)

    world.silvasoft.script("addprivaterelation", before=made)
    assert world.run().code == 0
    line = world.lines()["20001"]
    assert (line["action"], line["guid"]) == ("updated", world.guid(20001))
    assert world.silvasoft.get(world.guid(20001))["Address_City"] != "Elders"


def test_retry_failed_resends_a_refused_relation_that_did_not_change_in_outsmart(world: World) -> None:
    assert world.run().code == 0
    world.silvasoft.existing_refused = "CustomerNumber is invalid"  # refused with Silvasoft's errorCode
    race(world)
    assert world.run().code == 1
    world.silvasoft.existing_refused = None  # mended on Silvasoft's side; nothing changed in OutSmart
    world.silvasoft.clear_log()
    assert world.run().code == 1 and writes(world.box) == 0  # a refusal is not sent again by itself
    retried = world.run("--retry-failed")
    assert retried.code == 0, retried.out
    assert world.lines()["20001"]["action"] in ("linked", "updated")  # found by its number this time
    assert world.silvasoft.count("addprivaterelation") == 0
    assert_once_each(world, len(PICKED) + 1)


def test_only_names_what_it_cannot_find_and_keeps_open_problems_in_its_exit_code(world: World) -> None:
    assert world.run().code == 0
    world.silvasoft.existing_refused = "CustomerNumber is invalid"
    race(world)
    assert world.run().code == 1
    only = world.run("--only", "10001", "99999")
    assert only.code == 1, only.out  # 20001 is still not in step
    assert "--only 99999: no such relation in OutSmart" in only.err
    assert world.lines()["20001"]["action"] == "failed"
    assert world.lines()["10001"]["action"] == "unchanged"  # read although it did not change
