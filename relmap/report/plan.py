"""The plan document (``run --dry-run``): one JSON-able dict that every report format is rendered from.

Its shape is ``schemas/plan.schema.json`` (``format_version`` 1); ``run --dry-run --out FILE`` saves it and
``run --plan FILE`` applies it. Secrets never enter it; with ``mask_pii`` names, e-mail addresses, phone numbers and
IBANs are replaced by ``•••`` after the changes are worked out, so the report still shows *that* they changed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from relmap import __version__
from relmap.report.mask import Masker
from relmap.report.plan_values import ACTIONS, SYMBOLS
from relmap.sync.changes import Change
from relmap.sync.runner import Item, Preview
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


def document(preview: Preview, context: Context, redact: Callable[[str], str] = str) -> dict[str, Any]:
    """The whole plan as a dict of plain JSON values."""
    relations = [
        _relation(item, change, prints, context.mask_pii, redact)
        for item, change, prints in zip(preview.items, preview.changes, preview.fingerprints, strict=True)
    ]
    counts: Counter[str] = Counter(change.action for change in preview.changes)
    summary = {action: counts[action] for action in ACTIONS}
    summary["drift"] = sum(1 for change in preview.changes if change.drift)
    created = datetime.fromtimestamp(context.created_at, UTC) if context.created_at else datetime.now(UTC)
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
        "summary": summary,
        "cost": cost(preview),
        "relations": relations,
        "coverage": context.coverage,
        "warnings": [redact(w) for w in context.warnings],
    }


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
        "send": change.send,
        "fingerprint": {"source": prints[0], "silvasoft": prints[1]},
    }
    if mask_pii:
        record = item.record.fields if item.record else {}
        entry = Masker.for_relation(record, result.payload or {}).relation(entry)
    return entry


def cost(preview: Preview) -> dict[str, Any]:
    """The Silvasoft requests a run would spend: the same reading as this plan's, and one per create or update."""
    writes = sum(1 for change in preview.changes if change.writes)
    requests = writes + preview.silvasoft_requests
    left, per_hour = preview.budget_left, preview.per_hour
    if requests == 0:
        hours = 0
    elif requests <= left:
        hours = 1
    else:
        hours = 1 + math.ceil((requests - left) / max(per_hour, 1))
    return {
        "requests": requests,
        "left_this_hour": left,
        "per_hour": per_hour,
        "hours": hours,
        "text": _cost_text(requests, left, per_hour, hours, writes * preview.interval),
    }


def _cost_text(requests: int, left: int, per_hour: int, hours: int, seconds: float) -> str:
    if requests == 0:
        return f"needs no Silvasoft requests; {left:,} left this hour"
    needs = f"needs {requests:,} Silvasoft request{'s' * (requests != 1)}"
    if hours > 1:
        needs += f", about {hours} hours on a {per_hour:,}-per-hour plan"
    elif seconds >= 90:
        needs += f", about {round(seconds / 60)} minutes at Silvasoft's pace"
    return f"{needs}; {left:,} left this hour"
