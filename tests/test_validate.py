"""`relmap validate`: every mistake at once, each at its own file:line:col with a code and a hint."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import MINIMAL_MAPPING

from relmap.mapping.compiler import compile_file, compile_text

HEAD = MINIMAL_MAPPING  # the smallest mapping that compiles: one route, a contact's name


def diagnose(text: str, tmp_path: Path) -> list[tuple[int, int, str, str]]:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    result = compile_file(path, display="m.yaml")
    return [(d.location.line, d.location.column, d.severity, d.code) for d in result.diagnostics]


def test_a_clean_mapping_has_no_diagnostics(tmp_path: Path) -> None:
    assert diagnose(HEAD, tmp_path) == []


CASES = {
    "yaml syntax, and what the rest says once the [ is closed": (
        "relmap: 1\nsource: [\n",
        [(1, 1, "error", "missing-key"), (2, 9, "error", "bad-type"), (2, 9, "error", "yaml-syntax")],
    ),
    "duplicate key": (
        HEAD + "      Address_City: city\n      Address_City: street\n",
        [(11, 7, "error", "duplicate-key")],
    ),
    "yaml 1.1 boolean": (HEAD + "      GroupName: {value: no}\n", [(10, 26, "warning", "yaml-1.1-boolean")]),
    "yaml 1.1 octal": (HEAD + "      Address_PostalCode: {value: 01234}\n", [(10, 35, "warning", "yaml-1.1-number")]),
    "schema: wrong version": (HEAD.replace("relmap: 1", "relmap: 2"), [(1, 9, "error", "bad-value")]),
    "schema: unknown endpoint": (
        HEAD.replace("addprivaterelation", "addprivaterelatoin"),
        [(5, 15, "error", "bad-value")],
    ),
    "schema: unknown top-level key": ("colour: red\n" + HEAD, [(1, 1, "error", "unknown-key")]),
    "unknown OutSmart field": (HEAD + "      Address_City: citty\n", [(10, 21, "error", "unknown-field")]),
    "unknown Silvasoft parameter": (HEAD + "      Address_Citty: city\n", [(10, 7, "error", "unknown-parameter")]),
    "required parameter unmapped": (
        "relmap: 1\nsource:\n  file: {path: input.json}\nroutes:\n  - endpoint: addbusinessrelation\n"
        "    fields:\n      Address_City: city\n",
        [(6, 5, "error", "missing-parameter")],
    ),
    "required child unmapped": (
        HEAD.replace("          LastName: name\n", ""),
        [(8, 11, "error", "missing-parameter")],
    ),
    "constant of the wrong type": (HEAD + "      CustomerNumber: {value: abc}\n", [(10, 31, "error", "constant-type")]),
    "number where text is meant": (HEAD + "      Address_Unit: {value: 12}\n", [(10, 29, "error", "constant-type")]),
    "map value of the wrong type": (
        HEAD + "      IsCustomer: {from: debtor_type, map: {customer: maybe}}\n",
        [(10, 55, "error", "constant-type")],
    ),
    "jinja syntax error inside a block scalar": (
        HEAD + "      Address_Unit: |\n        {% if house_number %}\n        {{ house_number }\n        {% endif %}\n",
        [(12, 9, "error", "template-syntax")],
    ),
    "unknown name in a template": (HEAD + '      Address_City: "{{ citty }}"\n', [(10, 21, "error", "unknown-name")]),
    "unknown filter in a template": (
        HEAD + '      Address_City: "{{ city | uper }}"\n',
        [(10, 21, "error", "unknown-filter")],
    ),
    "unknown variable": (HEAD + '      Address_City: "{{ vars.town }}"\n', [(10, 21, "error", "unknown-var")]),
    "braces in a when": (
        HEAD.replace("  - endpoint:", "  - when: '{{ city }}'\n    endpoint:"),
        [(5, 11, "error", "expression-braces")],
    ),
    "freefield number out of range": (
        HEAD + "      GroupName: {freefield: 51}\n",
        [(10, 30, "error", "freefield-range")],
    ),
    "freefield number out of range in a template": (
        HEAD + '      GroupName: "{{ ff[0] }}"\n',
        [(10, 18, "error", "freefield-range")],
    ),
    "unknown freefield name": (
        HEAD + "      GroupName: {freefield: Contract}\n",
        [(10, 30, "error", "unknown-freefield")],
    ),
    "filter with an unknown key": (
        HEAD.replace("{path: input.json}", "{path: input.json, filters: [{key: postal_code, operator: eq, value: x}]}"),
        [(3, 44, "error", "unknown-filter-key")],
    ),
    "filter with swapped operator and value": (
        HEAD.replace("{path: input.json}", "{path: input.json, filters: [{key: active, operator: '1', value: eq}]}"),
        [(3, 62, "error", "unknown-operator")],
    ),
    "literal secret": (
        "relmap: 1\nsource:\n  outsmart:\n    token: s3cr3t-t0ken\n    software_token: ${SOFT}\n"
        + HEAD[HEAD.index("routes") :],
        [(4, 12, "error", "literal-secret")],
    ),
    "unreachable route": (
        HEAD + "  - endpoint: addprivaterelation\n    name: second\n    fields: {Relation_Contact: "
        "[{FirstName: name, LastName: name}]}\n",
        [(10, 5, "warning", "unreachable-route")],
    ),
    "template text in a fallback": (
        HEAD + '      Address_City: {from: city, fallback: "{{ street }}"}\n',
        [(10, 44, "error", "fallback-template")],
    ),
    "custom field with the wrong value parameter": (
        HEAD + "      Relation_CustomField:\n        - {Label: Klant, FieldType: Integer, StringValue: name}\n",
        [(11, 46, "error", "custom-field-value")],
    ),
}


@pytest.mark.parametrize("text, expected", CASES.values(), ids=CASES.keys())
def test_each_mistake_is_located_and_coded(
    text: str, expected: list[tuple[int, int, str, str]], tmp_path: Path
) -> None:
    assert diagnose(text, tmp_path) == expected


def test_every_mistake_is_reported_at_once(run_cli, golden) -> None:
    result = run_cli("validate", "tests/cases/many-mistakes.yaml")
    assert result.code == 1
    golden("validate-many-mistakes.txt", result.out)
    assert result.out.count(": error: ") >= 15


def test_a_newcomers_mistakes_are_each_said_with_the_fix_meant(run_cli, golden) -> None:
    """Dutch words for fields, literals, constants of another type, filter and test arguments (tests/cases)."""
    result = run_cli("validate", "tests/cases/newcomer.yaml")
    assert result.code == 1
    golden("validate-newcomer.txt", result.out)
    for code in ("unknown-field", "unknown-name", "constant-type", "filter-argument", "test-argument"):
        assert f"[{code}]" in result.out


def test_a_folder_checks_its_mappings_and_test_files_past_yaml_errors(run_cli, golden) -> None:
    """YAML syntax errors with their causes and the rest of the file, a clean mapping beside it, a test file."""
    result = run_cli("validate", "tests/cases/validate-folder")
    assert result.code == 1
    golden("validate-folder.txt", result.out)
    assert "tests/cases/validate-folder/clean.yaml: ok\n" in result.out


def test_literal_secret_is_never_echoed(run_cli) -> None:
    result = run_cli("validate", "tests/cases/many-mistakes.yaml", "--format", "json")
    assert "abc123secret" not in result.out + result.err


def test_json_format_is_versioned_and_complete(run_cli) -> None:
    result = run_cli(
        "validate", "tests/cases/many-mistakes.yaml", "mappings/private-relations.yaml", "--format", "json"
    )
    document = json.loads(result.out)
    assert document["format_version"] == 1
    first, second = document["files"]
    assert (first["valid"], second["valid"]) == (False, True)
    assert {"file", "line", "column", "severity", "message", "code", "hint"} <= set(first["diagnostics"][0])


def test_hint_names_the_closest_match(tmp_path: Path) -> None:
    result = compile_text(HEAD + "      Address_City: postal_cod\n", "m.yaml", tmp_path)
    [diagnostic] = [d for d in result.diagnostics if d.code == "unknown-field"]
    assert diagnostic.hint == "did you mean 'postal_code'?"
    assert diagnostic.text().startswith("m.yaml:10:21: error: unknown OutSmart field 'postal_cod'")


def test_exit_codes(run_cli, tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    clean = tmp_path / "clean.yaml"
    clean.write_text(HEAD, encoding="utf-8")
    warned = tmp_path / "warned.yaml"
    warned.write_text(HEAD + "      GroupName: {value: no}\n", encoding="utf-8")
    assert run_cli("validate", str(clean)).code == 0
    assert run_cli("validate", str(warned)).code == 0
    assert run_cli("validate", "tests/cases/many-mistakes.yaml").code == 1
    missing = run_cli("validate", str(tmp_path / "nope.yaml"))
    assert missing.code == 2 and "nope.yaml: error: no such file or folder [file-not-found]" in missing.out


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    result = compile_text("\n".join(lines) + "\n", "bomb.yaml", tmp_path)
    assert [d.code for d in result.diagnostics] == ["yaml-too-large"]


def test_python_tags_are_refused(tmp_path: Path) -> None:
    result = compile_text("relmap: !!python/object:os.system ls\n", "m.yaml", tmp_path)
    assert "yaml-tag" in [d.code for d in result.diagnostics]
