"""One sync run: read OutSmart, render, settle interrupted writes, plan, apply within the budget, write back.

The run reads incrementally (``modified_at ge`` the last watermark minus an overlap) unless ``--full`` or the
mapping changed; the watermark never moves past a relation that is still pending, so nothing is lost.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from relmap.budget import Budget
from relmap.errors import BudgetSpent, RateLimited, RelmapError
from relmap.plan import Plan, Rule
from relmap.render import Rendered, render_all
from relmap.sources.outsmart import OutSmartClient
from relmap.sources.records import RecordProblem, SourceRecord
from relmap.state import State, payload_hash
from relmap.sync.apply import Applier, Outcome, outcome
from relmap.sync.changes import Change, Planner
from relmap.sync.identity import Directory
from relmap.sync.writeback import write_back
from relmap.targets.silvasoft import SilvasoftClient

STAMP = "%Y-%m-%d %H:%M:%S"
OVERLAP = timedelta(minutes=15)  # OutSmart's clock and ours may disagree; re-reading a little costs nothing


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

    def counts(self) -> Counter[str]:
        return Counter(o.action for o in self.outcomes)


@dataclass(frozen=True)
class Item:
    """One relation read this run, with what the mapping made of it."""

    record: SourceRecord | None
    result: Rendered
    name: str
    modified_at: str | None


class Sync:
    def __init__(
        self,
        plan: Plan,
        state: State,
        silvasoft: SilvasoftClient,
        budget: Budget,
        read: Callable[[str | None], Iterable[SourceRecord | RecordProblem]],
        mapping_digest: str,
        outsmart: OutSmartClient | None = None,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.plan = plan
        self.state = state
        self.silvasoft = silvasoft
        self.budget = budget
        self.read = read
        self.digest = mapping_digest
        self.outsmart = outsmart
        self.progress = progress or Silent()
        self.clock = clock
        self.match_email = _email_identity(plan)
        self.result = RunResult()  # filled as the run goes, so a fatal error still leaves what was done

    def run(self, full: bool = False) -> RunResult:
        result = self.result = RunResult(per_hour=self.budget.pace.per_hour)
        run_id = self.state.start_run("full" if full else "incremental")
        since = self._since(full)
        result.full = since is None
        self.progress.phase("reading OutSmart" + ("" if since is None else f" (changed since {since})"))
        items = list(self._items(self.read(since)))
        directory = Directory({guid: d for d, guid in ((d, link.guid) for d, link in self.state.links().items())})
        try:
            self._settle_and_list(items, directory)
        except (BudgetSpent, RateLimited) as stop:
            self._stopped(result, stop)
        planner = Planner(self.state.links(), self.state.failure, directory, self.match_email)
        self.progress.start(len(items))
        applier = Applier(self.silvasoft, self.state, directory, self.match_email, self.clock)
        for item in items:
            result.outcomes.append(self._one(item, planner, applier, result))
            self.progress.advance(result.outcomes[-1])
        if self.plan.source.write_back and self.outsmart is not None:
            result.warnings += write_back(self.outsmart, self.state, [i.record for i in items if i.record])
        self._finish(result, run_id, items)
        return result

    def _one(self, item: Item, planner: Planner, applier: Applier, result: RunResult) -> Outcome:
        needs_listing = item.result.status == "ok" and not planner.directory.listed and self._unlinked(item.result)
        if needs_listing:
            change = Change("create", item.result, item.name, modified_at=item.modified_at)
            return outcome(change, "pending", error=result.stopped)
        change = planner.change(item.result, item.name, item.modified_at)
        if result.stopped and change.writes:
            return outcome(change, "pending", error=result.stopped)
        try:
            return applier.apply(change)
        except (BudgetSpent, RateLimited) as stop:
            self._stopped(result, stop)
            return outcome(change, "pending", error=result.stopped)

    def _stopped(self, result: RunResult, stop: RelmapError) -> None:
        if isinstance(stop, BudgetSpent):
            result.stopped, result.resume_at = str(stop), stop.resume_at
        else:
            result.stopped = "Silvasoft reports its hourly request limit reached (other tools may share it)"
            result.resume_at = self.clock() + 3600

    def _settle_and_list(self, items: list[Item], directory: Directory) -> None:
        """List Silvasoft once if any relation is unlinked or a write was interrupted; settle those writes."""
        intents = self.state.intents()
        if not intents and not any(i.result.status == "ok" and self._unlinked(i.result) for i in items):
            return
        self.progress.phase("listing Silvasoft relations")
        directory.add_listing(self.silvasoft.list_all())
        for intent in intents:
            if intent.action == "create" and self.state.link(intent.debtor_number) is None:
                match = directory.find_created(intent.payload)
                if match and directory.claim(match.guid, intent.debtor_number) is None:
                    self.state.save_link(
                        intent.debtor_number,
                        match.guid,
                        customer_number=None,
                        route=None,
                        endpoint=intent.endpoint,
                        payload=intent.payload,
                        matched_by="recovered",
                        intent=intent.id,
                    )
                    continue
            else:
                self.state.forget_payload(intent.debtor_number)  # an update's outcome is unknown: send it again
            self.state.close_intent(intent.id)

    def _unlinked(self, result: Rendered) -> bool:
        debtor = result.debtor_number or ""
        if self.state.link(debtor) is not None:
            return False
        refused = self.state.failure(debtor)
        return not (refused and result.payload is not None and refused[0] == payload_hash(result.payload))

    def _items(self, records: Iterable[SourceRecord | RecordProblem]) -> Iterator[Item]:
        listed = _deduplicated(records)
        by_index = {record.index: record for record in listed}
        for rendered in render_all(self.plan, listed):
            found = by_index.get(rendered.index)
            source = found if isinstance(found, SourceRecord) else None
            fields = source.fields if source else {}
            name = str(fields.get("name") or "")
            yield Item(source, rendered, name, _stamp(fields.get("modified_at")))

    def _since(self, full: bool) -> str | None:
        """The lower bound of an incremental read, or None to read everything."""
        if full or self.state.get_meta("mapping") != self.digest or self.plan.source.kind != "outsmart":
            return None
        mark = self.state.get_meta("watermark")
        if not mark:
            return None
        return (datetime.strptime(mark, STAMP) - OVERLAP).strftime(STAMP)

    def _finish(self, result: RunResult, run_id: int, items: list[Item]) -> None:
        pending = [i.modified_at for i, o in zip(items, result.outcomes, strict=True) if o.action == "pending"]
        stamps = [i.modified_at for i in items if i.modified_at]
        unsettled = [p for p in pending if p]
        mark = min(unsettled) if unsettled else (max(stamps) if stamps else self.state.get_meta("watermark"))
        if pending and len(unsettled) < len(pending):
            mark = None  # a pending relation without modified_at: read everything next time
        self.state.set_meta("watermark", mark)
        self.state.set_meta("mapping", self.digest)
        result.silvasoft_requests = self.budget.spent
        result.outsmart_requests = self.outsmart.requests if self.outsmart else 0
        result.budget_left = self.budget.left()
        outcome_name = "stopped" if result.stopped else ("failed" if result.counts()["failed"] else "ok")
        self.state.finish_run(run_id, outcome_name, dict(result.counts()), result.silvasoft_requests)


def _deduplicated(records: Iterable[SourceRecord | RecordProblem]) -> list[SourceRecord | RecordProblem]:
    """A relation OutSmart sends twice, identically, counts once; two different ones are reported by the planner."""
    seen: set[tuple[str, str]] = set()
    kept: list[SourceRecord | RecordProblem] = []
    for record in records:
        if isinstance(record, SourceRecord):
            key = (record.debtor_number, repr(sorted(record.fields.items())) + repr(sorted(record.freefields.items())))
            if key in seen:
                continue
            seen.add(key)
        kept.append(record)
    return kept


def _stamp(value: str | None) -> str | None:
    """A usable ``YYYY-MM-DD HH:MM:SS`` (zero dates and odd values are not)."""
    if not value or value.startswith("0000"):
        return None
    try:
        datetime.strptime(value, STAMP)
    except ValueError:
        return None
    return value


def _email_identity(plan: Plan) -> bool:
    """E-mail identifies a relation unless the mapping creates relations with OnExistingRelationEmail: CONTINUE."""
    return not any(
        isinstance(member, Rule)
        and member.name == "OnExistingRelationEmail"
        and member.kind == "value"
        and str(member.get({})).upper() == "CONTINUE"
        for route in plan.routes
        for member in route.fields
    )
