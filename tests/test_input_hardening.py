"""Broken exports: whatever is wrong with a record, it is that record's located error and the others go on.

Each case writes a real file and runs it through ``relmap render`` (or the reader): the exact message and origin,
the exit code, and that the records around the bad one are still rendered.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXPORT_MAPPING, MAPPINGS, CliResult

from relmap.cli import main
from relmap.errors import Location, SourceError
from relmap.sandbox import Sandbox
from relmap.sources.csv_rows import MAX_CELL
from relmap.sources.files import read_records
from relmap.sources.records import RecordProblem, SourceRecord

MAPPING = EXPORT_MAPPING
LONG = "1" * 5000
DEEP = "[" * 100_000 + "]" * 100_000
LATIN1 = "Café".encode("latin-1")
Render = Callable[..., CliResult]


@pytest.fixture
def render(run_cli: Render, tmp_path: Path) -> Render:
    """``relmap render mapping.yaml --input FILE ARGS`` with a mapping that renders every relation it reads."""
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "export.json").write_text("[]", encoding="utf-8")  # the mapping's own source must exist

    def run(path: Path, *args: str) -> CliResult:
        return run_cli("render", str(tmp_path / "mapping.yaml"), "--input", str(path), *args, cwd=tmp_path)

    return run


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def jsonl(*lines: str | bytes) -> bytes:
    return b"".join((line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n" for line in lines)


def rendered(result: CliResult) -> list[str]:
    """The debtor numbers rendered, in order."""
    return [line.split()[1] for line in result.out.splitlines() if line.startswith("+ ")]


def errors(result: CliResult) -> list[tuple[str, str]]:
    """(head line, first error line) of every record with errors."""
    lines = result.out.splitlines()
    return [(line, lines[n + 1].strip()) for n, line in enumerate(lines) if line.startswith("! ")]


def problems(path: Path | str, format: str | None = None) -> list[tuple[str, str]]:
    return [(item.origin, item.message) for item in read_records(path, format) if isinstance(item, RecordProblem)]


def numbers(path: Path | str, format: str | None = None) -> list[str]:
    return [item.debtor_number for item in read_records(path, format) if isinstance(item, SourceRecord)]


# ---- 1. a number too long for int() -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["export.jsonl", "export.json"])
def test_a_number_too_long_is_an_error_of_its_record(render: Render, tmp_path: Path, name: str) -> None:
    relations = [
        '{"debtor_number": "10001"}',
        f'{{"debtor_number": "10002", "name": {LONG}}}',
        '{"debtor_number": "3"}',
    ]
    text = "\n".join(relations) if name.endswith("jsonl") else "[\n" + ",\n".join(relations) + "\n]"
    path = write(tmp_path, name, text)
    result = render(path)
    assert result.code == 1, result.err
    line = 2 if name.endswith("jsonl") else 3
    assert errors(result) == [
        (f"! 10002  ({path}:{line})", "error: record: field 'name' holds a number of 5,000 digits, more than the "
         "4,300 relmap reads"),
    ]  # fmt: skip
    assert rendered(result) == ["10001", "3"]
    assert result.err == "3 relations: 2 rendered, 0 skipped, 1 with errors\n"


def test_a_long_number_elsewhere_in_a_record_or_the_envelope(tmp_path: Path) -> None:
    freefield = f'{{"debtor_number": "1", "FreeFields": [{{"number": {LONG}, "value": "x"}}]}}'
    path = write(tmp_path, "r.jsonl", jsonl(freefield, f'{{"debtor_number": {LONG}}}'))
    assert problems(path) == [
        (f"{path}:1", "freefield FreeFields[0] has no readable number (<a number of 5,000 digits>)"),
        (f"{path}:2", "field 'debtor_number' holds a number of 5,000 digits, more than the 4,300 relmap reads"),
    ]
    envelope = write(tmp_path, "e.json", f'{{"code": {LONG}, "response": []}}')
    with pytest.raises(SourceError, match="the OutSmart envelope has code <a number of 5,000 digits>, not 200"):
        list(read_records(envelope))


# ---- 2. a lone surrogate -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["export.jsonl", "export.json"])
@pytest.mark.parametrize("fmt", ["text", "json", "jsonl"])
def test_a_lone_surrogate_is_an_error_of_its_record_in_every_format(tmp_path: Path, name: str, fmt: str) -> None:
    relations = [
        '{"debtor_number": "10001"}',
        '{"debtor_number": "10002", "name": "a\\ud800"}',
        '{"debtor_number": "3"}',
    ]
    text = "\n".join(relations) if name.endswith("jsonl") else "[\n" + ",\n".join(relations) + "\n]"
    (tmp_path / "export.json").write_text("[]", encoding="utf-8")  # the mapping's own source
    path = write(tmp_path, name, text)
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    # Real UTF-8 streams, strict as a terminal's: a lone surrogate that got through could not be written at all.
    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict") for _ in range(2))
    code = main(["render", str(tmp_path / "mapping.yaml"), "--input", str(path), "--format", fmt], out, err)
    out.flush()
    err.flush()
    written = out.buffer.getvalue().decode("utf-8")
    assert code == 1, err.buffer.getvalue()
    message = "field 'name' contains an invalid character (lone surrogate \\ud800)"
    if fmt == "text":
        assert f"    error: record: {message}\n" in written
    else:
        results = json.loads(written)["results"] if fmt == "json" else [json.loads(x) for x in written.splitlines()]
        assert [r["status"] for r in results] == ["ok", "error", "ok"]
        assert results[1]["errors"] == [{"parameter": "record", "message": message, "rule": None}]
        assert results[1]["debtor_number"] == "10002"


def test_a_lone_surrogate_in_a_field_name_a_freefield_or_the_debtor_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.jsonl",
        jsonl(
            '{"debtor_number": "1", "na\\udc00me": "x"}',
            '{"debtor_number": "2", "FreeFields": {"3": "\\udfff"}}',
            '{"debtor_number": "3\\ud83d"}',
            '{"debtor_number": "4", "name": "\\ud83d\\ude00 a pair is fine"}',
        ),
    )
    items = list(read_records(path))
    assert [(item.origin, getattr(item, "message", None)) for item in items[:3]] == [
        (f"{path}:1", "field 'na\\udc00me' has an invalid character in its name (lone surrogate \\udc00)"),
        (f"{path}:2", "freefield FreeFields['3'] contains an invalid character (lone surrogate \\udfff)"),
        (f"{path}:3", "field 'debtor_number' contains an invalid character (lone surrogate \\ud83d)"),
    ]
    assert items[2].debtor_number is None  # never passed on, not even as the name of the record
    assert isinstance(items[3], SourceRecord) and items[3].fields["name"] == "😀 a pair is fine"


def test_run_dry_run_reports_a_lone_surrogate_as_a_record_error(
    sandbox: Sandbox, run_cli: Render, tmp_path: Path
) -> None:
    routing = (MAPPINGS / "business-routing.yaml").read_text(encoding="utf-8")
    start, end = routing.index("source:\n"), routing.index("target:\n")
    mapping = tmp_path / "routing.yaml"
    mapping.write_text(routing[:start] + "source:\n  file: {path: export.jsonl}\n\n" + routing[end:], encoding="utf-8")
    sample = json.loads((MAPPINGS / "samples" / "relations.json").read_text(encoding="utf-8"))["response"][:2]
    sample[1]["name"] = "Bad\ud800"
    write(tmp_path, "export.jsonl", "".join(json.dumps(relation) + "\n" for relation in sample))
    result = run_cli("run", str(mapping), "-q", "--dry-run", cwd=tmp_path)
    assert result.code == 1, result.err
    message = "field 'name' contains an invalid character (lone surrogate \\ud800)"
    assert f"! 10002    error: record: {message}\n" in result.out
    assert "+ 10001  P. van der Berg  create" in result.out
    result.out.encode("utf-8")  # nothing in it that cannot be written


# ---- 3. bytes that are not UTF-8 ----------------------------------------------------------------------------


def test_a_jsonl_line_that_is_not_utf8_is_an_error_of_that_line(render: Render, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "export.jsonl",
        jsonl('{"debtor_number": "1"}', b'{"debtor_number": "2", "name": "' + LATIN1 + b'"}', '{"debtor_number": "3"}'),
    )
    result = render(path)
    assert result.code == 1
    message = "error: record: not UTF-8 text (byte 0xe9 at column 36); export or save the file as UTF-8"
    assert errors(result) == [(f"! 2  ({path}:2)", message)]
    assert rendered(result) == ["1", "3"]


def test_a_csv_row_that_is_not_utf8_is_an_error_of_that_row(render: Render, tmp_path: Path) -> None:
    text = b"debtor_number;name;remark\n1;A;\n2;" + LATIN1 + b';\n3;C;"two\nlines ' + LATIN1 + b'"\n4;D;\n'
    path = write(tmp_path, "export.csv", text)
    result = render(path)
    assert result.code == 1
    assert errors(result) == [
        (f"! 2  ({path}:3)", "error: record: not UTF-8 text (byte 0xe9 at column 6); export or save the file as UTF-8"),
        (f"! 3  ({path}:4)", "error: record: not UTF-8 text (byte 0xe9 at line 5, column 10); export or save the "
         "file as UTF-8"),
    ]  # fmt: skip
    assert rendered(result) == ["1", "4"]


def test_a_header_or_a_json_document_that_is_not_utf8_cannot_be_read(tmp_path: Path) -> None:
    header = write(tmp_path, "h.csv", b"debtor_number;" + LATIN1 + b"\n1;A\n")
    with pytest.raises(SourceError, match=r"not UTF-8 text \(byte 0xe9\)") as caught:
        list(read_records(header))
    assert caught.value.location == Location(str(header), 1, 18)
    document = write(tmp_path, "d.json", b'[{"debtor_number": "1"},\n {"name": "' + LATIN1 + b'"}]')
    with pytest.raises(SourceError, match=r"not UTF-8 text \(byte 0xe9\)") as caught:
        list(read_records(document))
    assert caught.value.location == Location(str(document), 2, 15)  # RFC 8259: JSON text is UTF-8


# ---- 4. nesting too deep --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["export.jsonl", "export.txt", "export.json"])
def test_one_record_nested_too_deeply_is_an_error_of_that_record(render: Render, tmp_path: Path, name: str) -> None:
    relations = [f'{{"debtor_number": "1", "x": {DEEP}}}', '{"debtor_number": "2"}', '{"debtor_number": "3"}']
    text = "[\n" + ",\n".join(relations) + "\n]" if name.endswith(".json") else "\n".join(relations)
    path = write(tmp_path, name, text)  # export.txt is sniffed from a first line that is nested too deeply
    result = render(path)
    assert result.code == 1, result.err
    line = 2 if name.endswith(".json") else 1
    assert errors(result) == [(f"! ?  ({path}:{line})", "error: record: invalid JSON: nested too deeply")]
    assert rendered(result) == ["2", "3"]


def test_nesting_too_deep_in_the_envelope_or_with_broken_brackets(tmp_path: Path) -> None:
    envelope = write(tmp_path, "e.json", f'{{"code": 200, "messages": {DEEP}, "response": [{{"debtor_number": "1"}}]}}')
    assert numbers(envelope) == ["1"]
    broken = write(tmp_path, "b.json", '[{"debtor_number": "1"},\n' + "[" * 100_000 + "}\n]")
    with pytest.raises(SourceError, match="invalid JSON: Expecting ']'") as caught:
        list(read_records(broken))
    assert caught.value.location == Location(str(broken), 2, 100_001)
    unclosed = write(tmp_path, "u.json", '[{"debtor_number": "1"},\n' + "[" * 100_000 + '"]')
    with pytest.raises(SourceError, match="Unterminated string") as caught:
        list(read_records(unclosed))
    assert caught.value.location == Location(str(unclosed), 2, 100_001)


# ---- 5. a CSV cell over the csv module's 128 KiB ---------------------------------------------------------------


def test_a_csv_cell_up_to_1_mib_is_read(render: Render, tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", f"debtor_number;name\n1;{'x' * 200_000}\n2;B\n")
    result = render(path)
    assert result.code == 0, result.err
    assert rendered(result) == ["1", "2"]


@pytest.mark.parametrize(
    ("cell", "rows"),
    [
        ("y" * (MAX_CELL + 1), ""),
        (f'"{"y" * MAX_CELL}\n{"y" * 10}"', ""),  # closed on the next line: the csv module says it is too long
        (f'"{"y" * MAX_CELL}\nmore\n{"y" * 10}"', "; the row runs from line 3 to line 5"),  # still open: relmap does
    ],
    ids=["one-line", "quoted", "quoted-over-lines"],
)
def test_a_csv_cell_over_1_mib_is_an_error_of_its_row(render: Render, tmp_path: Path, cell: str, rows: str) -> None:
    path = write(tmp_path, "export.csv", f"debtor_number;name\n1;A\n2;{cell}\n3;C\n")
    result = render(path)
    assert result.code == 1
    message = "error: record: a cell is longer than 1,048,576 characters (1 MiB), the most relmap reads in one cell"
    assert errors(result) == [(f"! ?  ({path}:3)", message + rows)]
    assert rendered(result) == ["1", "3"]


# ---- 6. a CSV quote never closed ----------------------------------------------------------------------------------


def test_an_unterminated_quote_is_an_error_and_the_rows_it_swallowed_are_read(render: Render, tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", 'debtor_number;name;city\n1;A;Utrecht\n2;B;"Loosdrecht;\n3;C;Zeist\n4;D;\n')
    result = render(path)
    assert result.code == 1
    assert errors(result) == [
        (f"! 2  ({path}:3)", "error: record: unterminated quote: the quote opened at line 3, column 5 is never "
         "closed; it swallowed the 2 lines after it, to the end of the file; relmap reads those lines again as rows"),
    ]  # fmt: skip
    assert rendered(result) == ["1", "3", "4"]
    assert result.err == "4 relations: 3 rendered, 0 skipped, 1 with errors\n"


def test_an_unterminated_quote_in_the_last_row_or_after_a_closed_one(tmp_path: Path) -> None:
    last = write(tmp_path, "l.csv", 'debtor_number;name\n1;A\n2;"B\n')
    assert problems(last) == [
        (f"{last}:3", "unterminated quote: the quote opened at line 3, column 3 is never closed (the file ends first)")
    ]
    later = write(tmp_path, "m.csv", 'debtor_number;name;remark\n1;"two\nlines";"open\n2;B;\n')
    assert problems(later) == [
        (f"{later}:2", "unterminated quote: the quote opened at line 3, column 8 is never closed; it swallowed the 1 "
         "line after it, to the end of the file; relmap reads those lines again as rows"),
    ]  # fmt: skip
    assert numbers(later) == ["2"]


def test_a_line_an_unterminated_quote_swallowed_is_reported_for_its_own_row(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", b'debtor_number;name\n1;"A\n2;' + LATIN1 + b"\n3;C\n")
    assert problems(path) == [
        (f"{path}:2", "unterminated quote: the quote opened at line 2, column 3 is never closed; it swallowed the 2 "
         "lines after it, to the end of the file; relmap reads those lines again as rows"),
        (f"{path}:3", "not UTF-8 text (byte 0xe9 at column 6); export or save the file as UTF-8"),
    ]  # fmt: skip
    assert numbers(path) == ["3"]


def test_an_unterminated_quote_that_swallowed_megabytes_reads_the_file_again(tmp_path: Path) -> None:
    rest = "".join(f"{n};{'r' * 40}\n" for n in range(3, 40_000))  # 1.7 MB: more than is kept to read again
    path = write(tmp_path, "export.csv", 'debtor_number;name\n1;A\n2;"B\n' + rest)
    items = list(read_records(path))
    assert [(item.origin, item.message) for item in items if isinstance(item, RecordProblem)] == [
        (f"{path}:3", "unterminated quote: the quote opened at line 3, column 3 is never closed; it swallowed the "
         "39,997 lines after it, to the end of the file; relmap reads those lines again as rows"),
    ]  # fmt: skip
    assert len(items) == 39_999 and items[-1].origin == f"{path}:40000" and items[-1].debtor_number == "39999"


def test_standard_input_is_read_again_within_1_mib_and_says_where_it_stops_beyond(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small = b'debtor_number;name\n1;"A\n2;B\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(small)))
    assert numbers("-", "csv") == ["2"]
    big = b'debtor_number;name\n1;"A\n' + b"".join(b"%d;%s\n" % (n, b"r" * 40) for n in range(2, 40_000))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(big)))
    items = read_records("-", "csv")
    first = next(items)
    assert isinstance(first, RecordProblem) and first.origin == "<stdin>:2"
    with pytest.raises(SourceError, match="swallowed the rest of standard input") as caught:
        next(items)
    assert caught.value.location == Location("<stdin>", 2, 3)


def test_an_unterminated_quote_in_the_header_cannot_be_read(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", 'debtor_number;"name\n1;A\n')
    with pytest.raises(SourceError) as caught:
        list(read_records(path))
    assert str(caught.value) == (
        f"{path}:1: the header row cannot be read: unterminated quote: the quote opened at line 1, column 15 is never "
        "closed; it swallowed the 1 line after it, to the end of the file"
    )


def test_quotes_that_do_close_read_as_before(tmp_path: Path) -> None:
    text = 'debtor_number;name;remark\n1;"A ""B""";"x\n\ny; z"\n2;"B"c;\n3;C;"""\n"""\n4;"";\n'
    path = write(tmp_path, "q.csv", text)
    items = list(read_records(path))
    assert [(item.origin, item.fields) for item in items if isinstance(item, SourceRecord)] == [
        (f"{path}:2", {"debtor_number": "1", "name": 'A "B"', "remark": "x\n\ny; z"}),
        (f"{path}:5", {"debtor_number": "2", "name": "Bc", "remark": None}),
        (f"{path}:6", {"debtor_number": "3", "name": "C", "remark": '"\n"'}),
        (f"{path}:8", {"debtor_number": "4", "name": None, "remark": None}),
    ]


