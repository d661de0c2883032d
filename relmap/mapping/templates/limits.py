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
import gc
import math
import threading
import time
from collections.abc import Callable, ItemsView, KeysView, Mapping, ValuesView
from typing import Any

from jinja2 import Undefined
from jinja2.utils import Namespace

from relmap.errors import TransformError

TIME_LIMIT = 2.0
MAX_SIZE = 1_000_000
MAX_TOTAL = 10_000_000
MAX_INT_BITS = 3_322  # 10**1000 has 3,322 bits
MAX_RANGE = 10_000
MAX_DEPTH = 100

_POLL = 0.02


class TemplateLimit(TransformError):
    """A template evaluation went past one of the bounds above."""


class TemplateTimeout(TemplateLimit):
    """An evaluation ran past its time limit and was stopped."""


class _Slot:
    """One thread's evaluation: whether one runs, what it has made, its deadline, and whether it was told to stop."""

    __slots__ = ("active", "deadline", "fired", "ident", "paused", "total")

    def __init__(self, ident: int) -> None:
        self.ident, self.active, self.total, self.deadline, self.fired = ident, False, 0, math.inf, False
        self.paused = 0.0  # seconds the deadline was moved for Python's garbage collector, in this evaluation


class _Local(threading.local):
    def __init__(self) -> None:
        self.slot = _WATCHDOG.register(threading.get_ident())


def charge(value: Any) -> Any:
    """Count a value an evaluation made against its bounds; return it unchanged."""
    amount = len(value) if type(value) is str else size(value, MAX_SIZE)  # text, nearly always: no walk
    if amount > MAX_SIZE:
        raise TemplateLimit(f"a template value would hold more than {MAX_SIZE:,} characters or items")
    slot = _local.slot
    if slot.active:
        slot.total += amount
        if slot.total > MAX_TOTAL:
            raise TemplateLimit(f"a template made more than {MAX_TOTAL:,} characters or items in one evaluation")
    return value


def spent() -> int:
    """What the running evaluation has charged so far (0 when none runs)."""
    slot = _local.slot
    return slot.total if slot.active else 0


def rewind(total: int) -> None:
    """Set the running evaluation's charge back to ``total`` (from ``spent``): an attempt whose work is done again."""
    slot = _local.slot
    if slot.active:
        slot.total = total


def size(value: Any, cap: int = MAX_SIZE, depth: int = 0) -> int:
    """Characters of a string, items plus the size of what they hold for containers, 1 for anything else.

    It stops counting once ``cap`` is passed, so that measuring a huge value costs no more than the bound; a value
    nested deeper than ``MAX_DEPTH`` is refused (hashing or comparing one recurses in C, past any limit Python has).
    """
    kind = type(value)
    if kind is str or kind is bytes or kind is bytearray:
        return len(value)
    if kind in _SCALARS:
        return 1
    if kind is int:
        check_int(value)
        return 1
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # an attribute the sandbox refused, inside a list or a dict
    if isinstance(value, str | bytes | bytearray):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        check_int(value)
        return 1
    if isinstance(value, dict | Mapping):
        items: Any = value.items()
    elif isinstance(value, list | tuple | set | frozenset | KeysView | ValuesView | ItemsView):
        items = value  # a dict's view prints all of the dict
    elif isinstance(value, Namespace):
        items = object.__getattribute__(value, "_Namespace__attrs").items()  # and so does a namespace
    else:
        return 1
    if depth >= MAX_DEPTH:
        raise TemplateLimit(f"a template value nests lists, tuples or dicts more than {MAX_DEPTH} deep")
    total = len(items)
    for item in items:
        total += size(item, cap - total, depth + 1)
        if total > cap:
            break
    return total


_SCALARS = frozenset({bool, float, type(None)})


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
    library swallows it; ``bounded_call`` turns it into a TemplateTimeout, an ordinary record error."""


def bounded_call(function: Callable[[Any], Any], argument: Any, seconds: float | None = None) -> Any:
    """``function(argument)`` as one bounded evaluation: metered sizes, and stopped after ``seconds``
    (``TIME_LIMIT``). Evaluations do not nest: an inner one shares the outer one's bounds.

    The watchdog raises its stop once per evaluation; wherever it lands (in the body, or while the body unwinds, or
    in the first disarm), it ends here as a TemplateTimeout, and the slot is disarmed whatever happened.
    """
    slot = _local.slot
    if slot.active:
        return function(argument)
    limit = TIME_LIMIT if seconds is None else seconds
    slot.active, slot.total, slot.fired, slot.paused = True, 0, False, 0.0
    slot.deadline = time.monotonic() + limit
    try:
        try:
            return function(argument)
        finally:
            _WATCHDOG.disarm(slot)
    except _Stop:
        _WATCHDOG.disarm(slot)  # again: the stop may have landed inside the first one, before it finished
        raise TemplateTimeout(f"template ran longer than the {limit:g} s limit and was stopped") from None


class _Watchdog:
    """One daemon thread that stops evaluations past their deadline, in whichever thread they run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.slots: list[_Slot] = []
        self._thread: threading.Thread | None = None

    def register(self, ident: int) -> _Slot:
        slot = _Slot(ident)
        with self.lock:
            alive = {thread.ident for thread in threading.enumerate()}
            self.slots = [s for s in self.slots if s.ident in alive and s.ident != ident] + [slot]
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="relmap-template-watchdog", daemon=True)
                self._thread.start()
        return slot

    def disarm(self, slot: _Slot) -> None:
        # The common case, without the lock: the deadline is cleared first, so a watchdog that reads the slot after
        # this line passes it by; one that read the old deadline did so at a time before the clock read below, so it
        # can have fired only if that clock is past the deadline too, and then the locked path clears its stop.
        deadline = slot.deadline
        slot.deadline = math.inf
        if not slot.fired and time.monotonic() < deadline:
            slot.active = False
            return
        with self.lock:
            slot.active, slot.deadline = False, math.inf
            if slot.fired:
                # A stop may still be pending (the body finished just as the deadline passed): clear it here, under
                # the lock, so that it can never land in the code after the evaluation.
                _set_async_exc(slot.ident, None)

    def _watch(self) -> None:
        while True:
            time.sleep(_POLL)
            now = time.monotonic()
            with self.lock:
                for slot in self.slots:
                    if slot.active and slot.deadline <= now and not slot.fired:
                        slot.fired = True  # once: a second stop could land in the code that handles the first
                        _set_async_exc(slot.ident, _Stop)


class _CollectorPauses:
    """Python's garbage collector stops every thread; with 100,000 relations in memory a full collection can take
    a second or more, which is no template's doing. Each evaluation's deadline moves by the collector's pauses
    while it runs, up to TIME_LIMIT in all, so a loaded machine does not turn such a pause into a record error."""

    def __init__(self) -> None:
        self.started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.monotonic()
            return
        pause = time.monotonic() - self.started
        # Never wait here: the collector may run in a thread that holds the lock already. A pause not counted only
        # keeps the deadline where it was.
        if not _WATCHDOG.lock.acquire(blocking=False):
            return
        try:
            for slot in _WATCHDOG.slots:  # every thread waited: the collector holds the GIL
                if slot.active and slot.deadline != math.inf and slot.paused < TIME_LIMIT:
                    moved = min(pause, TIME_LIMIT - slot.paused)
                    slot.paused += moved
                    slot.deadline += moved
        finally:
            _WATCHDOG.lock.release()


def _set_async_exc(ident: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc) if exc else None)


_WATCHDOG = _Watchdog()
_local = _Local()
gc.callbacks.append(_CollectorPauses())
