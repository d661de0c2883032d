"""YAML mapping file → Document: plain data plus the file position of every key and value.

Scalars are read the YAML 1.2 way (``no`` stays text, ``01234`` stays text, dates stay text) and the places where
YAML 1.1 would have read them differently are reported as warnings. Duplicate keys are errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from relmap.errors import DiagnosticSink, Location

PathKey = tuple[str | int, ...]

_MAX_NODES = 200_000  # aliases can expand a small file enormously ("billion laughs")
_TAG = "tag:yaml.org,2002:"
_PLAIN = "relmap:plain"
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+)")
_YAML11_BOOL = re.compile(r"(?i)yes|no|on|off|y|n")


class _ComposeOnly(Reader, Scanner, Parser, Composer, BaseResolver):
    """Builds the node graph only: no implicit typing, no object construction, so nothing unsafe can run."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN  # untagged and unquoted: typed by _plain, the YAML 1.2 way
        return str(super().resolve(kind, value, implicit))


@dataclass(frozen=True)
class Span:
    """Where a node starts (1-based) and how a scalar was written (None = plain, or one of ' \" | >)."""

    line: int
    column: int
    style: str | None = None


@dataclass
class Document:
    """A loaded mapping file: the data, its text, and positions keyed by the path to each node."""

    path: str
    text: str
    data: Any
    values: dict[PathKey, Span] = field(default_factory=dict)
    keys: dict[PathKey, Span] = field(default_factory=dict)

    def span(self, path: PathKey, *, key: bool = False) -> Span:
        """The closest known position for ``path``: its key (if asked and present), its value, or an ancestor's."""
        probe = tuple(path)
        while True:
            if key and probe in self.keys:
                return self.keys[probe]
            if probe in self.values:
                return self.values[probe]
            if not probe:
                return Span(1, 1)
            probe = probe[:-1]

    def loc(self, path: PathKey, *, key: bool = False) -> Location:
        span = self.span(path, key=key)
        return Location(self.path, span.line, span.column)

    def text_line(self, path: PathKey, offset: int) -> Location:
        """Location of line ``offset`` (1-based) of the scalar at ``path``: templates report their own lines."""
        span = self.span(path)
        if span.style in ("|", ">"):
            line = span.line + offset  # the content starts on the line after the | or > indicator
            return Location(self.path, line, self._indent(line) + 1)
        if offset <= 1:
            return Location(self.path, span.line, span.column)
        line = span.line + offset - 1
        return Location(self.path, line, self._indent(line) + 1)

    def _indent(self, line: int) -> int:
        lines = self.text.splitlines()
        if 1 <= line <= len(lines):
            text = lines[line - 1]
            return len(text) - len(text.lstrip(" "))
        return 0


def load_file(path: str | Path, sink: DiagnosticSink, display: str | None = None) -> Document | None:
    """Read and load a mapping file; problems go to ``sink``, and None comes back if nothing usable was read."""
    name = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        sink.error(Location(name), "file not found", "file-not-found")
        return None
    except UnicodeDecodeError as exc:
        sink.error(Location(name), f"not UTF-8 text ({exc.reason} at byte {exc.start})", "file-encoding")
        return None
    except OSError as exc:
        sink.error(Location(name), f"cannot read file: {exc.strerror}", "file-unreadable")
        return None
    return load_text(text, name, sink)


