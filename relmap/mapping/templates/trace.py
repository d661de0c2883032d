"""What ``relmap explain`` sees inside a template: the value after each filter of a chain, and each ``{% set %}``.

The template is compiled a second time, by a TracingEnvironment: the same sandboxed, immutable, bounded environment
(expressions.configured, beside it), whose code generator passes the value of every chain step and every assignment
through ``environment.trace_value`` on its way. That hook only notes the value and hands it back unchanged; the
template cannot name or reach it (the nodes that call it are made here, never by the parser, and a template never
sees ``environment``), and it runs inside the same evaluation, with the same time and size bounds. A note is a
short preview of the value (relmap.mapping.templates.text.show), never the value itself, and a step
keeps at most ``KEPT`` of them: tracing holds on to nothing the template made, so it cannot make it use more memory.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from jinja2 import nodes
from jinja2.compiler import Frame

from relmap.mapping.templates.env import BoundedCodeGenerator, BoundedEnvironment
from relmap.mapping.templates.expressions import (
    COMPILE_TIME_LIMIT,
    Compiled,
    configured,
    expression_function,
    expression_text,
    template_function,
    through_jinja,
)
from relmap.mapping.templates.limits import bounded_call
from relmap.mapping.templates.text import arguments_text, is_blank, show, source_text

KEPT = 3  # values noted per step: a step in a loop runs many times
Kind = Literal["value", "filter", "set"]


@dataclass(frozen=True)
class Probe:
    """One step the trace notes: a chain's first value, one of its filters, or a ``{% set %}``."""

    kind: Kind
    text: str  # `contact`, `| last_name`, `greeting`
    line: int  # the template's own line
    chain: int  # the steps of one chain share it; a set is a chain of its own


@dataclass(frozen=True)
class Noted:
    shown: str  # the value as JSON text, cut to about template_text.SHOWN characters
    blank: bool  # empty as a payload sees it


@dataclass
class Notes:
    """What one evaluation noted, per probe: how many times it ran, and its first ``KEPT`` values."""

    times: dict[int, int] = field(default_factory=dict)
    values: dict[int, list[Noted]] = field(default_factory=dict)

    def note(self, key: int, value: Any) -> None:
        self.times[key] = self.times.get(key, 0) + 1
        kept = self.values.setdefault(key, [])
        if len(kept) < KEPT:
            kept.append(Noted(show(value), is_blank(value)))


@dataclass(frozen=True)
class TracedCode:
    """A template or expression compiled with probes; ``run`` evaluates it as the plain one, noting each step."""

    probes: tuple[Probe, ...]
    function: Compiled

    def run(self, names: dict[str, Any], notes: Notes) -> Any:
        previous, _active.notes = getattr(_active, "notes", None), notes
        try:
            return self.function(names)
        finally:
            _active.notes = previous


class _Active(threading.local):
    notes: Notes | None = None


_active = _Active()


# ---- the environment and its code generator --------------------------------------------------------------------


TRACE = "trace_value"  # the hook's name on the environment


def _traced(node: nodes.Node, key: int) -> nodes.Call:
    """``node``, whose value is noted as probe ``key``: a call of the environment's hook. The parser never makes an
    EnvironmentAttribute (only extensions do), so no template can write such a call itself."""
    return nodes.Call(nodes.EnvironmentAttribute(TRACE), [nodes.Const(key), node], [], None, None, lineno=node.lineno)


def _is_traced(node: Any) -> bool:
    return (
        isinstance(node, nodes.Call) and isinstance(node.node, nodes.EnvironmentAttribute) and node.node.name == TRACE
    )


class _TracingCodeGenerator(BoundedCodeGenerator):
    """Writes the hook's calls as direct calls: not through the sandbox's ``call``, which would count the value
    against the evaluation's bounds a second time."""

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        if not _is_traced(node):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        key, value = node.args
        assert isinstance(key, nodes.Const) and isinstance(key.value, int)
        self.write(f"environment.{TRACE}({key.value}, ")
        self.visit(value, frame)
        self.write(")")


class TracingEnvironment(BoundedEnvironment):
    code_generator_class = _TracingCodeGenerator

    def trace_value(self, key: int, value: Any) -> Any:
        notes = _active.notes
        if notes is not None:
            notes.note(key, value)
        return value


@lru_cache(maxsize=1)
def tracing_environment() -> TracingEnvironment:
    return configured(TracingEnvironment)


