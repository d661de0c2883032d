"""``relmap render MAPPING``: the exact payload each relation of an export would become, without any network."""

from __future__ import annotations

import argparse
import itertools
from collections import Counter
from collections.abc import Iterator
from typing import TextIO

from relmap.cli import EXIT_FAILED, EXIT_FATAL, EXIT_OK
from relmap.commands.loading import plan_or_report
from relmap.plan import Plan
from relmap.render import Rendered, render_all
from relmap.report import rendered as report
from relmap.sources.records import RecordProblem, SourceRecord


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    plan = plan_or_report(args.mapping, err, "nothing was rendered")
    if plan is None:
        return EXIT_FATAL
    source = _input(args, plan)
    if source is None:
        err.write(
            "relmap: error: this mapping reads from the OutSmart API; give an export to render with --input FILE\n"
        )
        return EXIT_FATAL
    results = render_all(plan, _records(source, args.input_format or (plan.source.format if not args.input else None)))
    if args.limit:
        results = itertools.islice(results, args.limit)
    counts: Counter[str] = Counter()
    _write(args.format, args.mapping, _counted(results, counts), counts, out)
    if args.format == "text":
        err.write(report.summary_line(counts) + "\n")
    return EXIT_FAILED if counts["error"] else EXIT_OK


def _input(args: argparse.Namespace, plan: Plan) -> str | None:
    if args.input:
        return str(args.input)
    return plan.source.path if plan.source.kind == "file" else None


def _records(path: str, format: str | None) -> Iterator[SourceRecord | RecordProblem]:
    from relmap.sources.files import read_records

    return read_records(path, format)


def _counted(results: Iterator[Rendered], counts: Counter[str]) -> Iterator[Rendered]:
    for result in results:
        counts[result.status] += 1
        yield result


def _write(fmt: str, mapping: str, results: Iterator[Rendered], counts: Counter[str], out: TextIO) -> None:
    if fmt == "json":
        collected = list(results)
        out.write(report.as_json(mapping, collected, counts))
    elif fmt == "jsonl":
        for line in report.as_jsonl(results):
            out.write(line)
    else:
        for result in results:
            out.write(report.text_block(result))
