"""Reading OutSmart relation exports: normalising one record, and the JSON / JSONL / CSV readers."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from relmap.errors import Location, SourceError
from relmap.sources.files import FORMATS, read_records
from relmap.sources.records import RecordProblem, SourceRecord, normalize_record

SAMPLES = Path(__file__).resolve().parent.parent / "mappings" / "samples"

Item = SourceRecord | RecordProblem


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def read(path: Path | str, format: str | None = None) -> list[Item]:
    return list(read_records(path, format))


def ok(raw: object) -> SourceRecord:
    item = normalize_record(raw, 0, "test:1")
    assert isinstance(item, SourceRecord), item
    return item


def problem(raw: object) -> RecordProblem:
    item = normalize_record(raw, 3, "test:4")
    assert isinstance(item, RecordProblem), item
    return item


# ---- normalize_record -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (" 1011AB ", " 1011AB "),
        ("", ""),
        ("Zoë Müller", "Zoë Müller"),
        (None, None),
        (132, "132"),
        (-7, "-7"),
        (52.1, "52.1"),
        (3.0, "3"),
        (0.1 + 0.2, "0.30000000000000004"),
        (True, "1"),
        (False, "0"),
    ],
)
def test_values_become_text_exactly(value: object, text: str | None) -> None:
    record = ok({"debtor_number": "10001", "postal_code": value})
    assert record.fields["postal_code"] == text


def test_record_keeps_every_plain_field_and_its_place() -> None:
    record = normalize_record({"debtor_number": 152346, "name": "Bos", "active": "1"}, 7, "relations.jsonl:8")
    assert record == SourceRecord(7, "relations.jsonl:8", {"debtor_number": "152346", "name": "Bos", "active": "1"}, {})
    assert isinstance(record, SourceRecord)
    assert record.debtor_number == "152346"


def test_debtor_number_is_kept_as_free_text() -> None:
    assert ok({"debtor_number": "14233Aaa"}).debtor_number == "14233Aaa"
    assert ok({"debtor_number": "010045"}).debtor_number == "010045"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"val_value_1": "Onderhoud", "val_value_50": "x"}, {1: "Onderhoud", 50: "x"}),
        ({"FreeFields": {"1": "Onderhoud", "3": 2}}, {1: "Onderhoud", 3: "2"}),
        ({"FreeFields": {1: "Onderhoud", 4: True}}, {1: "Onderhoud", 4: "1"}),
        ({"FreeFields": {"val_value_2": "2016-04-12"}}, {2: "2016-04-12"}),
        ({"FreeFields": {"7": {"value": "Graag per post"}}}, {7: "Graag per post"}),
        ({"freefields": {"5": None}}, {5: None}),
        ({"Freefields": {" 6 ": "30"}}, {6: "30"}),
        ({"FreeFields": [{"fld_order": "1", "value": "Storing"}, {"number": 2, "val_value": "2020-01-01"}]},
         {1: "Storing", 2: "2020-01-01"}),
        ({"FreeFields": [{"id": 3, "fld_name": "Aantal installaties"}]}, {3: None}),
        ({"FreeFields": None}, {}),
        ({"FreeFields": []}, {}),
        ({"val_value_1": "Geen", "FreeFields": {"1": "Geen", "2": "2019-06-01"}}, {1: "Geen", 2: "2019-06-01"}),
    ],
)  # fmt: skip
def test_both_freefield_shapes_are_read(raw: dict[str, object], expected: dict[int, str | None]) -> None:
    record = ok({"debtor_number": "10001", **raw})
    assert record.freefields == expected
    assert set(record.fields) == {"debtor_number"}


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"name": "Jansen"}, ["relation has no debtor_number"]),
        ({"debtor_number": None}, ["relation has no debtor_number"]),
        ({"debtor_number": "  "}, ["relation has no debtor_number"]),
        ({"debtor_number": "1", "address": {"street": "Meir"}}, ["'address'", "an object"]),
        ({"debtor_number": "1", "phones": ["0612345678"]}, ["'phones'", "an array"]),
        ({"debtor_number": "1", "latitude": float("nan")}, ["'latitude'", "not a finite number"]),
        ({"debtor_number": "1", "val_value_51": "x"}, ["val_value_51", "51", "outside 1..50"]),
        ({"debtor_number": "1", "val_value_0": "x"}, ["val_value_0", "outside 1..50"]),
        ({"debtor_number": "1", "val_value_x": "x"}, ["val_value_x", "no readable number"]),
        ({"debtor_number": "1", "FreeFields": {"60": "x"}}, ["FreeFields['60']", "outside 1..50"]),
        ({"debtor_number": "1", "FreeFields": [{"fld_order": "abc", "value": "x"}]}, ["FreeFields[0]", "'abc'"]),
        ({"debtor_number": "1", "FreeFields": [{"value": "x"}]}, ["FreeFields[0]", "has no number"]),
        ({"debtor_number": "1", "FreeFields": ["x"]}, ["FreeFields[0]", "a string"]),
        ({"debtor_number": "1", "FreeFields": "1=x"}, ["'FreeFields'", "a string"]),
        ({"debtor_number": "1", "FreeFields": {"2": {"a": 1}}}, ["FreeFields['2']", "an object"]),
        ({"debtor_number": "1", "val_value_1": "Onderhoud", "FreeFields": {"1": "Storing"}},
         ["freefield 1", "'Onderhoud' (val_value_1)", "'Storing' (FreeFields['1'])"]),
        ({"debtor_number": "1", "FreeFields": {"3": "2", "val_value_3": "4"}}, ["freefield 3", "'2'", "'4'"]),
    ],
)  # fmt: skip
def test_unusable_records_become_problems(raw: dict[str, object], words: list[str]) -> None:
    item = problem(raw)
    assert (item.index, item.origin) == (3, "test:4")
    for word in words:
        assert word in item.message


@pytest.mark.parametrize(
    ("raw", "kind"), [([1, 2], "an array"), ("10001", "a string"), (None, "null"), (7, "a number")]
)
def test_a_record_must_be_an_object(raw: object, kind: str) -> None:
    item = problem(raw)
    assert item.message == f"record is {kind}, expected a JSON object"
    assert item.debtor_number is None


def test_problem_keeps_a_known_debtor_number_and_lists_every_fault() -> None:
    item = problem({"debtor_number": 10004, "a": {}, "b": [], "val_value_99": "x"})
    assert item.debtor_number == "10004"
    assert item.message.count(";") == 2
    assert problem({"debtor_number": {"nr": 1}}).debtor_number is None


def test_messages_never_dump_the_record() -> None:
    secret = "geheim " * 100
    item = problem({"debtor_number": "1", "remark": secret, "address": {"note": secret}, "val_value_1": secret,
                    "FreeFields": {"1": "x"}})  # fmt: skip
    assert "geheim geheim geheim geheim geheim geheim" not in item.message
    assert len(item.message) < 250


def test_source_record_refuses_a_missing_debtor_number() -> None:
    with pytest.raises(ValueError, match="debtor_number"):
        SourceRecord(0, "x", {"name": "Jansen"}, {})


# ---- JSON -------------------------------------------------------------------------------------------------

RELATIONS = [
    {"debtor_number": "10001", "name": "P. van der Berg", "val_value_1": "Onderhoud"},
    {"debtor_number": "14233Aaa", "name": "Ömer Yılmaz", "FreeFields": {"1": "Storing"}},
]


@pytest.mark.parametrize(
    "document",
    [{"code": 200, "messages": [], "response": RELATIONS}, RELATIONS, {"response": RELATIONS, "code": "200"}],
    ids=["envelope", "bare-array", "string-code"],
)
def test_json_envelope_and_bare_array(tmp_path: Path, document: object) -> None:
    items = read(write(tmp_path, "relations.json", json.dumps(document, indent=2, ensure_ascii=False)))
    assert [type(item) for item in items] == [SourceRecord, SourceRecord]
    first, second = items
    assert isinstance(first, SourceRecord) and isinstance(second, SourceRecord)
    assert (first.index, first.debtor_number, first.freefields) == (0, "10001", {1: "Onderhoud"})
    assert (second.index, second.debtor_number, second.freefields) == (1, "14233Aaa", {1: "Storing"})
    assert second.fields["name"] == "Ömer Yılmaz"


def test_json_origin_is_the_line_a_record_starts_on(tmp_path: Path) -> None:
    text = '{"code": 200, "messages": [],\n "response": [\n  {"debtor_number": "1"},\n\n  {"debtor_number": "2"}\n]}'
    path = write(tmp_path, "r.json", text)
    assert [item.origin for item in read(path)] == [f"{path}:3", f"{path}:5"]


def test_minified_json_origin_counts_records(tmp_path: Path) -> None:
    path = write(tmp_path, "r.json", json.dumps([*RELATIONS, []]))
    items = read(path)
    assert [item.origin for item in items] == [f"{path}: record 1", f"{path}: record 2", f"{path}: record 3"]
    assert isinstance(items[2], RecordProblem)


def test_json_bad_record_does_not_stop_the_others(tmp_path: Path) -> None:
    path = write(tmp_path, "r.json", json.dumps([{"name": "x"}, "10001", {"debtor_number": "10002"}], indent=1))
    kinds = [type(item).__name__ for item in read(path)]
    assert kinds == ["RecordProblem", "RecordProblem", "SourceRecord"]


def test_json_envelope_error_code(tmp_path: Path) -> None:
    document = {"code": 1004, "messages": ["Client token unauthorized"], "response": None}
    path = write(tmp_path, "r.json", json.dumps(document))
    with pytest.raises(SourceError) as caught:
        read(path)
    assert "1004" in str(caught.value)
    assert "Client token unauthorized" in str(caught.value)
    assert caught.value.location == Location(str(path))


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ('[\n  {"debtor_number": "1"},\n  {"debtor_number": }\n]', 3, 21, "Expecting value"),
        ('{"code": 200, "response": [\n{"debtor_number": "1"}\n{"a": 1}]}', 3, 1, "Expecting ',' delimiter"),
        ('[{"debtor_number": "1"}]\n]', 2, 1, "Extra data"),
        ('{"code": 200 "response": []}', 1, 14, "Expecting ',' delimiter"),
        ("{code: 200}", 1, 2, "Expecting property name"),
        ("", 1, 1, "Expecting value"),
        ('[{"debtor_number": "1",}]', 1, 24, "Expecting property name"),
    ],
)
def test_invalid_json_is_located(tmp_path: Path, text: str, line: int, column: int, words: str) -> None:
    path = write(tmp_path, "r.json", text)
    with pytest.raises(SourceError, match=words) as caught:
        read(path)
    assert caught.value.location == Location(str(path), line, column)
    with pytest.raises(json.JSONDecodeError) as standard:
        json.loads(text)
    assert (standard.value.lineno, standard.value.colno) == (line, column)


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"debtor_number": "1"}, "found an object without 'response'"),
        ({"code": 200, "response": {"1": {}}}, "'response' is an object"),
        ("relations", "found a string"),
        (42, "found a number"),
    ],
)
def test_json_of_another_shape(tmp_path: Path, document: object, words: str) -> None:
    path = write(tmp_path, "r.json", json.dumps(document))
    with pytest.raises(SourceError, match=words) as caught:
        read(path)
    assert "expected" in str(caught.value)
    assert caught.value.location == Location(str(path))


# ---- JSONL ------------------------------------------------------------------------------------------------


def test_jsonl_bad_line_in_the_middle(tmp_path: Path) -> None:
    lines = ['{"debtor_number": "10001"}', "", '{"debtor_number": "10002", ', '{"debtor_number": "10003"}', "\n"]
    path = write(tmp_path, "r.jsonl", "\n".join(lines))
    items = read(path)
    assert [item.origin for item in items] == [f"{path}:1", f"{path}:3", f"{path}:4"]
    assert [item.index for item in items] == [0, 1, 2]
    bad = items[1]
    assert isinstance(bad, RecordProblem)
    assert bad.message.startswith("invalid JSON at column")
    assert [item.debtor_number for item in items] == ["10001", None, "10003"]


def test_jsonl_streams(tmp_path: Path) -> None:
    path = write(
        tmp_path, "r.ndjson", b'{"debtor_number": "1"}\n{"debtor_number": "caf\xe9"}\n{"debtor_number": "3"}\n'
    )
    items = read_records(path)
    first = next(items)
    assert isinstance(first, SourceRecord) and first.debtor_number == "1"
    problem = next(items)  # one line that is not UTF-8 is that line's problem; the lines after it are read
    assert isinstance(problem, RecordProblem) and problem.origin == f"{path}:2"
    assert problem.message == "not UTF-8 text (byte 0xe9 at column 23); export or save the file as UTF-8"
    third = next(items)
    assert isinstance(third, SourceRecord) and third.debtor_number == "3"


# ---- CSV --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_with_either_delimiter(tmp_path: Path, delimiter: str) -> None:
    rows = [
        ["debtor_number", "name", "house_number", "val_value_3"],
        ["10001", "Jansen", "", "2"],
        ["10002", "", "12a", ""],
    ]
    text = "\n".join(delimiter.join(row) for row in rows) + "\n"
    path = write(tmp_path, "r.csv", text)
    items = read(path)
    assert items == [
        SourceRecord(0, f"{path}:2", {"debtor_number": "10001", "name": "Jansen", "house_number": None}, {3: "2"}),
        SourceRecord(1, f"{path}:3", {"debtor_number": "10002", "name": None, "house_number": "12a"}, {3: None}),
    ]


def test_csv_rows_problems_and_lines(tmp_path: Path) -> None:
    text = (
        "\ufeffdebtor_number;name;remark;\r\n"
        '10001;"Jansen; Piet";"Sleutel bij buren\r\nHond aanwezig"\r\n'
        "\r\n"
        ";;;\r\n"
        "10002;Bos;;\r\n"
        "10003;Vos;te veel;cellen\r\n"
        ";Zonder nummer\r\n"
        "10004\r\n"
    )
    path = write(tmp_path, "r.csv", text)
    items = read(path)
    assert [item.origin for item in items] == [f"{path}:{n}" for n in (2, 6, 7, 8, 9)]
    first, second, third, fourth, fifth = items
    assert isinstance(first, SourceRecord)
    assert first.fields == {
        "debtor_number": "10001",
        "name": "Jansen; Piet",
        "remark": "Sleutel bij buren\r\nHond aanwezig",
    }
    assert isinstance(second, SourceRecord) and second.fields["remark"] is None
    assert isinstance(third, RecordProblem) and "has a value but its column has no name" in third.message
    assert isinstance(fourth, RecordProblem) and fourth.message == "relation has no debtor_number"
    assert isinstance(fifth, SourceRecord) and fifth.fields == {"debtor_number": "10004", "name": None, "remark": None}


def test_csv_row_with_more_cells_than_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "debtor_number,name\n10001,Jansen,extra\n10002,Bos\n")
    bad, good = read(path)
    assert isinstance(bad, RecordProblem)
    assert bad.message == "row has 3 cells but the header has 2 columns"
    assert bad.debtor_number == "10001"
    assert isinstance(good, SourceRecord) and good.debtor_number == "10002"


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [("", "empty CSV", 0), ("\n\n", "empty CSV", 0), ("debtor_number;name;name\n1;a;b\n", "'name' appears twice", 1)],
)
def test_csv_without_a_usable_header(tmp_path: Path, text: str, words: str, line: int) -> None:
    path = write(tmp_path, "r.csv", text)
    with pytest.raises(SourceError, match=words) as caught:
        read(path)
    assert caught.value.location == Location(str(path), line)


# ---- formats, standard input, failures -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[{"debtor_number": "1"}]', ["1"]),
        ('{\n "code": 200,\n "response": [{"debtor_number": "1"}]\n}', ["1"]),
        ('{"code": 200, "response": [{"debtor_number": "1"}]}', ["1"]),
        ('\n{"debtor_number": "1"}\n{"debtor_number": "2"}\n', ["1", "2"]),
        ("debtor_number;name\n1;Jansen\n", ["1"]),
        ("", []),
    ],
    ids=["array", "pretty-envelope", "one-line-envelope", "jsonl", "csv", "empty"],
)
def test_unknown_extension_is_sniffed(tmp_path: Path, text: str, expected: list[str]) -> None:
    items = read(write(tmp_path, "export.txt", text))
    assert [item.debtor_number for item in items] == expected


@pytest.mark.parametrize("name", ["r.JSON", "r.jsonl", "r.ndjson", "r.Csv"])
def test_extension_decides_the_format(tmp_path: Path, name: str) -> None:
    text = "debtor_number\n1\n" if name.lower().endswith("csv") else '[{"debtor_number": "1"}]'
    if name.endswith("jsonl") or name.endswith("ndjson"):
        text = '{"debtor_number": "1"}\n'
    assert [item.debtor_number for item in read(write(tmp_path, name, text))] == ["1"]


def test_explicit_format_wins_over_the_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "r.json", '{"debtor_number": "1"}\n{"debtor_number": "2"}\n')
    assert [item.debtor_number for item in read(path, "jsonl")] == ["1", "2"]
    assert FORMATS == ("json", "jsonl", "csv")


def test_unknown_format_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="unknown format 'xml'"):
        read_records(tmp_path / "r.json", "xml")


@pytest.mark.parametrize(
    ("data", "format", "expected"),
    [
        (b'{"code": 200, "messages": [], "response": [{"debtor_number": "caf\xc3\xa9"}]}', None, ["café"]),
        (b'{"debtor_number": "1"}\n{"debtor_number": "2"}\n', None, ["1", "2"]),
        (b"debtor_number,name\n7,Vos\n", "csv", ["7"]),
    ],
)
def test_dash_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, data: bytes, format: str | None, expected: list[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="latin-1"))
    items = read("-", format)
    assert [item.debtor_number for item in items] == expected
    assert all(item.origin.startswith("<stdin>") for item in items)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    with pytest.raises(SourceError, match="cannot read") as caught:
        read(path)
    assert caught.value.location == Location(str(path))
    assert str(path) in str(caught.value)


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        read(tmp_path, "json")


def test_non_utf8_json_document(tmp_path: Path) -> None:
    path = write(tmp_path, "r.json", "debtor_number\n10001\nMüller\n".encode("cp1252"))
    with pytest.raises(SourceError, match=r"not UTF-8 text \(byte 0xfc\)") as caught:
        read(path)
    assert caught.value.location == Location(str(path), 3, 2)


@pytest.mark.parametrize("name", ["r.csv", "r.jsonl"])
def test_a_non_utf8_line_is_that_records_problem(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, "debtor_number\n10001\nMüller\n".encode("cp1252"))
    problems = [item for item in read(path) if isinstance(item, RecordProblem)]
    assert problems[-1].origin == f"{path}:3"
    assert problems[-1].message == "not UTF-8 text (byte 0xfc at column 2); export or save the file as UTF-8"


# ---- the shipped samples ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "count"), [("relations.json", 40), ("relations.jsonl", 8), ("relations.csv", 8)])
def test_shipped_samples_read_without_problems(name: str, count: int) -> None:
    items = read(SAMPLES / name)
    assert [item for item in items if isinstance(item, RecordProblem)] == []
    assert len(items) == count
    numbers = [item.debtor_number for item in items]
    assert len(set(numbers)) == count
    assert "14233Aaa" in numbers


def test_samples_agree_across_formats() -> None:
    by_number = {item.debtor_number: item for item in read(SAMPLES / "relations.json")}
    for name in ("relations.jsonl", "relations.csv"):
        for item in read(SAMPLES / name):
            assert isinstance(item, SourceRecord)
            full = by_number[item.debtor_number]
            assert isinstance(full, SourceRecord)
            assert {k: v or None for k, v in item.fields.items()} == {k: v or None for k, v in full.fields.items()}
            assert {n: v for n, v in item.freefields.items() if v} == {n: v for n, v in full.freefields.items() if v}


def test_samples_carry_both_freefield_shapes() -> None:
    document = json.loads((SAMPLES / "relations.json").read_text(encoding="utf-8"))
    relations = document["response"]
    with_keys = [r for r in relations if "val_value_1" in r]
    with_object = [r for r in relations if "FreeFields" in r]
    assert len(with_keys) > 10 and len(with_object) > 10
    assert len(with_keys) + len(with_object) < len(relations)
    freefields = json.loads((SAMPLES / "freefields.json").read_text(encoding="utf-8"))["response"]
    assert [f["fld_order"] for f in freefields] == [str(n) for n in range(1, 8)]
    assert {f["fld_entity"] for f in freefields} == {"CLIENT"}


# ---- JSON read as a stream ----------------------------------------------------------------------------------

STREAMED = {
    "pretty-envelope": json.dumps({"code": 200, "messages": [], "response": [*RELATIONS, "x", {"n": 1}]}, indent=2),
    "minified": json.dumps([*RELATIONS, {"debtor_number": "3", "name": "Zoë €"}], ensure_ascii=False),
    "code-last": '{"response": [\n{"debtor_number": "1"},\n{"debtor_number": "2"}\n], "code": 200}',
    "mixed-lines": '[{"debtor_number": "1"}, {"debtor_number": "2"},\n{"debtor_number": "3"},\n{"debtor_number": 4}]',
    "long-number": '[\n{"debtor_number": "1", "x": ' + "9" * 5000 + '},\n{"debtor_number": 12345678901234567890}\n]',
    "deep": '\ufeff[{"debtor_number": "1"},\n{"x": ' + "[" * 3000 + "]" * 3000 + '},\n{"debtor_number": "2"}]',
    "surrogate": '[{"debtor_number": "1", "name": "a\\ud800"},\n {"debtor_number": "2", "name": "\\ud83d\\ude00"}]',
    "code-refused": '{"code": 1004, "messages": ["Client token unauthorized"], "response": [{"debtor_number": "1"}]}',
    "late-code-refused": '{"response": [{"debtor_number": "1"}], "code": 1005, "messages": "no"}',
    "broken-late": '[{"debtor_number": "1"},\n{"debtor_number": "2"},\n{"debtor_number": "3",}]',
    "truncated": '{"code": 200, "response": [{"debtor_number": "1"}, {"debtor_number": "2", "name": "Jan',
    "number-at-end": "[1, 2, 12345",
    "not-utf8-late": b'[{"debtor_number": "1"},\n{"debtor_number": "2", "name": "Caf\xe9"}]',
    "cut-character": '[{"debtor_number": "1", "name": "€"}]'.encode()[:-4],
    "broken-then-not-utf8": b'[{"debtor_number": "1"},\n{"debtor_number": }, "caf\xe9"]',
    "two-responses": '{"code": 200, "response": [{"debtor_number": "1"}],\n "response": []}',
}


def outcome(path: Path) -> list[object]:
    """What reading gives: each record's kind, origin and content (or message), then the error, if any."""
    seen: list[object] = []
    try:
        for item in read_records(path):
            content = item.message if isinstance(item, RecordProblem) else (item.fields, item.freefields)
            seen.append((type(item).__name__, item.origin, content))
    except SourceError as error:
        seen.append((str(error), error.location))
    return seen


