"""A JSON document of relations read as a stream: an OutSmart envelope of 300,000 relations in flat memory.

The text is read in chunks into a window that keeps only what is not decoded yet; each record is decoded on its
own by json_document.decode (the standard decoder, so long numbers, lone surrogates and deep nesting stay the
record's own problem), and yielded before the next is read. Errors carry the same messages and file:line:col as
when the whole document was read at once: positions are counted across the chunks already let go.

Why not an incremental parser library: ijson's fast (C) backend kills the process on an integer of more than 4,300
digits (a segmentation fault, version 3.6.0), turns a lone surrogate into "?" without a word, and gives no line
of a record; the standard decoder over a window does all three right at the same speed.

Where the records sit
    Each record's origin is ``file:line`` of its first line, or ``file: record N`` when it starts on a line
    another record starts on too (minified JSON, as the API sends it). A record is handed on once the next one
    has been read (or the document ended or broke), so this is known.
What stops the reading
    A broken structure stops it where it breaks, after the records before it (as in a JSONL file); bytes that
    are not UTF-8 anywhere in the document are said first, as before.
An envelope
    Its records stream when ``code`` came before ``response`` (OutSmart's own order); with ``code`` after them
    they are held until the envelope closes, since a code that is not 200 means there are no relations to use.
    A second ``response`` member is an error (which of the two was meant cannot be known).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator

from relmap.errors import Location, SourceError
from relmap.sources.json_document import ENVELOPE, TOO_DEEP, TooDeep, decode, envelope_records
from relmap.sources.lines import Input, Line
from relmap.sources.records import LongNumber, RecordProblem, SourceRecord, json_type, normalize_record
from relmap.sources.text_chunks import advance, file_texts, line_texts

KEEP = 1 << 20  # decoded text kept before it is let go
SLACK = 8  # a decoder error this close to the end of the window may be a token cut in two: read more first
_WHITESPACE = frozenset(" \t\n\r")

Item = SourceRecord | RecordProblem


def stream_records(source: Input, lines: Iterator[Line] | None = None) -> Iterator[Item]:
    """The records of the JSON document ``source``; ``lines``: its lines, when they were read already (sniffed
    standard input), else the file is read in chunks."""
    chunks = line_texts(lines, source.name) if lines is not None else file_texts(source)
    try:
        yield from located_records(StreamScanner(Window(chunks), source.name).document(), source.name)
    except SourceError:
        # A document that is not UTF-8 is said to be so first (RFC 8259), wherever the bytes are: the rest is
        # read through (and let go) for them before the error that stopped the reading is raised.
        deque(chunks, maxlen=0)
        raise


def located_records(located: Iterator[tuple[object, int]], name: str) -> Iterator[Item]:
    """Records from (value, first line) pairs; a record shares its line with a neighbour → ``file: record N``."""
    held: tuple[object, int] | None = None
    shared_before = False
    index = 0
    try:
        for raw, line in located:
            if held is not None:
                shared_after = held[1] == line
                yield _item(held[0], index - 1, name, held[1], shared_before or shared_after)
                shared_before = shared_after
            held = (raw, line)
            index += 1
    except SourceError:  # the document broke after this record: it was read all the same
        if held is not None:
            yield _item(held[0], index - 1, name, held[1], shared_before)
        raise
    if held is not None:
        yield _item(held[0], index - 1, name, held[1], shared_before)


def _item(raw: object, index: int, name: str, line: int, shared: bool) -> Item:
    origin = f"{name}: record {index + 1}" if shared else f"{name}:{line}"
    if isinstance(raw, TooDeep):
        return RecordProblem(index, origin, TOO_DEEP, None)
    return normalize_record(raw, index, origin)


# ---- the window and the scanner ------------------------------------------------------------------------------


class Window:
    """The text not decoded yet (``text``), with the line and column of its first character."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self.text = ""
        self.line, self.column = 1, 0
        self.ended = False
        self._first = True

    def more(self, at_least: int = 1) -> bool:
        """Read at least ``at_least`` more characters (a chunk; fewer at the end); False when nothing was left."""
        parts, got = [self.text], 0
        while got < at_least and not self.ended:
            chunk = next(self._chunks, None)
            if chunk is None:
                self.ended = True
                break
            if self._first:
                chunk, self._first = chunk.removeprefix("\ufeff"), False
            parts.append(chunk)
            got += len(chunk)
        self.text = "".join(parts)
        return got > 0

    def drop(self, pos: int) -> None:
        """Let the text before ``pos`` go."""
        self.line, self.column = advance(self.text[:pos], self.line, self.column)
        self.text = self.text[pos:]

    def locate(self, pos: int) -> tuple[int, int]:
        """The 1-based line and column of ``pos``."""
        line, column = advance(self.text[:pos], self.line, self.column)
        return line, column + 1


