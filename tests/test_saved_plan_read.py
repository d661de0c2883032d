"""A saved plan read as a stream (``run --plan``): every check it made when read whole, located where it can be."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from relmap.errors import ConfigError
from relmap.report.plan_compact import compact
from relmap.sync.saved import load

CASES = Path(__file__).resolve().parent / "cases"


def sample() -> dict[str, Any]:
    return compact(json.loads((CASES / "plan-sample.json").read_text(encoding="utf-8")))


def saved(tmp_path: Path, doc: Any, indent: int | None = 2) -> tuple[str, str, str]:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=indent) + "\n", encoding="utf-8")
    return str(path), doc["mapping"]["digest"], doc["target"]["account"]


@pytest.mark.parametrize("indent", [2, None])
def test_a_saved_plan_keeps_what_applying_needs_of_each_relation(tmp_path: Path, indent: int | None) -> None:
    doc = sample()
    plan = load(*saved(tmp_path, doc, indent))
    changed = {r["debtor_number"]: r for r in doc["relations"] if r["action"] in ("create", "update", "link")}
    assert set(plan.planned) == set(changed) and changed
    for debtor, entry in changed.items():
        kept = plan.planned[debtor]
        assert (kept.action, kept.guid, kept.send) == (entry["action"], entry["guid"], entry["send"])
        assert (kept.source, kept.silvasoft) == (entry["fingerprint"]["source"], entry["fingerprint"]["silvasoft"])
    assert set(plan.unchanged) == {r["debtor_number"] for r in doc["relations"] if r["action"] == "unchanged"}


def test_a_tampered_entry_is_named_by_its_place(tmp_path: Path) -> None:
    doc = sample()
    doc["relations"][2]["fingerprint"] = {"source": 7}
    with pytest.raises(ConfigError) as caught:
        load(*saved(tmp_path, doc))
    assert "is not a valid relmap plan (relations/2/fingerprint" in str(caught.value)


def test_the_kind_and_format_are_checked_before_the_entries(tmp_path: Path) -> None:
    doc = sample()
    doc["relations"][0] = "tampered"
    path, digest, account = saved(tmp_path, {**doc, "format_version": 3})
    with pytest.raises(ConfigError, match="has plan format 3 \\(made by a newer relmap\\)"):
        load(path, digest, account)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"kind": "relmap-plan", "relations": [{"a": 1},, ]}', "plan.json:1:48: invalid JSON: Expecting value"),
        ('{"kind": "relmap-plan", "relations": [{"a": 1}', "plan.json:1:47: invalid JSON: Expecting ',' delimiter"),
        ('{"kind": "relmap-plan", "kind": "x"}', "plan.json:1:25: the plan has two 'kind' members"),
        ("[1, 2]", "is not a plan relmap saved (make one with"),
        ('{"kind": "relmap-plan"} x', "plan.json:1:25: invalid JSON: Extra data"),
    ],
)
def test_a_broken_file_is_a_located_error(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(str(path), "d", "a")
    assert says in str(caught.value)


def test_a_missing_file_says_it_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read the plan .*missing\.json: No such file or directory"):
        load(str(tmp_path / "missing.json"), "d", "a")


def test_an_entry_with_a_lone_surrogate_is_refused_where_it_is(tmp_path: Path) -> None:
    """relmap never writes one; a plan edited to hold one is refused before anything is applied (no output could
    show that relation's outcome)."""
    doc = sample()
    doc["relations"].append({**doc["relations"][0], "debtor_number": "\ud800"})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")  # the escape \ud800: valid JSON text
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "\\ud800" in text)
    with pytest.raises(ConfigError) as caught:
        load(str(path), doc["mapping"]["digest"], doc["target"]["account"])
    index = len(doc["relations"]) - 1
    assert f"plan.json:{line - 1}: relations/{index} holds a lone surrogate" in str(caught.value)


@pytest.mark.parametrize("make", ["fifo", "folder", "device"])
def test_what_is_not_a_regular_file_is_refused_without_opening_it(tmp_path: Path, make: str) -> None:
    import os

    path = tmp_path / "plan.json"
    if make == "fifo":
        os.mkfifo(path)  # nobody writes to it: opening it would wait for ever
    elif make == "folder":
        path.mkdir()
    else:
        path = Path("/dev/zero")
    with pytest.raises(ConfigError, match="not a regular file"):
        load(str(path), "d", "a")


def test_run_plan_on_a_fifo_says_so_before_it_locks_the_state(
    run_cli: Any, mapping: Any, tmp_path: Path, sandbox: Any
) -> None:
    import os

    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    result = run_cli("run", str(mapping()), "--plan", str(fifo), cwd=tmp_path)
    assert result.code == 2 and "not a regular file" in result.err
    assert not (tmp_path / ".relmap").exists()  # refused before the state was opened, let alone locked


def test_a_relation_listed_twice_is_refused(tmp_path: Path) -> None:
    doc = sample()
    changed = next(r for r in doc["relations"] if r["action"] in ("create", "update"))
    doc["relations"].append(dict(changed))
    with pytest.raises(ConfigError, match=f"relation {changed['debtor_number']} is listed twice"):
        load(*saved(tmp_path, doc))


@pytest.mark.parametrize("version", [2.0, True, "2"])
def test_a_format_version_that_only_looks_like_2_is_refused(tmp_path: Path, version: object) -> None:
    doc = {**sample(), "format_version": version}
    with pytest.raises(ConfigError, match=r"has plan format .*; this relmap applies format 2"):
        load(*saved(tmp_path, doc))
