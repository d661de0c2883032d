"""Checks made before a template operation runs, for the bounded environment (env.py beside it): each refuses,
as a TemplateLimit, an operator, filter or method call that would make a value past the bounds in one step, before
it allocates; the filter checks return the (possibly listed) arguments.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from relmap.mapping.templates.limits import MAX_INT_BITS, MAX_RANGE, MAX_SIZE, TemplateLimit, projected, size

# ---- checks made before an operation runs: each raises TemplateLimit, or returns the (possibly listed) arguments ---


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str, default: Any = None) -> Any:
    """Argument ``index`` (0 is the filtered value) of a filter call, given by position or by name."""
    return args[index] if len(args) > index else kwargs.get(name, default)


def _width(value: Any, what: str) -> None:
    if isinstance(value, int) and value > MAX_SIZE:
        raise TemplateLimit(f"{what} {value:,} is over the template limit of {MAX_SIZE:,}")


def _check_center(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
    _width(_arg(args, kwargs, 1, "width"), "a width of")
    return args


def _check_indent(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
    width = _arg(args, kwargs, 1, "width", 4)
    step = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    text = _text(args[0])
    projected(len(text) + (text.count("\n") + 1) * max(step, 0), "text")
    return args


def _check_wordwrap(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
    width, wrap = _arg(args, kwargs, 1, "width", 79), _arg(args, kwargs, 3, "wrapstring")
    text = _text(args[0])
    lines = len(text) // max(width if isinstance(width, int) else 1, 1) + 1
    projected(len(text) + lines * len(_text(wrap or "\n")), "text")
    return args


def _check_join(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
    items = list(args[0])
    projected(sum(size(item) for item in items) + len(items) * len(_text(_arg(args, kwargs, 1, "d", ""))), "text")
    return (items, *args[1:])


def _check_replace(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
    text, old, new = _text(args[0]), _text(_arg(args, kwargs, 1, "old", "")), _text(_arg(args, kwargs, 2, "new", ""))
    count = _arg(args, kwargs, 3, "count")
    if len(new) > len(old):
        found = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            found = min(found, count)
        projected(len(text) + found * (len(new) - len(old)), "text")
    return args


def _check_count(what: str, name: str) -> Callable[..., tuple[Any, ...]]:
    def check(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
        count = _arg(args, kwargs, 1, name)
        if isinstance(count, int) and count > MAX_RANGE:
            raise TemplateLimit(f"{what} of {count:,} is over the template limit of {MAX_RANGE:,}")
        return args

    return check


def _check_sum(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
    items = list(args[0])
    start = _arg(args, kwargs, 2, "start", 0)
    if any(isinstance(item, str | list | tuple) for item in (start, *items)):
        projected(size(start) + sum(size(item) for item in items), "sum")
    return (items, *args[1:])


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")


def check_printf(template: Any, values: Any) -> None:
    """``'%10s' % x`` and ``|format``: no ``*`` widths, and the widths with the values must fit the bound."""
    text = _text(template)
    widths = 0
    for found in _PRINTF.finditer(text):
        for number in found.group(1, 2):
            if number == "*":
                raise TemplateLimit("'*' widths in % formatting are not allowed in templates; write the number")
            widths += int(number) if number and len(number) < 10 else (MAX_SIZE + 1 if number else 0)
    projected(len(text) + widths + size(values), "text")


def _check_format(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
    check_printf(args[0], kwargs or args[1:])
    return args


def _check_tojson(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
    indent = _arg(args, kwargs, 1, "indent")
    if isinstance(indent, int) and indent > 100:
        raise TemplateLimit(f"an indent of {indent:,} is over the template limit of 100")
    projected(size(args[0]) * (1 + (indent if isinstance(indent, int) and indent > 0 else 0)), "text")
    return args


FILTER_CHECKS: dict[str, Callable[..., tuple[Any, ...]]] = {
    "tojson": _check_tojson,
    "center": _check_center,
    "indent": _check_indent,
    "wordwrap": _check_wordwrap,
    "join": _check_join,
    "replace": _check_replace,
    "slice": _check_count("a slice count", "slices"),
    "batch": _check_count("a batch size", "linecount"),
    "sum": _check_sum,
    "format": _check_format,
}


def _check_repeat(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise TemplateLimit(f"a template integer would have more than {MAX_INT_BITS:,} bits (about 1,000 digits)")
        return
    sequence, times = (left, right) if isinstance(right, int) else (right, left)
    if isinstance(times, int) and isinstance(sequence, str | bytes | list | tuple):
        projected(size(sequence) * max(times, 0), "repetition")


def _check_power(left: Any, right: Any) -> None:
    ints = isinstance(left, int) and isinstance(right, int)
    if ints and right > 0 and abs(left) > 1 and right * math.log2(abs(left)) > MAX_INT_BITS:
        raise TemplateLimit(f"a template integer would have more than {MAX_INT_BITS:,} bits (about 1,000 digits)")


def _check_plus(left: Any, right: Any) -> None:
    if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
        projected(size(left) + size(right), "value")


def _check_modulo(left: Any, right: Any) -> None:
    if isinstance(left, str):
        check_printf(left, right)
    elif isinstance(left, bytes | bytearray):
        check_printf(bytes(left).decode("latin-1"), right)


BINOP_CHECKS: dict[str, Callable[[Any, Any], None]] = {
    "+": _check_plus,
    "-": lambda left, right: None,  # cannot make a large value in one step; the result is charged (integer bits)
    "*": _check_repeat,
    "**": _check_power,
    "%": _check_modulo,
}


def check_method(method: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Methods that can make a large value in one step, checked before they run: those of str and bytes (and of
    their subclasses, such as the Markup of |safe, whose methods are Python functions), and int.to_bytes."""
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if isinstance(owner, int) and name == "to_bytes":
        _width(args[0] if args and isinstance(args[0], int) else 1, "a length of")
        return args
    if not isinstance(owner, str | bytes):
        return args
    if name in ("center", "ljust", "rjust", "zfill") and args:
        _width(args[0], "a width of")
    elif name == "expandtabs":
        tab = args[0] if args and isinstance(args[0], int) else 8
        tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
        projected(len(owner) + tabs * max(tab, 0), "text")
    elif name == "join" and args:
        items = list(args[0])
        projected(sum(size(item) for item in items) + len(items) * len(owner), "text")
        return (items, *args[1:])
    elif name == "replace" and len(args) >= 2:
        _check_replace(owner, *args)
    elif name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str | bytes)), default=1)
        projected(len(owner) * max(longest, 1), "text")
    return args
