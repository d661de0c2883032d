"""Address parts: Dutch postcodes and house numbers with their additions."""

from __future__ import annotations

import functools
import re
from typing import Any

from relmap.mapping.filters.countries import region
from relmap.mapping.filters.values import Invalid, give_invalid, invalid_mode, loose_text, text

_HOUSE_NUMBER = re.compile(r"(?P<unit>\d+)\s*(?P<rest>.*)", re.DOTALL)
_NUMBER_RANGE = re.compile(r"(?P<sep>[-/])\s*(?P<rest>\d.*)", re.DOTALL)
_LETTER_ADDITION = re.compile(r"[-/]\s*(?P<rest>.*)", re.DOTALL)


def _dutch_postcode(raw: str) -> str | None:
    from stdnum.exceptions import ValidationError
    from stdnum.nl import postcode as nl_postcode

    try:
        return str(nl_postcode.validate(raw))
    except ValidationError:
        return None


def postcode(value: Any, country: Any = "NL", strict: bool | None = None, invalid: Invalid = "keep") -> str:
    """``1234ab`` -> ``1234 AB`` for Dutch addresses; other countries: upper-case, single spaces. A value that is not
    a Dutch postcode is kept as typed, or with ``invalid`` (or ``strict=true``) an error or ``""``."""
    mode = invalid_mode(invalid, strict, default="keep")
    raw = text(value)
    if not raw:
        return ""
    if region(country) != "NL":
        return " ".join(raw.upper().split())
    formatted = _dutch_postcode(raw)
    if formatted is not None:
        return formatted
    return give_invalid(mode, raw, f"not a Dutch postcode: {raw!r}")


def is_valid_postcode(value: Any) -> bool:
    """Jinja test ``valid_postcode``: a valid Dutch postcode."""
    raw = loose_text(value)
    return bool(raw) and _dutch_postcode(raw) is not None


def split_house_number(value: Any) -> tuple[str, str]:
    """OutSmart's ``house_number`` as (number, addition): ``12-A`` -> (``12``, ``A``)."""
    raw = text(value)
    # house_unit and house_appendix split the same house number: the split of a short one is remembered.
    return _remembered(raw) if type(raw) is str and len(raw) <= MEMO_TEXT else _split_house_number(raw)


def _split_house_number(raw: str) -> tuple[str, str]:
    match = _HOUSE_NUMBER.fullmatch(raw)
    if match is None:
        return raw, ""
    unit, rest = match["unit"], match["rest"].strip()
    number_range = _NUMBER_RANGE.fullmatch(rest)
    if number_range is not None:
        return unit, number_range["sep"] + number_range["rest"]
    letter_addition = _LETTER_ADDITION.fullmatch(rest)
    if letter_addition is not None:
        return unit, letter_addition["rest"]
    return unit, rest


MEMO_TEXT = 64
MEMO_SIZE = 1024
_remembered = functools.lru_cache(maxsize=MEMO_SIZE)(_split_house_number)


def house_unit(value: Any) -> str:
    """The number part of a house number: ``12-A`` -> ``12``."""
    return split_house_number(value)[0]


def house_appendix(value: Any) -> str:
    """The addition of a house number: ``12-A`` -> ``A``, ``12-14`` -> ``-14``."""
    return split_house_number(value)[1]
