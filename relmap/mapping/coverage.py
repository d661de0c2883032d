"""Coverage of a mapping: what it never reads and never sets, and (given records) what the data never exercised.

Static, from the compiled mapping alone: the OutSmart fields and freefields that no rule, template, ``when``, skip or
source filter reads, and per endpoint the Silvasoft parameters that no rule sets. With records, rendered through the
same ``TracingRenderer`` as ``relmap explain``: the ``map:`` keys no record hit, the routes no record was routed to, the
freefields the data holds that nothing reads, and per rule how many records it gave a record warning.

What each template, expression and rule reads is found by relmap.mapping.reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from relmap.catalog import Param
from relmap.catalog.outsmart import BY_NAME
from relmap.catalog.silvasoft import ENDPOINTS, FIELD_TYPES
from relmap.mapping.compiled import ArrayRule, CompiledMapping, Group, Rule
from relmap.mapping.reads import plan_reads, walk

if TYPE_CHECKING:
    from relmap.mapping.render import Rendered
    from relmap.mapping.render_trace import RenderTrace
    from relmap.sources.records import SourceRecord

_CUSTOM_FIELD_VALUES = frozenset(FIELD_TYPES.values())  # chosen by FieldType through `value:`; alternatives


# ---- coverage ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnreadFreefield:
    number: int
    name: str | None  # its name under freefields:, if the mapping declares one


@dataclass(frozen=True)
class UnseenLookup:
    parameter: str  # Relation_Contact[0].Sex
    rule: str  # file:line
    values: tuple[str, ...]  # map keys no record hit, in the map's order


@dataclass(frozen=True)
class RuleWarnings:
    parameter: str  # Relation_Contact[0].Phone
    rule: str  # file:line
    records: int  # how many records the rule left the parameter out of (on_invalid: warn)


@dataclass(frozen=True)
class Coverage:
    fields_unread: tuple[str, ...]
    freefields_unread: tuple[UnreadFreefield, ...]
    parameters_unset: dict[str, tuple[str, ...]] = field(hash=False)  # endpoint → parameters, sorted
    lookup_values_unseen: tuple[UnseenLookup, ...] = ()
    routes_unmatched: tuple[str, ...] = ()
    records: int | None = None  # how many records the data part used; None: static only
    warnings_per_rule: tuple[RuleWarnings, ...] = ()  # measured on data only

    def as_dict(self) -> dict[str, Any]:
        return {
            "fields_unread": list(self.fields_unread),
            "freefields_unread": [{"number": f.number, "name": f.name} for f in self.freefields_unread],
            "parameters_unset": {endpoint: list(names) for endpoint, names in self.parameters_unset.items()},
            "lookup_values_unseen": [
                {"parameter": u.parameter, "rule": u.rule, "values": list(u.values)} for u in self.lookup_values_unseen
            ],
            "routes_unmatched": list(self.routes_unmatched),
            "records": self.records,
            "warnings_per_rule": [
                {"parameter": w.parameter, "rule": w.rule, "records": w.records} for w in self.warnings_per_rule
            ],
        }

    def lines(self) -> list[str]:
        """The coverage as short lines of text, for people."""
        lines = [
            _listed("never read", "OutSmart field", self.fields_unread, "every OutSmart field is read"),
            _listed(
                "never read",
                "freefield",
                [f"ff[{f.number}]" + (f" {f.name}" if f.name else "") for f in self.freefields_unread],
                "every freefield is read"
                if self.records is not None
                else "every freefield the mapping names is read (the data's other freefields: --input FILE)",
            ),
        ]
        for endpoint, names in self.parameters_unset.items():
            lines.append(_listed(f"never set in {endpoint}", "parameter", names, f"every {endpoint} parameter is set"))
        if self.records is None:
            lines.append("lookup values and routes: measured only on data (validate --verbose --input FILE)")
            return lines
        for unseen in self.lookup_values_unseen:
            values = ", ".join(repr(v) for v in unseen.values)
            lines.append(f"map values never seen: {unseen.parameter} ({unseen.rule}): {values}")
        if not self.lookup_values_unseen:
            lines.append("map values never seen: none")
        lines.append(_listed("routes never matched", "route", self.routes_unmatched, "every route matched a record"))
        for warned in self.warnings_per_rule:
            many = "s" * (warned.records != 1)
            lines.append(f"record warnings: {warned.parameter} ({warned.rule}): {warned.records} record{many}")
        if not self.warnings_per_rule:
            lines.append("record warnings: none")
        lines.append(f"measured on {self.records} record{'s' * (self.records != 1)}")
        return lines


def _listed(what: str, noun: str, items: Iterable[str], none: str) -> str:
    names = list(items)
    if not names:
        return none
    return f"{what}: {len(names)} {noun}{'s' * (len(names) != 1)}: {', '.join(names)}"


def measure(
    plan: CompiledMapping, records: Iterable[SourceRecord] | None = None, exercised: Exercised | None = None
) -> Coverage:
    """The plan's coverage; with ``records``, also what rendering them exercised (lookup keys, routes, freefields);
    or with ``exercised``, what a run's own rendering of its records exercised (noted as it rendered them)."""
    fields: set[str] = set()
    numbers: set[int | str] = set()
    whole_record = whole_freefields = False
    for reads in plan_reads(plan):
        fields.update(reads.fields)
        numbers.update(reads.freefields)
        whole_record |= reads.whole_record
        whole_freefields |= reads.whole_freefields
    data = exercised if exercised is not None else (Exercised.of(plan, records) if records is not None else None)
    candidates: set[int] = set(plan.freefields.values()) | (data.freefields if data else set())
    names: dict[int, str] = {}
    for name, number in plan.freefields.items():
        names.setdefault(number, name)
    return Coverage(
        fields_unread=() if whole_record else tuple(sorted(set(BY_NAME) - fields)),
        freefields_unread=()
        if whole_freefields
        else tuple(UnreadFreefield(n, names.get(n)) for n in sorted(candidates - numbers)),
        parameters_unset=_unset(plan),
        lookup_values_unseen=data.unseen(plan) if data else (),
        routes_unmatched=tuple(r.name for r in plan.routes if r.name not in data.routes) if data else (),
        records=data.count if data else None,
        warnings_per_rule=tuple(RuleWarnings(p, r, n) for (p, r), n in data.warnings.items()) if data else (),
    )


