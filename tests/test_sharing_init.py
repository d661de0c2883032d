"""``relmap init`` and ``relmap schema``: starters that validate and render, and a modeline that works anywhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLES, CliResult
from jsonschema import Draft202012Validator

Run = Callable[..., CliResult]
MESSY_ON_PURPOSE = {"14233Aaa", "10011"}  # a debtor number with letters; an IBAN with a wrong checksum


def _schema_of(mapping: Path) -> Path:
    """The file the mapping's yaml-language-server modeline points at, resolved as the editor does."""
    first = mapping.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    reference = first[len(prefix) :]
    assert not reference.startswith(("/", "file:")), "the modeline must be relative, to work in every checkout"
    return mapping.parent / reference


@pytest.mark.parametrize("template", ["private", "business", "freefields"])
def test_each_starter_validates_and_renders_the_sandbox_sample_data(
    run_cli: Run, tmp_path: Path, template: str
) -> None:
    mapping = tmp_path / f"{template}.yaml"
    made = run_cli("init", str(mapping), "--template", template)
    assert made.code == 0, made.err
    assert run_cli("validate", str(mapping)) == CliResult(0, f"{mapping}: ok\n", "")
    Draft202012Validator(json.loads(_schema_of(mapping).read_text(encoding="utf-8"))).validate(
        yaml.safe_load(mapping.read_text(encoding="utf-8"))
    )
    seeded = ROOT / "relmap" / "sandbox" / "data" / "relations.json"
    rendered = run_cli("render", str(mapping), "--input", str(seeded), "--format", "jsonl")
    lines = [json.loads(line) for line in rendered.out.splitlines()]
    ok = [line for line in lines if line["status"] == "ok"]
    failed = {line["debtor_number"] for line in lines if line["status"] == "error"}
    assert len(lines) == 40 and len(ok) >= 30 and failed <= MESSY_ON_PURPOSE, failed
    assert "{schema}" not in mapping.read_text(encoding="utf-8") and "{mapping}" not in mapping.read_text("utf-8")


def test_the_business_starter_routes_companies_and_consumers(run_cli: Run, tmp_path: Path) -> None:
    mapping = tmp_path / "b.yaml"
    assert run_cli("init", str(mapping), "--template", "business").code == 0
    rendered = run_cli("render", str(mapping), "--input", str(SAMPLES / "relations.json"), "--format", "jsonl")
    routes = {json.loads(line).get("route") for line in rendered.out.splitlines()}
    assert {"companies", "consumers"} <= routes


def test_init_writes_the_schemas_beside_the_mapping_and_points_there(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    result = run_cli("init", "mappings/mine.yaml", "--schema-dir", "schemas", cwd=tmp_path)
    assert result.code == 0, result.err
    assert _schema_of(tmp_path / "mappings" / "mine.yaml") == tmp_path / "mappings" / "../schemas/mapping.schema.json"
    for name in ("mapping", "mapping-tests", "plan"):
        written = tmp_path / "schemas" / f"{name}.schema.json"
        assert written.read_text(encoding="utf-8") == (ROOT / "schemas" / f"{name}.schema.json").read_text("utf-8")
    assert result.out.splitlines() == [
        "wrote schemas/mapping.schema.json",
        "wrote schemas/mapping-tests.schema.json",
        "wrote schemas/plan.schema.json",
        "wrote mappings/mine.yaml (the private starter): edit it, then run `relmap validate mappings/mine.yaml`",
    ]
    second = run_cli("init", "mappings/other.yaml", "--schema-dir", "schemas", cwd=tmp_path)
    assert second.out.splitlines() == [second.out.splitlines()[-1]] and second.err == ""  # the schemas were current


def test_init_keeps_a_schema_another_version_wrote_and_says_how_to_refresh_it(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "mapping.schema.json").write_text("{}\n", encoding="utf-8")
    result = run_cli("init", "m.yaml", cwd=tmp_path)
    assert result.code == 0
    assert "schemas/mapping.schema.json differs from this relmap's schema" in result.err
    assert "relmap schema --write schemas" in result.err
    assert (tmp_path / "schemas" / "mapping.schema.json").read_text(encoding="utf-8") == "{}\n"
    refreshed = run_cli("schema", "--write", "schemas", cwd=tmp_path)
    assert refreshed.out == "wrote schemas/mapping.schema.json\n"
    assert run_cli("schema", "--write", "schemas", cwd=tmp_path).out == "schemas: every schema is current\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("init", "no/such/folder/m.yaml"), "the folder no/such/folder does not exist"),
        (("init", "m.yaml", "--schema-dir", "taken"), "--schema-dir taken: not a folder"),
        (("schema", "--write", "taken"), "--write taken: not a folder"),
        (("init", "m.yaml", "--template", "nonsense"), "invalid choice: 'nonsense'"),
    ],
)
def test_mistakes_are_said_and_nothing_is_written(
    run_cli: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    (tmp_path / "taken").write_text("a file\n", encoding="utf-8")
    result = run_cli(*argv, cwd=tmp_path)
    assert result.code == 2 and message in result.err + capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_the_repository_modelines_point_at_the_published_schemas() -> None:
    for mapping in (ROOT / "mappings").glob("*.yaml"):
        schema = _schema_of(mapping)
        expected = "mapping-tests" if mapping.name.endswith(".tests.yaml") else "mapping"
        assert schema.resolve() == (ROOT / "schemas" / f"{expected}.schema.json").resolve(), mapping
