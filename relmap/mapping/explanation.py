"""An explanation of one relation, as data: the decisions, the parameter steps with their reads and tests, the payload.

``relmap.mapping.explain`` makes one; ``relmap.report.explain`` writes it as text or JSON (``as_dict``, versioned).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from relmap.mapping.explain_steps import CodeStep
from relmap.mapping.render import FieldError

FORMAT_VERSION = 1

Status = Literal["set", "empty", "when false", "error", "warning", "item left out", "not evaluated", "left out"]


@dataclass(frozen=True)
class Read:
    """One value a rule or condition read: ``city``, ``ff[2]`` (with its name), ``vars.X``, ``record["x"]``."""

    name: str
    value: Any
    label: str | None = None  # a freefield's name under freefields:

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "value": self.value}


@dataclass(frozen=True)
class Test:
    """One ``when`` evaluated: true, false, or the error it raised."""

    text: str
    location: str
    result: bool | None
    error: str | None
    reads: tuple[Read, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "location": self.location,
            "result": self.result,
            "error": self.error,
            "reads": [r.as_dict() for r in self.reads],
        }


@dataclass(frozen=True)
class Decision:
    """A step of choosing the route: a source filter, a skip, a route's when, or a skip of the chosen route."""

    kind: Literal["filter", "skip", "route", "route skip"]
    test: Test
    route: str | None = None
    reason: str | None = None  # a skip's reason
    chosen: bool = False  # the route that took the relation

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "route": self.route,
            "reason": self.reason,
            "chosen": self.chosen,
            **self.test.as_dict(),
        }


@dataclass(frozen=True)
class Lookup:
    key: str
    outcome: str  # hit | miss | default | kept | empty
    value: Any

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "outcome": self.outcome, "value": self.value}


@dataclass(frozen=True)
class Step:
    """One parameter (``rule``), item or object (``item``), or array (``array``) of the chosen route."""

    parameter: str  # Relation_Contact[0].Email
    path: tuple[str | int, ...]  # ("Relation_Contact", 0, "Email"): items by their place in the mapping
    kind: str  # field | freefield | value | template | expr | item | object | array
    rule: str  # file:line
    status: Status
    source: str | None = None  # the field name, ff[N], the template text, the constant
    freefield: str | None = None  # the freefield's name, for kind freefield
    when: Test | None = None
    reads: tuple[Read, ...] = ()
    result: Any = None  # what the source gave: the field's value, the template's text, the expression's value
    lookup: Lookup | None = None
    fallback: Any = None  # the fallback, when it replaced an empty value
    conversion: str | None = None
    value: Any = None
    failed_at: str | None = None  # source | lookup | convert: the step that raised
    errors: tuple[FieldError, ...] = ()
    warnings: tuple[FieldError, ...] = ()  # on_invalid: warn left the invalid value out
    steps: tuple[CodeStep, ...] = ()  # inside a template or expression: each chain's steps, each {% set %}
    untraced: str | None = None  # why a template's steps could not be shown

    def as_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "kind": self.kind,
            "rule": self.rule,
            "status": self.status,
            "source": self.source,
            "freefield": self.freefield,
            "when": self.when.as_dict() if self.when else None,
            "reads": [r.as_dict() for r in self.reads],
            "steps": [s.as_dict() for s in self.steps],
            "untraced": self.untraced,
            "result": plain(self.result),
            "lookup": self.lookup.as_dict() if self.lookup else None,
            "fallback": self.fallback,
            "conversion": self.conversion,
            "value": self.value,
            "failed_at": self.failed_at,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


@dataclass(frozen=True)
class Explanation:
    mapping: str
    debtor_number: str | None
    origin: str
    status: str  # ok | skipped | error, as render says
    reason: str | None = None
    route: str | None = None
    endpoint: str | None = None
    decisions: tuple[Decision, ...] = ()
    steps: tuple[Step, ...] = ()
    payload: dict[str, Any] | None = None
    errors: tuple[FieldError, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[FieldError, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "mapping": self.mapping,
            "debtor_number": self.debtor_number,
            "origin": self.origin,
            "status": self.status,
            "reason": self.reason,
            "route": self.route,
            "endpoint": self.endpoint,
            "decisions": [d.as_dict() for d in self.decisions],
            "parameters": [s.as_dict() for s in self.steps],
            "payload": self.payload,
            "errors": [e.as_dict() for e in self.errors],
            "notes": list(self.notes),
            "warnings": [w.as_dict() for w in self.warnings],
        }


def plain(value: Any) -> Any:
    """A value as JSON can hold it (an expression may give a date)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
