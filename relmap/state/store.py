"""The sync state, in SQLite: links, last synced payloads, open write intents, the request ledger, run history.

One database belongs to one mapping and one Silvasoft account (checked on open). Every change is committed at once
(WAL), so a run killed at any moment leaves the state of its last finished step, plus the intents it had opened.
Whatever SQLite or a hand-edited row throws at it becomes a StateError that names the file (state_check.py); a
read-only state can still be opened by a dry run, whose ledger entries then stay in memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from relmap.errors import StateError
from relmap.state import opening as state_open
from relmap.state.check import Row, guarded, translated
from relmap.state.links import Link as Link
from relmap.state.links import LinkTable, check_links
from relmap.state.lock import StateLock
from relmap.state.opening import SCHEMA_VERSION as SCHEMA_VERSION
from relmap.state.rows import Intent as Intent
from relmap.state.rows import Problem as Problem
from relmap.state.rows import canonical as canonical
from relmap.state.rows import payload_hash as payload_hash
from relmap.state.rows import problem_from_row


def default_path(mapping: str | os.PathLike[str], sandbox: bool = False) -> Path:
    """``.relmap/<mapping name>.db`` beside the mapping (``.sandbox.db`` for --sandbox runs)."""
    path = Path(mapping)
    return path.parent / ".relmap" / f"{path.stem}{'.sandbox' if sandbox else ''}.db"


class State:
    """An open state database; one run at a time holds its lock.

    ``lock``: a lock the caller already holds (and releases); otherwise the state takes its own. ``may_read_only``:
    a state this user cannot write is opened read-only (for a dry run) instead of refused."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        target: str,
        *,
        lock: StateLock | None = None,
        command: str | None = None,
        may_read_only: bool = False,
        formerly: str | None = None,
    ) -> None:
        self.path = Path(path)
        self._own_lock = lock is None
        self._lock = lock or StateLock(path, command, may_read_only)
        self.read_only = self._lock.read_only
        self._unrecorded: list[float] = []  # a read-only state's ledger entries of this run
        try:
            with translated(self.path):
                self.db = state_open.connect(self._lock)
                self._links = LinkTable(self.db, self.path)
                existing = state_open.check(self.db, self.path, target, formerly)
                if existing:
                    self._check_rows()
                if not self.read_only:
                    state_open.initialise(self.db, target)
                elif not existing:
                    raise StateError(f"the state {self.path} is empty and read-only; run once with write access")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        db: sqlite3.Connection | None = getattr(self, "db", None)
        if db is not None:
            db.close()  # before the lock: closing the lock's descriptor of the file must find SQLite done
        if self._own_lock:
            self._lock.close()

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_rows(self) -> None:
        """Every row a run reads is checked now, so a hand-edited one stops the run before it spends a request."""
        check_links(self.db)
        self.intents()
        self.problems()
        state_open.check_ledger(self.db)

    # meta
    @guarded
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @guarded
    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # links
    @guarded
    def links(self) -> dict[str, Link]:
        """Every link, read now (a run asks ``link_table()`` instead, which reads what it needs)."""
        return {link.debtor_number: link for link in self._links.each()}

    def link(self, debtor_number: str) -> Link | None:
        return self._links.link(debtor_number)

    def link_table(self) -> LinkTable:
        """The links as a run reads them: each relation's link once, when first asked for (see state_links.py)."""
        return self._links

    @guarded
    def save_link(
        self,
        debtor_number: str,
        guid: int,
        *,
        customer_number: int | None,
        route: str | None,
        endpoint: str | None,
        payload: dict[str, Any] | None,
        matched_by: str,
        intent: int | None = None,
    ) -> None:
        """Link (or re-link) a relation and remember what was synced; closes ``intent`` in the same transaction."""
        digest = payload_hash(payload) if payload is not None else None
        self._links.changed([debtor_number])
        with self._transaction():
            self.db.execute(
                "INSERT INTO links (debtor_number, guid, customer_number, route, endpoint, payload, payload_hash,"
                " matched_by, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (debtor_number) DO UPDATE SET guid = excluded.guid,"
                " customer_number = excluded.customer_number, route = excluded.route, endpoint = excluded.endpoint,"
                " payload = excluded.payload, payload_hash = excluded.payload_hash, synced_at = excluded.synced_at,"
                " written_back = CASE WHEN links.guid = excluded.guid THEN links.written_back ELSE 0 END",
                (
                    debtor_number,
                    guid,
                    customer_number,
                    route,
                    endpoint,
                    None if payload is None else json.dumps(payload, ensure_ascii=False),
                    digest,
                    matched_by,
                    time.time(),
                ),
            )
            self.db.execute("DELETE FROM failures WHERE debtor_number = ?", (debtor_number,))
            if intent is not None:
                self.db.execute("DELETE FROM intents WHERE id = ?", (intent,))

    @guarded
    def guid_owner(self, guid: int) -> str | None:
        row = self.db.execute("SELECT debtor_number FROM links WHERE guid = ?", (guid,)).fetchone()
        return None if row is None else str(row[0])

    @guarded
    def mark_written_back(self, debtor_numbers: list[str]) -> None:
        self._links.changed(debtor_numbers)
        with self._transaction():
            self.db.executemany(
                "UPDATE links SET written_back = 1 WHERE debtor_number = ?", [(d,) for d in debtor_numbers]
            )

    # failures: a record Silvasoft refused is not sent again until its payload changes
    @guarded
    def failure(self, debtor_number: str) -> tuple[str, str] | None:
        row = self.db.execute(
            "SELECT payload_hash, error FROM failures WHERE debtor_number = ?", (debtor_number,)
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    @guarded
    def save_failure(self, debtor_number: str, payload: dict[str, Any], error: str, intent: int | None) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO failures (debtor_number, payload_hash, error, at) VALUES (?, ?, ?, ?)",
                (debtor_number, payload_hash(payload), error, time.time()),
            )
            if intent is not None:
                self.db.execute("DELETE FROM intents WHERE id = ?", (intent,))

    # problems: every relation not in step, from the run that found it until the run that mends it
    @guarded
    def problems(self) -> dict[str, Problem]:
        if not self._has_table("problems"):
            return {}  # a state from before problems were kept: the table is made when it is opened to write
        rows = self.db.execute("SELECT * FROM problems ORDER BY first_seen, debtor_number")
        return {str(row[0]): problem_from_row(row) for row in rows}

    @guarded
    def note_problem(self, problem: Problem) -> None:
        """Record or refresh a problem; its ``first_seen`` stays that of the run that first found it."""
        self.db.execute(
            "INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (debtor_number) DO UPDATE SET "
            "kind = excluded.kind, message = excluded.message, name = excluded.name, "
            "payload_hash = excluded.payload_hash, involves = excluded.involves, last_tried = excluded.last_tried",
            (
                problem.debtor_number, problem.kind, problem.message, problem.name, problem.payload_hash,
                problem.involves, problem.first_seen, problem.last_tried,
            ),
        )  # fmt: skip

    @guarded
    def close_problems(self, debtor_numbers: list[str]) -> None:
        self.db.executemany("DELETE FROM problems WHERE debtor_number = ?", [(d,) for d in debtor_numbers])

    @guarded
    def forget_failures(self) -> None:
        """Every refusal is tried again (``--retry-failed``, ``--full``, a changed mapping)."""
        self.db.execute("DELETE FROM failures")

    def _has_table(self, name: str) -> bool:
        row = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
        return row is not None

    # intents: written before every write, closed with its outcome
    @guarded
    def open_intent(
        self, debtor_number: str, action: str, endpoint: str, payload: dict[str, Any], guid: int | None
    ) -> int:
        cursor = self.db.execute(
            "INSERT INTO intents (debtor_number, action, endpoint, guid, payload, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (debtor_number, action, endpoint, guid, json.dumps(payload, ensure_ascii=False), time.time()),
        )
        return int(cursor.lastrowid or 0)

    @guarded
    def close_intent(self, intent: int) -> None:
        self.db.execute("DELETE FROM intents WHERE id = ?", (intent,))

    @guarded
    def intents(self) -> list[Intent]:
        found = []
        for row in self.db.execute("SELECT * FROM intents ORDER BY id"):
            read = Row("intents", "id", row[0])
            action = read.text("action", row[2]) or ""
            if action not in ("create", "update"):
                raise read.bad(f"action {action!r} is neither create nor update")
            payload = read.json_object("payload", row[5]) or {}
            guid = read.whole("guid", row[4], nullable=True)
            found.append(
                Intent(row[0], str(row[1]), action, read.text("endpoint", row[3]) or "", guid, payload, row[6])
            )
        return found

    @guarded
    def forget_payload(self, debtor_number: str) -> None:
        """The last update's outcome is unknown: the next run checks Silvasoft and sends what differs.

        The payload stays as the last *confirmed* one (the base for drift); only its hash goes, which marks the link
        unconfirmed."""
        self._links.changed([debtor_number])
        self.db.execute("UPDATE links SET payload_hash = NULL WHERE debtor_number = ?", (debtor_number,))

    # ledger: every Silvasoft request, so that back-to-back runs share the hour
    @guarded
    def ledger_since(self, since: float) -> list[float]:
        rows = self.db.execute("SELECT at FROM ledger WHERE at >= ? ORDER BY at", (since,)).fetchall()
        return sorted([float(r[0]) for r in rows] + [at for at in self._unrecorded if at >= since])

    @guarded
    def record_request(self, at: float, endpoint: str) -> None:
        if self.read_only:
            self._unrecorded.append(at)  # counted for this run's budget; the dry run says it was not recorded
            return
        self.db.execute("INSERT INTO ledger (at, endpoint) VALUES (?, ?)", (at, endpoint))

    @guarded
    def prune_ledger(self, before: float) -> None:
        if not self.read_only:
            self.db.execute("DELETE FROM ledger WHERE at < ?", (before,))

    @property
    def unrecorded_requests(self) -> int:
        """Silvasoft requests of this run a read-only state could not add to its ledger."""
        return len(self._unrecorded)

    # runs
    @guarded
    def start_run(self, mode: str) -> int:
        cursor = self.db.execute("INSERT INTO runs (started_at, mode) VALUES (?, ?)", (time.time(), mode))
        return int(cursor.lastrowid or 0)

    @guarded
    def finish_run(self, run: int, outcome: str, counts: dict[str, int], requests: int) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, outcome = ?, counts = ?, requests = ? WHERE id = ?",
            (time.time(), outcome, json.dumps(counts, sort_keys=True), requests, run),
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.db.execute("COMMIT")
        elif self.db.in_transaction:  # SQLite may have rolled back already (a full disk): keep the first error
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
