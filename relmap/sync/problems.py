"""Open problems: every relation that is not in step stays visible, run after run, until it is.

A run reads only what changed, so a relation that failed once is not read again until it changes. Its problem is
kept in the state (kind, message, first seen, last tried) and every later run reports it again as failed, with its
exit code; it closes when the relation syncs, is skipped by the mapping, or is gone from OutSmart (a full read that
no longer returns it). A conflict is not checked again (which would cost a listing of Silvasoft) until one of the
two relations changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from relmap.mapping.render import Rendered
from relmap.state.store import Link, Problem, State, payload_hash
from relmap.sync.apply import Outcome
from relmap.sync.changes import Change

if TYPE_CHECKING:
    from relmap.sync.results import Item

IN_STEP = frozenset({"created", "updated", "linked", "unchanged", "skipped"})


class ProblemBook:
    """The open problems of one state, as a run finds, refreshes and closes them."""

    def __init__(self, state: State, clock: Callable[[], float]) -> None:
        self.state = state
        self.clock = clock
        self.open = state.problems()

    def known_conflict(self, result: Rendered, changed: set[str]) -> Problem | None:
        """The open conflict of a relation whose payload is as it was, while the other relation did not change
        either: planning it again would give the same conflict, at the price of listing Silvasoft."""
        problem = self.open.get(result.debtor_number or "")
        if problem is None or problem.kind != "conflict" or result.payload is None:
            return None
        if problem.payload_hash != payload_hash(result.payload) or (problem.involves or "") in changed:
            return None
        return problem

    def record(self, pairs: Iterable[tuple[Outcome, Change | None, Rendered]], full: bool) -> None:
        """Note the failures of this run, close what is in step again, and on a full read what is gone."""
        now, read, mended = self.clock(), set(), []
        for outcome, change, result in pairs:
            debtor = outcome.debtor_number
            if not debtor:
                continue
            read.add(debtor)
            if outcome.action in IN_STEP:
                mended.append(debtor)
            elif outcome.action == "failed":
                self._note(debtor, outcome, change, result, now)
        if full:
            mended += [debtor for debtor in self.open if debtor not in read]
        self.state.close_problems([d for d in mended if d in self.open])
        self.open = self.state.problems()

    def _note(self, debtor: str, outcome: Outcome, change: Change | None, result: Rendered, now: float) -> None:
        earlier = self.open.get(debtor)
        kind = _kind(change, result, self.state.failure(debtor), outcome.error or "")
        problem = Problem(
            debtor,
            kind,
            outcome.error or "failed",
            outcome.name,
            payload_hash(result.payload) if result.payload is not None else None,
            change.involves if change is not None else None,
            earlier.first_seen if earlier else now,
            now,
        )
        self.state.note_problem(problem)

    def carried(self, read: set[str]) -> list[Outcome]:
        """The open problems of relations this run did not read: reported again, so that none is forgotten."""
        return [
            Outcome(debtor, problem.name, "failed", error=f"{problem.message} ({open_since(problem)}; not read again)")
            for debtor, problem in self.open.items()
            if debtor not in read
        ]


def changed_since(items: Iterable[Item], links: Mapping[str, Link], problems: dict[str, Problem]) -> set[str]:
    """The relations read whose payload differs from the last one synced (or, for an open problem, tried): a
    relation read again only because the read overlaps the last one did not change (a conflict stays known)."""
    changed = set()
    for item in items:
        debtor, payload = item.result.debtor_number or "", item.result.payload
        digest = payload_hash(payload) if payload is not None else None
        link, problem = links.get(debtor), problems.get(debtor)
        known = {link.payload_hash if link else None, problem.payload_hash if problem else None} - {None}
        if digest is None or digest not in known:
            changed.add(debtor)
    return changed


def open_since(problem: Problem) -> str:
    return "open since " + datetime.fromtimestamp(problem.first_seen).strftime("%Y-%m-%d %H:%M")


def _kind(change: Change | None, result: Rendered, refused: tuple[str, str] | None, error: str) -> str:
    if result.status == "error":
        return "render"
    if change is not None and change.involves:
        return "conflict"
    if refused is not None and result.payload is not None and refused[0] == payload_hash(result.payload):
        return "refused"
    if "missing from Silvasoft's listing" in error:
        return "missing"
    return "failed"
