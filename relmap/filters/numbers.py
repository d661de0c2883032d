"""Numbers with a checksum or a format: phone numbers, VAT, KvK and IBAN.

phonenumbers and python-stdnum are imported on first use only.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from relmap.errors import TransformError
from relmap.filters.countries import region as country_region
from relmap.filters.values import loose_text, text

PHONE_FORMATS = ("e164", "international", "national")
IBAN_FORMATS = ("compact", "print")

_SEPARATORS = re.compile(r"[\s.\-]+")
_COUNTRY_PREFIX = re.compile(r"[A-Z]{2}")


@functools.lru_cache(maxsize=1)
def _phone_formats() -> dict[str, int]:
    import phonenumbers

    return {
        "e164": phonenumbers.PhoneNumberFormat.E164,
        "international": phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        "national": phonenumbers.PhoneNumberFormat.NATIONAL,
    }


def _parse_phone(raw: str, region_code: str) -> Any | None:
    """The parsed number when it is a valid phone number, else ``None``."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, region_code)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone(value: Any, format: str = "e164", region: Any = "NL", strict: bool = False) -> str:
    """A phone number as ``e164`` (+31612345678), ``international`` or ``national``."""
    if format not in PHONE_FORMATS:
        raise TransformError(f"unknown phone format: {format!r} (expected one of {', '.join(PHONE_FORMATS)})")
    raw = text(value)
    if not raw:
        return ""
    number = _parse_phone(raw, country_region(region))
    if number is None:
        if strict:
            raise TransformError(f"not a valid phone number: {raw!r}")
        return raw
    import phonenumbers

    return str(phonenumbers.format_number(number, _phone_formats()[format]))


def is_valid_phone(value: Any) -> bool:
    """Jinja test ``valid_phone``: a valid phone number, national numbers read as Dutch."""
    raw = loose_text(value)
    return bool(raw) and _parse_phone(raw, "NL") is not None


def _compact(raw: str) -> str:
    return _SEPARATORS.sub("", raw).upper()


def _full_vat(raw: str) -> str:
    """The compact VAT number with its country code; ``NL`` when it has none."""
    number = _compact(raw)
    return number if _COUNTRY_PREFIX.match(number) else "NL" + number


def _vat_ok(full: str) -> bool:
    from stdnum.eu import vat

    return bool(vat.is_valid(full))


def vat_number(value: Any, strict: bool = False) -> str:
    """A VAT number, compact and without its country code: ``NL 0123.56.278.B01`` -> ``012356278B01``."""
    raw = text(value)
    if not raw:
        return ""
    number = _compact(raw)
    if strict and not _vat_ok(_full_vat(raw)):
        raise TransformError(f"not a valid VAT number: {raw!r}")
    return number[2:] if _COUNTRY_PREFIX.match(number) else number


def is_valid_vat(value: Any) -> bool:
    """Jinja test ``valid_vat``: a valid EU VAT number; one without country code is checked as Dutch."""
    raw = loose_text(value)
    return bool(raw) and _vat_ok(_full_vat(raw))


def _kvk_digits(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**8:
        return f"{value:08d}"  # an int has lost its leading zero
    return _SEPARATORS.sub("", text(value))


def kvk(value: Any) -> str:
    """A Dutch Chamber of Commerce (KvK) number: exactly 8 digits once spaces, dots and dashes are gone."""
    number = _kvk_digits(value)
    if not number:
        return ""
    if len(number) != 8 or not number.isascii() or not number.isdigit():
        raise TransformError(f"not a KvK number (8 digits): {text(value)!r}")
    return number


def is_valid_kvk(value: Any) -> bool:
    """Jinja test ``valid_kvk``: 8 digits once spaces, dots and dashes are gone."""
    try:
        return bool(kvk(value))
    except TransformError:
        return False


def _iban(raw: str) -> str | None:
    from stdnum import iban as stdnum_iban
    from stdnum.exceptions import ValidationError

    try:
        return str(stdnum_iban.validate(raw))
    except ValidationError:
        return None


def iban(value: Any, format: str = "compact") -> str:
    """An IBAN, checked, as ``compact`` (NL91ABNA0417164300) or ``print`` (NL91 ABNA 0417 1643 00)."""
    if format not in IBAN_FORMATS:
        raise TransformError(f"unknown IBAN format: {format!r} (expected one of {', '.join(IBAN_FORMATS)})")
    raw = text(value)
    if not raw:
        return ""
    number = _iban(raw)
    if number is None:
        raise TransformError(f"not a valid IBAN: {raw!r}")
    if format == "print":
        from stdnum import iban as stdnum_iban

        return str(stdnum_iban.format(number))
    return number


def is_valid_iban(value: Any) -> bool:
    """Jinja test ``valid_iban``: an IBAN with a valid length and checksum."""
    raw = loose_text(value)
    return bool(raw) and _iban(raw) is not None
