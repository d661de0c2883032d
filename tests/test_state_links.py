"""The links table as a run reads it: one row per relation the run asks about, snapshots, and the check on opening."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult

import relmap.state.links
from relmap.errors import StateError
from relmap.sandbox import Sandbox
from relmap.state.store import Link, State, payload_hash

PAYLOAD: dict[str, Any] = {"CustomerNumber": 1, "Relation_Contact": [{"LastName": "Berg", "Email": "b@example.nl"}]}


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    with State(tmp_path / "state.db", "account-a") as opened:
        yield opened


def save(state: State, debtor: str, guid: int, payload: dict[str, Any] = PAYLOAD) -> None:
    state.save_link(debtor, guid, customer_number=None, route=None, endpoint=None, payload=payload, matched_by="new")


@pytest.fixture
def rows_read(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each link row was turned into a Link (by debtor number)."""
    counted: Counter[str] = Counter()
    real = relmap.state.links.link_of

    def counting(row: tuple[Any, ...]) -> Link:
        counted[str(row[0])] += 1
        return real(row)

    monkeypatch.setattr(relmap.state.links, "link_of", counting)
    return counted


def report(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "report.jsonl").read_text(encoding="utf-8").splitlines()]


# -- what a run reads ---------------------------------------------------------------------------------------------
def test_a_run_reads_the_link_of_each_relation_it_read_once(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path, rows_read: Counter[str]
) -> None:
    sync()
    linked = {line["debtor_number"] for line in report(tmp_path) if line["action"] == "created"}
    sandbox.outsmart.edit("10001", city="Hilversum")
    rows_read.clear()
    again = sync()
    assert again.code == 1, again.err  # the two relations of the first run that are still not in step
    read = {line["debtor_number"] for line in report(tmp_path) if line["action"] in ("updated", "unchanged")}
    assert "10001" in read and len(read) < len(linked)  # incremental: what changed, and what the overlap read
    assert rows_read == Counter(dict.fromkeys(read, 1))  # one read of each of those, none of the others
    rows_read.clear()
    sync("--full")
    assert rows_read == Counter(dict.fromkeys(linked, 1))


def test_a_dry_run_without_changes_reads_no_other_link(
    sandbox: Sandbox, sync: Callable[..., CliResult], run_cli: Callable[..., CliResult], tmp_path: Path,
    rows_read: Counter[str],
) -> None:  # fmt: skip
    sync()
    rows_read.clear()
    plan = run_cli("run", str(tmp_path / "routing.yaml"), "--dry-run", "--format", "json", cwd=tmp_path)
    relations = json.loads(plan.out)["relations"]
    unchanged = {r["debtor_number"] for r in relations if r["action"] == "unchanged"}
    assert set(rows_read) == unchanged and set(rows_read.values()) == {1}


# -- snapshots ----------------------------------------------------------------------------------------------------
def test_a_snapshot_keeps_the_links_as_they_were_when_it_was_taken(state: State) -> None:
    save(state, "1", 11)
    save(state, "2", 12)
    table = state.link_table()
    before = table.snapshot()
    moved = {**PAYLOAD, "CustomerNumber": 7}
    save(state, "1", 21, moved)  # relinked to another GUID, with another payload
    save(state, "3", 13)  # new since the snapshot
    state.forget_payload("2")
    assert (table["1"].guid, table["1"].payload, table["2"].payload_hash) == (21, moved, None)
    assert before["1"].guid == 11 and before["1"].payload == PAYLOAD
    assert before["2"].payload_hash == payload_hash(PAYLOAD)
    assert "3" not in before and before.get("3") is None and "3" in table
    assert [link.guid for link in before.values()] == [11, 12]
    assert sorted(before) == ["1", "2"] and len(before) == 2
    assert before.owners() == {11: "1", 12: "2"}
    assert table.owners() == {21: "1", 12: "2", 13: "3"}


def test_the_table_reads_again_what_was_written(state: State) -> None:
    table = state.link_table()
    assert table.get("1") is None
    save(state, "1", 11)
    assert table["1"].guid == 11
    state.mark_written_back(["1"])
    assert table["1"].written_back is True
    assert state.links() == {"1": table["1"]}


# -- the check on opening -----------------------------------------------------------------------------------------
def edited(tmp_path: Path, statement: str) -> Path:
    path = tmp_path / "edited.db"
    with State(path, "account-a") as state:
        save(state, "1", 11)
        save(state, "2", 12)
    db = sqlite3.connect(path)
    db.execute(statement)
    db.commit()
    db.close()
    return path


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (
            'UPDATE links SET payload = \'{"CustomerNumber": ' + "9" * 5000 + "}' WHERE debtor_number = '2'",
            "payload is not valid JSON (Exceeds the limit (4300 digits) for integer string conversion: value has "
            "5000 digits; use sys.set_int_max_str_digits() to increase the limit)",
        ),
        ("UPDATE links SET payload = '[1, 2]' WHERE debtor_number = '2'", "payload is a JSON list, not an object"),
        ("UPDATE links SET payload = x'7b7d' WHERE debtor_number = '2'", "payload b'{}' is not JSON text"),
        ("UPDATE links SET written_back = 'yes' WHERE debtor_number = '2'", "written_back 'yes' is not a whole number"),
        ("UPDATE links SET route = x'41' WHERE debtor_number = '2'", "route b'A' is not text"),
    ],
    ids=["long number", "list", "blob", "written_back", "route"],
)
def test_a_hand_edited_link_is_named_when_the_state_opens(tmp_path: Path, statement: str, problem: str) -> None:
    path = edited(tmp_path, statement)
    with pytest.raises(StateError) as caught:
        State(path, "account-a")
    assert str(caught.value).startswith(f"the state {path} has a damaged row in links (debtor_number '2'): {problem};")


def test_a_payload_python_reads_but_sqlite_does_not_is_no_damage(tmp_path: Path) -> None:
    path = edited(tmp_path, "UPDATE links SET payload = '{\"CustomerNumber\": NaN}' WHERE debtor_number = '2'")
    with State(path, "account-a") as state:
        payload = state.link_table()["2"].payload
        assert payload is not None and payload["CustomerNumber"] != payload["CustomerNumber"]  # NaN, as json reads it
