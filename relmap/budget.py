"""Silvasoft's request budget: the plan's requests per hour, and at most 2 per second and 50 per minute.

Requests are spaced evenly at the tighter of the per-second and per-minute paces, and counted in a sliding hour
kept in the state ledger, so that back-to-back runs share the hour. When the hour is spent the run stops cleanly
(BudgetSpent) rather than sleeping for up to an hour.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from relmap.errors import BudgetSpent, ConfigError
from relmap.state import State

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


class Budget:
    """Hands out request slots; implements the Silvasoft client's Pacer."""

    def __init__(
        self,
        state: State,
        pace: Pace,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state = state
        self.pace = pace
        self.clock = clock
        self.sleep = sleep
        now = clock()
        state.prune_ledger(now - 2 * HOUR)
        self.window: deque[float] = deque(state.ledger_since(now - HOUR))
        self.spent = 0  # requests this run
        blocked = state.get_meta(BLOCKED)
        self.blocked_until = float(blocked) if blocked and _number(blocked) else 0.0

    def left(self) -> int:
        now = self.clock()
        if now < self.blocked_until:
            return 0
        self._slide(now)
        return max(0, self.pace.per_hour - len(self.window))

    def resume_at(self) -> float:
        """When the next request fits in the hour again."""
        self._slide(self.clock())
        if len(self.window) < self.pace.per_hour:
            return self.clock()
        return self.window[len(self.window) - self.pace.per_hour] + HOUR

    def block(self, until: float) -> None:
        """Silvasoft said its hourly limit is reached: no request until ``until``, in this run or a later one."""
        self.blocked_until = max(self.blocked_until, until)
        if not self.state.read_only:
            self.state.set_meta(BLOCKED, repr(self.blocked_until))

    def acquire(self, endpoint: str) -> None:
        now = self.clock()
        if now < self.blocked_until:
            raise BudgetSpent(
                "Silvasoft reported its hourly request limit reached (other tools may share the account); "
                "relmap waits until then",
                self.blocked_until,
            )
        self._slide(now)
        if len(self.window) >= self.pace.per_hour:
            raise BudgetSpent(
                f"the hourly budget of {self.pace.per_hour} Silvasoft requests is spent", self.resume_at()
            )
        if self.window and (wait := self.window[-1] + self.pace.interval - now) > 0:
            self.sleep(wait)
            now = self.clock()
        self.window.append(now)
        self.spent += 1
        self.state.record_request(now, endpoint)

    def _slide(self, now: float) -> None:
        while self.window and self.window[0] <= now - HOUR:
            self.window.popleft()
