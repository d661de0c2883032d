"""`relmap validate` on YAML syntax errors: the likely cause, at the line to mend, and the rest of the file read on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import MINIMAL_MAPPING

from relmap.mapping.compiler import compile_text
from relmap.mapping.loader import MAX_REPAIRS

HEAD = MINIMAL_MAPPING  # the smallest mapping that compiles: one route, a contact's name


def diagnose(text: str, tmp_path: Path) -> list[tuple[int, int, str, str | None, str]]:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    result = compile_text(text, "m.yaml", tmp_path)
    assert result.plan is None or not result.diagnostics
    return [(d.location.line, d.location.column, d.message, d.hint, d.code) for d in result.diagnostics]


CAUSES = {
    "a no-break space in the indentation": (
        HEAD + "      Address_City: city\n   \u00a0  GroupName: name\n",
        (11, 4, "a no-break space (U+00A0) in the indentation: YAML indents with plain spaces only"),
        "replace it with a plain space; such spaces come with text pasted from a web page or a document",
    ),
    "a tab in the indentation": (
        HEAD + "      Address_City: city\n\tGroupName: name\n",
        (11, 1, "a tab in the indentation: YAML indents with spaces only"),
        "indent with spaces: probably 6, as the line above",
    ),
    "a tab after the indentation": (
        HEAD + "      Address_City: city\n      \tGroupName: name\n",
        (11, 7, "a tab in the indentation: YAML indents with spaces only"),
        "indent with spaces: probably 6, as the line above",
    ),
    "a tab after a colon": (
        HEAD + "      Address_City:\tcity\n",
        (10, 20, "a tab character: YAML does not allow tabs here"),
        "write a space instead",
    ),
    "a key deeper than the one above": (
        HEAD + "      Address_City: city\n        GroupName: name\n",
        (
            11,
            9,
            "'GroupName' is indented deeper than 'Address_City' above it, so YAML reads it as more of "
            "Address_City's value",
        ),
        "line it up with 'Address_City' (column 7)",
    ),
    "a key between two depths": (
        HEAD + "      Address_City: city\n     GroupName: name\n",
        (11, 6, "'GroupName' is indented to column 6, the depth of no key above it"),
        "line it up with 'Address_City' (column 7) or with 'fields' (column 5)",
    ),
    "an item's key between two depths": (
        HEAD.replace("          LastName", "         LastName"),
        (9, 10, "'LastName' is indented to column 10, the depth of no key above it"),
        "line it up with 'FirstName' (column 11) or with 'Relation_Contact' (column 7)",
    ),
    "a top-level key indented": (
        HEAD + "      Address_City: city\n  vars: {group: x}\n",
        (11, 3, "'vars' is indented to column 3, the depth of no key above it"),
        "line it up with 'fields' (column 5) or with 'routes' (column 1)",
    ),
    "a missing colon": (
        HEAD + "      Address_City city\n      GroupName: name\n",
        (10, 19, "'Address_City' has no colon after it, so YAML reads this line and the next as one text"),
        "write Address_City: city",
    ),
    "a missing colon on the last line": (
        HEAD + "      GroupName: name\n      Address_City city\n",
        (11, 19, "'Address_City' has no colon after it, so YAML reads this line and the next as one text"),
        "write Address_City: city",
    ),
    "a missing space after the colon": (
        HEAD + "      Address_City:city\n      GroupName: name\n",
        (10, 19, "no space after the colon: YAML needs one between a key and its value"),
        "write Address_City: city",
    ),
    "a colon inside a value": (
        HEAD + "      GroupName: Klanten: particulier\n",
        (10, 18, "a ': ' inside the value of GroupName: YAML reads it as another key"),
        'put the value in quotes: GroupName: "Klanten: particulier"',
    ),
    "an unclosed double quote": (
        HEAD + '      Address_City: "{{ city }}\n      GroupName: name\n',
        (10, 21, "this quote is never closed"),
        'end the value with " on the same line (a " inside the text is written \\")',
    ),
    "an unclosed single quote": (
        HEAD + "      Address_City: '{{ city }}\n",
        (10, 21, "this quote is never closed"),
        "end the value with ' on the same line (a ' inside the text is written '')",
    ),
    "an unclosed quote that a later quote closes": (
        HEAD + '      Address_City: "{{ city }}\n      GroupName: name\n      Address_Street: "{{ street }}"\n',
        (10, 21, "this quote is never closed"),
        'end the value with " on the same line (a " inside the text is written \\")',
    ),
    "text after the closing quote": (
        HEAD + '      Address_City: "{{ city }}" | upper\n',
        (10, 34, "text after the closing quote"),
        "put the whole value in one pair of quotes",
    ),
    "an unclosed brace": (
        HEAD + "      Address_City: {from: city\n      GroupName: name\n",
        (10, 21, "this { is never closed"),
        "close it with } on the same line, or write its contents as indented lines",
    ),
    "an unclosed bracket at the end": (
        "relmap: 1\nsource: [\n",
        (2, 9, "this [ is never closed"),
        "close it with ] on the same line, or write its contents as indented lines",
    ),
    "a template statement without quotes": (
        HEAD + "      Address_Unit: {% if house_number %}{{ house_number }}{% endif %}\n",
        (10, 21, "a template must be in quotes: YAML reads { as the start of a mapping and % as a directive"),
        'write Address_Unit: "{% if house_number %}{{ house_number }}{% endif %}"',
    ),
    "a value starting with @": (
        HEAD + "      GroupName: @home\n",
        (10, 18, "a value cannot start with @ in YAML"),
        'put it in quotes: "@home"',
    ),
}


@pytest.mark.parametrize("text, where, hint", CAUSES.values(), ids=CAUSES.keys())
def test_a_syntax_error_says_its_likely_cause(
    text: str, where: tuple[int, int, str], hint: str, tmp_path: Path
) -> None:
    syntax = [d for d in diagnose(text, tmp_path) if d[4] in ("yaml-syntax", "yaml-template")]
    assert [(line, column, message, said) for line, column, message, said, _ in syntax] == [(*where, hint)]


def test_a_template_without_quotes_is_said_once_not_as_a_mapping(tmp_path: Path) -> None:
    assert diagnose(HEAD + "      Address_City: {{ city }}\n", tmp_path) == [
        (
            10,
            21,
            "a template must be in quotes: YAML reads {{ ... }} without them as a mapping",
            'write "{{ city }}"',
            "yaml-template",
        )
    ]


ROUTING = Path(__file__).parent / "cases" / "validate-folder" / "routing.yaml"


def test_after_each_syntax_error_the_rest_of_the_file_is_still_checked(tmp_path: Path) -> None:
    found = diagnose(
        ROUTING.read_text(encoding="utf-8").replace("../../../mappings/samples/relations.json", "input.json"), tmp_path
    )
    codes = [(line, code) for line, _, _, _, code in found]
    assert (codes[0][1], codes[1][1]) == ("yaml-syntax", "yaml-syntax")
    assert (14, "unknown-var") in codes and (20, "unknown-field") in codes  # found in the mended text
    assert sum(code.startswith("yaml-") for _, code in codes) == 8


def test_what_is_found_in_a_mended_line_is_located_in_the_file_as_written(tmp_path: Path) -> None:
    text = HEAD + "      Address_City: city\n\tGroupName: naam\n      Address_Street straat\n"
    assert [(line, column, code) for line, column, _, _, code in diagnose(text, tmp_path)] == [
        (11, 1, "yaml-syntax"),
        (11, 13, "unknown-field"),  # 'naam' after the tab, as the file has it
        (12, 21, "yaml-syntax"),
        (12, 22, "unknown-field"),  # 'straat' where it is written, before the colon came in
    ]


def test_a_mended_file_is_never_a_plan(tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    result = compile_text(HEAD + "      Address_City:city\n", "m.yaml", tmp_path)
    assert result.plan is None and [d.code for d in result.diagnostics] == ["yaml-syntax"]


def test_reading_on_stops_when_no_fix_can_be_guessed_or_after_the_limit(tmp_path: Path) -> None:
    started = time.monotonic()
    hopeless = "a: b: c: d\n  - x\n  ]]]\n" + "".join(f"k{i}:v{i}\n x{i}\n" for i in range(40))
    found = diagnose(hopeless, tmp_path)
    assert 1 <= len(found) <= MAX_REPAIRS + 1 and {code for *_, code in found} == {"yaml-syntax"}
    many = HEAD + "".join(f"      Address_City{i}:city\n" for i in range(30))
    assert len([d for d in diagnose(many, tmp_path) if d[4] == "yaml-syntax"]) == MAX_REPAIRS + 1
    assert time.monotonic() - started < 10


def test_the_other_files_given_are_still_checked(run_cli, tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    (tmp_path / "broken.yaml").write_text(HEAD + "      Address_City city\n", encoding="utf-8")
    (tmp_path / "other.yaml").write_text(HEAD + "      Address_City: citty\n", encoding="utf-8")
    result = run_cli("validate", "broken.yaml", "other.yaml", cwd=tmp_path)
    assert result.code == 1
    assert "broken.yaml:10:19: error: 'Address_City' has no colon after it" in result.out
    assert "other.yaml:10:21: error: unknown OutSmart field 'citty'" in result.out
