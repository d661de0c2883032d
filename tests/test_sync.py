"""``relmap run`` end to end: the real CLI and clients over real sockets against both emulators."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, CliResult, pass_an_hour, writes

from relmap.http import RetryPolicy
from relmap.sandbox import Sandbox

# 35 sample relations pass the mapping's OutSmart filter (debtor_type = customer); 2 are skipped (inactive),
# 14233Aaa cannot be a CustomerNumber and 10005 shares its e-mail address with 10004: 31 relations to create.
EXPECTED_CREATED = 31


def fast_retries(monkeypatch: pytest.MonkeyPatch, attempts: int) -> None:
    """The same retries, with millisecond backoff, so that fault tests stay quick."""
    policy = RetryPolicy(attempts=attempts, base=0.001, cap=0.01)
    monkeypatch.setattr("relmap.sources.outsmart.RetryPolicy", lambda: policy)
    monkeypatch.setattr("relmap.targets.silvasoft.RetryPolicy", lambda: policy)


def report(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "report.jsonl").read_text(encoding="utf-8").splitlines()]


def assert_no_duplicates(world: Sandbox) -> None:
    relations = world.silvasoft.relations()
    numbers = Counter(r["CustomerNumber"] for r in relations)
    assert [n for n, c in numbers.items() if c > 1] == []
    emails = Counter((r.get("Email") or "").lower() for r in relations if r.get("Email"))
    assert [e for e, c in emails.items() if c > 1] == []


def test_first_sync_creates_each_relation_once(sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path):
    result = sync()
    assert result.code == 1, result.err  # two relations fail; the others are synced
    assert len(sandbox.silvasoft.relations()) == EXPECTED_CREATED
    assert_no_duplicates(sandbox)
    actions = Counter(line["action"] for line in report(tmp_path))
    assert actions == {"created": EXPECTED_CREATED, "skipped": 2, "failed": 2}
    assert sandbox.silvasoft.count(endpoint="listrelations") == 1
    assert writes(sandbox) == EXPECTED_CREATED
    assert f"{EXPECTED_CREATED} created" in result.out
    assert f"Silvasoft requests: {EXPECTED_CREATED + 1} spent" in result.out
    lines = {line["debtor_number"]: line for line in report(tmp_path)}
    assert "conflict" in lines["10005"]["error"] and "10004" in lines["10005"]["error"]
    assert lines["10001"]["guid"] == next(
        r["RelationGUID"] for r in sandbox.silvasoft.relations() if r["CustomerNumber"] == 10001
    )


def test_rerun_without_changes_costs_nothing(sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path):
    sync()
    sandbox.silvasoft.clear_log()
    again = sync()
    assert sandbox.silvasoft.count() == 0
    # The two relations the first run could not sync are not read again, but still reported, with the exit code.
    assert again.code == 1, again.err
    assert "2 failed (2 of them from earlier runs)" in again.out
    carried = {line["debtor_number"]: line for line in report(tmp_path) if line["action"] == "failed"}
    assert sorted(carried) == ["10005", "14233Aaa"]
    assert "conflict: shares its e-mail address" in carried["10005"]["error"]
    assert carried["10005"]["error"].endswith("; not read again)") and "open since " in carried["10005"]["error"]
    assert "Not in step: 2 relations" in again.out
    assert "  ! 10005  " in again.out and " conflict since " in again.out and " render since " in again.out
    full = sync("--full")
    assert writes(sandbox) == 0
    # --full re-checks every relation; only the unlinkable 10005 needs Silvasoft's listing again
    assert sandbox.silvasoft.count() == sandbox.silvasoft.count(endpoint="listrelations") == 1
    assert Counter(line["action"] for line in report(tmp_path))["unchanged"] == EXPECTED_CREATED
    assert full.code == 1


def test_edits_on_both_sides(sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path):
    sync()
    sandbox.silvasoft.clear_log()
    sandbox.outsmart.edit("10001", city="Hilversum")
    sandbox.outsmart.add(
        {
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
    )
    guid = next(r["RelationGUID"] for r in sandbox.silvasoft.relations() if r["CustomerNumber"] == 10003)
    sandbox.silvasoft.edit(guid, Address_City="Handmatig")  # a bookkeeper's edit: kept until OutSmart changes
    result = sync()
    assert result.code == 1, result.err  # the two relations of the first run that are still not in step
    lines = {line["debtor_number"]: line["action"] for line in report(tmp_path)}
    assert lines["10001"] == "updated" and lines["20001"] == "created"
    assert "10003" not in lines  # incremental: only relations changed in OutSmart are read
    assert lines["10005"] == lines["14233Aaa"] == "failed"
    updated = next(r for r in sandbox.silvasoft.relations() if r["CustomerNumber"] == 10001)
    assert updated["Address_City"] == "Hilversum"
    assert sandbox.silvasoft.count(endpoint="updaterelation") == 1
    assert sandbox.silvasoft.count(endpoint="addprivaterelation") == 1
    assert sandbox.silvasoft.get(guid)["Address_City"] == "Handmatig"


def test_existing_silvasoft_relations_are_linked_not_duplicated(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path
):
    guid = sandbox.silvasoft.add(
        {
            "RelationType": "Private",
            "Name": "Piet van der Berg",
            "CustomerNumber": 10001,
            "Relation_Contact": [{"FirstName": "Piet", "LastName": "van der Berg"}],
        }
    )
    sync()
    lines = {line["debtor_number"]: line for line in report(tmp_path)}
    assert lines["10001"]["guid"] == guid
    assert lines["10001"]["action"] == "updated"  # linked by CustomerNumber, then brought in step
    assert lines["10001"]["matched_by"] == "number"
    assert len(sandbox.silvasoft.relations()) == EXPECTED_CREATED
    assert_no_duplicates(sandbox)


def test_injected_faults_still_sync_everything_exactly_once(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    fast_retries(monkeypatch, attempts=5)
    faults = sandbox.silvasoft.faults
    faults.error_rate, faults.throttle_rate, faults.drop_rate, faults.drop_after_write_rate = 0.1, 0.1, 0.1, 0.1
    sandbox.outsmart.faults.error_rate = 0.3
    codes = [sync().code for _ in range(4)]
    fired = Counter(entry.fault for entry in sandbox.silvasoft.log if entry.fault)
    assert all(fired[kind] >= 1 for kind in ("error", "throttle", "drop", "drop_after_write")), fired
    assert sandbox.outsmart.count() > 4  # OutSmart's general errors were retried too
    faults.error_rate = faults.throttle_rate = faults.drop_rate = faults.drop_after_write_rate = 0.0
    final = sync("--full")
    assert final.code == 1, (codes, final.err)
    actions = Counter(line["action"] for line in report(tmp_path))
    assert actions["unchanged"] + actions["updated"] + actions["linked"] == EXPECTED_CREATED
    assert actions["pending"] == 0
    assert len(sandbox.silvasoft.relations()) == EXPECTED_CREATED
    assert_no_duplicates(sandbox)
    assert sandbox.silvasoft.count(endpoint="addprivaterelation") > 0


def test_bad_api_key_fails_at_once(sandbox: Sandbox, sync: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SILVASOFT_API_KEY", "wrong-key-123")
    result = sync()
    assert result.code == 2
    assert "Invalid authentication credentials" in result.err
    assert sandbox.silvasoft.count() == 1  # no retries
    assert "wrong-key-123" not in result.out + result.err
    assert sandbox.silvasoft.relations() == []


def test_bad_outsmart_token_is_a_clear_error_without_the_token(
    sandbox: Sandbox, sync: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("OUTSMART_TOKEN", "secret-token-xyz")
    result = sync()
    assert result.code == 2
    assert "1004" in result.err and "client token is not authorised" in result.err
    assert "secret-token-xyz" not in result.out + result.err
    assert sandbox.outsmart.count() == 1 and sandbox.silvasoft.count() == 0


def test_unreachable_api_error_masks_the_tokens(
    sandbox: Sandbox, sync: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
):
    fast_retries(monkeypatch, attempts=2)
    monkeypatch.setenv("RELMAP_OUTSMART_URL", "http://127.0.0.1:9/openapi/8")  # nothing listens on port 9
    result = sync()
    assert result.code == 2
    assert "connection refused" in result.err
    assert sandbox.credentials["OUTSMART_TOKEN"] not in result.out + result.err


def test_missing_secret_names_the_variable(sandbox: Sandbox, sync: Callable[..., CliResult], monkeypatch):
    monkeypatch.delenv("SILVASOFT_API_KEY")
    result = sync()
    assert result.code == 2
    assert "SILVASOFT_API_KEY" in result.err and "not set" in result.err


def test_plain_http_to_a_remote_host_is_refused(sandbox: Sandbox, sync: Callable[..., CliResult], monkeypatch):
    monkeypatch.setenv("RELMAP_SILVASOFT_URL", "http://rest-api.silvasoft.nl/rest")
    result = sync()
    assert result.code == 2
    assert "plain http is accepted only for loopback" in result.err


def test_budget_exhaustion_stops_cleanly_and_resumes(
    sandbox: Sandbox, run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path
):
    path = mapping(**{"requests_per_hour: 300": "requests_per_hour: 12"})
    state = tmp_path / "state.db"
    for failing in ("14233Aaa", "10005"):  # exit 1 (a relation failed) would outrank exit 3 (pending)
        sandbox.outsmart.remove(failing)

    def run() -> CliResult:
        return run_cli("run", str(path), "--state", str(state), "--report", str(tmp_path / "report.jsonl"))

    first = run()
    assert first.code == 3, first.err
    assert "12 spent, 0 left this hour" in first.out
    assert "pending" in first.out and "the next run can continue from" in first.out
    assert sandbox.silvasoft.count() == 12 and len(sandbox.silvasoft.relations()) == 11
    back_to_back = run()  # the same hour: the ledger says the budget is spent, so nothing is sent
    assert back_to_back.code == 3 and sandbox.silvasoft.count() == 12
    hours = 0
    last = back_to_back
    while last.code == 3 and hours < 4:  # an hour passes between runs
        pass_an_hour(state)
        sandbox.silvasoft.reset_rate_window()
        last = run()
        hours += 1
    assert last.code == 0 and hours == 2, last.out  # 1 listing + 11 creates per hour: 11 + 11 + 9
    assert len(sandbox.silvasoft.relations()) == EXPECTED_CREATED
    assert_no_duplicates(sandbox)


def test_two_mappings_on_one_silvasoft_account_share_its_hourly_budget(
    sandbox: Sandbox, run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path
):
    consumers = mapping(**{"requests_per_hour: 300": "requests_per_hour: 12"})
    companies = consumers.with_name("companies.yaml")
    companies.write_text(consumers.read_text(encoding="utf-8"), encoding="utf-8")
    first = run_cli("run", str(consumers), "--state", str(tmp_path / "consumers.db"))
    assert first.code == 1 and "12 spent, 0 left this hour" in first.out, first.out
    sandbox.silvasoft.clear_log()
    other = run_cli("run", str(companies), "--state", str(tmp_path / "companies.db"))
    assert sandbox.silvasoft.count() == 0  # the account's hour is spent, whichever mapping spent it
    assert "the hourly budget of 12 Silvasoft requests is spent" in other.out, other.out
    assert "0 spent, 0 left this hour" in other.out
    status = run_cli("status", str(companies), "--state", str(tmp_path / "companies.db"))
    (ledger,) = Path(os.environ["RELMAP_LEDGER_DIR"]).glob("silvasoft-*.db")
    assert "Silvasoft budget: 0 of 12 requests left this hour; the next frees at " in status.out
    assert f"(counted for every mapping on the account in {ledger})" in status.out


def test_silvasoft_rate_limit_answer_stops_the_run(sandbox: Sandbox, sync: Callable[..., CliResult]):
    sandbox.silvasoft.set_requests_per_hour(5)  # another tool spent this account's budget
    result = sync()
    assert result.code == 1  # two sample relations fail, which outranks "pending"
    assert "27 pending" in result.out
    assert "Silvasoft reports its hourly request limit reached" in result.out
    assert len(sandbox.silvasoft.relations()) == 4
    sandbox.silvasoft.clear_log()
    again = sync()  # started before Silvasoft's hour is over: it sends nothing, and says when it can go on
    assert sandbox.silvasoft.count() == 0
    assert "Silvasoft reported its hourly request limit reached" in again.out
    assert "the next run can continue from " in again.out and "27 pending" in again.out
    assert "2 failed" in again.out  # 10005's conflict is known, its relations as they were: no listing waited for
    assert "0 spent, 0 left this hour" in again.out


def test_refused_record_is_not_sent_again_until_it_changes(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path
):
    sandbox.silvasoft.faults.inject("error", path="x")  # no effect: the path never matches
    sandbox.outsmart.edit("10001", contact="")  # consumers need a contact's last name: Silvasoft answers 400
    sandbox.outsmart.edit("10001", name="")
    first = sync()
    lines = {line["debtor_number"]: line for line in report(tmp_path)}
    assert first.code == 1
    assert lines["10001"]["action"] == "failed"
    sandbox.silvasoft.clear_log()
    sync("--full")
    assert writes(sandbox) == 0


def test_write_back_stores_the_guid_in_outsmart(
    sandbox: Sandbox, run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path
):
    path = mapping(**{"    filters:": "    write_back: true\n    filters:"})
    first = run_cli("run", str(path), "--state", str(tmp_path / "s.db"))
    assert first.code == 1, first.err
    guid = next(r["RelationGUID"] for r in sandbox.silvasoft.relations() if r["CustomerNumber"] == 10001)
    assert sandbox.outsmart.get("10001")["external_id"] == str(guid)
    assert sandbox.outsmart.get("10001")["street"] == "Oud-Loosdrechtsedijk"  # the rest sent back unchanged
    posts = sandbox.outsmart.count(endpoint="relations", method="POST")
    assert posts == 1
    sandbox.silvasoft.clear_log()
    again = run_cli("run", str(path), "--state", str(tmp_path / "s.db"))
    assert again.code == 1 and sandbox.silvasoft.count() == 0  # 1: the sample's two relations still not in step
    assert sandbox.outsmart.count(endpoint="relations", method="POST") == posts


def test_second_run_on_the_same_state_is_refused_while_one_runs(sandbox: Sandbox, sync, tmp_path: Path):
    from relmap.state.store import State

    with State(tmp_path / ".relmap" / "routing.db", "any"):
        result = sync()
    assert result.code == 2
    assert "another relmap run is using" in result.err


def test_kill_9_mid_run_then_rerun_converges_without_duplicates(
    sandbox: Sandbox, mapping: Callable[..., Path], tmp_path: Path
):
    path, state = mapping(), tmp_path / "state.db"
    sandbox.silvasoft.faults.latency = 0.03  # slow enough to be killed in the middle
    command = [sys.executable, "-m", "relmap", "run", str(path), "--state", str(state), "-q"]
    for creates_before_kill in (3, 12, 20):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ)
        deadline = time.monotonic() + 30
        while writes(sandbox) < creates_before_kill and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        assert process.wait(10) == -signal.SIGKILL
    sandbox.silvasoft.faults.latency = 0.0
    final = subprocess.run([*command[:-1], "--full"], capture_output=True, text=True, env=os.environ, timeout=60)
    assert final.returncode == 1, final.stderr  # the two sample relations that always fail
    assert len(sandbox.silvasoft.relations()) == EXPECTED_CREATED
    assert_no_duplicates(sandbox)
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM intents").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM links").fetchone() == (EXPECTED_CREATED,)
    db.close()


def test_an_interrupted_create_without_number_or_email_is_found_by_name(
    sandbox: Sandbox, mapping: Callable[..., Path], run_cli: Callable[..., CliResult], tmp_path: Path
):
    """A create that was sent just before a crash: the next run finds the relation instead of creating it again."""
    from relmap.state.store import State
    from relmap.sync.connect import settings

    path, state_path = mapping(), tmp_path / "state.db"
    sent = {
        "Address_PostalCode": "1234 AB",
        "Relation_Contact": [{"FirstName": "Piet", "LastName": "van der Berg"}],
    }
    guid = sandbox.silvasoft.add({"RelationType": "Private", "Name": "Piet van der Berg", **sent})
    from relmap.mapping.compiler import compile_file

    plan = compile_file(str(path)).plan
    assert plan is not None
    with State(state_path, settings(plan, os.environ).target) as state:
        state.open_intent("10001", "create", "addprivaterelation", sent, None)
    result = run_cli("run", str(path), "--state", str(state_path), "--report", str(tmp_path / "report.jsonl"))
    assert result.code == 1
    lines = {line["debtor_number"]: line for line in report(tmp_path)}
    assert lines["10001"]["guid"] == guid and lines["10001"]["action"] == "updated"
    assert len(sandbox.silvasoft.relations()) == EXPECTED_CREATED


def test_a_base_url_with_user_info_is_refused(sandbox: Sandbox, sync: Callable[..., CliResult], monkeypatch):
    monkeypatch.setenv("RELMAP_SILVASOFT_URL", "https://user:hunter22@rest-api.silvasoft.nl/rest")
    result = sync()
    assert result.code == 2 and "cannot carry a user name or password" in result.err
    assert "hunter22" not in result.out + result.err


def test_an_api_key_an_http_header_cannot_carry_is_a_setting_error(
    sandbox: Sandbox, sync: Callable[..., CliResult], monkeypatch
):
    monkeypatch.setenv("SILVASOFT_API_KEY", "abc\r\nX-Evil: 1")
    result = sync()
    assert result.code == 2 and "target.silvasoft.api_key" in result.err
    assert sandbox.silvasoft.count() == 0


def test_an_identical_copy_in_an_export_is_counted_once_and_said(
    sandbox: Sandbox, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    relation = {"debtor_number": "10001", "name": "Jansen", "contact": "Piet Jansen", "city": "Zeist", "active": "1"}
    export = tmp_path / "export.jsonl"
    export.write_text((json.dumps(relation) + "\n") * 2, encoding="utf-8")
    text = (ROOT / "mappings" / "private-relations.yaml").read_text(encoding="utf-8")
    source = text[text.index("source:") : text.index("target:")]
    path = tmp_path / "m.yaml"
    path.write_text(text.replace(source, f"source:\n  file: {{path: {export}}}\n\n"), encoding="utf-8")
    result = run_cli("run", str(path), "--state", str(tmp_path / "s.db"))
    assert result.code == 0, result.err
    assert "1 created" in result.out
    assert f"{export}:2: an identical copy of the relation at {export}:1; counted once" in result.out + result.err
    plan = run_cli("run", str(path), "--state", str(tmp_path / "s.db"), "--dry-run", "--format", "json")
    assert (
        f"{export}:2: an identical copy of the relation at {export}:1; counted once" in json.loads(plan.out)["warnings"]
    )


def test_a_hand_edited_watermark_is_a_clear_error_and_full_mends_it(sandbox: Sandbox, sync, tmp_path: Path) -> None:
    import sqlite3

    assert sync().code == 1
    database = tmp_path / ".relmap" / "routing.db"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE meta SET value = 'yesterday' WHERE key = 'watermark'")
    result = sync()
    assert result.code == 2
    assert "the state's watermark 'yesterday' is not a time (YYYY-MM-DD HH:MM:SS)" in result.err
    assert "run with --full" in result.err
    assert sync("--full").code == 1  # the messy samples' two relations; the watermark is set again
    assert sync().code in (0, 1) and "watermark" not in sync().err


def test_a_modified_at_in_the_future_never_holds_back_the_watermark(
    sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path
) -> None:
    sandbox.outsmart.edit("10006", modified_at="2099-01-01 00:00:00")  # a clock set wrong, or a hand-edited date
    first = sync()
    assert "OutSmart relation 10006 has modified_at 2099-01-01 00:00:00, in the future" in first.err
    sandbox.outsmart.edit("10003", city="Hilversum")
    second = sync()
    assert "changed since 2099" not in second.err
    assert {line["debtor_number"]: line["action"] for line in report(tmp_path)}["10003"] == "updated"


def test_the_sandbox_runs_from_the_mapping_s_own_folder(
    run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path
):
    mapping()
    result = run_cli("run", "routing.yaml", "--sandbox", "-q", cwd=tmp_path)
    assert result.code == 1, result.err  # the two sample relations that fail
    assert "31 created" in result.out
    assert list((tmp_path / ".relmap" / "routing.sandbox").glob("silvasoft-*.db"))  # its ledger, beside its data
