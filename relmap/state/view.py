"""A read-only look at a sync state, for ``relmap status``: no lock (a run may hold it), no write, no request.

It reads what the state keeps: the last runs, the open problems, interrupted writes, the Silvasoft requests of the
last hour, the watermark. A state that cannot be read is a StateError that names the file, as for a run.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from relmap.errors import StateError
from relmap.state.check import translated
from relmap.state.opening import check_intact
from relmap.state.store import Problem, problem_from_row
from relmap.targets.budget import BLOCKED

HOUR = 3600.0


@dataclass(frozen=True)
class RunRecord:
    started_at: float
    finished_at: float | None
    mode: str
    outcome: str | None  # None: it is running, or it was killed
    counts: dict[str, int]
    requests: int | None


@dataclass(frozen=True)
class StateView:
    path: str
    links: int
    intents: int
    watermark: str | None
    runs: list[RunRecord] = field(default_factory=list)  # newest first
    problems: list[Problem] = field(default_factory=list)
    requests_last_hour: list[float] = field(default_factory=list)  # when each was sent, oldest first
    ledger: str | None = None  # the account's request ledger, shared by every mapping on the account
    blocked_until: float = 0.0  # Silvasoft's own "Ratelimit exceeded" holds requests back until then
    ledger_problem: str = ""  # why the account's ledger could not be read (the budget is then not known)
    full_owed: bool = False  # a --full run's comparison with Silvasoft is not done: the next runs go on with it
    listing_kept: int = 0  # relations of an unfinished whole listing of Silvasoft the next run goes on from

    @property
    def pending(self) -> int:
        """The relations the last finished run left pending (0 while none has finished)."""
        last = next((run for run in self.runs if run.finished_at is not None), None)
        return int(last.counts.get("pending", 0)) if last else 0

    def budget(self, per_hour: int, now: float) -> tuple[int, float | None]:
        """Requests left this hour, and when the next one frees (None: one is free now)."""
        recent = [at for at in self.requests_last_hour if at > now - HOUR]
        left = max(per_hour - len(recent), 0)
        if now < self.blocked_until:
            return 0, self.blocked_until
        if left or not recent:
            return left, None
        return 0, recent[-per_hour] + HOUR  # when enough of the hour's requests have aged out for one more

    def as_dict(self, per_hour: int, now: float) -> dict[str, Any]:
        left, frees = self.budget(per_hour, now)
        return {
            "state": self.path,
            "links": self.links,
            "interrupted_writes": self.intents,
            "pending": self.pending,
            "full_read_owed": self.full_owed,
            "listing_kept": self.listing_kept,
            "watermark": self.watermark,
            "budget": {"per_hour": per_hour, "left": left, "next_free_at": frees, "ledger": self.ledger},
            "runs": [run.__dict__ for run in self.runs],
            "problems": [problem.__dict__ for problem in self.problems],
        }


def look(path: Path, now: float, ledgers: Path, runs: int = 5, account: str | None = None) -> StateView:
    """Read the state at ``path`` as it is now, and the request ledger of ``account`` (default: the state's) in the
    folder ``ledgers``; a missing state is a StateError that says no run has used it."""
    if not path.exists():
        raise StateError(f"there is no state at {path} yet: no run has used it (relmap run makes it)")
    with _reading(path) as db:
        view = _read(db, path, now, runs)
        target = (account,) if account else db.execute("SELECT value FROM meta WHERE key = 'target'").fetchone()
    if not target:
        return view
    try:
        shared, blocked, ledger = account_requests(ledgers, str(target[0]), now)
    except StateError as exc:
        return replace(view, ledger_problem=str(exc))
    if ledger is None:
        return view
    known = set(shared)
    requests = sorted(shared + [at for at in view.requests_last_hour if at not in known])
    until = max(view.blocked_until, blocked)
    return replace(view, requests_last_hour=requests, ledger=ledger, blocked_until=until)


def account_requests(ledgers: Path, account: str, now: float) -> tuple[list[float], float, str | None]:
    """The account's Silvasoft requests of the last hour, when Silvasoft's own limit lets requests go again (0: it
    does not hold them back), and the ledger's path (None: no run has counted a request for the account here). A
    ledger that cannot be read is a StateError that names it."""
    path = ledgers / f"silvasoft-{account}.db"
    if not path.exists():
        return [], 0.0, None
    query = "SELECT at FROM requests WHERE typeof(at) IN ('integer', 'real') AND at > ? ORDER BY at"
    try:
        with _ledger(path) as db:
            shared = [min(float(r[0]), now) for r in db.execute(query, (now - HOUR,))]
            row = db.execute("SELECT value FROM meta WHERE key = 'blocked_until'").fetchone()
    except sqlite3.Error as exc:
        raise StateError(f"the Silvasoft request ledger {path} cannot be read ({exc})") from None
    blocked = min(_time(str(row[0])) if row else 0.0, now + HOUR)
    return shared, blocked if blocked > now else 0.0, str(path)


@contextlib.contextmanager
def _ledger(path: Path) -> Iterator[sqlite3.Connection]:
    """The ledger read-only; one this user cannot write (its -shm cannot be made) is read as it is on disk."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    db = sqlite3.connect(uri, uri=True, timeout=10)
    try:
        db.execute("SELECT 1 FROM requests LIMIT 1")
    except sqlite3.OperationalError:
        db.close()
        db = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=10)
    try:
        yield db
    finally:
        db.close()


