"""Fuzzing the loader, the compiler and each reader: no internal error, no hang, every message located.

Seeds come from Hypothesis (derandomised, so CI is repeatable); each seed is a mutation made by tests/hostile.py.
The example counts keep the suite fast; benchmarks/hostile.py runs a thousand mutations and prints the counts.
"""

from __future__ import annotations

import json
from pathlib import Path

from hostile import SHIPPED, malformed_export, mutate_mapping, probe, unlocated_diagnostics, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_a_mutated_mapping_gives_located_diagnostics(seed: int, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("mapping")
    name, text = mutate_mapping(seed)
    path = write(folder, name, text)
    outcome = probe(["validate", "--format", "json", str(path)])
    assert not outcome.hung, (seed, text)
    assert not outcome.internal, (seed, outcome.crashed, outcome.err, text)
    assert outcome.code in (0, 1), (seed, outcome.code, outcome.err)
    assert unlocated_diagnostics(outcome, str(path)) == [], seed


@FUZZ
@given(seeds=st.lists(st.integers(min_value=0, max_value=2**32), min_size=2, max_size=3))
def test_one_broken_mapping_never_hides_the_others(seeds: list[int], tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("mappings")
    paths = [
        write(folder, f"{index}-{mutate_mapping(seed)[0]}", mutate_mapping(seed)[1]) for index, seed in enumerate(seeds)
    ]
    outcome = probe(["validate", "--format", "json", *map(str, paths)])
    assert not outcome.hung and not outcome.internal, (seeds, outcome.crashed, outcome.err)
    files = [entry["file"] for entry in json.loads(outcome.out)["files"]]
    assert files == [str(path) for path in paths]


@FUZZ
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_a_malformed_export_gives_record_errors_or_a_located_error(seed: int, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("export")
    name, text = malformed_export(seed)
    export = write(folder, name, text)
    mapping = next(path for path in SHIPPED if path.name == "business-routing.yaml")
    outcome = probe(["render", str(mapping), "--input", str(export), "--format", "jsonl"])
    assert not outcome.hung, seed
    assert not outcome.internal, (seed, outcome.crashed, outcome.err)
    assert outcome.code in (0, 1, 2), (seed, outcome.code)
    if outcome.code == 2:
        assert str(export) in outcome.err, (seed, outcome.err)  # a source error says which file, and where
        return
    results = [json.loads(line) for line in outcome.out.splitlines() if line.strip()]
    for result in results:
        assert result["origin"].startswith(f"{export}:"), (seed, result["origin"])
    if name.endswith(".jsonl"):  # one line, one outcome: nothing dropped without a message
        assert len(results) == sum(1 for line in text.splitlines() if line.strip()), seed


def test_the_fuzz_inputs_are_hostile(tmp_path: Path) -> None:
    """The generators really produce broken input: most mutated mappings fail validation."""
    failed = 0
    for seed in range(40):
        name, text = mutate_mapping(seed)
        outcome = probe(["validate", str(write(tmp_path, f"{seed}-{name}", text))])
        failed += outcome.code == 1
    assert failed >= 10
