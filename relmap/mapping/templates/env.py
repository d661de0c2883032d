"""The one Jinja environment mapping templates run in: sandboxed, immutable and bounded (see limits.py beside it).

Jinja's ImmutableSandboxedEnvironment already refuses Python internals and the methods that change a list, dict or
set. On top of it: ``str.format`` and the ``attr`` filter are gone (both have been ways out of the sandbox), every
operator, filter, call and concatenation that can make a large value is checked before it runs, and the values a
template is handed are frozen copies, so that no template can change the record, ``vars`` or anything read later.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, _PassArg

from relmap.mapping.templates.checks import BINOP_CHECKS, FILTER_CHECKS, check_method
from relmap.mapping.templates.limits import (
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
            name: function if name in _NOT_GROWING else bounded(function, FILTER_CHECKS.get(name))
            for name, function in self.filters.items()
        }  # tests give True or False: nothing to bound

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr in ("format", "format_map") and isinstance(obj, str):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        return None  # str.format is refused outright (is_safe_attribute), not wrapped

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        BINOP_CHECKS[operator](left, right)
        return charge(self.binop_table[operator](left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__objclass__", None)  # an unbound method: dict.update(record, ...)
        if isinstance(owner, type) and getattr(__obj, "__name__", "") in MUTATING:
            raise SecurityError(f"templates cannot change values: {owner.__name__}.{__obj.__name__}() changes one")
        args = check_method(__obj, args)
        # What a call is given, it may hold more than once (cycler(a, a).items is the pair again): count it whole.
        # Text is charged where it is made, and the frozen record, vars and ff are relmap's input: what is measured
        # here are the containers a template made, which a call may hold twice.
        made = [arg for arg in (*args, *kwargs.values()) if type(arg) is not str and not isinstance(arg, FrozenDict)]
        if made:
            projected(sum(size(arg) for arg in made), "call's arguments")
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
