"""Mappings however broken end in located diagnostics: odd bytes, odd numbers, odd nesting, odd types, and bugs.

Each case runs ``relmap validate`` on the broken file *and* on another file with a mistake of its own, and checks
both: a problem in one file must never cost the diagnostics of the others.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import MINIMAL_MAPPING

import relmap.mapping.compiler
from relmap.cli import main
from relmap.mapping.compiler.scope import Scope

HEAD = MINIMAL_MAPPING  # the smallest mapping that compiles: one route, a contact's name
OTHER_LINE = "other.yaml:1:1: error: unknown key 'colour' in the top level"
_DIAGNOSTIC = re.compile(r"^(m\.yaml):(\d+):(\d+): (error|warning): .* \[([a-z0-9.-]+)\]$")


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    def found(self) -> list[tuple[int, int, str, str]]:
        """(line, column, severity, code) of every diagnostic of m.yaml, in output order."""
        matches = (_DIAGNOSTIC.match(line) for line in self.out.splitlines())
        return [(int(m[2]), int(m[3]), m[4], m[5]) for m in matches if m]

    def line(self, code: str) -> str:
        return next(line for line in self.out.splitlines() if line.startswith("m.yaml") and f"[{code}]" in line)


@pytest.fixture
def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """``check(content)``: validate m.yaml (text or bytes) next to other.yaml; other.yaml must still be reported."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    (tmp_path / "other.yaml").write_text("colour: red\n" + HEAD, encoding="utf-8")

    def run(content: str | bytes, *extra: str) -> Outcome:
        path = tmp_path / "m.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        code = main(["validate", "m.yaml", "other.yaml", *extra], stdout=out, stderr=err)
        outcome = Outcome(code, out.getvalue(), err.getvalue())
        assert "internal error" not in outcome.err
        if "json" not in extra:
            assert OTHER_LINE in outcome.out and "other.yaml: 1 error" in outcome.out
        return outcome

    yield run


# --- numbers YAML reads but Python cannot -------------------------------------------------------------------------


@pytest.mark.parametrize("number", [".nan", ".NaN", ".inf", "-.inf", "+.INF"])
def test_nan_and_infinity_are_numbers_that_are_not_1(check, number: str) -> None:
    result = check(HEAD.replace("relmap: 1", f"relmap: {number}"))
    assert (result.code, result.found()) == (1, [(1, 9, "error", "bad-value")])


@pytest.mark.parametrize("number", [".nan", ".inf", "-.inf", "1e999"])
def test_a_constant_that_is_not_a_finite_number(check, number: str) -> None:
    result = check(HEAD + f"      CustomerNumber: {{value: {number}}}\n")
    assert (result.code, result.found()) == (1, [(10, 31, "error", "constant-type")])
    assert "is not a number Silvasoft can store" in result.line("constant-type")


def test_an_integer_too_long_for_python_is_reported_once(check) -> None:
    result = check(HEAD.replace("relmap: 1", "relmap: " + "9" * 5000))
    assert (result.code, result.found()) == (1, [(1, 9, "error", "yaml-number")])
    assert "a number of 5000 digits is too long to read (at most 4300)" in result.line("yaml-number")


def test_freefields_too_long_or_text(check) -> None:
    result = check(HEAD + "freefields:\n  a: " + "9" * 4301 + "\n  b: x\n  c: " + "9" * 4300 + "\n")
    assert result.found() == [(11, 6, "error", "yaml-number"), (12, 6, "error", "bad-type"), (13, 6, "error", "schema")]
    assert "999... is greater than the maximum of 50" in result.line("schema")  # the point of it is not cut off


@pytest.mark.parametrize(
    "ref, code",
    [("'²'", "unknown-freefield"), ("'٣'", "unknown-freefield"), ("'" + "9" * 5000 + "'", "freefield-range")],
)
def test_freefield_references_int_cannot_read(check, ref: str, code: str) -> None:
    result = check(HEAD + f"      Address_City: {{freefield: {ref}}}\n")
    assert (result.code, result.found()) == (1, [(10, 33, "error", code)])
    assert len(result.line(code)) < 200


# --- characters and bytes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x01", "\x1b", "\x7f", "\ufffe"])
def test_a_character_yaml_refuses_is_located_and_the_rest_is_still_checked(check, char: str) -> None:
    result = check(HEAD.replace("relmap: 1", f"relmap: 1{char}") + "colour: red\n")
    assert result.code == 1
    assert result.found() == [(1, 10, "error", "yaml-character"), (10, 1, "error", "unknown-key")]
    assert f"U+{ord(char):04X} is not allowed in YAML" in result.line("yaml-character")


