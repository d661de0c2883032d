"""Turn a rendered value into what a Silvasoft parameter declares; the declared type decides, never the value.

``"0612345678"`` and ``"01234"`` stay text for a text parameter, and ``"14233Aaa"`` for an integer parameter is an
error, never a silent 0. ``None`` means "empty": the parameter is left out of the payload.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from typing import Any

from relmap.catalog import Param
from relmap.errors import TransformError

# ASCII digits only: \d also takes other scripts' digits ("١٢٣" would become 123)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
LONG = 2**63  # Silvasoft's numbers (RelationGUID, CustomerNumber) are 64-bit integers ("a long")
_COUNTRY = re.compile(r"[A-Z]{2}")


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def convert(value: Any, param: Param, date_format: str = "%d-%m-%Y") -> Any:
    """The value as ``param`` needs it, or None when empty; raises TransformError when it cannot be."""
    kind = param.type
    if type(value) is str and kind == "string":  # nearly every value: text for a text parameter
        text = value.strip()
        if not text or not (param.enum or param.country):
            return text or None
        return _text(text, param)
    if is_empty(value):
        return None
    if kind == "string":
        return _text(value, param)
    if kind == "integer":
        return _integer(value, param)
    if kind == "decimal":
        return _decimal(value)
    if kind == "boolean":
        return _boolean(value)
    if kind == "date":
        return _date(value, date_format)
    raise TransformError(f"{param.name} takes a {kind}, not a single value")


def describe(value: Any) -> str:
    """A short, quoted picture of a value for messages."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(value: Any, param: Param) -> str:
    if isinstance(value, bool):
        raise TransformError(f"expected text, got the boolean {value}")
    if isinstance(value, dt.date):
        text = value.isoformat()
    elif type(value) is str:
        text = value.strip()
    elif isinstance(value, int | float | str):
        text = str(value).strip()
    else:
        raise TransformError(f"expected text, got {type(value).__name__} {describe(value)}")
    if param.enum and text not in param.enum:
        from relmap.mapping.schema import did_you_mean

        hint = did_you_mean(text, param.enum)
        raise TransformError(f"{describe(text)} is not one of {', '.join(param.enum)}" + (f" ({hint})" if hint else ""))
    if param.country and not _known_country(text):
        raise TransformError(f"{describe(text)} is not an ISO 3166 alpha-2 country code (use the country_code filter)")
    return text


@lru_cache(maxsize=512)
def _known_country(code: str) -> bool:
    if not _COUNTRY.fullmatch(code):
        return False
    import pycountry

    return pycountry.countries.get(alpha_2=code) is not None


def _integer(value: Any, param: Param) -> int:
    if isinstance(value, bool):
        raise TransformError(f"expected a whole number, got the boolean {value}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise TransformError(f"{describe(value)} is not a whole number")
    if param.nonzero and number == 0:
        raise TransformError(f"{param.name} 0 means 'empty' to Silvasoft; leave it empty instead")
    if not -LONG <= number < LONG:
        raise TransformError(f"{describe(value)} is too large for Silvasoft (a 64-bit whole number)")
    return number


def _decimal(value: Any) -> float:
    if isinstance(value, bool):
        raise TransformError(f"expected a number, got the boolean {value}")
    if isinstance(value, int | float):
        try:
            return _finite(float(value), value)
        except OverflowError:  # an integer beyond a float's range (10**400)
            raise TransformError(f"{describe(value)} is not a number Silvasoft can store") from None
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if "," in text and "." not in text and text.count(",") == 1:
            text = text.replace(",", ".")  # Dutch decimal comma: 12,50
        if _DECIMAL.fullmatch(text):
            return _finite(float(text), value)
    raise TransformError(f"{describe(value)} is not a number")


def _finite(number: float, value: Any) -> float:
    """JSON has no NaN or infinity (json.dumps would send the invalid token Infinity), and Silvasoft stores neither."""
    if not math.isfinite(number):
        raise TransformError(f"{describe(value)} is not a number Silvasoft can store")
    return number


def _boolean(value: Any) -> bool:
    from relmap.mapping.filters import parse_bool

    result = parse_bool(value)
    if result is None:
        raise TransformError(f"{describe(value)} is not a yes/no value")
    return result


def _date(value: Any, date_format: str) -> str | None:
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime(date_format)
    if not isinstance(value, str):
        raise TransformError(f"{describe(value)} is not a date")
    from relmap.mapping.filters import parse_outsmart_date

    parsed = parse_outsmart_date(value)
    return parsed.strftime(date_format) if parsed else None
