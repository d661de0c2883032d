"""Tracing: what ``relmap explain`` and coverage see of a render, step by step.

TracingRenderer is a Renderer that notes each step; the plain Renderer (relmap.mapping.render) records nothing and pays
nothing for it. With ``code=True`` (explain) it also notes the steps inside templates and expressions: the value
after each filter of a chain and each ``{% set %}`` (relmap.mapping.templates.trace).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Literal

from relmap.mapping.compiled import CompiledMapping, Condition, Getter, Group, Route, Rule, SourceFilter
from relmap.mapping.render import FieldError, Rendered, Renderer, _ConditionError, _evaluate
from relmap.mapping.templates.expressions import through_jinja
from relmap.mapping.templates.trace import Notes, TracedCode, traced
from relmap.sources.query import matches
from relmap.sources.records import SourceRecord


@dataclass
class ConditionStep:
    """One ``when`` (of a skip, route, item or parameter) evaluated: its result, or the error it raised."""

    condition: Condition
    label: str
    result: bool | None = None
    error: FieldError | None = None


@dataclass
class ValueStep:
    """One parameter's value, step by step; ``stage`` is the step it reached (where it failed, if it did)."""

    rule: Rule
    label: str
    stage: Literal["source", "lookup", "convert", "done"] = "source"
    raw: Any = None  # what the rule's source gave: the field's value, the template's text, the expression's value
    lookup_key: str | None = None
    lookup: str | None = None  # hit | empty | kept | default; a miss raises at stage "lookup"
    looked_up: Any = None  # the value after the lookup table and the fallback: what convert() was given
    fallback: bool = False  # the fallback replaced an empty value
    value: Any = None  # what convert() returned
    code: TracedCode | None = None  # with code tracing: the template's steps (code.probes) ...
    notes: Notes | None = None  # ... and what each noted
    untraced: str | None = None  # why a template's steps could not be traced


@dataclass
class RenderTrace:
    """Everything one ``TracingRenderer.render`` call did, in the order it did it."""

    context: dict[str, Any] = field(default_factory=dict)
    filters: list[tuple[SourceFilter, bool]] = field(default_factory=list)
    conditions: list[ConditionStep] = field(default_factory=list)
    route: Route | None = None  # the route whose when matched (before its own skips)
    values: dict[str, ValueStep] = field(default_factory=dict)  # by parameter label: Relation_Contact[0].Email
    groups: dict[str, bool] = field(default_factory=dict)  # item/object label → sent (False: left out)

    def condition(self, condition: Condition) -> ConditionStep | None:
        return next((step for step in self.conditions if step.condition is condition), None)


class TracingRenderer(Renderer):
    """A Renderer that also notes each step in ``trace`` (reset by every ``render``).

    It overrides hooks of Renderer and calls them, so its results are the plain Renderer's; only ``_value`` repeats
    the steps it notes. Subclassing keeps the plain Renderer free of any tracing cost. Templates and conditions run
    through Jinja's own code here, never the direct path (templates.direct): tests compare the two renders.
    """

    def __init__(self, plan: CompiledMapping, code: bool = False) -> None:
        super().__init__(plan)
        self.trace = RenderTrace()
        self.code = code
        self._label = ""

    def render(self, record: SourceRecord) -> Rendered:
        self.trace = RenderTrace()
        return super().render(record)

    def context(self, record: SourceRecord) -> dict[str, Any]:
        self.trace.context = super().context(record)
        return self.trace.context

    def _filtered_out(self, record: SourceRecord) -> str | None:
        for rule in self.plan.source.filters:
            passed = matches(record.fields.get(rule.field), rule.operator, rule.value)
            self.trace.filters.append((rule, passed))
            if not passed:
                break
        return super()._filtered_out(record)

    def _route(self, context: dict[str, Any]) -> Route | None:
        self.trace.route = super()._route(context)
        return self.trace.route

    def _test(self, condition: Condition, context: dict[str, Any], label: str) -> bool:
        step = ConditionStep(condition, label)
        self.trace.conditions.append(step)
        try:
            step.result = super()._test(condition, context, label)
        except _ConditionError as exc:
            step.error = exc.error
            raise
        return step.result

    def _group(self, group: Group, context: dict[str, Any], errors: list[FieldError], label: str) -> Any:
        body = super()._group(group, context, errors, label)
        self.trace.groups[label] = body is not None
        return body

    def _rule(
        self, rule: Rule, context: dict[str, Any], errors: list[FieldError], label: str, check_required: bool = True
    ) -> Any:
        self._label = label
        return super()._rule(rule, context, errors, label, check_required)

    def _condition(self, condition: Condition) -> Getter:
        return through_jinja(condition.test)  # Jinja's own code: the direct path is checked against it

    def _value(self, rule: Rule, context: dict[str, Any]) -> Any:
        step = self.trace.values[self._label] = ValueStep(rule, self._label)
        get = through_jinja(rule.get) if rule.kind in ("template", "expr") else None
        if self.code and rule.kind in ("template", "expr"):
            code = traced(rule.source, rule.kind == "expr")
            if isinstance(code, str):
                step.untraced = code
            else:
                step.code, step.notes = code, Notes()
                get = functools.partial(code.run, notes=step.notes)
        return _evaluate(rule, context, self.date_format, step, get)
