"""Silvasoft's rate limits as sliding windows over the emulator clock: per hour (401), per minute/second (429)."""

from __future__ import annotations

from collections import deque

HOUR, MINUTE, SECOND = 3600.0, 60.0, 1.0


class Window:
    """At most ``limit`` requests in any ``seconds`` long stretch; ``limit`` None means not enforced."""

    def __init__(self, limit: int | None, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._stamps: deque[float] = deque()

    def used(self, now: float) -> int:
        while self._stamps and self._stamps[0] <= now - self.seconds:
            self._stamps.popleft()
        return len(self._stamps)

    def full(self, now: float) -> bool:
        return self.limit is not None and self.used(now) >= self.limit

    def add(self, now: float) -> None:
        self._stamps.append(now)

    def clear(self) -> None:
        self._stamps.clear()


class RateLimiter:
    def __init__(self, per_hour: int, per_minute: int | None = None, per_second: int | None = None) -> None:
        self.hour = Window(per_hour, HOUR)
        self.minute = Window(per_minute, MINUTE)
        self.second = Window(per_second, SECOND)

    def admit(self, now: float) -> str | None:
        """Count the request and return None, or refuse it: "ratelimit" (hour spent) or "throttle" (too fast).

        A refused request is not counted, so a client that backs off is not punished for having asked.
        """
        if self.hour.full(now):
            return "ratelimit"
        if self.minute.full(now) or self.second.full(now):
            return "throttle"
        for window in (self.hour, self.minute, self.second):
            window.add(now)
        return None

    def left(self, now: float) -> int:
        """Requests left in the hourly budget right now."""
        return max(0, (self.hour.limit or 0) - self.hour.used(now))

    def set_per_hour(self, limit: int) -> None:
        self.hour.limit = limit

    def clear(self) -> None:
        for window in (self.hour, self.minute, self.second):
            window.clear()
