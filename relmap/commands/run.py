"""``relmap run MAPPING``: the sync, against the real APIs or (``--sandbox``) the built-in emulators.

Exit codes: 0 every relation is in step; 1 some relations failed; 2 a fatal error (mapping, settings, credentials,
an API that cannot be read); 3 relations are pending (the hour's budget ran out, or a write could not be confirmed)
and none failed: the next run continues them. ``--log-file`` (commands.runlog) records the run from its start to its
exit code, a fatal error on the way out included.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from relmap import __version__
from relmap.commands.environment import locked_environment
from relmap.commands.loading import plan_or_report
from relmap.commands.runlog import LoggedProgress, RunLog, log_of, mode_of
from relmap.errors import RelmapError
from relmap.exits import EXIT_FAILED, EXIT_FATAL, EXIT_OK, EXIT_PENDING
from relmap.mapping.compiled import CompiledMapping
from relmap.report.terminal import escape
from relmap.secrets import secret_values

if TYPE_CHECKING:
    from relmap.commands.progress import ClosingProgress
    from relmap.state.lock import StateLock
    from relmap.state.store import State
    from relmap.sync.answered import AnsweredHttp
    from relmap.sync.apply import Outcome
    from relmap.sync.connect import Settings
    from relmap.sync.results import RunResult
    from relmap.sync.runner import Sync
    from relmap.targets.budget import Budget, Pace


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # With --detailed-exitcode 2 means "changes", as for terraform: a fatal error is 1 then.
    fatal = EXIT_FAILED if args.dry_run and args.detailed_exitcode else EXIT_FATAL
    log = log_of(args, err)
    try:
        log.start(_command(args), args.mapping, mode_of(args))
    except RelmapError as exc:
        err.write(f"relmap run: error: {escape(str(exc))}\n")
        return fatal
    code = fatal
    try:
        code = _logged_run(args, log, fatal, out, err)
    except BaseException as exc:  # logged on its way out; relmap.cli reports it and picks the exit code
        code = log.exception(exc, args)
        raise
    finally:
        log.finish(code)
    return code


def _logged_run(args: argparse.Namespace, log: RunLog, fatal: int, out: TextIO, err: TextIO) -> int:
    misuse = _misuse(args) or _unwritable(args)
    if misuse:
        err.write(f"relmap run: error: {misuse}\n")
        log.error(misuse)
        return fatal
    plan = plan_or_report(args.mapping, err, "nothing was planned" if args.dry_run else "nothing was synced")
    if plan is None:
        log.error(f"{args.mapping}: the mapping has errors (relmap validate {args.mapping} lists them)")
        return fatal
    try:
        with locked_environment(args, plan, err, _command(args), log.warner()) as (environ, pace, lock):
            from relmap.http import Redactor

            log.protect(Redactor(secret_values(environ)))  # the env file's secrets too
            if not args.dry_run:
                return _sync(args, plan, environ, pace, lock, out, err, log)
            from relmap.commands.dry_run import dry_run

            return dry_run(args, plan, environ, pace, lock, out, err)
    except RelmapError as exc:
        if not args.dry_run or not args.detailed_exitcode:
            raise
        err.write(f"relmap: error: {exc}\n")
        log.error(str(exc))
        return fatal


def _command(args: argparse.Namespace) -> str:
    """The run as the lock file names it to a run that finds the state in use (no secret is ever an argument)."""
    words = ["relmap", "run", args.mapping]
    for option in ("dry_run", "full", "sandbox", "sandbox_reset", "retry_failed"):
        if getattr(args, option, False):
            words.append("--" + option.replace("_", "-"))
    if args.plan:
        words += ["--plan", args.plan]
    if getattr(args, "limit", None) is not None:
        words += ["--limit", str(args.limit)]
    if getattr(args, "only", None):
        words += ["--only", *args.only]
    return " ".join(words)


def _unwritable(args: argparse.Namespace) -> str | None:
    """Files the run will write, and the saved plan it will read, checked before the state is locked and anything
    is read or spent."""
    from relmap.commands.outfile import unusable

    for option, path in (("--report", args.report), ("--out", args.out)):
        problem = unusable(path, option, args.mapping) if path else None
        if problem:
            return problem
    if args.plan:
        from relmap.sync.saved import unreadable

        return unreadable(args.plan)
    return None


def _misuse(args: argparse.Namespace) -> str | None:
    """Options that only make sense together, checked before anything is read."""
    if not args.dry_run:
        for option, given in (
            ("--out", args.out),
            ("--detailed-exitcode", args.detailed_exitcode),
            ("--show-unchanged", args.show_unchanged),
            ("--format", args.format != "terminal"),
        ):
            if given:
                return f"{option} goes with --dry-run (a run that writes prints its summary and --report)"
    if args.plan and args.dry_run:
        return "--plan applies a saved plan; make a plan with --dry-run --out FILE, then apply it without --dry-run"
    if args.plan and args.full:
        return "--plan reads what the saved plan read; leave out --full"
    for option in ("--only", "--limit", "--retry-failed"):
        given = getattr(args, option[2:].replace("-", "_"), None)
        if given in (None, False, []):
            continue
        if args.plan:
            return f"--plan applies exactly the saved plan; leave out {option}"
        if args.dry_run:
            return f"{option} goes with a run that writes; the plan of --dry-run covers every relation read"
    if getattr(args, "log_format", None) == "json" and not getattr(args, "log_file", None):
        return "--log-format goes with --log-file FILE"
    return None


@dataclass(frozen=True)
class Connected:
    """A run's pieces, wired to both APIs and the state database: what run and run --dry-run share."""

    settings: Settings
    sync: Sync
    progress: ClosingProgress
    digest: str
    state: State
    silvasoft_http: AnsweredHttp
    budget: Budget


