"""What every emulator shares: the request and reply shapes, its lock, request log, faults and saved state."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relmap.sandbox.faults import KINDS, Faults
from relmap.sandbox.requestlog import LoggedRequest, RequestLog
from relmap.sandbox.storage import Store

Clock = Callable[[], float]


@dataclass(frozen=True)
class Request:
    """One HTTP request as the emulator sees it: ``query`` keeps every pair in order, so repeated keys survive."""

    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, if sent."""
        return next((value for key, value in self.query if key == name), None)

    def params(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]


@dataclass(frozen=True)
class Reply:
    """An answer: HTTP ``status`` and a JSON ``payload``; ``code`` is what the log records, if not the status."""

    status: int
    payload: Any
    code: int | None = None

    @property
    def logged_status(self) -> int:
        return self.status if self.code is None else self.code

    def body(self) -> bytes:
        return json.dumps(self.payload, ensure_ascii=False).encode("utf-8")

    def encoded(self) -> tuple[int, Iterable[bytes]]:
        """The body as the server sends it: its length in bytes, and its bytes in pieces, in order."""
        data = self.body()
        return len(data), (data,)


@dataclass(frozen=True)
class StreamedReply(Reply):
    """An answer whose body is never whole in memory: ``pieces()`` gives its ``length`` bytes a piece at a time (a
    relation each, say), from state the emulator handed over under its lock and does not change afterwards."""

    length: int = 0
    pieces: Callable[[], Iterator[bytes]] = lambda: iter(())

    def body(self) -> bytes:
        return b"".join(self.pieces())

    def encoded(self) -> tuple[int, Iterable[bytes]]:
        return self.length, self.pieces()


class Emulator:
    """Base of both emulators. Subclasses answer requests in ``handle``; the server calls ``serve``."""

    file_name = "emulator.json"
    fault_kinds: frozenset[str] = frozenset(KINDS)

    def __init__(self, faults: Faults | None = None, clock: Clock = time.time) -> None:
        self.faults = faults if faults is not None else Faults()
        self.clock = clock
        self.folder: Path | None = None
        self._store: Store | None = None
        self.failures: list[str] = []  # emulator bugs met while answering; tests assert there are none
        self._requests = RequestLog()
        self._lock = threading.RLock()

    # -- the request log -------------------------------------------------------------------------------------
    @property
    def log(self) -> list[LoggedRequest]:
        """A copy of every request that reached the emulator, in arrival order."""
        return self._requests.entries()

    def count(self, endpoint: str | None = None, method: str | None = None, ok_only: bool = False) -> int:
        return self._requests.count(endpoint, method, ok_only)

    def clear_log(self) -> None:
        self._requests.clear()

    def record(self, entry: LoggedRequest) -> None:
        self._requests.append(entry)

    # -- answering -------------------------------------------------------------------------------------------
    def serve(self, request: Request) -> Reply:
        with self._lock:
            return self.handle(request)

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def endpoint(self, request: Request) -> str:
        raise NotImplementedError

    def is_write(self, request: Request) -> bool:
        raise NotImplementedError

    def fault_reply(self, kind: str) -> Reply:
        raise NotImplementedError

    # -- saved state -----------------------------------------------------------------------------------------
    def attach(self, folder: Path | None) -> None:
        """Keep state in ``folder`` from now on, continuing from what is saved there already."""
        with self._lock:
            self.folder = folder
            self._store = Store(folder / self.file_name) if folder is not None else None
            if self._store is None:
                return
            saved, journal = self._store.load()
            if saved is not None:
                self.restore(saved)
            for entry in journal:
                self.replay(entry)

    def persist(self, *changes: Any) -> None:
        """Save the state, if a folder is attached; called under the lock after every successful write, with
        the journal entries that say what it changed (none: the whole state is saved)."""
        if self._store is None:
            return
        if changes and not self._store.due(len(changes), self.size()):
            self._store.append(changes)
        else:
            self._store.save(self.snapshot())

    def close(self) -> None:
        """Fold the journal into the snapshot, so the folder holds one file per emulator."""
        with self._lock:
            if self._store is not None and (self._store.pending or self._store.journal.exists()):
                self._store.save(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        raise NotImplementedError

    def restore(self, saved: dict[str, Any]) -> None:
        raise NotImplementedError

    def replay(self, entry: Any) -> None:
        """Carry out one journal entry (as ``persist`` was given it) on the restored state."""
        raise NotImplementedError

    def size(self) -> int:
        """How many records the snapshot holds."""
        raise NotImplementedError