@lru_cache(maxsize=256)
def traced(source: str, expression: bool) -> TracedCode | str:
    """``source`` compiled with probes, or why it cannot be (a chain so long that the probes nest it too deep)."""
    env = tracing_environment()

    def build(_: Any) -> TracedCode:
        tree = env.parse(expression_text(source) if expression else source)
        probes = _Instrumenter(expression).run(tree)
        tree.set_environment(env)  # the nodes made here have none yet
        function = expression_function(env, tree) if expression else template_function(env, tree)
        return TracedCode(tuple(probes), through_jinja(function))  # the probes are in Jinja's code

    try:
        result: TracedCode = bounded_call(build, None, COMPILE_TIME_LIMIT)
    except Exception as exc:  # the plain template compiled; its traced twin nests deeper (a call per step)
        return f"its steps cannot be traced ({type(exc).__name__}: {str(exc)[:200]})"
    return result


# ---- finding the chains and the assignments --------------------------------------------------------------------


class _Instrumenter:
    """Wraps every filter chain's steps and every assignment's value in a call of the hook, in the template's
    order; ``probes[key]`` says what the call with ``key`` notes."""

    def __init__(self, expression: bool) -> None:
        self.expression = expression
        self.probes: list[Probe] = []
        self.chains = 0

    def run(self, tree: nodes.Template) -> list[Probe]:
        if self.expression:  # {% set result = (…) %}: the expression itself, not an assignment of the mapping's
            assign = tree.body[0]
            assert isinstance(assign, nodes.Assign)
            assign.node = self.child(assign.node)
        else:
            self.visit(tree)
        return self.probes

    def probe(self, kind: Kind, text: str, node: nodes.Node, chain: int | None = None) -> int:
        if chain is None:
            chain, self.chains = self.chains, self.chains + 1
        self.probes.append(Probe(kind, text, int(node.lineno or 1), chain))
        return len(self.probes) - 1

    def visit(self, node: nodes.Node) -> None:
        """Instrument what ``node`` holds, in place."""
        for name in node.fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                setattr(node, name, list(self.statements(value)))
            elif isinstance(value, nodes.Filter) and name == "filter":  # a filter block's: applied to the block
                self.visit(value)
            elif isinstance(value, nodes.Node):
                setattr(node, name, self.child(value))

    def statements(self, items: list[Any]) -> Iterator[Any]:
        for item in items:
            yield self.child(item) if isinstance(item, nodes.Node) else item
            if isinstance(item, nodes.AssignBlock) and isinstance(item.target, nodes.Name | nodes.NSRef):
                key = self.probe("set", _target(item.target), item)
                yield nodes.ExprStmt(_traced(_loaded(item.target), key), lineno=item.lineno)

    def child(self, node: nodes.Node) -> nodes.Node:
        if isinstance(node, nodes.Filter) and node.node is not None:
            return self.chain(node)
        self.visit(node)
        if isinstance(node, nodes.Assign):
            node.node = _traced(node.node, self.probe("set", _target(node.target), node))
        return node

    def chain(self, top: nodes.Filter) -> nodes.Expr:
        links: list[nodes.Filter] = []
        base: Any = top
        while isinstance(base, nodes.Filter) and base.node is not None:
            links.append(base)
            base = base.node
        links.reverse()
        chain = self.chains
        self.chains += 1
        labels = ["| " + link.name + arguments_text(link) for link in links]  # before their arguments are wrapped
        text = source_text(base)
        wrapped: nodes.Expr = _traced(self.child(base), self.probe("value", text, base, chain))
        for link, label in zip(links, labels, strict=True):
            for name in ("args", "kwargs", "dyn_args", "dyn_kwargs"):
                value = getattr(link, name)
                if isinstance(value, list):
                    setattr(link, name, [self.child(item) for item in value])
                elif isinstance(value, nodes.Node):
                    setattr(link, name, self.child(value))
            link.node = wrapped
            wrapped = _traced(link, self.probe("filter", label, link, chain))
        return wrapped


def _target(target: nodes.Expr) -> str:
    """What a ``{% set %}`` assigns to: ``x``, ``ns.total``, ``first, rest``."""
    if isinstance(target, nodes.Tuple):
        return ", ".join(source_text(item) for item in target.items)
    return source_text(target)


def _loaded(target: nodes.Expr) -> nodes.Expr:
    if isinstance(target, nodes.NSRef):
        return nodes.Getattr(nodes.Name(target.name, "load"), target.attr, "load", lineno=target.lineno)
    assert isinstance(target, nodes.Name)
    return nodes.Name(target.name, "load", lineno=target.lineno)
