"""The OutSmart watermark: where an incremental read starts, and where a run leaves it.

A run reads ``modified_at ge`` the last watermark minus an overlap (OutSmart's clock and ours may disagree; reading
a relation again costs nothing). The watermark never moves past a relation that is still pending, nor past now (a
date in the future would hide every change made until then), so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from relmap.errors import StateError
from relmap.sync.reading import STAMP

OVERLAP = timedelta(minutes=15)

# state meta: a full read did not finish comparing every linked relation with Silvasoft (its hour ended while it
# listed Silvasoft): the next runs read everything too, going on with the kept listing, until one has compared them.
FULL_OWED = "full_read_owed"


def read_from(mark: str | None) -> str | None:
    """The lower bound of an incremental read after ``mark`` (None: read everything)."""
    if not mark:
        return None
    try:
        return (datetime.strptime(mark, STAMP) - OVERLAP).strftime(STAMP)
    except (TypeError, ValueError):
        raise StateError(
            f"the state's watermark {mark!r} is not a time (YYYY-MM-DD HH:MM:SS); relmap has not changed it: "
            "run with --full, which reads every relation and sets it again"
        ) from None


def next_mark(
    read: Iterable[tuple[str | None, str | None, bool]], current: str | None, now: float, warnings: list[str]
) -> str | None:
    """Where the watermark goes after a run that read ``(debtor_number, modified_at, pending)`` relations.

    The oldest pending relation holds it back (a pending one without modified_at sends the next run back to reading
    everything); otherwise the newest modified_at, but never later than now (said in ``warnings`` when a date is a
    day or more ahead)."""
    moment = datetime.fromtimestamp(now)
    cap, odd = moment.strftime(STAMP), (moment + timedelta(days=1)).strftime(STAMP)
    stamps, pending, unstamped = [], [], False
    for debtor, modified_at, waiting in read:
        if waiting:
            pending.append(modified_at)
            unstamped = unstamped or not modified_at
        if not modified_at:
            continue
        if modified_at > odd:
            warnings.append(
                f"OutSmart relation {debtor} has modified_at {modified_at}, in the future; the watermark stays at {cap}"
            )
        stamps.append(min(modified_at, cap))
    if unstamped:
        return None
    unsettled = [p for p in pending if p]
    if unsettled:
        return min(unsettled)
    return max(stamps) if stamps else current
