"""``relmap run MAPPING --dry-run``: read both sides, plan, and report what a run would change; write nothing.

Exit codes: 0 no relation has an error (with --detailed-exitcode: and nothing would change); 1 some relations have
errors; 2 a fatal error (or, with --detailed-exitcode, changes are pending and none has an error).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TextIO

from relmap.errors import RelmapError
from relmap.exits import EXIT_CHANGES, EXIT_FAILED, EXIT_OK
from relmap.mapping.compiled import CompiledMapping

if TYPE_CHECKING:
    from relmap.state.lock import StateLock
    from relmap.sync.results import Preview
    from relmap.targets.budget import Pace

_CHUNK = 1 << 16
_MARK = "\x00relations\x00"  # stands in the document's frame for the relations written in between


def dry_run(
    args: argparse.Namespace,
    plan: CompiledMapping,
    environ: dict[str, str],
    pace: Pace | None,
    lock: StateLock,
    out: TextIO,
    err: TextIO,
) -> int:
    from relmap.commands.run import connected
    from relmap.report.plan import Context, document
    from relmap.report.plan_compact import compact

    with connected(args, plan, environ, pace, lock, err) as wired:
        settings = wired.settings
        try:
            # the plan reads a relation's record only to mask it: without --mask-pii the records are not kept
            preview = wired.sync.preview(full=args.full, list_silvasoft=bool(args.out), keep_records=args.mask_pii)
        except RelmapError as exc:
            raise RelmapError(settings.redact(str(exc))) from None
        finally:
            wired.progress.close()
        if wired.budget.spent and not wired.budget.ledger.shared:
            err.write(f"relmap: warning: {_unrecorded(wired.budget.ledger.problem, wired.budget.spent)}\n")
    context = Context(
        mapping_path=args.mapping,
        mapping_digest=wired.digest,
        account=settings.target,
        coverage=_coverage(plan, preview),
        mask_pii=args.mask_pii,
        created_at=time.time(),
        warnings=tuple(wired.sync.read_notes),
    )
    # The whole plan for the reports, which fold unchanged relations themselves; the JSON forms leave them out
    # unless --show-unchanged (the HTML report holds them all, hidden until asked for). Its relations are made one
    # at a time as each output is written, never held all at once.
    doc = document(preview, context, settings.redact, whole=False)
    listed = doc if args.show_unchanged else compact(doc)
    if args.out:  # a saved plan is never masked: without --mask-pii it is the document shown
        saved = (
            document(preview, replace(context, mask_pii=False), settings.redact, whole=False) if args.mask_pii else doc
        )
        saved = saved if args.show_unchanged else compact(saved)
        _write(args.out, "the plan", lambda stream: write_json(saved, stream))
    if args.report:
        _write(args.report, "the report", lambda stream: _lines(listed["relations"], stream))
    _show(listed if args.format == "json" else doc, args.format, args.show_unchanged, out)
    summary = doc["summary"]
    if summary["error"]:
        return EXIT_FAILED
    if args.detailed_exitcode and summary["create"] + summary["update"] + summary["link"]:
        return EXIT_CHANGES
    return EXIT_OK


def _unrecorded(problem: str, requests: int) -> str:
    """A dry run that could not count its reads in the account's ledger says so: a later run may find less left."""
    counted = f"{requests} Silvasoft request{'s are' if requests != 1 else ' is'} not counted"
    return f"{problem}: this dry run's {counted}, so a run within the hour may find fewer requests left than it expects"


def _coverage(plan: CompiledMapping, preview: Preview) -> dict[str, Any] | None:
    """The mapping's coverage; on a full read, with what the preview's own rendering exercised (no second pass)."""
    from relmap.mapping.coverage import measure

    return measure(plan, exercised=preview.exercised).as_dict()


def write_json(doc: dict[str, Any], out: TextIO) -> None:
    """The document as indented JSON and a newline, as ``json.dumps(doc, indent=2)`` would write it except that an
    unchanged relation's compact entry (no ``fields``) is one line, in pieces of about 64 KB: the head, then the
    relations as they are made (``doc["relations"]`` may be a report.plan.Relations), then the rest. The plan of
    100,000 relations is some 400 MB of text with every field, and one line per relation in step without."""
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2)
    one_line = json.JSONEncoder(ensure_ascii=False)
    # Every quote inside a JSON string is escaped, so this key and value are found only where the frame has them.
    mark = f'"relations": {encoder.encode(_MARK)}'
    head, tail = encoder.encode({**doc, "relations": _MARK}).split(mark, 1)
    pieces = _Pieces(out)
    pieces.add(head + '"relations": ')
    opening = "[\n    "
    for entry in doc["relations"]:
        if "fields" not in entry:  # the compact entry of a relation in step: one line, a reviewer skips it
            pieces.add(opening + one_line.encode(entry))
        else:  # one level deeper: no string holds a newline
            pieces.add(opening + encoder.encode(entry).replace("\n", "\n    "))
        opening = ",\n    "
    pieces.add("[]" if opening == "[\n    " else "\n  ]")
    pieces.add(tail + "\n")
    pieces.flush()


class _Pieces:
    """Text gathered into writes of about 64 KB (one write per piece would be millions of calls)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.pieces: list[str] = []
        self.size = 0

    def add(self, piece: str) -> None:
        self.pieces.append(piece)
        self.size += len(piece)
        if self.size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        self.out.write("".join(self.pieces))
        self.pieces.clear()
        self.size = 0


def _lines(relations: list[dict[str, Any]], out: TextIO) -> None:
    """--report: one JSON line per relation, written as it is made."""
    for entry in relations:
        out.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _write(path: str, what: str, write: Callable[[TextIO], None]) -> None:
    """Write an output file the user named, as a stream; a failure is a located error, not a traceback."""
    from relmap.commands.outfile import written

    with written(path, what, private=what == "the plan") as stream:  # a plan holds every relation, unmasked
        write(stream)


def _show(doc: dict[str, Any], format: str, show_unchanged: bool, out: TextIO) -> None:
    """The plan on standard output, written as it is made (Markdown, cut to a comment's size, is made whole)."""
    if format == "json":
        write_json(doc, out)
    elif format == "markdown":
        from relmap.report.plan_markdown import markdown

        out.write(markdown(doc, show_unchanged=show_unchanged))
    elif format == "html":
        from relmap.report.plan_html import lines

        write_lines(lines(doc), out)
    elif out.isatty():
        from rich.console import Console

        from relmap.report.plan_text import show

        show(doc, Console(file=out), show_unchanged)
    else:
        from relmap.report.plan_text import lines as text_lines

        write_lines(text_lines(doc, show_unchanged), out)


def write_lines(lines: Iterable[str], out: TextIO) -> None:
    pieces = _Pieces(out)
    for line in lines:
        pieces.add(line)
    pieces.flush()