def test_a_nul_byte_means_not_a_text_file(check) -> None:
    result = check(HEAD.replace("relmap: 1", "relmap: 1\x00"))
    assert (result.code, result.found()) == (1, [(1, 10, "error", "yaml-character")])


def test_many_bad_characters_are_listed_then_counted(check) -> None:
    result = check(HEAD + "".join(f"x-{i:02}: a\x0cb\n" for i in range(30)))
    assert result.found()[19] == (29, 8, "error", "yaml-character")
    assert result.found()[20] == (30, 8, "error", "yaml-character")
    assert "and 10 more characters YAML does not allow" in result.out


def test_bytes_that_are_not_utf8_are_located(check) -> None:
    result = check(HEAD.encode() + b"      Address_City: {value: caf" + b"\xe9}\n")
    assert (result.code, result.found()) == (1, [(10, 32, "error", "file-encoding")])
    assert "byte 0xe9" in result.line("file-encoding")


@pytest.mark.parametrize(
    "content, message",
    [
        (HEAD.encode("utf-16"), "the file is UTF-16 text"),
        (bytes(range(256)) * 4, "this is not a text file (it holds NUL bytes)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text: byte 0x89"),
    ],
)
def test_a_file_that_is_not_text(check, content: bytes, message: str) -> None:
    result = check(content)
    assert (result.code, result.found()) == (1, [(1, 1, "error", "file-encoding")])
    assert message in result.line("file-encoding")


def test_a_byte_order_mark_in_the_middle_is_an_error_at_its_place(check) -> None:
    result = check("\ufeff" + HEAD.replace("source:", "\ufeffsource:"))
    assert (result.code, result.found()) == (1, [(2, 1, "error", "yaml-character")])  # 'source' is still read


def test_crlf_line_ends_give_the_same_positions(check) -> None:
    text = HEAD + "      Address_City: citty\n      Address_Unit: |\n        {{ house_numbr }}\n"
    lf = check(text).found()
    assert lf == [(10, 21, "error", "unknown-field"), (12, 9, "error", "unknown-name")]
    assert check(text.replace("\n", "\r\n")).found() == lf


def test_a_directory_is_a_folder_to_check_not_a_crash(check, tmp_path: Path) -> None:
    (tmp_path / "d.yaml").mkdir()
    result = check(HEAD, "d.yaml")
    assert result.code == 2 and "d.yaml: error: no mappings or test files (*.yaml) in this folder" in result.out


# --- aliases and nesting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, column",
    [
        ("x-r: &r [*r]\n", 10),
        ("x-r: &r {<<: *r}\n", 14),
        ("x-r: &r {<<: [*r]}\n", 15),
        ("x-r: &r {a: [1, {b: *r}]}\n", 21),
        ("vars: &v {a: *v}\n", 14),
    ],
)
def test_a_recursive_alias_is_located_at_the_alias(check, text: str, column: int) -> None:
    result = check(text + HEAD)
    assert result.code == 1
    assert (1, column, "error", "yaml-recursive-alias") in result.found()
    assert "internal" not in result.out


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_flow_nesting_stops_at_the_limit(check, depth: int) -> None:
    result = check(HEAD + "x-deep: " + "[" * depth + "]" * depth + "\n")
    assert (result.code, result.found()) == (1, [(10, 9 + 63, "error", "yaml-too-deep")])


def test_deep_block_nesting_stops_at_the_limit(check) -> None:
    text = "".join("  " * level + "a:\n" for level in range(200))
    result = check(HEAD + "x-deep:\n" + re.sub(r"(?m)^", "  ", text))
    assert (result.code, result.found()) == (1, [(73, 127, "error", "yaml-too-deep")])


def test_aliases_of_aliases_cannot_nest_past_the_limit(check) -> None:
    chain = "x-a0: &a0 " + "[" * 40 + "]" * 40 + "\n"
    chain += "".join(f"x-a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40 + "\n" for i in range(1, 4))
    result = check(HEAD + chain)
    assert result.code == 1
    assert [code for *_, code in result.found()] == ["yaml-too-deep"]
    assert "deep here through aliases" in result.line("yaml-too-deep")


# --- types the compiler must not assume ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint, shown", [("{}", "a mapping"), ("[a]", "a list"), ("[" + ", ".join(["a"] * 3000) + "]", "a list")]
)
def test_an_endpoint_that_is_not_text(check, endpoint: str, shown: str) -> None:
    result = check(HEAD.replace("endpoint: addprivaterelation", f"endpoint: {endpoint}"))
    assert (result.code, result.found()) == (1, [(5, 15, "error", "bad-value")])
    assert f"error: {shown} is not a valid endpoint (one of: addprivaterelation, addbusinessrelation)" in result.out


