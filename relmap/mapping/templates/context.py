"""A fresh Jinja context for every evaluation of a mapping template, made for a fraction of what Jinja's costs.

``Template.new_context(names, shared=True)`` walks the environment's globals (a ChainMap) into a new set and builds
an EvalContext on every call: with some ten templates per record it cost more than most templates themselves. The
context made here is the same object (same class, same attributes, so the compiled template cannot tell), with what
never changes between calls worked out once per template. Nothing is reused from one evaluation to the next: every
call gets its own ``vars`` (where ``{% set %}`` writes), its own exported names, eval context and block lists, so no
template sees what another template, or the same one for another record, assigned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, Template
from jinja2.nodes import EvalContext
from jinja2.runtime import Context

ContextFactory = Callable[[dict[str, Any]], Context]


def fresh_context(env: Environment, template: Template) -> ContextFactory:
    """``names -> Context``: what ``template.new_context(names, shared=True)`` gives, for ``template`` of ``env``.

    One context made by Jinja itself is the pattern: its attributes are copied, and those that change during an
    evaluation (vars, exported names, the eval context, the block lists) are new for each call.
    """
    pattern = template.new_context({}, shared=True)
    kind = type(pattern)
    attributes = dict(vars(pattern))
    attributes["globals_keys"] = frozenset(pattern.globals_keys)  # only read (by imports, which need a loader)
    eval_attributes = dict(vars(pattern.eval_ctx))
    blocks = template.blocks
    new = object.__new__

    def make(names: dict[str, Any]) -> Context:
        eval_ctx = new(EvalContext)
        eval_ctx.__dict__.update(eval_attributes)
        context = new(kind)
        own = context.__dict__
        own.update(attributes)
        own["parent"], own["vars"], own["exported_vars"], own["eval_ctx"] = names, {}, set(), eval_ctx
        own["blocks"] = {key: [block] for key, block in blocks.items()} if blocks else {}
        return context

    return make
