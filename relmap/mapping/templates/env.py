"""The one Jinja environment mapping templates run in: sandboxed, immutable and bounded (see limits.py beside it).

Jinja's ImmutableSandboxedEnvironment already refuses Python internals and the methods that change a list, dict or
set. On top of it: ``str.format`` and the ``attr`` filter are gone (both have been ways out of the sandbox), every
operator, filter, call and concatenation that can make a large value is checked before it runs, and the values a
template is handed are frozen copies, so that no template can change the record, ``vars`` or anything read later.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, _PassArg

from relmap.mapping.templates.limits import (
    MAX_INT_BITS,
    MAX_RANGE,
    MAX_SIZE,
    TemplateLimit,
    bounded_range,
    charge,
    projected,
    size,
)

# Methods that change the list, dict or set they are called on (or, unbound, the one they are given).
_CHANGING = "append extend insert pop popitem remove clear update setdefault add discard sort reverse appendleft"
MUTATING = frozenset(f"{_CHANGING} extendleft popleft rotate difference_update intersection_update".split())
# Names Jinja offers that a mapping has no use for: lipsum makes text of any length.
_DROPPED_GLOBALS = ("lipsum",)
# Filters that are not offered at all: attr reaches any attribute by a computed name (CVE-2025-27516 went that way).
# urlize makes HTML links, and its regular expressions take quadratic time on text such as ")" * 100,000, in C,
# where no time limit reaches: a payload wants the text itself. random makes a template impure.
DROPPED_FILTERS = {
    "attr": "read attributes by name: record.city or record['city']",
    "urlize": "a Silvasoft parameter takes the text itself, not HTML links",
    # a template is a function of its record: with random, the same relation renders differently on every run, and
    # each run sends Silvasoft an update that changes nothing in OutSmart
    "random": "a template gives the same value for the same record; pick with an index or a lookup table instead",
}


class FrozenDict(dict[Any, Any]):
    """A dict no template can change: the sandbox already refuses its mutating methods; this refuses them in Python."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("values handed to templates cannot be changed")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


def freeze(value: Any) -> Any:
    """A deep, read-only copy of a value handed to templates: dicts become FrozenDicts, lists and sets tuples."""
    if type(value) in _IMMUTABLE:  # nearly every field value: checked first, for speed
        return value
    if isinstance(value, Mapping):
        if _IMMUTABLE.issuperset(map(type, value.values())):  # a record's fields: text and None, copied in C
            return FrozenDict(value)
        return FrozenDict({key: item if type(item) in _IMMUTABLE else freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(freeze(item) for item in value)
    return value


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})
# Jinja filters whose result is never larger than what they are given: they need no charging (and run per record).
_NOT_GROWING = frozenset(
    {
        *("trim", "striptags", "wordcount", "default", "d", "length"),  # not lower or upper: "ΐ" upper is 3 long
        *("first", "last", "count", "int", "float", "abs", "round", "reverse", "sort", "unique", "min", "max"),
        *("random", "items"),
    }
)


class BoundedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to the environment's checked concatenation instead of Jinja's unchecked ``str_join``, and
    charges every tuple, list and dict a template builds with its whole size: ``(a, a)`` holds ``a`` twice, so ten
    nested pairs are a thousand items, and forty would be a trillion that hashing or printing walks in C, where no
    time limit can stop it."""

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        self._charged(node, frame, super().visit_Tuple)

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._charged(node, frame, super().visit_List)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._charged(node, frame, super().visit_Dict)

    def _charged(self, node: nodes.Expr, frame: Frame, visit: Callable[[Any, Frame], None]) -> None:
        if getattr(node, "ctx", "load") != "load":  # an assignment's targets: `{% set a, b = ... %}`, `for a, b in`
            visit(node, frame)
            return
        self.write("environment.literal(")
        visit(node, frame)
        self.write(")")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.concat(map(str, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """Templates cannot reach Python internals, change what they are handed, or make values past the bounds."""

    # Intercepted operators are also never folded at compile time, so `10**(10**9)` no longer hangs validation.
    intercepted_binops = frozenset({"+", "-", "*", "**", "%"})
    code_generator_class = BoundedCodeGenerator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in _DROPPED_GLOBALS:
            self.globals.pop(name, None)
        self.globals["range"] = bounded_range
        self.globals["namespace"] = BoundedNamespace
        for name in DROPPED_FILTERS:
            self.filters.pop(name, None)
        self.filters = {
            name: function if name in _NOT_GROWING else bounded(function, _FILTER_CHECKS.get(name))
            for name, function in self.filters.items()
        }  # tests give True or False: nothing to bound

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr in ("format", "format_map") and isinstance(obj, str):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        return None  # str.format is refused outright (is_safe_attribute), not wrapped

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _BINOP_CHECKS[operator](left, right)
        return charge(self.binop_table[operator](left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__objclass__", None)  # an unbound method: dict.update(record, ...)
        if isinstance(owner, type) and getattr(__obj, "__name__", "") in MUTATING:
            raise SecurityError(f"templates cannot change values: {owner.__name__}.{__obj.__name__}() changes one")
        args = _check_method(__obj, args)
        # What a call is given, it may hold more than once (cycler(a, a).items is the pair again): count it whole.
        projected(sum(size(arg) for arg in args) + sum(size(arg) for arg in kwargs.values()), "call's arguments")
        return charge(super().call(__context, __obj, *args, **kwargs))

    def literal(self, value: Any) -> Any:
        """A tuple, list or dict a template wrote, counted with everything it holds (BoundedCodeGenerator)."""
        return charge(value)

    def concat(self, pieces: Iterable[str]) -> str:
        """Every join of template output (``~``, macro bodies, ``{% set %}`` blocks) goes through here."""
        parts = list(pieces)
        projected(sum(map(len, parts)), "text")
        return charge("".join(parts))


class BoundedNamespace(Namespace):
    """``namespace()``: the one thing that carries a value from one loop step to the next, so every value put in it
    is measured (size and depth): what a loop builds step by step cannot outgrow the bounds unseen."""

    def __init__(*args: Any, **kwargs: Any) -> None:  # Jinja's own signature: self comes in args
        for value in (*args[1:], *kwargs.values()):
            charge(value)
        Namespace.__init__(*args, **kwargs)

    def __setitem__(self, name: str, value: Any) -> None:
        if size(value) > MAX_SIZE:
            raise TemplateLimit(f"a namespace value would hold more than {MAX_SIZE:,} characters or items")
        Namespace.__setitem__(self, name, value)


def bounded(function: Callable[..., Any], check: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """A filter or test whose result is charged against the bounds, after ``check`` has seen its arguments."""
    skip = 1 if _PassArg.from_obj(function) else 0  # the context, eval context or environment Jinja passes first

    @functools.wraps(function)  # keeps jinja_pass_arg, so Jinja still passes what the filter asks for
    def run(*args: Any, **kwargs: Any) -> Any:
        if check is not None:
            args = args[:skip] + check(*args[skip:], **kwargs)
        return charge(function(*args, **kwargs))

    return run


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


_FILTER_CHECKS: dict[str, Callable[..., tuple[Any, ...]]] = {
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


_BINOP_CHECKS: dict[str, Callable[[Any, Any], None]] = {
    "+": _check_plus,
    "-": lambda left, right: None,  # cannot make a large value in one step; the result is charged (integer bits)
    "*": _check_repeat,
    "**": _check_power,
    "%": _check_modulo,
}


def _check_method(method: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
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
