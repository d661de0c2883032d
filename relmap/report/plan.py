"""The plan document (``run --dry-run``): one JSON-able dict that every report format is rendered from.

Its shape is ``schemas/plan.schema.json`` (``format_version`` 2); ``run --dry-run --out FILE`` saves it and
``run --plan FILE`` applies it. :func:`document` makes it whole (``show_unchanged``: every relation and parameter);
plan_compact.compact leaves out what a reviewer need not read, as ``--format json`` and ``--out`` print it unless
``--show-unchanged``. Secrets never enter it; with ``mask_pii`` names, e-mail addresses, phone numbers and IBANs are
replaced by ``•••`` after the changes are worked out, so the report still shows *that* they changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from relmap import __version__
from relmap.report.mask import Masker
from relmap.report.plan_compact import compact_entry
from relmap.report.plan_values import ACTIONS, SYMBOLS
from relmap.sync.apply import Outcome
from relmap.sync.changes import Change
from relmap.sync.results import Item, Preview
from relmap.sync.saved import FORMAT_VERSION, KIND


@dataclass(frozen=True)
class Context:
    """What the document says about where the plan came from."""

    mapping_path: str
    mapping_digest: str
    account: str
    coverage: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()
    mask_pii: bool = False
    created_at: float | None = None


def document(
    preview: Preview, context: Context, redact: Callable[[str], str] = str, whole: bool = True
) -> dict[str, Any]:
    """The whole plan as a dict of plain JSON values; without ``whole``, its ``relations`` are a :class:`Relations`
    that makes them one at a time, each time it is read (the plan of 100,000 relations is some 400 MB whole)."""
    counts: Counter[str] = Counter(change.action for change in preview.changes)
    counts["error"] += len(preview.carried)
    summary = {action: counts[action] for action in ACTIONS}
    summary["drift"] = sum(1 for change in preview.changes if change.drift)
    summary["record_warnings"] = sum(len(change.result.warnings) for change in preview.changes)
    created = datetime.fromtimestamp(context.created_at, UTC) if context.created_at else datetime.now(UTC)
    entries = Relations(preview, context, redact)
    return {
        "format_version": FORMAT_VERSION,
        "kind": KIND,
        "relmap_version": __version__,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mapping": {"path": context.mapping_path, "digest": context.mapping_digest},
        "target": {"account": context.account},
        "read": {
            "full": preview.full,
            "since": preview.since,
            "silvasoft_listed": preview.listed,
            "outsmart_requests": preview.outsmart_requests,
            "silvasoft_requests": preview.silvasoft_requests,
        },
        "masked": context.mask_pii,
        "show_unchanged": True,
        "summary": summary,
        "cost": cost(preview),
        "relations": list(entries) if whole else entries,
        "coverage": context.coverage,
        "warnings": [redact(w) for w in context.warnings],
    }


def relations(
    preview: Preview, context: Context, redact: Callable[[str], str] = str, show_unchanged: bool = True
) -> Iterator[dict[str, Any]]:
    """The plan's relation entries one at a time, in the document's order; without ``show_unchanged``, each in the
    compact form (plan_compact.compact_entry)."""
    for item, change, prints in zip(preview.items, preview.changes, preview.fingerprints, strict=True):
        entry = _relation(item, change, prints, context.mask_pii, redact)
        yield entry if show_unchanged else compact_entry(entry)
    for outcome in preview.carried:
        entry = _carried(outcome, context.mask_pii, redact)
        yield entry if show_unchanged else compact_entry(entry)


class Relations:
    """A plan's relation entries, made afresh from the preview each time they are read: a report that needs two
    passes (counts first) reads them twice, and none of them holds them all."""

    def __init__(
        self, preview: Preview, context: Context, redact: Callable[[str], str] = str, show_unchanged: bool = True
    ) -> None:
        self.preview, self.context, self.redact, self.show_unchanged = preview, context, redact, show_unchanged

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return relations(self.preview, self.context, self.redact, self.show_unchanged)

    def __len__(self) -> int:
        return len(self.preview.changes) + len(self.preview.carried)

    def compact(self) -> Relations:
        """The same entries in the compact form."""
        return Relations(self.preview, self.context, self.redact, show_unchanged=False)


def _relation(
    item: Item, change: Change, prints: tuple[str, str | None], mask_pii: bool, redact: Callable[[str], str]
) -> dict[str, Any]:
    result = change.result
    entry: dict[str, Any] = {
        "debtor_number": result.debtor_number,
        "name": change.name,
        "origin": result.origin,
        "action": change.action,
        "symbol": SYMBOLS[change.action],
        "route": result.route,
        "endpoint": result.endpoint,
        "guid": change.guid,
        "matched_by": change.matched_by,
        "reason": redact(change.message) if change.message else None,
        "fields": [diff.as_dict() for diff in change.fields],
        "fields_omitted": 0,
        "send": change.send,
        "fingerprint": {"source": prints[0], "silvasoft": prints[1]},
        "warnings": [{**w.as_dict(), "message": redact(w.message)} for w in result.warnings],
    }
    if mask_pii:
        record = item.record.fields if item.record else {}
        entry = Masker.for_relation(record, result.payload or {}).relation(entry)
    return entry


def _carried(outcome: Outcome, mask_pii: bool, redact: Callable[[str], str]) -> dict[str, Any]:
    """An open problem of a relation the plan did not read (it did not change): an error until it is in step."""
    entry: dict[str, Any] = {
        "debtor_number": outcome.debtor_number,
        "name": outcome.name,
        "origin": f"OutSmart relation {outcome.debtor_number}",
        "action": "error",
        "symbol": SYMBOLS["error"],
        "route": None,
        "endpoint": None,
        "guid": None,
        "matched_by": None,
        "reason": redact(outcome.error or "not in step"),
        "fields": [],
        "fields_omitted": 0,
        "send": None,
        "fingerprint": {"source": None, "silvasoft": None},
    }
    return Masker.for_relation({"name": outcome.name}, {}).relation(entry) if mask_pii else entry


def cost(preview: Preview) -> dict[str, Any]:
    """The Silvasoft requests applying the plan would spend: one per create or update, plus the same listing as this
    plan's in every run (hour) it takes; against this hour's remaining budget and the plan's hourly limit."""
    writes = sum(1 for change in preview.changes if change.writes)
    # The plan's own reads, less its targeted lookups: the run makes the same listing, but no lookups (its creates
    # with ABORT answer with the existing relation).
    pages = max(preview.silvasoft_requests - preview.lookups, 0)
    left, per_hour = preview.budget_left, preview.per_hour
    requests, hours = _schedule(writes, pages, left, per_hour)
    text = _cost_text(requests, left, per_hour, hours, pages, writes * preview.interval)
    if preview.identify:
        text += f"; identity: {preview.identify}"
    return {"requests": requests, "left_this_hour": left, "per_hour": per_hour, "hours": hours, "text": text}


