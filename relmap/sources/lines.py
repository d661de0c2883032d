"""An export's lines as text, numbered, with the lines that are not UTF-8 marked instead of stopping the read.

A line that is not UTF-8 is still passed on (its undecodable bytes as surrogate escapes, so a CSV row that spans
it can be found) together with an :class:`Undecodable` note: the reader turns it into a problem of the record that
holds it, and never passes the line's text on as data.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, NamedTuple

from relmap.errors import Location, SourceError

STDIN = "-"
STDIN_NAME = "<stdin>"
_SAVE_AS = "export or save the file as UTF-8"


@dataclass(frozen=True)
class Undecodable:
    """Where a line stops being UTF-8: the first bad byte and its 1-based column (in characters)."""

    byte: int
    column: int

    def message(self, line: int | None = None) -> str:
        """``not UTF-8 text (byte 0xe9 at column 4); ...``, naming ``line`` when it is not the record's first."""
        where = f"line {line}, column {self.column}" if line is not None else f"column {self.column}"
        return f"not UTF-8 text (byte 0x{self.byte:02x} at {where}); {_SAVE_AS}"

    def source_error(self, name: str, line: int) -> SourceError:
        """For an input that cannot be read at all when one line is not UTF-8 (a JSON document, a CSV header)."""
        return SourceError(f"not UTF-8 text (byte 0x{self.byte:02x}); {_SAVE_AS}", Location(name, line, self.column))


class Line(NamedTuple):
    """One line of an input, its end kept. A NamedTuple, not a dataclass: there is one per line of every file."""

    number: int
    text: str
    undecodable: Undecodable | None


@dataclass(frozen=True)
class Input:
    """An export to read: its display name, and the path to open (None: standard input, read once only)."""

    name: str
    path: str | None

    def lines(self, after: int = 0) -> Iterator[Line]:
        """The lines (numbered from 1), starting after line ``after``; OS failures become SourceErrors."""
        try:
            with _open(self.path) as stream:
                numbered = enumerate(stream, 1)
                for number, raw in itertools.islice(numbered, after, None):
                    text, undecodable = _decode(raw)
                    yield Line(number, text.removeprefix("\ufeff") if number == 1 else text, undecodable)
        except OSError as error:
            raise SourceError(f"cannot read: {error.strerror or error}", Location(self.name)) from None

    def reopen(self) -> Callable[[int], Iterator[Line]] | None:
        """A way to read the lines after a given line once more; None for standard input, which cannot."""
        return self.lines if self.path is not None else None


def input_for(path: object) -> Input:
    return Input(STDIN_NAME, None) if str(path) == STDIN else Input(str(path), str(path))


def _open(path: str | None) -> contextlib.AbstractContextManager[Iterable[bytes]]:
    if path is not None:
        return open(path, "rb")  # the caller's with-statement closes it
    stdin: IO[str] = sys.stdin
    buffer = getattr(stdin, "buffer", None)
    lines = buffer if buffer is not None else (_encoded(line) for line in stdin)
    return contextlib.nullcontext(lines)  # standard input is not ours to close


def _encoded(line: str) -> bytes:
    """A line of a text-only standard input as the bytes it came from (bytes it could not decode come back as
    they were); a lone surrogate of its own becomes bytes that are not UTF-8, so its line is reported, not lost."""
    try:
        return line.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return line.encode("utf-8", "surrogatepass")


def _decode(raw: bytes) -> tuple[str, Undecodable | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as error:
        column = len(raw[: error.start].decode("utf-8", "replace")) + 1
        return raw.decode("utf-8", "surrogateescape"), Undecodable(raw[error.start], column)


def first_content_line(lines: Iterator[Line]) -> tuple[str, Iterator[Line]]:
    """The first non-blank line's text (stripped; "" if none), and all the lines again, that one included."""
    head: list[Line] = []
    for line in lines:
        head.append(line)
        if line.text.strip():
            return line.text.strip(), itertools.chain(head, lines)
    return "", iter(head)