@pytest.mark.parametrize("name", sorted(STREAMED))
def test_json_reads_the_same_whatever_the_chunks(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from relmap.sources import json_stream, text_chunks

    path = write(tmp_path, "r.json", STREAMED[name])
    whole = outcome(path)
    for chunk, keep in ((1, 0), (2, 3), (3, 10), (7, 0), (64, 50)):
        monkeypatch.setattr(text_chunks, "CHUNK", chunk)
        monkeypatch.setattr(json_stream, "KEEP", keep)
        assert outcome(path) == whole, (chunk, keep)
    assert whole  # every document gives records, an error, or both


def test_json_stream_origins_problems_and_errors(tmp_path: Path) -> None:
    def outcome_of(name: str) -> list[object]:
        return outcome(write(tmp_path, f"{name}.json", STREAMED[name]))

    path = tmp_path / "mixed-lines.json"
    assert [origin for _, origin, _ in outcome_of("mixed-lines")] == [
        f"{path}: record 1", f"{path}: record 2", f"{path}:2", f"{path}:3",
    ]  # fmt: skip
    assert [kind for kind, *_ in outcome_of("deep")] == ["SourceRecord", "RecordProblem", "SourceRecord"]
    long = outcome_of("long-number")
    assert long[0][2] == "field 'x' holds a number of 5,000 digits, more than the 4,300 relmap reads"
    assert long[1][2] == ({"debtor_number": "12345678901234567890"}, {})
    assert "lone surrogate" in outcome_of("surrogate")[0][2]
    path = tmp_path / "broken-late.json"
    assert outcome_of("broken-late")[-1] == (
        f"{path}:3:23: invalid JSON: Expecting property name enclosed in double quotes",
        Location(str(path), 3, 23),
    )
    assert len(outcome_of("broken-late")) == 3  # the two records before it were read, as a JSONL file's are
    path = tmp_path / "not-utf8-late.json"
    assert outcome_of("not-utf8-late")[-1][1] == Location(str(path), 2, 36)
    path = tmp_path / "cut-character.json"
    assert outcome_of("cut-character")[-1][1] == Location(str(path), 1, 34)
    assert "code 1004, not 200: Client token unauthorized" in outcome_of("code-refused")[0][0]
    assert "code 1005, not 200: no" in outcome_of("late-code-refused")[0][0]  # nothing before it was used
    assert [kind for kind, *_ in outcome_of("code-last")] == ["SourceRecord", "SourceRecord"]
    path = tmp_path / "two-responses.json"
    assert outcome_of("two-responses")[-1] == (
        f"{path}:2:2: the OutSmart envelope has two 'response' members; keep one",
        Location(str(path), 2, 2),
    )
    assert "Unterminated string" in outcome_of("truncated")[-1][0]
    path = tmp_path / "broken-then-not-utf8.json"
    assert outcome_of("broken-then-not-utf8")[-1][1] == Location(str(path), 2, 26)  # not UTF-8 is said first


def test_json_from_a_pipe_is_read_as_it_arrives(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    read_end, write_end = os.pipe()
    with open(read_end, "rb") as reading, open(write_end, "wb", buffering=0) as writing:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(reading))
        items = read_records("-", "json")
        writing.write(b'{"code": 200, "messages": [], "response": [{"debtor_number": "1"},\n{"debtor_number": "2"}')
        first = next(items)  # answered while the writer still holds the pipe open (once the next record began)
        assert (first.debtor_number, first.origin) == ("1", "<stdin>:1")
        writing.write(b"]}")
        writing.close()
        assert [item.debtor_number for item in items] == ["2"]


def test_a_large_json_envelope_is_read_in_flat_memory(tmp_path: Path) -> None:
    import tracemalloc

    relation = {"debtor_number": "0", "name": "Jansen Installatietechniek B.V.", "city": "Loosdrecht", "x": "y" * 400}
    relations = [{**relation, "debtor_number": str(n)} for n in range(20_000)]
    path = write(tmp_path, "big.json", json.dumps({"code": 200, "messages": [], "response": relations}))
    size = path.stat().st_size
    del relations
    tracemalloc.start()
    try:
        count = sum(1 for item in read_records(path) if isinstance(item, SourceRecord))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 20_000 and size > 9_000_000
    assert peak < size / 3, f"peak {peak:,} bytes for a {size:,}-byte document"


def test_a_value_past_a_megabyte_is_that_records_error() -> None:
    from relmap.sources.records import MAX_VALUE, RecordProblem, normalize_record

    made = normalize_record({"debtor_number": "1", "name": "x" * (MAX_VALUE + 1)}, 0, "api")
    assert isinstance(made, RecordProblem)
    assert f"field 'name' is {MAX_VALUE + 1:,} characters long, more than the {MAX_VALUE:,}" in made.message
    made = normalize_record({"debtor_number": "1", "name": "x" * MAX_VALUE}, 0, "api")
    assert not isinstance(made, RecordProblem)


def test_a_jsonl_record_cut_off_at_the_end_of_its_line_says_where(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_text('{"debtor_number": "1"}\n{"debtor_number": \n', encoding="utf-8")
    items = list(read_records(str(path)))
    problem = items[1]
    assert isinstance(problem, RecordProblem) and problem.origin == f"{path}:2"
    assert problem.message == "invalid JSON at column 19: the line ends before the record does (Expecting value)"
