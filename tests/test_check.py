"""``relmap check MAPPING`` against the emulators: one request per API, no write, a line per check, exit 0 or 2;
and the run's note that points at it when no Silvasoft request has succeeded for a day."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import MAPPINGS, CliResult, writes

from relmap.sandbox import Sandbox
from relmap.state.lock import StateLock
from relmap.state.store import State

WRONG = "wrong-secret-Kq8"
OUTSMART_OK = "✓ OutSmart: the token and software token are accepted (GET relations/, matching nothing)\n"
SILVASOFT_OK = "✓ Silvasoft: the user name and API key are accepted (GET listrelations/, Limit=1)\n"
PASSED = "relmap check: every check passed\n"
ONE_FAILED = "relmap check: 1 check failed; nothing was written to either API\n"


def no_secrets(world: Sandbox, *results: CliResult) -> None:
    secrets = [value for name, value in world.credentials.items() if name != "SILVASOFT_USERNAME"] + [WRONG]
    text = "".join(result.out + result.err for result in results)
    assert [secret for secret in secrets if secret in text] == []


def requests_sent(world: Sandbox) -> tuple[int, int, int]:
    """OutSmart's, Silvasoft's, and the writes among them."""
    return world.outsmart.count(), world.silvasoft.count(), writes(world)


@pytest.fixture
def check(run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path) -> Callable[..., CliResult]:
    path = mapping()

    def run(*extra: str) -> CliResult:
        return run_cli("check", str(path), *extra, cwd=tmp_path)

    return run


def test_a_new_setup_passes_with_one_request_to_each_api_and_makes_no_state(
    sandbox: Sandbox, check: Callable[..., CliResult], tmp_path: Path
) -> None:
    result = check()
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        f"relmap check {tmp_path / 'routing.yaml'} (settings from the environment)\n"
        + OUTSMART_OK
        + SILVASOFT_OK
        + "✓ budget: 299 of 300 Silvasoft requests left this hour\n"  # the account's ledger counted the check
        + f"– state: {tmp_path / '.relmap' / 'routing.db'} does not exist yet: the first run makes it\n"
        + PASSED
    )
    assert requests_sent(sandbox) == (1, 1, 0)
    assert sandbox.outsmart.count("relations", "GET") == 1 and sandbox.silvasoft.count("listrelations") == 1
    assert not (tmp_path / ".relmap").exists()  # the first run makes the state, for the account it runs for
    no_secrets(sandbox, result)


def test_after_a_run_the_budget_and_the_state_are_reported_and_the_request_counted(
    sandbox: Sandbox, check: Callable[..., CliResult], sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    sync()
    state = tmp_path / ".relmap" / "routing.db"
    sandbox.silvasoft.clear_log()
    sandbox.outsmart.clear_log()
    result = check()
    assert result.code == 0, result.out
    lines = result.out.splitlines(keepends=True)
    assert lines[1:3] == [OUTSMART_OK, SILVASOFT_OK]
    assert lines[3] == "✓ budget: 267 of 300 Silvasoft requests left this hour\n"  # the run's 32, and this one
    assert re.fullmatch(
        rf"✓ state: {re.escape(str(state))}: 31 links, no interrupted writes, 2 relations not in step \(relmap status "
        r"lists them\); last run \d{4}-\d\d-\d\d \d\d:\d\d \(incremental\): failed \(31 created, 2 failed, 2 skipped\)"
        "\n",
        lines[4],
    )
    assert lines[5] == PASSED
    assert requests_sent(sandbox) == (1, 1, 0)
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM ledger").fetchone() == (33,)
        answered = db.execute("SELECT value FROM meta WHERE key = 'silvasoft_answered_at'").fetchone()
    db.close()
    assert abs(float(answered[0]) - time.time()) < 60


def test_a_wrong_silvasoft_key_is_a_failed_check_that_names_what_to_check(
    sandbox: Sandbox, check: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SILVASOFT_API_KEY", WRONG)
    result = check()
    assert result.code == 2
    assert result.out.splitlines(keepends=True)[1:3] == [
        OUTSMART_OK,
        "✗ Silvasoft: GET listrelations/: HTTP 401: Invalid authentication credentials (check SILVASOFT_USERNAME / "
        "the API key variable)\n",
    ]
    assert result.out.endswith(ONE_FAILED)
    assert requests_sent(sandbox) == (1, 1, 0)  # no retry of a 401
    no_secrets(sandbox, result)


def test_a_wrong_outsmart_token_is_a_failed_check(
    sandbox: Sandbox, check: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTSMART_TOKEN", WRONG)
    result = check()
    assert result.code == 2
    assert result.out.splitlines(keepends=True)[1:3] == [
        "✗ OutSmart: GET relations/: error 1004: the client token is not authorised (check the variable behind "
        "source.outsmart.token) (Client token unauthorized)\n",
        SILVASOFT_OK,
    ]
    assert result.out.endswith(ONE_FAILED)
    no_secrets(sandbox, result)


def test_missing_settings_fail_their_checks_and_nothing_is_sent(
    sandbox: Sandbox, check: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OUTSMART_SOFTWARE_TOKEN")
    monkeypatch.delenv("SILVASOFT_API_KEY")
    result = check()
    assert result.code == 2
    path = tmp_path / "routing.yaml"
    advice = "before the run, put it in an env file given with --env-file FILE, or try --sandbox)"
    assert result.out.splitlines(keepends=True)[1:3] == [
        f"✗ OutSmart: {path}: source.outsmart.software_token needs the environment variable OUTSMART_SOFTWARE_TOKEN, "
        f"which is not set (export OUTSMART_SOFTWARE_TOKEN=... {advice}\n",
        f"✗ Silvasoft: {path}: target.silvasoft.api_key needs the environment variable SILVASOFT_API_KEY, which is "
        f"not set (export SILVASOFT_API_KEY=... {advice}\n",
    ]
    assert result.out.endswith("relmap check: 2 checks failed; nothing was written to either API\n")
    assert requests_sent(sandbox) == (0, 0, 0)


def test_an_unreachable_silvasoft_says_which_setting_to_check(
    sandbox: Sandbox, check: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELMAP_SILVASOFT_URL", "http://127.0.0.1:1/rest")
    started = time.monotonic()
    result = check()
    assert result.code == 2
    assert result.out.splitlines()[2] == (
        "✗ Silvasoft: GET listrelations/: connection refused (http://127.0.0.1:1/rest); check "
        "target.silvasoft.base_url (or RELMAP_SILVASOFT_URL) and the network, then run check again"
    )
    assert time.monotonic() - started < 5  # one attempt, no backoff


FREEFIELDS = (MAPPINGS / "freefields-custom-fields.yaml").read_text(encoding="utf-8")


def test_a_mapping_with_freefields_is_checked_with_one_get_freefields(
    sandbox: Sandbox, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = tmp_path / "ff.yaml"
    path.write_text(FREEFIELDS, encoding="utf-8")
    result = run_cli("check", str(path), cwd=tmp_path)
    assert result.code == 0, result.out
    assert result.out.splitlines()[1] == (
        "✓ OutSmart: the token and software token are accepted, and the 7 freefields the mapping names are there "
        "under their number (GET freefields/)"
    )
    assert sandbox.outsmart.count() == sandbox.outsmart.count("freefields") == 1
    path.write_text(FREEFIELDS.replace("Contracttype: 1", "Contracttype: 9"), encoding="utf-8")
    wrong = run_cli("check", str(path), cwd=tmp_path)
    assert wrong.code == 2
    assert wrong.out.splitlines()[1] == (
        f"✗ OutSmart: the tokens are accepted, but {path}: freefields: 'Contracttype' is freefield 1 in OutSmart, the "
        "mapping says 9 (GET /freefields/): correct the mapping's freefields"
    )


def test_check_sandbox_needs_no_settings(
    run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path
) -> None:
    path = mapping()
    result = run_cli("check", str(path), "--sandbox", cwd=tmp_path)
    assert result.code == 0, result.out
    assert result.out.splitlines(keepends=True)[1:3] == [OUTSMART_OK, SILVASOFT_OK]
    assert result.err.startswith("sandbox: emulated OutSmart and Silvasoft on 127.0.0.1")


def test_a_state_of_another_account_fails_the_state_check(
    sandbox: Sandbox, check: Callable[..., CliResult], tmp_path: Path
) -> None:
    state = tmp_path / ".relmap" / "routing.db"
    state.parent.mkdir()
    State(state, "another-account").close()
    result = check()
    assert result.code == 2
    lines = result.out.splitlines()
    assert lines[2] == "✓ Silvasoft: the user name and API key are accepted (GET listrelations/, Limit=1)"
    assert lines[3] == "✓ budget: 299 of 300 Silvasoft requests left this hour"  # counted in the account's ledger
    assert lines[4] == (
        f"✗ state: {state} holds the links of another Silvasoft account or URL; give this account its own state "
        "with --state FILE"
    )
    assert lines[5] == ONE_FAILED.rstrip("\n")


def test_a_state_a_run_holds_is_read_and_the_check_still_passes(
    sandbox: Sandbox, check: Callable[..., CliResult], sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    sync()
    state = tmp_path / ".relmap" / "routing.db"
    with StateLock(state, "relmap run routing.yaml"):
        result = check()
    assert result.code == 0, result.out
    lines = result.out.splitlines()
    assert lines[2].endswith("(GET listrelations/, Limit=1)")
    assert lines[3] == "✓ budget: 267 of 300 Silvasoft requests left this hour"  # the run's 32 and the check's, shared
    assert lines[4].startswith(f"✓ state: {state}: 31 links, ")


def test_a_spent_budget_is_said_and_no_request_is_sent(
    sandbox: Sandbox, check: Callable[..., CliResult], sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    sync()
    state = tmp_path / ".relmap" / "routing.db"
    now = time.time()
    with sqlite3.connect(state) as db:
        db.executemany("INSERT INTO ledger (at, endpoint) VALUES (?, 'listrelations')", [(now - 60,)] * 268)
    db.close()
    sandbox.silvasoft.clear_log()
    result = check()
    assert result.code == 2
    lines = result.out.splitlines()
    assert re.fullmatch(
        r"✗ Silvasoft: not tested: the hourly budget of 300 Silvasoft requests is spent; run check again from "
        r"\d{4}-\d\d-\d\d \d\d:\d\d",
        lines[2],
    )
    assert re.fullmatch(
        r"✓ budget: 0 of 300 Silvasoft requests left this hour; the next one frees at \d{4}-\d\d-\d\d \d\d:\d\d",
        lines[3],
    )
    assert sandbox.silvasoft.count() == 0


def test_a_mapping_with_errors_is_not_checked(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("relmap: 1\nsource: {}\n", encoding="utf-8")
    result = run_cli("check", str(broken), cwd=tmp_path)
    assert result.code == 2 and result.out == ""
    assert result.err.endswith("relmap: error: the mapping has errors; nothing was checked\n")


# The note of a run that sends Silvasoft nothing


def answered_at(state: Path, value: float | None) -> None:
    with sqlite3.connect(state) as db:
        db.execute("DELETE FROM meta WHERE key = 'silvasoft_answered_at'")
        if value is not None:
            db.execute("INSERT INTO meta (key, value) VALUES ('silvasoft_answered_at', ?)", (repr(value),))
    db.close()


def test_a_run_with_nothing_to_send_points_at_check_when_silvasoft_has_not_answered_for_a_day(
    sandbox: Sandbox, sync: Callable[..., CliResult], check: Callable[..., CliResult], tmp_path: Path
) -> None:
    path, state = tmp_path / "routing.yaml", tmp_path / ".relmap" / "routing.db"
    sync()
    quiet = sync()
    assert "Silvasoft requests: 0 spent" in quiet.out and "note:" not in quiet.out  # it answered a moment ago
    two_days_ago = time.time() - 2 * 86400
    answered_at(state, two_days_ago)
    log = tmp_path / "sync.log"
    late = sync("--log-file", str(log))
    assert late.code == 1  # the note changes no exit code
    since = datetime.fromtimestamp(two_days_ago, UTC).strftime("%Y-%m-%d %H:%M UTC")
    note = (
        f"no Silvasoft request has succeeded since {since}: a run with nothing to write sends none, so wrong "
        f'credentials would go unnoticed; "relmap check {path}" tests them'
    )
    assert late.out.endswith(f"note: {note}\n")
    assert log.read_text(encoding="utf-8").splitlines()[-2].endswith(f" warning: {note}")
    answered_at(state, None)
    never = sync()
    assert never.out.endswith(f"note: {note.replace(f'since {since}', 'yet')}\n")
    assert check().code == 0  # Silvasoft answers the check: the next runs say nothing
    assert "note:" not in sync().out


def test_a_run_that_reaches_silvasoft_needs_no_note(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    sync()
    answered_at(tmp_path / ".relmap" / "routing.db", time.time() - 3 * 86400)
    sandbox.outsmart.edit("10001", city="Hilversum")
    result = sync()
    assert "1 updated" in result.out and "note:" not in result.out


def test_status_is_dispatched(run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path) -> None:
    result = run_cli("status", str(mapping()), cwd=tmp_path)
    assert result.code == 2 and "relmap: error:" in result.err and os.path.basename(str(tmp_path)) in result.err
