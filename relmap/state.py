"""The sync state, in SQLite: links, last synced payloads, open write intents, the request ledger, run history.

One database belongs to one mapping and one Silvasoft account (checked on open). Every change is committed at once
(WAL), so a run killed at any moment leaves the state of its last finished step, plus the intents it had opened.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relmap.errors import StateError

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS links (
    debtor_number TEXT PRIMARY KEY,
    guid INTEGER NOT NULL UNIQUE,
    customer_number INTEGER,
    route TEXT,
    endpoint TEXT,
    payload TEXT,
    payload_hash TEXT,
    matched_by TEXT NOT NULL,
    synced_at REAL NOT NULL,
    written_back INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS failures (
    debtor_number TEXT PRIMARY KEY, payload_hash TEXT NOT NULL, error TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS intents (
    id INTEGER PRIMARY KEY, debtor_number TEXT NOT NULL, action TEXT NOT NULL, endpoint TEXT NOT NULL,
    guid INTEGER, payload TEXT NOT NULL, started_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger (at REAL NOT NULL, endpoint TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ledger_at ON ledger (at);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL, mode TEXT NOT NULL,
    outcome TEXT, counts TEXT, requests INTEGER
);
"""


def payload_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(payload).encode()).hexdigest()


def canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def default_path(mapping: str | os.PathLike[str], sandbox: bool = False) -> Path:
    """``.relmap/<mapping name>.db`` beside the mapping (``.sandbox.db`` for --sandbox runs)."""
    path = Path(mapping)
    return path.parent / ".relmap" / f"{path.stem}{'.sandbox' if sandbox else ''}.db"


@dataclass(frozen=True)
class Link:
    debtor_number: str
    guid: int
    customer_number: int | None
    route: str | None
    endpoint: str | None
    payload: dict[str, Any] | None
    payload_hash: str | None
    matched_by: str
    written_back: bool


@dataclass(frozen=True)
class Intent:
    id: int
    debtor_number: str
    action: str  # create | update
    endpoint: str
    guid: int | None
    payload: dict[str, Any]
    started_at: float


class State:
    """An open state database; one run at a time holds its lock."""

    def __init__(self, path: str | os.PathLike[str], target: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(self.path)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self._check(target)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StateError(f"{self.path}: not a relmap state database ({exc})") from None
        except StateError:
            self.close()
            raise

    def close(self) -> None:
        self.db.close()
        self._lock.close()

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, target: str) -> None:
        version = self.get_meta("schema_version")
        if version is not None and (not version.isdigit() or int(version) > SCHEMA_VERSION):
            raise StateError(f"{self.path} was written by a newer relmap (state version {version})")
        known = self.get_meta("target")
        if known is not None and known != target:
            raise StateError(
                f"{self.path} holds the links of another Silvasoft account or URL; "
                "give this account its own state with --state FILE"
            )
        self.set_meta("schema_version", str(SCHEMA_VERSION))
        self.set_meta("target", target)

    # meta
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # links
    def links(self) -> dict[str, Link]:
        return {link.debtor_number: link for link in self._links("SELECT * FROM links", ())}

    def link(self, debtor_number: str) -> Link | None:
        return next(iter(self._links("SELECT * FROM links WHERE debtor_number = ?", (debtor_number,))), None)

    def _links(self, sql: str, args: tuple[Any, ...]) -> Iterator[Link]:
        for row in self.db.execute(sql, args):
            payload = json.loads(row[5]) if row[5] else None
            yield Link(row[0], int(row[1]), row[2], row[3], row[4], payload, row[6], row[7], bool(row[9]))

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

    def guid_owner(self, guid: int) -> str | None:
        row = self.db.execute("SELECT debtor_number FROM links WHERE guid = ?", (guid,)).fetchone()
        return None if row is None else str(row[0])

    def mark_written_back(self, debtor_numbers: list[str]) -> None:
        with self._transaction():
            self.db.executemany(
                "UPDATE links SET written_back = 1 WHERE debtor_number = ?", [(d,) for d in debtor_numbers]
            )

    # failures: a record Silvasoft refused is not sent again until its payload changes
    def failure(self, debtor_number: str) -> tuple[str, str] | None:
        row = self.db.execute(
            "SELECT payload_hash, error FROM failures WHERE debtor_number = ?", (debtor_number,)
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def save_failure(self, debtor_number: str, payload: dict[str, Any], error: str, intent: int | None) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO failures (debtor_number, payload_hash, error, at) VALUES (?, ?, ?, ?)",
                (debtor_number, payload_hash(payload), error, time.time()),
            )
            if intent is not None:
                self.db.execute("DELETE FROM intents WHERE id = ?", (intent,))

    # intents: written before every write, closed with its outcome
    def open_intent(
        self, debtor_number: str, action: str, endpoint: str, payload: dict[str, Any], guid: int | None
    ) -> int:
        cursor = self.db.execute(
            "INSERT INTO intents (debtor_number, action, endpoint, guid, payload, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (debtor_number, action, endpoint, guid, json.dumps(payload, ensure_ascii=False), time.time()),
        )
        return int(cursor.lastrowid or 0)

    def close_intent(self, intent: int) -> None:
        self.db.execute("DELETE FROM intents WHERE id = ?", (intent,))

    def intents(self) -> list[Intent]:
        rows = self.db.execute("SELECT * FROM intents ORDER BY id").fetchall()
        return [Intent(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6]) for r in rows]

    def forget_payload(self, debtor_number: str) -> None:
        """The last update's outcome is unknown: the next run checks Silvasoft and sends what differs.

        The payload stays as the last *confirmed* one (the base for drift); only its hash goes, which marks the link
        unconfirmed."""
        self.db.execute("UPDATE links SET payload_hash = NULL WHERE debtor_number = ?", (debtor_number,))

    # ledger: every Silvasoft request, so that back-to-back runs share the hour
    def ledger_since(self, since: float) -> list[float]:
        rows = self.db.execute("SELECT at FROM ledger WHERE at >= ? ORDER BY at", (since,)).fetchall()
        return [float(r[0]) for r in rows]

    def record_request(self, at: float, endpoint: str) -> None:
        self.db.execute("INSERT INTO ledger (at, endpoint) VALUES (?, ?)", (at, endpoint))

    def prune_ledger(self, before: float) -> None:
        self.db.execute("DELETE FROM ledger WHERE at < ?", (before,))

    # runs
    def start_run(self, mode: str) -> int:
        cursor = self.db.execute("INSERT INTO runs (started_at, mode) VALUES (?, ?)", (time.time(), mode))
        return int(cursor.lastrowid or 0)

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
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


class _Lock:
    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def close(self) -> None:
        if not self.handle.closed:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()


def _lock(path: Path) -> _Lock:
    """One run per state database: a second run (an overlapping cron job) stops at once instead of racing."""
    handle = open(f"{path}.lock", "a+")  # noqa: SIM115 - held open for the whole run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StateError(f"another relmap run is using {path}; try again when it has finished") from None
    return _Lock(handle)
