"""``relmap run MAPPING --dry-run``: read both sides, plan, and report what a run would change; write nothing.

Exit codes: 0 no relation has an error (with --detailed-exitcode: and nothing would change); 1 some relations have
errors; 2 a fatal error (or, with --detailed-exitcode, changes are pending and none has an error).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TextIO

from relmap.cli import EXIT_FAILED, EXIT_OK
from relmap.errors import RelmapError
from relmap.plan import Plan

if TYPE_CHECKING:
    from relmap.budget import Pace
    from relmap.state_lock import StateLock
    from relmap.sync.results import Preview

EXIT_CHANGES = 2  # --detailed-exitcode: the plan has changes (as terraform plan -detailed-exitcode)


def dry_run(
    args: argparse.Namespace,
    plan: Plan,
    environ: dict[str, str],
    pace: Pace | None,
    lock: StateLock,
    out: TextIO,
    err: TextIO,
) -> int:
    from relmap.commands.run import connected, write_file
    from relmap.report.plan import Context, document
    from relmap.report.plan_compact import compact

    with connected(args, plan, environ, pace, lock, err) as wired:
        settings = wired.settings
        try:
            preview = wired.sync.preview(full=args.full, list_silvasoft=bool(args.out))
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
    # unless --show-unchanged (the HTML report holds them all, hidden until asked for).
    doc = document(preview, context, settings.redact)
    listed = doc if args.show_unchanged else compact(doc)
    if args.out:
        saved = document(preview, replace(context, mask_pii=False), settings.redact)
        saved = saved if args.show_unchanged else compact(saved)
        write_file(args.out, json.dumps(saved, ensure_ascii=False, indent=2) + "\n", "the plan")
    if args.report:
        lines = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in listed["relations"])
        write_file(args.report, lines, "the report")
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


def _coverage(plan: Plan, preview: Preview) -> dict[str, Any] | None:
    from relmap.coverage import measure

    records = [item.record for item in preview.items if item.record is not None]
    return measure(plan, records if preview.full else None).as_dict()


def _show(doc: dict[str, Any], format: str, show_unchanged: bool, out: TextIO) -> None:
    if format == "json":
        out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    elif format == "markdown":
        from relmap.report.plan_markdown import markdown

        out.write(markdown(doc, show_unchanged=show_unchanged))
    elif format == "html":
        from relmap.report.plan_html import html

        out.write(html(doc))
    elif out.isatty():
        from rich.console import Console

        from relmap.report.plan_text import show

        show(doc, Console(file=out), show_unchanged)
    else:
        from relmap.report.plan_text import text

        out.write(text(doc, show_unchanged))
