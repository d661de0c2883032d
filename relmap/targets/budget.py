"""Silvasoft's request budget: the plan's requests per hour, and at most 2 per second and 50 per minute.

Requests are spaced evenly at the tighter of the per-second and per-minute paces, and counted in a sliding hour
kept in the account's ledger (relmap/targets/ledger.py), so that back-to-back runs, and the runs of every mapping on the
account, share the hour. When the hour is spent the run stops cleanly
(BudgetSpent) rather than sleeping for up to an hour.
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from relmap.errors import BudgetSpent, ConfigError
from relmap.state.store import State
from relmap.targets.ledger import Ledger

HOUR = 3600.0
BLOCKED = "silvasoft_blocked_until"  # state meta: when Silvasoft's own "Ratelimit exceeded" lets requests go again


def _number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


@dataclass(frozen=True)
class Pace:
    per_hour: int = 15
    per_second: float = 2.0
    per_minute: float = 50.0

    @property
    def interval(self) -> float:
        """Seconds between two requests."""
        return max(1.0 / self.per_second, 60.0 / self.per_minute)


# The vendor's limits; a faster pace is accepted only for a Silvasoft emulator on a loopback address.
VENDOR_PACE = Pace()


def parse_pace(text: str, per_hour: int) -> Pace:
    """``"20/s"`` or ``"20/s,600/min"`` (RELMAP_SILVASOFT_PACE, for the emulators)."""
    per_second, per_minute = VENDOR_PACE.per_second, VENDOR_PACE.per_minute
    minute_given = second_given = False
    for part in filter(None, (p.strip() for p in text.split(","))):
        number, _, unit = part.partition("/")
        try:
            value = float(number)
        except ValueError:
            value = 0.0
        if not math.isfinite(value) or value <= 0 or unit not in ("s", "min"):
            raise ConfigError(f"RELMAP_SILVASOFT_PACE: expected e.g. 20/s or 20/s,600/min, got {text!r}")
        if unit == "s":
            per_second, second_given = value, True
        else:
            per_minute, minute_given = value, True
    if second_given and not minute_given:
        per_minute = max(per_minute, per_second * 60)
    return Pace(per_hour, per_second, per_minute)


def _capped(until: float, now: float) -> float:
    """Silvasoft's own limit is per hour: a wait recorded further ahead (a hand edit, a clock set back) is an hour."""
    return min(until, now + HOUR)


class Budget:
    """Hands out request slots; implements the Silvasoft client's Pacer."""

    def __init__(
        self,
        state: State | None,
        pace: Pace,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        ledger: Ledger | None = None,
    ) -> None:
        self.state = state
        self.pace = pace
        self.clock = clock
        self.sleep = sleep
        self.ledger = ledger if ledger is not None else Ledger(None)
        now = clock()
        self.ledger.prune(now - 2 * HOUR)
        shared = set(self.ledger.since(now - HOUR))
        # Requests the state counted before the account's ledger did (an older relmap): they still count this hour.
        self.others: list[float] = []
        blocked = None
        if state is not None:
            state.prune_ledger(now - 2 * HOUR)
            self.others = sorted(min(at, now) for at in state.ledger_since(now - HOUR) if at not in shared)
            blocked = state.get_meta(BLOCKED)
        self.spent = 0  # requests this run
        self.blocked_until = _capped(
            max(float(blocked) if blocked and _number(blocked) else 0.0, self.ledger.blocked_until()), now
        )

    def left(self) -> int:
        now = self.clock()
        if now < self.blocked_until:
            return 0
        earlier = len(self.others) - bisect.bisect_right(self.others, now - HOUR)
        return max(0, self.pace.per_hour - self.ledger.count_after(now - HOUR) - earlier)

    def resume_at(self) -> float:
        """When the next request fits in the hour again."""
        now = self.clock()
        window = self._window(now)
        if len(window) < self.pace.per_hour:
            return now
        return window[len(window) - self.pace.per_hour] + HOUR

    def block(self, until: float) -> None:
        """Silvasoft said its hourly limit is reached: no request until ``until``, in this run or a later one, of
        this mapping or another on the account."""
        self.blocked_until = max(self.blocked_until, until)
        self.ledger.block(self.blocked_until)
        if self.state is not None and not self.state.read_only:
            self.state.set_meta(BLOCKED, repr(self.blocked_until))

    def acquire(self, endpoint: str) -> None:
        """Take a slot in the account's hour (shared with every mapping on it), waiting out the pace if need be."""
        while True:
            now = self.clock()
            self.blocked_until = _capped(max(self.blocked_until, self.ledger.blocked_until()), now)
            if now < self.blocked_until:
                raise BudgetSpent(
                    "Silvasoft reported its hourly request limit reached (other tools may share the account); "
                    "relmap waits until then",
                    self.blocked_until,
                )
            retry = self.ledger.take(now, endpoint, self.pace.per_hour, self.pace.interval, self.others)
            if retry is None:
                break
            if retry == math.inf:
                raise BudgetSpent(
                    f"the hourly budget of {self.pace.per_hour} Silvasoft requests is spent", self.resume_at()
                )
            self.sleep(max(retry - now, 0.0))
        self.spent += 1
        if self.state is not None:
            self.state.record_request(now, endpoint)

    def _window(self, now: float) -> list[float]:
        """The requests of the sliding hour before ``now``: the account's, and those only the state knows of."""
        return sorted(self.ledger.hour_before(now) + [at for at in self.others if at > now - HOUR])