def _unset(plan: CompiledMapping) -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = {}
    for route in plan.routes:
        names = found.setdefault(route.endpoint, set())
        for label, member in walk(route.fields):
            names.add(_unindexed(label))
            if isinstance(member, ArrayRule | Group):
                names.add(member.param.name)
    unset: dict[str, tuple[str, ...]] = {}
    for endpoint in sorted(found):
        unset[endpoint] = tuple(sorted(_catalog_names(ENDPOINTS[endpoint], found[endpoint])))
    return unset


def _catalog_names(params: Iterable[Param], set_names: set[str]) -> Iterator[str]:
    """Catalog parameters not in ``set_names``; the children of a parameter only when the parameter is set."""
    for param in params:
        if param.name not in set_names:
            yield param.name
            continue
        for child in param.children:
            if param.name == "Relation_CustomField" and child.name in _CUSTOM_FIELD_VALUES:
                continue
            if f"{param.name}.{child.name}" not in set_names:
                yield f"{param.name}.{child.name}"


def _unindexed(label: str) -> str:
    """Relation_Contact[0].Email → Relation_Contact.Email"""
    head, _, tail = label.partition("[")
    return head + (tail[tail.index("]") + 1 :] if tail else "")


@dataclass
class Exercised:
    """What rendering the records exercised, noted one record at a time as they are rendered (by ``TracingRenderer``):
    a run that renders its records once notes them in that pass, and nothing of the records is kept."""

    count: int = 0
    routes: set[str] = field(default_factory=set)
    hits: dict[int, set[str]] = field(default_factory=dict)  # id(rule) → map keys that hit
    freefields: set[int] = field(default_factory=set)  # numbers holding a value in some record
    warnings: dict[tuple[str, str], int] = field(default_factory=dict)  # (parameter, rule) → records, in order seen

    @classmethod
    def of(cls, plan: CompiledMapping, records: Iterable[SourceRecord]) -> Exercised:
        from relmap.mapping.render_trace import TracingRenderer

        data = cls()
        renderer = TracingRenderer(plan)
        for record in records:
            data.note(record, renderer.render(record), renderer.trace)
        return data

    def note(self, record: SourceRecord, rendered: Rendered, trace: RenderTrace) -> None:
        """One record, as ``trace`` (the renderer's, right after it rendered ``record`` into ``rendered``) saw it."""
        self.count += 1
        self.freefields.update(n for n, v in record.freefields.items() if v is not None and v.strip())
        for warning in rendered.warnings:
            key = (warning.parameter, warning.rule.short() if warning.rule else "")
            self.warnings[key] = self.warnings.get(key, 0) + 1
        if trace.route is not None:
            self.routes.add(trace.route.name)
        for step in trace.values.values():
            if step.lookup == "hit" and step.lookup_key is not None:
                self.hits.setdefault(id(step.rule), set()).add(step.lookup_key)

    def unseen(self, plan: CompiledMapping) -> tuple[UnseenLookup, ...]:
        found = []
        for route in plan.routes:
            for label, member in walk(route.fields):
                if isinstance(member, Rule) and member.lookup:
                    hits = self.hits.get(id(member), set())
                    values = tuple(str(key) for key in member.lookup if key not in hits)
                    if values:
                        found.append(UnseenLookup(label, member.location.short(), values))
        return tuple(found)
