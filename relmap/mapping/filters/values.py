"""Plain values: text clean-up, yes/no values, OutSmart dates and digits.

Also home of ``text()``, the one place where a template value becomes a stripped string.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any, Literal

from relmap.errors import TransformError

_NOT_SCALAR = (list, tuple, set, frozenset, dict, bytes, bytearray, Mapping)

_TRUE = frozenset({"1", "true", "ja", "yes", "j", "y", "waar", "on"})
_FALSE = frozenset({"0", "false", "nee", "no", "n", "onwaar", "off"})

_DATE = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[ T](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_ZERO_DATE = re.compile(r"0000-00-00(?:[ T]00:00(?::00)?)?")


MAX_VALUE = 10_000  # characters: no name, address, number or code is longer; some parsers are slow on far more

# What a filter gives for a value it cannot convert: a record error, the value as typed (stripped), or nothing.
Invalid = Literal["error", "keep", "empty"]
INVALID_CHOICES: tuple[str, ...] = ("error", "keep", "empty")


class ArgumentError(TransformError):
    """An argument the mapping gives a filter or test that cannot be used (``invalid="bogus"``, a broken pattern):
    the mapping's mistake, whatever value it meets, so tests raise it too instead of answering False."""


def text(value: Any) -> str:
    """``value`` as a stripped ``str``; ``None`` gives ``""``; lists, mappings and over-long texts are refused."""
    if value is None:
        return ""
    if isinstance(value, _NOT_SCALAR):
        raise TransformError(f"expected a single value, got: {str(value)[:80]!r}")
    result = (value if isinstance(value, str) else str(value)).strip()
    if len(result) > MAX_VALUE:
        raise TransformError(f"a value of {len(result):,} characters is longer than the {MAX_VALUE:,} filters read")
    return result


def is_blank(value: Any) -> bool:
    """Jinja test ``blank``: ``None`` or a string of only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def invalid_mode(invalid: Any, strict: bool | None = None, default: Invalid = "error") -> Invalid:
    """A filter's ``invalid=`` argument, or its older spelling ``strict=`` (true is ``error``, false ``keep``)."""
    if invalid not in INVALID_CHOICES:
        raise ArgumentError(f"unknown invalid={invalid!r} (expected one of {', '.join(INVALID_CHOICES)})")
    mode: Invalid = invalid
    if strict is None:
        return mode
    if mode != default:
        raise ArgumentError(
            "give invalid= or strict=, not both (strict=true is invalid='error', strict=false is invalid='keep')"
        )
    return "error" if flag(strict, "strict") else "keep"


def flag(value: Any, name: str) -> bool:
    """A yes/no argument of a filter or test: ``true`` or ``false`` only (the text ``"false"`` would be true)."""
    if not isinstance(value, bool):
        raise ArgumentError(f"{name}= takes true or false, not {value!r}")
    return value


def give_invalid(mode: Invalid, raw: str, message: str) -> str:
    """What a filter gives for ``raw``, which it cannot convert: a TransformError, ``raw`` itself, or ``""``."""
    if mode == "error":
        raise TransformError(message)
    return raw if mode == "keep" else ""


def to_bool(value: Any, invalid: Invalid = "error") -> bool | None:
    """``ja``/``nee``, ``1``/``0``, ``true``/``false``, ... as a bool; ``None`` when blank.

    Any other value is an error, or ``None`` with ``invalid="empty"``; ``"keep"`` is refused (it would give text
    where a yes/no value is expected).
    """
    mode = invalid_mode(invalid)
    if mode == "keep":
        raise ArgumentError("to_bool takes invalid='error' or invalid='empty': a kept text is no yes/no value")
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raw = text(value)
    if not raw:
        return None
    key = raw.casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    if mode == "empty":
        return None
    raise TransformError(f"not a yes/no value: {raw!r}")


parse_bool = to_bool


def parse_outsmart_date(value: Any) -> datetime.date | None:
    """``YYYY-MM-DD[ HH:mm:ss]`` as a date; ``None`` for blank and for OutSmart's zero date."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value)
    if not raw or _ZERO_DATE.fullmatch(raw):
        return None
    match = _DATE.fullmatch(raw)
    if match is None:
        raise TransformError(f"not an OutSmart date (YYYY-MM-DD HH:mm:ss): {raw!r}")
    try:
        year, month, day, hour, minute, second = (int(p or 0) for p in match.group("y", "m", "d", "H", "M", "S"))
        return datetime.datetime(year, month, day, hour, minute, second).date()
    except ValueError:
        raise TransformError(f"not an OutSmart date (YYYY-MM-DD HH:mm:ss): {raw!r}") from None


def outsmart_date(value: Any, format: str = "%Y-%m-%d", invalid: Invalid = "error") -> str:
    """An OutSmart date or timestamp formatted with ``format`` (strftime); ``""`` for zero dates.

    Any other value is an error, or with ``invalid="keep"`` / ``"empty"`` the text itself or ``""``.
    """
    mode = invalid_mode(invalid)
    raw = value if isinstance(value, datetime.date) else text(value)
    try:
        parsed = parse_outsmart_date(raw)
    except TransformError as exc:
        return give_invalid(mode, str(raw), str(exc))
    return "" if parsed is None else parsed.strftime(format)


def digits(value: Any) -> str:
    """Only the digits 0-9 of ``value``."""
    return re.sub(r"[^0-9]", "", text(value))


def loose_text(value: Any) -> str:
    """Like ``text()`` but ``""`` for values that are not a single value; for Jinja tests, which never fail."""
    try:
        return text(value)
    except TransformError:
        return ""
