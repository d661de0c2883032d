"""Test results as text (a located block per failing case, a count per file, a total) or one JSON document."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from relmap.mapping_tests.model import CaseResult, CaseStatus, Difference, Failure, FileResult

FORMAT_VERSION = 1
STATUSES: tuple[CaseStatus, ...] = ("passed", "failed", "not run")


def as_text(results: Sequence[FileResult]) -> str:
    lines: list[str] = []
    for result in results:
        lines += [d.text() for d in result.diagnostics]
        for case in result.cases:
            if case.status == "failed":
                lines += failure_block(case)
        lines.append(f"{result.file}: {counts_text(result.cases) if result.cases else 'no cases run'}")
    every = [case for result in results for case in result.cases]
    lines.append(f"Total: {counts_text(every)}")
    return "\n".join(lines) + "\n"


def failure_block(case: CaseResult) -> list[str]:
    """``file:line: FAIL name`` at the first failing expectation, then what each failing one found."""
    head = case.failures[0].location
    lines = [f"{head.file}:{head.line}: FAIL {case.name}"]
    for failure in case.failures:
        line = f"line {failure.location.line}" if failure.location.line != head.line else ""
        if failure.expectation:
            lines.append(f"  {failure.expectation}{f' ({line})' if line else ''}: {failure.message}")
        else:
            lines.append(f"  {f'{line}: ' if line else ''}{failure.message}")
        lines += [f"    {detail}" for detail in failure.details]
    return lines


def counts_text(cases: Sequence[CaseResult]) -> str:
    passed, failed, not_run = (sum(c.status == s for c in cases) for s in STATUSES)
    return f"{passed} passed, {failed} failed" + (f", {not_run} not run" if not_run else "")


def as_json(results: Sequence[FileResult]) -> str:
    every = [case for result in results for case in result.cases]
    document = {
        "format_version": FORMAT_VERSION,
        "summary": {"files": len(results), **_counts(every)},
        "files": [_file(result) for result in results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def _counts(cases: Sequence[CaseResult]) -> dict[str, int]:
    return {status.replace(" ", "_"): sum(c.status == status for c in cases) for status in STATUSES}


def _file(result: FileResult) -> dict[str, Any]:
    return {
        "file": result.file,
        "mapping": result.mapping,
        "summary": _counts(result.cases),
        "diagnostics": [d.as_dict() for d in result.diagnostics],
        "cases": [_case(case) for case in result.cases],
    }


def _case(case: CaseResult) -> dict[str, Any]:
    return {
        "name": case.name,
        "file": case.location.file,
        "line": case.location.line,
        "status": case.status.replace(" ", "_"),
        "reason": case.reason,
        "failures": [_failure(f) for f in case.failures],
        "result": case.rendered.as_dict() if case.rendered else None,
    }


def _failure(failure: Failure) -> dict[str, Any]:
    return {
        "expectation": failure.expectation,
        "line": failure.location.line,
        "column": failure.location.column,
        "message": failure.message,
        "details": list(failure.details),
        "differences": [_difference(d) for d in failure.differences],
    }


def _difference(found: Difference) -> dict[str, Any]:
    return {"path": found.path, "kind": found.kind, "expected": found.expected, "actual": found.actual}