@pytest.mark.parametrize(
    "replacement, expected",
    [
        ("  - name: [a]\n    endpoint", [(5, 11, "error", "bad-type")]),
        ("  - name: {a: 1}\n    endpoint", [(5, 11, "error", "bad-type")]),
        ("  - when: [a]\n    endpoint", [(5, 11, "error", "bad-type")]),
        ("  - when: {a: 1}\n    endpoint", [(5, 11, "error", "bad-type")]),
        ("  - when: 12\n    endpoint", [(5, 11, "error", "bad-type")]),
    ],
)
def test_a_route_name_or_when_that_is_not_text(check, replacement: str, expected: list[object]) -> None:
    result = check(HEAD.replace("  - endpoint", replacement))
    assert (result.code, result.found()) == (1, expected)


def test_fields_that_are_a_list_are_reported_once(check) -> None:
    result = check(HEAD.split("    fields:")[0] + "    fields: [a]\n")
    assert (result.code, result.found()) == (1, [(6, 13, "error", "bad-type")])  # not also "needs Relation_Contact"


@pytest.mark.parametrize(
    "rule, expected",
    [
        ("{from: city, map: {? [a] : b}}", [(10, 42, "error", "yaml-key")]),
        ("{from: city, map: {a: [b]}}", [(10, 21, "error", "bad-rule")]),
        ("{from: city, map: [a, b]}", [(10, 21, "error", "bad-rule")]),
        ("{from: city, map: {~: z, 'null': w}}", [(10, 40, "warning", "map-key")]),  # quoted: meant as text
        ("{from: city, map: {null: z, a: w}}", [(10, 40, "warning", "map-key")]),
        ("!!bool maybe", [(10, 21, "error", "yaml-tag")]),  # not also "unknown OutSmart field 'maybe'"
        ("!!int 1.5", [(10, 21, "error", "yaml-tag")]),
        ("{value: !!float .nan}", [(10, 29, "error", "constant-type")]),
    ],
)
def test_map_tables_and_tags(check, rule: str, expected: list[object]) -> None:
    result = check(HEAD + f"      Address_City: {rule}\n")
    assert result.found() == expected


def test_keys_that_are_not_text(check) -> None:
    result = check("? [a]\n: b\n" + HEAD + "      1: x\n      ? {a: 1}\n      : b\n")
    assert result.found() == [
        (1, 3, "error", "yaml-key"),
        (12, 7, "error", "unknown-parameter"),
        (13, 9, "error", "yaml-key"),
    ]


@pytest.mark.parametrize("text", ["x-s: !!set {a, b}\n", "x-s: !!python/object/apply:os.system [ls]\n"])
def test_tagged_lists_and_mappings_are_refused(check, text: str) -> None:
    result = check(text + HEAD)
    assert (result.code, result.found()) == (1, [(1, 6, "error", "yaml-tag")])


def test_vars_holding_aliases_and_big_structures(check) -> None:
    bomb = "x-a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    bomb += "".join(f"x-{n}: &{n} [" + ", ".join([f"*{p}"] * 10) + "]\n" for p, n in zip("abc", "bcd", strict=True))
    result = check(bomb + "vars: {big: *d, list: *a}\n" + HEAD)
    assert (result.code, result.found()) == (1, [(1, 6, "error", "bad-type"), (4, 6, "error", "bad-type")])


def test_export_paths_the_file_system_refuses(check) -> None:
    result = check(HEAD.replace("input.json", "a" * 5000))
    assert (result.code, result.found()) == (1, [(3, 16, "error", "bad-path")])
    nul = check(HEAD.replace("input.json", '"in\\0put.json"'))
    assert nul.found() == [(3, 16, "error", "file-not-found")] and "in\\x00put.json" in nul.out


def test_long_user_text_is_cut_in_messages(check) -> None:
    result = check(HEAD + "      " + "A" * 1000 + ": x\n")  # YAML itself allows keys of up to 1,024 characters
    assert result.found() == [(10, 7, "error", "unknown-parameter")]
    assert len(result.line("unknown-parameter")) < 200


# --- a failure while checking one file costs that file only -------------------------------------------------------


