"""Constants in a mapping (``value:``, ``map:`` values, ``default:``, ``fallback:``) against the parameter's type.

One rule, from the types the Silvasoft catalog declares: a constant is written in the type of its parameter. Text
parameters (and dates, which YAML keeps as text) take text, integer parameters a whole number, decimal parameters a
number, boolean parameters true or false. ``Address_Unit: {value: 12}`` and ``IsCustomer: 1`` are both errors, each
with the spelling that is meant. Values read from OutSmart are converted by type at render time
(relmap.mapping.convert); a constant is the author's own writing, so it is never guessed at.
"""

from __future__ import annotations

import math
import re
from typing import Any

from relmap.catalog import Param
from relmap.errors import TransformError
from relmap.mapping.compiler.scope import Scope
from relmap.mapping.convert import convert
from relmap.mapping.loader import PathKey
from relmap.mapping.schema import type_name
from relmap.mapping.yamlfile.text import shown

_WANTED = {
    "string": "text",
    "date": "a date as text",
    "integer": "a whole number",
    "decimal": "a number",
    "boolean": "true or false",
}
_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)")


def check_constant(scope: Scope, path: PathKey, param: Param, value: Any, *, bare: bool = False) -> bool:
    """Whether ``value`` is what ``param`` takes; if not, a constant-type error at ``path`` with the meant spelling.

    ``bare``: the constant is the whole rule (``Address_Unit: 12``), where text in quotes would name a field.
    """
    if value is None:
        return True  # empty: the parameter is left out, as for an empty value read from OutSmart
    if isinstance(value, float) and not math.isfinite(value):  # .inf, .nan, 1e999: no JSON number can carry them
        scope.error(path, f"{param.name}: {value} is not a number Silvasoft can store", "constant-type")
        return False
    if param.type in _WANTED and not _fits(param.type, value):
        message = f"{param.name} takes {_WANTED[param.type]}, but {_yaml(value)} is {type_name(value)}"
        scope.error(path, message, "constant-type", _spelling(param, value, bare))
        return False
    try:
        convert(value, param)
    except TransformError as exc:
        scope.error(path, f"{param.name}: {exc}", "constant-type")
        return False
    return True


def constant_hint(param: Param, text: str) -> str:
    """For plain text that names no OutSmart field: that plain text is a field name, and how the constant is written."""
    lead = "plain text in a rule names an OutSmart field"
    if param.type == "boolean":
        meant = _boolean(text)
        if meant is None:
            return f"{lead}; {param.name} takes true or false: write {param.name}: true (or false)"
        return f"{lead}; for the constant write {param.name}: {meant}"
    if param.type in ("integer", "decimal"):
        number = _number(param.type, text)
        if number is None:
            return f"{lead}; {param.name} takes {_WANTED[param.type]}, written without quotes ({param.name}: 12)"
        return f"{lead}; for the constant write {param.name}: {number}"
    try:
        convert(text, param)
    except TransformError as exc:
        return f"{lead}; as a constant, {exc}"
    return f'{lead}; for the text itself write {{value: "{text}"}}'


def _fits(kind: str, value: Any) -> bool:
    if kind in ("string", "date"):
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if kind == "integer" else isinstance(value, int | float)


def _spelling(param: Param, value: Any, bare: bool) -> str | None:
    """How the constant is written in the parameter's type, where the value says what was meant."""
    if param.type in ("string", "date"):
        text = shown(_yaml(value))
        return f'write {{value: "{text}"}} for the text' if bare else f'write "{text}" in quotes for the text'
    if param.type == "boolean":
        meant = _boolean(value)
        return f"write {meant}" + (" without quotes" if isinstance(value, str) else "") if meant else None
    number = _number(param.type, value)
    if number is None:
        return None
    return f"write {number}" + (" without quotes" if isinstance(value, str) else "")


def _boolean(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value in (0, 1):
        return "true" if value else "false"
    if isinstance(value, str):
        from relmap.mapping.filters import parse_bool

        try:
            meant = parse_bool(value)
        except TransformError:
            return None
        return None if meant is None else "true" if meant else "false"
    return None


def _number(kind: str, value: Any) -> str | None:
    """The number a value spells, written as YAML reads that number; None when it spells none of that kind."""
    if isinstance(value, float) and value.is_integer() and kind == "integer":
        return str(int(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if kind == "integer":
        return str(int(text)) if _WHOLE.fullmatch(text) and len(text) < 20 else None
    return text.replace(",", ".") if _DECIMAL.fullmatch(text) else None


def _yaml(value: Any) -> str:
    """A constant as the mapping file writes it: true, 12, 'text'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(shown(value))
    return shown(str(value))