def _schedule(writes: int, pages: int, left: int, per_hour: int) -> tuple[int, int | None]:
    """(requests, hours) of the runs that carry out ``writes``: the first lists Silvasoft (``pages``); later ones go
    on from the listing's mark, past the relations relmap linked itself, so each lists one page again.

    Hours is None when a run can never get past the listing within one hour's budget."""
    if writes == 0:
        return pages, (1 if pages else 0)
    if per_hour <= pages:
        return writes + pages, None
    requests, hours, budget, remaining, listing = 0, 0, left, writes, pages
    while remaining > 0:
        hours += 1
        if budget > listing:
            done = min(budget - listing, remaining)
            requests += listing + done
            remaining -= done
            listing = min(pages, 1)
        budget = per_hour
    return requests, hours


def _cost_text(requests: int, left: int, per_hour: int, hours: int | None, pages: int, seconds: float) -> str:
    if requests == 0:
        return f"needs no Silvasoft requests; {left:,} left this hour"
    needs = f"needs {requests:,} Silvasoft request{'s' * (requests != 1)}"
    if hours is None:
        return (
            f"{needs}, but listing Silvasoft alone takes {pages:,} requests, more than the {per_hour:,}-per-hour plan "
            f"allows in an hour: the run cannot finish; {left:,} left this hour"
        )
    if hours > 1:
        needs += f", about {hours} hours on a {per_hour:,}-per-hour plan"
    elif seconds >= 90:
        needs += f", about {round(seconds / 60)} minutes at Silvasoft's pace"
    return f"{needs}; {left:,} left this hour"
