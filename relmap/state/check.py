"""What can be wrong with a state database, in words a user can act on: SQLite's errors, another program's database,
damage, and rows edited by hand. Every message names the file, says what is wrong and what to do; none deletes.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from relmap.errors import StateError

RECOVER = "restore a backup, or move it away (keep it) and run with --full to relink from Silvasoft"
_ROW_ADVICE = {
    "links": "run with --full to relink the relation from Silvasoft",
    "intents": "run with --full (the run lists Silvasoft and links what an interrupted write made)",
    "ledger": "run again (the ledger only counts the hour's Silvasoft requests)",
    "problems": "run with --full (it finds the relations that are not in step again)",
}
_SQLITE_MAGIC = b"SQLite format 3\x00"


class BadRow(ValueError):
    """One row of the state that relmap cannot read (edited by hand?), found by ``column = value``."""

    def __init__(self, table: str, column: str, value: Any, problem: str) -> None:
        self.table, self.column, self.value, self.problem = table, column, value, problem
        super().__init__(f"{table} ({column} {value!r}): {problem}")


class _Located(Protocol):
    path: Path


S = TypeVar("S", bound=_Located)
P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def translated(path: Path) -> Iterator[None]:
    """SQLite's errors and unreadable rows become a StateError naming the file. A broken UNIQUE rule stays an
    IntegrityError: that is relmap's own mistake, not the state's."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except sqlite3.Error as exc:
        raise database_error(path, exc) from None
    except BadRow as row:
        raise bad_row(path, row) from None


def guarded(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """A method of the state whose errors are ``translated`` for its file."""

    @functools.wraps(method)
    def wrapper(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
        with translated(self.path):
            return method(self, *args, **kwargs)

    return wrapper


def bad_row(path: Path, row: BadRow) -> StateError:
    literal = "'" + row.value.replace("'", "''") + "'" if isinstance(row.value, str) else str(row.value)
    delete = f"DELETE FROM {row.table} WHERE {row.column} = {literal}"
    return StateError(
        f"the state {path} has a damaged row in {row.table} ({row.column} {row.value!r}): {row.problem}; restore a "
        f"backup, or delete that row ({delete}) and {_ROW_ADVICE[row.table]}"
    )


def database_error(path: Path, exc: sqlite3.Error) -> StateError:
    """SQLite's error, said as what it means for the run; nothing of the state is deleted or overwritten."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        return StateError(
            f"cannot write the state {path}: the disk is full ({exc}); what was recorded before is kept: free some "
            "space and run again (the next run checks Silvasoft for any write this run could not record)"
        )
    if name.startswith("SQLITE_IOERR"):
        return StateError(
            f"cannot read or write the state {path} ({exc}); what was recorded before is kept: check the disk (free "
            "space, quota, file size limit) and run again"
        )
    if name.startswith("SQLITE_READONLY"):
        return StateError(
            f"the state {path} cannot be written ({exc}): make it and its folder writable for this user and run again"
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StateError(
            f"the state {path} is locked by another program ({exc}); close it (an sqlite3 shell?) and run again"
        )
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return damaged(path, str(exc))
    if name.startswith("SQLITE_CANTOPEN"):
        return StateError(f"cannot open the state {path} ({exc}); check that it and its folder can be read")
    return StateError(f"the state {path} cannot be used ({exc}); {RECOVER}")


def damaged(path: Path, detail: str) -> StateError:
    if detail == "file is not a database" and not _was_sqlite(path):
        return StateError(f"{path}: not a relmap state database (file is not a database)")
    return StateError(f"the state {path} is damaged ({detail}); relmap has not changed it: {RECOVER}")


def _was_sqlite(path: Path) -> bool:
    """A file that starts as SQLite's do, or whose first page is zeroed: a state that was damaged, not another
    program's file."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(512)
    except OSError:
        return False
    return start.startswith(_SQLITE_MAGIC) or (len(start) == 512 and not any(start))


@dataclass(frozen=True)
class Row:
    """Reads the columns of one row, each checked for what relmap wrote there; a BadRow names the row."""

    table: str
    column: str  # the column that finds the row (its key)
    key: Any

    def json_object(self, column: str, text: Any, nullable: bool = False) -> dict[str, Any] | None:
        if text is None and nullable:
            return None
        if not isinstance(text, str):
            raise self.bad(f"{column} {text!r} is not JSON text")
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise self.bad(f"{column} is not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise self.bad(f"{column} is a JSON {type(value).__name__}, not an object")
        return value

    def whole(self, column: str, value: Any, nullable: bool = False) -> int | None:
        """An INTEGER column: SQLite keeps whatever text was written into it."""
        if (value is None and nullable) or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise self.bad(f"{column} {value!r} is not a whole number")

    def number(self, column: str, value: Any) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise self.bad(f"{column} {value!r} is not a time")

    def text(self, column: str, value: Any, nullable: bool = False) -> str | None:
        if (value is None and nullable) or isinstance(value, str):
            return value
        raise self.bad(f"{column} {value!r} is not text")

    def bad(self, problem: str) -> BadRow:
        return BadRow(self.table, self.column, self.key, problem)
