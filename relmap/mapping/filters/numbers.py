"""Numbers with a checksum or a format: VAT, KvK, IBAN and numeric ids (customer numbers).

python-stdnum is imported on first use only.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from relmap.errors import TransformError
from relmap.mapping.filters.values import ArgumentError, Invalid, give_invalid, invalid_mode, loose_text, text

IbanFormat = Literal["compact", "print"]
IBAN_FORMATS: tuple[str, ...] = ("compact", "print")
LONG = 2**63  # Silvasoft's CustomerNumber is a 64-bit whole number ("a long")

_SEPARATORS = re.compile(r"[\s.\-]+")
_COUNTRY_PREFIX = re.compile(r"[A-Z]{2}")


def _compact(raw: str) -> str:
    return _SEPARATORS.sub("", raw).upper()


def _full_vat(raw: str) -> str:
    """The compact VAT number with its country code; ``NL`` when it has none."""
    number = _compact(raw)
    return number if _COUNTRY_PREFIX.match(number) else "NL" + number


def _vat_ok(full: str) -> bool:
    from stdnum.eu import vat

    return bool(vat.is_valid(full))


def vat_number(value: Any, strict: bool | None = None, invalid: Invalid = "keep") -> str:
    """A VAT number, compact and without its country code: ``NL 0123.56.278.B01`` -> ``012356278B01``.

    Checked only with ``invalid="error"`` (or ``strict=true``) or ``invalid="empty"``; ``keep`` does not check.
    """
    mode = invalid_mode(invalid, strict, default="keep")
    raw = text(value)
    if not raw:
        return ""
    number = _compact(raw)
    if mode != "keep" and not _vat_ok(_full_vat(raw)):
        return give_invalid(mode, raw, f"not a valid VAT number: {raw!r}")
    return number[2:] if _COUNTRY_PREFIX.match(number) else number


def is_valid_vat(value: Any) -> bool:
    """Jinja test ``valid_vat``: a valid EU VAT number; one without country code is checked as Dutch."""
    raw = loose_text(value)
    return bool(raw) and _vat_ok(_full_vat(raw))


def _kvk_digits(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**8:
        return f"{value:08d}"  # an int has lost its leading zero
    return _SEPARATORS.sub("", text(value))


def kvk(value: Any, invalid: Invalid = "error") -> str:
    """A Dutch Chamber of Commerce (KvK) number: exactly 8 digits once spaces, dots and dashes are gone."""
    mode = invalid_mode(invalid)
    number = _kvk_digits(value)
    if not number:
        return ""
    if len(number) != 8 or not number.isascii() or not number.isdigit():
        raw = text(value)
        return give_invalid(mode, raw, f"not a KvK number (8 digits): {raw!r}")
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


def iban(value: Any, format: IbanFormat = "compact", invalid: Invalid = "error") -> str:
    """An IBAN, checked, as ``compact`` (NL91ABNA0417164300) or ``print`` (NL91 ABNA 0417 1643 00)."""
    if format not in IBAN_FORMATS:
        raise ArgumentError(f"unknown IBAN format: {format!r} (expected one of {', '.join(IBAN_FORMATS)})")
    mode = invalid_mode(invalid)
    raw = text(value)
    if not raw:
        return ""
    number = _iban(raw)
    if number is None:
        return give_invalid(mode, raw, f"not a valid IBAN: {raw!r}")
    if format == "print":
        from stdnum import iban as stdnum_iban

        return str(stdnum_iban.format(number))
    return number


def is_valid_iban(value: Any) -> bool:
    """Jinja test ``valid_iban``: an IBAN with a valid length and checksum."""
    raw = loose_text(value)
    return bool(raw) and _iban(raw) is not None


def is_numeric_id(value: Any) -> bool:
    """Jinja test ``numeric_id``: only the digits 0-9 (leading zeros allowed), not zero, and within Silvasoft's
    64-bit whole numbers: a debtor number that can become a ``CustomerNumber``."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 < value < LONG
    raw = loose_text(value) if isinstance(value, str) else ""
    digits = raw.lstrip("0")
    return raw.isascii() and raw.isdigit() and 0 < len(digits) <= 19 and int(digits) < LONG