def test_a_carriage_return_in_an_unquoted_cell_is_an_error_of_its_row(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "debtor_number;name\n1;A\rB\n2;C\n")
    assert problems(path) == [(f"{path}:2", "invalid CSV: a line break (\\r) inside a cell that is not quoted")]
    assert numbers(path) == ["2"]


# ---- 7. a debtor number twice -------------------------------------------------------------------------------


def test_render_flags_a_debtor_number_twice_as_run_does(render: Render, tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", "debtor_number;name\n1;A\n2;B\n1;A\n1;Other\n5;Bad;cell\n5;Good\n")
    result = render(path)
    assert result.code == 1
    assert f"- 1  skipped: an identical copy of the relation at {path}:2; run counts it once\n" in result.out
    assert errors(result) == [
        (f"! 1  people → addprivaterelation  ({path}:5)",
         f"error: record: debtor_number '1' occurs twice: the relation at {path}:2 has it too; run uses that one"),
        (f"! 5  ({path}:6)", "error: record: row has 3 cells but the header has 2 columns"),
    ]  # fmt: skip
    assert rendered(result) == ["1", "2", "5"]  # a relation with errors does not take its number, as in run
    assert result.err == "6 relations: 3 rendered, 1 skipped, 2 with errors\n"


def test_a_text_only_standard_input_with_a_lone_surrogate_is_an_error_of_that_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        sys, "stdin", io.StringIO('{"debtor_number": "1", "name": "a\ud800"}\n{"debtor_number": "2"}\n')
    )
    assert problems("-") == [("<stdin>:1", "not UTF-8 text (byte 0xed at column 34); export or save the file as UTF-8")]
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"debtor_number": "2"}\n'))
    assert numbers("-") == ["2"]


