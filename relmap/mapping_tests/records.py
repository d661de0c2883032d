"""A case's relation: read from a sample export (each file once), written inline, or a sample with inline overrides.

Freefields in a case's input may be named as the mapping names them (``freefields: {Contracttype: Storing}``);
they become their numbers before the relation is normalised exactly as an export's would be.
"""

from __future__ import annotations

import os
from typing import Any

from relmap.errors import DiagnosticSink, SourceError
from relmap.mapping.compiled import CompiledMapping
from relmap.mapping.loader import Document
from relmap.mapping.schema import did_you_mean
from relmap.mapping_tests.model import Case, SampleRef
from relmap.sources.records import FREEFIELD_CONTAINERS, FREEFIELD_PREFIX, RecordProblem, SourceRecord, normalize_record

Item = SourceRecord | RecordProblem


class Samples:
    """Sample export files, each read once per run, indexed by debtor_number (the first one wins)."""

    def __init__(self) -> None:
        self._files: dict[str, dict[str, Item] | str] = {}

    def find(self, ref: SampleRef, sink: DiagnosticSink) -> Item | None:
        records = self._read(ref.path)
        if isinstance(records, str):
            if os.path.isfile(ref.path):
                sink.error(ref.location, records, "sample-unreadable")
            else:
                sink.error(ref.location, records, "sample-not-found", "a sample's file is relative to the test file")
            return None
        if ref.debtor_number in records:
            return records[ref.debtor_number]
        numbers = list(records)
        hint = did_you_mean(ref.debtor_number, numbers) or f"it holds {len(numbers)} relations"
        sink.error(
            ref.location,
            f"no relation with debtor_number '{ref.debtor_number}' in {ref.path}",
            "sample-debtor-number",
            hint,
        )
        return None

    def _read(self, path: str) -> dict[str, Item] | str:
        if path not in self._files:
            self._files[path] = _index(path)
        return self._files[path]


def _index(path: str) -> dict[str, Item] | str:
    if not os.path.isfile(path):
        return f"sample file not found: {path}"
    from relmap.sources.files import read_records

    records: dict[str, Item] = {}
    try:
        for item in read_records(path):
            if item.debtor_number is not None:
                records.setdefault(item.debtor_number, item)
    except SourceError as exc:
        return f"sample file cannot be read: {exc}"
    return records


def case_record(
    case: Case, plan: CompiledMapping, samples: Samples, doc: Document, sink: DiagnosticSink
) -> Item | None:
    """The relation ``case`` renders; None (with the reason in ``sink``) when there is none."""
    base = samples.find(case.sample, sink) if case.sample else None
    raw = _named_freefields(case, plan, doc, sink) if case.input is not None else None
    if (case.sample and base is None) or (case.input is not None and raw is None):
        return None
    if raw is None:
        return base
    if base is None:
        origin = doc.loc((*case.path, "input")).short()
        return normalize_record(raw, 0, origin)
    if isinstance(base, RecordProblem):
        return base  # an unreadable sample record stays what it is; overrides cannot repair it
    override = normalize_record({"debtor_number": base.debtor_number, **raw}, base.index, base.origin)
    if isinstance(override, RecordProblem):
        return override
    return SourceRecord(
        base.index, base.origin, {**base.fields, **override.fields}, {**base.freefields, **override.freefields}
    )


def _named_freefields(case: Case, plan: CompiledMapping, doc: Document, sink: DiagnosticSink) -> dict[str, Any] | None:
    """The case's input with freefield names turned into numbers; None when a name is unknown (reported)."""
    assert case.input is not None
    raw = dict(case.input)
    ok = True
    for container in FREEFIELD_CONTAINERS:
        values = raw.get(container)
        if not isinstance(values, dict):
            continue
        numbered: dict[str, Any] = {}
        for key, value in values.items():
            if key.strip().isdigit() or key.lower().startswith(FREEFIELD_PREFIX):
                numbered[key] = value
            elif key in plan.freefields:
                numbered[str(plan.freefields[key])] = value
            else:
                names = list(plan.freefields)
                hint = did_you_mean(key, names) or (
                    "the mapping names " + ", ".join(names) if names else "the mapping names no freefields: use numbers"
                )
                where = doc.loc((*case.path, "input", container, key), key=True)
                sink.error(where, f"unknown freefield '{key}'", "unknown-freefield", hint)
                ok = False
        raw[container] = numbered
    return raw if ok else None
