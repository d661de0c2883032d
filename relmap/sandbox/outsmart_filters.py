"""OutSmart's ``key[]`` / ``value[]`` / ``operator[]`` filter triples, parsed strictly and applied with ``matches``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from relmap.catalog.outsmart import OPERATORS
from relmap.sandbox.emulator import Request
from relmap.sources.query import matches
from relmap.sources.records import value_text


class FilterError(ValueError):
    """A filter the API refuses; the message is what the client is told."""


@dataclass(frozen=True)
class Filter:
    key: str  # as sent
    field: str  # the JSON field it compares
    operator: str
    value: str


def parse_filters(request: Request, keys: Mapping[str, str]) -> list[Filter]:
    """The request's filters in the order sent; ``keys`` maps each filter key to the field it filters."""
    names, values, operators = request.params("key[]"), request.params("value[]"), request.params("operator[]")
    if not len(names) == len(values) == len(operators):
        raise FilterError(
            f"Every filter needs one key[], value[] and operator[]: got {len(names)} key[], "
            f"{len(values)} value[] and {len(operators)} operator[]"
        )
    filters = []
    for name, value, operator in zip(names, values, operators, strict=True):
        if name not in keys:
            raise FilterError(f"Unknown filter key '{name}'; filterable: {', '.join(sorted(keys))}")
        if operator not in OPERATORS:
            raise FilterError(
                f"Unknown filter operator '{operator}' for key '{name}'; use one of {', '.join(OPERATORS)}"
            )
        filters.append(Filter(name, keys[name], operator, value))
    return filters


def passes(filters: list[Filter], row: Mapping[str, object]) -> bool:
    """Whether ``row`` passes every filter (OutSmart ANDs them all)."""
    return all(matches(_text(row.get(f.field)), f.operator, f.value) for f in filters)


def _text(value: object) -> str | None:
    try:
        return value_text(value)
    except ValueError:  # a list or an object (e.g. fld_values) matches nothing, like a null
        return None
