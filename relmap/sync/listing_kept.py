"""A whole listing of Silvasoft that a run could not finish within its hour, kept in the state for the next run.

A whole listing (a full read compares every linked relation with Silvasoft's copy; an interrupted write is settled
from it) takes one request per 200 relations: 3,000 relations are 15 requests, the free plan's whole hour. Started
from offset 0 in every run, it would never end. So each page is kept as it comes (table ``listing``), and the next
run goes on after the last relation kept, first checking that this relation is still where it was (else relations
before it were deleted, the offsets moved, and the listing starts over). A kept listing older than a day is not
trusted and is started over too. It is dropped once a run has it whole.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from relmap.state.store import State
from relmap.sync.identity import guid_of

STARTED = "silvasoft_listing_started_at"  # state meta: when the kept listing's first page was read
TRUSTED_FOR = 24 * 3600.0


class KeptListing:
    """The pages of an unfinished whole listing in the state (in memory only for a read-only state)."""

    def __init__(self, state: State, write: bool, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.write = write and not state.read_only
        self.clock = clock

    def relations(self) -> list[dict[str, Any]]:
        """What an earlier run listed, oldest first; [] when there is none, or it is too old to go on from."""
        started = self.state.get_meta(STARTED)
        try:
            fresh = started is not None and self.clock() - float(started) < TRUSTED_FOR
        except ValueError:
            fresh = False
        if not fresh or not self._has_table():
            self.drop()
            return []
        rows = self.state.db.execute("SELECT relation FROM listing ORDER BY position").fetchall()
        found = [json.loads(row[0]) for row in rows]
        return found if all(isinstance(r, dict) and guid_of(r) is not None for r in found) else self._dropped()

    def add(self, position: int, relations: list[dict[str, Any]]) -> None:
        if not self.write:
            return
        if position == 0:
            self.drop()
            self.state.set_meta(STARTED, repr(self.clock()))
        self.state.db.executemany(
            "INSERT OR REPLACE INTO listing (position, relation) VALUES (?, ?)",
            [(position + n, json.dumps(r, ensure_ascii=False)) for n, r in enumerate(relations)],
        )

    def drop(self) -> None:
        if self.write and self._has_table():
            self.state.db.execute("DELETE FROM listing")
            self.state.set_meta(STARTED, None)

    def _dropped(self) -> list[dict[str, Any]]:
        self.drop()
        return []

    def _has_table(self) -> bool:
        row = self.state.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'listing'")
        return row.fetchone() is not None
