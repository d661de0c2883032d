"""Record warnings: ``on_invalid: warn`` leaves an invalid value out, says so everywhere, and never fails a relation.

The case in tests/cases/warnings/ (a mapping, four OutSmart relations and their tests) is rendered offline, planned
and synced against the sandbox over real HTTP, tested, explained and measured; each view has its golden file.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ROOT, CliResult

from relmap.mapping.compiler import compile_text
from relmap.mapping.render import Renderer
from relmap.report.plan_html import html
from relmap.report.plan_markdown import markdown
from relmap.report.plan_text import text as plan_text
from relmap.sandbox import Sandbox
from relmap.sources.records import SourceRecord, normalize_record

CASE = ROOT / "tests" / "cases" / "warnings"
MAPPING = "tests/cases/warnings/mapping.yaml"
INPUT = ("--input", "tests/cases/warnings/relations.json")
PLAN_SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text(encoding="utf-8"))
BASE = """\
relmap: 1
source:
  file: {path: input.json}
routes:
  - endpoint: addprivaterelation
    fields:
"""


def relations() -> list[dict[str, Any]]:
    response: list[dict[str, Any]] = json.loads((CASE / "relations.json").read_text(encoding="utf-8"))["response"]
    return response


def compiled(fields: str, tmp_path: Path) -> Any:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    return compile_text(BASE + textwrap.indent(textwrap.dedent(fields), " " * 6), "m.yaml", tmp_path)


def rendered(fields: str, tmp_path: Path, **values: Any) -> Any:
    result = compiled(fields, tmp_path)
    assert result.plan is not None, [d.text() for d in result.diagnostics]
    raw = {"debtor_number": "1001", "name": "Jansen", "contact": "Piet Jansen", **values}
    record = normalize_record(raw, 0, "test:1")
    assert isinstance(record, SourceRecord)
    return Renderer(result.plan).render(record)


CONTACT = """\
Relation_Contact:
  - FirstName: {template: "{{ contact | first_name }}", fallback: "-"}
    LastName: {template: "{{ contact | last_name }}"}
    Phone: {template: "{{ phone_number | phone(strict=true) }}", ON_INVALID}
