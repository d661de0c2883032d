"""The dry-run plan written as a stream: each format writes its head, then the relations as they are made, then the
rest, and writes what it writes when it holds the whole document."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from relmap.commands.dry_run import write_json, write_lines
from relmap.report.plan_compact import compact
from relmap.report.plan_html import html
from relmap.report.plan_html import lines as html_lines
from relmap.report.plan_text import lines as text_lines
from relmap.report.plan_text import text

CASES = Path(__file__).resolve().parent / "cases"
COPIES = 150  # the sample's relations this many times over: well over one 64 KB write of every format


class Made:
    """Relation entries made afresh on each pass, as report.plan.Relations makes them; notes how much of the
    output was written when the last entry of each pass was made."""

    def __init__(self, entries: list[dict[str, Any]], out: io.StringIO) -> None:
        self.entries, self.out = entries, out
        self.passes = 0
        self.written_at_last: list[int] = []

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.passes += 1
        for number, entry in enumerate(self.entries):
            if number == len(self.entries) - 1:
                self.written_at_last.append(len(self.out.getvalue()))
            yield copy.deepcopy(entry)

    def __len__(self) -> int:
        return len(self.entries)


def sample(copies: int = COPIES) -> dict[str, Any]:
    doc = json.loads((CASES / "plan-sample.json").read_text(encoding="utf-8"))
    return {**doc, "relations": doc["relations"] * copies}


def streamed(doc: dict[str, Any], write: Callable[[dict[str, Any], io.StringIO], None]) -> tuple[str, Made]:
    out = io.StringIO()
    made = Made(doc["relations"], out)
    write({**doc, "relations": made}, out)
    return out.getvalue(), made


@pytest.mark.parametrize("show_unchanged", [True, False])
def test_the_json_plan_streams_its_relations_and_is_what_json_dumps_writes(show_unchanged: bool) -> None:
    doc = sample() if show_unchanged else compact(sample())
    written, made = streamed(doc, write_json)
    assert json.loads(written) == doc
    if show_unchanged:  # every entry has its fields: exactly what json.dumps writes
        assert written == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    else:  # an unchanged relation's compact entry is one line of its own; the rest is what json.dumps writes
        compacts = [entry for entry in doc["relations"] if "fields" not in entry]
        assert compacts, "the sample has relations in step"
        lines = written.splitlines()
        for entry in compacts:
            line = "    " + json.dumps(entry, ensure_ascii=False)
            assert line in lines or line + "," in lines
        assert all("fields" in entry for entry in json.loads(written)["relations"] if entry["action"] != "unchanged")
    assert made.passes == 1 and made.written_at_last[0] > 2**16  # most of it out before the last entry is made


def test_a_plan_without_relations_writes_an_empty_array() -> None:
    doc = sample(copies=0)
    written, _ = streamed(doc, write_json)
    assert written == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    assert '"relations": [],' in written


def test_a_value_that_looks_like_the_frame_cannot_split_it() -> None:
    doc = sample(copies=1)
    doc["target"]["account"] = 'x", "relations": "\x00relations\x00"'
    doc["relations"][0] = {**doc["relations"][0], "name": '"relations": "\x00relations\x00"'}
    written, _ = streamed(doc, write_json)
    assert json.loads(written) == doc


@pytest.mark.parametrize("show_unchanged", [True, False])
def test_the_text_plan_streams_its_relations(show_unchanged: bool) -> None:
    doc = sample()
    written, made = streamed(doc, lambda d, out: write_lines(text_lines(d, show_unchanged), out))
    assert written == text(doc, show_unchanged)
    assert made.passes == 1
    if show_unchanged:  # folded, the sample's lines are too few to fill a write before the end
        assert made.written_at_last[0] > 0


def test_the_html_plan_counts_in_one_pass_and_streams_the_table_in_the_next() -> None:
    doc = sample()
    written, made = streamed(doc, lambda d, out: write_lines(html_lines(d), out))
    assert written == html(doc)
    assert made.passes == 2
    assert made.written_at_last[0] == 0 and made.written_at_last[1] > 2**16
