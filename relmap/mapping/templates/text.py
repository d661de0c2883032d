"""Template nodes and template values as short text, for ``relmap explain``'s steps (relmap.mapping.templates.trace).

A node is shown as Jinja text near enough to recognise it (``(contact or name) | last_name``); a value as JSON
text of at most about ``SHOWN`` characters, in time and memory of that order whatever the value's size.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import Undefined, nodes
from jinja2.utils import Namespace

SHOWN = 200  # characters of one value shown

# ---- a node as the text it was written as ------------------------------------------------------------------------

_COMPARE = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=", "in": "in", "notin": "not in"}
_ATOMS = (nodes.Name, nodes.Const, nodes.Getattr, nodes.Getitem, nodes.Call, nodes.List, nodes.Tuple, nodes.Dict)


def source_text(node: Any) -> str:
    """``node`` as Jinja text: ``(contact or name)``, ``ff["Klant sinds"]``, ``vars.default_country``."""
    if isinstance(node, nodes.Const):
        return _constant(node.value)
    if isinstance(node, nodes.Name):
        return str(node.name)
    if isinstance(node, nodes.NSRef):
        return f"{node.name}.{node.attr}"
    if isinstance(node, nodes.Getattr):
        return f"{_operand(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_operand(node.node)}[{source_text(node.arg)}]"
    if isinstance(node, nodes.Slice):
        parts = [source_text(p) if p is not None else "" for p in (node.start, node.stop, node.step)]
        return ":".join(parts).rstrip(":") if node.step is None else ":".join(parts)
    if isinstance(node, nodes.Filter | nodes.Test):
        word = " | " if isinstance(node, nodes.Filter) else " is "
        return f"{_operand(node.node)}{word}{node.name}{arguments_text(node)}"
    if isinstance(node, nodes.Call):
        return _operand(node.node) + arguments_text(node, always=True)
    return _compound(node)


def _compound(node: Any) -> str:
    if isinstance(node, nodes.BinExpr):
        return f"{_operand(node.left)} {node.operator} {_operand(node.right)}"
    if isinstance(node, nodes.UnaryExpr):
        return f"{node.operator}{' ' if node.operator == 'not' else ''}{_operand(node.node)}"
    if isinstance(node, nodes.Concat):
        return " ~ ".join(_operand(n) for n in node.nodes)
    if isinstance(node, nodes.Compare):
        ops = " ".join(f"{_COMPARE.get(op.op, op.op)} {_operand(op.expr)}" for op in node.ops)
        return f"{_operand(node.expr)} {ops}"
    if isinstance(node, nodes.CondExpr):
        other = f" else {_operand(node.expr2)}" if node.expr2 is not None else ""
        return f"{_operand(node.expr1)} if {_operand(node.test)}{other}"
    if isinstance(node, nodes.List | nodes.Tuple):
        inner = ", ".join(source_text(i) for i in node.items)
        return f"[{inner}]" if isinstance(node, nodes.List) else f"({inner}{',' if len(node.items) == 1 else ''})"
    if isinstance(node, nodes.Dict):
        return "{" + ", ".join(f"{source_text(p.key)}: {source_text(p.value)}" for p in node.items) + "}"
    return "…"


def _operand(node: Any) -> str:
    text = source_text(node)
    return text if isinstance(node, _ATOMS) or text == "…" else f"({text})"


def arguments_text(node: Any, always: bool = False) -> str:
    """A call's or filter's arguments: ``(country, strict=true)``, or nothing for a filter without any."""
    parts = [source_text(a) for a in node.args]
    parts += [f"{k.key}={source_text(k.value)}" for k in node.kwargs]
    parts += [f"*{source_text(node.dyn_args)}"] if node.dyn_args is not None else []
    parts += [f"**{source_text(node.dyn_kwargs)}"] if node.dyn_kwargs is not None else []
    return f"({', '.join(parts)})" if parts or always else ""


def _constant(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def is_blank(value: Any) -> bool:
    """Empty as a payload sees it: nothing, an undefined value, or text of only spaces."""
    return value is None or isinstance(value, Undefined) or (isinstance(value, str) and (not value or value.isspace()))


# ---- a value as short text ---------------------------------------------------------------------------------------


def show(value: Any, budget: int = SHOWN) -> str:
    """``value`` as JSON text (strings quoted, so blanks show), at most about ``budget`` characters, in time and
    memory of that order whatever its size. Only lists, tuples, sets, dicts and namespaces are looked into: an
    iterator (``| map``, ``| select``) would be used up by looking, so it is named, not read."""
    if isinstance(value, Undefined):
        return "undefined"
    if isinstance(value, str):
        text = json.dumps(value[:budget], ensure_ascii=False)
        return text if len(value) <= budget else f'{text[:-1]}…" ({len(value):,} characters)'
    if value is None or isinstance(value, bool | float):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 4 * budget else f"(a number of {value.bit_length():,} bits)"
    if isinstance(value, dt.date):
        return json.dumps(value.isoformat())
    if isinstance(value, Namespace):
        attrs = object.__getattribute__(value, "_Namespace__attrs")
        return "namespace(" + _items(((f"{k}=", v) for k, v in attrs.items()), budget) + ")"
    if isinstance(value, Mapping):
        return "{" + _items(((f"{show(k, budget)}: ", v) for k, v in value.items()), budget) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + _items((("", v) for v in value), budget) + "]"
    return f"({type(value).__name__})"


def _items(items: Iterable[tuple[str, Any]], budget: int) -> str:
    parts: list[str] = []
    left = budget
    for label, item in items:
        if left <= 0:
            parts.append("…")
            break
        parts.append(label + show(item, max(left - len(label), 1)))
        left -= len(parts[-1]) + 2
    return ", ".join(parts)
