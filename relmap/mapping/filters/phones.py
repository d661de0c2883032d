"""Phone numbers: read for a region, checked against its numbering plan, formatted as E.164 and friends.

phonenumbers is imported on first use only.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from relmap.mapping.filters.countries import region as country_region
from relmap.mapping.filters.values import ArgumentError, Invalid, flag, give_invalid, invalid_mode, loose_text, text

PhoneFormat = Literal["e164", "international", "national"]
PHONE_FORMATS: tuple[str, ...] = ("e164", "international", "national")


@functools.lru_cache(maxsize=1)
def _phone_formats() -> dict[str, int]:
    import phonenumbers

    return {
        "e164": phonenumbers.PhoneNumberFormat.E164,
        "international": phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        "national": phonenumbers.PhoneNumberFormat.NATIONAL,
    }


def _parse_phone(raw: str, region_code: str, possible: bool = False) -> Any | None:
    """The parsed number when it is valid (or, with ``possible``, of a possible length), else ``None``.

    Valid means it fits its region's numbering plan (``06 12345678``). A possible number only has a plausible
    length: ``0612345`` and a Belgian ``03 212 34 56`` read as Dutch are possible, not valid. A rule's ``when`` and
    its template read the same number, so answers for texts of phone-number length are remembered.
    """
    if len(raw) <= 64 and len(region_code) <= 64:
        return _remembered(raw, region_code, possible)
    return _read(raw, region_code, possible)


def _read(raw: str, region_code: str, possible: bool) -> Any | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, region_code)
    except phonenumbers.NumberParseException:
        return None
    ok = phonenumbers.is_possible_number(number) if possible else phonenumbers.is_valid_number(number)
    return number if ok else None


_remembered = functools.lru_cache(maxsize=1024)(_read)


def phone(
    value: Any,
    format: PhoneFormat = "e164",
    region: Any = "NL",
    strict: bool | None = None,
    invalid: Invalid = "keep",
    possible: bool = False,
) -> str:
    """A phone number as ``e164`` (+31612345678), ``international`` or ``national``; national numbers are read for
    ``region``. A number that is not valid is kept as typed, or with ``invalid`` an error or ``""``."""
    if format not in PHONE_FORMATS:
        raise ArgumentError(f"unknown phone format: {format!r} (expected one of {', '.join(PHONE_FORMATS)})")
    mode, possible = invalid_mode(invalid, strict, default="keep"), flag(possible, "possible")
    raw = text(value)
    if not raw:
        return ""
    number = _parse_phone(raw, country_region(region), possible)
    if number is None:
        return give_invalid(mode, raw, f"not a valid phone number: {raw!r}")
    import phonenumbers

    return str(phonenumbers.format_number(number, _phone_formats()[format]))


def is_valid_phone(value: Any, region: Any = "NL", possible: bool = False) -> bool:
    """Jinja test ``valid_phone``: a valid phone number; national numbers are read for ``region`` (Dutch by default)."""
    possible = flag(possible, "possible")
    raw = loose_text(value)
    return bool(raw) and _parse_phone(raw, country_region(region), possible) is not None
