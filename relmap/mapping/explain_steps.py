"""The steps inside one template or expression, for ``relmap explain``: the value after each filter of a chain and
each ``{% set %}``, so that a value that came out empty can be traced to the step that emptied it.

The steps come from relmap.mapping.templates.trace (the template evaluated with probes, each value noted as short JSON
text); here they are put in the template's order, and the step that emptied a value or raised the error is marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relmap.mapping.render_trace import ValueStep
from relmap.mapping.templates.trace import Kind, Noted, Probe


@dataclass(frozen=True)
class CodeStep:
    """One step inside a template: a chain's first value, one of its filters, or a ``{% set %}``."""

    kind: Kind
    text: str  # `contact or name`, `| last_name`, `greeting`
    line: int  # the template's own line
    times: int  # how many times it ran (0: not reached)
    values: tuple[str, ...]  # the first values it gave, as JSON text
    emptied: bool = False  # a filter that gave an empty value for a value that was not empty
    failed: bool = False  # the step that raised the rule's error

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "line": self.line,
            "times": self.times,
            "values": list(self.values),
            "emptied": self.emptied,
            "failed": self.failed,
        }


def code_steps(step: ValueStep, failed: bool) -> tuple[CodeStep, ...]:
    """The steps of a traced rule, chain by chain in the template's order; ``failed``: the rule's source raised."""
    if step.code is None or step.notes is None:
        return ()
    notes, probes = step.notes, step.code.probes
    order = sorted(range(len(probes)), key=lambda key: (probes[key].chain, key))
    steps = [_step(key, probes, notes.times, notes.values) for key in order]
    if failed:
        steps = _mark_failure(order, probes, steps, notes.times)
    return tuple(steps)


def _step(key: int, probes: tuple[Probe, ...], times: dict[int, int], values: dict[int, list[Noted]]) -> CodeStep:
    probe = probes[key]
    mine = values.get(key, [])
    emptied = False
    if probe.kind == "filter":  # the n-th value of a filter is made from the n-th value of the step before it
        before = values.get(_previous(key, probes), [])
        emptied = any(after.blank and not was.blank for was, after in zip(before, mine, strict=False))
    shown = tuple(noted.shown for noted in mine)
    return CodeStep(probe.kind, probe.text, probe.line, times.get(key, 0), shown, emptied)


def _previous(key: int, probes: tuple[Probe, ...]) -> int:
    """The step before a filter in its chain: the chain's value, or the filter before it."""
    chain = probes[key].chain
    return max(k for k in range(key) if probes[k].chain == chain)


def _mark_failure(
    order: list[int], probes: tuple[Probe, ...], steps: list[CodeStep], times: dict[int, int]
) -> list[CodeStep]:
    """The filter that raised: the last one that ran fewer times than the step before it."""
    for position in reversed(range(len(order))):
        key = order[position]
        if probes[key].kind == "filter" and times.get(key, 0) < times.get(_previous(key, probes), 0):
            found = steps[position]
            steps[position] = CodeStep(found.kind, found.text, found.line, found.times, found.values, failed=True)
            break
    return steps
