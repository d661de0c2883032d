"""The direct path: simple templates and expressions evaluated without Jinja's machinery, with Jinja's results.

Most mapping templates are one output expression: a field, ``record.x``, ``ff[3]`` or ``vars.x`` through a chain of
filters (``{{ contact | first_name }}``), and most ``when`` tests a name, a test, ``or``/``and``/``not`` or ``==``.
Each such tree is turned once into nested Python closures that do exactly what Jinja's generated code does for it
(the same filter and test functions of the same environment, Python's own ``or``, ``not``, ``==``, the environment's
``finalize`` and ``str()`` for output), without making a Jinja context for every evaluation.

Only what is certain to behave as in Jinja takes this path: a name the record's names hold, an attribute or item
that a frozen dict of the names holds under that key. Anything else on the way (a missing name or key, a value of
another kind) stops the direct evaluation, takes back what it charged against the bounds, and the same evaluation
runs through Jinja, so undefined values, the sandbox's refusals and their messages stay Jinja's own. A tree with any
other node (calls, ``~``, arithmetic, ``{% %}`` statements, filters that want Jinja's context) is never taken: it
runs through Jinja.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from jinja2 import nodes
from jinja2.utils import _PassArg

from relmap.mapping.templates.env import BoundedEnvironment, FrozenDict
from relmap.mapping.templates.limits import MAX_SIZE, TemplateLimit, rewind, spent

Names = dict[str, Any]
Step = Callable[[Names], Any]
Finish = Callable[[Any], Any]

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "in": lambda left, right: left in right,
    "notin": lambda left, right: left not in right,
}


class _Fallback(Exception):
    """This evaluation leaves the trodden path: Jinja evaluates it instead."""


_LEAVE = (_Fallback, KeyError)


class _Unsupported(Exception):
    """A node the direct path does not take: the whole template runs through Jinja."""


def direct_template(
    env: BoundedEnvironment, tree: nodes.Template, jinja: Callable[[Names], Any], finish: Finish
) -> Callable[[Names], Any] | None:
    """``names -> text`` for a template of only text and simple ``{{ }}`` outputs, else None; ``jinja`` evaluates
    what the direct path does not take, ``finish`` checks the joined text as Jinja's path does."""
    parts: list[Step | str] = []
    try:
        for node in tree.body:
            if not isinstance(node, nodes.Output):
                return None
            for child in node.nodes:
                parts.append(child.data if isinstance(child, nodes.TemplateData) else _output(env, child))
    except _Unsupported:
        return None
    texts = tuple(parts)
    finalize = env.finalize
    assert finalize is not None
    if len(texts) == 1 and type(texts[0]) is not str:
        return _single_output(texts[0], jinja, finish, finalize)

    def render(names: Names) -> Any:
        start = spent()
        try:
            pieces, total = [], 0
            for part in texts:
                piece = part if type(part) is str else str(finalize(part(names)))  # type: ignore[operator]
                total += len(piece)
                if total > MAX_SIZE:
                    raise TemplateLimit(f"template output is longer than {MAX_SIZE:,} characters")
                pieces.append(piece)
        except _LEAVE:
            rewind(start)  # what the direct attempt charged is not charged twice
            return jinja(names)
        return finish("".join(pieces))

    return render


def _single_output(
    step: Any, jinja: Callable[[Names], Any], finish: Finish, finalize: Finish
) -> Callable[[Names], Any]:
    """The nearly universal template, ``{{ one expression }}``: the same as ``render`` above, for one part."""

    def render(names: Names) -> Any:
        start = spent()
        try:
            text = str(finalize(step(names)))
        except _LEAVE:
            rewind(start)
            return jinja(names)
        if len(text) > MAX_SIZE:
            raise TemplateLimit(f"template output is longer than {MAX_SIZE:,} characters")
        return finish(text)

    return render


