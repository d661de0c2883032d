"""The decoding of one JSON value of an export, and what an OutSmart envelope must hold.

Each record is decoded on its own (json_stream walks the document): a record with a number too long for Python's
int, or nested too deeply to decode, becomes a problem of that record while the others go on. Only a document
whose structure is broken (or that is not UTF-8: RFC 8259) cannot be read at all. ``Scanner`` reads the members
of an object on one line, for telling an envelope from a JSON-lines relation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from relmap.errors import Location, SourceError
from relmap.report.terminal import escape
from relmap.sources.records import json_int, json_type

ENVELOPE = '{"code": 200, "messages": [], "response": [...]}'
TOO_DEEP = "invalid JSON: nested too deeply"
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_LONG_NUMBERS = json.JSONDecoder(parse_int=json_int)  # slower; only for a value the plain decoder refused
_BRACKETS = re.compile(r'[][{}"]')
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_CLOSERS = {"[": "]", "{": "}"}

Located = list[tuple[object, int]]


class TooDeep:
    """Stands for a value nested too deeply to decode; it was skipped, the values around it were not."""

    def __repr__(self) -> str:
        return "<a value nested too deeply>"

    __str__ = __repr__


def decode(text: str, pos: int = 0) -> tuple[object, int]:
    """The JSON value at ``pos`` and the position after it; JSONDecodeError for bad syntax, nothing else.

    A number too long for int() comes back as a LongNumber, a value nested too deeply as a TooDeep.
    """
    try:
        try:
            return _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError:
            raise
        except ValueError:  # int() refused the digits of a number; no other ValueError comes out of the decoder
            return _LONG_NUMBERS.raw_decode(text, pos)
    except RecursionError:
        if text[pos : pos + 1] not in _CLOSERS:
            raise  # not a nesting of its own: the caller's stack is too deep already
        return TooDeep(), skip_nested(text, pos)


def decode_text(text: str) -> object:
    """The one JSON value ``text`` holds, like json.loads, but as :func:`decode` says."""
    value, end = decode(text, _after_whitespace(text, 0))
    end = _after_whitespace(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _after_whitespace(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def skip_nested(text: str, pos: int) -> int:
    """The position after the array or object at ``pos``, found without recursion (brackets and strings only).

    What lies between is not checked: the value is reported as nested too deeply, never used.
    """
    closers: list[str] = []
    while True:
        match = _BRACKETS.search(text, pos)
        if match is None:
            raise json.JSONDecodeError(f"Expecting {closers[-1]!r}", text, len(text))
        pos, char = match.start(), match[0]
        if char == '"':
            string = _STRING.match(text, pos)
            if string is None:
                raise json.JSONDecodeError("Unterminated string starting at", text, pos)
            pos = string.end()
            continue
        if char in _CLOSERS:
            closers.append(_CLOSERS[char])
        elif closers[-1] != char:
            raise json.JSONDecodeError(f"Expecting {closers[-1]!r}", text, pos)
        else:
            closers.pop()
        pos += 1
        if not closers:
            return pos


def envelope_records(members: Mapping[str, object], located: Located | None, name: str) -> Located:
    """``located`` (the records of the envelope's array), or a SourceError for a code or shape that gives none."""
    code = members.get("code", 200)
    if str(code) != "200":
        detail = _messages(members.get("messages"))
        raise SourceError(f"the OutSmart envelope has code {escape(str(code))}, not 200: {detail}", Location(name))
    if located is not None:
        return located
    if "response" in members:
        found = json_type(members["response"])
        raise SourceError(f"the envelope's 'response' is {found}, expected an array of relations", Location(name))
    expected = f"expected an OutSmart envelope {ENVELOPE} or an array of relations"
    raise SourceError(f"{expected}, found an object without 'response'", Location(name))


def _messages(messages: object) -> str:
    if isinstance(messages, str):
        items = [messages]
    elif isinstance(messages, list):
        items = [m if isinstance(m, str) else _dumps(m) for m in messages]
    else:
        items = []
    text = escape("; ".join(items)) or "no messages"  # OutSmart's words go to the terminal as they are
    return text if len(text) <= 300 else text[:299] + "…"


def _dumps(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError, TypeError):  # a LongNumber or TooDeep, or nested too deeply to write
        return json_type(value)


class Scanner:
    """Walks a JSON text only as far as the record array, noting the line each record starts on.

    Values are decoded by :func:`decode`; errors carry the standard decoder's messages and positions.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._line = 1
        self._counted = 0

    def peek(self) -> str:
        self.pos = _after_whitespace(self.text, self.pos)
        return self.text[self.pos : self.pos + 1]

    def take(self, char: str) -> bool:
        if self.peek() != char:
            return False
        self.pos += 1
        return True

    def expect(self, char: str, what: str) -> None:
        if not self.take(char):
            raise json.JSONDecodeError(f"Expecting {what}", self.text, self.pos)

    def end(self) -> None:
        if self.peek():
            raise json.JSONDecodeError("Extra data", self.text, self.pos)

    def value(self) -> object:
        self.peek()
        value, self.pos = decode(self.text, self.pos)
        return value

    def line(self) -> int:
        self._line += self.text.count("\n", self._counted, self.pos)
        self._counted = self.pos
        return self._line

    def elements(self) -> Located:
        self.expect("[", "'['")
        located: Located = []
        if self.take("]"):
            return located
        while True:
            self.peek()
            line = self.line()
            located.append((self.value(), line))
            if self.take("]"):
                return located
            self.expect(",", "',' delimiter")

    def envelope(self) -> tuple[dict[str, object], Located | None]:
        """The members of an object; a 'response' array comes back located instead of as a member value."""
        self.expect("{", "'{'")
        members: dict[str, object] = {}
        located: Located | None = None
        if self.take("}"):
            return members, located
        while True:
            if self.peek() != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", self.text, self.pos)
            key = str(self.value())
            self.expect(":", "':' delimiter")
            if key == "response" and self.peek() == "[":
                located = members[key] = self.elements()
            else:
                members[key] = self.value()
                located = None if key == "response" else located
            if self.take("}"):
                return members, located
            self.expect(",", "',' delimiter")