class StreamScanner:
    def __init__(self, window: Window, name: str) -> None:
        self.window = window
        self.name = name
        self.pos = 0
        self._line, self._counted = 1, 0  # the line at text position _counted

    # -- the envelope or array -------------------------------------------------------------------------------
    def document(self) -> Iterator[tuple[object, int]]:
        start = self.peek()
        if start == "[":
            yield from self.elements()
            self.end()
            return
        if start != "{":
            found = json_type(self.value())
            self.end()
            expected = f"expected an OutSmart envelope {ENVELOPE} or an array of relations"
            raise SourceError(f"{expected}, found {found}", Location(self.name))
        yield from self._envelope()

    def _envelope(self) -> Iterator[tuple[object, int]]:
        members: dict[str, object] = {}
        held: list[tuple[object, int]] = []
        array = False
        for key, at, value, elements in self.members():
            if key == "response" and "response" in members:
                raise SourceError("the OutSmart envelope has two 'response' members; keep one", at)
            if elements is None:
                members[key] = value
                continue
            array, members[key] = True, []
            if "code" not in members:
                held = list(elements)  # the code is still to come, and decides
            elif str(members["code"]) == "200":
                yield from elements
            # else: read through by members(); the code says why there is nothing to use
        envelope_records(members, [] if array else None, self.name)  # raises for a code or shape it refuses
        yield from held

    def members(self) -> Iterator[tuple[str, Location, object, Iterator[tuple[object, int]] | None]]:
        """The members of the object that starts here, in order, as (key, where the key is, value, elements),
        up to the end of the text. A ``response`` that is an array comes as its elements (with their lines), one
        at a time, and value None: what the caller leaves of them is read through before the next member."""
        self.expect("{", "'{'")
        more = not self.take("}")
        while more:
            key, at = self.key()
            if key == "response" and self.peek() == "[":
                elements = self.elements()
                yield key, at, None, elements
                deque(elements, maxlen=0)
            else:
                yield key, at, self.value(), None
            more = not self.take("}")
            if more:
                self.expect(",", "',' delimiter")
        self.end()

    def key(self) -> tuple[str, Location]:
        if self.peek() != '"':
            raise self._error("Expecting property name enclosed in double quotes", self.pos)
        at = Location(self.name, *self.window.locate(self.pos))
        key = str(self.value())
        self.expect(":", "':' delimiter")
        return key, at

    def elements(self) -> Iterator[tuple[object, int]]:
        self.expect("[", "'['")
        if self.take("]"):
            return
        while True:
            self.peek()
            line = self.line()
            yield self.value(), line
            if self.take("]"):
                return
            self.expect(",", "',' delimiter")
            self._let_go()

    # -- tokens ----------------------------------------------------------------------------------------------
    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end), reading on as far as needed."""
        while True:
            text, pos = self.window.text, self.pos
            while pos < len(text) and text[pos] in _WHITESPACE:
                pos += 1
            self.pos = pos
            if pos < len(text) or not self.window.more():
                return text[pos : pos + 1] if pos < len(text) else ""

    def take(self, char: str) -> bool:
        if self.peek() != char:
            return False
        self.pos += 1
        return True

    def expect(self, char: str, what: str) -> None:
        if not self.take(char):
            raise self._error(f"Expecting {what}", self.pos)

    def end(self) -> None:
        if self.peek():
            raise self._error("Extra data", self.pos)

    def value(self) -> object:
        self.peek()
        want = 1  # one chunk, then twice as many characters as the last time
        while True:
            text = self.window.text
            try:
                value, end = decode(text, self.pos)
            except json.JSONDecodeError as error:
                cut = error.pos >= len(text) - SLACK or error.msg.startswith("Unterminated string")
                if cut and self.window.more(want):
                    want = 2 * len(text)  # a record longer than the window: never quadratic
                    continue
                raise self._error(error.msg, error.pos) from None
            # A number at the very end of the window may go on in the next chunk; anything else has ended.
            if end < len(text) or not isinstance(value, int | float | LongNumber) or not self.window.more(want):
                self.pos = end
                return value
            want = 2 * len(text)

    def line(self) -> int:
        self._line += self.window.text.count("\n", self._counted, self.pos)
        self._counted = self.pos
        return self._line

    def _let_go(self) -> None:
        """Between records: forget the text decoded already, once there is enough of it."""
        if self.pos > KEEP:
            self.line()
            self.window.drop(self.pos)
            self.pos = self._counted = 0

    def _error(self, message: str, pos: int) -> SourceError:
        return SourceError(f"invalid JSON: {message}", Location(self.name, *self.window.locate(pos)))