def _time(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[sqlite3.Connection]:
    """The state opened read-only, without a lock; what SQLite or a hand-edited row throws is a StateError."""
    with translated(path):
        db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=10)
        try:
            yield db
        finally:
            db.close()


def _read(db: sqlite3.Connection, path: Path, now: float, runs: int) -> StateView:
    check_intact(db, path)
    tables = {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "links" not in tables or "meta" not in tables:
        raise StateError(f"{path} is not a relmap state; relmap has not changed it")
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    history = [
        RunRecord(row[0], row[1], row[2], row[3], json.loads(row[4]) if row[4] else {}, row[5])
        for row in db.execute(
            "SELECT started_at, finished_at, mode, outcome, counts, requests FROM runs ORDER BY id DESC LIMIT ?",
            (runs,),
        )
    ]
    problems = []
    if "problems" in tables:
        rows = db.execute("SELECT * FROM problems ORDER BY first_seen, debtor_number")
        problems = [problem_from_row(row) for row in rows]
    requests = [float(r[0]) for r in db.execute("SELECT at FROM ledger WHERE at > ? ORDER BY at", (now - HOUR,))]
    blocked = _time(meta.get(BLOCKED) or "")
    kept = int(db.execute("SELECT count(*) FROM listing").fetchone()[0]) if "listing" in tables else 0
    return StateView(
        str(path),
        int(db.execute("SELECT count(*) FROM links").fetchone()[0]),
        int(db.execute("SELECT count(*) FROM intents").fetchone()[0]),
        meta.get("watermark"),
        history,
        problems,
        requests,
        blocked_until=blocked if blocked > now else 0.0,
        full_owed=bool(meta.get("full_read_owed")),
        listing_kept=kept,
    )


@dataclass(frozen=True)
class Identity:
    """What the state knows of one relation's identity in Silvasoft, for ``relmap explain``."""

    state: str | None  # None: no run has made a state yet
    guid: int | None = None
    matched_by: str | None = None
    synced_at: float | None = None
    in_step: bool | None = None  # the payload equals the last one synced (None: not linked, or no payload)
    problem: Problem | None = None

    def as_dict(self) -> dict[str, Any]:
        found = dict(self.__dict__)
        found["problem"] = self.problem.__dict__ if self.problem else None
        return found


def identity(path: Path, debtor_number: str, payload_hash: str | None) -> Identity:
    """The link and open problem of one relation, read without a lock (a run may hold it)."""
    if not path.exists():
        return Identity(None)
    with _reading(path) as db:
        tables = {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        link = None
        if "links" in tables:
            link = db.execute(
                "SELECT guid, matched_by, synced_at, payload_hash FROM links WHERE debtor_number = ?",
                (debtor_number,),
            ).fetchone()
        problem = None
        if "problems" in tables:
            row = db.execute("SELECT * FROM problems WHERE debtor_number = ?", (debtor_number,)).fetchone()
            problem = problem_from_row(row) if row is not None else None
    if link is None:
        return Identity(str(path), problem=problem)
    in_step = None if payload_hash is None or link[3] is None else link[3] == payload_hash
    return Identity(str(path), int(link[0]), str(link[1]), float(link[2]), in_step, problem)
