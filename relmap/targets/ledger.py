"""The request ledger of one Silvasoft account: every request any mapping sent to it, so all of them share one budget.

Silvasoft counts requests per account, not per mapping: a mapping for consumers and one for companies on the same
account must not each spend the plan's hourly budget. The ledger is one small SQLite file per account
(``silvasoft-<account>.db``, the account being the hash of URL and user name that states are checked against) in
the ledger folder: ``RELMAP_LEDGER_DIR``, else ``$XDG_STATE_HOME/relmap``, else ``~/.local/state/relmap``. It
also keeps when Silvasoft's own "Ratelimit exceeded" lets requests go again.

Runs of different mappings may overlap (two cron lines at the same minute): a slot is taken in one SQLite
transaction that counts the hour and records the request, so two processes cannot both take the last one.

Counting the hour costs the same however many requests it holds: the table ``hour`` holds how many requests there
are after a moment (the start of the hour the last slot was taken in), kept by triggers in the same transaction as
each change to ``requests``, whoever makes it (relmap, an older relmap, a hand edit). A slot subtracts the requests
that have left the hour since (each row is read once as it leaves) and moves the moment on. Opening the ledger makes
the table and its triggers anew from the rows, so a hand-edited count or a dropped trigger is put right before any
slot is taken.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import os
import pwd
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path

from relmap.errors import StateError

HOUR = 3600.0
_TIMED = "typeof(at) IN ('integer', 'real')"  # a hand-edited row that holds no time is not a request
_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (at REAL NOT NULL, endpoint TEXT NOT NULL, state TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS requests_at ON requests (at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _trigger(name: str, event: str, at: str, sign: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {name}; CREATE TRIGGER {name} AFTER {event} ON requests "
        f"WHEN typeof({at}) IN ('integer', 'real') BEGIN UPDATE hour SET n = n {sign} ({at} > hour.since); END;"
    )


# The requests after ``since``, counted by SQLite itself on every change to a row, whoever makes it. Opened, the
# ledger makes the table and its triggers anew and counts every row, in one transaction: whatever a hand edit did
# to them, the count is the rows'.
_COUNTS = f"""
BEGIN IMMEDIATE;
DROP TABLE IF EXISTS hour;
CREATE TABLE hour (one INTEGER PRIMARY KEY CHECK (one = 1), since REAL NOT NULL, n INTEGER NOT NULL);
{_trigger("requests_added", "INSERT", "NEW.at", "+")}
{_trigger("requests_removed", "DELETE", "OLD.at", "-")}
{_trigger("requests_moved_from", "UPDATE OF at", "OLD.at", "-")}
{_trigger("requests_moved_to", "UPDATE OF at", "NEW.at", "+")}
INSERT INTO hour SELECT 1, -9e999, count(*) FROM requests WHERE {_TIMED};
COMMIT;
"""
# The requests after :start: the count after ``since``, less those up to :start (the hour has moved on since) or
# plus those after it (the clock was set back); one of the two is empty, the other holds only the rows between.
# Without the count's row (deleted by hand while a run goes on), the rows are counted one by one.
_COUNT_AFTER = f"""
SELECT coalesce(
    (SELECT n - (SELECT count(*) FROM requests WHERE at > hour.since AND at <= :start AND {_TIMED})
              + (SELECT count(*) FROM requests WHERE at > :start AND at <= hour.since AND {_TIMED})
     FROM hour),
    (SELECT count(*) FROM requests WHERE at > :start AND {_TIMED}))
