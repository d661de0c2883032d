"""Tests for relmap.mapping.filters: the domain filters and tests of the mapping templates."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from typing import Any

import jinja2
import pytest
from jinja2.sandbox import SandboxedEnvironment

import relmap
from relmap.errors import TransformError
from relmap.mapping.filters import (
    FILTERS,
    TESTS,
    country_code,
    digits,
    first_name,
    house_appendix,
    house_unit,
    iban,
    kvk,
    last_name,
    outsmart_date,
    parse_bool,
    parse_outsmart_date,
    phone,
    postcode,
    salutation_sex,
    split_house_number,
    split_name,
    to_bool,
    vat_number,
)

BLANKS = [None, "", "   ", "\t\n"]


# --- blank input --------------------------------------------------------------------------------


# Arguments a filter cannot do without (what it would do with the value).
REQUIRED: dict[str, tuple[Any, ...]] = {"regex_replace": ("^$", "-")}


@pytest.mark.parametrize("name", sorted(set(FILTERS) - {"to_bool"}))
@pytest.mark.parametrize("value", BLANKS)
def test_every_filter_gives_empty_string_for_blank(name: str, value: Any) -> None:
    assert FILTERS[name](value, *REQUIRED.get(name, ())) == ""


@pytest.mark.parametrize("value", BLANKS)
def test_blank_gives_none_for_bool_and_date(value: Any) -> None:
    assert to_bool(value) is None
    assert parse_bool(value) is None
    assert parse_outsmart_date(value) is None


def test_public_names() -> None:
    assert set(FILTERS) == {
        "postcode", "phone", "email", "house_unit", "house_appendix", "first_name", "last_name",
        "salutation_sex", "country_code", "vat_number", "kvk", "iban", "to_bool", "outsmart_date",
        "digits", "regex_replace",
    }  # fmt: skip
    assert set(TESTS) == {
        "valid_kvk", "valid_iban", "valid_vat", "valid_postcode", "valid_phone", "valid_email", "numeric_id",
        "matching", "blank",
    }  # fmt: skip
    assert parse_bool is to_bool


@pytest.mark.parametrize("value", [["1234ab"], {"a": 1}, ("12",), b"12"])
def test_non_scalar_values_are_a_transform_error(value: Any) -> None:
    with pytest.raises(TransformError, match="expected a single value"):
        postcode(value)


# --- postcode -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("1234ab", {}, "1234 AB"),
        (" 1234 ab ", {}, "1234 AB"),
        ("1234AB", {}, "1234 AB"),
        ("1234ab", {"country": "nl"}, "1234 AB"),
        ("1234ab", {"country": "Nederland"}, "1234 AB"),
        ("1234ab", {"country": None}, "1234 AB"),
        ("1234ab", {"country": ""}, "1234 AB"),
        (" 12345 ", {}, "12345"),
        ("0123 AB", {}, "0123 AB"),
        ("1000", {}, "1000"),
        (" b-1000   brussel ", {"country": "BE"}, "B-1000 BRUSSEL"),
        ("sw1a  1aa", {"country": "GB"}, "SW1A 1AA"),
        ("10115", {"country": "Duitsland"}, "10115"),
        ("1234ab", {"country": "DE", "strict": True}, "1234AB"),
        (1234, {"country": "BE"}, "1234"),
    ],
)
def test_postcode(value: Any, kwargs: dict[str, Any], expected: str) -> None:
    assert postcode(value, **kwargs) == expected


@pytest.mark.parametrize("value", ["12345", "0123 AB", "1234 SA", "ab1234", "1234 ABC"])
def test_postcode_strict_rejects_non_dutch_postcodes(value: str) -> None:
    with pytest.raises(TransformError) as info:
        postcode(value, strict=True)
    assert str(info.value) == f"not a Dutch postcode: {value!r}"


# --- phone --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "e164", "international", "national"),
    [
        ("0612345678", "+31612345678", "+31 6 12345678", "06 12345678"),
        ("06-12 34 56 78", "+31612345678", "+31 6 12345678", "06 12345678"),
        ("+31 6 12345678", "+31612345678", "+31 6 12345678", "06 12345678"),
        ("0031612345678", "+31612345678", "+31 6 12345678", "06 12345678"),
        (" 020-1234567 ", "+31201234567", "+31 20 123 4567", "020 123 4567"),
        (612345678, "+31612345678", "+31 6 12345678", "06 12345678"),
    ],
)
def test_phone_formats(value: Any, e164: str, international: str, national: str) -> None:
    assert phone(value) == e164
    assert phone(value, format="e164") == e164
    assert phone(value, format="international") == international
    assert phone(value, format="national") == national


def test_phone_region() -> None:
    assert phone("03 212 34 56", region="BE") == "+3232123456"
    assert phone("03 212 34 56", region="be", format="national") == "03 212 34 56"
    assert phone("03 212 34 56", region="België") == "+3232123456"
    assert phone("+32 3 212 34 56", format="national") == "03 212 34 56"
    assert phone("020 123 4567", region=None) == "+31201234567"


@pytest.mark.parametrize("value", ["12345", "abc", " 0612345 ", "06-1234567890123"])
def test_phone_invalid_is_kept_unless_strict(value: str) -> None:
    assert phone(value) == value.strip()
    with pytest.raises(TransformError) as info:
        phone(value, strict=True)
    assert str(info.value) == f"not a valid phone number: {value.strip()!r}"


def test_phone_unknown_format() -> None:
    with pytest.raises(TransformError) as info:
        phone("0612345678", format="E.164")
    assert str(info.value) == "unknown phone format: 'E.164' (expected one of e164, international, national)"


# --- house numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "appendix"),
    [
        ("132", "132", ""),
        ("12a", "12", "a"),
        ("12 A", "12", "A"),
        ("12-A", "12", "A"),
        ("12 - b", "12", "b"),
        ("12-14", "12", "-14"),
        ("7 bis", "7", "bis"),
        ("12 hs", "12", "hs"),
        ("12-2", "12", "-2"),
        ("12/3", "12", "/3"),
        ("12 III", "12", "III"),
        (" 12  A ", "12", "A"),
        ("", "", ""),
        (None, "", ""),
        (132, "132", ""),
        ("ong.", "ong.", ""),
        ("II", "II", ""),
        (" t/o 12 ", "t/o 12", ""),
    ],
)
def test_split_house_number(value: Any, unit: str, appendix: str) -> None:
    assert split_house_number(value) == (unit, appendix)
    assert house_unit(value) == unit
    assert house_appendix(value) == appendix


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "first", "last", "sex"),
    [
        ("Dhr. Piet van der Berg", "Piet", "van der Berg", "Man"),
        ("Mevr. A. de Vries", "A.", "de Vries", "Vrouw"),
        ("Jan Pieter de Vries", "Jan Pieter", "de Vries", ""),
        ("Piet Jansen", "Piet", "Jansen", ""),
        ("Jansen", "", "Jansen", ""),
        ("Berg, Piet van der", "Piet", "van der Berg", ""),
        ("Vries, Dhr. J. de", "J.", "de Vries", "Man"),
        ("Jan van 't Hof", "Jan", "van 't Hof", ""),
        ("Jan van ’t Hof", "Jan", "van ’t Hof", ""),
        ("Ahmed El Amrani", "Ahmed", "El Amrani", ""),
        ("Zoë Müller", "Zoë", "Müller", ""),
        ("  Piet   van  Dam ", "Piet", "van Dam", ""),
        ("Dhr Jansen", "", "Jansen", "Man"),
        ("De heer P. Jansen", "P.", "Jansen", "Man"),
        ("de HEER Jansen", "", "Jansen", "Man"),
        ("Heer Jansen", "", "Jansen", "Man"),
        ("Mr. John Smith", "John", "Smith", "Man"),
        ("Mr.Jansen", "", "Jansen", "Man"),
        ("Mevrouw Bakker", "", "Bakker", "Vrouw"),
        ("mevr de Wit", "", "de Wit", "Vrouw"),
        ("Mw. Yilmaz", "", "Yilmaz", "Vrouw"),
        ("Mw Yilmaz", "", "Yilmaz", "Vrouw"),
        ("Mrs. Smith", "", "Smith", "Vrouw"),
        ("Ms Smith", "", "Smith", "Vrouw"),
        ("Fam. Jansen", "", "Jansen", ""),
        ("Familie van der Berg", "", "van der Berg", ""),
        ("Dr. Ir. K. Visser", "K.", "Visser", ""),
        ("Prof. drs. ing. Inge ter Horst", "Inge", "ter Horst", ""),
        ("Dhr. en Mevr. Jansen", "", "Jansen", ""),
        ("Dhr/Mevr Jansen", "", "Jansen", ""),
        ("Heer", "", "Heer", ""),
        ("De Heer", "", "De Heer", ""),
        ("Dhr.", "", "Dhr.", ""),
        ("van Dijk", "", "van Dijk", ""),
        ("Sophie von der Leyen", "Sophie", "von der Leyen", ""),
        ("Jan In 't Veld", "Jan", "In 't Veld", ""),
        (None, "", "", ""),
    ],
)
def test_split_name(value: Any, first: str, last: str, sex: str) -> None:
    assert split_name(value) == {"first": first, "last": last, "sex": sex}
    assert first_name(value) == first
    assert last_name(value) == last
    assert salutation_sex(value) == sex


# --- countries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Nederland", "NL"),
        ("the Netherlands", "NL"),
        ("The Netherlands", "NL"),
        ("Netherlands", "NL"),
        ("NL", "NL"),
        ("nl", "NL"),
        (" NLD ", "NL"),
        ("Holland", "NL"),
        ("Koninkrijk der Nederlanden", "NL"),
        ("België", "BE"),
        ("Belgie", "BE"),
        ("BELGIË", "BE"),
        ("Belgium", "BE"),
        ("Belgique", "BE"),
        ("Duitsland", "DE"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Frankrijk", "FR"),
        ("Verenigd Koninkrijk", "GB"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("Turkije", "TR"),
        ("Côte d'Ivoire", "CI"),
        ("cote divoire", "CI"),
        ("Bolivia", "BO"),
        ("Verenigde Staten", "US"),
    ],
)
def test_country_code(value: str, expected: str) -> None:
    assert country_code(value) == expected


def test_country_code_default_and_unknown() -> None:
    assert country_code("", default="NL") == "NL"
    assert country_code(None, default="NL") == "NL"
    assert country_code(" Narnia ", strict=False) == "Narnia"
    with pytest.raises(TransformError) as info:
        country_code(" Narnia ")
    assert str(info.value) == "unknown country: 'Narnia'"


# --- VAT, KvK, IBAN -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NL012356278B01", "012356278B01"),
        ("nl 0123.56.278.B01", "012356278B01"),
        ("BE0123456789", "0123456789"),
        ("BE 0123-456-789", "0123456789"),
        ("012356278b01", "012356278B01"),
    ],
)
def test_vat_number(value: str, expected: str) -> None:
    assert vat_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("NL004495445B01", "004495445B01"), ("004495445B01", "004495445B01"), ("be 0403.170.701", "0403170701")],
)
def test_vat_number_strict_valid(value: str, expected: str) -> None:
    assert vat_number(value, strict=True) == expected


@pytest.mark.parametrize("value", ["NL012356278B01", "BE0123456789", "0123456789", "XX123"])
def test_vat_number_strict_invalid(value: str) -> None:
    with pytest.raises(TransformError) as info:
        vat_number(value, strict=True)
    assert str(info.value) == f"not a valid VAT number: {value!r}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12345678", "12345678"), (" 1234 5678 ", "12345678"), ("12.34.56.78", "12345678"), ("1234-5678", "12345678"),
     (12345678, "12345678"), (2012345, "02012345")],
)  # fmt: skip
def test_kvk(value: Any, expected: str) -> None:
    assert kvk(value) == expected


@pytest.mark.parametrize("value", ["1234", "123456789", "1234567a", "KvK 12345678", "１２３４５６７８", 123456789])
def test_kvk_invalid(value: Any) -> None:
    with pytest.raises(TransformError) as info:
        kvk(value)
    assert str(info.value) == f"not a KvK number (8 digits): {str(value)!r}"


@pytest.mark.parametrize(
    ("value", "compact", "printed"),
    [
        ("NL91ABNA0417164300", "NL91ABNA0417164300", "NL91 ABNA 0417 1643 00"),
        (" nl91 abna 0417 1643 00 ", "NL91ABNA0417164300", "NL91 ABNA 0417 1643 00"),
        ("BE31 4354 1116 1155", "BE31435411161155", "BE31 4354 1116 1155"),
        ("GR16 0110 1050 0000 1054 7023 795", "GR1601101050000010547023795", "GR16 0110 1050 0000 1054 7023 795"),
    ],
)
def test_iban(value: str, compact: str, printed: str) -> None:
    assert iban(value) == compact
    assert iban(value, format="compact") == compact
    assert iban(value, format="print") == printed


@pytest.mark.parametrize("value", ["NL91ABNA0417164301", "NL91ABNA041716430", "BE68 5390 0754 7035", "12345", "XX00"])
def test_iban_invalid(value: str) -> None:
    with pytest.raises(TransformError) as info:
        iban(value)
    assert str(info.value) == f"not a valid IBAN: {value!r}"


def test_iban_unknown_format() -> None:
    with pytest.raises(TransformError) as info:
        iban("NL91ABNA0417164300", format="pretty")
    assert str(info.value) == "unknown IBAN format: 'pretty' (expected one of compact, print)"


# --- booleans, dates, digits --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, True), (0, False), ("1", True), ("0", False), ("true", True), ("False", False),
        ("ja", True), ("Nee", False), ("yes", True), ("NO", False), ("j", True), ("N", False),
        ("y", True), ("n", False), ("waar", True), ("onwaar", False), ("on", True), ("Off", False),
        (" JA ", True), (True, True), (False, False),
    ],
)  # fmt: skip
def test_to_bool(value: Any, expected: bool) -> None:
    assert to_bool(value) is expected
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["misschien", "2", 2, -1, "jaa", 1.5])
def test_to_bool_invalid(value: Any) -> None:
    with pytest.raises(TransformError) as info:
        to_bool(value)
    assert str(info.value) == f"not a yes/no value: {str(value)!r}"


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("2024-03-05 12:34:56", "%Y-%m-%d", "2024-03-05"),
        ("2024-03-05", "%Y-%m-%d", "2024-03-05"),
        (" 2024-03-05 00:00:00 ", "%d-%m-%Y", "05-03-2024"),
        ("2024-12-31T23:59:59", "%d/%m/%Y", "31/12/2024"),
        ("0000-00-00 00:00:00", "%Y-%m-%d", ""),
        ("0000-00-00", "%d-%m-%Y", ""),
    ],
)
def test_outsmart_date(value: str, fmt: str, expected: str) -> None:
    assert outsmart_date(value, format=fmt) == expected
    assert outsmart_date(value, fmt) == expected


def test_parse_outsmart_date() -> None:
    assert parse_outsmart_date("2024-03-05 12:34:56") == datetime.date(2024, 3, 5)
    assert parse_outsmart_date("2024-02-29") == datetime.date(2024, 2, 29)
    assert parse_outsmart_date("0000-00-00 00:00:00") is None
    assert parse_outsmart_date("0000-00-00") is None
    assert parse_outsmart_date(datetime.date(2024, 1, 2)) == datetime.date(2024, 1, 2)
    assert parse_outsmart_date(datetime.datetime(2024, 1, 2, 3, 4)) == datetime.date(2024, 1, 2)
    assert outsmart_date("2024-03-05 12:34:56") == "2024-03-05"


@pytest.mark.parametrize(
    "value", ["31-12-2024", "2024-02-30", "2023-02-29 10:00:00", "2024-13-01", "2024-01-01 25:00:00", "gisteren"]
)
def test_outsmart_date_invalid(value: str) -> None:
    for convert in (outsmart_date, parse_outsmart_date):
        with pytest.raises(TransformError) as info:
            convert(value)
        assert str(info.value) == f"not an OutSmart date (YYYY-MM-DD HH:mm:ss): {value!r}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("06-12 34 56 78", "0612345678"), ("+31 (0)20 123", "31020123"), ("abc", ""), (1234, "1234"), ("1²3", "13")],
)
def test_digits(value: Any, expected: str) -> None:
    assert digits(value) == expected


# --- Jinja tests --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "value", "expected"),
    [
        ("valid_kvk", "12345678", True),
        ("valid_kvk", "1234 5678", True),
        ("valid_kvk", "1234", False),
        ("valid_kvk", None, False),
        ("valid_kvk", ["12345678"], False),
        ("valid_iban", "NL91 ABNA 0417 1643 00", True),
        ("valid_iban", "NL91ABNA0417164301", False),
        ("valid_iban", "", False),
        ("valid_vat", "NL004495445B01", True),
        ("valid_vat", "004495445B01", True),
        ("valid_vat", "BE0403170701", True),
        ("valid_vat", "0403170701", False),
        ("valid_vat", "NL012356278B01", False),
        ("valid_vat", None, False),
        ("valid_postcode", "1234ab", True),
        ("valid_postcode", "1234 AB", True),
        ("valid_postcode", "12345", False),
        ("valid_postcode", None, False),
        ("valid_phone", "06-12345678", True),
        ("valid_phone", "+32 470 12 34 56", True),
        ("valid_phone", "12345", False),
        ("valid_phone", "", False),
        ("blank", None, True),
        ("blank", "", True),
        ("blank", " \t", True),
        ("blank", "x", False),
        ("blank", 0, False),
    ],
)
def test_jinja_tests(test: str, value: Any, expected: bool) -> None:
    assert TESTS[test](value) is expected


def test_filters_in_sandboxed_jinja() -> None:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    env.filters.update(FILTERS)
    env.tests.update(TESTS)
    template = env.from_string(
        "{{ pc | postcode }}|{{ tel | phone(format='national') }}|{{ hn | house_unit }}/{{ hn | house_appendix }}"
        "|{{ name | first_name }}/{{ name | last_name }}/{{ name | salutation_sex }}"
        "|{{ land | country_code }}|{% if coc is valid_kvk %}{{ coc | kvk }}{% else %}no kvk{% endif %}"
        "|{{ empty is blank }}|{{ date | outsmart_date('%d-%m-%Y') }}|{{ flag | to_bool }}"
    )
    out = template.render(
        pc="1234ab",
        tel="0612345678",
        hn="12-A",
        name="Dhr. Piet van der Berg",
        land="Nederland",
        coc="1234.5678",
        empty="  ",
        date="2024-03-05 10:00:00",
        flag="ja",
    )
    assert out == "1234 AB|06 12345678|12/A|Piet/van der Berg/Man|NL|12345678|True|05-03-2024|True"
    assert env.from_string('{% if "12345678" is valid_kvk %}yes{% endif %}').render() == "yes"
    with pytest.raises(TransformError, match="not a Dutch postcode: '12345'"):
        env.from_string("{{ '12345' | postcode(strict=true) }}").render()


def test_import_does_not_load_heavy_libraries() -> None:
    code = (
        "import relmap.mapping.filters, sys; "
        "heavy = {'phonenumbers', 'stdnum', 'pycountry', 'email_validator', 'idna', 're2'}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(relmap.__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert result.stdout.strip() == "[]"
