"""PyYAML nodes → plain data: a composer that builds nodes only, and a builder that types scalars and keeps spans.

The loader's middle step. The composer never constructs objects (so no tag can run code) and stops at
``MAX_DEPTH`` levels: PyYAML composes recursively, and a ``[[[[…`` file would otherwise exhaust the stack. The
builder reads scalars the YAML 1.2 way, records where every key and value starts, and reports what YAML would do
silently or what Python cannot do at all: duplicate keys, YAML 1.1 traps, recursive aliases, numbers too long to read.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from relmap.errors import DiagnosticSink, Location
from relmap.mapping.yamlfile.text import shown
from relmap.sources.records import SURROGATE

if TYPE_CHECKING:
    from relmap.mapping.loader import Document, PathKey

MAX_NODES = 200_000  # aliases can expand a small file enormously ("billion laughs")
MAX_DEPTH = 64  # a mapping needs about 10 levels; the composer and the schema check recurse once per level
_TAG = "tag:yaml.org,2002:"
_PLAIN = "relmap:plain"
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INFINITE = {f"{sign}.{word}": float(f"{sign}inf") for sign in ("", "+", "-") for word in ("inf", "Inf", "INF")}
_SPECIAL_FLOATS = _INFINITE | {word: float("nan") for word in (".nan", ".NaN", ".NAN")}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+)")
_YAML11_BOOL = re.compile(r"(?i)yes|no|on|off|y|n")
_SCALAR_TAGS = {"int", "float", "bool", "null"}
_COLLECTION_TAGS = {BaseResolver.DEFAULT_SEQUENCE_TAG, BaseResolver.DEFAULT_MAPPING_TAG}

Slot = tuple[int, int]  # a child's place: id of its parent, and its index (sequence) or id of its key node (mapping)


@dataclass(frozen=True)
class Span:
    """Where a node starts (1-based) and how a scalar was written (None = plain, or one of ' \" | >)."""

    line: int
    column: int
    style: str | None = None


class TooLarge(Exception):
    """The document expands past MAX_NODES nodes."""


class TooDeep(Exception):
    """Lists and mappings nest past MAX_DEPTH levels, starting at ``line``:``column``."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(line, column)
        self.line = line
        self.column = column


class _ComposeOnly(Reader, Scanner, Parser, Composer, BaseResolver):
    """Builds the node graph only: no implicit typing, no object construction, so nothing unsafe can run."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)
        self.depth = 0
        self.aliases: dict[Slot, tuple[int, int]] = {}  # (line, column) of each alias: the graph has only its node

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN  # untagged and unquoted: typed by the builder, the YAML 1.2 way
        return str(super().resolve(kind, value, implicit))

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        mark = event.start_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if isinstance(event, AliasEvent):
            self.aliases[_slot(parent, index)] = (line, column)
            return super().compose_node(parent, index)
        if self.depth >= MAX_DEPTH:
            raise TooDeep(line, column)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def compose(text: str) -> tuple[Node | None, dict[Slot, tuple[int, int]]]:
    """The root node of the single document in ``text`` (None when empty), and where each alias is written."""
    loader = _ComposeOnly(text)
    try:
        return loader.get_single_node(), loader.aliases
    finally:
        loader.dispose()


def _slot(parent: Node | None, index: Any) -> Slot:
    return id(parent), index if isinstance(index, int) else id(index)


class Builder:
    """Turns composed nodes into plain data, recording spans and reporting what YAML would silently do."""

    def __init__(self, doc: Document, sink: DiagnosticSink, aliases: dict[Slot, tuple[int, int]]) -> None:
        self.doc = doc
        self.sink = sink
        self.aliases = aliases
        self.count = 0
        self.open: set[int] = set()  # the nodes being built: meeting one again means an alias contains itself

    def build(self, node: Node, path: PathKey) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise TooLarge
        span = _span(node)
        if len(self.open) >= MAX_DEPTH:  # the composer stops deep text; aliases of aliases can still nest deeper
            raise TooDeep(span.line, span.column)
        self.doc.values.setdefault(path, span)
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if node.tag not in _COLLECTION_TAGS:  # !!set, !!omap, !!python/...: built as plain data, but said
            self._error(span, f"unsupported YAML tag '{shown(node.tag)}'", "yaml-tag", "remove the tag")
            self.doc.reported.add(path)
        self.open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            return [self._child(node, i, item, (*path, i)) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def _child(self, parent: Node, index: Any, node: Node, path: PathKey) -> Any:
        if id(node) not in self.open:
            return self.build(node, path)
        self._recursive(parent, index, node)
        self.doc.reported.add(path)
        return None

    def _recursive(self, parent: Node, index: Any, node: Node) -> None:
        where = self.aliases.get(_slot(parent, index))
        self._error(
            Span(*where) if where else _span(node),
            "this alias points at a list or mapping that contains it (a recursive alias)",
            "yaml-recursive-alias",
            "an alias can only repeat a node that is complete before it",
        )

    def _mapping(self, node: MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, Span] = {}
        merged: dict[str, Any] = {}
        if _unquoted_template(node):
            self._template_unquoted(node, path)
            return result
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.style is None and key_node.value == "<<":
                merged.update(self._merge(node, key_node, value_node, path))
                continue
            key = self._key(key_node)
            if key is None:
                continue
            span = _span(key_node)
            if key in seen:
                self._error(
                    span,
                    f"duplicate key '{shown(key)}' (first at line {seen[key].line})",
                    "duplicate-key",
                    "YAML keeps only the last one; remove or rename one of them",
                )
                continue
            seen[key] = span
            self.doc.keys[(*path, key)] = span
            result[key] = self._child(node, key_node, value_node, (*path, key))
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge(self, parent: MappingNode, key: Node, node: Node, path: PathKey) -> dict[str, Any]:
        """``<<: *base`` or ``<<: [*a, *b]``: the keys of those mappings, the earlier ones winning."""
        sources: list[tuple[Node, Any, Node]] = [(parent, key, node)]
        if isinstance(node, SequenceNode):
            sources = [(node, i, item) for i, item in enumerate(node.value)]
        merged: dict[str, Any] = {}
        for holder, index, source in reversed(sources):
            if id(source) in self.open:
                self._recursive(holder, index, source)
            elif not isinstance(source, MappingNode):
                self._error(_span(source), "a merge key (<<) takes a mapping or a list of mappings", "yaml-merge")
            else:
                self.open.add(id(source))
                try:
                    merged.update(self._mapping(source, path))
                finally:
                    self.open.discard(id(source))
        return merged

    def _template_unquoted(self, node: MappingNode, path: PathKey) -> None:
        written = str(node.start_mark.buffer or "")[node.start_mark.pointer : node.end_mark.pointer]
        message = "a template must be in quotes: YAML reads {{ ... }} without them as a mapping"
        self._error(_span(node), message, "yaml-template", f'write "{shown(written)}"')
        self.doc.reported.add(path)

    def _key(self, node: Node) -> str | None:
        if not isinstance(node, ScalarNode):
            self._error(_span(node), "a key must be plain text, not a list or mapping", "yaml-key")
            return None
        return self._whole(node, str(node.value))  # keys are text as written: `1:` is "1", `no:` is "no"

    def _scalar(self, node: ScalarNode, path: PathKey) -> Any:
        value = self._typed(node, path)
        return self._whole(node, value) if isinstance(value, str) else value

    def _whole(self, node: ScalarNode, text: str) -> str:
        """``text``, or, when it holds a lone surrogate (YAML's ``"\\ud800"`` escape makes half a character), an
        error at its place and the text with U+FFFD for it, so nothing after this stage meets one."""
        if text.isascii() or not (lone := SURROGATE.search(text)):
            return text
        self._error(
            _span(node),
            f"the text holds a lone surrogate (\\u{ord(lone.group()):04x}), which is not a character: "
            "no file, terminal or API can carry it",
            "yaml-text",
            "write the character itself, or escape a whole one, such as \\U0001F600",
        )
        return SURROGATE.sub("\ufffd", text)

    def _typed(self, node: ScalarNode, path: PathKey) -> Any:
        if node.tag == _PLAIN:
            value = self._read(node, path)
            if isinstance(value, str):
                self._warn_yaml11(node, value)
            return value
        tag = node.tag[len(_TAG) :] if node.tag.startswith(_TAG) else node.tag
        if tag == "str":
            return node.value
        if tag in _SCALAR_TAGS:  # read as strictly as a plain scalar: `!!bool maybe` and `!!int 1.5` are refused
            value = self._read(node, path)
            if _fits(tag, value):
                return float(value) if tag == "float" else value
        if path not in self.doc.reported:  # a number too long to read has been reported already
            self.doc.reported.add(path)
            if tag in _SCALAR_TAGS:
                self._error(_span(node), f"'{shown(node.value)}' is not a valid !!{tag}", "yaml-tag")
            else:
                self._error(_span(node), f"unsupported YAML tag '{shown(node.tag)}'", "yaml-tag", "remove the tag")
        return node.value

    def _read(self, node: ScalarNode, path: PathKey) -> Any:
        """What YAML 1.2 reads the scalar's text as: nothing, a boolean, a number, or the text itself."""
        value: str = node.value
        if value in _NULL:
            return None
        if value in _TRUE or value in _FALSE:
            return value in _TRUE
        if value in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[value]
        if _FLOAT.fullmatch(value):
            return float(value)  # of any length: Python limits the digits of an int, not of a float
        if not _INT.fullmatch(value):
            return value
        limit = sys.get_int_max_str_digits()
        digits = len(value.lstrip("+-"))
        if limit and digits > limit:  # int() refuses it, and so would every message that showed it
            self.doc.reported.add(path)
            self._error(
                _span(node),
                f"a number of {digits} digits is too long to read (at most {limit})",
                "yaml-number",
                "quote it to keep it as text",
            )
            return value
        return int(value)

    def _warn_yaml11(self, node: ScalarNode, value: str) -> None:
        span = _span(node)
        loc = Location(self.doc.path, span.line, span.column)
        if _YAML11_BOOL.fullmatch(value):
            self.sink.warning(
                loc,
                f"'{value}' is read as the text '{value}', not as a boolean",
                "yaml-1.1-boolean",
                f'write true or false for a boolean, or "{value}" in quotes to keep the text',
            )
        elif _LEADING_ZERO.fullmatch(value):
            self.sink.warning(
                loc,
                f"'{shown(value)}' is read as the text '{shown(value)}' (YAML 1.1 would read an octal number)",
                "yaml-1.1-number",
                f'quote it as "{shown(value)}" to say you mean the text',
            )

    def _error(self, span: Span, message: str, code: str, hint: str | None = None) -> None:
        self.sink.error(Location(self.doc.path, span.line, span.column), message, code, hint)


def _unquoted_template(node: MappingNode) -> bool:
    """``{{ city }}`` written without quotes: a flow mapping whose one key is a flow mapping with no value."""
    if not node.flow_style or len(node.value) != 1:
        return False
    key, value = node.value[0]
    empty = isinstance(value, ScalarNode) and value.value == "" and value.style is None
    return isinstance(key, MappingNode) and bool(key.flow_style) and empty


def _fits(tag: str, value: Any) -> bool:
    if tag == "null":
        return value is None
    if tag == "bool":
        return isinstance(value, bool)
    kinds = (int,) if tag == "int" else (int, float)
    return isinstance(value, kinds) and not isinstance(value, bool)


def _span(node: Node) -> Span:
    mark = node.start_mark
    style = node.style if isinstance(node, ScalarNode) else None
    return Span(mark.line + 1, mark.column + 1, style)
