"""An export's text in chunks, for a reader that must not hold a file (or one line of it) whole.

Bytes that are not UTF-8 end the text with the located error a line reader gives (line, and column in
characters), after the text before them; a character cut in two by a chunk is put together again.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import IO

from relmap.errors import Location, SourceError
from relmap.sources.lines import Input, Line, Undecodable

CHUNK = 1 << 16  # bytes read at a time


def file_texts(source: Input) -> Iterator[str]:
    """A file's (or standard input's) text in chunks; bytes that are not UTF-8 stop it with a located error."""
    try:
        yield from decoded(_blocks(source), source.name)
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}", Location(source.name)) from None


def decoded(blocks: Iterable[bytes], name: str) -> Iterator[str]:
    """The UTF-8 text of ``blocks`` (a file's, an HTTP answer's) in chunks; bytes that are not UTF-8 stop it with
    an error located in ``name``."""
    line, column = 1, 0  # where the next character stands: its line, and the characters before it on that line
    pending = b""  # the start of a character cut in two by the chunk
    for block in blocks:
        data = pending + block if pending else block
        try:
            text, pending = data.decode("utf-8"), b""
        except UnicodeDecodeError as error:
            if error.reason != "unexpected end of data" or error.end != len(data):
                good = data[: error.start].decode("utf-8")
                if good:
                    yield good  # read up to the bad byte, whatever the size of the chunks
                line, column = advance(good, line, column)
                raise Undecodable(data[error.start], column + 1).source_error(name, line) from None
            text, pending = data[: error.start].decode("utf-8"), data[error.start :]
        if text:
            line, column = advance(text, line, column)
            yield text
    if pending:  # the input ends inside a character
        raise Undecodable(pending[0], column + 1).source_error(name, line)


def _blocks(source: Input) -> Iterator[bytes]:
    if source.path is not None:
        with open(source.path, "rb") as stream:
            yield from iter(lambda: stream.read(CHUNK), b"")
        return
    stdin: IO[str] = sys.stdin
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:  # read1: what a pipe holds now, not a wait for a whole chunk
        read = getattr(buffer, "read1", buffer.read)
        yield from iter(lambda: read(CHUNK), b"")
    else:  # a text-only standard input, encoded back as lines.Input does
        yield from (_encoded(line) for line in stdin)


def _encoded(line: str) -> bytes:
    try:
        return line.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate of its own: bytes that are not UTF-8, so it is reported
        return line.encode("utf-8", "surrogatepass")


def advance(text: str, line: int, column: int) -> tuple[int, int]:
    newlines = text.count("\n")
    if not newlines:
        return line, column + len(text)
    return line + newlines, len(text) - text.rindex("\n") - 1


def line_texts(lines: Iterable[Line], name: str) -> Iterator[str]:
    for line in lines:
        if line.undecodable is not None:
            raise line.undecodable.source_error(name, line.number)
        yield line.text
