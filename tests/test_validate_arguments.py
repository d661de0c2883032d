"""`relmap validate` checks the arguments of filters and tests against each function's own signature."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from conftest import MINIMAL_MAPPING

from relmap.mapping.compiler import compile_text
from relmap.mapping.templates.args import accepted
from relmap.mapping.templates.expressions import environment

HEAD = MINIMAL_MAPPING  # the smallest mapping that compiles: one route, a contact's name


def found(template: str, tmp_path: Path) -> list[tuple[int, int, str, str | None]]:
    """(line, column, message, hint) of each diagnostic for ``Address_City: <template>`` (line 10)."""
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    result = compile_text(HEAD + f"      Address_City: {template}\n", "m.yaml", tmp_path)
    return [(d.location.line, d.location.column, d.message, d.hint) for d in result.diagnostics]


@pytest.fixture
def signatures() -> Iterator[None]:
    """Signatures are read once per process; a test that registers a function must read them anew."""
    accepted.cache_clear()
    yield
    accepted.cache_clear()


ACCEPTED = [
    '"{{ postal_code | postcode }}"',
    "\"{{ postal_code | postcode('BE') }}\"",
    '"{{ postal_code | postcode(country, strict=true) }}"',  # the older spelling of invalid= still works
    "\"{{ postal_code | postcode(country, invalid='empty') }}\"",
    "\"{{ phone_number | phone('national', region=country, strict=false) }}\"",
    '"{{ phone_number | phone(format=vars_format) if false else city }}"',
    "\"{{ city | replace('a', 'b') | truncate(10) | default('x', true) }}\"",
    "\"{{ phone_number | phone('national', possible=true, invalid='error') }}\"",
    "\"{{ city if phone_number is valid_phone('BE') else name }}\"",
    '"{{ city if phone_number is valid_phone(country, possible=true) else name }}"',
    "\"{{ contact | first_name(single='first', call_name=false) }}\"",
    '"{{ city if city is divisibleby 3 else name }}"',
    "\"{{ city | round(1, 'floor') }}\"",
    "\"{{ [city, name] | join(', ') }}\"",
    "\"{{ [city] | map('upper') | join }}\"",  # *args: anything goes
    "\"{{ city | postcode(*['NL']) }}\"",  # arguments unpacked at run time are not counted
]


@pytest.mark.parametrize("template", ACCEPTED)
def test_arguments_the_function_takes_pass(template: str, tmp_path: Path) -> None:
    assert [f for f in found(template, tmp_path) if "argument" in f[2]] == []


REFUSED = {
    "a test that takes no argument": (
        "\"{{ city if kvk_number is valid_kvk('NL') else name }}\"",
        "test 'valid_kvk' takes no arguments, but 1 is given",
        "write: is valid_kvk",
    ),
    "a filter that takes no argument": (
        "\"{{ house_number | house_unit('-') }}\"",
        "filter 'house_unit' takes no arguments, but 1 is given",
        "write: | house_unit",
    ),
    "too many arguments": (
        "\"{{ created_at | outsmart_date('%d-%m-%Y', 'keep', 3) }}\"",
        "filter 'outsmart_date' takes at most 2 arguments, but 3 are given",
        'it takes: | outsmart_date(format="%Y-%m-%d", invalid="error")',
    ),
    "an argument name it does not have": (
        "\"{{ phone_number | phone(formaat='national') }}\"",
        "filter 'phone' has no argument 'formaat'",
        'did you mean \'format\'? it takes: | phone(format="e164", region="NL", invalid="keep", possible=false)',
    ),
    "a test argument name it does not have": (
        "\"{{ city if phone_number is valid_phone(regio='BE') else name }}\"",
        "test 'valid_phone' has no argument 'regio'",
        "did you mean 'region'? it takes: is valid_phone(region=\"NL\", possible=false)",
    ),
    "an argument given twice": (
        "\"{{ phone_number | phone('national', format='e164') }}\"",
        "filter 'phone' is given 'format' twice",
        'it takes: | phone(format="e164", region="NL", invalid="keep", possible=false)',
    ),
    "a required argument left out": (
        "\"{{ city | replace('a') }}\"",
        "filter 'replace' needs the argument 'new'",
        "it takes: | replace(old, new)",
    ),
    "a required test argument left out": (
        '"{{ city if city is divisibleby else name }}"',
        "test 'divisibleby' needs the argument 'num'",
        "it takes: is divisibleby(num)",
    ),
    "text for a boolean": (
        "\"{{ phone_number | phone(possible='yes') }}\"",
        "filter 'phone': argument possible takes true or false, not the text \"yes\"",
        "write possible=true",
    ),
    "text for a boolean whose default is none (the older spelling strict)": (
        "\"{{ postal_code | postcode(strict='yes') }}\"",
        "filter 'postcode': argument strict takes true or false, not the text \"yes\"",
        "write strict=true",
    ),
    "a number for text": (
        '"{{ country | country_code(31) }}"',
        "filter 'country_code': argument default takes text, not the number 31",
        'write default="31"',
    ),
    "a number for a choice": (
        '"{{ phone_number | phone(12) }}"',
        'filter \'phone\': argument format takes one of "e164", "international", "national", not the number 12',
        'it takes: | phone(format="e164", region="NL", invalid="keep", possible=false)',
    ),
    "text that is not one of relmap's choices": (
        "\"{{ contact | first_name('Dhr.') }}\"",
        'filter \'first_name\': argument single takes one of "last", "first", not the text "Dhr."',
        'it takes: | first_name(single="last", call_name=true)',
    ),
    "an unknown choice for invalid": (
        "\"{{ postal_code | postcode(invalid='ignore') }}\"",
        'filter \'postcode\': argument invalid takes one of "error", "keep", "empty", not the text "ignore"',
        'it takes: | postcode(country="NL", invalid="keep")',
    ),
    "text for a whole number (Jinja's own filter)": (
        "\"{{ city | truncate('5') }}\"",
        "filter 'truncate': argument length takes a whole number, not the text \"5\"",
        "write length=5",
    ),
    "a choice Jinja's annotation lists": (
        "\"{{ latitude | round(1, 'up') }}\"",
        'filter \'round\': argument method takes one of "common", "ceil", "floor", not the text "up"',
        'it takes: | round(precision=0, method="common")',
    ),
    "none for text": (
        '"{{ created_at | outsmart_date(none) }}"',
        "filter 'outsmart_date': argument format takes text, not none",
        'it takes: | outsmart_date(format="%Y-%m-%d", invalid="error")',
    ),
    "a negative number for text": (
        '"{{ city | trim(-1) }}"',
        "filter 'trim': argument chars takes text, not the number -1",
        'write chars="-1"',
    ),
    "a list for a boolean": (
        '"{{ email | email([1]) }}"',
        "filter 'email': argument lower takes true or false, not a list",
        'it takes: | email(lower=false, invalid="error")',
    ),
}


@pytest.mark.parametrize("template, message, hint", REFUSED.values(), ids=REFUSED.keys())
def test_arguments_the_function_refuses_are_errors_at_the_template(
    template: str, message: str, hint: str, tmp_path: Path
) -> None:
    assert found(template, tmp_path) == [(10, 21, message, hint)]


def test_the_code_says_filter_or_test(tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    text = HEAD + "      Address_City: \"{{ city | postcode('NL', true, 3) if city is valid_kvk(1) else '' }}\"\n"
    codes = [d.code for d in compile_text(text, "m.yaml", tmp_path).diagnostics]
    assert codes == ["filter-argument", "test-argument"]


def test_a_block_template_reports_the_line_of_the_call(tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    block = "        {% if city %}\n        {{ city | house_unit(2) }}\n        {% endif %}\n"
    text = HEAD + "      Address_City: |\n" + block
    [problem] = compile_text(text, "m.yaml", tmp_path).diagnostics
    assert (problem.location.line, problem.location.column, problem.code) == (12, 9, "filter-argument")


def test_a_when_expression_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    text = HEAD.replace("  - endpoint:", "  - when: kvk_number is valid_kvk('NL')\n    endpoint:")
    [problem] = compile_text(text, "m.yaml", tmp_path).diagnostics
    assert (problem.location.line, problem.location.column, problem.code) == (5, 11, "test-argument")


def is_valid_kvk_in(value: Any, country: str = "NL") -> bool:
    return bool(value) and isinstance(country, str)


def test_the_rules_follow_the_registered_function(
    monkeypatch: pytest.MonkeyPatch, signatures: None, tmp_path: Path
) -> None:
    """A test that gains an argument is checked by its new signature, with no table to keep in step."""
    before = found("\"{{ city if kvk_number is valid_kvk('BE') else name }}\"", tmp_path)
    assert [message for _, _, message, _ in before] == ["test 'valid_kvk' takes no arguments, but 1 is given"]
    monkeypatch.setitem(environment().tests, "valid_kvk", is_valid_kvk_in)
    accepted.cache_clear()
    assert found("\"{{ city if kvk_number is valid_kvk('BE') else name }}\"", tmp_path) == []
    assert found('"{{ city if kvk_number is valid_kvk(country=country) else name }}"', tmp_path) == []
    assert found("\"{{ city if kvk_number is valid_kvk(land='BE') else name }}\"", tmp_path) == [
        (10, 21, "test 'valid_kvk' has no argument 'land'", 'it takes: is valid_kvk(country="NL")')
    ]
    assert found("\"{{ city if kvk_number is valid_kvk(countri='BE') else name }}\"", tmp_path) == [
        (
            10,
            21,
            "test 'valid_kvk' has no argument 'countri'",
            "did you mean 'country'? it takes: is valid_kvk(country=\"NL\")",
        )
    ]
    assert found('"{{ city if kvk_number is valid_kvk(32) else name }}"', tmp_path) == [
        (10, 21, "test 'valid_kvk': argument country takes text, not the number 32", 'write country="32"')
    ]


def test_every_registered_filter_and_test_has_readable_rules_or_none() -> None:
    """Reading a signature never fails validation: a function whose signature cannot be read is not checked."""
    env = environment()
    for kind, pool in (("filter", env.filters), ("test", env.tests)):
        for name in pool:
            accepts = accepted(kind, name)
            assert accepts is None or accepts.usage().split()[1].startswith(name)
    postcode = accepted("filter", "postcode")
    assert postcode is not None and [p.name for p in postcode.params] == ["country", "strict", "invalid"]
    assert postcode.types["strict"] == bool | None
    assert postcode.types["invalid"] == Literal["error", "keep", "empty"]


def test_the_hint_leaves_out_arguments_whose_default_is_none() -> None:
    """None only says such an argument was not given (strict, the older spelling of invalid=; replace's count); a
    filter whose every argument is one still shows that it takes an argument."""
    usages = {
        name: accepts.usage()
        for name in ("postcode", "vat_number", "replace", "trim")
        if (accepts := accepted("filter", name))
    }
    assert usages == {
        "postcode": '| postcode(country="NL", invalid="keep")',
        "vat_number": '| vat_number(invalid="keep")',
        "replace": "| replace(old, new)",
        "trim": "| trim(chars=none)",
    }


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ('\'{{ city | regex_replace("(a", "x") }}\'', "regular expression '(a' cannot be used: missing ): (a"),
        ('\'{{ city | regex_replace("o", "\\\\2") }}\'', "names group 2, but 'o' has 0"),
        ('\'{{ city | regex_replace("o", "x", count=-1) }}\'', "count= takes a whole number of 0 or more, not -1"),
        ("'{{ postal_code | postcode(invalid=\"error\", strict=true) }}'", "give invalid= or strict=, not both"),
        ("'{{ city if city is matching(\"(?=L)\") }}'", "no look-ahead, look-behind or back-references"),
    ],
)
def test_constant_arguments_a_filter_refuses_for_any_value_are_errors_at_validate(
    template: str, message: str, tmp_path: Path
) -> None:
    (diagnostic,) = found(template, tmp_path)
    line, _, text, _ = diagnostic
    assert line == 10 and message in text, diagnostic


def test_a_pattern_built_from_data_is_checked_when_it_runs(tmp_path: Path) -> None:
    assert found("'{{ city | regex_replace(name, \"x\") }}'", tmp_path) == []
