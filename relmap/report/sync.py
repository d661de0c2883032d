"""What a sync run did: one line per relation, a summary table, and the JSON-lines report file.

The lines and the summary are for a terminal: relation data and API messages in them are escaped
(report.terminal). The report file is JSON (json.dumps escapes control characters its own way).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from relmap.report.mask import mask_outcome
from relmap.report.terminal import escape
from relmap.sync.apply import Outcome
from relmap.sync.results import RunResult

ACTIONS = ("created", "updated", "linked", "unchanged", "skipped", "failed", "pending")
SYMBOLS = {
    "created": "+",
    "updated": "~",
    "linked": "&",
    "unchanged": "=",
    "skipped": "-",
    "failed": "!",
    "pending": "…",
}


def line(outcome: Outcome) -> str:
    """``+ 10001  P. van der Berg  created (consumers → addprivaterelation, GUID 4000001)``"""
    where = f"{outcome.route} → {outcome.endpoint}" if outcome.route else ""
    guid = f"GUID {outcome.guid}" if outcome.guid else ""
    matched = f"matched by {outcome.matched_by}" if outcome.action == "linked" and outcome.matched_by else ""
    detail = ", ".join(x for x in (where, guid, matched) if x)
    text = f"{SYMBOLS[outcome.action]} {outcome.debtor_number or '?'}  {outcome.name}  {outcome.action}"
    text += f" ({detail})" if detail else ""
    return escape(text + (f": {outcome.error}" if outcome.error else ""))


def summary_rows(result: RunResult) -> list[tuple[str, str]]:
    counts = result.counts()
    rows = [(action, str(counts[action])) for action in ACTIONS]
    rows.append(("Silvasoft requests", f"{result.silvasoft_requests} spent, {result.budget_left} left this hour"))
    return rows


def _clock(moment: float) -> str:
    return datetime.fromtimestamp(moment).strftime("%H:%M")


def stop_text(result: RunResult, when: Callable[[float], str] = _clock) -> str | None:
    """Why relations are pending, and when the next run can continue; None when nothing is pending."""
    pending = result.counts()["pending"]
    if not result.stopped:
        return f"{pending} relation{'s' * (pending != 1)} pending; the next run tries them again" if pending else None
    after = f"; the next run can continue from {when(result.resume_at)}" if result.resume_at else ""
    return f"stopped: {escape(result.stopped)}; {pending} relation{'s' * (pending != 1)} pending{after}"


def summary_text(result: RunResult, mask_pii: bool = False) -> str:
    counts = result.counts()
    earlier = f" ({result.carried} of them from earlier runs)" if result.carried else ""
    parts = ", ".join(f"{counts[a]} {a}" + (earlier if a == "failed" else "") for a in ACTIONS)
    text = f"Sync: {parts}. Silvasoft requests: {result.silvasoft_requests} spent, "
    text += f"{result.budget_left} left this hour (plan: {result.per_hour} per hour)\n"
    text += warnings_text(result) + "\n" if any(o.warnings for o in result.outcomes) else ""
    stop = stop_text(result)
    text += stop + "\n" if stop else ""
    text += stale_text(result) + "\n" if result.stale else ""
    text += left_out_text(result) + "\n" if result.left_out else ""
    return text + problems_text(result, mask_pii=mask_pii)


PROBLEMS_SHOWN = 20


def problems_text(result: RunResult, shown: int = PROBLEMS_SHOWN, mask_pii: bool = False) -> str:
    """Every relation not in step after the run, one line each (at most ``shown``, then a count): said by every
    run until it is mended, so that a cron user hears of it again."""
    if not result.problems:
        return ""
    lines = [f"Not in step: {len(result.problems)} relation{'s' * (len(result.problems) != 1)}"]
    for problem in result.problems[:shown]:
        if mask_pii:
            masked = mask_outcome(Outcome(problem.debtor_number, problem.name, "failed", error=problem.message))
            problem = replace(problem, name=masked.name, message=masked.error or "")
        when = datetime.fromtimestamp(problem.first_seen).strftime("%Y-%m-%d %H:%M")
        lines.append(
            escape(f"  ! {problem.debtor_number}  {problem.name}  {problem.kind} since {when}: {problem.message}")
        )
    if len(result.problems) > shown:
        lines.append(f"  ... and {len(result.problems) - shown} more (relmap status MAPPING lists them all)")
    return "\n".join(lines) + "\n"


def warnings_text(result: RunResult) -> str:
    """``Record warnings: 3, on 2 relations``: parameters the mapping left out (on_invalid: warn); never a failure."""
    found = [len(o.warnings) for o in result.outcomes if o.warnings]
    return (
        f"Record warnings: {sum(found)}, on {len(found)} relation{'s' * (len(found) != 1)}: parameters left out by "
        "on_invalid: warn (--report lists them)"
    )


def left_out_text(result: RunResult) -> str:
    many = result.left_out != 1
    return f"{result.left_out} relation{'s' * many} read but left for a later run (--only, --limit)"


def stale_text(result: RunResult) -> str:
    many = result.stale != 1
    return (
        f"{result.stale} planned relation{'s' * many} {'were' if many else 'was'} left alone: changed since the plan "
        "was made, or not in it; make a new plan with --dry-run --out"
    )


def report_lines(outcomes: Iterable[Outcome], redact: Callable[[str], str], mask_pii: bool = False) -> Iterable[str]:
    for outcome in outcomes:
        record: dict[str, Any] = (mask_outcome(outcome) if mask_pii else outcome).as_dict()
        if record["error"]:
            record["error"] = redact(record["error"])
        record["warnings"] = [{**w, "message": redact(w["message"])} for w in record["warnings"]]
        yield json.dumps(record, ensure_ascii=False) + "\n"
