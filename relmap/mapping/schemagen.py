"""Builds the published mapping JSON Schema from the API catalogs, so the schema and validation never drift.

``python -m relmap.mapping.schemagen`` rewrites ``relmap/schemas/mapping.schema.json`` and the top-level
``schemas/`` copy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from relmap.catalog import Param
from relmap.catalog.outsmart import FILTER_KEYS, OPERATORS
from relmap.catalog.silvasoft import ENDPOINT_DESCRIPTIONS, ENDPOINTS, FIELD_TYPES

SCHEMA_ID = "urn:relmap:schema:mapping:1"  # names the schema; not a URL, since nothing answers there
SECRET_PATTERN = r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$"
RULE_KEYS = ("from", "freefield", "value", "template", "expr")
Schema = dict[str, Any]


def _ref(name: str, description: str | None = None) -> Schema:
    node: Schema = {"$ref": f"#/$defs/{name}"}
    if description:
        node["description"] = description
    return node


def _param(param: Param) -> Schema:
    described = f"{param.description} ({param.type}{', required' if param.required else ''})"
    if param.type == "array":
        items = _members(param.children, param.name == "Relation_CustomField")
        node: Schema = {"type": "array", "description": described, "items": items}
        if param.max_items:
            node["maxItems"] = param.max_items
        return node
    if param.type == "object":
        node = _members(param.children, False)
        node["description"] = described
        return node
    if param.enum:
        described += ": " + " | ".join(param.enum)
    return _ref("rule", described)


def _members(children: tuple[Param, ...], custom_field: bool) -> Schema:
    props: Schema = {"when": _ref("expression", "Leave this item out unless the expression is true")}
    for child in children:
        props[child.name] = _param(child)
    if custom_field:
        props["value"] = _ref(
            "rule", "The field's value; sent as the *Value parameter that FieldType calls for (" + _value_help() + ")"
        )
    return {"type": "object", "additionalProperties": False, "properties": props}


def _value_help() -> str:
    return ", ".join(f"{kind} → {param}" for kind, param in FIELD_TYPES.items())


def _fields(endpoint: str) -> Schema:
    props = {p.name: _param(p) for p in ENDPOINTS[endpoint]}
    return {
        "type": "object",
        "description": f"Silvasoft parameters of {endpoint}/ and the rule that fills each one",
        "additionalProperties": False,
        "properties": props,
    }


def _rule() -> Schema:
    obj: Schema = {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "from": {"type": "string", "description": "An OutSmart relation field to read, e.g. postal_code"},
            "freefield": {
                "type": ["integer", "string"],
                "description": "An OutSmart freefield, by number (1-50) or by a name declared under `freefields`",
            },
            "value": {"type": ["string", "number", "boolean"], "description": "A constant value"},
            "template": {"type": "string", "description": "A Jinja template, e.g. '{{ postal_code | postcode }}'"},
            "expr": _ref("expression", "A Jinja expression whose value (not its text) is used"),
            "map": {
                "type": "object",
                "description": "A lookup table: source value → value to send; an unmapped value is a record error",
                "additionalProperties": {"type": ["string", "number", "boolean"]},
            },
            "default": {
                "type": ["string", "number", "boolean"],
                "description": "With `map`: the value for anything the table does not list",
            },
            "keep_unmapped": {"type": "boolean", "description": "With `map`: send unlisted values unchanged"},
            "fallback": {"type": ["string", "number", "boolean"], "description": "The value to send when empty"},
            "when": _ref("expression", "Leave the parameter out unless the expression is true"),
            "required": {"type": "boolean", "description": "An empty value fails the record instead of being left out"},
            "on_invalid": {
                "enum": ["error", "warn"],
                "description": "A value a filter, the `map` or the parameter's type refuses: `error` fails the record "
                "(the default); `warn` leaves the parameter out and the record goes on, with a record warning",
            },
            "drift": {
                "enum": ["overwrite", "keep"],
                "description": "A value edited in Silvasoft since the last sync: `overwrite` it with OutSmart's "
                "(the default) or `keep` Silvasoft's",
            },
            "note": {"type": "string", "description": "A note for readers of the mapping; relmap ignores it"},
        },
    }
    return {
        "description": "How to fill a Silvasoft parameter: an OutSmart field name, a '{{ template }}', a constant "
        "number or boolean, or a rule object",
        "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, obj],
    }


def _source() -> Schema:
    secret = _ref("secret")
    filt = {
        "type": "object",
        "additionalProperties": False,
        "required": ["key", "operator", "value"],
        "properties": {
            "key": {"enum": sorted(FILTER_KEYS), "description": "The field to filter on (OutSmart's filter key)"},
            "operator": {"enum": list(OPERATORS), "description": "; ".join(f"{k}: {v}" for k, v in OPERATORS.items())},
            "value": {"type": ["string", "number"], "description": "The value to compare with"},
        },
    }
    outsmart = {
        "type": "object",
        "description": "Read relations from an OutSmart account (GET /relations/)",
        "additionalProperties": False,
        "required": ["token", "software_token"],
        "properties": {
            "base_url": {
                "type": "string",
                "description": "API base URL",
                "default": "https://www.werkbonapp.nl/openapi/8",
            },
            "token": {**secret, "description": "The customer's client token, as ${ENV_VAR}"},
            "software_token": {**secret, "description": "The integration's software token, as ${ENV_VAR}"},
            "include_freefields": {"type": "boolean", "default": True, "description": "Ask for freefield values"},
            "write_back": {
                "type": "boolean",
                "default": False,
                "description": "After linking, write the Silvasoft RelationGUID into the relation's external_id "
                "(POST /relations/, sending the relation's other values back unchanged)",
            },
            "filters": {"type": "array", "items": filt, "description": "Filters sent to OutSmart, all ANDed"},
        },
    }
    file = {
        "type": "object",
        "description": "Read relations from an OutSmart export on disk",
        "additionalProperties": False,
        "required": ["path"],
        "properties": {
            "path": {"type": "string", "description": "The export file, relative to the mapping file"},
            "format": {"enum": ["json", "jsonl", "csv"], "description": "Default: from the file's extension"},
            "filters": {"type": "array", "items": filt, "description": "Filters applied as OutSmart would"},
        },
    }
    return {
        "type": "object",
        "description": "Where the OutSmart relations come from: the API (`outsmart`) or an export file (`file`)",
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
        "properties": {"outsmart": outsmart, "file": file},
    }


def _target() -> Schema:
    silvasoft = {
        "type": "object",
        "description": "The Silvasoft account to write to",
        "additionalProperties": False,
        "required": ["username", "api_key"],
        "properties": {
            "base_url": {
                "type": "string",
                "default": "https://rest-api.silvasoft.nl/rest",
                "description": "API base URL",
            },
            "username": {"type": "string", "description": "The API user name (an e-mail address), best as ${ENV_VAR}"},
            "api_key": {**_ref("secret"), "description": "The API key, as ${ENV_VAR}"},
            "requests_per_hour": {
                "type": "integer",
                "minimum": 1,
                "maximum": 1200,
                "default": 15,
                "description": "The hourly request budget of the account's API plan (15 to 1200)",
            },
            "date_format": {
                "type": "string",
                "default": "%d-%m-%Y",
                "description": "strftime format for date parameters sent to Silvasoft",
            },
            "drift": {
                "enum": ["overwrite", "keep"],
                "default": "overwrite",
                "description": "For every parameter without its own `drift`: a value edited in Silvasoft since the "
                "last sync is overwritten with OutSmart's (`overwrite`) or kept (`keep`)",
            },
        },
    }
    return {
        "type": "object",
        "description": "Where the relations go: a Silvasoft account",
        "additionalProperties": False,
        "required": ["silvasoft"],
        "properties": {"silvasoft": silvasoft},
    }


def _skip() -> Schema:
    item = {
        "type": "object",
        "additionalProperties": False,
        "required": ["when"],
        "properties": {
            "when": _ref("expression", "Skip the relation when this expression is true"),
            "reason": {"type": "string", "description": "Why, shown in reports"},
        },
    }
    return {"type": "array", "items": item, "description": "Relations to leave out, with the reason"}


def _route() -> Schema:
    branches = [
        {
            "if": {"properties": {"endpoint": {"const": name}}, "required": ["endpoint"]},
            "then": {"properties": {"fields": _ref(f"fields_{name}", f"Silvasoft parameters of {name}/")}},
        }
        for name in ENDPOINTS
    ]
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["endpoint", "fields"],
        "properties": {
            "name": {"type": "string", "description": "A name for reports; default: the endpoint"},
            "endpoint": {
                "enum": list(ENDPOINTS),
                "description": "; ".join(ENDPOINT_DESCRIPTIONS.values()),
            },
            "when": _ref(
                "expression", "Take this route when the expression is true; the first route that matches wins"
            ),
            "skip": _skip(),
            "fields": {"type": "object", "description": "Silvasoft parameters and the rule that fills each one"},
        },
        "allOf": branches,
    }


def build_schema() -> Schema:
    """The whole mapping schema (JSON Schema draft 2020-12)."""
    defs: Schema = {
        "secret": {
            "type": "string",
            "pattern": SECRET_PATTERN,
            "description": "A reference to an environment variable, ${NAME}; secrets never stand in the file",
        },
        "expression": {
            "type": "string",
            "description": "A Jinja expression without {{ }}, e.g. kvk_number or vat_number",
        },
        "rule": _rule(),
    }
    for name in ENDPOINTS:
        defs[f"fields_{name}"] = _fields(name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "relmap mapping",
        "description": "How OutSmart relations become Silvasoft relations (relmap mapping file, version 1)",
        "type": "object",
        "additionalProperties": False,
        "patternProperties": {"^x-": {"description": "Free for your own use, e.g. YAML anchors to share rules"}},
        "required": ["relmap", "source", "routes"],
        "properties": {
            "relmap": {"const": 1, "description": "The mapping format version: 1"},
            "description": {"type": "string", "description": "What this mapping is for"},
            "source": _source(),
            "target": _target(),
            "freefields": {
                "type": "object",
                "description": "Names for OutSmart freefields: display name → number (1-50)",
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 50},
            },
            "vars": {
                "type": "object",
                "description": "Named constants, used in templates as vars.NAME",
                "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
            },
            "skip": _skip(),
            "routes": {"type": "array", "minItems": 1, "items": _route(), "description": "The routes, tried in order"},
        },
        "$defs": defs,
    }


def render_schema() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def schema_paths(root: Path) -> list[Path]:
    return [root / "relmap" / "schemas" / "mapping.schema.json", root / "schemas" / "mapping.schema.json"]


def main() -> int:
    root = Path(__file__).resolve().parent.parent.parent
    text = render_schema()
    for path in schema_paths(root):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
