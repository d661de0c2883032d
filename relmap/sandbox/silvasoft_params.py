"""Silvasoft request checks: bodies against the catalog (names case-sensitive, types, required), list queries.

Each check returns every problem at once; the emulator answers them in one 400 errorMessage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from relmap.catalog import Param as P
from relmap.catalog.silvasoft import CONTACT, ENDPOINTS, UPDATE
from relmap.sources.records import json_type

MAX_LIMIT = 200

_TYPES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "string": ("a string", lambda v: isinstance(v, str)),
    "date": ("a date string", lambda v: isinstance(v, str)),
    "integer": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "decimal": ("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
    "boolean": ("true or false", lambda v: isinstance(v, bool)),
}


def check_add(endpoint: str, body: Mapping[str, Any]) -> list[str]:
    """Problems of an addprivaterelation/addbusinessrelation body (an empty Relation_Contact counts as missing)."""
    return check(ENDPOINTS[endpoint], body)


def check_update(body: Mapping[str, Any]) -> list[str]:
    """Problems of an updaterelation body; a single Relation_Contact object counts as a list of one."""
    return check(UPDATE, contact_as_list(body))


def contact_as_list(body: Mapping[str, Any]) -> dict[str, Any]:
    contact = body.get(CONTACT.name)
    return {**body, CONTACT.name: [contact]} if isinstance(contact, dict) else dict(body)


def check(params: tuple[P, ...], body: Mapping[str, Any], where: str = "") -> list[str]:
    known = {p.name: p for p in params}
    problems: list[str] = []
    for name, value in body.items():
        param = known.get(name)
        if param is None:
            problems.append(f"Unknown parameter '{where}{name}'{_case_hint(name, known)}")
        elif value is not None:
            problems.extend(_check_value(param, value, f"{where}{name}"))
    problems.extend(
        f"Required parameter missing: {where}{p.name}" for p in params if p.required and _blank(body.get(p.name))
    )
    return problems


def _check_value(param: P, value: Any, where: str) -> list[str]:
    if param.type == "array":
        return _check_array(param, value, where)
    if param.type == "object":
        if not isinstance(value, dict):
            return [f"{where} must be an object, got {json_type(value)}"]
        return check(param.children, value, f"{where}.")
    wanted, fits = _TYPES[param.type]
    if not fits(value):
        return [f"{where} must be {wanted}, got {json_type(value)}"]
    if param.enum and value not in param.enum:
        return [f"{where} must be one of {', '.join(param.enum)}, got {value!r}"]
    if param.type == "integer" and value < 0:
        return [f"{where} must not be negative, got {value}"]
    return []


def _check_array(param: P, value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        return [f"{where} must be an array, got {json_type(value)}"]
    if param.max_items is not None and len(value) > param.max_items:
        return [f"{where} takes at most {param.max_items} item(s), got {len(value)}"]
    problems = []
    for index, item in enumerate(value):
        if isinstance(item, dict):
            problems.extend(check(param.children, item, f"{where}[{index}]."))
        else:
            problems.append(f"{where}[{index}] must be an object, got {json_type(item)}")
    return problems


def _case_hint(name: str, known: Iterable[str]) -> str:
    same = next((k for k in known if k.lower() == name.lower()), None)
    return f" (parameter names are case-sensitive: did you mean '{same}'?)" if same else ""


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str | list) and not (value.strip() if isinstance(value, str) else value))


@dataclass(frozen=True)
class ListQuery:
    limit: int = 100
    offset: int = 0
    sorting: str = "createdDate"
    descending: bool = False
    any_filter: bool = False  # SearchOperand OR
    relation_type: str = "All"
    number: int | None = None
    name: str | None = None
    email: str | None = None
    vat: str | None = None
    guid: int | None = None


_CHOICES = {
    "Sorting": ("createdDate", "RelationGUID"),
    "SortDir": ("ASC", "DEC"),
    "RelationType": ("All", "Supplier", "Customer"),
    "SearchOperand": ("AND", "OR"),
}
_INTEGERS = ("Limit", "Offset", "RelationNumber", "RelationGUID")
_TEXTS = ("RelationName", "RelationEmail", "RelationVAT")


def parse_list_query(pairs: list[tuple[str, str]]) -> tuple[ListQuery | None, list[str]]:
    """The listrelations query, or the problems with it; empty values count as not given."""
    values: dict[str, Any] = {}
    problems = []
    for name, text in pairs:
        text = text.strip()
        if name not in (*_CHOICES, *_INTEGERS, *_TEXTS):
            problems.append(f"Unknown parameter '{name}'{_case_hint(name, (*_CHOICES, *_INTEGERS, *_TEXTS))}")
        elif not text:
            continue
        elif name in _CHOICES and text not in _CHOICES[name]:
            problems.append(f"{name} must be one of {', '.join(_CHOICES[name])}, got {text!r}")
        elif name in _INTEGERS and not text.isdigit():
            problems.append(f"{name} must be a whole number, got {text!r}")
        else:
            values[name] = int(text) if name in _INTEGERS else text
    if values.get("Limit") == 0:
        problems.append("Limit must be at least 1")
    if problems:
        return None, problems
    return ListQuery(
        limit=min(values.get("Limit", 100), MAX_LIMIT),
        offset=values.get("Offset", 0),
        sorting=values.get("Sorting", "createdDate"),
        descending=values.get("SortDir") == "DEC",
        any_filter=values.get("SearchOperand") == "OR",
        relation_type=values.get("RelationType", "All"),
        number=values.get("RelationNumber"),
        name=values.get("RelationName"),
        email=values.get("RelationEmail"),
        vat=values.get("RelationVAT"),
        guid=values.get("RelationGUID"),
    ), []
