"""One sync run: read OutSmart, render, settle interrupted writes, plan, apply within the budget, write back.

The run reads incrementally unless ``--full`` or the mapping changed (watermark.py), settles interrupted writes
(recovery.py), identifies unlinked relations as cheaply as it can (listing.py), and keeps what is not in step
visible (problems.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from relmap.errors import BudgetSpent, RateLimited, RelmapError
from relmap.mapping.compiled import CompiledMapping
from relmap.mapping.coverage import Exercised
from relmap.mapping.render import Rendered
from relmap.sources.outsmart import OutSmartClient
from relmap.sources.records import RecordProblem, SourceRecord
from relmap.state.store import Link, State, payload_hash
from relmap.sync.apply import Applier, Outcome, outcome
from relmap.sync.changes import Change, Planner
from relmap.sync.drift import kept_parameters
from relmap.sync.identity import Directory, Owners, email_identity, keyed
from relmap.sync.listing import advance_mark, identify_for_plan, list_for, list_whole, look_up_names
from relmap.sync.problems import ProblemBook, changed_since, open_since
from relmap.sync.reading import items
from relmap.sync.recovery import recovered_links, settle
from relmap.sync.results import Item, Preview, Progress, RunResult, Silent
from relmap.sync.saved import SavedPlan, silvasoft_fingerprint, source_fingerprint
from relmap.sync.watermark import FULL_OWED, next_mark, read_from
from relmap.sync.writeback import write_back
from relmap.targets.budget import Budget
from relmap.targets.silvasoft import SilvasoftClient

_UNSET = "unset"


class Sync:
    def __init__(
        self,
        plan: CompiledMapping,
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
        self.match_email = email_identity(plan)
        # route name → the parameters whose drifted Silvasoft value the mapping keeps
        self.keep = {route.name: kept_parameters(route, plan.target.drift) for route in plan.routes}
        self.result = RunResult()  # filled as the run goes, so a fatal error still leaves what was done
        self.read_notes: list[str] = []  # what reading left out, and why: said in the run's warnings and the plan
        self.book: ProblemBook | None = None
        self._uncompared = False  # a full read whose listing the hour ended: linked relations not compared
        self._changes: dict[str, Change] = {}  # this run's change per debtor number, for its problems
        self.read_now: set[str] = set()  # debtor numbers read this run (an incremental run reads what changed)
        self.changed_now: set[str] = set()  # of those, the ones whose payload is not the one last synced or tried
        self._lookups = 0  # a dry run's targeted lookups (see _preview_identify)

    def run(
        self,
        full: bool = False,
        saved: SavedPlan | None = None,
        *,
        retry_failed: bool = False,
        only: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> RunResult:
        """Sync; with ``saved``, apply exactly that plan (re-read the same way) and leave everything else alone.

        ``retry_failed`` (and ``full``, and a changed mapping) sends relations Silvasoft refused before again;
        ``only`` and ``limit`` sync those relations, or the first ``limit``, and leave the rest for a later run."""
        try:
            return self._run(full, saved, retry_failed, only, limit)
        except BaseException:
            self._tally(self.result)
            raise

    def _run(
        self,
        full: bool,
        saved: SavedPlan | None,
        retry_failed: bool,
        only: Iterable[str] | None,
        limit: int | None,
    ) -> RunResult:
        result = self.result = RunResult(per_hour=self.budget.pace.per_hour)
        run_id = self.state.start_run("plan" if saved else ("full" if full else "incremental"))
        if retry_failed or full or self.state.get_meta("mapping") != self.digest:
            self.state.forget_failures()
        since = (None if saved.full else saved.since) if saved else self._since(full)
        result.full = since is None
        self.book = ProblemBook(self.state, self.clock)
        # --only and --retry-failed name relations that may not have changed since the last run: read them all.
        wider = since is not None and (only is not None or retry_failed)
        items = self._selected(self._read(None if wider else since), only, limit)
        self.read_now = {i.result.debtor_number for i in items if i.result.debtor_number}
        links = self.state.link_table()  # each relation's link read once, when first needed
        self.changed_now = changed_since(items, links, self.book.open)
        result.warnings += self.read_notes
        directory = Directory(Owners(links.snapshot().owners))
        need = None
        try:
            need = self._settle_and_list(items, directory, since is None, always=saved is not None)
        except (BudgetSpent, RateLimited) as stop:
            self._stopped(result, stop)
            need = self._listing_need(items, since is None)
        # A full read owes every linked relation a comparison with Silvasoft's copy: one the hour ended before its
        # listing was whole stays pending, and the next runs read everything until one has compared them all.
        asked = full or bool(self.state.get_meta(FULL_OWED))  # --full, or one whose comparison is not done yet
        self._uncompared = asked and not saved and need == "whole" and not directory.listed
        if asked and not saved and not self.state.read_only:
            self.state.set_meta(FULL_OWED, "1" if self._uncompared else None)
        planner = self._planner(links.snapshot(), directory)  # the links as settled, whatever the run writes next
        self.progress.start(len(items))
        applier = Applier(self.silvasoft, self.state, directory, self.match_email, self.clock)
        for item in items:
            result.outcomes.append(self._one(item, planner, applier, result, saved))
            self.progress.advance(result.outcomes[-1])
        advance_mark(self.state, directory)
        if self.plan.source.write_back and self.outsmart is not None:
            records = [i.record for i, o in zip(items, result.outcomes, strict=True) if i.record]
            if saved:  # a saved plan's run writes back only what it applied
                applied = {o.debtor_number for o in result.outcomes if o.action in ("created", "updated", "linked")}
                records = [r for r in records if r.debtor_number in applied]
            result.warnings += write_back(self.outsmart, self.state, records)
        self._finish(result, run_id, items, move_watermark=saved is None and not result.left_out)
        self._problems(result, items, full=since is None and not saved and not result.left_out)
        if saved:
            unseen = saved.unseen({i.result.debtor_number for i in items})
            result.stale += len(unseen)
            result.outcomes += unseen
        return result

    def preview(self, full: bool = False, list_silvasoft: bool = False, keep_records: bool = True) -> Preview:
        """Plan every relation as a run would, reading both sides and writing nothing (no link, no watermark).

        ``list_silvasoft`` lists Silvasoft even when the run would not (a plan saved to be applied later needs
        Silvasoft's own copy of every relation, to tell whether it changed in between). Without ``keep_records``
        the items keep each record's fingerprint instead of the record (the plan reads a record only to mask it).
        A full read notes what rendering exercised as it renders (``Preview.exercised``), for coverage."""
        since = self._since(full)
        exercised = Exercised() if since is None else None
        items = self._read(since, exercised, keep_records)
        table = self.state.link_table()  # a dry run writes no link: the table stays as it is
        links: Mapping[str, Link] = table
        directory = Directory(Owners(table.owners))
        need = "whole" if list_silvasoft else self._listing_need(items, since is None)
        identify, self._lookups = "no relation to identify: Silvasoft not listed", 0
        if need is not None:
            self.progress.phase("listing Silvasoft relations")
            try:
                identify = self._preview_identify(need, items, directory)
            except (BudgetSpent, RateLimited) as stop:
                raise BudgetSpent(
                    f"cannot make the plan: it needs Silvasoft's listing, but {stop}",
                    getattr(stop, "resume_at", self.clock() + 3600),
                ) from None
        links = recovered_links(self.state, links, directory)  # interrupted writes, as the run would settle them
        planner = self._planner(links, directory)
        changes, prints = [], []
        for item in items:
            change = planner.change(item.result, item.name, item.modified_at)
            changes.append(change)
            link = links.get(change.debtor_number or "")
            source = item.source if item.source is not None else source_fingerprint(item.record)
            prints.append((source, silvasoft_fingerprint(change, directory, link)))
        return Preview(
            items,
            changes,
            prints,
            since,
            directory.listed,
            silvasoft_requests=self.budget.spent,
            outsmart_requests=self.outsmart.requests if self.outsmart else 0,
            budget_left=self.budget.left(),
            per_hour=self.budget.pace.per_hour,
            interval=self.budget.pace.interval,
            identify=identify,
            lookups=self._lookups,
            carried=ProblemBook(self.state, self.clock).carried({i.result.debtor_number or "" for i in items}),
            exercised=exercised,
        )

    def _preview_identify(self, need: str, items: list[Item], directory: Directory) -> str:
        """List Silvasoft as the run would, without moving the mark (listing.identify_for_plan); returns how."""
        payloads = self._unlinked_payloads(items) if need == "unlinked" else []
        how, self._lookups, note = identify_for_plan(
            self.silvasoft, self.state, directory, need, payloads, self.match_email
        )
        self.read_notes += [note] if note else []
        return how

    def _read(self, since: str | None, exercised: Exercised | None = None, keep_records: bool = True) -> list[Item]:
        self.progress.phase("reading OutSmart" + ("" if since is None else f" (changed since {since})"))
        return list(items(self.plan, self.read(since), self.read_notes, exercised, keep_records))

    def _planner(self, links: Mapping[str, Link], directory: Directory) -> Planner:
        return Planner(links, self.state.failure, directory, self.match_email, self.keep)

    def _one(
        self, item: Item, planner: Planner, applier: Applier, result: RunResult, saved: SavedPlan | None = None
    ) -> Outcome:
        known = self.book.known_conflict(item.result, self.changed_now) if self.book else None
        if known is not None and not planner.directory.listed:  # the same conflict as before: no listing for it
            change = Change("error", item.result, item.name, message=known.message, involves=known.involves)
            self._changes[change.debtor_number or ""] = change
            return outcome(change, "failed", error=f"{known.message} ({open_since(known)}; unchanged)")
        directory, payload = planner.directory, item.result.payload
        answers = directory.by_answer and payload is not None and (directory.named or keyed(payload, self.match_email))
        needs_listing = (
            item.result.status == "ok" and not directory.identifies and not answers and self._unlinked(item.result)
        )
        if needs_listing:
            change = Change("create", item.result, item.name, modified_at=item.modified_at)
            return outcome(change, "pending", error=result.stopped)
        change = planner.change(item.result, item.name, item.modified_at)
        self._changes[change.debtor_number or ""] = change
        if self._uncompared and change.action == "unchanged" and change.guid is not None:
            return outcome(change, "pending", error=f"not compared with Silvasoft's copy yet: {result.stopped}")
        if saved is not None:
            link = planner.links.get(change.debtor_number or "")
            prints = source_fingerprint(item.record), silvasoft_fingerprint(change, planner.directory, link)
            why = saved.verdict(change, *prints)
            if why is not None:
                result.stale += 1
                return outcome(change, "skipped", error=why)
            if change.debtor_number not in saved.planned:  # the plan has nothing for it: report, touch nothing
                local = {"skip": "skipped", "error": "failed"}.get(change.action, "unchanged")
                return outcome(change, local, error=change.message if local != "unchanged" else None)  # type: ignore[arg-type]
        if not result.stopped:
            try:
                return applier.apply(change)
            except (BudgetSpent, RateLimited) as stop:
                self._stopped(result, stop)
        if change.writes:
            applier.link_unsent(change)  # found in Silvasoft: linked now, its update sent by the next run
            return outcome(change, "pending", error=result.stopped)
        return applier.apply(change)

    def _tally(self, result: RunResult) -> None:
        """The requests spent so far: also on the way out of a fatal error, so that its summary is true."""
        result.silvasoft_requests = self.budget.spent
        result.outsmart_requests = self.outsmart.requests if self.outsmart else 0
        result.budget_left = self.budget.left()

    def _selected(self, items: list[Item], only: Iterable[str] | None, limit: int | None) -> list[Item]:
        """The relations this run syncs; the others are left for a later run (the watermark then stays)."""
        chosen = items
        if only is not None:
            wanted = set(only)
            chosen = [i for i in chosen if i.result.debtor_number in wanted]
            missing = sorted(wanted - {i.result.debtor_number for i in chosen})
            if missing:
                self.result.warnings.append(
                    f"--only {' '.join(missing)}: no such relation in OutSmart (or the mapping's source filters "
                    "leave it out)"
                )
        if limit is not None:
            chosen = chosen[: max(limit, 0)]
        self.result.left_out = len(items) - len(chosen)
        return chosen

    def _problems(self, result: RunResult, items: list[Item], full: bool) -> None:
        """Note this run's failures, close what is in step, and report the open problems it did not read again."""
        assert self.book is not None
        pairs = [
            (outcome, self._changes.get(outcome.debtor_number or ""), item.result)
            for item, outcome in zip(items, result.outcomes, strict=False)
        ]
        self.book.record(pairs, full)
        carried = self.book.carried(self.read_now)  # with --only or --limit too: they are not in step either
        result.carried = len(carried)
        result.outcomes += carried
        result.problems = list(self.book.open.values())

    def _stopped(self, result: RunResult, stop: RelmapError) -> None:
        if isinstance(stop, BudgetSpent):
            result.stopped, result.resume_at = str(stop), stop.resume_at
        else:
            result.stopped = "Silvasoft reports its hourly request limit reached (other tools may share it)"
            result.resume_at = self.clock() + 3600
            self.budget.block(result.resume_at)  # a run started before then sends nothing

    def _settle_and_list(self, items: list[Item], directory: Directory, full: bool, always: bool = False) -> str | None:
        """List Silvasoft as far as the run needs it (see _listing_need and listing.py); settle interrupted writes.
        Returns the listing it needed."""
        need = "whole" if always else self._listing_need(items, full)
        if need != "whole" and self.state.intents():
            settle(self.state, directory)  # interrupted updates only: marked unconfirmed, to be sent again
        if need is None:
            return None
        self.progress.phase("listing Silvasoft relations")
        if need == "unlinked":
            payloads = self._unlinked_payloads(items)
            if not list_for(self.silvasoft, self.state, directory, payloads, self.match_email).complete:
                look_up_names(self.silvasoft, directory, payloads, self.match_email)
            return need
        list_whole(self.silvasoft, self.state, directory)
        settle(self.state, directory)
        return need

    def _listing_need(self, items: list[Item], full: bool) -> str | None:
        """What listing of Silvasoft the run needs: "whole" (from offset 0) when a write was interrupted or not
        confirmed, the run reads everything (so drift in Silvasoft is found), or a changed relation has parameters
        whose Silvasoft value the mapping keeps; "unlinked" when only unlinked relations are to be identified
        (listing.list_for lists as far as that pays; the creates' ABORT answers, or for a relation with neither
        CustomerNumber nor e-mail a lookup by name, do the rest); None for no listing."""
        if any(i.action == "create" and self.state.link(i.debtor_number) is None for i in self.state.intents()):
            return "whole"  # an interrupted create: only the listing tells whether Silvasoft carried it out
        links = self.state.link_table()
        need = None
        for item in items:
            if item.result.status != "ok" or item.result.payload is None:
                continue
            link = links.get(item.result.debtor_number or "")
            if link is None:
                if self._unlinked(item.result):
                    need = "unlinked"
            elif self._compares_with_silvasoft(link, item.result, full):
                return "whole"
        return need

    def _unlinked_payloads(self, items: list[Item]) -> list[dict[str, Any]]:
        return [
            i.result.payload
            for i in items
            if i.result.status == "ok" and i.result.payload is not None and self._unlinked(i.result)
        ]

    def _compares_with_silvasoft(self, link: Link, result: Rendered, full: bool) -> bool:
        """A linked relation needs Silvasoft's copy when everything is read (drift), its last update was not
        confirmed, or it changed and has parameters whose Silvasoft value is kept."""
        if full:
            return True
        if link.payload_hash is None:  # unconfirmed: sent again whole (one request), unless a kept value needs theirs
            return bool(self.keep.get(result.route or ""))
        changed = link.payload_hash != payload_hash(result.payload or {})
        return changed and bool(self.keep.get(result.route or ""))

    def _unlinked(self, result: Rendered) -> bool:
        """Whether identifying this relation needs Silvasoft's listing (a known, unchanged conflict does not)."""
        debtor = result.debtor_number or ""
        if self.state.link(debtor) is not None:
            return False
        if self.book is not None and self.book.known_conflict(result, self.changed_now):
            return False
        refused = self.state.failure(debtor)
        return not (refused and result.payload is not None and refused[0] == payload_hash(result.payload))

    def _since(self, full: bool) -> str | None:
        """The lower bound of an incremental read, or None to read everything."""
        if full or self.state.get_meta(FULL_OWED) or self.state.get_meta("mapping") != self.digest:
            return None
        if self.plan.source.kind != "outsmart":
            return None
        return read_from(self.state.get_meta("watermark"))

    def _finish(self, result: RunResult, run_id: int, items: list[Item], move_watermark: bool = True) -> None:
        read = [
            (i.result.debtor_number, i.modified_at, o.action == "pending")
            for i, o in zip(items, result.outcomes, strict=True)
        ]
        mark = next_mark(read, self.state.get_meta("watermark"), self.clock(), result.warnings)
        if move_watermark:  # a saved plan's run applies only part of what it read: the next run reads it again
            self.state.set_meta("watermark", mark)
            self.state.set_meta("mapping", self.digest)
        self._tally(result)
        outcome_name = "stopped" if result.stopped else ("failed" if result.counts()["failed"] else "ok")
        self.state.finish_run(run_id, outcome_name, dict(result.counts()), result.silvasoft_requests)
