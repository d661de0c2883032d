"""``relmap run --dry-run`` end to end over real sockets: plans, drift, cost, saved plans, masking, exit codes."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ROOT, CliResult, writes

from relmap.cli import main
from relmap.sandbox import Sandbox

# The shipped mapping with the two sample relations that cannot be synced skipped, so a plan can be free of errors.
NO_ERRORS = {
    "    reason: inactive in OutSmart\n": "    reason: inactive in OutSmart\n"
    '  - when: debtor_number in ["14233Aaa", "10005"]\n    reason: known bad sample\n'
}
KEEP_CITY = {"  Address_City: city\n": "  Address_City: {from: city, drift: keep}\n"}
SCHEMA = ROOT / "schemas" / "plan.schema.json"


@pytest.fixture
def relmap(run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path) -> Callable[..., CliResult]:
    """``relmap run routing.yaml ARGS`` in tmp_path (the mapping fixture writes routing.yaml)."""

    def run(*args: str) -> CliResult:
        return run_cli("run", str(tmp_path / "routing.yaml"), "-q", *args, cwd=tmp_path)

    return run


def plan_of(result: CliResult) -> dict[str, Any]:
    doc = json.loads(result.out)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
    return doc


def relation(doc: dict[str, Any], debtor: str) -> dict[str, Any]:
    return next(r for r in doc["relations"] if r["debtor_number"] == debtor)


def fields(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["parameter"]: f for f in entry["fields"]}


def guid_of(world: Sandbox, number: int) -> int:
    return next(r["RelationGUID"] for r in world.silvasoft.relations() if r["CustomerNumber"] == number)


def test_dry_run_plans_the_first_sync_writes_nothing_and_prices_it_exactly(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult]
):
    mapping()
    result = relmap("--dry-run", "--format", "json")
    assert result.code == 1, result.err  # two sample relations have errors
    doc = plan_of(result)
    assert doc["summary"] == {
        **{"create": 31, "update": 0, "link": 0, "unchanged": 0, "skip": 2, "error": 2},
        **{"drift": 0, "record_warnings": 0},
    }
    assert writes(sandbox) == 0 and sandbox.silvasoft.relations() == []
    assert doc["read"] == {"full": True, "since": None, "silvasoft_listed": True, "outsmart_requests": 1,
                           "silvasoft_requests": 1}  # fmt: skip
    created = relation(doc, "10001")
    assert (created["symbol"], created["matched_by"], created["route"]) == ("+", "new", "consumers")
    assert fields(created)["Address_City"] == {
        "parameter": "Address_City", "before": None, "after": "Loosdrecht", "synced": None, "silvasoft": None,
        "change": "add", "drift": False,
    }  # fmt: skip
    assert "conflict" in relation(doc, "10005")["reason"]
    again = relmap("--dry-run", "--format", "json")  # nothing was linked or remembered: the same plan
    assert plan_of(again)["summary"] == doc["summary"]
    real = relmap()
    assert f"Silvasoft requests: {doc['cost']['requests']} spent" in real.out  # the cost the plan announced


def test_after_a_sync_the_plan_shows_updates_and_drift_three_ways(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult]
):
    mapping()
    relmap()
    sandbox.outsmart.edit("10001", city="Hilversum")  # changed in OutSmart
    sandbox.silvasoft.edit(guid_of(sandbox, 10003), Address_City="Typo-stad")  # changed by hand in Silvasoft
    incremental = plan_of(relmap("--dry-run", "--format", "json"))
    changed = [r["debtor_number"] for r in incremental["relations"] if r["action"] != "unchanged"]
    assert changed == ["10001", "10005", "14233Aaa"]  # the two open problems of the sync, not read again, stay shown
    assert all("not read again" in relation(incremental, d)["reason"] for d in changed[1:])
    assert incremental["read"]["full"] is False
    doc = plan_of(relmap("--dry-run", "--full", "--format", "json"))
    assert doc["summary"]["update"] == 2 and doc["summary"]["drift"] == 1
    edited = fields(relation(doc, "10001"))["Address_City"]
    assert (edited["change"], edited["before"], edited["after"], edited["drift"]) == (
        "update", "Loosdrecht", "Hilversum", False)  # fmt: skip
    drifted = relation(doc, "10003")
    city = fields(drifted)["Address_City"]
    assert (city["change"], city["silvasoft"], city["synced"], city["after"], city["drift"]) == (
        "overwrite", "Typo-stad", city["after"], city["after"], True)  # fmt: skip
    assert drifted["send"]["Address_City"] == city["after"]
    assert all(f["change"] == "same" for name, f in fields(drifted).items() if name != "Address_City")


def test_a_kept_parameter_keeps_the_silvasoft_value_in_the_plan_and_the_run(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult]
):
    mapping(**KEEP_CITY)
    relmap()
    guid = guid_of(sandbox, 10003)
    sandbox.silvasoft.edit(guid, Address_City="Typo-stad", Address_Street="Handstraat")
    doc = plan_of(relmap("--dry-run", "--full", "--format", "json"))
    entry = relation(doc, "10003")
    assert entry["action"] == "update" and entry["send"]["Address_City"] == "Typo-stad"  # sent as Silvasoft has it
    assert fields(entry)["Address_City"]["change"] == "keep"
    assert fields(entry)["Address_Street"]["change"] == "overwrite"
    relmap("--full")
    after = sandbox.silvasoft.get(guid) or {}
    assert after["Address_City"] == "Typo-stad" and after["Address_Street"] != "Handstraat"
    settled = plan_of(relmap("--dry-run", "--full", "--format", "json"))
    assert relation(settled, "10003")["action"] == "unchanged"  # the kept value stays drift, and stays kept


def test_detailed_exitcode(sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult]):
    mapping(**NO_ERRORS)
    assert relmap("--dry-run", "--detailed-exitcode").code == 2  # changes pending
    assert relmap().code == 0
    assert relmap("--dry-run", "--detailed-exitcode").code == 0  # in step
    sandbox.outsmart.edit("10001", city="Hilversum")
    assert relmap("--dry-run", "--detailed-exitcode").code == 2
    mapping()  # the sample relations with errors come back
    assert relmap("--dry-run", "--detailed-exitcode").code == 1


def test_detailed_exitcode_turns_a_fatal_error_into_1(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
):
    mapping()
    monkeypatch.setenv("SILVASOFT_API_KEY", "wrong")
    result = relmap("--dry-run", "--detailed-exitcode")
    assert result.code == 1 and "relmap: error:" in result.err
    assert relmap("--dry-run").code == 2


def test_saved_plan_is_applied_exactly_and_changed_relations_are_left_alone(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], tmp_path: Path
):
    mapping()
    saved = tmp_path / "plan.json"
    made = relmap("--dry-run", "--out", str(saved))
    assert made.code == 1 and "Plan: 31 to create" in made.out
    assert writes(sandbox) == 0
    sandbox.outsmart.edit("10003", city="Hilversum")  # changed after the plan was made
    sandbox.outsmart.add({**(sandbox.outsmart.get("10001") or {}), "debtor_number": "99999", "email": "n@x.nl"})
    report = tmp_path / "applied.jsonl"
    applied = relmap("--plan", str(saved), "--report", str(report))
    assert applied.code == 1, applied.err  # the two relations with errors still fail
    lines = {line["debtor_number"]: line for line in map(json.loads, report.read_text().splitlines())}
    assert lines["10003"]["action"] == "skipped" and "changed in OutSmart since the plan" in lines["10003"]["error"]
    assert lines["99999"]["action"] == "skipped" and "not in the saved plan" in lines["99999"]["error"]
    assert Counter(line["action"] for line in lines.values())["created"] == 30
    assert writes(sandbox) == 30
    assert "left alone" in applied.out
    rest = relmap()
    assert "2 created" in rest.out  # 10003 and 99999, by the next ordinary run


def test_saved_plan_for_another_mapping_text_or_a_silvasoft_change_is_refused(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], tmp_path: Path
):
    mapping(**NO_ERRORS)
    relmap()
    sandbox.outsmart.edit("10001", city="Hilversum")
    saved = tmp_path / "plan.json"
    relmap("--dry-run", "--full", "--out", str(saved))
    sandbox.silvasoft.edit(guid_of(sandbox, 10001), Address_Street="Handstraat")
    applied = relmap("--plan", str(saved))
    assert applied.code == 3 and "1 planned relation was left alone" in applied.out
    assert (sandbox.silvasoft.get(guid_of(sandbox, 10001)) or {})["Address_City"] == "Loosdrecht"
    mapping(**NO_ERRORS, **KEEP_CITY)
    refused = relmap("--plan", str(saved))
    assert refused.code == 2 and "the mapping changed since" in refused.err
    saved.write_text("{}", encoding="utf-8")
    assert "is not a plan relmap saved" in relmap("--plan", str(saved)).err


def test_mask_pii_hides_personal_values_but_shows_that_they_change(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], tmp_path: Path
):
    mapping()
    report, saved = tmp_path / "masked.jsonl", tmp_path / "plan.json"
    result = relmap("--dry-run", "--format", "json", "--mask-pii", "--report", str(report), "--out", str(saved))
    doc = plan_of(result)
    assert doc["masked"] is True
    personal = {
        str(r[key]).strip()
        for r in sandbox.outsmart.relations()
        for key in ("name", "contact", "email", "email_workorder", "phone_number", "mobile")
        if r.get(key) and len(str(r[key]).strip()) >= 3
    }
    for text in (result.out, report.read_text(encoding="utf-8")):
        assert [value for value in personal if value in text] == []
    entry = fields(relation(doc, "10001"))
    email = entry["Relation_Contact[0].Email"]
    assert (email["after"], email["change"]) == ("•••", "add")
    assert entry["Address_City"]["after"] == "Loosdrecht"  # not personal
    assert "@" in saved.read_text(encoding="utf-8")  # the saved plan keeps what it will send
    tmp_path.joinpath("masked.json").write_text(result.out, encoding="utf-8")
    refused = relmap("--plan", str(tmp_path / "masked.json"))
    assert refused.code == 2 and "--mask-pii" in refused.err


def test_every_format_renders_without_secrets(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult]
):
    mapping()
    secrets = [value for value in sandbox.credentials.values() if len(value) >= 6]
    assert secrets
    for form in ("terminal", "json", "markdown", "html"):
        result = relmap("--dry-run", "--format", form)
        assert result.code == 1 and "10001" in result.out, form
        assert [s for s in secrets if s in result.out + result.err] == [], form


def test_incremental_plan_without_changes_reads_nothing_from_silvasoft(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult]
):
    mapping()
    relmap()
    sandbox.silvasoft.clear_log()
    doc = plan_of(relmap("--dry-run", "--format", "json"))
    shown = {r["debtor_number"]: r["action"] for r in doc["relations"]}
    assert {d for d, action in shown.items() if action != "unchanged"} == {"10005", "14233Aaa"}  # the open problems
    assert {shown["10005"], shown["14233Aaa"]} == {"error"}  # what the overlap re-reads is all in step
    assert doc["read"]["silvasoft_listed"] is False
    assert doc["cost"]["requests"] == 0 and sandbox.silvasoft.count() == 0


def test_plan_that_cannot_list_silvasoft_within_the_budget_says_so(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult]
):
    mapping(**{"requests_per_hour: 300": "requests_per_hour: 1"})
    assert relmap("--dry-run").code == 1  # the one request of the hour lists Silvasoft
    spent = relmap("--dry-run")
    assert spent.code == 2 and "cannot make the plan" in spent.err and "budget" in spent.err


def test_cost_beyond_this_hour_is_given_in_hours(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult]
):
    mapping(**{"requests_per_hour: 300": "requests_per_hour: 15"})
    doc = plan_of(relmap("--dry-run", "--format", "json"))
    assert doc["cost"]["left_this_hour"] == 14
    # 31 creates; each run lists Silvasoft first: 1 + 13 this hour, 1 + 14 the next, 1 + 4 the third
    assert (doc["cost"]["requests"], doc["cost"]["hours"]) == (34, 3)
    assert "about 3 hours on a 15-per-hour plan" in doc["cost"]["text"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--out", "p.json"), "--out goes with --dry-run"),
        (("--detailed-exitcode",), "--detailed-exitcode goes with --dry-run"),
        (("--show-unchanged",), "--show-unchanged goes with --dry-run"),
        (("--format", "html"), "--format goes with --dry-run"),
        (("--dry-run", "--plan", "p.json"), "--plan applies a saved plan"),
        (("--plan", "p.json", "--full"), "leave out --full"),
    ],
)
def test_options_that_need_each_other(mapping: Callable[..., Path], relmap: Callable[..., CliResult], args, message):
    mapping()
    result = relmap(*args)
    assert result.code == 2 and message in result.err


def normalized(text: str) -> str:
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<created>", text)
    text = re.sub(r'"(source|silvasoft)": "[0-9a-f]{16}"', r'"\1": "<fingerprint>"', text)
    text = re.sub(r'"digest": "[0-9a-f]+"', '"digest": "<digest>"', text)
    text = re.sub(r"mapping sha256 [0-9a-f]+", "mapping sha256 <digest>", text)
    text = re.sub(r"relmap [^\s,]+, <created>", "relmap <version>, <created>", text)
    return re.sub(r'"relmap_version": "[^"]+"', '"relmap_version": "<version>"', text)


def test_golden_plans_of_the_first_sync(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], golden, tmp_path: Path
):
    mapping()
    for form, name in (("json", "dry-run-first-sync.json"), ("terminal", "dry-run-first-sync.txt")):
        out = relmap("--dry-run", "--format", form).out.replace(str(tmp_path), "<tmp>")
        golden(name, normalized(out))


def test_saved_plan_with_a_relation_no_longer_read_reports_it_and_applies_the_rest(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], tmp_path: Path
):
    mapping(**NO_ERRORS)
    relmap()
    sandbox.outsmart.edit("10001", city="Hilversum")
    sandbox.outsmart.edit("10003", city="Soest")
    saved, report = tmp_path / "plan.json", tmp_path / "applied.jsonl"
    relmap("--dry-run", "--out", str(saved))
    sandbox.outsmart.remove("10001")
    applied = relmap("--plan", str(saved), "--report", str(report))
    assert applied.code == 3, applied.err
    lines = {line["debtor_number"]: line for line in map(json.loads, report.read_text().splitlines())}
    assert lines["10001"]["action"] == "skipped" and "no longer read" in lines["10001"]["error"]
    assert lines["10003"]["action"] == "updated"


def test_a_saved_plan_lists_silvasoft_so_a_later_hand_edit_is_not_overwritten(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], tmp_path: Path
):
    mapping(**NO_ERRORS)
    relmap()
    sandbox.outsmart.edit("10001", city="Hilversum")
    saved = tmp_path / "plan.json"
    doc = json.loads(relmap("--dry-run", "--format", "json", "--out", str(saved)).out)
    assert doc["read"]["full"] is False and doc["read"]["silvasoft_listed"] is True  # listed because of --out
    guid = guid_of(sandbox, 10001)
    sandbox.silvasoft.edit(guid, Address_Street="Handstraat")
    applied = relmap("--plan", str(saved))
    assert applied.code == 3 and "left alone" in applied.out
    assert (sandbox.silvasoft.get(guid) or {})["Address_Street"] == "Handstraat"


def test_a_saved_plan_writes_back_only_what_it_applied(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], tmp_path: Path
):
    write_back = {"    software_token: ${OUTSMART_SOFTWARE_TOKEN}\n": "    software_token: ${OUTSMART_SOFTWARE_TOKEN}\n"
                  "    write_back: true\n"}  # fmt: skip
    mapping(**NO_ERRORS, **write_back)
    saved = tmp_path / "plan.json"
    relmap("--dry-run", "--out", str(saved))
    sandbox.outsmart.edit("10003", city="Soest")  # changed after planning: not applied, so not written back
    relmap("--plan", str(saved))
    assert (sandbox.outsmart.get("10001") or {})["external_id"] == str(guid_of(sandbox, 10001))
    assert not (sandbox.outsmart.get("10003") or {}).get("external_id")


def test_a_broken_plan_file_is_a_clear_error(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], tmp_path: Path
):
    mapping()
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps({"kind": "relmap-plan", "format_version": 2, "relations": "xx"}), encoding="utf-8")
    result = relmap("--plan", str(saved))
    assert result.code == 2 and "is not a valid relmap plan" in result.err and "internal error" not in result.err


@pytest.mark.parametrize(("version", "made"), [(1, "an older relmap"), (3, "a newer relmap"), ("2", None)])
def test_a_plan_of_another_format_version_asks_for_a_new_plan(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], tmp_path: Path, version, made
):
    mapping(**NO_ERRORS)
    saved = tmp_path / "plan.json"
    assert relmap("--dry-run", "--out", str(saved)).code == 0
    doc = json.loads(saved.read_text(encoding="utf-8"))
    saved.write_text(json.dumps({**doc, "format_version": version}), encoding="utf-8")
    result = relmap("--plan", str(saved))
    said = f"has plan format {version!r}" + (f" (made by {made})" if made else "")
    assert result.code == 2 and f"{said}; this relmap applies format 2: make a new plan" in result.err
    assert writes(sandbox) == 0


def test_detailed_exitcode_of_a_mapping_that_does_not_compile_is_1(
    mapping: Callable[..., Path], relmap: Callable[..., CliResult]
):
    mapping(**{"relmap: 1\n": "relmap: 1\nbogus: [\n"})
    assert relmap("--dry-run", "--detailed-exitcode").code == 1


def test_an_unwritable_report_path_stops_before_anything_is_read(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], tmp_path: Path
):
    mapping()
    result = relmap("--report", str(tmp_path / "missing" / "r.jsonl"))
    assert result.code == 2 and "does not exist" in result.err
    assert sandbox.silvasoft.count() == 0 and sandbox.outsmart.count() == 0


def test_a_real_run_with_mask_pii_masks_its_progress_lines_and_report(
    sandbox: Sandbox, mapping: Callable[..., Path], run_cli: Callable[..., CliResult], tmp_path: Path
):
    mapping()
    report = tmp_path / "r.jsonl"
    result = run_cli("run", str(tmp_path / "routing.yaml"), "--mask-pii", "--report", str(report), cwd=tmp_path)
    assert "10001" in result.err and "P. van der Berg" not in result.err and "fam.jansen@ziggo.nl" not in result.err
    assert "fam.jansen@ziggo.nl" not in report.read_text(encoding="utf-8")


def _in_step_but_two(sandbox: Sandbox, relmap: Callable[..., CliResult]) -> None:
    """The sandbox after a sync, with 10003's city changed in OutSmart and 10002's street edited in Silvasoft."""
    relmap()
    sandbox.outsmart.edit("10003", city="Hilversum")
    sandbox.silvasoft.edit(guid_of(sandbox, 10002), Address_Street="Handstraat")


def test_a_plan_folds_the_unchanged_relations_unless_asked(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult]
):
    mapping()
    _in_step_but_two(sandbox, relmap)
    plan = relmap("--dry-run", "--full").out
    assert "Plan: 0 to create, 2 to update, 0 to link, 29 unchanged, 2 skipped, 2 errors" in plan
    assert "\n= 29 unchanged relations (--show-unchanged lists them)\n" in plan
    assert not re.search(r"^= \d+  ", plan, re.MULTILINE)  # no line of its own for an unchanged relation
    shown = {line.split()[1] for line in plan.splitlines() if line[:2] in ("~ ", "! ", "- ")}
    assert shown == {"10002", "10003", "10005", "14233Aaa", "10014", "10025"}
    listed = relmap("--dry-run", "--full", "--show-unchanged").out
    assert len(re.findall(r"^= \d+  .+  unchanged  ", listed, re.MULTILINE)) == 29
    assert "(--show-unchanged lists them)" not in listed
    md = relmap("--dry-run", "--full", "--format", "markdown").out
    assert "<code>=</code> 29 unchanged relations (--show-unchanged lists them)" in md and "| 10001 |" not in md
    assert "<details><summary>29 unchanged relations</summary>" in relmap(
        "--dry-run", "--full", "--format", "markdown", "--show-unchanged").out  # fmt: skip


def test_the_json_plan_is_compact_unless_asked_and_both_forms_validate(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], tmp_path: Path
):
    mapping()
    _in_step_but_two(sandbox, relmap)
    report = tmp_path / "plan.jsonl"
    small_out = relmap("--dry-run", "--full", "--format", "json", "--report", str(report)).out
    whole_out = relmap("--dry-run", "--full", "--format", "json", "--show-unchanged").out
    small, whole = plan_of(CliResult(1, small_out, "")), plan_of(CliResult(1, whole_out, ""))
    assert (small["show_unchanged"], whole["show_unchanged"]) == (False, True)
    assert small["summary"] == whole["summary"] and small["cost"]["requests"] == whole["cost"]["requests"]
    compact = [r for r in small["relations"] if "fields" not in r]
    assert len(compact) == 29 and {r["action"] for r in compact} == {"unchanged"}
    assert all("fields" in r and r["fields_omitted"] == 0 for r in whole["relations"])
    updated = relation(small, "10003")
    assert [f["parameter"] for f in updated["fields"]] == ["Address_City"]
    assert updated["fields_omitted"] == len(relation(whole, "10003")["fields"]) - 1
    assert updated["send"] == relation(whole, "10003")["send"]
    by_number = {r["debtor_number"]: r for r in whole["relations"]}
    for entry in compact:  # the compact entry is the full one, less what a reader of an unchanged relation skips
        assert entry == {key: by_number[entry["debtor_number"]][key] for key in entry}
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert lines == small["relations"]
    per_relation = len(small_out.encode()) / len(small["relations"]), len(whole_out.encode()) / len(whole["relations"])
    assert per_relation[0] < per_relation[1] / 4, per_relation


def test_a_compact_saved_plan_applies_and_says_why_a_relation_it_found_unchanged_is_left(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], tmp_path: Path
):
    mapping(**NO_ERRORS)
    relmap()
    sandbox.outsmart.edit("10001", city="Hilversum")
    saved, report = tmp_path / "plan.json", tmp_path / "applied.jsonl"
    relmap("--dry-run", "--full", "--out", str(saved))
    doc = json.loads(saved.read_text(encoding="utf-8"))
    assert doc["show_unchanged"] is False and "fields" not in relation(doc, "10004")
    sandbox.outsmart.edit("10004", city="Soest")  # planned unchanged; now it needs an update
    sandbox.silvasoft.edit(guid_of(sandbox, 10006), Address_Street="Handstraat")  # likewise, from Silvasoft
    applied = relmap("--plan", str(saved), "--report", str(report))
    assert applied.code == 3, applied.err
    lines = {line["debtor_number"]: line for line in map(json.loads, report.read_text().splitlines())}
    assert lines["10001"]["action"] == "updated"
    assert (lines["10004"]["action"], lines["10004"]["error"]) == (
        "skipped",
        "changed in OutSmart since the plan was made, which found it unchanged; left for the next run",
    )
    assert (lines["10006"]["action"], lines["10006"]["error"]) == (
        "skipped",
        "changed in Silvasoft since the plan was made, which found it unchanged; left for the next run",
    )
    assert (sandbox.silvasoft.get(guid_of(sandbox, 10001)) or {})["Address_City"] == "Hilversum"
    assert (sandbox.silvasoft.get(guid_of(sandbox, 10004)) or {})["Address_City"] != "Soest"
    assert relmap("--full").code == 0  # the next ordinary run picks them up
    assert (sandbox.silvasoft.get(guid_of(sandbox, 10004)) or {})["Address_City"] == "Soest"


def test_golden_plans_after_a_sync(
    sandbox: Sandbox,
    mapping: Callable[..., Path],
    relmap: Callable[..., CliResult],
    run_cli: Callable[..., CliResult],
    golden,
    tmp_path: Path,
):
    mapping()
    _in_step_but_two(sandbox, relmap)
    for args, name in (
        (("--format", "terminal"), "dry-run-after-sync.txt"),
        (("--format", "terminal", "--show-unchanged"), "dry-run-after-sync-all.txt"),
        (("--format", "markdown"), "dry-run-after-sync.md"),
        (("--format", "markdown", "--show-unchanged"), "dry-run-after-sync-all.md"),
        (("--format", "json"), "dry-run-after-sync.json"),
    ):
        out = run_cli("run", "routing.yaml", "-q", "--dry-run", "--full", *args, cwd=tmp_path).out
        golden(name, normalized(out))


class Pieces(io.StringIO):
    """A stream that remembers the size of every write."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def write(self, text: str) -> int:
        self.sizes.append(len(text))
        return super().write(text)


