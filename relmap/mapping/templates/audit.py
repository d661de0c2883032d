"""What ``relmap validate`` refuses in a template before it ever runs: escapes, changes, other files, constant blow-ups.

The bounded environment (relmap.mapping.templates.env) refuses all of these at render time too; finding them in
the syntax tree says so once, at the template's own line, instead of once per record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jinja2 import nodes
from jinja2.utils import _PassArg

from relmap.mapping.templates.env import DROPPED_FILTERS, MUTATING
from relmap.mapping.templates.expressions import TemplateProblem, environment
from relmap.mapping.templates.limits import MAX_INT_BITS, TemplateLimit, TemplateTimeout, bounded_call, bounded_range

# Attributes of Python's own objects that lead from a value to the interpreter (frames, code, globals).
_FRAMES = "gi_frame gi_code gi_yieldfrom cr_frame cr_code cr_await ag_frame ag_code tb_frame tb_next"
INTERNAL = frozenset(
    f"mro {_FRAMES} f_globals f_locals f_builtins f_code f_back func_globals func_code im_func".split()
)
_OTHER_FILES = {
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
    nodes.Extends: "{% extends %}",
}
# Filters whose first argument names another filter or test, and those that take an ``attribute=`` path.
_NAMES_FILTER = {"map": "filter"}
_NAMES_TEST = {"select": "test", "reject": "test"}
_ATTRIBUTE_FILTERS = frozenset(["map", "selectattr", "rejectattr", "sort", "groupby", "unique", "min", "max", "sum"])
CONSTANT_TIME_LIMIT = 2.0


def audit(tree: nodes.Template) -> Iterator[TemplateProblem]:
    """Every construct a mapping template may not use, at its own line (one problem of a kind per line)."""
    seen: set[tuple[int, str]] = set()
    for problem in _problems(tree):
        if (problem.line, problem.code) not in seen:
            seen.add((problem.line, problem.code))
            yield problem


def _problems(tree: nodes.Template) -> Iterator[TemplateProblem]:
    for node in tree.find_all(tuple(_OTHER_FILES)):
        tag = _OTHER_FILES[type(node)]
        yield TemplateProblem(
            node.lineno,
            f"{tag} is not available in mappings: a template reads one record and loads no other file",
            "template-forbidden",
            "put the shared part in a {% macro %} in this template, or in vars:",
        )
    for reach in tree.find_all((nodes.Getattr, nodes.Getitem)):
        yield from _attribute(reach)  # type: ignore[arg-type]  # find_all gives only the node types it is asked for
    for applied in tree.find_all(nodes.Filter):
        yield from _filter(applied)
    for constant in tree.find_all(nodes.Const):
        value = constant.value
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            yield TemplateProblem(
                constant.lineno, "a number in this template has more than 1,000 digits", "template-limit"
            )
    yield from _constants(tree)


def _attribute(node: nodes.Getattr | nodes.Getitem) -> Iterator[TemplateProblem]:
    if isinstance(node, nodes.Getattr):
        name: Any = node.attr
    elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        name = node.arg.value
        if not name.startswith("__"):
            return  # record['_id'] is a key, not an attribute
    else:
        return
    if name.startswith("_") or name in INTERNAL:
        yield _unsafe(node.lineno, name)
    elif name in ("format", "format_map"):
        yield TemplateProblem(
            node.lineno,
            f"str.{name} is not available in mappings",
            "template-unsafe",
            "join with ~ (first ~ ' ' ~ last), or use the format filter: '%s %s'|format(first, last)",
        )
    elif name in MUTATING and isinstance(node, nodes.Getattr):
        yield TemplateProblem(
            node.lineno,
            f"templates cannot change values: .{name}() would change what it is called on",
            "template-mutation",
            "build a new value instead, for example {% set parts = [street, city] %} or dict(city=city)",
        )


def _unsafe(line: int, name: str) -> TemplateProblem:
    return TemplateProblem(
        line,
        f"templates cannot reach Python internals ('{name}')",
        "template-unsafe",
        "read the record's fields by name: record.city, record['city'], ff[3], vars.NAME",
    )


def _filter(node: nodes.Filter) -> Iterator[TemplateProblem]:
    if node.name in DROPPED_FILTERS:
        yield TemplateProblem(
            node.lineno,
            f"the {node.name} filter is not available in mappings",
            "template-unsafe",
            DROPPED_FILTERS[node.name],
        )
    kind = _NAMES_FILTER.get(node.name) or _NAMES_TEST.get(node.name)
    if kind and node.args and isinstance(node.args[0], nodes.Const) and isinstance(node.args[0].value, str):
        named = node.args[0].value
        pool = environment().filters if kind == "filter" else environment().tests
        if named not in pool:
            yield TemplateProblem(node.lineno, f"{node.name}() names an unknown {kind} '{named}'", f"unknown-{kind}")
    if node.name in _ATTRIBUTE_FILTERS:
        for keyword in node.kwargs:
            if keyword.key == "attribute" and isinstance(keyword.value, nodes.Const):
                path = str(keyword.value.value)
                for part in path.split("."):
                    if part.startswith("_") or part in INTERNAL:
                        yield _unsafe(node.lineno, part)


class _NotConstant(Exception):
    pass


_CANDIDATES = (nodes.BinExpr, nodes.Concat, nodes.Filter, nodes.Call)


def _constants(tree: nodes.Template) -> Iterator[TemplateProblem]:
    """Constant parts of a template that are already past a bound: said at validation, not once per record.

    Only the largest constant parts are evaluated, each once, and all of a template's within one time limit: a
    chain of filters is not evaluated again for each of its links."""
    found: list[TemplateProblem] = []
    walking: list[nodes.Node] = []  # the constant part being evaluated when the time ran out
    try:
        bounded_call(lambda _: _walk(tree, found, walking), None, CONSTANT_TIME_LIMIT)
    except TemplateTimeout:
        # Its constant parts alone take longer than a template may run: it would stop on every record (whatever
        # the machine's load, the same verdict as a part found past a bound).
        line = walking[-1].lineno if walking else 1
        found.append(
            TemplateProblem(
                line,
                f"this template always fails: its constant parts take longer than the {CONSTANT_TIME_LIMIT:g} s a "
                "template may run",
                "template-limit",
            )
        )
    yield from found


def _walk(node: nodes.Node, found: list[TemplateProblem], walking: list[nodes.Node]) -> None:
    for child in node.iter_child_nodes():
        if isinstance(child, _CANDIDATES):
            walking.append(child)
            try:
                _value(child)
                continue  # constant and within the bounds: so are its parts
            except _NotConstant:
                pass  # look inside: a part of it may be constant
            except TemplateLimit as exc:
                found.append(TemplateProblem(child.lineno, f"this template always fails: {exc}", "template-limit"))
                continue
            except Exception:  # constant, but it fails for another reason: each record says so with its own message
                continue
        _walk(child, found, walking)


def _value(node: nodes.Node) -> Any:
    env = environment()
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.Tuple | nodes.List):
        return [_value(item) for item in node.items]
    if isinstance(node, nodes.BinExpr):
        left, right = _value(node.left), _value(node.right)
        if node.operator in env.intercepted_binops:
            return env.call_binop(None, node.operator, left, right)
        return env.binop_table[node.operator](left, right)
    if isinstance(node, nodes.Concat):
        return env.concat(map(str, (_value(item) for item in node.nodes)))
    if isinstance(node, nodes.Filter | nodes.Call) and not (node.dyn_args or node.dyn_kwargs):
        args = [_value(arg) for arg in node.args]
        kwargs = {str(keyword.key): _value(keyword.value) for keyword in node.kwargs}
        return _call(node, args, kwargs)
    raise _NotConstant


def _call(node: nodes.Filter | nodes.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
    env = environment()
    if isinstance(node, nodes.Filter):
        if node.node is None or node.name not in env.filters:
            raise _NotConstant
        function = env.filters[node.name]
        passed = _PassArg.from_obj(function)
        if passed is _PassArg.context:
            raise _NotConstant
        first = [nodes.EvalContext(env)] if passed is _PassArg.eval_context else [env] if passed else []
        return function(*first, _value(node.node), *args, **kwargs)
    if isinstance(node.node, nodes.Name) and node.node.name == "range":
        return bounded_range(*args, **kwargs)
    if isinstance(node.node, nodes.Getattr) and isinstance(node.node.node, nodes.Const):
        method = env.getattr(node.node.node.value, node.node.attr)
        return env.call(None, method, *args, **kwargs)
    raise _NotConstant