"""


# ---- rendering ------------------------------------------------------------------------------------------------------


def test_an_argument_the_filter_refuses_stays_an_error_with_warn(tmp_path: Path) -> None:
    # given through vars, so validate cannot see it: the mapping's mistake, not the relation's data
    fields = CONTACT.replace('phone(strict=true) }}", ON_INVALID', 'phone(format=vars.fmt) }}", on_invalid: warn')
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    text = BASE.replace("routes:", "vars: {fmt: E.164}\nroutes:") + textwrap.indent(textwrap.dedent(fields), " " * 6)
    result = compile_text(text, "m.yaml", tmp_path)
    assert result.plan is not None, [d.text() for d in result.diagnostics]
    record = normalize_record({"debtor_number": "1", "contact": "Piet Jansen", "phone_number": "0612345678"}, 0, "t")
    assert isinstance(record, SourceRecord)
    rendered_ = Renderer(result.plan).render(record)
    assert rendered_.status == "error" and rendered_.warnings == ()
    assert "unknown phone format: 'E.164'" in rendered_.errors[0].message


def test_warn_leaves_the_invalid_value_out_and_the_relation_goes_on(tmp_path: Path) -> None:
    result = rendered(CONTACT.replace("ON_INVALID", "on_invalid: warn"), tmp_path, phone_number="12345")
    assert result.status == "ok" and result.errors == ()
    assert result.payload == {"Relation_Contact": [{"FirstName": "Piet", "LastName": "Jansen"}]}
    [warning] = result.warnings
    assert (warning.parameter, warning.message, warning.rule.short()) == (
        "Relation_Contact[0].Phone",
        "not a valid phone number: '12345'",
        "m.yaml:10",
    )
    valid = rendered(CONTACT.replace("ON_INVALID", "on_invalid: warn"), tmp_path, phone_number="0612345678")
    assert valid.warnings == () and valid.payload["Relation_Contact"][0]["Phone"] == "+31612345678"


@pytest.mark.parametrize("on_invalid", ["", "on_invalid: error"])
def test_error_is_the_default_and_fails_the_relation(on_invalid: str, tmp_path: Path) -> None:
    result = rendered(
        CONTACT.replace(", ON_INVALID", f", {on_invalid}" if on_invalid else ""), tmp_path, phone_number="1"
    )
    assert result.status == "error" and result.warnings == ()
    assert [e.text() for e in result.errors] == ["Relation_Contact[0].Phone: not a valid phone number: '1' (m.yaml:10)"]


def test_a_lookup_miss_and_a_conversion_can_warn_too(tmp_path: Path) -> None:
    result = rendered(
        """\
        CustomerNumber: {from: debtor_number, on_invalid: warn}
        GroupName: {from: debtor_type, map: {customer: Klant}, on_invalid: warn}
        Relation_Contact: [{FirstName: name, LastName: name}]
        """,
        tmp_path,
        debtor_number="10x",
        debtor_type="lead",
    )
    assert result.status == "ok" and result.payload == {
        "Relation_Contact": [{"FirstName": "Jansen", "LastName": "Jansen"}]
    }
    assert [(w.parameter, w.message.split(" (")[0]) for w in result.warnings] == [
        ("CustomerNumber", "'10x' is not a whole number"),
        ("GroupName", "'lead' is not in the map"),
    ]


def test_an_item_whose_only_data_was_invalid_is_left_out_with_its_warning(tmp_path: Path) -> None:
    result = rendered(
        """\
        Relation_Contact: [{FirstName: name, LastName: name}]
        Relation_BankAccount:
          IBAN: {template: "{{ ff[5] | iban }}", on_invalid: warn}
          Name: {value: Rabobank}
        """,
        tmp_path,
        val_value_5="NL00 BANK 0000 0000 00",
    )
    assert result.status == "ok" and "Relation_BankAccount" not in result.payload
    assert [w.parameter for w in result.warnings] == ["Relation_BankAccount.IBAN"]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ record['no_such_field'] }}", "template uses something this record does not have"),
        ("{{ name * 10**9 }}", "would hold more than 1,000,000"),  # a bound is never the data's fault
        ("{{ 1 / (name | length - 6) }}", "template failed: division by zero"),
    ],
)
def test_mistakes_in_the_template_and_its_bounds_still_fail_the_relation(
    template: str, message: str, tmp_path: Path
) -> None:
    result = rendered(
        f"Address_City: {{template: {json.dumps(template)}, on_invalid: warn}}\n"
        "Relation_Contact: [{FirstName: name, LastName: name}]\n",
        tmp_path,
    )
    assert result.status == "error" and result.warnings == ()
    assert message in result.errors[0].message, result.errors


# ---- validation -----------------------------------------------------------------------------------------------------


def test_warn_where_a_value_may_not_be_empty_is_a_located_error(tmp_path: Path) -> None:
    result = compiled(
        """\
        Relation_Contact:
          - FirstName: {template: "{{ contact | first_name }}", required: true, on_invalid: warn}
            LastName: {template: "{{ contact | last_name }}", on_invalid: warn}
        IsCustomer: {value: true, on_invalid: warn}
        GroupName: {from: debtor_type, on_invalid: error}
        """,
        tmp_path,
    )
    assert result.plan is None
    assert [d.text() for d in result.diagnostics] == [
        "m.yaml:8:79: error: on_invalid: warn would leave FirstName out, but required: true says it may not be empty "
        "(leave out on_invalid: an invalid value then fails the record) [on-invalid-required]",
        "m.yaml:9:61: error: on_invalid: warn would leave LastName out, but Silvasoft requires LastName: it may not be "
        "empty (leave out on_invalid: an invalid value then fails the record) [on-invalid-required]",
        "m.yaml:10:33: warning: on_invalid has no effect on a constant: relmap validate checks it [unused-key]",
    ]


def test_an_unknown_choice_is_a_schema_error_with_the_choices(tmp_path: Path) -> None:
    result = compiled(
        "Relation_Contact: [{FirstName: name, LastName: name}]\nAddress_City: {from: city, on_invalid: omit}\n",
        tmp_path,
    )
    [found] = [d for d in result.diagnostics if d.severity == "error"]
    assert (found.location.line, found.code) == (8, "bad-value")
    assert "error" in found.text() and "warn" in found.text()


def test_the_published_schema_offers_on_invalid_in_every_rule() -> None:
    schema = json.loads((ROOT / "schemas" / "mapping.schema.json").read_text(encoding="utf-8"))
    rule = next(option for option in schema["$defs"]["rule"]["anyOf"] if option.get("type") == "object")
    assert rule["properties"]["on_invalid"]["enum"] == ["error", "warn"]


# ---- relmap render --------------------------------------------------------------------------------------------------


def test_render_shows_the_warnings_in_every_format(
    run_cli: Callable[..., CliResult], golden: Callable[[str, str], None]
) -> None:
    text = run_cli("render", MAPPING, *INPUT)
    assert text.code == 1  # 2000x has a record error; the warnings alone would give 0
    assert text.err == "4 relations: 3 rendered, 0 skipped, 1 with errors; 4 record warnings (parameters left out)\n"
    golden("render-warnings.txt", text.out)
    as_json = run_cli("render", MAPPING, *INPUT, "--format", "json")
    golden("render-warnings.json", as_json.out)
    document = json.loads(as_json.out)
    assert document["summary"] == {"total": 4, "ok": 3, "skipped": 0, "error": 1, "warnings": 4}
    lines = [json.loads(line) for line in run_cli("render", MAPPING, *INPUT, "--format", "jsonl").out.splitlines()]
    assert lines == document["results"]
    assert [len(line["warnings"]) for line in lines] == [0, 1, 2, 1]


def test_warnings_alone_never_change_the_exit_code(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    only_warned = {"code": 200, "messages": [], "response": [r for r in relations() if r["debtor_number"] != "2000x"]}
    (tmp_path / "warned.json").write_text(json.dumps(only_warned), encoding="utf-8")
    result = run_cli("render", MAPPING, "--input", str(tmp_path / "warned.json"))
    assert (result.code, result.err.split(": ", 1)[1]) == (
        0,
        "3 rendered, 0 skipped, 0 with errors; 3 record warnings (parameters left out)\n",
    )


# ---- relmap run: the report and the summary, over HTTP ---------------------------------------------------------------


def _world(monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, Any]]) -> Sandbox:
    world = Sandbox(relations=rows).start()
    for name, value in world.credentials.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RELMAP_OUTSMART_URL", world.outsmart_url)
    monkeypatch.setenv("RELMAP_SILVASOFT_URL", world.silvasoft_url)
    monkeypatch.setenv("RELMAP_SILVASOFT_PACE", "1000/s")
    return world


@pytest.fixture
def warned_world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    shutil.copy(CASE / "mapping.yaml", tmp_path / "mapping.yaml")
    world = _world(monkeypatch, [r for r in relations() if r["debtor_number"] != "2000x"])
    yield world
    world.stop()


def test_a_run_syncs_the_relations_without_their_invalid_values_and_reports_the_warnings(
    warned_world: Sandbox, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    result = run_cli("run", "mapping.yaml", "-q", "--report", "report.jsonl", cwd=tmp_path)
    assert result.code == 0, result.err  # every relation is in step: a warning is not a failure
    assert result.out.splitlines()[:2] == [
        "Sync: 3 created, 0 updated, 0 linked, 0 unchanged, 0 skipped, 0 failed, 0 pending. Silvasoft requests: 4 "
        "spent, 296 left this hour (plan: 300 per hour)",
        "Record warnings: 3, on 2 relations: parameters left out by on_invalid: warn (--report lists them)",
    ]
    report = {
        line["debtor_number"]: line for line in map(json.loads, (tmp_path / "report.jsonl").read_text().splitlines())
    }
    assert report["20001"]["warnings"] == []
    assert report["20002"]["warnings"] == [
        {
            "parameter": "Relation_Contact[0].Phone",
            "message": "not a valid phone number: 'via receptie'",
            "rule": "mapping.yaml:34",
        }
    ]
    assert [w["parameter"] for w in report["20003"]["warnings"]] == ["Address_PostalCode", "GroupName"]
    stored = {r["CustomerNumber"]: r for r in warned_world.silvasoft.relations()}
    assert "Phone" not in json.dumps(stored[20002].get("Relation_Contact", [])) and stored[20002]["Name"]
    again = run_cli("run", "mapping.yaml", "-q", "--full", cwd=tmp_path)
    assert again.code == 0 and "Record warnings: 3, on 2 relations" in again.out  # said on every run that reads them


def test_masked_reports_mask_the_personal_value_a_warning_quotes(
    warned_world: Sandbox, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    run_cli("run", "mapping.yaml", "-q", "--mask-pii", "--report", "report.jsonl", cwd=tmp_path)
    text = (tmp_path / "report.jsonl").read_text()
    assert "via receptie" not in text
    warned = [w for line in map(json.loads, text.splitlines()) for w in line["warnings"]]
    assert {"parameter": "Relation_Contact[0].Phone", "message": "not a valid phone number: '•••'"} in [
        {k: w[k] for k in ("parameter", "message")} for w in warned
    ]
    assert any(w["message"] == "not a Dutch postcode: '20000'" for w in warned)  # not personal: kept


# ---- relmap run --dry-run: the plan in every format ------------------------------------------------------------------


def normalized(text: str) -> str:
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<created>", text)
    text = re.sub(r"[0-9a-f]{64}", "<digest>", text)
    text = re.sub(r"mapping sha256 [0-9a-f]+", "mapping sha256 <digest>", text)
    text = re.sub(r"'sha256-[A-Za-z0-9+/=]+'", "'sha256-<hash>'", text)
    text = re.sub(r"relmap \d+\.\d+\.\S+?(,| at|\")", r"relmap <version>\1", text)
    return re.sub(r'"relmap_version": "[^"]+"', '"relmap_version": "<version>"', text)


def test_the_plan_shows_the_warnings_in_every_format(
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Callable[..., CliResult],
    golden: Callable[[str, str], None],
    tmp_path: Path,
) -> None:
    shutil.copy(CASE / "mapping.yaml", tmp_path / "mapping.yaml")
    world = _world(monkeypatch, relations())
    try:
        for form, name in (("json", "json"), ("terminal", "txt"), ("markdown", "md"), ("html", "html")):
            result = run_cli("run", "mapping.yaml", "-q", "--dry-run", "--format", form, cwd=tmp_path)
            assert result.code == 1, result.err  # 2000x's record error; the warnings add nothing to it
            golden(f"plan-warnings.{name}", normalized(result.out))
            if form == "json":
                doc = json.loads(result.out)
        saved = run_cli("run", "mapping.yaml", "-q", "--dry-run", "--out", "plan.json", cwd=tmp_path)
        applied = run_cli("run", "mapping.yaml", "-q", "--plan", "plan.json", cwd=tmp_path)
    finally:
        world.stop()
    jsonschema.validate(doc, PLAN_SCHEMA)
    assert doc["summary"]["record_warnings"] == 4
    by_debtor = {r["debtor_number"]: r for r in doc["relations"]}
    assert [len(by_debtor[d]["warnings"]) for d in ("20001", "20002", "20003", "2000x")] == [0, 1, 2, 1]
    assert "Relation_Contact[0].Phone" not in [f["parameter"] for f in by_debtor["20002"]["fields"]]
    assert doc["coverage"]["warnings_per_rule"] == [
        {"parameter": "Relation_Contact[0].Phone", "rule": "mapping.yaml:34", "records": 2},
        {"parameter": "Address_PostalCode", "rule": "mapping.yaml:27", "records": 1},
        {"parameter": "GroupName", "rule": "mapping.yaml:29", "records": 1},
    ]
    assert saved.code == 1 and applied.code == 1, applied.err  # the saved plan validates and applies, warnings and all
    assert "3 created" in applied.out


def test_every_plan_format_masks_what_a_warning_quotes() -> None:
    doc = json.loads((ROOT / "tests" / "golden" / "plan-warnings.json").read_text(encoding="utf-8"))
    from relmap.report.mask import Masker

    for index, relation in enumerate(doc["relations"]):
        doc["relations"][index] = Masker.for_relation({}, {}).relation(relation)
    doc["masked"] = True
    for shown in (plan_text(doc), markdown(doc), html(doc)):
        assert "via receptie" not in shown and "12345'" not in shown
        assert "not a Dutch postcode: &#x27;20000&#x27;" in shown or "not a Dutch postcode: '20000'" in shown


def test_a_plan_without_warnings_says_nothing_of_them() -> None:
    doc = json.loads((ROOT / "tests" / "cases" / "plan-sample.json").read_text(encoding="utf-8"))
    assert "record_warnings" not in doc["summary"]  # a plan made before record warnings still renders
    for shown in (plan_text(doc), markdown(doc), html(doc)):
        assert "record warning" not in shown.lower()


# ---- relmap test, explain, and coverage -----------------------------------------------------------------------------


def test_mapping_tests_check_the_warnings_they_name(
    run_cli: Callable[..., CliResult], golden: Callable[[str, str], None]
) -> None:
    passing = run_cli("test", "tests/cases/warnings/mapping.tests.yaml")
    assert (passing.code, passing.out.splitlines()[-1]) == (0, "Total: 4 passed, 0 failed")
    failing = run_cli("test", "tests/cases/warnings/failing.tests.yaml")
    assert failing.code == 1
    golden("test-warnings-failures.txt", failing.out)
    document = json.loads(run_cli("test", "tests/cases/warnings/failing.tests.yaml", "--format", "json").out)
    [case] = [c for c in document["files"][0]["cases"] if c["name"] == "expects another warning"]
    assert case["failures"][0]["expectation"] == "warnings"
    assert case["result"]["warnings"][0]["parameter"] == "Relation_Contact[0].Phone"


def test_a_skipped_relation_cannot_be_expected_to_warn(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    tests = tmp_path / "x.tests.yaml"
    tests.write_text(
        f"mapping: {CASE / 'mapping.yaml'}\ncases:\n  - name: both\n    input: {{debtor_number: '1'}}\n"
        "    expect: {skipped: true, warnings: true}\n",
        encoding="utf-8",
    )
    result = run_cli("test", str(tests))
    assert result.code == 2 and "[conflicting-expectations]" in result.out
    assert "a skipped relation has no warnings" in result.out


def test_explain_shows_each_warning_at_its_parameter(
    run_cli: Callable[..., CliResult], golden: Callable[[str, str], None]
) -> None:
    text = run_cli("explain", MAPPING, "20003", *INPUT)
    assert (text.code, text.err) == (0, "")
    golden("explain-warnings.txt", text.out)
    document = json.loads(run_cli("explain", MAPPING, "20003", *INPUT, "--format", "json").out)
    statuses = {p["parameter"]: p["status"] for p in document["parameters"]}
    assert (statuses["Address_PostalCode"], statuses["GroupName"], statuses["Address_City"]) == (
        "warning",
        "warning",
        "set",
    )
    assert [w["parameter"] for w in document["warnings"]] == ["Address_PostalCode", "GroupName"]
    failed = run_cli("explain", MAPPING, "2000x", *INPUT)
    assert failed.code == 1  # its record error; its warning is shown beside it
    assert "  warning: Relation_Contact[0].Phone: not a valid phone number: '12345'" in failed.out


def test_coverage_counts_the_warnings_of_each_rule(
    run_cli: Callable[..., CliResult], golden: Callable[[str, str], None]
) -> None:
    result = run_cli("validate", "--verbose", *INPUT, MAPPING)
    assert result.code == 0
    golden("validate-verbose-warnings.txt", result.out)
    document = json.loads(run_cli("validate", "--verbose", *INPUT, MAPPING, "--format", "json").out)
    [coverage] = [f["coverage"] for f in document["files"]]
    assert coverage["warnings_per_rule"][0] == {
        "parameter": "Relation_Contact[0].Phone",
        "rule": "tests/cases/warnings/mapping.yaml:34",
        "records": 2,
    }
