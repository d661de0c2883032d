"""Pure rendering: (CompiledMapping, source record) → the Silvasoft payload it becomes, or every reason it cannot.

One bad record never stops the others: each problem becomes a FieldError on that record's result. A rule with
``on_invalid: warn`` leaves a value it cannot make out instead: a record warning, and the record goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from relmap.catalog.outsmart import BY_NAME, FREEFIELD_MAX
from relmap.errors import Location, TransformError
from relmap.mapping.compiled import ArrayRule, CompiledMapping, Condition, Getter, Group, Member, Route, Rule
from relmap.mapping.convert import convert, describe, is_empty
from relmap.mapping.filters.values import ArgumentError
from relmap.mapping.templates.env import FrozenDict, freeze
from relmap.mapping.templates.expressions import template_names
from relmap.mapping.templates.limits import TemplateLimit
from relmap.sources.query import matches
from relmap.sources.records import RecordProblem, SourceRecord

if TYPE_CHECKING:
    from relmap.mapping.render_trace import ValueStep

Status = Literal["ok", "skipped", "error"]
# A field the record lacks, or null, is "" in templates: filters never see None (`None | lower` would be "none").
_BLANK_FIELDS: dict[str, Any] = dict.fromkeys(BY_NAME, "")
_BLANK_FREEFIELDS: dict[int | str, Any] = dict.fromkeys(range(1, FREEFIELD_MAX + 1), "")


@dataclass(frozen=True, slots=True)
class FieldError:
    """Why one parameter of one record could not be rendered, and which mapping rule says so."""

    parameter: str
    message: str
    rule: Location | None

    def text(self) -> str:
        where = f" ({self.rule.short()})" if self.rule else ""
        return f"{self.parameter}: {self.message}{where}"

    def as_dict(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "message": self.message, "rule": self.rule.short() if self.rule else None}


@dataclass(frozen=True, slots=True)
class Rendered:
    """The outcome for one source record."""

    index: int
    origin: str
    debtor_number: str | None
    status: Status
    route: str | None = None
    endpoint: str | None = None
    payload: dict[str, Any] | None = None
    errors: tuple[FieldError, ...] = ()
    reason: str | None = None
    warnings: tuple[FieldError, ...] = ()  # parameters left out by on_invalid: warn; the record goes on

    def as_dict(self) -> dict[str, Any]:
        return {
            "debtor_number": self.debtor_number,
            "origin": self.origin,
            "status": self.status,
            "route": self.route,
            "endpoint": self.endpoint,
            "payload": self.payload,
            "errors": [e.as_dict() for e in self.errors],
            "reason": self.reason,
            "warnings": [w.as_dict() for w in self.warnings],
        }


class _Omit:
    """Marks a parameter whose ``when`` is false."""


_OMIT = _Omit()


def render_all(plan: CompiledMapping, records: Iterable[SourceRecord | RecordProblem]) -> Iterator[Rendered]:
    """Render every record in order; unreadable records come out as errors, the rest go on."""
    renderer = Renderer(plan)
    for record in records:
        yield render_record(renderer, record)


def render_record(renderer: Renderer, record: SourceRecord | RecordProblem) -> Rendered:
    """One record with ``renderer``; an unreadable one comes out as an error."""
    if isinstance(record, RecordProblem):
        error = FieldError("record", record.message, None)
        return Rendered(record.index, record.origin, record.debtor_number, "error", errors=(error,))
    return renderer.render(record)


class Renderer:
    """Renders records with one CompiledMapping; keeps the per-plan constants that every record shares."""

    def __init__(self, plan: CompiledMapping) -> None:
        from relmap.mapping.filters import warm

        warm()  # outside every template's time limit
        self.plan = plan
        self.date_format = plan.target.date_format
        self.variables = freeze(plan.variables)  # one object for every record: no template may change it
        self.globals = template_names()
        self.base = {**self.globals, **_BLANK_FIELDS}
        self.warnings: list[FieldError] = []  # the record being rendered's; render() starts each record afresh
        # ff of a record without freefields, when the mapping names none: frozen, so every such record may share it
        self._blank_ff = FrozenDict(_BLANK_FREEFIELDS) if not plan.freefields else None

    def context(self, record: SourceRecord) -> dict[str, Any]:
        """The names a template sees: every OutSmart field (missing or null ones as ""), ff, vars and record.

        Each is a frozen copy: templates are pure functions of the record, and what a later step (the planner,
        write-back to OutSmart) reads of the record is the record as read, whatever a template tried.
        """
        context = self.base.copy()
        fields = freeze(record.fields)
        context.update(fields)
        context.update({name: "" for name, value in fields.items() if value is None})
        shadowing = fields.keys() & self.globals.keys()  # a field OutSmart sent that relmap does not know ("range")
        if shadowing:  # stays record["range"]; the name keeps meaning what every template expects
            context.update({name: self.globals[name] for name in shadowing})
        context["ff"] = self._freefields(record)
        context["vars"] = self.variables
        context["record"] = fields
        return context

    def _freefields(self, record: SourceRecord) -> FrozenDict:
        if not record.freefields and self._blank_ff is not None:
            return self._blank_ff
        freefields = FrozenDict(_BLANK_FREEFIELDS)
        own = freeze(record.freefields)
        dict.update(freefields, own)  # FrozenDict refuses its own update: this is the one fill, before any template
        dict.update(freefields, {number: "" for number, value in own.items() if value is None})
        dict.update(freefields, {name: freefields.get(number) for name, number in self.plan.freefields.items()})
        return freefields

    def render(self, record: SourceRecord) -> Rendered:
        self.warnings = []
        context = self.context(record)
        try:
            reason = self._filtered_out(record) or self._skip_reason(self.plan.skips, context)
            route = None if reason else self._route(context)
            if route is None and not reason:
                reason = "no route matched"
            if route is not None:
                reason = self._skip_reason(route.skips, context)
        except _ConditionError as exc:
            return Rendered(record.index, record.origin, record.debtor_number, "error", errors=(exc.error,))
        if reason or route is None:
            return Rendered(record.index, record.origin, record.debtor_number, "skipped", reason=reason)
        payload, errors = self.payload(route, context)
        warnings = tuple(self.warnings)
        if errors:
            return Rendered(
                record.index, record.origin, record.debtor_number, "error", route.name, route.endpoint,
                errors=tuple(errors), warnings=warnings,
            )  # fmt: skip
        return Rendered(
            record.index, record.origin, record.debtor_number, "ok", route.name, route.endpoint, payload,
            warnings=warnings,
        )  # fmt: skip

    def _filtered_out(self, record: SourceRecord) -> str | None:
        for rule in self.plan.source.filters:
            if not matches(record.fields.get(rule.field), rule.operator, rule.value):
                return f"source filter {rule.key} {rule.operator} {rule.value!r}"
        return None

    def _skip_reason(self, skips: Iterable[Any], context: dict[str, Any]) -> str | None:
        for skip in skips:
            if self._test(skip.condition, context, "skip"):
                return str(skip.reason)
        return None

    def _route(self, context: dict[str, Any]) -> Route | None:
        for route in self.plan.routes:
            if route.when is None or self._test(route.when, context, f"route {route.name}"):
                return route
        return None

    def payload(self, route: Route, context: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
        """The payload for ``route``, and every parameter error (an empty list means it can be sent)."""
        payload: dict[str, Any] = {}
        errors: list[FieldError] = []
        for member in route.fields:
            value = self._member(member, context, errors, member.name)
            if value is not None:
                payload[member.name] = value
        return payload, errors

    def _member(self, member: Member, context: dict[str, Any], errors: list[FieldError], label: str) -> Any:
        if isinstance(member, Rule):
            return self._rule(member, context, errors, label)
        if isinstance(member, Group):
            return self._group(member, context, errors, label)
        return self._array(member, context, errors)

    def _array(self, member: ArrayRule, context: dict[str, Any], errors: list[FieldError]) -> list[Any] | None:
        items = []
        for index, group in enumerate(member.items):
            item = self._group(group, context, errors, f"{member.name}[{index}]")
            if item is not None:
                items.append(item)
        if not items and member.param.required:
            errors.append(
                FieldError(member.name, "required by Silvasoft, but every item came out empty", member.location)
            )
        return items or None

    def _group(self, group: Group, context: dict[str, Any], errors: list[FieldError], label: str) -> Any:
        try:
            if group.when is not None and not self._test(group.when, context, label):
                return None
        except _ConditionError as exc:
            errors.append(exc.error)
            return None
        found: list[FieldError] = []
        body: dict[str, Any] = {}
        own_data = False  # a value of the record's own, not only constants
        for rule in group.members:
            value = self._rule(rule, context, found, f"{label}.{rule.name}", check_required=False)
            if value is not None:
                body[rule.name] = value
                own_data = own_data or rule.kind != "value"
        if not own_data and not found:
            return None  # nothing of the record's own data: leave the item out instead of sending only constants
        for rule in group.members:
            if rule.name not in body and (rule.required or rule.param.required) and not _failed(found, label, rule):
                found.append(FieldError(f"{label}.{rule.name}", "required, but empty", rule.location))
        errors.extend(found)
        return body

    def _rule(
        self, rule: Rule, context: dict[str, Any], errors: list[FieldError], label: str, check_required: bool = True
    ) -> Any:
        try:
            if rule.when is not None and not self._test(rule.when, context, label):
                return None
            value = self._value(rule, context)
        except _ConditionError as exc:
            errors.append(exc.error)
            return None
        except TransformError as exc:  # a filter, the map or the parameter's type refused the value
            invalid = FieldError(label, str(exc), rule.location)
            # A bound, or an argument the filter refuses whatever the value, is the mapping's mistake, never data.
            warn = rule.on_invalid == "warn" and not isinstance(exc, TemplateLimit | ArgumentError)
            (self.warnings if warn else errors).append(invalid)
            return None
        except Exception as exc:  # a user template may raise anything; it is this record's error, not a crash
            errors.append(FieldError(label, _template_error(exc), rule.location))
            return None
        if value is None and check_required and (rule.required or rule.param.required):
            errors.append(FieldError(label, "required, but empty", rule.location))
        return value

    def _value(self, rule: Rule, context: dict[str, Any]) -> Any:
        """A rule's value: read, look up, fall back, convert (the stages _evaluate notes for explain's trace)."""
        if rule.converted is not None:  # a constant, converted when the mapping was compiled
            return rule.converted[0]
        raw = rule.get(context)
        if rule.lookup is not None:
            raw = _look_up(rule, lookup_key(raw), raw)[0]
        if rule.fallback is not None and is_empty(raw):
            raw = rule.fallback
        return convert(raw, rule.param, self.date_format)

    def _test(self, condition: Condition, context: dict[str, Any], label: str) -> bool:
        try:
            return bool(self._condition(condition)(context))
        except Exception as exc:  # same reason as in _rule: user code, this record's problem
            raise _ConditionError(FieldError(f"{label} when", _template_error(exc), condition.location)) from exc

    def _condition(self, condition: Condition) -> Getter:
        """How ``condition`` is evaluated: its compiled test (the direct path where it has one)."""
        return condition.test


def _evaluate(rule: Rule, context: dict[str, Any], date_format: str, step: ValueStep, get: Getter | None = None) -> Any:
    """A rule's value as Renderer._value makes it (read with ``get``, else the rule's own getter; look up, fall back,
    convert), with ``step`` (explain's trace) noting each stage."""
    raw = (get or rule.get)(context)
    step.raw, step.stage = raw, "lookup"
    if rule.lookup is not None:
        key = lookup_key(raw)
        step.lookup_key = key  # before the lookup: a miss raises, and explain shows the key it missed
        raw, step.lookup = _look_up(rule, key, raw)
    if is_empty(raw) and rule.fallback is not None:
        raw = rule.fallback
        step.fallback = True
    step.looked_up, step.stage = raw, "convert"
    step.value = convert(raw, rule.param, date_format)
    step.stage = "done"
    return step.value


def lookup_key(raw: Any) -> str:
    """The text a ``map:`` table is looked up by."""
    return "" if raw is None else str(raw).strip()


def _look_up(rule: Rule, key: str, raw: Any) -> tuple[Any, str]:
    """The looked-up value and how it was found: hit, empty (passed through), kept (keep_unmapped) or default."""
    assert rule.lookup is not None
    if key in rule.lookup:
        return rule.lookup[key], "hit"
    if not key:
        return raw, "empty"
    if rule.keep_unmapped:
        return raw, "kept"
    if rule.has_default:
        return rule.default, "default"
    known = ", ".join(repr(k) for k in list(rule.lookup)[:8])
    raise TransformError(f"{describe(key)} is not in the map (known: {known}); add it, or give a default:")


class _ConditionError(Exception):
    def __init__(self, error: FieldError) -> None:
        self.error = error


def _template_error(exc: Exception) -> str:
    if isinstance(exc, TransformError):
        return str(exc)
    name = type(exc).__name__
    text = str(exc) or name
    if name == "UndefinedError":
        return f"template uses something this record does not have: {text}"
    if name == "SecurityError":
        return f"template tried something the sandbox forbids: {text}"
    return f"template failed: {text}"


def _failed(found: list[FieldError], label: str, rule: Rule) -> bool:
    return any(e.parameter == f"{label}.{rule.name}" for e in found)
