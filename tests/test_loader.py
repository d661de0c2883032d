"""The YAML loader: YAML 1.2 scalars, located nodes, merge keys, and the traps of YAML 1.1."""

from __future__ import annotations

import pytest

from relmap.errors import DiagnosticSink, Location
from relmap.mapping.loader import load_text


def load(text: str) -> tuple[object, DiagnosticSink]:
    sink = DiagnosticSink()
    doc = load_text(text, "m.yaml", sink)
    return (doc.data if doc else None), sink


@pytest.mark.parametrize(
    "scalar, value",
    [
        ("no", "no"),
        ("yes", "yes"),
        ("on", "on"),
        ("01234", "01234"),
        ("2024-01-01", "2024-01-01"),
        ("1:20", "1:20"),
        ("true", True),
        ("False", False),
        ("~", None),
        ("12", 12),
        ("-3", -3),
        ("1.5", 1.5),
        ('"12"', "12"),
        ("'no'", "no"),
        ("!!str 12", "12"),
        ("0", 0),
        ("0612345678", "0612345678"),
    ],
)
def test_scalars_are_read_the_yaml_12_way(scalar: str, value: object) -> None:
    data, _ = load(f"k: {scalar}\n")
    assert data == {"k": value}
    assert type(data["k"]) is type(value)  # type: ignore[index]


def test_yaml_11_traps_are_warnings_with_a_hint() -> None:
    _, sink = load("a: no\nb: 01234\nc: 'no'\n")
    assert [(d.location, d.code) for d in sink.items] == [
        (Location("m.yaml", 1, 4), "yaml-1.1-boolean"),
        (Location("m.yaml", 2, 4), "yaml-1.1-number"),
    ]
    assert all(d.severity == "warning" and d.hint for d in sink.items)


def test_keys_are_text_as_written() -> None:
    data, _ = load("map:\n  1: a\n  no: b\n  true: c\n")
    assert data == {"map": {"1": "a", "no": "b", "true": "c"}}


def test_duplicate_key_points_at_the_second_one() -> None:
    _, sink = load("a: 1\nb:\n  c: 2\n  c: 3\n")
    [d] = sink.items
    assert (d.location, d.code, d.message) == (
        Location("m.yaml", 4, 3),
        "duplicate-key",
        "duplicate key 'c' (first at line 3)",
    )


def test_merge_keys_and_positions() -> None:
    sink = DiagnosticSink()
    doc = load_text("base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  y: 3\n", "m.yaml", sink)
    assert doc is not None and doc.data["use"] == {"x": 1, "y": 3}
    assert doc.loc(("use", "y"), key=True) == Location("m.yaml", 6, 3)
    assert doc.loc(("use", "missing", "deeper")) == Location("m.yaml", 5, 3)


def test_block_scalar_lines_map_to_the_file() -> None:
    sink = DiagnosticSink()
    doc = load_text("t: |\n  one\n  two\n", "m.yaml", sink)
    assert doc is not None
    assert doc.text_line(("t",), 2) == Location("m.yaml", 3, 3)


def test_syntax_error_is_located_at_its_cause() -> None:
    _, sink = load("a: [1, 2\nb: 3\n")
    [d] = sink.items
    assert (d.code, d.location.line, d.location.column) == ("yaml-syntax", 1, 4)  # the [ that is never closed
    assert d.message == "this [ is never closed"


def test_empty_file() -> None:
    _, sink = load("")
    assert [d.code for d in sink.items] == ["empty-file"]
