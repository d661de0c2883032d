"""What the state keeps, as values: a payload's canonical text and hash, an open write intent, a problem.

relmap.state.store reads and writes them; they are also what ``relmap status`` and the run's report show.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from relmap.state.check import Row


def payload_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(payload).encode()).hexdigest()


def canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Intent:
    id: int
    debtor_number: str
    action: str  # create | update
    endpoint: str
    guid: int | None
    payload: dict[str, Any]
    started_at: float


@dataclass(frozen=True)
class Problem:
    """A relation that is not in step with OutSmart, kept until it is: every run and ``relmap status`` say so.

    ``kind``: render (the mapping cannot make its payload), conflict (it shares an identity with another relation),
    refused (Silvasoft refused its data), missing (its linked Silvasoft relation is gone), failed (anything else)."""

    debtor_number: str
    kind: str
    message: str
    name: str
    payload_hash: str | None  # the payload it had when it failed: a conflict is checked again only once it changes
    involves: str | None  # the other relation of a conflict
    first_seen: float
    last_tried: float


def problem_from_row(row: tuple[Any, ...]) -> Problem:
    """A row of the problems table; a hand-edited one that does not fit is a BadRow naming it."""
    read = Row("problems", "debtor_number", row[0])
    return Problem(
        str(row[0]), read.text("kind", row[1]) or "failed", read.text("message", row[2]) or "",
        read.text("name", row[3]) or "", read.text("payload_hash", row[4], True),
        read.text("involves", row[5], True), read.number("first_seen", row[6]), read.number("last_tried", row[7]),
    )  # fmt: skip
