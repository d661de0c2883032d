"""OutSmart relation exports on disk or standard input: JSON (envelope or bare array), JSONL and CSV.

Records stream one by one (JSONL and CSV never hold the whole file); a bad record becomes a RecordProblem,
an input that cannot be read at all a SourceError. A JSON record's origin is ``file:line`` of its first line,
or ``file: record N`` when records share lines (minified JSON, as the API sends it).

In JSONL and CSV one bad line (or row) is one record problem, whatever is wrong with it: not UTF-8, not JSON,
nested too deeply, a number too long, a lone surrogate, a cell too long or a quote never closed (csv_rows). A JSON
document is read by json_stream, in chunks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from relmap.errors import Location, SourceError
from relmap.sources.csv_rows import csv_records
from relmap.sources.json_document import TOO_DEEP, Scanner, TooDeep, decode_text
from relmap.sources.json_stream import stream_records
from relmap.sources.lines import STDIN, STDIN_NAME, Input, Line, first_content_line, input_for
from relmap.sources.records import RecordProblem, SourceRecord, normalize_record

__all__ = ["FORMATS", "STDIN", "STDIN_NAME", "read_records"]

FORMATS = ("json", "jsonl", "csv")
_EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}

Item = SourceRecord | RecordProblem


def read_records(path: str | Path, format: str | None = None) -> Iterator[Item]:
    """Stream the relations in ``path`` (``-`` is standard input) as records or problems.

    ``format`` is one of FORMATS; without it the extension decides (.json, .jsonl/.ndjson, .csv) and any other
    name is sniffed: ``[`` is JSON, ``{`` is JSON unless its first line is a whole relation object (then JSONL),
    anything else is CSV. A wrong ``format`` raises at once; every other SourceError comes while iterating.
    """
    source = input_for(path)
    if format is not None and format.lower() not in FORMATS:
        raise SourceError(f"unknown format {format!r}; expected one of: {', '.join(FORMATS)}", Location(source.name))
    return _read(source, format.lower() if format else _format_from_name(path))


def _format_from_name(path: str | Path) -> str | None:
    if str(path) == STDIN:
        return None
    return _EXTENSIONS.get(Path(path).suffix.lower())


def _read(source: Input, format: str | None) -> Iterator[Item]:
    if format == "json":
        yield from stream_records(source)  # in chunks: a minified document is one line of any length
        return
    read = source.lines()
    lines: Iterator[Line] = read
    if format is None:
        first, lines = first_content_line(read)
        format = _sniff(first)
        if format == "json" and source.path is not None:
            getattr(read, "close", lambda: None)()  # the file is read again from its start, in chunks
            yield from stream_records(source)
            return
    yield from _READERS[format](lines, source)


def _sniff(first: str) -> str:
    if not first:
        return "jsonl"  # empty input: JSONL reads it as no records
    if first.startswith("["):
        return "json"
    if not first.startswith("{"):
        return "csv"
    scanner = Scanner(first)
    try:
        members, _ = scanner.envelope()
        scanner.end()
    except json.JSONDecodeError:
        return "json"  # an object spread over several lines: a pretty-printed envelope
    return "json" if "response" in members or "code" in members else "jsonl"


# ---- JSONL ------------------------------------------------------------------------------------------------


def _jsonl_records(lines: Iterator[Line], source: Input) -> Iterator[Item]:
    index = 0
    for line in lines:
        if line.text.strip():
            yield _jsonl_record(line, index, f"{source.name}:{line.number}")
            index += 1


def _jsonl_record(line: Line, index: int, origin: str) -> Item:
    if line.undecodable is not None:
        return RecordProblem(index, origin, line.undecodable.message(), _debtor_number(line.text))
    try:
        raw = decode_text(line.text)
    except json.JSONDecodeError as error:
        text = line.text.rstrip("\r\n")
        if error.pos >= len(text):  # the line's own newline: the record is cut off where the line ends
            message = f"invalid JSON at column {len(text) + 1}: the line ends before the record does ({error.msg})"
        else:
            message = f"invalid JSON at column {error.colno}: {error.msg}"
        return RecordProblem(index, origin, message, None)
    if isinstance(raw, TooDeep):
        return RecordProblem(index, origin, TOO_DEEP, None)
    return normalize_record(raw, index, origin)


def _debtor_number(text: str) -> str | None:
    """The debtor number of a line that is not UTF-8, when the rest of it says so clearly: it names the record."""
    try:
        raw = decode_text(text)
    except json.JSONDecodeError:
        return None
    return normalize_record(raw, 0, "").debtor_number


_READERS: dict[str, Callable[[Iterator[Line], Input], Iterator[Item]]] = {
    "json": lambda lines, source: stream_records(source, lines),  # standard input, sniffed from its lines
    "jsonl": _jsonl_records,
    "csv": csv_records,
}
