"""How a mapping turns one relation into its payload: every decision and every parameter, step by step.

The relation is rendered by ``TracingRenderer``, the Renderer with notes, so the explanation is what ``render`` and
``run`` do, never a second opinion: its status, route, payload and errors are the Renderer's own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any, Literal

from relmap.catalog import Param
from relmap.mapping.compiled import ArrayRule, CompiledMapping, Condition, Group, Member, Route, Rule, Skip
from relmap.mapping.explain_steps import code_steps
from relmap.mapping.explanation import Decision, Explanation, Lookup, Read, Status, Step, Test, plain
from relmap.mapping.reads import Reads, condition_reads, freefield_number, rule_reads
from relmap.mapping.render import FieldError, Rendered
from relmap.mapping.render_trace import RenderTrace, TracingRenderer, ValueStep
from relmap.sources.records import RecordProblem, SourceRecord


def explain(plan: CompiledMapping, record: SourceRecord | RecordProblem, notes: Iterable[str] = ()) -> Explanation:
    """Render ``record`` with notes and explain it; a record that cannot be read at all is explained as such."""
    if isinstance(record, RecordProblem):
        error = FieldError("record", record.message, None)
        return Explanation(plan.path, record.debtor_number, record.origin, "error", errors=(error,), notes=tuple(notes))
    renderer = TracingRenderer(plan, code=True)
    rendered = renderer.render(record)
    return _Explainer(plan, renderer.trace, rendered).explanation(tuple(notes))


class _Explainer:
    def __init__(self, plan: CompiledMapping, trace: RenderTrace, rendered: Rendered) -> None:
        self.plan = plan
        self.trace = trace
        self.rendered = rendered
        self.names = {number: name for name, number in reversed(plan.freefields.items())}

    def explanation(self, notes: tuple[str, ...]) -> Explanation:
        r = self.rendered
        route = self.trace.route if r.route is not None else None
        return Explanation(
            self.plan.path,
            r.debtor_number,
            r.origin,
            r.status,
            r.reason,
            r.route,
            r.endpoint,
            tuple(self._decisions()),
            tuple(self._steps(route.fields)) if route is not None else (),
            r.payload,
            r.errors,
            notes,
            r.warnings,
        )

    # ---- choosing the route -----------------------------------------------------------------------------------

    def _decisions(self) -> Iterator[Decision]:
        for rule, passed in self.trace.filters:
            text = f"{rule.key} {rule.operator} {rule.value!r}"
            value = self.trace.context.get("record", {}).get(rule.field)
            yield Decision("filter", Test(text, rule.location.short(), passed, None, (Read(rule.field, value),)))
        yield from self._skips("skip", self.plan.skips, None)
        for route in self.plan.routes:
            chosen = route is self.trace.route
            if route.when is None:  # takes every relation that gets this far
                test: Test | None = Test("", route.location.short(), True, None, ()) if chosen else None
            else:
                test = self._test(route.when)
            if test is not None:
                yield Decision("route", test, route.name, chosen=chosen)
        if self.trace.route is not None:
            yield from self._skips("route skip", self.trace.route.skips, self.trace.route)

    def _skips(
        self, kind: Literal["skip", "route skip"], skips: Iterable[Skip], route: Route | None
    ) -> Iterator[Decision]:
        for skip in skips:
            test = self._test(skip.condition)
            if test is not None:
                yield Decision(kind, test, route.name if route else None, skip.reason)

    def _test(self, condition: Condition) -> Test | None:
        """The evaluated ``when``; None when it was not evaluated."""
        step = self.trace.condition(condition)
        if step is None:
            return None
        reads = self._reads(condition_reads(condition, self.plan.freefields))
        error = step.error.message if step.error else None
        return Test(condition.text, condition.location.short(), step.result, error, reads)

    # ---- the parameters ---------------------------------------------------------------------------------------

    def _steps(self, members: Iterable[Member], prefix: str = "", path: tuple[str | int, ...] = ()) -> Iterator[Step]:
        for member in members:
            label = prefix + member.name
            where = (*path, member.name)
            if isinstance(member, Rule):
                yield self._rule(member, label, where, None)
            elif isinstance(member, Group):
                yield from self._group(member, label, where, "object")
            else:
                yield from self._array(member, label, where)

    def _array(self, array: ArrayRule, label: str, path: tuple[str | int, ...]) -> Iterator[Step]:
        sent = [self.trace.groups.get(f"{label}[{i}]", False) for i in range(len(array.items))]
        errors = self._errors(label)
        status: Status = "error" if errors else "set" if any(sent) else "left out"
        count = sum(sent)
        source = f"{count} of {len(array.items)} item{'s' * (len(array.items) != 1)} sent"
        yield Step(label, path, "array", array.location.short(), status, source, errors=errors)
        for index, item in enumerate(array.items):
            yield from self._group(item, f"{label}[{index}]", (*path, index), "item")

    def _group(self, group: Group, label: str, path: tuple[str | int, ...], kind: str) -> Iterator[Step]:
        when = self._test(group.when) if group.when is not None else None
        evaluated = when is None or when.result is True
        sent = self.trace.groups.get(label, False)
        errors = self._errors(label)
        status: Status
        if when is not None and when.error is not None:
            status = "error"
        elif when is not None and when.result is False:
            status = "when false"
        elif not sent:
            status = "left out"  # nothing of the record's own data came out: only constants would be sent
        else:
            status = "error" if errors else "set"
        yield Step(label, path, kind, group.location.short(), status, when=when, errors=errors)
        for rule in group.members:
            parent: Status | None = (
                None if evaluated and sent else "not evaluated" if not evaluated else "item left out"
            )
            yield self._rule(rule, f"{label}.{rule.name}", (*path, rule.name), parent)

    def _rule(self, rule: Rule, label: str, path: tuple[str | int, ...], parent: Status | None) -> Step:
        when = self._test(rule.when) if rule.when is not None else None
        freefield = self.names.get(freefield_number(rule)) if rule.kind == "freefield" else None
        base = Step(label, path, rule.kind, rule.location.short(), "not evaluated", rule.source, freefield, when)
        step = self.trace.values.get(label)
        errors = self._errors(label)
        warnings = tuple(w for w in self.rendered.warnings if w.parameter == label)
        if parent == "not evaluated":
            return base
        if when is not None and when.result is not True:  # false, or it raised: the rule's source was not read
            return replace(base, status="error" if errors else "when false", errors=errors)
        if step is None:
            return replace(base, status="error" if errors else "not evaluated", errors=errors)
        status: Status = "error" if errors else "warning" if warnings else "set" if step.value is not None else "empty"
        if parent == "item left out" and not errors and not warnings:
            status = "item left out"
        done = step.stage == "done"
        return replace(
            base,
            status=status,
            reads=self._reads(rule_reads(rule, self.plan.freefields)),
            steps=code_steps(step, failed=step.stage == "source" and bool(errors or warnings)),
            untraced=step.untraced,
            result=step.raw,
            lookup=_lookup(step),
            fallback=step.looked_up if step.fallback else None,
            conversion=conversion(step, self.plan.target.date_format) if done else None,
            value=step.value,
            failed_at=None if done else step.stage,
            errors=errors,
            warnings=warnings,
        )

    # ---- helpers ----------------------------------------------------------------------------------------------

    def _errors(self, label: str) -> tuple[FieldError, ...]:
        return tuple(e for e in self.rendered.errors if e.parameter in (label, f"{label} when"))

    def _reads(self, reads: Reads) -> tuple[Read, ...]:
        context = self.trace.context
        found = [Read(name, context.get(name)) for name in reads.fields]
        freefields = context.get("ff", {})
        for number in reads.freefields:
            label = self.names.get(number) if isinstance(number, int) else None
            found.append(Read(f"ff[{number}]", freefields.get(number), label))
        found += [Read(f"vars.{name}", context.get("vars", {}).get(name)) for name in reads.variables]
        found += [Read(f"record[{key!r}]", context.get("record", {}).get(key)) for key in reads.record_keys]
        if reads.whole_record:
            found.append(Read("record", "(the whole record)"))
        if reads.whole_freefields:
            found.append(Read("ff", "(every freefield)"))
        return tuple(found)


def _lookup(step: ValueStep) -> Lookup | None:
    if step.rule.lookup is None or step.lookup_key is None:
        return None
    if step.lookup is None:  # the lookup raised: the key is not in the map
        return Lookup(step.lookup_key, "miss", None)
    value = step.rule.lookup.get(step.lookup_key) if step.lookup == "hit" else None
    if step.lookup == "default":
        value = step.rule.default
    return Lookup(step.lookup_key, step.lookup, value)


def conversion(step: ValueStep, date_format: str) -> str:
    """What ``convert`` did to a value, in words: the parameter's declared type decides."""
    before, after, param = step.looked_up, step.value, step.rule.param
    if after is None:
        return "empty: left out"
    kind = param.type
    if kind == "string":
        return _text(before, after, param)
    if kind == "integer":
        return "whole number" + (f" from text {_show(before)}" if isinstance(before, str) else "")
    if kind == "decimal":
        return "number" + (f" from text {_show(before)}" if isinstance(before, str) else "")
    if kind == "boolean":
        return "yes/no" + (f" from {_show(before)}" if not isinstance(before, bool) else "")
    if kind == "date":
        shown = before.isoformat() if isinstance(before, dt.date) else before
        return f"date as {date_format} from {_show(shown)}"
    return kind


def _text(before: Any, after: Any, param: Param) -> str:
    parts = ["text"]
    if isinstance(before, str) and before != after:
        parts.append("trimmed")
    elif not isinstance(before, str):
        parts.append(f"from {type(before).__name__} {_show(plain(before))}")
    if param.enum:
        parts.append("one of " + ", ".join(param.enum))
    if param.country:
        parts.append("an ISO 3166 country code")
    return ", ".join(parts)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
