"""OutSmart's answer to GET /relations/, read as it arrives: the relations of its envelope one at a time.

The text goes through json_stream's window and scanner (each relation decoded on its own, the text before it let
go), so 100,000 relations never stand whole as text or as parsed JSON. OutSmart puts ``code`` before ``response``:
a 200 streams the relations; any other code reads the relations through, kept by none, to give the code and the
``messages`` that follow them. Only an envelope whose ``code`` comes after ``response`` holds its relations until
the code is known, as the whole answer was held before. What is wrong with the answer is raised as one of the
exceptions below, for the client to say in its own words (and to retry or not).
"""

from __future__ import annotations

from collections import deque
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


def relations(chunks: Iterator[str]) -> Iterator[object]:
    """The relations of the envelope whose text comes in ``chunks``, each as soon as it is decoded.

    Raises SourceError (located in :data:`NAME`) for text that is not JSON or not UTF-8, after the relations
    before the fault; NoEnvelope, Refused or BadShape as their docstrings say."""
    scanner = StreamScanner(Window(chunks), NAME)
    start = scanner.peek()
    if start != "{":
        if start != "[":  # an array is JSON without the envelope; anything else is checked to be JSON first
            scanner.value()
            scanner.end()
        raise NoEnvelope()
    yield from _envelope(scanner)


def _envelope(scanner: StreamScanner) -> Iterator[object]:
    members: dict[str, object] = {}
    held: list[object] = []
    array = False
    scanner.expect("{", "'{'")
    more = not scanner.take("}")
    while more:
        key, _ = scanner.key()
        if key == "response" and "response" in members:
            raise BadShape("the envelope has two 'response' members")
        if key != "response" or scanner.peek() != "[":
            members[key] = scanner.value()
        else:
            array, members[key] = True, []
            if "code" not in members:
                held = [raw for raw, _ in scanner.elements()]  # the code is still to come, and decides
            elif code_of(members["code"]) == 200:
                yield from (raw for raw, _ in scanner.elements())
            else:
                deque(scanner.elements(), maxlen=0)  # read through for the messages after them
        more = not scanner.take("}")
        if more:
            scanner.expect(",", "',' delimiter")
    scanner.end()
    if "code" not in members:
        raise NoEnvelope()
    if code_of(members["code"]) != 200:
        raise Refused(members["code"], members.get("messages"))
    response = members.get("response")
    if not array and response is not None:
        raise BadShape(f"expected a list in the envelope's response, got {type(response).__name__}")
    yield from held


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