def test_the_json_plan_is_written_in_pieces_as_json_dumps_would_write_it_whole(
    sandbox: Sandbox, mapping: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path, saved, report = mapping(), tmp_path / "plan.json", tmp_path / "report.jsonl"
    out, err = Pieces(), io.StringIO()
    monkeypatch.chdir(tmp_path)
    args = ["run", str(path), "-q", "--dry-run", "--format", "json", "--out", str(saved), "--report", str(report)]
    assert main(args, stdout=out, stderr=err) == 1, err.getvalue()
    text = out.getvalue()
    doc = json.loads(text)
    assert text == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    assert len(out.sizes) > 1 and max(out.sizes) < 2 * 2**16  # 64 KB at a time, never the whole document
    assert saved.read_text(encoding="utf-8") == text  # without --mask-pii, the saved plan is the plan shown
    lines = report.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == doc["relations"]
    assert lines[0] == json.dumps(doc["relations"][0], ensure_ascii=False)


def test_a_full_plan_renders_each_relation_once_coverage_included(
    sandbox: Sandbox, mapping: Callable[..., Path], relmap: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
):
    from relmap.mapping.render import Renderer

    rendered: Counter[str] = Counter()
    real = Renderer.render

    def counting(self: Renderer, record: Any) -> Any:
        rendered[record.debtor_number] += 1
        return real(self, record)

    monkeypatch.setattr(Renderer, "render", counting)
    mapping()
    doc = plan_of(relmap("--dry-run", "--full", "--format", "json"))
    assert doc["coverage"]["records"] == len(rendered) == len(doc["relations"])  # every relation read, once
    assert set(rendered.values()) == {1}
    assert doc["coverage"]["routes_unmatched"] == [] and doc["coverage"]["fields_unread"]  # measured on the data
