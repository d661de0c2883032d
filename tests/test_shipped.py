"""Every mapping in mappings/ validates clean and renders the shipped samples exactly as its golden files say."""

from __future__ import annotations

import json

import pytest
from conftest import MAPPINGS

SHIPPED = sorted(p.name for p in MAPPINGS.glob("*.yaml") if not p.name.endswith(".tests.yaml"))  # tests: relmap test
# Mappings whose policy leaves out what it cannot send (with a record warning) instead of failing the record.
WITHOUT_RECORD_ERRORS = {"bookkeeping-policy.yaml"}


def test_there_are_shipped_mappings() -> None:
    assert {"private-relations.yaml", "business-routing.yaml", "freefields-custom-fields.yaml"} <= set(SHIPPED)
    assert set(SHIPPED) >= WITHOUT_RECORD_ERRORS


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_mapping_is_clean(name: str, run_cli) -> None:
    result = run_cli("validate", f"mappings/{name}")
    assert (result.code, result.out) == (0, f"mappings/{name}: ok\n")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_mapping_starts_with_the_schema_modeline(name: str) -> None:
    first = (MAPPINGS / name).read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/mapping.schema.json"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_mapping_renders_the_samples(name: str, run_cli, golden) -> None:
    stem = name.removesuffix(".yaml")
    text = run_cli("render", f"mappings/{name}", "--input", "mappings/samples/relations.json")
    golden(f"render-{stem}.txt", text.out)
    as_json = run_cli("render", f"mappings/{name}", "--input", "mappings/samples/relations.json", "--format", "json")
    golden(f"render-{stem}.json", as_json.out)
    summary = json.loads(as_json.out)["summary"]
    assert summary["total"] == 40
    if name in WITHOUT_RECORD_ERRORS:
        # 14233Aaa gets no CustomerNumber, "bellen via receptie" no Phone: left out, never an error
        assert (text.code, summary["error"]) == (0, 0)
        assert summary["warnings"] >= 1
    else:
        assert text.code == 1  # the samples hold records that must fail: a text debtor number, a bad IBAN
        assert summary["error"] >= 1
    warnings = summary.get("warnings", 0)
    assert text.err.strip() == (
        f"40 relations: {summary['ok']} rendered, {summary['skipped']} skipped, {summary['error']} with errors"
        + (f"; {warnings} record warning{'s' * (warnings != 1)} (parameters left out)" if warnings else "")
    )


@pytest.mark.parametrize("sample", ["relations.jsonl", "relations.csv"])
def test_every_export_format_renders_the_same_payloads(sample: str, run_cli) -> None:
    args = ("render", "mappings/business-routing.yaml", "--format", "jsonl", "--input")
    full = {
        r["debtor_number"]: r
        for r in map(json.loads, run_cli(*args, "mappings/samples/relations.json").out.splitlines())
    }
    subset = [json.loads(line) for line in run_cli(*args, f"mappings/samples/{sample}").out.splitlines()]
    assert len(subset) == 8
    for result in subset:
        assert result["payload"] == full[result["debtor_number"]]["payload"], result["debtor_number"]
