"""`relmap validate`'s hints lead to the fix: words for OutSmart fields, literals, and one rule for constants."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MINIMAL_MAPPING

from relmap.mapping.compiler import compile_text

HEAD = MINIMAL_MAPPING  # the smallest mapping that compiles: one route, a contact's name


def diagnose(line: str, tmp_path: Path) -> list[tuple[str, str | None, str]]:
    """(message, hint, code) of each diagnostic for one more line of the fields block."""
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    result = compile_text(HEAD + f"      {line}\n", "m.yaml", tmp_path)
    return [(d.message, d.hint, d.code) for d in result.diagnostics]


WORDS = {
    "postcode": "postal_code",
    "plaats": "city",
    "woonplaats": "city",
    "straat": "street",
    "huisnummer": "house_number",
    "telefoon": "phone_number",
    "mobiel": "mobile",
    "kvk_nummer": "kvk_number",
    "KvK_nummer": "kvk_number",  # closer to vat_number in spelling, with its capitals
    "KvK-nummer": "kvk_number",
    "btw_nummer": "vat_number",
    "mail": "email",
    "e-mail": "email",
    "naam": "name",
    "land": "country",
    "debiteurnummer": "debtor_number",
}


@pytest.mark.parametrize("word, field", WORDS.items())
def test_a_word_for_a_field_names_the_field_in_a_rule(word: str, field: str, tmp_path: Path) -> None:
    [(message, hint, code)] = diagnose(f'Address_City: "{word}"', tmp_path)
    assert (message, hint, code) == (
        f"unknown OutSmart field '{word}'",
        f"did you mean '{field}'? that is OutSmart's name for it",
        "unknown-field",
    )


@pytest.mark.parametrize("word, field", [(w, f) for w, f in WORDS.items() if w.isidentifier()])
def test_a_word_for_a_field_names_the_field_in_a_template(word: str, field: str, tmp_path: Path) -> None:
    [(message, hint, code)] = diagnose(f'Address_City: "{{{{ {word} }}}}"', tmp_path)
    assert (message, hint, code) == (
        f"unknown name '{word}' in template",
        f"did you mean '{field}'? that is OutSmart's name for it",
        "unknown-name",
    )


def test_a_misspelt_field_still_gets_the_closest_spelling(tmp_path: Path) -> None:
    [(_, hint, _)] = diagnose("Address_City: Citty", tmp_path)
    assert hint == "did you mean 'city'?"


LITERALS = {
    "postcode(strict=ture)": ("ture", "did you mean true? Jinja's literals are true, false and none, in lower case"),
    "postcode(strict=flase)": ("flase", "did you mean false? Jinja's literals are true, false and none, in lower case"),
    "postcode(strict=nee)": ("nee", "did you mean false? Jinja's literals are true, false and none, in lower case"),
    "postcode(strict=yes)": ("yes", "did you mean true? Jinja's literals are true, false and none, in lower case"),
    "phone(format=national)": ("national", 'write "national" in quotes for the text'),
    "postcode(plaats)": ("plaats", "did you mean 'city'? that is OutSmart's name for it"),
}


@pytest.mark.parametrize("call, expected", LITERALS.items(), ids=LITERALS.keys())
def test_an_unknown_name_given_as_an_argument_is_most_often_a_literal(
    call: str, expected: tuple[str, str], tmp_path: Path
) -> None:
    name, hint = expected
    [(message, said, _)] = diagnose(f'Address_PostalCode: "{{{{ postal_code | {call} }}}}"', tmp_path)
    assert (message, said) == (f"unknown name '{name}' in template", hint)


# ---- one rule for constants: written in the parameter's own type -------------------------------------------------

CONSTANTS = {
    "a number for a boolean": ("IsCustomer: 1", "IsCustomer takes true or false, but 1 is a number", "write true"),
    "zero for a boolean": (
        "IsCustomer: {value: 0}",
        "IsCustomer takes true or false, but 0 is a number",
        "write false",
    ),
    "yes/no text for a boolean": (
        'IsCustomer: {value: "ja"}',
        "IsCustomer takes true or false, but 'ja' is text",
        "write true without quotes",
    ),
    "a map value for a boolean": (
        "IsCustomer: {from: debtor_type, map: {customer: 1, lead: false}}",
        "IsCustomer takes true or false, but 1 is a number",
        "write true",
    ),
    "text for a whole number": (
        'CustomerNumber: {value: "12"}',
        "CustomerNumber takes a whole number, but '12' is text",
        "write 12 without quotes",
    ),
    "a fraction for a whole number": (
        "CustomerNumber: {from: debtor_number, fallback: 1.5}",
        "CustomerNumber takes a whole number, but 1.5 is a number",
        None,
    ),
    "a number for text": (
        "Address_Unit: 12",
        "Address_Unit takes text, but 12 is a number",
        'write {value: "12"} for the text',  # "12" alone would name a field
    ),
    "a number for text, under value:": (
        "Address_Unit: {value: 12}",
        "Address_Unit takes text, but 12 is a number",
        'write "12" in quotes for the text',
    ),
    "a boolean for text": (
        "GroupName: {value: true}",
        "GroupName takes text, but true is a boolean",
        'write "true" in quotes for the text',
    ),
    "a default for a boolean": (
        "IsOther: {from: debtor_type, map: {x: true}, default: 0}",
        "IsOther takes true or false, but 0 is a number",
        "write false",
    ),
}


@pytest.mark.parametrize("line, message, hint", CONSTANTS.values(), ids=CONSTANTS.keys())
def test_a_constant_of_another_type_is_an_error_with_the_spelling_meant(
    line: str, message: str, hint: str | None, tmp_path: Path
) -> None:
    assert diagnose(line, tmp_path) == [(message, hint, "constant-type")]


FIXED = [
    "IsCustomer: true",
    "IsCustomer: {value: false}",
    "IsCustomer: {from: debtor_type, map: {customer: true, lead: false}}",
    "CustomerNumber: {value: 12}",
    'Address_Unit: {value: "12"}',
    "GroupName: {value: Particulier}",
]


@pytest.mark.parametrize("line", FIXED)
def test_a_constant_in_the_parameters_type_is_accepted(line: str, tmp_path: Path) -> None:
    assert diagnose(line, tmp_path) == []


BARE_TEXT = {
    "for a boolean": (
        'IsCustomer: "yes please"',
        "plain text in a rule names an OutSmart field; IsCustomer takes true or false: "
        "write IsCustomer: true (or false)",
    ),
    "a yes/no word for a boolean": (
        "IsCustomer: ja",
        "plain text in a rule names an OutSmart field; for the constant write IsCustomer: true",
    ),
    "a number in quotes for a whole number": (
        'CustomerNumber: "12"',
        "plain text in a rule names an OutSmart field; for the constant write CustomerNumber: 12",
    ),
    "a word for a whole number": (
        "CustomerNumber: twaalf",
        "plain text in a rule names an OutSmart field; CustomerNumber takes a whole number, written without quotes "
        "(CustomerNumber: 12)",
    ),
    "for text": (
        "GroupName: Particulier",
        'plain text in a rule names an OutSmart field; for the text itself write {value: "Particulier"}',
    ),
    "for a country code, which the constant would not be either": (
        "Address_CountryCode: Nederland",
        "plain text in a rule names an OutSmart field; as a constant, 'Nederland' is not an ISO 3166 alpha-2 "
        "country code (use the country_code filter)",
    ),
}


@pytest.mark.parametrize("line, hint", BARE_TEXT.values(), ids=BARE_TEXT.keys())
def test_plain_text_that_names_no_field_says_how_to_write_the_constant(line: str, hint: str, tmp_path: Path) -> None:
    name = line.split(": ", 1)[1].strip('"')
    assert diagnose(line, tmp_path) == [(f"unknown OutSmart field '{name}'", hint, "unknown-field")]


@pytest.mark.parametrize(
    "line, fixed",
    [
        ('IsCustomer: "yes please"', "IsCustomer: true"),
        ("IsCustomer: ja", "IsCustomer: true"),
        ('CustomerNumber: "12"', "CustomerNumber: 12"),
        ("GroupName: Particulier", 'GroupName: {value: "Particulier"}'),
        ("IsCustomer: 1", "IsCustomer: true"),
        ('CustomerNumber: {value: "12"}', "CustomerNumber: {value: 12}"),
        ("Address_Unit: 12", 'Address_Unit: {value: "12"}'),
        ("Address_Unit: {value: 12}", 'Address_Unit: {value: "12"}'),
    ],
)
def test_the_suggested_fix_is_clean(line: str, fixed: str, tmp_path: Path) -> None:
    assert diagnose(line, tmp_path) != []
    assert diagnose(fixed, tmp_path) == []
