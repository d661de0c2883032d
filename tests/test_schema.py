"""The published JSON Schema: generated from the catalogs, shipped twice identically, helpful in editors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from conftest import ROOT
from jsonschema import Draft202012Validator

from relmap.mapping.schemagen import SCHEMA_ID, render_schema

PACKAGED = ROOT / "relmap" / "schemas" / "mapping.schema.json"
PUBLISHED = ROOT / "schemas" / "mapping.schema.json"


def test_both_copies_are_identical_and_current() -> None:
    generated = render_schema()
    assert PACKAGED.read_text(encoding="utf-8") == generated, "run: python -m relmap.mapping.schemagen"
    assert PUBLISHED.read_text(encoding="utf-8") == generated


def test_schema_is_valid_draft_2020_12_with_a_stable_id() -> None:
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == SCHEMA_ID == "urn:relmap:schema:mapping:1"


def _properties(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}.{name}", sub
        for key, sub in node.items():
            if key != "if":  # conditions select a branch; editors show the branch's descriptions
                yield from _properties(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for index, sub in enumerate(node):
            yield from _properties(sub, f"{path}[{index}]")


def test_every_property_has_a_description() -> None:
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    found = list(_properties(schema))
    assert len(found) > 100
    missing = [path for path, sub in found if "description" not in sub]
    assert missing == []


def test_schema_knows_every_catalog_parameter() -> None:
    from relmap.catalog.silvasoft import ENDPOINTS

    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    for endpoint, params in ENDPOINTS.items():
        assert set(schema["$defs"][f"fields_{endpoint}"]["properties"]) == {p.name for p in params}
