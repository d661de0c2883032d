"""OutSmart CSV exports: relmap finds where each row ends (by its quotes), then the csv module splits that row.

Finding the rows first means a row the csv module cannot read is one record problem, and the next row still
starts where it should:

- a row with a line that is not UTF-8, or that the csv module refuses, is a problem of that row;
- a cell holds at most MAX_CELL characters: relmap raises the csv module's (process-wide) field_size_limit from
  its 128 KiB to that, and a longer cell is a problem of its row;
- a quote that is never closed would take the rest of the file into one cell. It is a problem of the row where it
  opened, saying how many lines it swallowed, and those lines are read again as rows: after such a quote the file
  holds only doubled quotes (any other quote would have closed it), which cannot open another, so this happens at
  most once. A file is opened again for that; of standard input relmap keeps MAX_CELL characters, and if the quote
  swallowed more, the read stops there with a SourceError.

Only the header must be readable: without it no row means anything, so its problems are SourceErrors.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field

from relmap.errors import Location, SourceError
from relmap.sources.lines import Input, Line, Undecodable, first_content_line
from relmap.sources.records import RecordProblem, SourceRecord, normalize_record

MAX_CELL = 1 << 20  # characters; 1 MiB of ASCII text
_TOO_LONG = f"a cell is longer than {MAX_CELL:,} characters (1 MiB), the most relmap reads in one cell"


@dataclass(frozen=True)
class _Chunk:
    """The lines of one row, as its quotes say; ``problem`` or ``undecodable`` when its cells cannot be read."""

    start: int
    texts: list[str]
    problem: str | None = None
    undecodable: tuple[int, Undecodable] | None = None  # the first line that is not UTF-8, and where in it
    reread: bool = False  # the lines after the row's unterminated quote are read again as rows


@dataclass  # not frozen: it grows line by line while the quote stays open
class _Open:
    """A quoted cell still open at the end of a line, and what is kept to read again if it is never closed."""

    line: int
    column: int
    size: int
    after: list[Line] = field(default_factory=list)  # the lines after ``line``, while within MAX_CELL
    complete: bool = True  # False once ``after`` stopped growing


def csv_records(lines: Iterator[Line], source: Input) -> Iterator[SourceRecord | RecordProblem]:
    name = source.name
    first, lines = first_content_line(lines)
    if not first:
        raise SourceError("empty CSV: expected a header row", Location(name))
    delimiter = ";" if first.count(";") > first.count(",") else ","
    if csv.field_size_limit() < MAX_CELL:
        csv.field_size_limit(MAX_CELL)
    header: list[str] | None = None
    index = 0
    for chunk in _chunks(lines, delimiter, source):
        cells, problem = _cells(chunk, delimiter)
        if cells is not None and not any(cell.strip() for cell in cells):
            continue  # a blank row
        if header is None:
            header = _header(chunk, cells, problem, name)
            continue
        origin = f"{name}:{chunk.start}"
        if cells is None:
            yield RecordProblem(index, origin, problem or "", _debtor_number(header, chunk, delimiter))
        else:
            yield _record(header, cells, index, origin)
        index += 1


def _chunks(lines: Iterator[Line], delimiter: str, source: Input) -> Iterator[_Chunk]:
    pending = lines
    while (line := next(pending, None)) is not None:
        if '"' not in line.text:  # by far the most rows: one line, nothing to find
            yield _Chunk(line.number, [line.text], undecodable=_undecodable(line))
            continue
        chunk, swallowed = _quoted_row(line, pending, delimiter)
        yield chunk
        if swallowed is not None:
            pending = _again(swallowed, source)


def _quoted_row(first: Line, pending: Iterator[Line], delimiter: str) -> tuple[_Chunk, _Open | None]:
    """The row that starts with ``first``; and, if a quote in it is never closed, that quote."""
    texts, undecodable, too_long = [first.text], _undecodable(first), False
    opened = _open_quote(first.text, delimiter, quoted=False)
    if opened is None:
        return _Chunk(first.number, texts, undecodable=undecodable), None
    quote = _Open(first.number, opened + 1, len(first.text) - opened)
    last = first.number
    for line in pending:
        last = line.number
        undecodable = undecodable or _undecodable(line)
        opened = _open_quote(line.text, delimiter, quoted=True)
        if opened is None or not too_long:
            texts.append(line.text)  # once a cell is too long, the row is a problem: its text is not needed
        if opened is None:
            problem = _TOO_LONG + f"; the row runs from line {first.number} to line {last}" if too_long else None
            return _Chunk(first.number, texts, problem, undecodable), None
        if opened >= 0:  # the quote closed, and another opened on this line
            quote = _Open(line.number, opened + 1, len(line.text) - opened)
            continue
        quote.size += len(line.text)
        if quote.size > MAX_CELL:
            too_long, quote.complete = True, False
        if quote.complete:
            quote.after.append(line)
    if undecodable is not None and undecodable[0] > quote.line:
        undecodable = None  # in a line the quote swallowed: that line is read again, and reported as its own row's
    return _Chunk(first.number, texts, _unterminated(quote, last), undecodable, reread=last > quote.line), quote


def _open_quote(text: str, delimiter: str, quoted: bool) -> int | None:
    """Where a quoted cell open at the end of ``text`` began: the quote's index, or -1 when it was open before
    ``text`` began (``quoted``); None when the row ends with ``text``.

    The csv module's default dialect, as it reads: a quote opens a cell only at the cell's start, a doubled quote in
    a quoted cell is a quote, and what follows a closing quote up to the delimiter belongs to the same cell.
    """
    pos, opened = 0, -1
    while True:
        if quoted:
            close = text.find('"', pos)
            while close >= 0 and text.startswith('"', close + 1):
                close = text.find('"', close + 2)
            if close < 0:
                return opened
            quoted, pos = False, close + 1
        elif text.startswith('"', pos):
            quoted, opened, pos = True, pos, pos + 1
            continue
        next_cell = text.find(delimiter, pos)
        if next_cell < 0:
            return None
        pos = next_cell + 1


def _unterminated(quote: _Open, last: int) -> str:
    swallowed = last - quote.line
    where = f"the quote opened at line {quote.line}, column {quote.column}"
    if not swallowed:
        return f"unterminated quote: {where} is never closed (the file ends first)"
    lines = f"{swallowed:,} line{'s' * (swallowed != 1)}"
    return f"unterminated quote: {where} is never closed; it swallowed the {lines} after it, to the end of the file"


def _again(quote: _Open, source: Input) -> Iterator[Line]:
    """The lines an unterminated quote swallowed, to be read as rows after all."""
    if quote.complete:
        return iter(quote.after)
    reopen = source.reopen()
    if reopen is None:
        message = (
            "unterminated quote: the quote opened here is never closed; it swallowed the rest of standard input, "
            f"more than the {MAX_CELL:,} characters relmap keeps to read again; close the quote, or read from a file"
        )
        raise SourceError(message, Location(source.name, quote.line, quote.column))
    return reopen(quote.line)


def _undecodable(line: Line) -> tuple[int, Undecodable] | None:
    return (line.number, line.undecodable) if line.undecodable is not None else None


def _cells(chunk: _Chunk, delimiter: str) -> tuple[list[str] | None, str | None]:
    """The row's cells, or None and why they cannot be used."""
    if chunk.problem is not None:  # first: an unterminated quote says why the lines after it are read again
        return None, chunk.problem + ("; relmap reads those lines again as rows" if chunk.reread else "")
    if chunk.undecodable is not None:
        number, undecodable = chunk.undecodable
        return None, undecodable.message(number if number != chunk.start else None)
    try:
        rows = list(csv.reader(chunk.texts, delimiter=delimiter))
    except csv.Error as error:
        return None, _csv_error(error)
    if len(rows) != 1:  # cannot happen while _open_quote reads as the csv module does; never drop a row silently
        return None, f"invalid CSV: the lines of this row read as {len(rows)} rows"
    return rows[0], None


