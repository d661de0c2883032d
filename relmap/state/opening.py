"""Opening a state database: read-only or not, and every check made before the first write (damage, another
program's database, a newer relmap, another account), so that a state relmap cannot use is left as it was.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from relmap.errors import StateError
from relmap.state.check import BadRow, damaged
from relmap.state.lock import StateLock

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
CREATE TABLE IF NOT EXISTS problems (
    debtor_number TEXT PRIMARY KEY, kind TEXT NOT NULL, message TEXT NOT NULL, name TEXT NOT NULL,
    payload_hash TEXT, involves TEXT, first_seen REAL NOT NULL, last_tried REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS listing (position INTEGER PRIMARY KEY, relation TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (at REAL NOT NULL, endpoint TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ledger_at ON ledger (at);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL, mode TEXT NOT NULL,
    outcome TEXT, counts TEXT, requests INTEGER
);
"""

# The tables a relmap state has, with the columns it reads; another program's database is told apart by these.
TABLES = {
    "meta": ("key", "value"),
    "links": (
        "debtor_number", "guid", "customer_number", "route", "endpoint", "payload", "payload_hash", "matched_by",
        "synced_at", "written_back",
    ),
    "failures": ("debtor_number", "payload_hash", "error", "at"),
    "intents": ("id", "debtor_number", "action", "endpoint", "guid", "payload", "started_at"),
    "problems": (
        "debtor_number", "kind", "message", "name", "payload_hash", "involves", "first_seen", "last_tried",
    ),
    "listing": ("position", "relation"),
    "ledger": ("at", "endpoint"),
    "runs": ("id", "started_at", "finished_at", "mode", "outcome", "counts", "requests"),
}  # fmt: skip


def connect(lock: StateLock) -> sqlite3.Connection:
    """The database under ``lock``, read-only when the lock says this user cannot write it."""
    real = lock.real
    if not lock.read_only:
        db = sqlite3.connect(real, isolation_level=None, timeout=10)
        lock.hold_database()  # SQLite has created the file of a new state by now
        return db
    wal = Path(f"{real}-wal")
    # Without changes waiting in the -wal, the file is read as it is and SQLite creates nothing beside it.
    settled = not wal.exists() or wal.stat().st_size == 0
    if not settled and not Path(f"{real}-shm").exists() and not os.access(real.parent, os.W_OK):
        raise StateError(
            f"the state {lock.path} has changes in {wal} that SQLite can read only by creating {real}-shm, and its "
            "folder is read-only: run relmap once where the folder is writable, or copy the state with its -wal "
            "file to a writable folder"
        )
    uri = f"file:{quote(str(real))}?mode=ro{'&immutable=1' if settled else ''}"
    return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10)


def check(db: sqlite3.Connection, path: Path, target: str, formerly: str | None = None) -> bool:
    """Whether the file already holds a relmap state (False: a new, empty one), after every check; reads only.
    ``formerly``: the same account as an older relmap named it."""
    check_intact(db, path)
    _check_version(db, path)
    existing = check_tables(db, path)
    if existing:
        _check_target(db, path, target, formerly)
    return existing


def initialise(db: sqlite3.Connection, target: str) -> None:
    """Create what is missing and record the version and the account; the first write to the file."""
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_SCHEMA)
    for key, value in (("schema_version", str(SCHEMA_VERSION)), ("target", target)):
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def _meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _check_version(db: sqlite3.Connection, path: Path) -> None:
    try:
        version = _meta(db, "schema_version")
    except sqlite3.OperationalError:
        return  # no meta table to read: check_tables says what the file is
    if version is not None and (not version.isdigit() or int(version) > SCHEMA_VERSION):
        raise StateError(f"{path} was written by a newer relmap (state version {version})")


def _check_target(db: sqlite3.Connection, path: Path, target: str, formerly: str | None) -> None:
    known = _meta(db, "target")
    if known is not None and known not in (target, formerly):
        raise StateError(
            f"{path} holds the links of another Silvasoft account or URL; give this account its own state with "
            "--state FILE"
        )


def check_intact(db: sqlite3.Connection, path: Path) -> None:
    """SQLite's quick check of every page: damage is found before the run spends a request, not half-way."""
    found = [str(row[0]) for row in db.execute("PRAGMA quick_check(3)")]
    if found != ["ok"]:
        lines = [line for text in found for line in text.splitlines() if not line.startswith("***")]
        raise damaged(path, "; ".join(lines[:3]))


def check_tables(db: sqlite3.Connection, path: Path) -> bool:
    """Whether the database already holds a relmap state (False: it is empty). Another program's database is a
    StateError, raised before anything is written to it."""
    tables = {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables = {t for t in tables if not t.startswith("sqlite_")}
    if not tables:
        return False
    foreign = sorted(tables - TABLES.keys())
    problem = f"it has tables {', '.join(foreign)}" if foreign else None
    for table in sorted(tables & TABLES.keys()):
        columns = {str(r[1]) for r in db.execute(f"PRAGMA table_info({table})")}
        missing = [c for c in TABLES[table] if c not in columns]
        if missing and problem is None:
            problem = f"its table {table} has no column {missing[0]}"
    if problem is None and "meta" in tables:
        keys = {str(r[0]) for r in db.execute("SELECT key FROM meta")}
        if keys and not keys & {"schema_version", "target"}:
            problem = "its table meta records no relmap state version or Silvasoft account"
    if problem is None:
        return True  # relmap's own tables (a state whose first run stopped before it wrote its version, too)
    raise StateError(
        f"{path} is an SQLite database but not a relmap state ({problem}); relmap has not changed it: give this "
        "mapping its own state with --state FILE, or move that file away"
    )


def check_ledger(db: sqlite3.Connection) -> None:
    row = db.execute("SELECT rowid, at FROM ledger WHERE typeof(at) NOT IN ('real', 'integer') LIMIT 1").fetchone()
    if row is not None:
        raise BadRow("ledger", "rowid", row[0], f"at {row[1]!r} is not a time")