def load_text(text: str, name: str, sink: DiagnosticSink) -> Document | None:
    """Load YAML text into a Document; syntax errors, duplicate keys and YAML 1.1 traps go to ``sink``."""
    loader = _ComposeOnly(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        sink.error(Location(name, line, col), f"YAML syntax error: {problem}", "yaml-syntax")
        return None
    except yaml.YAMLError as exc:
        sink.error(Location(name), f"YAML error: {exc}", "yaml-syntax")
        return None
    finally:
        loader.dispose()
    doc = Document(name, text, None)
    if root is None:
        sink.error(Location(name, 1, 1), "the file is empty", "empty-file", "start from `relmap init`")
        return doc
    try:
        doc.data = _Builder(doc, sink).build(root, ())
    except _TooLarge:
        sink.error(Location(name, 1, 1), "the file expands to too many nodes (aliases?)", "yaml-too-large")
        return None
    return doc


class _Builder:
    """Turns composed nodes into plain data, recording spans and reporting what YAML would silently do."""

    def __init__(self, doc: Document, sink: DiagnosticSink) -> None:
        self.doc = doc
        self.sink = sink
        self.count = 0

    def build(self, node: Node, path: PathKey) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise _TooLarge
        self.doc.values.setdefault(path, _span(node))
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self._scalar(node)

    def _mapping(self, node: MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, Span] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.style is None and key_node.value == "<<":
                merged.update(self._merge(value_node, path))
                continue
            key = self._key(key_node)
            if key is None:
                continue
            span = _span(key_node)
            if key in seen:
                first = seen[key]
                self.sink.error(
                    Location(self.doc.path, span.line, span.column),
                    f"duplicate key '{key}' (first at line {first.line})",
                    "duplicate-key",
                    "YAML keeps only the last one; remove or rename one of them",
                )
                continue
            seen[key] = span
            self.doc.keys[(*path, key)] = span
            result[key] = self.build(value_node, (*path, key))
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge(self, node: Node, path: PathKey) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in reversed(sources):
            if not isinstance(source, MappingNode):
                span = _span(source)
                loc = Location(self.doc.path, span.line, span.column)
                self.sink.error(loc, "a merge key (<<) takes a mapping or a list of mappings", "yaml-merge")
                continue
            merged.update(self._mapping(source, path))
        return merged

    def _key(self, node: Node) -> str | None:
        span = _span(node)
        if not isinstance(node, ScalarNode):
            loc = Location(self.doc.path, span.line, span.column)
            self.sink.error(loc, "a key must be plain text, not a list or mapping", "yaml-key")
            return None
        return str(node.value)  # keys are text as written: `1:` is "1", `no:` is "no", `true:` is "true"

    def _scalar(self, node: ScalarNode) -> Any:
        value = node.value
        tag = node.tag[len(_TAG) :] if node.tag.startswith(_TAG) else node.tag
        if node.tag == _PLAIN:
            return self._plain(node, value)
        return self._tagged(node, tag, value)

    def _tagged(self, node: ScalarNode, tag: str, value: str) -> Any:
        if tag == "str":
            return value
        builders: dict[str, Callable[[str], Any]] = {
            "int": int,
            "float": float,
            "bool": lambda v: v in _TRUE,
            "null": lambda v: None,
        }
        span = _span(node)
        loc = Location(self.doc.path, span.line, span.column)
        if tag not in builders:
            self.sink.error(loc, f"unsupported YAML tag '{node.tag}'", "yaml-tag", "remove the tag")
            return value
        try:
            return builders[tag](value)
        except ValueError:
            self.sink.error(loc, f"'{value}' is not a valid !!{tag}", "yaml-tag")
            return value

    def _plain(self, node: ScalarNode, value: str) -> Any:
        if value in _NULL:
            return None
        if value in _TRUE or value in _FALSE:
            return value in _TRUE
        if _INT.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value) or value.lower() in (".inf", "-.inf", "+.inf", ".nan"):
            return float(value)
        self._warn_yaml11(node, value)
        return value

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
                f"'{value}' is read as the text '{value}' (YAML 1.1 would read an octal number)",
                "yaml-1.1-number",
                f'quote it as "{value}" to say you mean the text',
            )


class _TooLarge(Exception):
    pass


def _span(node: Node) -> Span:
    mark = node.start_mark
    style = node.style if isinstance(node, ScalarNode) else None
    column = mark.column + 1
    return Span(mark.line + 1, column, style)
