"""``relmap status MAPPING``: what the sync state says, costing no request: the last runs, every relation not in
step, interrupted writes, the Silvasoft budget left this hour and when the next request frees, the watermark.

It takes no lock, so it answers while a run is going. Exit codes: 0 every relation in step; 1 relations are not in
step; 2 the mapping or the state cannot be read; 3 the last run left relations pending (the next run goes on).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from pathlib import Path
from typing import TextIO

from relmap.commands.loading import plan_or_report
from relmap.exits import EXIT_FAILED, EXIT_FATAL, EXIT_OK, EXIT_PENDING
from relmap.report.terminal import escape
from relmap.state.view import StateView, look
from relmap.targets import ledger


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from relmap.state.store import default_path

    plan = plan_or_report(args.mapping, err, "no status")
    if plan is None:
        return EXIT_FATAL
    path = (
        Path(args.state)
        if getattr(args, "state", None)
        else default_path(args.mapping, getattr(args, "sandbox", False))
    )
    now = time.time()
    if getattr(args, "sandbox", False):
        ledgers = path.with_suffix("")
    else:  # where the runs keep the account's ledger: RELMAP_LEDGER_DIR may come from the env file
        from relmap.commands.environment import settings_environ

        def warn(text: str) -> None:
            err.write(f"relmap: warning: {escape(text)}\n")

        ledgers = ledger.folder(settings_environ(args, warn))
    view = look(path, now, ledgers)
    per_hour = plan.target.requests_per_hour
    if getattr(args, "format", "text") == "json":
        out.write(json.dumps(view.as_dict(per_hour, now), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(text(view, per_hour, now))
    if view.problems:
        return EXIT_FAILED
    return EXIT_PENDING if view.pending else EXIT_OK


def _when(moment: float | None) -> str:
    return "-" if moment is None else datetime.fromtimestamp(moment).strftime("%Y-%m-%d %H:%M")


def text(view: StateView, per_hour: int, now: float) -> str:
    left, frees = view.budget(per_hour, now)
    lines = [
        f"State {view.path}: {view.links} linked relations, watermark {view.watermark or '- (next run reads all)'}"
    ]
    budget = f"Silvasoft budget: {left} of {per_hour} requests left this hour"
    if view.ledger_problem:
        budget = f"Silvasoft budget: not known: {view.ledger_problem}"
    if view.blocked_until:
        budget += f"; Silvasoft said its hourly limit was reached: no request before {_when(view.blocked_until)}"
    elif frees:
        budget += f"; the next frees at {_when(frees)}"
    if view.ledger:
        budget += f" (counted for every mapping on the account in {view.ledger})"
    lines.append(budget)
    if view.intents:
        lines.append(f"Interrupted writes: {view.intents} (the next run settles them first)")
    if view.full_owed or view.listing_kept:
        owed = "a full read is not done comparing with Silvasoft; " if view.full_owed else ""
        lines.append(
            f"Silvasoft listing: {owed}{view.listing_kept:,} relations listed so far, the next run goes on from there"
        )
    lines.append("Last runs:" if view.runs else "Last runs: none yet")
    for record in view.runs:
        counts = ", ".join(f"{n} {action}" for action, n in sorted(record.counts.items()) if n)
        outcome = record.outcome or ("running, or stopped without finishing" if record.finished_at is None else "?")
        requests = "" if record.requests is None else f", {record.requests} Silvasoft requests"
        lines.append(
            f"  {_when(record.started_at)}  {record.mode}: {outcome}{requests}" + (f" ({counts})" if counts else "")
        )
    pending = view.pending
    if pending:
        lines.append(
            f"Pending: {pending} relation{'s' * (pending != 1)} the last run left for the next (the hour's budget, or "
            "a write it could not confirm)"
        )
    if view.problems:
        lines.append(f"Not in step: {len(view.problems)} relation{'s' * (len(view.problems) != 1)}")
        for problem in view.problems:
            lines.append(
                f"  ! {problem.debtor_number}  {problem.name}  {problem.kind} since {_when(problem.first_seen)}, "
                f"last tried {_when(problem.last_tried)}: {problem.message}"
            )
    else:
        lines.append("Not in step: none")
    return "".join(escape(line) + "\n" for line in lines)
