"""What a mapping reads of a relation: the OutSmart fields and freefields of each template, expression, rule and
condition, for coverage and ``relmap explain``.

What a template reads comes from its Jinja AST: every OutSmart field it names; ``ff[3]``, ``ff["Klant sinds"]``
and ``ff.IBAN``; ``vars.X``; ``record["x"]`` / ``record.x``. A template that uses ``record`` any other way (``record
| tojson``, ``record[key]``, ``record.get(...)``) may read any field, so it counts as reading the whole record, and
no field is reported unread; ``ff`` used any other way counts as reading every freefield.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import meta, nodes

from relmap.catalog.outsmart import BY_NAME
from relmap.mapping.compiled import CompiledMapping, Condition, Group, Member, Rule
from relmap.mapping.templates.expressions import environment, subscripts

_DICT_METHODS = frozenset({"get", "items", "keys", "values"})


# ---- what one template, expression or rule reads ------------------------------------------------------------


@dataclass(frozen=True)
class Reads:
    """What a piece of a mapping reads from a record. Fields are in the order the template first names them."""

    fields: tuple[str, ...] = ()  # OutSmart relation fields, by name or as record["name"]
    freefields: tuple[int | str, ...] = ()  # numbers; a name the mapping does not declare stays a name
    variables: tuple[str, ...] = ()  # vars.X
    record_keys: tuple[str, ...] = ()  # record["x"] for an x that is not a known OutSmart field
    whole_record: bool = False
    whole_freefields: bool = False


def code_reads(text: str, *, expression: bool, freefields: Mapping[str, int]) -> Reads:
    """What a template (or, with ``expression``, a bare expression) reads; ``freefields`` maps names to numbers."""
    tree = _parse(text, expression)
    if tree is None:
        return Reads()
    undeclared = meta.find_undeclared_variables(tree)
    names = [n.name for n in tree.find_all(nodes.Name) if n.ctx == "load" and n.name in undeclared]
    fields = [name for name in dict.fromkeys(names) if name in BY_NAME]
    record_keys: list[str] = []
    whole_record = _whole(tree, "record", names)
    for _, key in subscripts(tree, "record"):
        if key in _DICT_METHODS or not isinstance(key, str):
            whole_record = True
        elif key in BY_NAME:
            fields.append(key)
        else:
            record_keys.append(key)
    numbers: list[int | str] = []
    whole_freefields = _whole(tree, "ff", names)
    for _, key in subscripts(tree, "ff"):
        if isinstance(key, int) and not isinstance(key, bool):
            numbers.append(key)
        elif isinstance(key, str) and key in freefields:
            numbers.append(freefields[key])
        elif key in _DICT_METHODS or not isinstance(key, str):
            whole_freefields = True
        else:
            numbers.append(key)
    variables = [str(key) for _, key in subscripts(tree, "vars")]
    return Reads(
        tuple(dict.fromkeys(fields)),
        tuple(dict.fromkeys(numbers)),
        tuple(dict.fromkeys(variables)),
        tuple(dict.fromkeys(record_keys)),
        whole_record,
        whole_freefields,
    )


def rule_reads(rule: Rule, freefields: Mapping[str, int]) -> Reads:
    """What a rule's source reads (its ``when`` aside)."""
    if rule.kind == "field":
        return Reads(fields=(rule.source,))
    if rule.kind == "freefield":
        return Reads(freefields=(freefield_number(rule),))
    if rule.kind in ("template", "expr"):
        return code_reads(rule.source, expression=rule.kind == "expr", freefields=freefields)
    return Reads()


def condition_reads(condition: Condition, freefields: Mapping[str, int]) -> Reads:
    return code_reads(condition.text, expression=True, freefields=freefields)


def freefield_number(rule: Rule) -> int:
    """The number a ``freefield:`` rule reads (its source is ``ff[N]``)."""
    return int(rule.source.removeprefix("ff[").removesuffix("]"))


@lru_cache(maxsize=512)
def _parse(text: str, expression: bool) -> nodes.Template | None:
    try:
        return environment().parse("{{ (" + text + ") }}" if expression else text)
    except Exception:  # a compiled plan's code always parses; anything else reads nothing
        return None


def _whole(tree: nodes.Template, base: str, names: list[str]) -> bool:
    """True when ``base`` is used other than with a constant key (``base.x`` or ``base[...]``)."""
    uses = names.count(base)
    return uses > sum(1 for _ in subscripts(tree, base))


# ---- walking a plan ---------------------------------------------------------------------------------------------


def walk(members: Iterable[Member], prefix: str = "") -> Iterator[tuple[str, Member]]:
    """Every member with the label the renderer gives it (``Relation_Contact[0].Email``), parents first."""
    for member in members:
        if isinstance(member, Rule):
            yield prefix + member.name, member
        elif isinstance(member, Group):
            label = prefix + member.name
            yield label, member
            yield from walk(member.members, label + ".")
        else:
            yield prefix + member.name, member
            for index, item in enumerate(member.items):
                label = f"{prefix}{member.name}[{index}]"
                yield label, item
                yield from walk(item.members, label + ".")


def plan_reads(plan: CompiledMapping) -> Iterator[Reads]:
    names = plan.freefields
    yield Reads(fields=tuple(f.field for f in plan.source.filters))
    conditions: list[Condition] = [s.condition for s in plan.skips]
    for route in plan.routes:
        conditions += [route.when] if route.when else []
        conditions += [s.condition for s in route.skips]
        for _, member in walk(route.fields):
            if isinstance(member, Rule):
                yield rule_reads(member, names)
            if isinstance(member, Rule | Group) and member.when is not None:
                conditions.append(member.when)
    for condition in conditions:
        yield condition_reads(condition, names)
