"""Filter and test arguments, checked when a mapping is compiled: how many, which names, and the types of literals.

The rules are read from each registered function's own signature and annotations (``inspect``), never from a table
kept beside them: a filter or test that gains an argument is checked by its new signature at once, for relmap's own
(relmap.mapping.filters) and for Jinja's built-ins alike. Only literal arguments (``"BE"``, ``2``, ``true``) can
have their type checked; a name or an expression passes here, and the filter itself checks the value when it runs.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import nodes
from jinja2.utils import _PassArg

from relmap.mapping.schema import did_you_mean
from relmap.mapping.templates.expressions import TemplateProblem, environment
from relmap.mapping.yamlfile.text import shown

_EMPTY = inspect.Parameter.empty
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_BY_NAME = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
_TYPE_NAMES: dict[Any, str] = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
_TYPE_NAMES[type(None)] = "none"


@dataclass(frozen=True)
class Accepts:
    """What a filter or test takes after the value it is applied to."""

    kind: str  # "filter" or "test"
    name: str
    params: tuple[inspect.Parameter, ...]
    types: dict[str, Any]  # parameter name → its annotation, where it could be read
    any_positional: bool  # *args
    any_keyword: bool  # **kwargs

    @property
    def positional(self) -> list[inspect.Parameter]:
        return [p for p in self.params if p.kind in _POSITIONAL]

    @property
    def named(self) -> list[str]:
        return [p.name for p in self.params if p.kind in _BY_NAME]

    def usage(self) -> str:
        """``postcode(country="NL", invalid="keep")``, or ``valid_kvk`` when it takes no argument.

        An argument whose default is None is left out: that None only says it was not given, and such an argument
        is an older spelling (``strict``, now ``invalid``) or a rarely needed one (``replace``'s ``count``). Unless
        every argument is one: ``trim(chars=none)`` still shows that trim takes an argument."""
        listed = [p for p in self.params if p.default is not None] or list(self.params)
        shown = [p.name if p.default is _EMPTY else f"{p.name}={_literal(p.default)}" for p in listed]
        call = f"{self.name}({', '.join(shown)})" if shown else self.name
        return f"is {call}" if self.kind == "test" else f"| {call}"


def check_arguments(tree: nodes.Template) -> Iterator[TemplateProblem]:
    """Every filter and test call whose arguments its function would refuse, at the template's own line."""
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        assert isinstance(node, nodes.Filter | nodes.Test)
        kind = "filter" if isinstance(node, nodes.Filter) else "test"
        accepts = accepted(kind, node.name)
        if accepts is not None and node.dyn_args is None and node.dyn_kwargs is None:
            found = list(_problems(accepts, node))
            for message, hint in found:
                yield TemplateProblem(node.lineno, f"{kind} '{node.name}'{message}", f"{kind}-argument", hint)
            refused = None if found else _refused(kind, node)
            if refused is not None:
                yield TemplateProblem(node.lineno, f"{kind} '{node.name}': {refused}", f"{kind}-argument")


def _refused(kind: str, node: nodes.Filter | nodes.Test) -> str | None:
    """What one of relmap's own filters or tests says of constant arguments it refuses whatever the value (a pattern
    that cannot compile, a group the pattern lacks, invalid= beside strict=), tried on a blank value, which reads no
    data, within a template's bounds; None when the arguments are not all literals or it takes them."""
    from relmap.mapping.filters import FILTERS, TESTS
    from relmap.mapping.filters.values import ArgumentError
    from relmap.mapping.templates.limits import bounded_call

    function = (FILTERS if kind == "filter" else TESTS).get(node.name)
    if function is None or not (node.args or node.kwargs):
        return None
    args = [_literal_value(arg) for arg in node.args]
    kwargs = {str(keyword.key): _literal_value(keyword.value) for keyword in node.kwargs}
    if any(value is _EMPTY or isinstance(value, _Collection) for value in (*args, *kwargs.values())):
        return None
    try:
        bounded_call(lambda call: call[0]("", *call[1], **call[2]), (function, args, kwargs))
    except ArgumentError as exc:
        return str(exc)
    except Exception:  # another failure on a blank value says nothing about the arguments
        return None
    return None


@lru_cache(maxsize=256)
def accepted(kind: str, name: str) -> Accepts | None:
    """The arguments of the filter or test ``name``; None when it is unknown or its signature cannot be read."""
    env = environment()
    function = (env.filters if kind == "filter" else env.tests).get(name)
    if not callable(function):
        return None
    inner = inspect.unwrap(function)  # Jinja's async variants and relmap's bounds wrap the function that decides
    try:
        params = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # a function implemented in C may have no signature to read
        return None
    if _PassArg.from_obj(inner) is not None and params:
        params = params[1:]  # the context, eval context or environment Jinja passes first
    if not params or params[0].kind not in _POSITIONAL:
        return None
    params = params[1:]  # the value the filter or test is applied to
    rest = tuple(p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
    return Accepts(
        kind,
        name,
        rest,
        {p.name: t for p in rest if (t := _annotation(inner, p)) is not _EMPTY},
        any(p.kind is p.VAR_POSITIONAL for p in params),
        any(p.kind is p.VAR_KEYWORD for p in params),
    )


def _annotation(function: Any, param: inspect.Parameter) -> Any:
    """The parameter's annotation as a type; _EMPTY when there is none or it names what cannot be imported here."""
    annotation = param.annotation
    if not isinstance(annotation, str):
        return annotation

    def holder() -> None:  # one annotation at a time: another one naming what is not importable must not hide it
        pass

    holder.__annotations__ = {param.name: annotation}
    names = {"t": typing, "te": typing}  # Jinja writes te.Literal under TYPE_CHECKING; typing has the same Literal
    try:
        return typing.get_type_hints(holder, getattr(function, "__globals__", {}), names)[param.name]
    except Exception:  # a name only imported for type checkers (Environment, HasHTML): that annotation is not read
        return _EMPTY


def _problems(accepts: Accepts, node: nodes.Filter | nodes.Test) -> Iterator[tuple[str, str]]:
    usage = f"it takes: {accepts.usage()}"
    positional = accepts.positional
    bound: dict[str, nodes.Expr] = {}
    if len(node.args) > len(positional) and not accepts.any_positional:
        yield _too_many(accepts, len(node.args), len(positional))
    for param, value in zip(positional, node.args, strict=False):
        bound[param.name] = value
    for keyword in node.kwargs:
        key = str(keyword.key)
        if key in bound:
            yield f" is given '{key}' twice", usage
        elif key in accepts.named:
            bound[key] = keyword.value
        elif not accepts.any_keyword:
            close = did_you_mean(key, accepts.named)
            yield f" has no argument '{shown(key)}'", f"{close} {usage}" if close else usage
    missing = [p.name for p in accepts.params if p.default is _EMPTY and p.name not in bound]
    if missing and len(node.args) <= len(positional):
        yield f" needs {_listed(missing)}", usage
    defaults = {p.name: p.default for p in accepts.params}
    for name, value in bound.items():
        if name in accepts.types:
            problem = _type_problem(name, value, accepts.types[name], defaults[name] is None, usage)
            if problem:
                yield problem


def _too_many(accepts: Accepts, given: int, taken: int) -> tuple[str, str]:
    if not taken:
        return f" takes no arguments, but {given} {'is' if given == 1 else 'are'} given", f"write: {accepts.usage()}"
    most = "at most " if any(p.default is not _EMPTY for p in accepts.positional) else ""
    count = f"{taken} argument{'s' * (taken != 1)}"
    return f" takes {most}{count}, but {given} are given", f"it takes: {accepts.usage()}"


class _Collection:
    """A list or mapping literal: its items are not checked, but it is no text, number or boolean."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


def _literal_value(node: nodes.Expr) -> Any:
    """The value of a literal argument; _EMPTY for anything that is known only when the template runs."""
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.Neg | nodes.Pos) and isinstance(node.node, nodes.Const):
        value = node.node.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value if isinstance(node, nodes.Neg) else value
    if isinstance(node, nodes.List | nodes.Tuple):
        return _Collection("a list")
    if isinstance(node, nodes.Dict):
        return _Collection("a mapping")
    return _EMPTY


def _type_problem(
    name: str, node: nodes.Expr, annotation: Any, none_default: bool, usage: str
) -> tuple[str, str] | None:
    value = _literal_value(node)
    if value is _EMPTY or _fits(value, annotation) is not False:
        return None
    wanted = _wanted(annotation, none_default)
    return f": argument {name} takes {wanted}, not {_described(value)}", _spelling(name, value, annotation) or usage


def _fits(value: Any, annotation: Any) -> bool | None:
    """True or False where the annotation says; None where it says nothing checkable (a TypeVar, an Iterable)."""
    if annotation is Any or isinstance(annotation, typing.TypeVar):
        return None
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        answers = [_fits(value, member) for member in typing.get_args(annotation)]
        return True if True in answers else None if None in answers else False
    if origin is typing.Literal:
        return any(type(value) is type(choice) and value == choice for choice in typing.get_args(annotation))
    if annotation is None or annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    return None


def _wanted(annotation: Any, none_default: bool = False) -> str:
    """What the annotation takes, in words. For an argument whose default is None, none only means "not given":
    ``strict: bool | None = None`` takes true or false, ``chars: str | None = None`` takes text."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(_literal(choice) for choice in typing.get_args(annotation))
    if origin is typing.Union or origin is types.UnionType:
        members = [m for m in typing.get_args(annotation) if not (none_default and m is type(None))]
        return " or ".join(dict.fromkeys(_wanted(member) for member in members))
    return _TYPE_NAMES.get(annotation, "another kind of value")


def _spelling(name: str, value: Any, annotation: Any) -> str | None:
    """The argument as it was most likely meant: ``strict="yes"`` → ``strict=true``, ``format=12`` → ``"12"``."""
    for meant in _readings(value):
        if _fits(meant, annotation) is True:
            return f"write {name}={_literal(meant)}"
    return None


def _readings(value: Any) -> Iterator[Any]:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("true", "yes", "ja", "1"):
            yield True
        elif word in ("false", "no", "nee", "0"):
            yield False
        if word.lstrip("-").isdigit() and len(word) < 20:
            yield int(word)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if value in (0, 1):
            yield bool(value)
        yield str(value)


def _described(value: Any) -> str:
    if isinstance(value, _Collection):
        return value.kind
    if isinstance(value, list | tuple | dict):  # a literal list Jinja has already folded into a constant
        return "a mapping" if isinstance(value, dict) else "a list"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"the boolean {_literal(value)}"
    if isinstance(value, str):
        return f"the text {_literal(value)}"
    return f"the number {value}"


def _literal(value: Any) -> str:
    """A value as a template writes it: true, none, "NL", 2."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, str):
        quoted = repr(value)[1:-1].replace('"', '\\"')
        return f'"{quoted[:40]}"'
    return str(value)


def _listed(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return ("the argument " if len(names) == 1 else "the arguments ") + " and ".join(quoted)
