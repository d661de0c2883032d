"""OutSmart relation exports on disk or standard input: JSON (envelope or bare array), JSONL and CSV.

Records stream one by one (JSONL and CSV never hold the whole file); a bad record becomes a RecordProblem,
an input that cannot be read at all a SourceError. A JSON record's origin is ``file:line`` of its first line,
or ``file: record N`` when records share lines (minified JSON, as the API sends it).
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

from relmap.errors import Location, SourceError
from relmap.sources.records import RecordProblem, SourceRecord, json_type, normalize_record

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

FORMATS = ("json", "jsonl", "csv")
STDIN = "-"
STDIN_NAME = "<stdin>"
_EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_ENVELOPE = '{"code": 200, "messages": [], "response": [...]}'
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()

Item = SourceRecord | RecordProblem
Located = list[tuple[object, int]]


def read_records(path: str | Path, format: str | None = None) -> Iterator[Item]:
    """Stream the relations in ``path`` (``-`` is standard input) as records or problems.

    ``format`` is one of FORMATS; without it the extension decides (.json, .jsonl/.ndjson, .csv) and any other
    name is sniffed: ``[`` is JSON, ``{`` is JSON unless its first line is a whole relation object (then JSONL),
    anything else is CSV. A wrong ``format`` raises at once; every other SourceError comes while iterating.
    """
    name = STDIN_NAME if str(path) == STDIN else str(path)
    if format is not None and format.lower() not in FORMATS:
        raise SourceError(f"unknown format {format!r}; expected one of: {', '.join(FORMATS)}", Location(name))
    return _read(path, name, format.lower() if format else _format_from_name(path))


def _format_from_name(path: str | Path) -> str | None:
    if str(path) == STDIN:
        return None
    return _EXTENSIONS.get(Path(path).suffix.lower())


def _read(path: str | Path, name: str, format: str | None) -> Iterator[Item]:
    lines = _decoded_lines(path, name)
    if format is None:
        first, lines = _first_content_line(lines)
        format = _sniff(first)
    yield from _READERS[format](lines, name)


def _sniff(first: str) -> str:
    if not first:
        return "jsonl"  # empty input: JSONL reads it as no records
    if first.startswith("["):
        return "json"
    if not first.startswith("{"):
        return "csv"
    try:
        head = json.loads(first)
    except (ValueError, RecursionError):
        return "json"  # an object spread over several lines: a pretty-printed envelope
    envelope = isinstance(head, dict) and ("response" in head or "code" in head)
    return "json" if envelope else "jsonl"


# ---- bytes to text lines ----------------------------------------------------------------------------------


def _decoded_lines(path: str | Path, name: str) -> Iterator[str]:
    """The input's lines as text (line ends kept, BOM dropped); OS and UTF-8 failures become SourceErrors."""
    try:
        with _open(path) as stream:
            for number, raw in enumerate(stream, 1):
                text = _decode(raw, number, name)
                yield text.removeprefix("\ufeff") if number == 1 else text
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}", Location(name)) from None


def _open(path: str | Path) -> contextlib.AbstractContextManager[Iterable[bytes]]:
    if str(path) != STDIN:
        return open(path, "rb")  # the caller's with-statement closes it
    stdin: IO[str] = sys.stdin
    buffer = getattr(stdin, "buffer", None)
    lines = buffer if buffer is not None else (line.encode("utf-8", "surrogateescape") for line in stdin)
    return contextlib.nullcontext(lines)  # standard input is not ours to close


def _decode(raw: bytes, number: int, name: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        column = len(raw[: error.start].decode("utf-8", "replace")) + 1
        message = f"not UTF-8 text (byte 0x{raw[error.start]:02x}); export or save the file as UTF-8"
        raise SourceError(message, Location(name, number, column)) from None


def _first_content_line(lines: Iterator[str]) -> tuple[str, Iterator[str]]:
    """The first non-blank line (stripped; "" if none), and all the lines again, that one included."""
    head: list[str] = []
    for line in lines:
        head.append(line)
        if line.strip():
            return line.strip(), itertools.chain(head, lines)
    return "", iter(head)


# ---- JSON -------------------------------------------------------------------------------------------------


def _json_records(lines: Iterator[str], name: str) -> Iterator[Item]:
    located = _parse_json("".join(lines), name)
    # Minified JSON (what the API sends) puts every record on line 1: then a line says nothing, a count does.
    by_line = len({line for _, line in located}) == len(located)
    for index, (raw, line) in enumerate(located):
        origin = f"{name}:{line}" if by_line else f"{name}: record {index + 1}"
        yield normalize_record(raw, index, origin)


def _parse_json(text: str, name: str) -> Located:
    scanner = _Scanner(text)
    with _json_syntax(name):
        start = scanner.peek()
        if start == "[":
            located = scanner.elements()
            scanner.end()
            return located
        if start != "{":
            found = json_type(scanner.value())
            scanner.end()
            expected = f"expected an OutSmart envelope {_ENVELOPE} or an array of relations"
            raise SourceError(f"{expected}, found {found}", Location(name))
        members, response = scanner.envelope()
        scanner.end()
    return _envelope_records(members, response, name)


@contextlib.contextmanager
def _json_syntax(name: str) -> Iterator[None]:
    try:
        yield
    except json.JSONDecodeError as error:
        raise SourceError(f"invalid JSON: {error.msg}", Location(name, error.lineno, error.colno)) from None
    except RecursionError:
        raise SourceError("invalid JSON: nested too deeply", Location(name)) from None


def _envelope_records(members: Mapping[str, object], located: Located | None, name: str) -> Located:
    code = members.get("code", 200)
    if str(code) != "200":
        detail = _messages(members.get("messages"))
        raise SourceError(f"the OutSmart envelope has code {code}, not 200: {detail}", Location(name))
    if located is not None:
        return located
    if "response" in members:
        found = json_type(members["response"])
        raise SourceError(f"the envelope's 'response' is {found}, expected an array of relations", Location(name))
    expected = f"expected an OutSmart envelope {_ENVELOPE} or an array of relations"
    raise SourceError(f"{expected}, found an object without 'response'", Location(name))


def _messages(messages: object) -> str:
    if isinstance(messages, str):
        items = [messages]
    elif isinstance(messages, list):
        items = [m if isinstance(m, str) else json.dumps(m, ensure_ascii=False) for m in messages]
    else:
        items = []
    text = "; ".join(items) or "no messages"
    return text if len(text) <= 300 else text[:299] + "…"


class _Scanner:
    """Walks a JSON text only as far as the record array, noting the line each record starts on.

    Values are decoded by the standard decoder (``raw_decode``); errors carry its messages and positions.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._line = 1
        self._counted = 0

    def peek(self) -> str:
        match = _WHITESPACE.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos
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
        value, self.pos = _DECODER.raw_decode(self.text, self.pos)
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


# ---- JSONL ------------------------------------------------------------------------------------------------


def _jsonl_records(lines: Iterator[str], name: str) -> Iterator[Item]:
    index = 0
    for number, line in enumerate(lines, 1):
        if line.strip():
            yield _jsonl_record(line, index, f"{name}:{number}")
            index += 1


def _jsonl_record(line: str, index: int, origin: str) -> Item:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as error:
        return RecordProblem(index, origin, f"invalid JSON at column {error.colno}: {error.msg}", None)
    except RecursionError:
        return RecordProblem(index, origin, "invalid JSON: nested too deeply", None)
    return normalize_record(raw, index, origin)


# ---- CSV --------------------------------------------------------------------------------------------------


def _csv_records(lines: Iterator[str], name: str) -> Iterator[Item]:
    first, lines = _first_content_line(lines)
    if not first:
        raise SourceError("empty CSV: expected a header row", Location(name))
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header: list[str] | None = None
    index = 0
    for line, row in _csv_rows(reader, name):
        if header is None:
            header = _csv_header(row, Location(name, line))
            continue
        yield _csv_record(header, row, index, f"{name}:{line}")
        index += 1


def _csv_rows(reader: CsvReader, name: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows, each with the line it starts on (a quoted cell may span lines)."""
    read = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise SourceError(f"invalid CSV: {error}", Location(name, read + 1)) from None
        start, read = read + 1, reader.line_num
        if any(cell.strip() for cell in row):
            yield start, row


def _csv_header(row: list[str], location: Location) -> list[str]:
    names = [cell.strip() for cell in row]
    for position, column in enumerate(names):
        if column and column in names[:position]:
            raise SourceError(f"column {column!r} appears twice in the header", location)
    return names


def _csv_record(header: list[str], row: list[str], index: int, origin: str) -> Item:
    debtor_number = dict(zip(header, row, strict=False)).get("debtor_number") or None
    # Extra empty cells are trailing delimiters (spreadsheets write them), not data.
    if any(row[len(header) :]):
        message = f"row has {len(row)} cells but the header has {len(header)} columns"
        return RecordProblem(index, origin, message, debtor_number)
    cells = row + [""] * (len(header) - len(row))
    raw: dict[str, str | None] = {}
    for position, (column, cell) in enumerate(zip(header, cells, strict=False)):
        if not column and cell:
            message = f"cell {position + 1} has a value but its column has no name in the header"
            return RecordProblem(index, origin, message, debtor_number)
        if column:
            raw[column] = cell or None
    return normalize_record(raw, index, origin)


_READERS: dict[str, Callable[[Iterator[str], str], Iterator[Item]]] = {
    "json": _json_records,
    "jsonl": _jsonl_records,
    "csv": _csv_records,
}
