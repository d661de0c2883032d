"""``relmap render MAPPING``: the exact payload each relation of an export would become, without any network.

A debtor number that occurs twice is treated as ``relmap run`` treats it (sync.reading.deduplicated, then
sync.changes.Planner): an identical copy counts once, so render shows it as skipped, naming the first; a
different relation under a number already rendered or skipped is an error naming where the first one is.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TextIO

from relmap.commands.loading import plan_or_report
from relmap.exits import EXIT_FAILED, EXIT_FATAL, EXIT_OK
from relmap.mapping.compiled import CompiledMapping
from relmap.mapping.render import FieldError, Rendered, render_all
from relmap.report import rendered as report
from relmap.sources.records import RecordProblem, SourceRecord

Item = SourceRecord | RecordProblem


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
    results = _checked(plan, _records(source, args.input_format or (plan.source.format if not args.input else None)))
    if args.limit:
        results = itertools.islice(results, args.limit)
    counts: Counter[str] = Counter()
    _write(args.format, args.mapping, _counted(results, counts), counts, out)
    if args.format == "text":
        err.write(report.summary_line(counts) + "\n")
    return EXIT_FAILED if counts["error"] else EXIT_OK


def _input(args: argparse.Namespace, plan: CompiledMapping) -> str | None:
    if args.input:
        return str(args.input)
    return plan.source.path if plan.source.kind == "file" else None


def _records(path: str, format: str | None) -> Iterator[Item]:
    from relmap.sources.files import read_records

    return read_records(path, format)


def _checked(plan: CompiledMapping, records: Iterable[Item]) -> Iterator[Rendered]:
    """render_all, streaming, with each result checked against the debtor numbers that came before it."""
    held: deque[Item] = deque()  # render_all yields one result per record, in order: the record of each result

    def holding() -> Iterator[Item]:
        for record in records:
            held.append(record)
            yield record

    seen = _Seen()
    for result in render_all(plan, holding()):
        yield seen.check(held.popleft(), result)


class _Seen:
    """The debtor numbers so far: where each was first rendered or skipped, and a digest of every relation read."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}  # debtor_number → origin of the result a run would use
        self.copies: dict[bytes, str] = {}  # digest of (debtor_number, fields, freefields) → origin of the first

    def check(self, record: Item, result: Rendered) -> Rendered:
        if isinstance(record, SourceRecord):
            copy = self.copies.setdefault(_digest(record), record.origin)
            if copy != record.origin:
                reason = f"an identical copy of the relation at {copy}; run counts it once"
                return replace(result, status="skipped", payload=None, errors=(), reason=reason, warnings=())
        if result.status == "error":
            return result  # as in run: a relation with errors is reported as such, and does not take the number
        debtor = result.debtor_number or ""
        first = self.first.setdefault(debtor, result.origin)
        if first == result.origin:
            return result
        message = f"debtor_number {debtor!r} occurs twice: the relation at {first} has it too; run uses that one"
        return replace(result, status="error", payload=None, errors=(FieldError("record", message, None),), warnings=())


def _digest(record: SourceRecord) -> bytes:
    """Run's test for an identical copy (sync.reading.deduplicated), kept as 16 bytes instead of the whole record."""
    text = record.debtor_number + repr(sorted(record.fields.items())) + repr(sorted(record.freefields.items()))
    return hashlib.blake2b(text.encode("utf-8", "backslashreplace"), digest_size=16).digest()


def _counted(results: Iterator[Rendered], counts: Counter[str]) -> Iterator[Rendered]:
    for result in results:
        counts[result.status] += 1
        counts["warnings"] += len(result.warnings)
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
