"""YAML mapping file → Document: plain data plus the file position of every key and value.

Scalars are read the YAML 1.2 way (``no`` stays text, ``01234`` stays text, dates stay text) and the places where
YAML 1.1 would have read them differently are reported as warnings. Duplicate keys are errors.

Whatever the bytes, loading ends in located diagnostics, never in an exception: text that is not UTF-8, characters
YAML refuses (relmap.mapping.yamlfile.text), recursive aliases, numbers too long to read and nesting deeper than
any mapping needs (relmap.mapping.yamlfile.nodes) are all reported.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node

from relmap.errors import DiagnosticSink, Location
from relmap.mapping.yamlfile import text as yaml_text
from relmap.mapping.yamlfile.lines import Mended
from relmap.mapping.yamlfile.nodes import MAX_DEPTH, Builder, Slot, Span, TooDeep, TooLarge, compose
from relmap.mapping.yamlfile.syntax import explain

__all__ = ["Document", "PathKey", "Span", "load_file", "load_text"]

PathKey = tuple[str | int, ...]
MAX_REPAIRS = 10  # syntax errors reported in one file; each after reading on with the one before it mended


@dataclass
class Document:
    """A loaded mapping file: the data, its text, and positions keyed by the path to each node.

    ``reported`` holds the paths whose value the loader already reported (a number too long to read, a bad tag):
    the schema check does not report them a second time.
    """

    path: str
    text: str
    data: Any
    values: dict[PathKey, Span] = field(default_factory=dict)
    keys: dict[PathKey, Span] = field(default_factory=dict)
    reported: set[PathKey] = field(default_factory=set)
    _starts: list[int] | None = field(default=None, init=False, repr=False, compare=False)

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
        if self._starts is None:  # worked out once: a mapping with many template errors asks for many lines
            self._starts = yaml_text.line_starts(self.text)
        if 1 <= line <= len(self._starts):
            start = self._starts[line - 1]
            end = self._starts[line] if line < len(self._starts) else len(self.text)
            text = self.text[start:end]
            return len(text) - len(text.lstrip(" "))
        return 0


def load_file(
    path: str | Path, sink: DiagnosticSink, display: str | None = None, *, read_on: bool = False
) -> Document | None:
    """Read and load a mapping file; problems go to ``sink``, and None comes back if nothing usable was read.

    ``read_on``: after a syntax error, read the rest of the file as it would be with the likely fix, to report what
    else is wrong (the compiler does; a test file is not read on, since its cases would run from a guessed text).
    """
    name = display or str(path)
    try:
        raw = _read(Path(path), name, sink)
        if raw is None:
            return None
    except FileNotFoundError:
        sink.error(Location(name), "file not found", "file-not-found")
        return None
    except OSError as exc:
        sink.error(Location(name), f"cannot read file: {exc.strerror or type(exc).__name__}", "file-unreadable")
        return None
    text = yaml_text.decode(raw, name, sink)
    return load_text(text, name, sink, read_on=read_on) if text is not None else None


MAX_FILE = 5_000_000  # bytes; a mapping or test file is a few kilobytes


def _read(path: Path, name: str, sink: DiagnosticSink) -> bytes | None:
    """The file's bytes; a FIFO, a device or a folder (which would block or never end) and an oversized file are
    refused before anything is read."""
    found = path.stat()
    if not stat.S_ISREG(found.st_mode):
        sink.error(
            Location(name),
            "not a regular file (a FIFO, a device or a folder): relmap reads mapping and test files only",
            "file-unreadable",
        )
        return None
    with path.open("rb") as stream:
        raw = stream.read(MAX_FILE + 1)
    if len(raw) > MAX_FILE:
        sink.error(Location(name), f"the file is over {MAX_FILE:,} bytes: too large for a mapping", "yaml-too-large")
        return None
    return raw


def load_text(text: str, name: str, sink: DiagnosticSink, *, read_on: bool = False) -> Document | None:
    """Load YAML text into a Document; syntax errors, duplicate keys and YAML 1.1 traps go to ``sink``."""
    readable = yaml_text.readable(text, name, sink)
    if readable is None:
        return None
    composed = _compose(readable, name, sink, MAX_REPAIRS if read_on else 0)
    if composed is None:
        return None
    mended, root, aliases = composed
    doc = Document(name, readable, None)
    if root is None:
        sink.error(Location(name, 1, 1), "the file is empty", "empty-file", "start from `relmap init`")
        return doc
    found = DiagnosticSink() if mended != readable else sink
    built: Document | None = doc
    try:
        doc.data = Builder(doc, found, aliases).build(root, ())
    except TooLarge:
        sink.error(Location(name, 1, 1), "the file expands to too many nodes (aliases?)", "yaml-too-large")
        return None
    except TooDeep as exc:
        found.error(Location(name, exc.line, exc.column), *_too_deep(" through aliases"))
        built = None
    if found is not sink:
        _relocate(built, found, Mended(readable, mended), sink)
    return built


def _relocate(doc: Document | None, found: DiagnosticSink, mended: Mended, sink: DiagnosticSink) -> None:
    """Positions in a mended text → positions in the file: the spans of ``doc`` and what ``found`` holds."""
    if doc is not None:
        for spans in (doc.values, doc.keys):
            for path, span in spans.items():
                spans[path] = replace(span, column=mended.column(span.line, span.column))
    for item in found.items:
        where = item.location
        sink.items.append(replace(item, location=replace(where, column=mended.column(where.line, where.column))))


def _compose(
    text: str, name: str, sink: DiagnosticSink, repairs: int
) -> tuple[str, Node | None, dict[Slot, tuple[int, int]]] | None:
    """The node graph of ``text``; after a syntax error, that of the text with its likely fix, to report the rest.

    Each syntax error is said with its likely cause (relmap.mapping.yamlfile.syntax). Reading on stops at the first
    error whose fix cannot be guessed, and after MAX_REPAIRS: what is found in a mended text is only ever reported,
    never run.
    """
    said: set[tuple[int, int]] = set()
    original = text
    for _ in range(repairs + 1):
        try:
            root, aliases = compose(text)
        except yaml.MarkedYAMLError as exc:
            cause = explain(text, exc)
            column = Mended(original, text).column(cause.line, cause.column) if text != original else cause.column
            if (cause.line, column) in said:
                return None  # the guessed fix did not mend it: what follows is no longer worth reading
            said.add((cause.line, column))
            sink.error(Location(name, cause.line, column), cause.message, cause.code, cause.hint)
            if cause.repaired is None or cause.repaired == text:
                return None
            text = cause.repaired
            continue
        except yaml.YAMLError as exc:
            sink.error(Location(name, 1, 1), f"YAML error: {type(exc).__name__}", "yaml-syntax")  # not located
            return None
        except TooDeep as exc:
            sink.error(Location(name, exc.line, exc.column), *_too_deep())
            return None
        return text, root, aliases
    return None


def _too_deep(how: str = "") -> tuple[str, str, str]:
    return (
        f"lists and mappings nest more than {MAX_DEPTH} deep here{how}",
        "yaml-too-deep",
        "a mapping needs about 10 levels; is a bracket left open?",
    )
