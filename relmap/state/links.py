"""The links table as a run reads it: a relation's link when the run first asks for it, kept for the rest of the run.

A run reads the links of the relations it read from OutSmart (an incremental run with nothing changed: a handful),
not the whole table; what needs every link (who owns which GUID, the identities of every linked relation) reads
only what it needs, when it needs it. Every row is still checked when the state is opened, in one pass of SQLite
(``check_links``), so that a row edited by hand stops the run before it spends a request, as it always did.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator, Mapping, ValuesView
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relmap.state.check import Row, guarded, translated

COLUMNS = "debtor_number, guid, customer_number, route, endpoint, payload, payload_hash, matched_by, written_back"

# The rows SQLite cannot vouch for: a column of another type than relmap writes, or a payload that is not a JSON
# object. It errs on the side of suspicion (a payload too long for it to rule out a number Python refuses, or one
# Python reads but SQLite does not, such as NaN); each suspect is then read as a run reads it, which decides.
_SUSPECTS = f"""
SELECT {COLUMNS} FROM links WHERE typeof(guid) != 'integer'
    OR typeof(customer_number) NOT IN ('integer', 'null') OR typeof(route) NOT IN ('text', 'null')
    OR typeof(endpoint) NOT IN ('text', 'null') OR typeof(payload_hash) NOT IN ('text', 'null')
    OR typeof(matched_by) != 'text' OR typeof(written_back) != 'integer'
    OR CASE WHEN payload IS NULL THEN 0 WHEN typeof(payload) != 'text' THEN 1 WHEN length(payload) > ? THEN 1
            WHEN NOT json_valid(payload) THEN 1 ELSE json_type(payload) != 'object' END
"""


@dataclass(frozen=True, slots=True)
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


def link_of(row: tuple[Any, ...]) -> Link:
    """One row (of ``COLUMNS``), each column checked for what relmap wrote there; a BadRow names the row."""
    read = Row("links", "debtor_number", row[0])
    return Link(
        str(row[0]),
        read.whole("guid", row[1]) or 0,
        read.whole("customer_number", row[2], nullable=True),
        read.text("route", row[3], nullable=True),
        read.text("endpoint", row[4], nullable=True),
        read.json_object("payload", row[5], nullable=True),
        read.text("payload_hash", row[6], nullable=True),
        read.text("matched_by", row[7]) or "",
        bool(read.whole("written_back", row[8])),
    )


def check_links(db: sqlite3.Connection) -> None:
    """Every row checked without reading each into a Link: SQLite picks the rows that may be bad, and each is read as
    a run would read it (the first bad one raises). Without SQLite's JSON functions, every row is read."""
    digits = sys.get_int_max_str_digits() or sys.maxsize  # a longer number is a ValueError to json.loads
    try:
        rows = db.execute(_SUSPECTS, (min(digits, 2**62),))
    except sqlite3.OperationalError as exc:
        if "no such function" not in str(exc):
            raise
        rows = db.execute(f"SELECT {COLUMNS} FROM links")
    for row in rows:
        link_of(row)


class LinkTable(Mapping[str, Link]):
    """debtor_number → Link for one open state. A lookup reads one row, once: the state tells the table of each write
    (``changed``), so what it keeps is what the database holds. Iterating the values reads every row, one at a time,
    and keeps none of them."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        self._read: dict[str, Link | None] = {}
        self._snapshots: list[Snapshot] = []

    @guarded
    def link(self, debtor_number: str) -> Link | None:
        if debtor_number not in self._read:
            row = self.db.execute(f"SELECT {COLUMNS} FROM links WHERE debtor_number = ?", (debtor_number,)).fetchone()
            self._read[debtor_number] = None if row is None else link_of(row)
        return self._read[debtor_number]

    def __getitem__(self, debtor_number: str) -> Link:
        found = self.link(debtor_number)
        if found is None:
            raise KeyError(debtor_number)
        return found

    def __iter__(self) -> Iterator[str]:
        with translated(self.path):
            yield from (str(row[0]) for row in self.db.execute("SELECT debtor_number FROM links"))

    @guarded
    def __len__(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM links").fetchone()[0])

    def values(self) -> ValuesView[Link]:
        return _Streamed(self)

    def each(self) -> Iterator[Link]:
        """Every link, read row by row and not kept."""
        with translated(self.path):
            yield from (link_of(row) for row in self.db.execute(f"SELECT {COLUMNS} FROM links"))

    @guarded
    def owners(self) -> dict[int, str]:
        """GUID → debtor_number of every link (two columns: no payload is read)."""
        return {int(row[0]): str(row[1]) for row in self.db.execute("SELECT guid, debtor_number FROM links")}

    def snapshot(self) -> Snapshot:
        """The links as they are now, whatever the run writes afterwards."""
        taken = Snapshot(self)
        self._snapshots.append(taken)
        return taken

    def changed(self, debtor_numbers: list[str]) -> None:
        """These links are about to be written: each snapshot keeps them as they were, and the next lookup reads them
        again."""
        for taken in self._snapshots:
            taken.keep(debtor_numbers)
        for debtor_number in debtor_numbers:
            self._read.pop(debtor_number, None)


class Snapshot(Mapping[str, Link]):
    """The link table as it was when the snapshot was taken: a link the run wrote since is its earlier version (or
    absent, if it is new). The planner decides on these, as on a copy of the table, without reading it all."""

    def __init__(self, table: LinkTable) -> None:
        self.table = table
        self._before: dict[str, Link | None] = {}  # written since: what was there (None: no link)

    def keep(self, debtor_numbers: list[str]) -> None:
        for debtor_number in debtor_numbers:
            if debtor_number not in self._before:
                self._before[debtor_number] = self.table.link(debtor_number)

    def link(self, debtor_number: str) -> Link | None:
        if debtor_number in self._before:
            return self._before[debtor_number]
        return self.table.link(debtor_number)

    def __getitem__(self, debtor_number: str) -> Link:
        found = self.link(debtor_number)
        if found is None:
            raise KeyError(debtor_number)
        return found

    def __iter__(self) -> Iterator[str]:
        return (link.debtor_number for link in self.each())

    def __len__(self) -> int:
        return sum(1 for _ in self.each())

    def values(self) -> ValuesView[Link]:
        return _Streamed(self)

    def each(self) -> Iterator[Link]:
        """Every link as it was, read row by row (links are never deleted, only written)."""
        for link in self.table.each():
            if link.debtor_number not in self._before:
                yield link
            elif (before := self._before[link.debtor_number]) is not None:
                yield before

    def owners(self) -> dict[int, str]:
        """GUID → debtor_number of every link as it was."""
        owners = self.table.owners()
        if self._before:
            owners = {guid: debtor for guid, debtor in owners.items() if debtor not in self._before}
            owners.update({link.guid: debtor for debtor, link in self._before.items() if link is not None})
        return owners


class _Streamed(ValuesView[Link]):
    def __init__(self, links: LinkTable | Snapshot) -> None:
        super().__init__(links)
        self.links = links

    def __iter__(self) -> Iterator[Link]:
        return self.links.each()