def _csv_error(error: csv.Error) -> str:
    text = str(error)
    if "field limit" in text:
        return _TOO_LONG
    if "new-line character" in text:
        return "invalid CSV: a line break (\\r) inside a cell that is not quoted"
    return f"invalid CSV: {text}"


def _header(chunk: _Chunk, cells: list[str] | None, problem: str | None, name: str) -> list[str]:
    location = Location(name, chunk.start)
    if chunk.undecodable is not None:
        number, undecodable = chunk.undecodable
        raise undecodable.source_error(name, number)
    if cells is None:
        raise SourceError(f"the header row cannot be read: {chunk.problem or problem}", location)
    names = [cell.strip() for cell in cells]
    for position, column in enumerate(names):
        if column and column in names[:position]:
            raise SourceError(f"column {column!r} appears twice in the header", location)
    if "debtor_number" not in names:
        # Without it no row can be a relation: most likely the file has no header, and its first relation would
        # silently become one. Said once, for the file, rather than as an error on every row.
        # Column names only, each cut short: the first line of a file that is no export at all is not quoted whole.
        shown = ", ".join(repr(n[:40] + "…" if len(n) > 40 else n) for n in names[:5] if n) or "no column names"
        raise SourceError(
            f"the header row has no debtor_number column ({shown}); the first row of a CSV export names its columns",
            location,
        )
    return names


def _debtor_number(header: list[str], chunk: _Chunk, delimiter: str) -> str | None:
    """The debtor number of a row that cannot be used, when its cells say it clearly enough to name the row."""
    try:
        rows = list(csv.reader(chunk.texts, delimiter=delimiter))
    except csv.Error:
        return None
    cells = dict(zip(header, rows[0], strict=False)) if rows else {}
    found = normalize_record({"debtor_number": cells.get("debtor_number") or None}, 0, "")
    return found.debtor_number if isinstance(found, SourceRecord) else None


def _record(header: list[str], row: list[str], index: int, origin: str) -> SourceRecord | RecordProblem:
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
