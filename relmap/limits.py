"""The bounds every template evaluation runs within: time, the size of each value it makes, integers, loops.

A mapping comes from a colleague or the internet, and runs from cron over every relation; a template that never ends
or makes a gigabyte string must cost one record error, not the run (nor, when it is constant, the validation).

- time: ``TIME_LIMIT`` seconds of wall time per evaluation (one template, expression or ``when``), enforced by a
  watchdog thread that raises ``TemplateTimeout`` into the evaluating thread at its next bytecode;
- size: no string, list or dict made by a template may exceed ``MAX_SIZE`` (characters, or items plus the size of
  what they hold), and one evaluation may make at most ``MAX_TOTAL`` of them in all. Operations that could allocate
  more in one C call (``*``, ``%``, ``~``, ``join``, ``center``, ...) are checked *before* they run;
- integers: at most ``MAX_INT_BITS`` bits (about 1,000 decimal digits);
- loops: ``range()`` gives at most ``MAX_RANGE`` numbers.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from jinja2 import Undefined

from relmap.errors import TransformError

TIME_LIMIT = 2.0
MAX_SIZE = 1_000_000
MAX_TOTAL = 10_000_000
MAX_INT_BITS = 3_322  # 10**1000 has 3,322 bits
MAX_RANGE = 10_000

_POLL = 0.02


class TemplateLimit(TransformError):
    """A template evaluation went past one of the bounds above."""


class TemplateTimeout(TemplateLimit):
    """An evaluation ran past its time limit and was stopped."""


class _Meter(threading.local):
    """What the evaluation running in this thread has made so far (``active`` is False outside one)."""

    active = False
    total = 0


_meter = _Meter()


def charge(value: Any) -> Any:
    """Count a value an evaluation made against its bounds; return it unchanged."""
    amount = size(value, MAX_SIZE)
    if amount > MAX_SIZE:
        raise TemplateLimit(f"a template value would hold more than {MAX_SIZE:,} characters or items")
    if _meter.active:
        _meter.total += amount
        if _meter.total > MAX_TOTAL:
            raise TemplateLimit(f"a template made more than {MAX_TOTAL:,} characters or items in one evaluation")
    return value


def size(value: Any, cap: int = MAX_SIZE) -> int:
    """Characters of a string, items plus the size of what they hold for containers, 1 for anything else.

    It stops counting once ``cap`` is passed, so that measuring a huge value costs no more than the bound.
    """
    if isinstance(value, str | bytes | bytearray):
        return len(value)
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # an attribute the sandbox refused, inside a list or a dict
    if isinstance(value, int) and not isinstance(value, bool):
        check_int(value)
        return 1
    if isinstance(value, Mapping):
        items: Any = value.items()
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        return 1
    total = len(value)
    for item in items:
        total += size(item, cap - total)
        if total > cap:
            break
    return total


def check_int(value: int) -> None:
    if value.bit_length() > MAX_INT_BITS:
        raise TemplateLimit(f"a template integer would have more than {MAX_INT_BITS:,} bits (about 1,000 digits)")


def projected(amount: float, what: str = "value") -> None:
    """Refuse an operation before it runs when what it would make is over the bound."""
    if amount > MAX_SIZE:
        raise TemplateLimit(f"a template {what} would hold more than {MAX_SIZE:,} characters or items")


def bounded_range(*args: int) -> range:
    """``range`` for templates: at most ``MAX_RANGE`` numbers."""
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimit(f"range() in a template gives at most {MAX_RANGE:,} numbers, not {len(numbers):,}")
    return numbers


class _Stop(BaseException):
    """What the watchdog raises into a late evaluation: not an Exception, so no ``except Exception`` in a filter or
    library swallows it; ``evaluation`` turns it into a TemplateTimeout, an ordinary record error."""


@contextmanager
def evaluation(seconds: float | None = None) -> Iterator[None]:
    """Run the body as one bounded evaluation: metered sizes, and stopped after ``seconds`` (``TIME_LIMIT``).

    Evaluations do not nest: an inner one (a template that renders another) shares the outer one's bounds.
    """
    if _meter.active:
        yield
        return
    _meter.active, _meter.total = True, 0
    seconds = TIME_LIMIT if seconds is None else seconds
    token = _WATCHDOG.arm(seconds)
    try:
        yield
    except _Stop:
        raise TemplateTimeout(f"template ran longer than the {seconds:g} s limit and was stopped") from None
    finally:
        _WATCHDOG.disarm(token)
        _meter.active = False


class _Watchdog:
    """One daemon thread that stops evaluations past their deadline, in whichever thread they run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[int, list[Any]] = {}  # thread id → [deadline, token, fired]
        self._tokens = 0
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float) -> int:
        with self._lock:
            self._tokens += 1
            self._armed[threading.get_ident()] = [time.monotonic() + seconds, self._tokens, False]
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="relmap-template-watchdog", daemon=True)
                self._thread.start()
            return self._tokens

    def disarm(self, token: int) -> None:
        ident = threading.get_ident()
        with self._lock:
            entry = self._armed.get(ident)
            if entry is None or entry[1] != token:
                return
            del self._armed[ident]
            if entry[2]:
                # A stop may still be pending (the body finished just as the deadline passed): clear it here, under
                # the lock, so that it can never land in the code after the evaluation.
                _set_async_exc(ident, None)

    def _watch(self) -> None:
        while True:
            time.sleep(_POLL)
            now = time.monotonic()
            with self._lock:
                for ident, entry in self._armed.items():
                    if entry[0] <= now:
                        entry[2] = True  # raised again every poll, should something have caught it
                        _set_async_exc(ident, _Stop)


def _set_async_exc(ident: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc) if exc else None)


_WATCHDOG = _Watchdog()
