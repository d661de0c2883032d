"""Faults an emulator can be told to show: scripted ones for exact tests, random ones (seeded) for soak runs."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = ("error", "throttle", "drop", "drop_after_write", "ratelimit", "bad_request", "cut", "garble")
_LATER_RATES = ("ratelimit_rate", "bad_request_rate")


@dataclass
class _Scripted:
    kind: str
    count: int
    path: str | None


@dataclass
class Faults:
    """What goes wrong, and how often. All rates are chances between 0 and 1; everything is off by default.

    ``drop_after_write_rate`` applies to writes only: the write is processed and kept, and then the connection
    closes without an answer, so the client cannot know it succeeded. ``ratelimit_rate`` answers Silvasoft's
    401 "Ratelimit exceeded" (as when another tool spent the hour), ``bad_request_rate`` a 400 with no body at all
    (what a proxy in front of the API may answer); neither request reaches the emulator. ``cut`` and ``garble``
    are scripted only (``inject``): the emulator's answer is sent with its full Content-Length but only its first
    half, then the connection closes (``cut``), or with a NUL byte put in its middle, which no JSON text holds
    (``garble``).
    """

    error_rate: float = 0.0
    throttle_rate: float = 0.0
    latency: float = 0.0
    drop_rate: float = 0.0
    drop_after_write_rate: float = 0.0
    seed: int | None = None
    ratelimit_rate: float = 0.0
    bad_request_rate: float = 0.0
    _random: random.Random = field(init=False, repr=False, compare=False)
    _queue: list[_Scripted] = field(init=False, repr=False, compare=False, default_factory=list)
    _lock: threading.Lock = field(init=False, repr=False, compare=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for name in ("error_rate", "throttle_rate", "drop_rate", "drop_after_write_rate", *_LATER_RATES):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)!r}")
        if self.latency < 0:
            raise ValueError(f"latency must not be negative, got {self.latency!r}")
        self._random = random.Random(self.seed)

    def inject(self, kind: str, count: int = 1, path: str | None = None) -> None:
        """Give the next ``count`` requests whose path contains ``path`` (any path if None) the fault ``kind``."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count!r}")
        with self._lock:
            self._queue.append(_Scripted(kind, count, path))

    def pending(self) -> int:
        """How many scripted faults are still waiting for a request."""
        with self._lock:
            return sum(item.count for item in self._queue)

    def clear(self) -> None:
        """Forget every scripted fault that has not happened yet."""
        with self._lock:
            self._queue.clear()

    def decide(self, path: str, is_write: bool, supported: frozenset[str]) -> str | None:
        """The fault this request gets, if any; scripted faults first, in the order they were injected."""
        with self._lock:
            for item in self._queue:
                if self._applies(item, path, is_write, supported):
                    item.count -= 1
                    if item.count == 0:
                        self._queue.remove(item)
                    return item.kind
            return self._roll(is_write, supported)

    @staticmethod
    def _applies(item: _Scripted, path: str, is_write: bool, supported: frozenset[str]) -> bool:
        if item.kind not in supported or (item.kind == "drop_after_write" and not is_write):
            return False
        return item.path is None or item.path in path

    def _roll(self, is_write: bool, supported: frozenset[str]) -> str | None:
        # A zero rate draws no number, so turning one fault on does not reshuffle the others' sequence.
        chances = [("drop", self.drop_rate), ("error", self.error_rate), ("throttle", self.throttle_rate)]
        if is_write:
            chances.append(("drop_after_write", self.drop_after_write_rate))
        # Kinds added later draw last, so seeded sequences of the earlier kinds stay as they were.
        chances += [("ratelimit", self.ratelimit_rate), ("bad_request", self.bad_request_rate)]
        for kind, rate in chances:
            if rate > 0 and kind in supported and self._random.random() < rate:
                return kind
        return None