@pytest.mark.parametrize("header", [";;;", ";", "name;city"])
def test_a_csv_without_a_debtor_number_column_is_one_located_error_not_a_silent_drop(
    tmp_path: Path, header: str
) -> None:
    from relmap.errors import SourceError
    from relmap.sources.files import read_records

    path = tmp_path / "r.csv"
    path.write_text(f"{header}\n10001;Jansen;Zeist\n10002;Visser;Baarn\n", encoding="utf-8")
    with pytest.raises(SourceError, match="the header row has no debtor_number column") as caught:
        list(read_records(path))
    # a row of only separators holds no names, so the first row with content is taken for the header: said there
    assert str(caught.value).startswith((f"{path}:1:", f"{path}:2:"))


@pytest.mark.parametrize("value", ["true", "false", "[1]", '{"a": 1}'])
def test_a_debtor_number_that_is_not_text_or_a_number_is_a_record_error(tmp_path: Path, value: str) -> None:
    from relmap.sources.files import read_records
    from relmap.sources.records import RecordProblem

    path = tmp_path / "r.jsonl"
    path.write_text(f'{{"debtor_number": {value}, "name": "X"}}\n{{"debtor_number": "10002"}}\n', encoding="utf-8")
    first, second = list(read_records(path))
    assert isinstance(first, RecordProblem) and "debtor_number is " in first.message
    assert "expected text or a whole number" in first.message and second.debtor_number == "10002"
