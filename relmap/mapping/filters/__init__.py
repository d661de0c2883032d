"""Domain filters and tests for the mapping's Jinja templates (postcodes, phones, e-mail, names, patterns, ...).

Importing this package is cheap: phonenumbers, python-stdnum, pycountry, email-validator and RE2 load on first use.
Every filter and test is a plain function with keyword arguments and annotated defaults, so that a mapping's
arguments can be checked against ``inspect.signature``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from relmap.errors import TransformError
from relmap.mapping.filters.address import house_appendix, house_unit, is_valid_postcode, postcode, split_house_number
from relmap.mapping.filters.countries import country_code
from relmap.mapping.filters.emails import email, is_valid_email
from relmap.mapping.filters.names import first_name, last_name, salutation_sex, split_name
from relmap.mapping.filters.numbers import (
    iban,
    is_numeric_id,
    is_valid_iban,
    is_valid_kvk,
    is_valid_vat,
    kvk,
    vat_number,
)
from relmap.mapping.filters.patterns import PatternError, matching, regex_replace
from relmap.mapping.filters.phones import is_valid_phone, phone
from relmap.mapping.filters.values import (
    ArgumentError,
    digits,
    is_blank,
    outsmart_date,
    parse_bool,
    parse_outsmart_date,
    to_bool,
)

FILTERS: dict[str, Callable[..., Any]] = {
    "postcode": postcode,
    "phone": phone,
    "email": email,
    "house_unit": house_unit,
    "house_appendix": house_appendix,
    "first_name": first_name,
    "last_name": last_name,
    "salutation_sex": salutation_sex,
    "country_code": country_code,
    "vat_number": vat_number,
    "kvk": kvk,
    "iban": iban,
    "to_bool": to_bool,
    "outsmart_date": outsmart_date,
    "digits": digits,
    "regex_replace": regex_replace,
}


def _never_fails(test: Callable[..., bool]) -> Callable[..., bool]:
    """A Jinja test answers True or False: a value it cannot even read (5,000 digits, a list) is simply not valid.
    Only an argument the mapping got wrong (``possible="yes"``) is an error, the same for every value."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> bool:
        try:
            return bool(test(*args, **kwargs))
        except ArgumentError:
            raise
        except (TransformError, ValueError, TypeError, OverflowError):
            return False

    return run


TESTS: dict[str, Callable[..., bool]] = {
    "valid_kvk": _never_fails(is_valid_kvk),
    "valid_iban": _never_fails(is_valid_iban),
    "valid_vat": _never_fails(is_valid_vat),
    "valid_postcode": _never_fails(is_valid_postcode),
    "valid_phone": _never_fails(is_valid_phone),
    "valid_email": _never_fails(is_valid_email),
    "numeric_id": _never_fails(is_numeric_id),
    "matching": _never_fails(matching),
    "blank": is_blank,
}

__all__ = [
    "FILTERS",
    "TESTS",
    "ArgumentError",
    "PatternError",
    "country_code",
    "digits",
    "email",
    "first_name",
    "house_appendix",
    "house_unit",
    "iban",
    "kvk",
    "last_name",
    "matching",
    "outsmart_date",
    "parse_bool",
    "parse_outsmart_date",
    "phone",
    "postcode",
    "regex_replace",
    "salutation_sex",
    "split_house_number",
    "split_name",
    "to_bool",
    "vat_number",
]


_WARM = False


def warm() -> None:
    """Load what the filters load on first use (pycountry's names, phone metadata, stdnum, email-validator, RE2),
    once per process.

    The renderer calls this before any template runs: a template evaluation has a time limit, and loading a library
    is no part of one record's work (stopped half-way, it would fail that record for nothing).
    """
    global _WARM
    if _WARM:
        return
    _WARM = True
    samples: list[tuple[Callable[[str], Any], str]] = [(postcode, "1234 ab"), (phone, "06 12345678")]
    samples += [
        (country_code, "Nederland"),
        (kvk, "12345678"),
        (vat_number, "NL123456789B01"),
        (iban, "NL91ABNA0417164300"),
        (is_valid_phone, "+32 2 123 45 67"),
        (email, "Piet@Bücher.nl"),
        (lambda value: matching(value, "[0-9]+"), "12"),
    ]
    for function, sample in samples:
        try:
            function(sample)
        except Exception:  # a sample that is not valid still loaded what it needed
            continue