def direct_expression(
    env: BoundedEnvironment, tree: nodes.Template, jinja: Callable[[Names], Any], finish: Finish
) -> Callable[[Names], Any] | None:
    """``names -> value`` for ``{% set result = (expression) %}`` of a simple expression, else None."""
    body = tree.body
    if len(body) != 1 or not isinstance(body[0], nodes.Assign) or not isinstance(body[0].target, nodes.Name):
        return None
    try:
        step = _expr(env, body[0].node)
    except _Unsupported:
        return None

    def evaluate(names: Names) -> Any:
        start = spent()
        try:
            value = step(names)
        except _LEAVE:
            rewind(start)
            return jinja(names)
        return finish(value)

    return evaluate


def _output(env: BoundedEnvironment, node: nodes.Node) -> Step:
    return _expr(env, node)


def _expr(env: BoundedEnvironment, node: nodes.Node) -> Step:
    """The closure for one expression node; _Unsupported for a node the direct path does not take."""
    if isinstance(node, nodes.Const):
        value = node.value
        return lambda names: value
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return _name(node.name)
    if isinstance(node, nodes.Getattr) and node.ctx == "load":
        if hasattr(FrozenDict, node.attr):  # the sandbox's getattr would find the dict's own attribute first
            raise _Unsupported
        return _key(_expr(env, node.node), node.attr)
    if isinstance(node, nodes.Getitem) and node.ctx == "load" and isinstance(node.arg, nodes.Const):
        return _key(_expr(env, node.node), node.arg.value)
    if isinstance(node, nodes.Filter | nodes.Test):
        return _call(env, node)
    return _logic(env, node)


def _logic(env: BoundedEnvironment, node: nodes.Node) -> Step:
    if isinstance(node, nodes.Or):
        left, right = _expr(env, node.left), _expr(env, node.right)
        return lambda names: left(names) or right(names)
    if isinstance(node, nodes.And):
        left, right = _expr(env, node.left), _expr(env, node.right)
        return lambda names: left(names) and right(names)
    if isinstance(node, nodes.Not):
        inner = _expr(env, node.node)
        return lambda names: not inner(names)
    if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
        test, then, other = _expr(env, node.test), _expr(env, node.expr1), _expr(env, node.expr2)
        return lambda names: then(names) if test(names) else other(names)
    if isinstance(node, nodes.Compare) and len(node.ops) == 1 and node.ops[0].op in _COMPARE:
        compare = _COMPARE[node.ops[0].op]
        left, right = _expr(env, node.expr), _expr(env, node.ops[0].expr)
        return lambda names: compare(left(names), right(names))
    raise _Unsupported


def _name(name: str) -> Step:
    # A template's own vars are empty: Jinja looks the name up in the names. A name they lack raises KeyError, which
    # sends the evaluation to Jinja (so does a KeyError a filter raises: Jinja's run then raises it again).
    return operator.itemgetter(name)


def _key(base: Step, key: Any) -> Step:
    try:
        hash(key)
    except TypeError:
        raise _Unsupported from None

    def look_up(names: Names) -> Any:
        found = base(names)
        if type(found) is not FrozenDict or key not in found:  # anything else: Jinja's sandbox decides
            raise _Fallback
        return found[key]

    return look_up


def _call(env: BoundedEnvironment, node: nodes.Filter | nodes.Test) -> Step:
    pool: dict[str, Any] = env.filters if isinstance(node, nodes.Filter) else env.tests
    found = pool.get(node.name)
    if node.node is None or found is None or _PassArg.from_obj(found) is not None:
        raise _Unsupported  # a filter that wants Jinja's context, eval context or environment runs in Jinja
    function: Callable[..., Any] = found
    if node.dyn_args is not None or node.dyn_kwargs is not None:
        raise _Unsupported
    value = _expr(env, node.node)
    args = tuple(_expr(env, arg) for arg in node.args)
    kwargs = tuple((str(keyword.key), _expr(env, keyword.value)) for keyword in node.kwargs)
    if not args and not kwargs:
        return lambda names: function(value(names))
    if len(args) == 1 and not kwargs:
        (arg,) = args
        return lambda names: function(value(names), arg(names))
    if not args and len(kwargs) == 1:
        ((key, keyword),) = kwargs
        return lambda names: function(value(names), **{key: keyword(names)})

    def call(names: Names) -> Any:
        first = value(names)
        return function(first, *[arg(names) for arg in args], **{key: arg(names) for key, arg in kwargs})

    return call
