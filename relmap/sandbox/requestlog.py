"""The record of every request an emulator saw, so tests can count exactly what a sync spent."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class LoggedRequest:
    """One request: ``status`` is what was answered (None when the connection was dropped unanswered).

    For OutSmart ``status`` is the envelope ``code``, since the HTTP status is always 200 there.
    """

    method: str
    endpoint: str
    status: int | None
    fault: str | None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.fault is None


class RequestLog:
    """A thread-safe, append-only list of LoggedRequest."""

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def count(self, endpoint: str | None = None, method: str | None = None, ok_only: bool = False) -> int:
        """How many requests match; ``ok_only`` keeps those answered 200 without a fault."""
        return sum(
            1
            for entry in self.entries()
            if (endpoint is None or entry.endpoint == endpoint)
            and (method is None or entry.method == method.upper())
            and (not ok_only or entry.ok)
        )
