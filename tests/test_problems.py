"""Open problems: a relation that is not in step is reported by every run until it is, and costs nothing meanwhile.

The shipped samples have two such relations: 10005 shares its e-mail address with 10004 (a conflict), and 14233Aaa
has a debtor number that cannot be a CustomerNumber (the mapping cannot make its payload).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

from conftest import CliResult

from relmap.sandbox.harness import Sandbox


def report(tmp_path: Path) -> dict[str, dict[str, object]]:
    lines = (tmp_path / "report.jsonl").read_text(encoding="utf-8").splitlines()
    return {str(entry["debtor_number"]): entry for entry in map(json.loads, lines)}


def problems(tmp_path: Path) -> dict[str, str]:
    with sqlite3.connect(tmp_path / ".relmap" / "routing.db") as db:
        return dict(db.execute("SELECT debtor_number, kind FROM problems").fetchall())


def test_a_failed_relation_is_reported_by_every_run_until_it_syncs(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    first = sync()
    assert first.code == 1
    assert problems(tmp_path) == {"10005": "conflict", "14233Aaa": "render"}
    first_seen = report(tmp_path)["10005"]["error"]
    for _ in range(2):  # later incremental runs read neither relation, and still say so, with exit code 1
        again = sync()
        assert again.code == 1 and "Not in step: 2 relations" in again.out
        assert report(tmp_path)["10005"]["action"] == "failed"
        assert str(report(tmp_path)["10005"]["error"]).startswith(str(first_seen))
    sandbox.outsmart.edit("10005", email="vakantie@jansen.example")  # mended in OutSmart
    sandbox.outsmart.edit("14233Aaa", active="0")  # and the other one is skipped by the mapping now
    mended = sync()
    assert mended.code == 0, mended.out
    assert report(tmp_path)["10005"]["action"] == "created"
    assert report(tmp_path)["14233Aaa"]["action"] == "skipped"
    assert problems(tmp_path) == {} and "Not in step" not in mended.out
    assert sync().code == 0


def test_a_relation_gone_from_outsmart_closes_its_problem_on_a_full_read(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    sync()
    sandbox.outsmart.remove("14233Aaa")
    assert sync().code == 1  # an incremental read cannot tell a deleted relation from an unchanged one
    assert "14233Aaa" in problems(tmp_path)
    sync("--full")
    assert problems(tmp_path) == {"10005": "conflict"}


def test_a_known_conflict_costs_no_request_until_one_of_its_relations_changes(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    sync()
    sandbox.silvasoft.clear_log()
    sandbox.outsmart.edit("10005", remark="gebeld")  # read again, but its payload is as it was: the same conflict
    again = sync()
    assert sandbox.silvasoft.count() == 0, sandbox.silvasoft.log()
    assert again.code == 1 and report(tmp_path)["10005"]["action"] == "failed"
    assert "unchanged)" in str(report(tmp_path)["10005"]["error"])
    sandbox.outsmart.edit("10004", remark="gebeld")  # both read again (the overlap), neither's payload changed
    for _ in range(2):
        assert sync().code == 1
    assert sandbox.silvasoft.count() == 0, sandbox.silvasoft.log()
    sandbox.outsmart.edit("10004", city="Hilversum")  # the other relation changed: check again
    sync()
    assert sandbox.silvasoft.count(endpoint="listrelations") == 1
    assert problems(tmp_path)["10005"] == "conflict"


def status(mapping: Path, *extra: str) -> tuple[int, str, str]:
    """``relmap status`` through its command function (the parser's arguments, as argparse gives them)."""
    import argparse
    import io

    from relmap.commands.status import run

    args = argparse.Namespace(mapping=str(mapping), state=None, sandbox=False, format="text")
    for option in extra:
        key, _, value = option.partition("=")
        setattr(args, key, value)
    out, err = io.StringIO(), io.StringIO()
    return run(args, out, err), out.getvalue(), err.getvalue()


def test_status_tells_what_the_state_knows_and_costs_no_request(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    sync()
    sandbox.silvasoft.clear_log()
    sandbox.outsmart.clear_log()
    mapping = tmp_path / "routing.yaml"
    code, out, err = status(mapping)
    assert (code, err) == (1, "")
    assert out.splitlines()[0].startswith(f"State {tmp_path}/.relmap/routing.db: 31 linked relations, watermark 20")
    assert "Silvasoft budget: 268 of 300 requests left this hour" in out
    assert "  incremental: failed, 32 Silvasoft requests (31 created, 2 failed, 2 skipped)" in out, out
    assert "Not in step: 2 relations" in out and "  ! 10005  " in out and " conflict since " in out
    assert sandbox.silvasoft.count() == 0 and sandbox.outsmart.count() == 0
    code, out, _ = status(mapping, "format=json")
    document = json.loads(out)
    assert code == 1 and document["links"] == 31 and document["budget"]["left"] == 268
    assert sorted(p["debtor_number"] for p in document["problems"]) == ["10005", "14233Aaa"]


def test_status_answers_while_a_run_holds_the_state(sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path):
    from relmap.state.lock import StateLock

    sync()
    with StateLock(tmp_path / ".relmap" / "routing.db", "relmap run routing.yaml"):
        code, out, _ = status(tmp_path / "routing.yaml")
    assert code == 1 and "31 linked relations" in out


def test_status_of_a_state_no_run_made_says_so(mapping: Callable[..., Path], tmp_path: Path) -> None:
    import pytest

    from relmap.errors import StateError

    with pytest.raises(StateError, match=r"there is no state at .*none.db yet: no run has used it"):
        status(mapping(), f"state={tmp_path / 'none.db'}")


def test_a_state_from_before_problems_were_kept_is_upgraded_in_place(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    sync()
    database = tmp_path / ".relmap" / "routing.db"
    with sqlite3.connect(database) as db:  # as an earlier relmap left it
        db.execute("DROP TABLE problems")
        links = db.execute("SELECT count(*) FROM links").fetchone()[0]
    again = sync()  # it knows nothing of the earlier failures yet: a full read finds them again
    assert again.code == 0 and "cannot be used" not in again.err, again.err
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM links").fetchone()[0] == links
    assert sync("--full").code == 1
    assert problems(tmp_path) == {"10005": "conflict", "14233Aaa": "render"}


def test_a_hand_edited_problem_row_is_named_by_status_and_by_the_run(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    import pytest

    from relmap.errors import StateError

    sync()
    with sqlite3.connect(tmp_path / ".relmap" / "routing.db") as db:
        db.execute("UPDATE problems SET first_seen = 'yesterday' WHERE debtor_number = '10005'")
    with pytest.raises(StateError, match=r"problems \(debtor_number '10005'\): first_seen 'yesterday' is not a time"):
        status(tmp_path / "routing.yaml")
    again = sync()
    assert again.code == 2 and "first_seen 'yesterday' is not a time" in again.err


def test_a_dry_run_plan_shows_the_open_problems_it_did_not_read_again(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    import jsonschema
    from conftest import ROOT

    sync()
    sandbox.silvasoft.clear_log()
    plan = sync("--dry-run", "--format", "json", "--mask-pii")
    assert plan.code == 1, plan.err  # errors in the plan, as in the run
    doc = json.loads(plan.out)
    jsonschema.validate(doc, json.loads((ROOT / "schemas" / "plan.schema.json").read_text(encoding="utf-8")))
    errors = {entry["debtor_number"]: entry for entry in doc["relations"] if entry["action"] == "error"}
    assert sorted(errors) == ["10005", "14233Aaa"] and doc["summary"]["error"] == 2
    conflict = errors["10005"]
    assert conflict["reason"].startswith("conflict: shares its e-mail address ••• with OutSmart relation 10004")
    assert "; not read again)" in conflict["reason"] and conflict["name"] == "•••"
    assert conflict["fingerprint"] == {"source": None, "silvasoft": None} and conflict["send"] is None
    assert sandbox.silvasoft.count() == 0  # nothing read from Silvasoft for them
    terminal = sync("--dry-run")
    assert "10005" in terminal.out and "14233Aaa" in terminal.out and "not read again" in terminal.out
    markdown = sync("--dry-run", "--format", "markdown")
    assert "not read again" in markdown.out


def test_status_and_check_say_what_the_last_run_left_pending(
    sandbox: Sandbox, run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path
) -> None:
    path = mapping(**{"requests_per_hour: 300": "requests_per_hour: 12"})
    assert run_cli("run", str(path), cwd=tmp_path).code == 1  # 11 created, the rest pending (and two problems)
    for failing in ("14233Aaa", "10005"):  # with no problem open, pending is what status reports
        sandbox.outsmart.remove(failing)
    run_cli("run", str(path), "--full", cwd=tmp_path)
    status = run_cli("status", str(path), cwd=tmp_path)
    assert status.code == 3, status.out
    assert re.search(r"(?m)^Pending: \d+ relations the last run left for the next", status.out), status.out
    check = run_cli("check", str(path), cwd=tmp_path)
    assert "pending from the last run (the next run goes on)" in check.out, check.out


def test_check_fails_when_the_ledger_folder_cannot_be_made(
    sandbox: Sandbox, run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path, monkeypatch
) -> None:
    path = mapping()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("RELMAP_LEDGER_DIR", str(blocker))
    check = run_cli("check", str(path), cwd=tmp_path)
    assert check.code == 2
    assert re.search(r"(?m)^✗ ledger: the Silvasoft request ledger .* a run cannot start until it can$", check.out)


def test_status_reads_the_ledger_folder_the_env_file_names(
    sandbox: Sandbox, run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path, monkeypatch
) -> None:
    path = mapping()
    ledgers = tmp_path / "shared-ledgers"
    env = tmp_path / "relmap.env"
    env.write_text(f"RELMAP_LEDGER_DIR={ledgers}\n", encoding="utf-8")
    env.chmod(0o600)
    monkeypatch.delenv("RELMAP_LEDGER_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert run_cli("run", str(path), "--env-file", str(env), cwd=tmp_path).code == 1
    status = run_cli("status", str(path), "--env-file", str(env), cwd=tmp_path)
    assert f"(counted for every mapping on the account in {ledgers}/silvasoft-" in status.out, status.out
    assert "Silvasoft budget: 268 of 300 requests left this hour" in status.out
