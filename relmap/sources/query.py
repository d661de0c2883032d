"""OutSmart's filter semantics (eq ne gt ge lt le li, all ANDed), applied to records read from a file.

OutSmart answers filters in SQL: comparisons are case-insensitive, numbers compare as numbers, and a null field
matches nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


def matches(field: str | None, operator: str, value: str) -> bool:
    """Whether a relation's ``field`` value passes the filter ``operator value``."""
    if field is None:
        return False
    if operator == "li":
        return _like(value).fullmatch(field) is not None
    left, right = _comparable(field, value)
    if operator == "eq":
        return left == right
    if operator == "ne":
        return left != right
    if operator == "gt":
        return left > right
    if operator == "ge":
        return left >= right
    if operator == "lt":
        return left < right
    if operator == "le":
        return left <= right
    raise ValueError(f"unknown operator {operator!r}")


def _comparable(field: str, value: str) -> tuple[Any, Any]:
    try:
        return float(field), float(value)
    except ValueError:
        return field.strip().casefold(), value.strip().casefold()


@lru_cache(maxsize=64)
def _like(pattern: str) -> re.Pattern[str]:
    parts = (".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
