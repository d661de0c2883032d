"""The SQLite sync state: opening checks and the lock, links, failures, intents, the ledger and run history."""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import os
import random
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from relmap.errors import StateError
from relmap.state.store import SCHEMA_VERSION, Intent, Link, State, canonical, default_path, payload_hash

PAYLOAD: dict[str, Any] = {
    "CustomerNumber": 10001,
    "Relation_Contact": [{"FirstName": "Piet", "LastName": "van der Berg", "Email": "p@example.nl"}],
    "Address_City": "Loosdrecht",
}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / ".relmap" / "mapping.db"


@pytest.fixture
def state(path: Path) -> Iterator[State]:
    with State(path, "account-a") as opened:
        yield opened


def save(state: State, debtor: str, guid: int, payload: dict[str, Any] | None = PAYLOAD, **kw: Any) -> None:
    args: dict[str, Any] = {
        "customer_number": 10001,
        "route": "private",
        "endpoint": "addprivaterelation",
        "payload": payload,
        "matched_by": "new",
    }
    state.save_link(debtor, guid, **{**args, **kw})


def lock_is_free(path: Path) -> bool:
    with open(f"{path}.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


# -- opening -----------------------------------------------------------------------------------------------------
def test_a_new_state_creates_its_folder_and_records_version_and_target(path: Path) -> None:
    with State(path, "account-a") as state:
        assert path.is_file()
        assert state.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert state.get_meta("target") == "account-a"
        assert state.links() == {}
        assert state.intents() == []


def test_meta_values_can_be_set_replaced_and_removed(state: State) -> None:
    state.set_meta("watermark", "2025-01-01 00:00:00")
    state.set_meta("watermark", "2025-02-01 00:00:00")
    assert state.get_meta("watermark") == "2025-02-01 00:00:00"
    state.set_meta("watermark", None)
    assert state.get_meta("watermark") is None


def test_everything_saved_is_there_after_reopening(path: Path) -> None:
    with State(path, "account-a") as state:
        save(state, "10001", 4000001, {"Name": "Café Ünïcode", "n": 1})
        state.set_meta("watermark", "w")
    with State(path, "account-a") as state:
        link = state.link("10001")
        assert link is not None
        assert link.payload == {"Name": "Café Ünïcode", "n": 1}
        assert state.get_meta("watermark") == "w"


def test_another_target_is_refused_and_leaves_the_state_usable(path: Path) -> None:
    with State(path, "account-a") as state:
        save(state, "10001", 4000001)
    with pytest.raises(StateError, match="another Silvasoft account or URL") as caught:
        State(path, "account-b")
    assert str(path) in str(caught.value)
    assert lock_is_free(path)
    with State(path, "account-a") as state:
        assert state.get_meta("target") == "account-a"
        assert list(state.links()) == ["10001"]


def test_a_state_written_by_a_newer_relmap_is_refused(path: Path) -> None:
    with State(path, "account-a") as state:
        state.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(StateError, match=rf"written by a newer relmap \(state version {SCHEMA_VERSION + 1}\)"):
        State(path, "account-a")
    assert lock_is_free(path)
    with sqlite3.connect(path) as db:  # refused without touching it
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(SCHEMA_VERSION + 1),
        )
    db.close()


def test_a_second_state_on_the_same_file_is_refused_while_the_first_is_open(path: Path) -> None:
    with State(path, "account-a") as first:
        with pytest.raises(StateError, match="another relmap run is using"):
            State(path, "account-a")
        save(first, "10001", 4000001)  # the first one is unaffected
        assert not lock_is_free(path)
    assert lock_is_free(path)
    with State(path, "account-a") as again:
        assert again.link("10001") is not None


def test_close_twice_is_harmless(path: Path) -> None:
    state = State(path, "account-a")
    state.close()
    state.close()
    assert lock_is_free(path)


@pytest.fixture
def corrupt(path: Path) -> Path:
    path.parent.mkdir(parents=True)
    path.write_bytes(random.Random(5).randbytes(8192))
    return path


def test_a_corrupt_file_is_a_state_error_not_a_traceback(corrupt: Path) -> None:
    with pytest.raises(StateError) as caught:
        State(corrupt, "account-a")
    assert str(caught.value) == f"{corrupt}: not a relmap state database (file is not a database)"
    assert caught.value.__suppress_context__
    assert lock_is_free(corrupt)


