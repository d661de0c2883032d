"""`relmap test`: the shipped mapping tests pass, and every failure and mistake is located and clear."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MAPPINGS, ROOT, SAMPLES
from jsonschema import Draft202012Validator

from relmap.catalog.outsmart import BY_NAME
from relmap.catalog.silvasoft import ENDPOINTS
from relmap.mapping_tests.compare import diff, difference_text

PACKAGED = ROOT / "relmap" / "schemas" / "mapping-tests.schema.json"
PUBLISHED = ROOT / "schemas" / "mapping-tests.schema.json"
SHIPPED = sorted(p.name for p in MAPPINGS.glob("*.yaml") if not p.name.endswith(".tests.yaml"))
MODELINE = "# yaml-language-server: $schema=../schemas/mapping-tests.schema.json"


# ---- the shipped mappings' tests ------------------------------------------------------------------------------------


def test_shipped_mapping_tests_all_pass(run_cli) -> None:
    result = run_cli("test", "mappings/")
    assert result.code == 0, result.out
    assert result.out == (
        "mappings/bookkeeping-policy.tests.yaml: 40 passed, 0 failed\n"
        "mappings/business-routing.tests.yaml: 21 passed, 0 failed\n"
        "mappings/freefields-custom-fields.tests.yaml: 12 passed, 0 failed\n"
        "mappings/private-relations.tests.yaml: 19 passed, 0 failed\n"
        "Total: 92 passed, 0 failed\n"
    )
    assert result.err == ""


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_mapping_has_tests_that_pin_it(name: str) -> None:
    tests = MAPPINGS / name.replace(".yaml", ".tests.yaml")
    text = tests.read_text(encoding="utf-8")
    assert text.splitlines()[0] == MODELINE
    for kind in ("\n      payload:\n", "payload_includes:", "sample: samples/relations.json#", "skipped:", "error:"):
        assert kind in text, f"{tests.name} has no case with {kind.strip()}"


def test_a_mapping_path_runs_its_tests(run_cli) -> None:
    result = run_cli("test", "mappings/private-relations.yaml")
    assert (result.code, result.out) == (
        0,
        "mappings/private-relations.tests.yaml: 19 passed, 0 failed\nTotal: 19 passed, 0 failed\n",
    )


def test_a_test_file_named_twice_runs_once(run_cli) -> None:
    result = run_cli("test", "mappings/private-relations.tests.yaml", "mappings/private-relations.yaml")
    assert result.out.count("private-relations.tests.yaml") == 1


# ---- the failure report ---------------------------------------------------------------------------------------------


def test_failure_report(run_cli, golden) -> None:
    result = run_cli("test", "tests/cases/failing.tests.yaml")
    golden("test-failures.txt", result.out)
    assert result.code == 1
    assert result.out.endswith("tests/cases/failing.tests.yaml: 1 passed, 9 failed\nTotal: 1 passed, 9 failed\n")


def test_payload_diff_names_each_key(run_cli) -> None:
    result = run_cli("test", "tests/cases/failing.tests.yaml")
    block = result.out.split("FAIL payload differs\n")[1].split("tests/cases/")[0]
    assert block == (
        "  payload: 5 differences\n"
        '    CustomerNumber: expected "10001", got 10001 (a number, not a string)\n'
        '    GroupName: expected "Zakelijk", got "Particulier"\n'
        '    Address_PostalCode: expected "1234AB", got "1234 AB"\n'
        '    Relation_Contact[0].Sex: unexpected "Man"\n'
        '    Relation_Contact[1]: missing, expected {"FirstName": "Anna"}\n'
    )
    # the FAIL line points at the failing expectation, not at the case
    assert "tests/cases/failing.tests.yaml:22: FAIL payload differs\n" in result.out


def test_render_errors_are_shown_with_their_rule(run_cli) -> None:
    result = run_cli("test", "tests/cases/failing.tests.yaml")
    assert (
        "FAIL expected a payload, got record errors\n"
        "  expected a payload, got record errors:\n"
        "    CustomerNumber: '14233Aaa' is not a whole number (mappings/business-routing.yaml:68)\n"
    ) in result.out


def test_json_format(run_cli) -> None:
    result = run_cli("test", "tests/cases/failing.tests.yaml", "mappings/private-relations.yaml", "--format", "json")
    assert result.code == 1
    document = json.loads(result.out)
    assert document["format_version"] == 1
    assert document["summary"] == {"files": 2, "passed": 20, "failed": 9, "not_run": 0}
    failing, private = document["files"]
    assert failing["mapping"] == "mappings/business-routing.yaml"
    assert private["summary"] == {"passed": 19, "failed": 0, "not_run": 0}
    cases = {case["name"]: case for case in failing["cases"]}
    assert cases["passes"]["status"] == "passed" and cases["passes"]["failures"] == []
    assert cases["passes"]["result"]["route"] == "consumers"
    wrong = cases["wrong route"]
    assert wrong["status"] == "failed" and wrong["line"] == 13
    assert [(f["expectation"], f["line"], f["column"]) for f in wrong["failures"]] == [
        ("route", 16, 7),
        ("endpoint", 17, 7),
    ]
    [payload] = cases["payload differs"]["failures"]
    assert payload["differences"][0] == {
        "path": "CustomerNumber",
        "kind": "changed",
        "expected": "10001",
        "actual": 10001,
    }
    assert payload["differences"][-1]["kind"] == "missing"
    errors = cases["expected a payload, got record errors"]
    assert errors["result"]["errors"][0]["rule"] == "mappings/business-routing.yaml:68"


# ---- each feature, on a copy of a shipped mapping ---------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path, run_cli) -> Callable[..., Any]:
    """Write ``m.tests.yaml`` beside a copy of business-routing.yaml (``m.yaml``) and the samples; run it there."""
    shutil.copy(MAPPINGS / "business-routing.yaml", tmp_path / "m.yaml")
    shutil.copytree(SAMPLES, tmp_path / "samples")

    def run(text: str, *args: str) -> Any:
        (tmp_path / "m.tests.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        return run_cli("test", "m.tests.yaml", *args, cwd=tmp_path)

    return run


def located(result: Any) -> list[tuple[int, int, str, str]]:
    """(line, column, severity, code) of every diagnostic of a --format json run."""
    document = json.loads(result.out)
    return [(d["line"], d["column"], d["severity"], d["code"]) for f in document["files"] for d in f["diagnostics"]]


def test_inline_input_with_named_and_numbered_freefields(workspace) -> None:
    result = workspace(
        """\
        - name: inline
          input:
            debtor_number: "20001"
            debtor_type: customer
            name: Jan Smit
            postal_code: 1234ab
            freefields: {"3": x}
          expect:
            route: consumers
            payload_includes: {Address_PostalCode: 1234 AB, CustomerNumber: 20001}
        """
    )
    assert (result.code, result.out) == (0, "m.tests.yaml: 1 passed, 0 failed\nTotal: 1 passed, 0 failed\n")


def test_sample_with_overrides_and_vars(workspace) -> None:
    result = workspace(
        """\
        cases:
          - name: override
            sample: samples/relations.json#10006
            input: {country: "", vat_number: null}
            vars: {default_country: BE}
            expect:
              route: consumers
              payload_includes: {Address_CountryCode: BE, Address_PostalCode: "2000", Address_Street: Meir}
        """
    )
    assert result.code == 0, result.out


@pytest.mark.parametrize("sample", ["relations.json", "relations.jsonl", "relations.csv"])
def test_samples_in_every_export_format(workspace, sample: str) -> None:
    result = workspace(
        f"""\
        - name: freefields and all
          sample: samples/{sample}#10002
          expect:
            route: companies
            payload_includes: {{RegistrationNumber: "30123456", Relation_Contact: [{{Phone: "+31302412890"}}]}}
        """
    )
    assert (result.code, result.out) == (0, "m.tests.yaml: 1 passed, 0 failed\nTotal: 1 passed, 0 failed\n")


@pytest.mark.parametrize(
    "expect, passes",
    [
        ("payload_includes: {GroupName: Particulier}", True),
        ("payload_includes: {Relation_Contact: [{FirstName: Piet}]}", True),
        ("payload_includes: {Relation_Contact: [{FirstName: Piet}, {FirstName: Jan}]}", False),
        ("payload_includes: {Address_UnitAppendix: null}", True),
        ("payload_includes: {Address_Unit: null}", False),
        ("payload_includes: {IsCustomer: 1}", False),
        ("payload_includes: {CustomerNumber: 10001.0}", True),
        ("payload: {CustomerNumber: 10001}", False),
        ("skipped: true", False),
        ("error: true", False),
        ("endpoint: addprivaterelation", True),
    ],
)
def test_expectations_on_a_consumer(workspace, expect: str, passes: bool) -> None:
    result = workspace(f"- name: c\n  sample: samples/relations.json#10001\n  expect: {{{expect}}}\n")
    assert result.code == (0 if passes else 1), result.out


@pytest.mark.parametrize(
    "expect, passes",
    [
        ("skipped: true", True),
        ("skipped: inactive", True),
        ("skipped: lead", False),
        ("route: consumers", False),
    ],
)
def test_expectations_on_a_skipped_relation(workspace, expect: str, passes: bool) -> None:
    result = workspace(f"- name: c\n  sample: samples/relations.json#10014\n  expect: {{{expect}}}\n")
    assert result.code == (0 if passes else 1), result.out


@pytest.mark.parametrize(
    "expect, passes",
    [
        ("error: true", True),
        ("error: {parameter: CustomerNumber}", True),
        ("error: {message: not a whole number}", True),
        ("error: {parameter: CustomerNumber, message: \"'14233Aaa' is not a whole number\"}", True),
        ("error: [{parameter: CustomerNumber}, {parameter: Name}]", False),
        ("error: {parameter: Name}", False),
        ("error: {message: Not A Whole Number}", False),
        ("{route: consumers, error: true}", True),
        ("route: consumers", False),
    ],
)
def test_expectations_on_a_record_error(workspace, expect: str, passes: bool) -> None:
    body = expect if expect.startswith("{") else f"{{{expect}}}"
    result = workspace(f"- name: c\n  sample: samples/relations.json#14233Aaa\n  expect: {body}\n")
    assert result.code == (0 if passes else 1), result.out


def test_exact_payload_reports_extra_and_missing_list_items() -> None:
    expected = {"Relation_Contact": [{"FirstName": "Piet"}], "IsCustomer": True}
    actual = {"Relation_Contact": [{"FirstName": "Piet", "Sex": "Man"}, {"FirstName": "An"}], "IsCustomer": 1}
    assert [difference_text(d) for d in diff(expected, actual, exact=True)] == [
        'Relation_Contact[0].Sex: unexpected "Man"',
        'Relation_Contact[1]: unexpected {"FirstName": "An"}',
        "IsCustomer: expected true, got 1",
    ]
    assert [difference_text(d) for d in diff(expected, actual, exact=False)] == ["IsCustomer: expected true, got 1"]


# ---- mistakes in test files: located, and the other cases still run ------------------------------------------------


def test_schema_mistakes_are_located_with_hints(workspace) -> None:
    result = workspace(
        """\
        mapping: m.yaml
        cases:
          - name: typo
            sample: samples/relations.json#10001
            expect:
              payload_include: {}
          - name: wrong type
            sample: samples/relations.json#10001
            expect: {skipped: false, route: 3}
          - name: bad endpoint
            sample: samples/relations.json#10001
            expect: {endpoint: addprivaterelatoin}
          - sample: samples/relations.json#10001
          - name: runs
            sample: samples/relations.json#10001
            expect: {route: consumers}
        """,
        "--format",
        "json",
    )
    assert result.code == 2
    assert located(result) == [
        (6, 7, "error", "unknown-key"),
        (9, 23, "error", "bad-value"),
        (9, 37, "error", "bad-type"),
        (12, 24, "error", "bad-value"),
        (13, 5, "error", "missing-key"),  # expect, and name: each missing key once
        (13, 5, "error", "missing-key"),
    ]
    document = json.loads(result.out)
    messages = [d["message"] + " " + str(d["hint"]) for d in document["files"][0]["diagnostics"]]
    assert "unknown key 'payload_include' in cases[0].expect did you mean 'payload_includes'?" in messages
    assert document["summary"] == {"files": 1, "passed": 1, "failed": 0, "not_run": 4}


def test_text_report_of_mistakes(workspace) -> None:
    result = workspace(
        """\
        - name: typo
          sample: samples/relations.json#10001
          expect: {payload_include: {}}
        """
    )
    assert result.code == 2
    assert result.out == (
        "m.tests.yaml:3:12: error: unknown key 'payload_include' in [0].expect (did you mean 'payload_includes'?) "
        "[unknown-key]\n"
        "m.tests.yaml: 0 passed, 0 failed, 1 not run\n"
        "Total: 0 passed, 0 failed, 1 not run\n"
    )


def test_sample_mistakes_are_located(workspace) -> None:
    result = workspace(
        """\
        - name: no such file
          sample: samples/nope.json#10001
          expect: {route: consumers}
        - name: no such debtor number
          sample: samples/relations.json#14233aaa
          expect: {route: consumers}
        - name: no debtor number
          sample: samples/relations.json
          expect: {route: consumers}
        - name: runs
          sample: samples/relations.json#10001
          expect: {route: consumers}
        """
    )
    assert result.code == 2
    lines = result.out.splitlines()
    assert lines[:3] == [
        "m.tests.yaml:2:11: error: sample file not found: samples/nope.json "
        "(a sample's file is relative to the test file) [sample-not-found]",
        "m.tests.yaml:5:11: error: no relation with debtor_number '14233aaa' in samples/relations.json "
        "(did you mean '14233Aaa'? names are case-sensitive) [sample-debtor-number]",
        "m.tests.yaml:8:11: error: sample must be FILE#DEBTOR_NUMBER, not 'samples/relations.json' "
        "(e.g. samples/relations.json#10001 (the file relative to the test file)) [sample-ref]",
    ]
    assert lines[-2:] == ["m.tests.yaml: 1 passed, 0 failed, 3 not run", "Total: 1 passed, 0 failed, 3 not run"]


def test_mistakes_against_the_mapping_are_located(workspace) -> None:
    result = workspace(
        """\
        - name: unknown route
          sample: samples/relations.json#10001
          expect: {route: consumer}
        - name: unknown var
          sample: samples/relations.json#10001
          vars: {default_contry: BE}
          expect: {route: consumers}
        - name: unknown freefield
          sample: samples/relations.json#10001
          input: {freefields: {Contracttype: Storing}}
          expect: {route: consumers}
        """,
        "--format",
        "json",
    )
    assert result.code == 2
    assert located(result) == [
        (3, 19, "error", "unknown-route"),
        (6, 10, "error", "unknown-var"),
        (10, 24, "error", "unknown-freefield"),
    ]
    hints = [d["hint"] for d in json.loads(result.out)["files"][0]["diagnostics"]]
    assert hints[:2] == ["did you mean 'consumers'?", "did you mean 'default_country'?"]


def test_contradictions_duplicates_and_missing_input(workspace) -> None:
    result = workspace(
        """\
        - name: same
          sample: samples/relations.json#10001
          expect: {route: consumers, skipped: true}
        - name: same
          sample: samples/relations.json#14233Aaa
          expect: {payload: {}, error: true}
        - name: nothing to render
          expect: {route: consumers}
        """,
        "--format",
        "json",
    )
    assert result.code == 2
    assert located(result) == [
        (3, 30, "error", "conflicting-expectations"),
        (4, 9, "error", "duplicate-case"),
        (6, 25, "error", "conflicting-expectations"),
        (7, 3, "error", "needs-input"),
    ]


def test_unknown_input_field_is_a_warning_and_the_case_runs(workspace) -> None:
    result = workspace(
        """\
        - name: typo in a field
          sample: samples/relations.json#10001
          input: {postal_cod: 9999zz}
          expect: {payload_includes: {Address_PostalCode: 1234 AB}}
        """
    )
    assert result.code == 0
    assert result.out.splitlines()[0] == (
        "m.tests.yaml:3:11: warning: 'postal_cod' is not an OutSmart relation field "
        "(did you mean 'postal_code'?) [unknown-field]"
    )


def test_a_mapping_with_errors_runs_no_case(workspace, tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("relmap: 1\nsource: {file: {path: samples/relations.json}}\nroutes: []\n")
    result = workspace(
        """\
        mapping: broken.yaml
        cases:
          - {name: a, sample: samples/relations.json#10001, expect: {route: consumers}}
          - {name: b, sample: samples/relations.json#10002, expect: {route: companies}}
        """
    )
    assert result.code == 2
    assert result.out.splitlines()[-2:] == [
        "m.tests.yaml: 0 passed, 0 failed, 2 not run",
        "Total: 0 passed, 0 failed, 2 not run",
    ]
    assert "broken.yaml:3:9: error:" in result.out


def test_a_missing_mapping_is_located(workspace) -> None:
    result = workspace(
        "mapping: nope.yaml\ncases:\n  - {name: a, sample: samples/relations.json#10001, expect: {route: x}}\n"
    )
    assert result.code == 2
    assert result.out.splitlines()[0] == (
        "m.tests.yaml:1:10: error: mapping not found: nope.yaml (mapping: is relative to the test file) "
        "[file-not-found]"
    )


def test_a_test_file_without_its_mapping(run_cli, tmp_path: Path) -> None:
    (tmp_path / "alone.tests.yaml").write_text("- {name: a, input: {debtor_number: '1'}, expect: {route: x}}\n")
    result = run_cli("test", "alone.tests.yaml", cwd=tmp_path)
    assert result.code == 2
    assert result.out.splitlines()[0] == (
        "alone.tests.yaml: error: no mapping to test: alone.yaml does not exist (name the test file after its mapping "
        "(NAME.tests.yaml beside NAME.yaml), or set mapping: at the top) [file-not-found]"
    )


def test_unreadable_test_file(run_cli, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("relmap: 1\n")
    (tmp_path / "m.tests.yaml").write_text("cases: [\n")
    result = run_cli("test", "m.tests.yaml", cwd=tmp_path)
    assert result.code == 2
    assert result.out == (
        "m.tests.yaml:1:8: error: this [ is never closed (close it with ] on the same line, or write its contents "
        "as indented lines) [yaml-syntax]\nm.tests.yaml: no cases run\nTotal: 0 passed, 0 failed\n"
    )


# ---- PATH arguments -------------------------------------------------------------------------------------------------


def test_folder_discovery_is_recursive_sorted_and_skips_hidden_folders(run_cli, tmp_path: Path) -> None:
    case = "- {name: c, input: {debtor_number: '1'}, expect: {skipped: source filter active}}\n"
    for folder in ("b", "a/deep", ".relmap"):
        (tmp_path / "tests" / folder).mkdir(parents=True)
        shutil.copy(MAPPINGS / "private-relations.yaml", tmp_path / "tests" / folder / "m.yaml")
        (tmp_path / "tests" / folder / "m.tests.yaml").write_text(case)
    (tmp_path / "tests" / "b" / "notes.yaml").write_text("- not a test file\n")
    result = run_cli("test", "tests", cwd=tmp_path)
    assert (result.code, result.out) == (
        0,
        "tests/a/deep/m.tests.yaml: 1 passed, 0 failed\ntests/b/m.tests.yaml: 1 passed, 0 failed\n"
        "Total: 2 passed, 0 failed\n",
    )


def test_paths_that_give_no_tests(run_cli, tmp_path: Path) -> None:
    shutil.copy(MAPPINGS / "private-relations.yaml", tmp_path / "lonely.yaml")
    (tmp_path / "empty").mkdir()
    result = run_cli("test", "lonely.yaml", "empty", "nowhere", "--format", "json", cwd=tmp_path)
    assert result.code == 2
    files = json.loads(result.out)["files"]
    assert [(f["file"], f["diagnostics"][0]["code"], f["diagnostics"][0]["message"]) for f in files] == [
        ("lonely.yaml", "no-tests", "this mapping has no tests: lonely.tests.yaml does not exist"),
        ("empty", "no-tests", "no test files (*.tests.yaml) in this folder"),
        ("nowhere", "file-not-found", "no such file or folder"),
    ]


def test_a_broken_file_does_not_stop_the_others(run_cli, tmp_path: Path) -> None:
    (tmp_path / "x.tests.yaml").write_text("cases: 3\n")
    result = run_cli("test", str(tmp_path / "x.tests.yaml"), "mappings/private-relations.yaml")
    assert result.code == 2
    assert result.out.splitlines()[-2:] == [
        "mappings/private-relations.tests.yaml: 19 passed, 0 failed",
        "Total: 19 passed, 0 failed",
    ]


# ---- the schema -----------------------------------------------------------------------------------------------------


def test_schema_copies_are_identical_and_valid() -> None:
    assert PACKAGED.read_text(encoding="utf-8") == PUBLISHED.read_text(encoding="utf-8")
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "urn:relmap:schema:mapping-tests:1"


def test_schema_knows_every_outsmart_field_and_endpoint() -> None:
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    fields = set(schema["$defs"]["input"]["properties"]) - {"freefields", "FreeFields"}
    assert fields == set(BY_NAME)
    assert schema["$defs"]["expect"]["properties"]["endpoint"]["enum"] == list(ENDPOINTS)


def test_shipped_test_files_are_valid_against_the_schema() -> None:
    import yaml

    validator = Draft202012Validator(json.loads(PUBLISHED.read_text(encoding="utf-8")))
    cases = ROOT / "tests" / "cases"
    for path in [*MAPPINGS.glob("*.tests.yaml"), cases / "failing.tests.yaml", *cases.glob("warnings/*.tests.yaml")]:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))) == [], path
