"""`relmap validate` checks the arguments of filters and tests against each function's own signature."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from relmap.compiler import compile_text
from relmap.expressions import environment
from relmap.template_args import accepted

HEAD = """\
relmap: 1
source:
  file: {path: input.json}
routes:
  - endpoint: addprivaterelation
    fields:
      Relation_Contact:
        - FirstName: name
          LastName: name
"""


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
    '"{{ postal_code | postcode(country, strict=true) }}"',
    "\"{{ phone_number | phone('national', region=country, strict=false) }}\"",
    '"{{ phone_number | phone(format=vars_format) if false else city }}"',
    "\"{{ city | replace('a', 'b') | truncate(10) | default('x', true) }}\"",
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
        "\"{{ city if phone_number is valid_phone('BE') else name }}\"",
        "test 'valid_phone' takes no arguments, but 1 is given",
        "write: is valid_phone",
    ),
    "a filter that takes no argument": (
        "\"{{ contact | first_name('Dhr.') }}\"",
        "filter 'first_name' takes no arguments, but 1 is given",
        "write: | first_name",
    ),
    "too many arguments": (
        "\"{{ postal_code | postcode('NL', true, 3) }}\"",
        "filter 'postcode' takes at most 2 arguments, but 3 are given",
        'it takes: | postcode(country="NL", strict=false)',
    ),
    "an argument name it does not have": (
        "\"{{ phone_number | phone(formaat='national') }}\"",
        "filter 'phone' has no argument 'formaat'",
        'did you mean \'format\'? it takes: | phone(format="e164", region="NL", strict=false)',
    ),
    "an argument given twice": (
        "\"{{ phone_number | phone('national', format='e164') }}\"",
        "filter 'phone' is given 'format' twice",
        'it takes: | phone(format="e164", region="NL", strict=false)',
    ),
    "a required argument left out": (
        "\"{{ city | replace('a') }}\"",
        "filter 'replace' needs the argument 'new'",
        "it takes: | replace(old, new, count=none)",
    ),
    "a required test argument left out": (
        '"{{ city if city is divisibleby else name }}"',
        "test 'divisibleby' needs the argument 'num'",
        "it takes: is divisibleby(num)",
    ),
    "text for a boolean": (
        "\"{{ postal_code | postcode(strict='yes') }}\"",
        "filter 'postcode': argument strict takes true or false, not the text \"yes\"",
        "write strict=true",
    ),
    "a number for text": (
        '"{{ phone_number | phone(12) }}"',
        "filter 'phone': argument format takes text, not the number 12",
        'write format="12"',
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
        'it takes: | outsmart_date(format="%Y-%m-%d")',
    ),
    "a negative number for text": (
        '"{{ city | trim(-1) }}"',
        "filter 'trim': argument chars takes text or none, not the number -1",
        'write chars="-1"',
    ),
    "a list for a boolean": (
        '"{{ vat_number | vat_number([1]) }}"',
        "filter 'vat_number': argument strict takes true or false, not a list",
        "it takes: | vat_number(strict=false)",
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


def is_valid_phone_in(value: Any, region: str = "NL") -> bool:
    return bool(value) and isinstance(region, str)


def test_the_rules_follow_the_registered_function(
    monkeypatch: pytest.MonkeyPatch, signatures: None, tmp_path: Path
) -> None:
    """A test that gains an argument is checked by its new signature, with no table to keep in step."""
    before = found("\"{{ city if phone_number is valid_phone('BE') else name }}\"", tmp_path)
    assert [message for _, _, message, _ in before] == ["test 'valid_phone' takes no arguments, but 1 is given"]
    monkeypatch.setitem(environment().tests, "valid_phone", is_valid_phone_in)
    accepted.cache_clear()
    assert found("\"{{ city if phone_number is valid_phone('BE') else name }}\"", tmp_path) == []
    assert found('"{{ city if phone_number is valid_phone(region=country) else name }}"', tmp_path) == []
    assert found("\"{{ city if phone_number is valid_phone(regio='BE') else name }}\"", tmp_path) == [
        (
            10,
            21,
            "test 'valid_phone' has no argument 'regio'",
            "did you mean 'region'? it takes: is valid_phone(region=\"NL\")",
        )
    ]
    assert found('"{{ city if phone_number is valid_phone(32) else name }}"', tmp_path) == [
        (10, 21, "test 'valid_phone': argument region takes text, not the number 32", 'write region="32"')
    ]


def test_every_registered_filter_and_test_has_readable_rules_or_none() -> None:
    """Reading a signature never fails validation: a function whose signature cannot be read is not checked."""
    env = environment()
    for kind, pool in (("filter", env.filters), ("test", env.tests)):
        for name in pool:
            accepts = accepted(kind, name)
            assert accepts is None or accepts.usage().split()[1].startswith(name)
    postcode = accepted("filter", "postcode")
    assert postcode is not None and [p.name for p in postcode.params] == ["country", "strict"]
    assert postcode.types["strict"] is bool
