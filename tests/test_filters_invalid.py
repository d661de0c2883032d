"""One design across the filters: what a value they cannot convert gives (``invalid=``), and their signatures."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

import pytest

from relmap.errors import TransformError
from relmap.mapping.filters import FILTERS, TESTS, ArgumentError
from relmap.mapping.filters import values as filter_values

# filter, a value it cannot convert, the arguments it needs, its default for `invalid`, and the error message.
CASES: list[tuple[str, Any, dict[str, Any], str, str]] = [
    ("postcode", " 12345 ", {}, "keep", "not a Dutch postcode: '12345'"),
    ("phone", " 0612 ", {}, "keep", "not a valid phone number: '0612'"),
    ("phone", "abc", {"region": "BE"}, "keep", "not a valid phone number: 'abc'"),
    ("email", " piet@@fout ", {}, "error", "not a valid e-mail address: 'piet@@fout'"),
    ("country_code", " Narnia ", {}, "error", "unknown country: 'Narnia'"),
    ("kvk", " 1234 ", {}, "error", "not a KvK number (8 digits): '1234'"),
    ("iban", " NL91ABNA0417164301 ", {}, "error", "not a valid IBAN: 'NL91ABNA0417164301'"),
    ("outsmart_date", " gisteren ", {}, "error", "not an OutSmart date (YYYY-MM-DD HH:mm:ss): 'gisteren'"),
]


@pytest.mark.parametrize(("name", "value", "kwargs", "default", "message"), CASES)
def test_invalid_error_keep_or_empty(name: str, value: Any, kwargs: dict[str, Any], default: str, message: str) -> None:
    function = FILTERS[name]
    with pytest.raises(TransformError) as info:
        function(value, invalid="error", **kwargs)
    assert str(info.value).startswith(message)
    assert function(value, invalid="keep", **kwargs) == value.strip()
    assert function(value, invalid="empty", **kwargs) == ""
    assert inspect.signature(function).parameters["invalid"].default == default
    if default == "error":
        with pytest.raises(TransformError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
            function(value, **kwargs)
    else:
        assert function(value, **kwargs) == value.strip()


@pytest.mark.parametrize("name", ["postcode", "phone", "email", "country_code", "vat_number"])
def test_strict_is_the_older_spelling_of_invalid(name: str) -> None:
    bad = {"postcode": "12345", "phone": "0612", "email": "piet@@fout", "country_code": "Narnia"}.get(name, "XX123")
    function = FILTERS[name]
    with pytest.raises(TransformError) as strict:
        function(bad, strict=True)
    with pytest.raises(TransformError) as error:
        function(bad, invalid="error")
    assert str(strict.value) == str(error.value)
    assert function(bad, strict=False) == function(bad, invalid="keep")
    with pytest.raises(ArgumentError, match="give invalid= or strict=, not both"):
        function(bad, strict=True, invalid="empty")
    with pytest.raises(ArgumentError, match="strict= takes true or false, not 'yes'"):
        function(bad, strict="yes")


def test_vat_number_is_checked_only_when_asked() -> None:
    assert FILTERS["vat_number"]("XX123") == "123"  # keep: compact, not checked (as before)
    assert FILTERS["vat_number"]("NL012356278B01", invalid="empty") == ""
    assert FILTERS["vat_number"]("NL 0044.95.445.B01", invalid="empty") == "004495445B01"
    with pytest.raises(TransformError, match="not a valid VAT number: 'NL012356278B01'"):
        FILTERS["vat_number"]("NL012356278B01", invalid="error")


def test_to_bool_takes_error_or_empty() -> None:
    to_bool = FILTERS["to_bool"]
    assert to_bool("misschien", invalid="empty") is None
    assert to_bool("ja", invalid="empty") is True
    with pytest.raises(TransformError, match="not a yes/no value: 'misschien'"):
        to_bool("misschien")
    with pytest.raises(ArgumentError, match="to_bool takes invalid='error' or invalid='empty'"):
        to_bool("ja", invalid="keep")


@pytest.mark.parametrize("name", ["postcode", "phone", "email", "country_code", "kvk", "iban", "outsmart_date"])
@pytest.mark.parametrize("invalid", ["bogus", "Empty", "", None, True])
def test_an_unknown_invalid_is_an_error_even_for_a_blank_value(name: str, invalid: Any) -> None:
    for value in ("", "0612345678"):
        with pytest.raises(ArgumentError) as info:
            FILTERS[name](value, invalid=invalid)
        assert str(info.value) == f"unknown invalid={invalid!r} (expected one of error, keep, empty)"


def test_a_wrong_argument_in_a_test_is_an_error_not_false() -> None:
    """A test answers False for any value, but an argument the mapping got wrong fails every value alike: said."""
    with pytest.raises(ArgumentError, match="possible= takes true or false, not 'yes'"):
        TESTS["valid_phone"]("0612345678", possible="yes")
    with pytest.raises(ArgumentError, match="possible= takes true or false"):
        TESTS["valid_phone"](None, possible="yes")
    assert TESTS["valid_phone"](["0612345678"]) is False
    assert TESTS["valid_phone"]("0612345678", region=["BE"]) is False  # a region from the data: not valid


def _callables() -> list[tuple[str, Callable[..., Any]]]:
    return [(f"filter {n}", f) for n, f in FILTERS.items()] + [(f"test {n}", t) for n, t in TESTS.items()]


@pytest.mark.parametrize(("label", "function"), _callables(), ids=[label for label, _ in _callables()])
def test_every_filter_and_test_has_a_plain_annotated_signature(label: str, function: Callable[..., Any]) -> None:
    """Arguments can be checked against inspect.signature: no *args or **kwargs, every argument annotated, and every
    argument after the value (and a pattern) has a default."""
    signature = inspect.signature(function)
    hints = typing.get_type_hints(inspect.unwrap(function))
    parameters = list(signature.parameters.values())
    assert parameters[0].name == "value"
    for parameter in parameters:
        assert parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, (label, parameter)
        assert parameter.name in hints, (label, parameter.name)
        if parameter.name not in ("value", "pattern"):
            assert parameter.default is not inspect.Parameter.empty, (label, parameter.name)
    assert "return" in hints


def test_the_choices_of_an_argument_are_in_its_annotation() -> None:
    """A Literal annotation names the choices (format, invalid, single): a checker can read them from the hints."""
    hints = typing.get_type_hints(inspect.unwrap(FILTERS["phone"]))
    assert typing.get_args(hints["format"]) == ("e164", "international", "national")
    assert typing.get_args(hints["invalid"]) == filter_values.INVALID_CHOICES
    assert typing.get_args(typing.get_type_hints(FILTERS["first_name"])["single"]) == ("last", "first")
