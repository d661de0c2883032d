"""Run test files offline: compile each mapping once, render each case's relation, compare it with the case.

One broken test file, case or mapping never stops the others: its problems are located diagnostics, and the cases
it keeps from running are counted as not run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace

from relmap.errors import DiagnosticSink
from relmap.mapping.compiled import CompiledMapping
from relmap.mapping.compiler import CompileResult, compile_file
from relmap.mapping.loader import Document
from relmap.mapping.render import render_all
from relmap.mapping.schema import did_you_mean
from relmap.mapping_tests.compare import compare
from relmap.mapping_tests.discover import discover
from relmap.mapping_tests.model import Case, CaseResult, FileResult
from relmap.mapping_tests.records import Samples, case_record
from relmap.mapping_tests.spec import NOT_RUN_CASE, read_test_file

NOT_RUN_MAPPING = "the mapping has errors"
NO_MAPPING = "there is no mapping to test"


class Runner:
    """Runs test files; mappings and sample files are read once however many test files use them."""

    def __init__(self) -> None:
        self.samples = Samples()
        self.compiled: dict[str, CompileResult] = {}

    def run(self, paths: Sequence[str]) -> list[FileResult]:
        return [item if isinstance(item, FileResult) else self.run_file(item) for item in discover(paths)]

    def run_file(self, path: str) -> FileResult:
        sink = DiagnosticSink()
        spec = read_test_file(path, sink)
        if spec is None:
            return FileResult(path, diagnostics=sink.sorted())
        result = FileResult(path, spec.mapping)
        compiled = self._compile(spec.mapping) if spec.mapping else None
        plan = compiled.plan if compiled else None
        for entry in spec.entries:
            if isinstance(entry, CaseResult):
                result.cases.append(entry)
            elif plan is None:
                reason = NOT_RUN_MAPPING if compiled else NO_MAPPING
                result.cases.append(CaseResult(entry.name, entry.location, "not run", reason=reason))
            else:
                result.cases.append(self._run_case(entry, plan, spec.doc, sink))
        result.diagnostics = sink.sorted()
        if compiled is not None and plan is None:
            result.diagnostics += compiled.diagnostics
        return result

    def _compile(self, mapping: str) -> CompileResult:
        key = os.path.realpath(mapping)
        if key not in self.compiled:
            self.compiled[key] = compile_file(mapping, display=mapping)
        return self.compiled[key]

    def _run_case(self, case: Case, plan: CompiledMapping, doc: Document, sink: DiagnosticSink) -> CaseResult:
        errors_before = _errors(sink)
        record = case_record(case, plan, self.samples, doc, sink)
        case_plan = _with_vars(case, plan, doc, sink)
        _check_route(case, plan, doc, sink)
        if not case.runnable or record is None or case_plan is None or _errors(sink) > errors_before:
            return CaseResult(case.name, case.location, "not run", reason=NOT_RUN_CASE)
        rendered = next(render_all(case_plan, [record]))
        failures = compare(case, rendered)
        return CaseResult(case.name, case.location, "failed" if failures else "passed", tuple(failures), rendered)


def _errors(sink: DiagnosticSink) -> int:
    return sum(d.severity == "error" for d in sink.items)


def _check_route(case: Case, plan: CompiledMapping, doc: Document, sink: DiagnosticSink) -> None:
    """An expected route the mapping does not have can never pass: a mistake in the test, said at once."""
    expected = case.expects("route")
    names = [route.name for route in plan.routes]
    if expected is not None and expected.value not in names:
        hint = did_you_mean(str(expected.value), names) or "its routes: " + ", ".join(names)
        where = doc.loc((*case.path, "expect", "route"))
        sink.error(where, f"the mapping has no route '{expected.value}'", "unknown-route", hint)


def _with_vars(case: Case, plan: CompiledMapping, doc: Document, sink: DiagnosticSink) -> CompiledMapping | None:
    """The plan with the case's ``vars:`` in place of the mapping's; None when it names one the mapping lacks."""
    if not case.vars:
        return plan
    unknown = [name for name in case.vars if name not in plan.variables]
    for name in unknown:
        hint = did_you_mean(name, plan.variables) or (
            "the mapping's vars: " + ", ".join(plan.variables) if plan.variables else "the mapping has no vars:"
        )
        where = doc.loc((*case.path, "vars", name), key=True)
        sink.error(where, f"unknown variable '{name}': the mapping does not declare vars.{name}", "unknown-var", hint)
    if unknown:
        return None
    return replace(plan, variables={**plan.variables, **case.vars})