@contextlib.contextmanager
def connected(
    args: argparse.Namespace,
    plan: CompiledMapping,
    environ: dict[str, str],
    pace: Pace | None,
    lock: StateLock,
    err: TextIO,
    log: RunLog | None = None,
) -> Iterator[Connected]:
    """Settings, the state (under the caller's lock), one HTTP session, both clients, the budget and the Sync. The
    caller closes the progress display before it prints; it is closed again (harmlessly) on the way out. When
    Silvasoft answered, the state keeps the time (sync.answered), on the way out of an error too."""
    from relmap.state.store import State
    from relmap.sync import answered, connect
    from relmap.sync.reading import reader
    from relmap.sync.runner import Sync
    from relmap.targets.budget import Budget
    from relmap.targets.ledger import Ledger
    from relmap.targets.silvasoft import SilvasoftClient

    settings = connect.settings(plan, environ, pace)
    if log is not None:
        log.protect(settings.redact)
    digest = mapping_digest(args.mapping)
    dry = bool(getattr(args, "dry_run", False))
    with (
        State(lock.path, settings.target, lock=lock, formerly=settings.former_target) as state,
        Ledger.open(settings.target, environ, str(lock.real), may_fall_back=dry) as ledger,
        connect.session() as session,
    ):
        outsmart = connect.outsmart_client(settings, session) if plan.source.kind == "outsmart" else None
        budget = Budget(state, settings.pace, ledger=ledger)
        http = answered.AnsweredHttp(session, settings.silvasoft_url, settings.redact)
        silvasoft = SilvasoftClient(http, settings.username, settings.api_key, budget)
        progress = _progress(err, args.quiet, args.mask_pii)
        if log is not None:
            progress = LoggedProgress(progress, log, args.mask_pii)
        sync = Sync(plan, state, silvasoft, budget, reader(plan, outsmart), digest, outsmart, progress)
        try:
            yield Connected(settings, sync, progress, digest, state, http, budget)
        finally:
            progress.close()  # callers close it earlier, before printing; this is for an error on the way
            answered.remember(state, http.answered_at)