def open_files(path: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_a_corrupt_file_is_not_left_open(corrupt: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # Python 3.13 warns of an unclosed sqlite connection
        with pytest.raises(StateError):
            State(corrupt, "account-a")
        left_open = open_files(corrupt)
        gc.collect()
    assert left_open == []


def test_another_programs_sqlite_file_is_a_state_error(path: Path) -> None:
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (name TEXT, created TEXT)")
    db.commit()
    db.close()
    raised: type[BaseException] | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # keep the leak (if any) out of the other tests
        try:
            State(path, "account-a")
        except Exception as exc:
            raised = type(exc)
        gc.collect()
    assert raised is StateError
    assert lock_is_free(path)


def test_default_path_is_beside_the_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "maps" / "klanten.yaml"
    assert default_path(mapping) == tmp_path / "maps" / ".relmap" / "klanten.db"
    assert default_path(str(mapping), sandbox=True) == tmp_path / "maps" / ".relmap" / "klanten.sandbox.db"


# -- links -------------------------------------------------------------------------------------------------------
def test_payload_hash_ignores_key_order_and_keeps_unicode() -> None:
    one = {"b": [1, {"y": "é", "x": None}], "a": True}
    two = {"a": True, "b": [1, {"x": None, "y": "é"}]}
    assert canonical(one) == '{"a":true,"b":[1,{"x":null,"y":"é"}]}'
    assert payload_hash(one) == payload_hash(two) == hashlib.sha256(canonical(one).encode()).hexdigest()
    assert payload_hash(one) != payload_hash({**one, "a": False})


def test_save_link_stores_every_field(state: State) -> None:
    save(state, "10001", 4000001)
    expected = Link(
        "10001", 4000001, 10001, "private", "addprivaterelation", PAYLOAD, payload_hash(PAYLOAD), "new", False
    )
    assert state.link("10001") == expected
    assert state.links() == {"10001": expected}
    assert state.guid_owner(4000001) == "10001"
    assert state.guid_owner(4000002) is None
    assert state.link("10002") is None


def test_a_link_without_payload_or_number(state: State) -> None:
    state.save_link(
        "A-7", 4000009, customer_number=None, route=None, endpoint=None, payload=None, matched_by="recovered"
    )
    assert state.link("A-7") == Link("A-7", 4000009, None, None, None, None, None, "recovered", False)


def test_saving_again_with_the_same_guid_updates_and_keeps_written_back(state: State) -> None:
    save(state, "10001", 4000001)
    state.mark_written_back(["10001"])
    assert state.link("10001").written_back is True  # type: ignore[union-attr]
    changed = {**PAYLOAD, "Address_City": "Utrecht"}
    save(state, "10001", 4000001, changed, customer_number=10002, route="business", endpoint="addbusinessrelation")
    link = state.link("10001")
    assert link is not None
    assert (link.guid, link.customer_number, link.route, link.endpoint) == (
        4000001,
        10002,
        "business",
        "addbusinessrelation",
    )
    assert (link.payload, link.payload_hash) == (changed, payload_hash(changed))
    assert link.written_back is True
    assert len(state.links()) == 1


def test_relinking_to_another_guid_resets_written_back(state: State) -> None:
    save(state, "10001", 4000001)
    state.mark_written_back(["10001"])
    save(state, "10001", 4000077)
    link = state.link("10001")
    assert link is not None
    assert link.guid == 4000077
    assert link.written_back is False
    assert state.guid_owner(4000001) is None
    assert state.guid_owner(4000077) == "10001"


def test_mark_written_back_touches_only_the_named_links(state: State) -> None:
    save(state, "1", 11)
    save(state, "2", 12)
    save(state, "3", 13)
    state.mark_written_back(["1", "3", "unknown"])
    assert {d: link.written_back for d, link in state.links().items()} == {"1": True, "2": False, "3": True}


def test_a_guid_links_one_relation_only_and_a_refused_save_changes_nothing(state: State) -> None:
    save(state, "10001", 4000001)
    state.save_failure("10002", {"x": 1}, "refused before", None)
    intent = state.open_intent("10002", "create", "addprivaterelation", {"x": 2}, None)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        save(state, "10002", 4000001, intent=intent)
    assert list(state.links()) == ["10001"]
    assert state.guid_owner(4000001) == "10001"
    assert state.failure("10002") == (payload_hash({"x": 1}), "refused before")  # rolled back as a whole
    assert [i.id for i in state.intents()] == [intent]
    save(state, "10003", 4000003)  # and the connection is out of the failed transaction
    assert state.link("10003") is not None


def test_forget_payload_keeps_the_last_confirmed_payload_but_marks_it_unconfirmed(state: State) -> None:
    save(state, "10001", 4000001)
    state.mark_written_back(["10001"])
    state.forget_payload("10001")
    assert state.link("10001") == Link(
        "10001", 4000001, 10001, "private", "addprivaterelation", PAYLOAD, None, "new", True
    )
    state.forget_payload("nobody")  # no link: nothing happens
    assert len(state.links()) == 1


# -- failures ----------------------------------------------------------------------------------------------------
def test_failures_are_saved_replaced_and_cleared_by_a_link(state: State) -> None:
    assert state.failure("10001") is None
    state.save_failure("10001", {"Email": "bad"}, "Email must be valid", None)
    assert state.failure("10001") == (payload_hash({"Email": "bad"}), "Email must be valid")
    state.save_failure("10001", {"Email": "worse"}, "still bad", None)
    assert state.failure("10001") == (payload_hash({"Email": "worse"}), "still bad")
    save(state, "10001", 4000001)
    assert state.failure("10001") is None


def test_save_failure_closes_its_intent(state: State) -> None:
    kept = state.open_intent("10002", "update", "updaterelation", {"Phone": "1"}, 4000002)
    closed = state.open_intent("10001", "create", "addprivaterelation", {"Email": "bad"}, None)
    state.save_failure("10001", {"Email": "bad"}, "refused", closed)
    assert [i.id for i in state.intents()] == [kept]


# -- intents -----------------------------------------------------------------------------------------------------
def test_intents_are_listed_in_order_with_their_payloads(state: State) -> None:
    first = state.open_intent("10001", "create", "addprivaterelation", {"Name": "Café"}, None)
    second = state.open_intent("10002", "update", "updaterelation", {"Phone": "06"}, 4000002)
    assert second > first > 0
    intents = state.intents()
    assert [(i.id, i.debtor_number, i.action, i.endpoint, i.guid, i.payload) for i in intents] == [
        (first, "10001", "create", "addprivaterelation", None, {"Name": "Café"}),
        (second, "10002", "update", "updaterelation", 4000002, {"Phone": "06"}),
    ]
    assert all(isinstance(i, Intent) and i.started_at > 0 for i in intents)


def test_close_intent_closes_only_that_intent(state: State) -> None:
    first = state.open_intent("10001", "create", "addprivaterelation", {}, None)
    second = state.open_intent("10002", "create", "addprivaterelation", {}, None)
    state.close_intent(first)
    assert [i.id for i in state.intents()] == [second]
    state.close_intent(first)  # closing twice is harmless
    assert [i.id for i in state.intents()] == [second]


def test_save_link_with_an_intent_closes_it_in_the_same_step(path: Path) -> None:
    with State(path, "account-a") as state:
        other = state.open_intent("10002", "create", "addprivaterelation", {"n": 2}, None)
        intent = state.open_intent("10001", "create", "addprivaterelation", {"n": 1}, None)
        save(state, "10001", 4000001, intent=intent)
        assert [i.id for i in state.intents()] == [other]
    with State(path, "account-a") as state:  # committed, not only visible to this connection
        assert [i.debtor_number for i in state.intents()] == ["10002"]
        assert state.link("10001") is not None


def test_open_intents_survive_a_run_that_never_closed_them(path: Path) -> None:
    with State(path, "account-a") as state:
        state.open_intent("10001", "create", "addbusinessrelation", {"Name": "X B.V."}, None)
    with State(path, "account-a") as state:
        assert [(i.debtor_number, i.endpoint, i.payload) for i in state.intents()] == [
            ("10001", "addbusinessrelation", {"Name": "X B.V."})
        ]


# -- ledger ------------------------------------------------------------------------------------------------------
def test_ledger_since_is_inclusive_and_ordered(state: State) -> None:
    for at in (300.0, 100.0, 200.0, 200.0):
        state.record_request(at, "listrelations")
    assert state.ledger_since(0) == [100.0, 200.0, 200.0, 300.0]
    assert state.ledger_since(200.0) == [200.0, 200.0, 300.0]
    assert state.ledger_since(300.5) == []


def test_prune_ledger_removes_only_older_entries(state: State) -> None:
    for at in (100.0, 200.0, 300.0):
        state.record_request(at, "updaterelation")
    state.prune_ledger(200.0)
    assert state.ledger_since(0) == [200.0, 300.0]
    rows = state.db.execute("SELECT at, endpoint FROM ledger ORDER BY at").fetchall()
    assert rows == [(200.0, "updaterelation"), (300.0, "updaterelation")]


# -- runs --------------------------------------------------------------------------------------------------------
def test_runs_are_recorded_with_outcome_counts_and_requests(state: State) -> None:
    first = state.start_run("run")
    second = state.start_run("dry-run")
    assert second == first + 1
    state.finish_run(first, "ok", {"created": 2, "updated": 1}, 5)
    rows = state.db.execute("SELECT id, mode, outcome, counts, requests, started_at, finished_at FROM runs").fetchall()
    by_id = {row[0]: row for row in rows}
    _, mode, outcome, counts, requests, started, finished = by_id[first]
    assert (mode, outcome, json.loads(counts), requests) == ("run", "ok", {"created": 2, "updated": 1}, 5)
    assert counts == '{"created": 2, "updated": 1}'
    assert finished >= started > 0
    assert by_id[second][1:5] == ("dry-run", None, None, None)
    assert by_id[second][6] is None
