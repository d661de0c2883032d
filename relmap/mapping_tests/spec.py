"""A test file → its mapping and its cases: loaded safely, checked against the test schema, every mistake located.

A mistake in one case keeps only that case from running; a mistake in the file as a whole (YAML, the top level,
``mapping:``) keeps every case from running.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from relmap.catalog.outsmart import BY_NAME
from relmap.errors import DiagnosticSink, Location
from relmap.mapping.loader import Document, PathKey, load_file
from relmap.mapping.schema import did_you_mean, packaged_schema, validate_schema
from relmap.mapping_tests.discover import default_mapping
from relmap.mapping_tests.model import EXPECTATIONS, Case, CaseResult, Expectation, SampleRef
from relmap.sources.records import FREEFIELD_CONTAINERS, FREEFIELD_PREFIX

SCHEMA = "mapping-tests.schema.json"
NOT_RUN_CASE = "the case has errors"
# Expectations that a skipped relation, or one with record errors, can never meet.
_SKIP_CONFLICTS = ("route", "endpoint", "payload", "payload_includes", "error", "warnings")
_ERROR_CONFLICTS = ("payload", "payload_includes")


@dataclass
class Suite:
    """A readable test file: the mapping to compile (a path to read; None: none usable) and its cases."""

    path: str
    doc: Document
    mapping: str | None
    entries: list[Case | CaseResult] = field(default_factory=list)


def read_test_file(path: str, sink: DiagnosticSink) -> Suite | None:
    """The test file at ``path``; None when its cases cannot be told apart (the reasons are in ``sink``)."""
    doc = load_file(path, sink, path)
    if doc is None or doc.data is None:
        return None
    flagged = validate_schema(doc, sink, packaged_schema(SCHEMA))
    data = doc.data
    if isinstance(data, list):
        cases_path: PathKey = ()
        cases: Any = data
    elif isinstance(data, dict) and isinstance(data.get("cases"), list):
        cases_path, cases = ("cases",), data["cases"]
    else:
        return None  # the schema has said what the top level should be
    mapping = None if _flagged(flagged, ("mapping",)) else _mapping(doc, sink)
    reader = _CaseReader(doc, sink, flagged)
    entries = [reader.read((*cases_path, index), item) for index, item in enumerate(cases)]
    return Suite(path, doc, mapping, entries)


def _flagged(flagged: set[PathKey], path: PathKey) -> bool:
    return any(bad[: len(path)] == path for bad in flagged)


def _mapping(doc: Document, sink: DiagnosticSink) -> str | None:
    given = doc.data.get("mapping") if isinstance(doc.data, dict) else None
    if given is None:
        mapping = default_mapping(doc.path)
        if not os.path.isfile(mapping):
            sink.error(
                Location(doc.path),
                f"no mapping to test: {mapping} does not exist",
                "file-not-found",
                "name the test file after its mapping (NAME.tests.yaml beside NAME.yaml), or set mapping: at the top",
            )
            return None
        return mapping
    mapping = os.path.normpath(os.path.join(os.path.dirname(doc.path), os.path.expanduser(given)))
    if not os.path.isfile(mapping):
        hint = "mapping: is relative to the test file"
        sink.error(doc.loc(("mapping",)), f"mapping not found: {mapping}", "file-not-found", hint)
        return None
    return mapping


class _CaseReader:
    def __init__(self, doc: Document, sink: DiagnosticSink, flagged: set[PathKey]) -> None:
        self.doc = doc
        self.sink = sink
        self.flagged = flagged
        self.names: dict[str, int] = {}

    def read(self, path: PathKey, item: Any) -> Case | CaseResult:
        """The case at ``path``, checked as far as it can be; ``runnable`` False when it has an error."""
        location = self.doc.loc(path)
        name = item.get("name") if isinstance(item, dict) else None
        label = name if isinstance(name, str) and name else f"case {path[-1]}"
        if not isinstance(item, dict):
            return CaseResult(label, location, "not run", reason=NOT_RUN_CASE)
        errors_before = self._errors()
        if isinstance(name, str) and name:
            self._unique(path, name)
        expect = self._part(path, item, "expect", dict) or {}
        expectations = tuple(
            Expectation(key, value, self.doc.loc((*path, "expect", key), key=True))
            for key, value in expect.items()
            if key in EXPECTATIONS and not _flagged(self.flagged, (*path, "expect", key))
        )
        self._conflicts(path, {e.key for e in expectations})
        sample = self._sample(path, self._part(path, item, "sample", str))
        if "input" not in item and "sample" not in item:
            self.sink.error(
                location,
                f"case '{label}' has no relation to render",
                "needs-input",
                "give input: (the relation's fields) or sample: FILE#DEBTOR_NUMBER",
            )
        raw_input = self._part(path, item, "input", dict)
        if raw_input is not None:
            self._field_names((*path, "input"), raw_input)
        variables = self._part(path, item, "vars", dict) or {}
        runnable = not _flagged(self.flagged, path) and self._errors() == errors_before
        return Case(label, path, location, raw_input, sample, dict(variables), expectations, runnable)

    def _part(self, path: PathKey, item: dict[str, Any], key: str, kind: type) -> Any:
        """``item[key]`` when it has the right type and the schema found nothing wrong in it, else None."""
        value = item.get(key)
        return value if isinstance(value, kind) and not _flagged(self.flagged, (*path, key)) else None

    def _errors(self) -> int:
        return sum(d.severity == "error" for d in self.sink.items)

    def _unique(self, path: PathKey, name: str) -> None:
        where = self.doc.loc((*path, "name"))
        if name in self.names:
            first = self.names[name]
            self.sink.error(
                where, f"two cases are named '{name}' (first at line {first})", "duplicate-case", "rename one"
            )
        else:
            self.names[name] = where.line

    def _conflicts(self, path: PathKey, keys: set[str]) -> None:
        if "skipped" in keys and (others := [k for k in _SKIP_CONFLICTS if k in keys]):
            self.sink.error(
                self.doc.loc((*path, "expect", "skipped"), key=True),
                f"a skipped relation has no {' or '.join(others)}: expect either skipped or the others",
                "conflicting-expectations",
            )
        elif "error" in keys and (others := [k for k in _ERROR_CONFLICTS if k in keys]):
            self.sink.error(
                self.doc.loc((*path, "expect", "error"), key=True),
                f"a relation with record errors has no payload: expect either error or {' and '.join(others)}",
                "conflicting-expectations",
            )

    def _sample(self, path: PathKey, raw: Any) -> SampleRef | None:
        if not isinstance(raw, str):
            return None
        where = (*path, "sample")
        file, mark, number = raw.partition("#")
        if not file.strip() or not mark or not number.strip():
            self.sink.error(
                self.doc.loc(where),
                f"sample must be FILE#DEBTOR_NUMBER, not {raw!r}",
                "sample-ref",
                "e.g. samples/relations.json#10001 (the file relative to the test file)",
            )
            return None
        resolved = os.path.normpath(os.path.join(os.path.dirname(self.doc.path), os.path.expanduser(file.strip())))
        return SampleRef(resolved, number.strip(), self.doc.loc(where))

    def _field_names(self, path: PathKey, raw: dict[str, Any]) -> None:
        for key in raw:
            if key in BY_NAME or key in FREEFIELD_CONTAINERS or key.lower().startswith(FREEFIELD_PREFIX):
                continue
            hint = did_you_mean(key, BY_NAME) or 'a field relmap does not know: templates read it as record["…"]'
            where = self.doc.loc((*path, key), key=True)
            self.sink.warning(where, f"'{key}' is not an OutSmart relation field", "unknown-field", hint)
