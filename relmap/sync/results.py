"""What a sync run gives back: each relation's outcome and the run's totals (RunResult), the relations it read
(Item), and what a dry run planned (Preview); and the progress hooks a run reports to."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from relmap.mapping.coverage import Exercised
from relmap.mapping.render import Rendered
from relmap.sources.records import SourceRecord
from relmap.state.store import Problem
from relmap.sync.apply import Outcome
from relmap.sync.changes import Change


class Progress(Protocol):
    def phase(self, text: str) -> None: ...
    def start(self, total: int) -> None: ...
    def advance(self, outcome: Outcome) -> None: ...


class Silent:
    def phase(self, text: str) -> None:
        pass

    def start(self, total: int) -> None:
        pass

    def advance(self, outcome: Outcome) -> None:
        pass


@dataclass
class RunResult:
    outcomes: list[Outcome] = field(default_factory=list)
    silvasoft_requests: int = 0
    outsmart_requests: int = 0
    budget_left: int = 0
    per_hour: int = 0
    stopped: str | None = None  # why the run stopped before the end (budget, rate limit)
    resume_at: float | None = None
    full: bool = False
    warnings: list[str] = field(default_factory=list)
    stale: int = 0  # with a saved plan: relations left alone because they changed since the plan was made
    carried: int = 0  # failed relations of earlier runs, not read this run, reported again
    left_out: int = 0  # relations read but left for a later run (--only, --limit)
    problems: list[Problem] = field(default_factory=list)  # every relation not in step after this run

    def counts(self) -> Counter[str]:
        return Counter(o.action for o in self.outcomes)


@dataclass(frozen=True, slots=True)
class Item:
    """One relation read this run, with what the mapping made of it."""

    record: SourceRecord | None  # None for a record OutSmart sent that could not be read, or one not kept
    result: Rendered
    name: str
    modified_at: str | None
    source: str | None = None  # where the record is not kept (a dry run's): its fingerprint (saved.py)


@dataclass
class Preview:
    """What a run would do, planned but not applied (``run --dry-run``); Silvasoft was only read."""

    items: list[Item]
    changes: list[Change]
    fingerprints: list[tuple[str, str | None]]  # (OutSmart, Silvasoft) per relation, for a saved plan
    since: str | None
    listed: bool
    silvasoft_requests: int = 0
    outsmart_requests: int = 0
    budget_left: int = 0
    per_hour: int = 0
    interval: float = 0.0  # seconds between Silvasoft requests at the account's pace
    identify: str = ""  # how the unlinked relations were identified: the listing, or targeted lookups
    lookups: int = 0  # of silvasoft_requests, the targeted lookups: the run does not make them (its creates answer)
    carried: list[Outcome] = field(default_factory=list)  # open problems of relations this plan did not read
    exercised: Exercised | None = None  # what rendering the records exercised, for coverage (a full read only)

    @property
    def full(self) -> bool:
        return self.since is None
