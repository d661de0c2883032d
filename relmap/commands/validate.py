"""``relmap validate PATH...``: every problem in every file, at once; ``--verbose`` adds each mapping's coverage.

A PATH is a mapping, a test file (checked against the test schema) or a folder, whose mappings and test files are
all checked (relmap.mapping.files). Exit codes: 0 no errors, 1 errors, 2 a usage error or a PATH that cannot be read.

Coverage (relmap.mapping.coverage) is imported only with ``--verbose``: plain validation stays light and fast.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from relmap.commands.loading import compile_contained
from relmap.errors import Diagnostic
from relmap.exits import EXIT_FAILED, EXIT_FATAL, EXIT_OK
from relmap.mapping.compiled import CompiledMapping
from relmap.mapping.files import Target, check_test_file, targets, unreadable
from relmap.report import diagnostics as report
from relmap.report.terminal import text_block

if TYPE_CHECKING:
    from relmap.mapping.coverage import Coverage
    from relmap.sources.records import SourceRecord


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    verbose = getattr(args, "verbose", False)
    if getattr(args, "input", None) and not verbose:
        err.write("relmap validate: error: --input measures coverage on data, which only --verbose shows\n")
        return EXIT_FATAL
    results: dict[str, list[Diagnostic]] = {}
    plans: dict[str, CompiledMapping | None] = {}
    fatal = False
    for target in targets(args.mappings):
        found, plan = _check(target)
        fatal = fatal or target.kind == "missing" or unreadable(target.name)
        if args.no_warnings:
            found = [d for d in found if d.severity == "error"]
        results[target.name] = found
        if target.kind == "mapping":
            plans[target.name] = plan
    if not verbose:
        out.write(report.as_json(results) if args.format == "json" else text_block(report.as_text(results)))
    else:
        coverages = _coverages(plans, _records(args, err) if args.input else None, results)
        if args.format == "json":
            out.write(_verbose_json(results, coverages))
        else:
            out.write(text_block(_verbose_text(results, coverages)))  # coverage quotes the data's lookup values
    if fatal:  # a PATH that is not there, or a file that cannot be read, as `relmap test` has it
        return EXIT_FATAL
    failed = any(d.severity == "error" for found in results.values() for d in found)
    return EXIT_FAILED if failed else EXIT_OK


def _check(target: Target) -> tuple[list[Diagnostic], CompiledMapping | None]:
    """The diagnostics of one file to check, and the compiled mapping when it is one without errors."""
    if target.problem is not None:
        return [target.problem], None
    if target.kind == "tests":
        return check_test_file(target.name), None
    compiled = compile_contained(target.name)  # a failure checking one file is reported for that file alone
    return compiled.diagnostics, compiled.plan


def _records(args: argparse.Namespace, err: TextIO) -> list[SourceRecord]:
    """The usable records of --input, read once for every mapping; unreadable ones are counted on ``err``."""
    from relmap.sources.files import read_records
    from relmap.sources.records import SourceRecord

    records, problems = [], 0
    for item in read_records(args.input, args.input_format):
        if isinstance(item, SourceRecord):
            records.append(item)
        else:
            problems += 1
    if problems:
        err.write(
            f"relmap: warning: {problems} record{'s' * (problems != 1)} of {args.input} cannot be read; "
            "coverage leaves them out (relmap render shows why)\n"
        )
    return records


def _coverages(
    plans: dict[str, CompiledMapping | None], records: list[SourceRecord] | None, results: dict[str, list[Diagnostic]]
) -> dict[str, Coverage | None]:
    """Each mapping's coverage; one that cannot be measured is a warning on that mapping, and the others go on."""
    import os

    from relmap.errors import Location
    from relmap.mapping.coverage import measure

    coverages: dict[str, Coverage | None] = {}
    for name, plan in plans.items():
        try:
            coverages[name] = measure(plan, records) if plan is not None else None
        except Exception as exc:
            if os.environ.get("RELMAP_DEBUG"):
                raise
            coverages[name] = None
            message = f"coverage could not be measured ({type(exc).__name__}: {str(exc)[:200]})"
            results[name].append(Diagnostic(Location(name, 1, 1), "warning", message, "check-failed", _BUG))
    return coverages


_BUG = "this is a bug in relmap, please report it; RELMAP_DEBUG=1 shows the traceback"


def _verbose_text(results: dict[str, list[Diagnostic]], coverages: dict[str, Coverage | None]) -> str:
    lines: list[str] = []
    for name, diagnostics in results.items():
        lines.append(report.as_text({name: diagnostics}).rstrip("\n"))
        if name not in coverages:
            continue  # a test file, or a PATH with nothing to check: no coverage to measure
        coverage = coverages[name]
        if coverage is None:
            errors = any(d.severity == "error" for d in diagnostics)
            why = "the mapping has errors" if errors else "see the warning above"
            lines.append(f"  coverage: not measured, {why}")
            continue
        lines.append("  coverage:")
        lines += [f"    {line}" for line in coverage.lines()]
    return "\n".join(lines) + "\n"


def _verbose_json(results: dict[str, list[Diagnostic]], coverages: dict[str, Coverage | None]) -> str:
    extra: dict[str, dict[str, Any] | None] = {
        name: coverage.as_dict() if coverage is not None else None for name, coverage in coverages.items()
    }
    return report.as_json(results, coverage=extra)