@pytest.mark.parametrize(
    "failure, message, code",
    [
        (RuntimeError("boom"), "relmap could not finish checking this mapping (RuntimeError)", "check-failed"),
        (RecursionError(), "the mapping is too complex to check: it nests too deeply", "too-complex"),
    ],
)
def test_an_unexpected_failure_is_contained_to_its_file(
    check, monkeypatch: pytest.MonkeyPatch, failure: Exception, message: str, code: str
) -> None:
    routes = relmap.mapping.compiler._routes

    def fail(scope: Scope, raw: object) -> object:
        if scope.doc.path == "m.yaml":
            raise failure
        return routes(scope, raw)

    monkeypatch.delenv("RELMAP_DEBUG", raising=False)
    monkeypatch.setattr(
        relmap.mapping.compiler, "_routes", fail
    )  # after loading and the schema check: their findings stay
    result = check(HEAD + "colour: red\n")
    assert result.code == 1
    assert result.found() == [(1, 1, "error", code), (10, 1, "error", "unknown-key")]
    assert f"m.yaml:1:1: error: {message}" in result.out


def test_a_single_mapping_command_reports_the_failure_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: object) -> None:
        raise KeyError("x")

    monkeypatch.delenv("RELMAP_DEBUG", raising=False)
    monkeypatch.setattr(relmap.mapping.compiler, "_routes", fail)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(HEAD, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["render", "m.yaml"], stdout=out, stderr=err) == 2
    assert err.getvalue().startswith("m.yaml:1:1: error: relmap could not finish checking this mapping (KeyError)")
    assert "relmap: error: the mapping has errors; nothing was rendered" in err.getvalue()


def test_json_output_keeps_every_file(check) -> None:
    result = check("x-r: &r [*r]\n" + HEAD, "--format", "json")
    files = {entry["file"]: entry for entry in json.loads(result.out)["files"]}
    assert [(d["line"], d["column"], d["code"]) for d in files["m.yaml"]["diagnostics"]] == [
        (1, 10, "yaml-recursive-alias")
    ]
    assert [d["code"] for d in files["other.yaml"]["diagnostics"]] == ["unknown-key"]


# --- size -----------------------------------------------------------------------------------------------------------


def test_a_mapping_of_800_routes_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    route = (
        "  - name: r{i}\n"
        "    when: debtor_number == '{i}'\n"
        "    endpoint: addprivaterelation\n"
        "    fields:\n"
        "      Address_City: city\n"
        "      Adress_Street: street\n"
        "      Relation_Contact:\n"
        "        - {{FirstName: name, LastName: name}}\n"
    )
    text = HEAD.split("routes:")[0] + "routes:\n" + "".join(route.format(i=i) for i in range(800))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    (tmp_path / "big.yaml").write_text(text, encoding="utf-8")
    out = io.StringIO()
    assert main(["validate", "big.yaml"], stdout=out, stderr=io.StringIO()) == 1
    assert out.getvalue().count("[unknown-parameter]") == 800
    assert out.getvalue().endswith("big.yaml: 800 errors\n")


def test_a_decimal_constant_too_large_for_a_float_is_a_located_error(check) -> None:
    big = "1" + "0" * 400  # an integer Python reads, beyond a float's range
    custom = "      Relation_CustomField:\n        - Label: Bedrag\n          FieldType: Decimal\n"
    text = HEAD + custom + f"          value: {{value: {big}}}\n"
    result = check(text)
    assert result.code == 1
    assert [(line, severity, code) for line, _, severity, code in result.found()] == [(13, "error", "constant-type")]
    assert "is not a number Silvasoft can store" in result.line("constant-type")


@pytest.mark.parametrize("where", ["value", "vars", "map"])
def test_a_lone_surrogate_in_the_mapping_is_refused_where_it_is(check, where: str) -> None:
    """YAML's \\ud800 escape makes half a character, which no plan, report or API answer could carry."""
    if where == "value":
        text = HEAD + '      GroupName: {value: "Particulier\\ud800"}\n'
        at = (10, 26)
    elif where == "vars":
        text = HEAD.replace("routes:", 'vars:\n  group: "x\\udc80y"\nroutes:')
        at = (5, 10)
    else:
        text = HEAD + '      GroupName: {from: city, map: {"Delft\\udfff": Zuid}, default: Noord}\n'
        at = (10, 37)
    result = check(text)
    assert result.code == 1
    assert result.found() == [(*at, "error", "yaml-text")]
    assert "lone surrogate" in result.line("yaml-text")
