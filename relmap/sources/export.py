"""Relations saved as JSON lines that ``render``, ``explain`` and ``relmap test`` read back (``relmap export``).

Each line is one relation as OutSmart sends it: its fields, then its freefields as ``val_value_N``. Relations are
written one at a time as they are read, optionally through a Pseudonymiser; a record that cannot be read is counted
and handed to ``on_problem``, never written and never silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from relmap.sources.query import matches
from relmap.sources.records import FREEFIELD_PREFIX, RecordProblem, SourceRecord

if TYPE_CHECKING:
    from relmap.mapping.compiled import CompiledMapping
    from relmap.pseudonym import Pseudonymiser


@dataclass(frozen=True)
class Exported:
    """What an export wrote: relations written, records that could not be read, relations the filters left out."""

    written: int
    problems: int
    filtered: int


def as_outsmart(record: SourceRecord) -> dict[str, Any]:
    """The relation in OutSmart's own shape, as the export readers take it (relmap.sources.records)."""
    line: dict[str, Any] = dict(record.fields)
    for number in sorted(record.freefields):
        line[f"{FREEFIELD_PREFIX}{number}"] = record.freefields[number]
    return line


def passes_filters(plan: CompiledMapping, record: SourceRecord) -> bool:
    """Whether the mapping's source filters keep ``record``, as OutSmart decides (for a mapping over a file)."""
    return all(matches(record.fields.get(rule.field), rule.operator, rule.value) for rule in plan.source.filters)


def write_relations(
    records: Iterable[SourceRecord | RecordProblem],
    sink: TextIO,
    *,
    keep: Callable[[SourceRecord], bool] = lambda record: True,
    pseudonymiser: Pseudonymiser | None = None,
    on_problem: Callable[[RecordProblem], None] = lambda problem: None,
) -> Exported:
    """Write every record ``keep`` accepts to ``sink``, one JSON line each, as it comes."""
    written = problems = filtered = 0
    for record in records:
        if isinstance(record, RecordProblem):
            problems += 1
            on_problem(record)
            continue
        if not keep(record):
            filtered += 1
            continue
        if pseudonymiser is not None:
            record = pseudonymiser.relation(record)
        sink.write(json.dumps(as_outsmart(record), ensure_ascii=False) + "\n")
        written += 1
    return Exported(written, problems, filtered)