"""
BLOCKED = "blocked_until"


def folder(environ: Mapping[str, str]) -> Path:
    """Where the ledgers are kept (the same for every mapping of this user, so that they share them)."""
    if environ.get("RELMAP_LEDGER_DIR"):
        given = Path(environ["RELMAP_LEDGER_DIR"]).expanduser()
        if not given.is_absolute():  # relative to where cron happens to start: two runs would keep two ledgers
            raise StateError(
                f"RELMAP_LEDGER_DIR is {str(given)!r}: give an absolute path, the same for every mapping of the "
                "Silvasoft account"
            )
        return given
    if environ.get("XDG_STATE_HOME"):
        return Path(environ["XDG_STATE_HOME"]) / "relmap"
    home = environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir  # cron and env -i may leave HOME unset
    return Path(home) / ".local" / "state" / "relmap"


def path_for(account: str, environ: Mapping[str, str]) -> Path:
    return folder(environ) / f"silvasoft-{account}.db"


class Ledger:
    """One account's requests. ``path=None``: a ledger of this process only (nothing could be written)."""

    def __init__(self, path: Path | None, state: str = "") -> None:
        self.path = path
        self.state = state  # which state (mapping) sent the requests recorded here, for the record
        self.shared = path is not None
        self.problem = ""  # why a ledger of this process only is used
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path) if path else ":memory:", timeout=30, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 30000")
            if path is not None:
                self.db.execute("PRAGMA journal_mode = WAL")
                # as the state: a commit is not synced to disk on its own (a slot costs 50 us, not 700), yet stays
                # atomic, and seen by every process at once; only a power cut may lose the last slots taken
                self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.executescript(_SCHEMA)
            self.db.executescript(_COUNTS)
        except (OSError, sqlite3.OperationalError) as exc:
            raise StateError(
                f"the Silvasoft request ledger {path} cannot be used ({exc}); set RELMAP_LEDGER_DIR to a folder "
                "relmap may write, shared by every mapping of this Silvasoft account"
            ) from None
        except sqlite3.Error as exc:
            raise StateError(
                f"the Silvasoft request ledger {path} cannot be used ({exc}); delete it to start its count over (it "
                "only counts the last hour's requests)"
            ) from None

    @classmethod
    def open(cls, account: str, environ: Mapping[str, str], state: str = "", may_fall_back: bool = False) -> Ledger:
        """The account's shared ledger; with ``may_fall_back`` (a dry run) one of this process when it cannot be
        written (then ``shared`` is False and the caller says so)."""
        try:
            return cls(path_for(account, environ), state)
        except StateError as exc:
            if not may_fall_back:
                raise
            ledger = cls(None, state)
            ledger.problem = str(exc)
            return ledger

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def since(self, moment: float) -> list[float]:
        """The requests at ``moment`` or after, oldest first."""
        with self._translated():
            query = f"SELECT at FROM requests WHERE {_TIMED} AND at >= ? ORDER BY at"
            rows = self.db.execute(query, (moment,)).fetchall()
        return [float(r[0]) for r in rows]

    def hour_before(self, now: float) -> list[float]:
        """The requests of the sliding hour that ends at ``now`` (one sent exactly an hour ago has aged out)."""
        with self._translated():
            query = f"SELECT at FROM requests WHERE {_TIMED} AND at > ? ORDER BY at"
            rows = self.db.execute(query, (now - HOUR,)).fetchall()
        return [float(r[0]) for r in rows]

    def count_after(self, start: float) -> int:
        """The requests the ledger holds after ``start`` (reading only the rows between it and the last slot's hour)."""
        with self._translated():
            return int(self.db.execute(_COUNT_AFTER, {"start": start}).fetchone()[0])

    def take(self, now: float, endpoint: str, per_hour: int, interval: float, others: list[float]) -> float | None:
        """Record a request at ``now`` if the hour has room and the last one was ``interval`` ago; else say when to
        try again (``inf``: the hour is spent). ``others``: requests only a state knows of (before the ledger),
        oldest first."""
        start = now - HOUR
        with self._translated():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                # A request recorded after now: the clock was set back. It counts as sent now, so that neither the
                # pace nor the hour waits for a moment that may be hours (or a year) away.
                self.db.execute("UPDATE requests SET at = ? WHERE at > ?", (now, now))
                counted = self.db.execute(_COUNT_AFTER, {"start": start}).fetchone()[0]
                self.db.execute("REPLACE INTO hour VALUES (1, ?, ?)", (start, counted))  # the next slot counts on
                earlier = len(others) - bisect.bisect_right(others, start)  # min(at, now) > start: at > start
                if counted + earlier >= per_hour:
                    return float("inf")
                query = f"SELECT at FROM requests WHERE at > ? AND {_TIMED} ORDER BY at DESC LIMIT 1"
                last = [float(row[0]) for row in self.db.execute(query, (start,))]
                last += [min(others[-1], now)] if earlier else []
                if last and max(last) + interval > now:
                    return max(last) + interval
                self.db.execute(
                    "INSERT INTO requests (at, endpoint, state) VALUES (?, ?, ?)", (now, endpoint, self.state)
                )
                return None
            finally:
                self.db.execute("COMMIT")

    def prune(self, before: float) -> None:
        with self._translated():
            self.db.execute("DELETE FROM requests WHERE at < ?", (before,))

    def blocked_until(self) -> float:
        with self._translated():
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (BLOCKED,)).fetchone()
        try:
            until = float(row[0]) if row else 0.0
        except ValueError:
            return 0.0
        return until if math.isfinite(until) else 0.0

    def block(self, until: float) -> None:
        with self._translated():
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (BLOCKED, repr(max(until, self.blocked_until()))),
            )

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise StateError(
                    f"the Silvasoft request ledger {self.path} stayed locked by another relmap process for 30 s; "
                    "run again (nothing was sent on this slot)"
                ) from None
            raise StateError(f"the Silvasoft request ledger {self.path} cannot be used ({exc})") from None
        except sqlite3.Error as exc:
            raise StateError(
                f"the Silvasoft request ledger {self.path} cannot be used ({exc}); delete it to start its count over "
                "(it only counts the last hour's requests)"
            ) from None
