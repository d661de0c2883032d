"""Three-way comparison of one relation, parameter by parameter: OutSmart now, the last synced value, Silvasoft now.

A value edited in Silvasoft since relmap last sent it is *drift*. The mapping says per parameter whether OutSmart
wins (``overwrite``, the default) or Silvasoft's value is kept (``keep``). Without a last synced value (a relation
linked by CustomerNumber or e-mail), a differing non-empty Silvasoft value counts as set in Silvasoft, so it is drift
too. When Silvasoft was not read this run, only OutSmart now and the last synced value are compared.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

from relmap.mapping.compiled import ArrayRule, Group, Route, Rule

Kind = Literal["add", "update", "same", "overwrite", "keep", "unset"]
_MISSING: Any = object()
_PATH = re.compile(r"^(?P<key>[^.\[]+)\[(?P<index>\d+)\]\.(?P<child>.+)$")


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One parameter of one relation: what Silvasoft holds, what it will hold, and why."""

    parameter: str  # flattened: Relation_Contact[0].Email
    before: Any
    after: Any
    synced: Any
    silvasoft: Any
    change: Kind
    drift: bool = False

    @property
    def sends(self) -> bool:
        return self.change in ("add", "update", "overwrite")

    def as_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "before": self.before,
            "after": self.after,
            "synced": self.synced,
            "silvasoft": self.silvasoft,
            "change": self.change,
            "drift": self.drift,
        }


@dataclass(frozen=True)
class Comparison:
    fields: tuple[FieldDiff, ...]
    send: dict[str, Any] | None  # the update parameters to send (kept ones left out), or None: nothing to send

    @property
    def drift(self) -> bool:
        return any(f.drift for f in self.fields)


class Diffs(Sequence[FieldDiff]):
    """A relation's field diffs, worked out again each time they are read instead of kept: a plan holds a change per
    relation, and some twenty diffs each (2 KB) would be most of what a plan of 100,000 relations holds."""

    __slots__ = ("_args", "_work")

    def __init__(self, work: Callable[..., tuple[FieldDiff, ...]], *args: Any) -> None:
        self._work, self._args = work, args  # the diffs are work(*args)

    def _diffs(self) -> tuple[FieldDiff, ...]:
        return self._work(*self._args)

    def __iter__(self) -> Iterator[FieldDiff]:
        return iter(self._diffs())

    def __len__(self) -> int:
        return len(self._diffs())

    @overload
    def __getitem__(self, index: int) -> FieldDiff: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[FieldDiff, ...]: ...
    def __getitem__(self, index: int | slice) -> FieldDiff | tuple[FieldDiff, ...]:
        return self._diffs()[index]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __repr__(self) -> str:
        return f"Diffs{tuple(self)!r}"


def flatten(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"Relation_Contact": [{"Email": x}]}`` → ``{"Relation_Contact[0].Email": x}``. The names are interned: every
    relation of a plan has the same few dozen, and a plan of many relations holds each once, not once per relation."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = sys.intern(f"{prefix}.{key}" if prefix else str(key))
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    flat.update(flatten(item, f"{name}[{index}]"))
                else:
                    flat[sys.intern(f"{name}[{index}]")] = item
        else:
            flat[name] = value
    return flat


def created(payload: dict[str, Any]) -> tuple[FieldDiff, ...]:
    """Every parameter of a create, as added."""
    return tuple(FieldDiff(p, None, v, None, None, "add") for p, v in flatten(payload).items())


def same(ours: Any, theirs: Any) -> bool:
    """Equal as Silvasoft stores them: blanks and null alike, surrounding spaces and number/text form ignored."""
    return _norm(ours) == _norm(theirs)


def _norm(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def compare(
    ours: dict[str, Any], synced: dict[str, Any] | None, theirs: dict[str, Any] | None, keep: frozenset[str]
) -> Comparison:
    """Compare update parameters (see changes.update_params) three ways; ``keep`` holds the kept parameter paths."""
    mine, base = flatten(ours), flatten(synced) if synced is not None else {}
    now = flatten(theirs) if theirs is not None else {}
    diffs: list[FieldDiff] = []
    for path in _ordered(mine, base):
        diffs.append(_one(path, mine.get(path, _MISSING), base.get(path, _MISSING), now, theirs is not None, keep))
    kept = {d.parameter: d.after for d in diffs if d.change == "keep"}
    send = _keeping(ours, kept) if any(d.sends for d in diffs) else None
    return Comparison(tuple(diffs), send)


def _one(path: str, o: Any, s: Any, now: dict[str, Any], listed: bool, keep: frozenset[str]) -> FieldDiff:
    t = now.get(path, _MISSING) if listed else _MISSING
    synced = None if s is _MISSING else s
    silvasoft = None if t is _MISSING else t
    if t is not _MISSING:
        drift = not same(t, s) if s is not _MISSING else (not same(t, "") and (o is _MISSING or not same(t, o)))
    else:
        drift = False
    current = t if t is not _MISSING else s  # what Silvasoft holds, as far as relmap knows
    if o is _MISSING:  # the mapping no longer sets it: updaterelation/ cannot clear a value
        before = None if current is _MISSING else current
        return FieldDiff(path, before, before, synced, silvasoft, "unset", drift)
    if t is not _MISSING and same(o, t):  # Silvasoft already holds OutSmart's value, whoever put it there
        return FieldDiff(path, t, o, synced, silvasoft, "same", False)
    if drift and path in keep:
        return FieldDiff(path, t, t, synced, silvasoft, "keep", True)
    if current is _MISSING:
        return FieldDiff(path, None, o, synced, silvasoft, "add", drift)
    if same(o, current):
        return FieldDiff(path, current, o, synced, silvasoft, "same", False)
    return FieldDiff(path, current, o, synced, silvasoft, "overwrite" if drift else "update", drift)


def _ordered(mine: dict[str, Any], base: dict[str, Any]) -> Iterable[str]:
    yield from mine
    yield from (path for path in base if path not in mine)


def _keeping(params: dict[str, Any], kept: dict[str, Any]) -> dict[str, Any]:
    """The parameters with each kept path set to Silvasoft's own value.

    Sending the kept value (rather than leaving it out) matters for the main contact: updaterelation/ replaces the
    contact as a whole, so a field left out of it would be cleared."""
    out = copy.deepcopy(params)
    for path, value in kept.items():
        match = _PATH.match(path)
        if match is None:
            out[path] = value
            continue
        items = out.get(match["key"])
        index = int(match["index"])
        if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
            items[index][match["child"]] = value
    return out


def kept_parameters(route: Route, default: str) -> frozenset[str]:
    """The parameter paths of ``route`` whose Silvasoft value is kept when it drifted (``drift: keep``)."""
    paths: set[str] = set()

    def visit(rule: Rule, path: str) -> None:
        if (rule.drift or default) == "keep":
            paths.add(path)

    for member in route.fields:
        if isinstance(member, Rule):
            visit(member, member.name)
        elif isinstance(member, Group):
            for rule in member.members:
                visit(rule, f"{member.name}.{rule.name}")
        elif isinstance(member, ArrayRule):
            for index, group in enumerate(member.items):
                for rule in group.members:
                    visit(rule, f"{member.name}[{index}].{rule.name}")
    return frozenset(paths)
