"""OutSmart's answer to GET /relations/, in two passes over the text of a spooled answer (relmap.sources.spool).

:func:`check` reads the whole envelope first: its ``code`` wherever it stands, its shape, and every relation decoded
(so that the JSON is known to be whole) and let go at once. Only an answer that passes is given, by
:func:`relations`, one relation at a time, so no relation of an answer that turns out refused or malformed is ever
handed on, and 100,000 relations never stand whole as text or as parsed JSON. Both passes go through json_stream's
window and scanner. What is wrong with the answer is raised as one of the exceptions below, for the client to say in
its own words (and to retry or not).
"""

from __future__ import annotations

from collections.abc import Iterator

from relmap.errors import SourceError
from relmap.sources.json_stream import StreamScanner, Window

NAME = "the answer"  # the "file" a position in the answer is given in


class NoEnvelope(Exception):
    """The answer is JSON, but not OutSmart's envelope (an object with a ``code``)."""


class Refused(Exception):
    """The envelope's code is not 200."""

    def __init__(self, code: object, messages: object) -> None:
        super().__init__(f"code {code!r}")
        self.code = code
        self.messages = messages


class BadShape(Exception):
    """The envelope is there, but what it holds cannot be read as relations."""


def check(chunks: Iterator[str]) -> int:
    """How many relations the envelope whose text comes in ``chunks`` holds; none of them is kept.

    Raises SourceError (located in :data:`NAME`) for text that is not JSON or not UTF-8; NoEnvelope, Refused or
    BadShape as their docstrings say."""
    count = 0
    for _ in _walk(chunks):
        count += 1
    return count


def relations(chunks: Iterator[str]) -> Iterator[object]:
    """The relations of an envelope :func:`check` passed, each as soon as it is decoded, whatever the order of its
    members (raising as :func:`check` does, should the text not be what was checked)."""
    return _walk(chunks)


def _walk(chunks: Iterator[str]) -> Iterator[object]:
    scanner = StreamScanner(Window(chunks), NAME)
    start = scanner.peek()
    if start != "{":
        if start != "[":  # an array is JSON without the envelope; anything else is checked to be JSON first
            scanner.value()
            scanner.end()
        raise NoEnvelope()
    members: dict[str, object] = {}
    array = False
    for key, _, value, elements in scanner.members():  # the same walk as an export file's envelope
        if key == "response" and "response" in members:
            raise BadShape("the envelope has two 'response' members")
        if elements is None:
            members[key] = value
        else:
            array, members[key] = True, []
            yield from (raw for raw, _ in elements)
    if "code" not in members:
        raise NoEnvelope()
    if code_of(members["code"]) != 200:
        raise Refused(members["code"], members.get("messages"))
    response = members.get("response")
    if not array and response is not None:
        raise BadShape(f"expected a list in the envelope's response, got {type(response).__name__}")


def code_of(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def where(error: SourceError) -> str:
    """``line 1, column 3456: Expecting ',' delimiter`` of a SourceError located in :data:`NAME`."""
    location = error.location
    message = str(error).removeprefix(f"{location}: ").removeprefix("invalid JSON: ")
    if location is None or not location.line:
        return message
    return f"line {location.line}, column {location.column}: {message}"
