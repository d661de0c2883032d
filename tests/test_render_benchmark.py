"""benchmarks/render.py: each shipped mapping's hand-written twin gives exactly what the compiled mapping gives."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import render as bench  # noqa: E402  (benchmarks/render.py)

RECORDS = bench.normalize_all(bench.generate(600, seed=7))


@pytest.mark.parametrize("path", bench.shipped_mappings(), ids=lambda p: p.name)
def test_every_shipped_mapping_has_a_hand_written_twin_that_agrees(path: Path) -> None:
    best, results, found = bench.measure(path, RECORDS, repeat=1)
    assert found == []
    assert {r.status for r in results["compiled"]} >= {"ok", "skipped"}  # the relations reach every branch kind
    assert best["compiled"] > 0 and best["hand-written"] > 0


def test_a_difference_is_found() -> None:
    path = bench.ROOT / "mappings" / "business-routing.yaml"
    renderer = bench.Renderer(bench.compiled_plan(path))
    compiled = [renderer.render(r) for r in RECORDS[:50]]
    hand = [bench.HAND["private-relations.yaml"](r) for r in RECORDS[:50]]
    assert bench.differences(compiled, hand)


def test_ratio_is_what_other_scripts_call() -> None:
    assert bench.ratio("business-routing.yaml", 600, repeat=1) > 0
    with pytest.raises(ValueError, match="not a shipped mapping"):
        bench.ratio("no-such-mapping.yaml", 10, repeat=1)
