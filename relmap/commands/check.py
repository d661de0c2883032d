"""``relmap check MAPPING``: the connection check to run after setting up (and whenever a run's summary suggests it).

One request to each API and no write: OutSmart's tokens (GET freefields/ when the mapping names freefields, which
are then checked too; else a GET relations/ that asks for a debtor number no relation has), Silvasoft's user name
and API key (one listrelations/ with Limit=1, counted in the account's request ledger like every Silvasoft request), the
hour's Silvasoft budget left, and the state's health, read without changing it. No request is retried: a check
says what happens now. Each check prints a line with ✓, ✗ or – (does not apply) and, when it fails, what to do.

Exit codes: 0 no check failed; 2 a check failed, or the mapping, the env file or the settings cannot be used.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

import requests

from relmap.commands.environment import env_file_used, environment
from relmap.commands.loading import plan_or_report
from relmap.errors import BudgetSpent, ConfigError, RelmapError, StateError, Unavailable
from relmap.exits import EXIT_FATAL, EXIT_OK
from relmap.http import HttpClient, Redactor, RetryPolicy
from relmap.mapping.compiled import CompiledMapping
from relmap.report.terminal import escape
from relmap.state.store import State
from relmap.state.view import StateView, account_requests, look
from relmap.sync import connect
from relmap.sync.answered import AnsweredHttp, remember
from relmap.targets.budget import Pace
from relmap.targets.ledger import Ledger
from relmap.targets.ledger import folder as ledger_folder

ONCE = RetryPolicy(attempts=1)  # one request per API: a check reports what happens now, it does not insist
NO_RELATION = "relmap-check: no such relation"  # free text that no debtor number is: the answer is empty and cheap
MARKS = {True: "✓", False: "✗", None: "–"}


@dataclass(frozen=True)
class Line:
    ok: bool | None  # None: the check does not apply, or could not be made for a reason said elsewhere
    name: str
    text: str


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    plan = plan_or_report(args.mapping, err, "nothing was checked")
    if plan is None:
        return EXIT_FATAL
    failed = 0
    with environment(args, plan, err) as (environ, pace, state_path), connect.session() as session:
        env_file = env_file_used(args)
        source = f"the environment and {env_file}" if env_file else "the environment"
        out.write(f"relmap check {args.mapping} (settings from {source})\n")
        for line in _checks(args, plan, environ, pace, state_path, session):
            out.write(f"{MARKS[line.ok]} {line.name}: {escape(line.text)}\n")
            out.flush()  # a check waits for an API: the lines before it are shown meanwhile
            failed += line.ok is False
    if failed:
        out.write(f"relmap check: {failed} check{'s' * (failed > 1)} failed; nothing was written to either API\n")
        return EXIT_FATAL
    out.write("relmap check: every check passed\n")
    return EXIT_OK


def _checks(
    args: argparse.Namespace,
    plan: CompiledMapping,
    environ: dict[str, str],
    pace: Pace | None,
    state_path: Path,
    session: requests.Session,
) -> Iterator[Line]:
    yield _outsmart(plan, environ, session)
    busy: StateError | None = None
    target: str | None = None
    try:
        url, username, api_key = connect.silvasoft_access(plan, environ)
        pace = pace or connect.pace_of(plan, environ, url)
    except ConfigError as exc:
        yield Line(False, "Silvasoft", str(exc))
    else:
        target = connect.target_of(url, username)
        formerly = connect.former_target_of(url, username)
        with (
            _ledger(state_path, target, formerly, f"relmap check {args.mapping}") as (state, busy),
            Ledger.open(target, environ, f"relmap check {args.mapping}", may_fall_back=True) as ledger,
        ):
            http = AnsweredHttp(session, url, Redactor([api_key]))
            yield _silvasoft(http, username, api_key, pace, state, ledger)
            if not ledger.shared:  # every run would stop at once for it
                yield Line(False, "ledger", f"{ledger.problem}; a run cannot start until it can")
    yield from _state(plan, state_path, busy, ledger_folder(environ), target)


def _outsmart(plan: CompiledMapping, environ: dict[str, str], session: requests.Session) -> Line:
    from relmap.sources.outsmart import OutSmartClient
    from relmap.sync.reading import check_freefields

    if plan.source.kind != "outsmart":
        return Line(None, "OutSmart", f"not used: the mapping reads the export {plan.source.path}")
    try:
        url, token, software_token = connect.outsmart_access(plan, environ)
    except ConfigError as exc:
        return Line(False, "OutSmart", str(exc))
    client = OutSmartClient(HttpClient(session, url, Redactor([token, software_token])), token, software_token, ONCE)
    try:
        if plan.freefields:
            found = client.freefields()
        else:
            client.relations([("debtor_number", "eq", NO_RELATION)], include_freefields=False)
    except RelmapError as exc:
        return Line(False, "OutSmart", _failure(exc, "OutSmart", "source.outsmart.base_url", "RELMAP_OUTSMART_URL"))
    if not plan.freefields:
        return Line(True, "OutSmart", "the token and software token are accepted (GET relations/, matching nothing)")
    try:
        check_freefields(plan, found)
    except ConfigError as exc:
        return Line(False, "OutSmart", f"the tokens are accepted, but {exc}: correct the mapping's freefields")
    many = len(plan.freefields) > 1
    return Line(
        True,
        "OutSmart",
        f"the token and software token are accepted, and the {len(plan.freefields)} freefield{'s' * many} the "
        f"mapping names {'are' if many else 'is'} there under {'their' if many else 'its'} number (GET freefields/)",
    )


def _silvasoft(
    http: AnsweredHttp, username: str, api_key: str, pace: Pace, state: State | None, ledger: Ledger
) -> Line:
    from relmap.targets.budget import Budget
    from relmap.targets.silvasoft import SilvasoftClient

    client = SilvasoftClient(http, username, api_key, Budget(state, pace, ledger=ledger), ONCE)
    try:
        client.find(Limit="1")
    except BudgetSpent as exc:
        return Line(False, "Silvasoft", f"not tested: {exc}; run check again from {_when(exc.resume_at)}")
    except RelmapError as exc:
        return Line(False, "Silvasoft", _failure(exc, "Silvasoft", "target.silvasoft.base_url", "RELMAP_SILVASOFT_URL"))
    finally:
        if state is not None:
            remember(state, http.answered_at)
    counted = "" if ledger.shared else f" (not counted: {ledger.problem})"
    return Line(True, "Silvasoft", f"the user name and API key are accepted (GET listrelations/, Limit=1){counted}")


def _state(
    plan: CompiledMapping, path: Path, busy: StateError | None, ledgers: Path, account: str | None
) -> Iterator[Line]:
    now = time.time()
    view, problem = None, None
    if path.exists():
        try:
            view = look(path, now, ledgers, account=account)
        except StateError as exc:
            problem = exc
    if view is None:  # the account's ledger counts the requests all the same
        try:
            requests, blocked, ledger = account_requests(ledgers, account, now) if account else ([], 0.0, None)
            view = StateView(str(path), 0, 0, None, requests_last_hour=requests, ledger=ledger, blocked_until=blocked)
        except StateError as exc:
            view = StateView(str(path), 0, 0, None, ledger_problem=str(exc))
    yield _budget(view, plan.target.requests_per_hour, now)
    if problem is not None:
        yield Line(False, "state", str(problem))
        return
    if not path.exists():
        yield Line(None, "state", f"{path} does not exist yet: the first run makes it")
        return
    if busy is not None and not _in_use(busy):
        yield Line(False, "state", str(busy))
        return
    yield Line(True, "state", _health(view, busy))


def _budget(view: StateView, per_hour: int, now: float) -> Line:
    if view.ledger_problem:
        return Line(False, "budget", f"not known: {view.ledger_problem}")
    left, frees = view.budget(per_hour, now)
    text = f"{left} of {per_hour} Silvasoft requests left this hour"
    if view.blocked_until:
        text += f"; Silvasoft said its hourly limit was reached: none before {_when(view.blocked_until)}"
    elif frees:
        text += f"; the next one frees at {_when(frees)}"
    if view.ledger is None:
        text += " (no request counted for this account yet)"
    return Line(True, "budget", text)


def _health(view: StateView, busy: StateError | None) -> str:
    writes = f"{view.intents} interrupted write{'s' * (view.intents != 1)} (the next run settles them first)"
    parts = [
        f"{view.links} link{'s' * (view.links != 1)}",
        writes if view.intents else "no interrupted writes",
        f"{len(view.problems)} relation{'s' * (len(view.problems) != 1)} not in step (relmap status lists them)"
        if view.problems
        else "every relation in step"
        if not view.pending
        else "",
        f"{view.pending} relation{'s' * (view.pending != 1)} pending from the last run (the next run goes on)"
        if view.pending
        else "",
    ]
    text = f"{view.path}: {', '.join(part for part in parts if part)}"
    if view.runs:
        last = view.runs[0]
        unfinished = "running now" if busy else "did not finish (a fatal error, or killed); the next run goes on"
        outcome = last.outcome or unfinished
        counts = ", ".join(f"{n} {action}" for action, n in sorted(last.counts.items()) if n)
        text += f"; last run {_when(last.started_at)} ({last.mode}): {outcome}" + (f" ({counts})" if counts else "")
    else:
        text += "; no run yet"
    return text


@contextlib.contextmanager
def _ledger(path: Path, target: str, formerly: str, command: str) -> Iterator[tuple[State | None, StateError | None]]:
    """The state, locked, to count the check's request in; None (and why) when there is none or it cannot be had.

    A missing state is not made: the first run makes it for the account it is run for."""
    from relmap.state.lock import StateLock

    if not path.exists():
        yield None, None
        return
    try:
        lock = StateLock(path, command, may_read_only=True)
    except StateError as exc:
        yield None, exc
        return
    with lock:
        try:
            state = State(path, target, lock=lock, formerly=formerly)
        except StateError as exc:
            yield None, exc
            return
        with state:
            yield state, None


def _in_use(problem: StateError) -> bool:
    # A run holding the lock is no fault of the state; every other StateError is one.
    return str(problem).startswith("another relmap run is using")


def _failure(exc: RelmapError, api: str, setting: str, variable: str) -> str:
    """An API's error for its check line (which names the API already), with what to do when it does not say."""
    text = str(exc).removeprefix(f"{api}: ")
    if isinstance(exc, Unavailable):
        return f"{text}; check {setting} (or {variable}) and the network, then run check again"
    return text  # a CredentialsError names the variable to check; other answers speak for themselves


def _when(moment: float | None) -> str:
    return "-" if moment is None else datetime.fromtimestamp(moment).strftime("%Y-%m-%d %H:%M")