def _sync(
    args: argparse.Namespace,
    plan: CompiledMapping,
    environ: dict[str, str],
    pace: Pace | None,
    lock: StateLock,
    out: TextIO,
    err: TextIO,
    log: RunLog,
) -> int:
    from relmap.sync.saved import load as load_plan

    with connected(args, plan, environ, pace, lock, err, log) as wired:
        settings, sync, progress = wired.settings, wired.sync, wired.progress
        saved = load_plan(args.plan, wired.digest, settings.target) if args.plan else None
        try:
            result = sync.run(
                full=args.full, saved=saved, retry_failed=args.retry_failed, only=args.only, limit=args.limit
            )
        except RelmapError as exc:
            progress.close()
            _write_report(args.report, sync.result.outcomes, settings.redact, args.mask_pii)
            _summary(sync.result, out, mask_pii=args.mask_pii)
            log.summary(sync.result, args.mask_pii)
            raise RelmapError(settings.redact(str(exc))) from None
        progress.close()
        note = credentials_note(args.mapping, wired.state, wired.silvasoft_http.answered_at, time.time())
    _write_report(args.report, result.outcomes, settings.redact, args.mask_pii)
    for warning in result.warnings:
        text = settings.redact(warning)
        err.write(f"relmap: warning: {text}\n")
        log.warning(text)
    _summary(result, out, note, args.mask_pii)
    log.summary(result, args.mask_pii)
    if note:
        log.warning(note)
    if result.counts()["failed"]:
        return EXIT_FAILED
    return EXIT_PENDING if result.counts()["pending"] or result.stale else EXIT_OK


def credentials_note(mapping: str, state: State, answered_now: float | None, now: float) -> str | None:
    """Said after the summary when no Silvasoft request has succeeded for a day: a run with nothing to write sends
    none, so a wrong or revoked key would otherwise go unnoticed until the next change fails."""
    from datetime import UTC, datetime

    from relmap.sync import answered

    if not answered.overdue(state, answered_now, now):
        return None
    before = answered.last(state)
    since = "yet" if before is None else datetime.fromtimestamp(before, UTC).strftime("since %Y-%m-%d %H:%M UTC")
    return (
        f"no Silvasoft request has succeeded {since}: a run with nothing to write sends none, so wrong "
        f'credentials would go unnoticed; "relmap check {mapping}" tests them'
    )


def mapping_digest(mapping: str) -> str:
    """Runs of a changed mapping re-check every relation: the watermark belongs to one mapping text."""
    return hashlib.sha256(Path(mapping).read_bytes() + __version__.encode()).hexdigest()


def _write_report(path: str | None, outcomes: list[Outcome], redact: Callable[[str], str], mask_pii: bool) -> None:
    if not path:
        return
    from relmap.commands.outfile import write_file
    from relmap.report.sync import report_lines

    write_file(path, "".join(report_lines(outcomes, redact, mask_pii)), "the report")


def _summary(result: RunResult, out: TextIO, note: str | None = None, mask_pii: bool = False) -> None:
    from relmap.report import sync as report

    if not out.isatty():
        out.write(report.summary_text(result, mask_pii=mask_pii) + (f"note: {escape(note)}\n" if note else ""))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="relmap run", show_header=False)
    for label, value in report.summary_rows(result):
        table.add_row(label, value)
    console = Console(file=out)
    console.print(table)
    for text in (
        report.stop_text(result),
        report.stale_text(result) if result.stale else None,
        report.left_out_text(result) if result.left_out else None,
    ):
        if text:
            console.print(text, style="yellow", markup=False)
    problems = report.problems_text(result, mask_pii=mask_pii)
    if problems:
        console.print(problems.rstrip("\n"), markup=False, highlight=False)
    if note:
        console.print(f"note: {escape(note)}", style="yellow", markup=False)


def _progress(err: TextIO, quiet: bool, mask_pii: bool = False) -> ClosingProgress:
    from relmap.commands.progress import LineProgress, MaskedProgress, NoProgress, RichProgress

    if quiet:
        return NoProgress()
    shown = RichProgress(err) if err.isatty() else LineProgress(err)
    return MaskedProgress(shown) if mask_pii else shown
