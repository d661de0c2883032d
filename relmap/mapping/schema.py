"""The packaged mapping schema, and jsonschema's findings turned into located, readable diagnostics."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

from relmap.errors import DiagnosticSink
from relmap.mapping.loader import Document, PathKey
from relmap.mapping.yamlfile.text import shown as _shown

_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value lines)",
    "array": "a list (- items)",
    "null": "nothing",
}


def load_schema() -> dict[str, Any]:
    """The mapping schema shipped inside the package."""
    return packaged_schema("mapping.schema.json")


@lru_cache(maxsize=4)
def packaged_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped inside the package, in relmap/schemas/."""
    text = resources.files("relmap").joinpath(f"schemas/{name}").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, or None; a case-only difference is always found."""
    pool = tuple(candidates)
    return _remembered(word, pool) if len(word) <= 100 else _closest(word, pool)


def _closest(word: str, pool: tuple[str, ...]) -> str | None:
    for candidate in pool:
        if candidate.lower() == word.lower():
            return f"did you mean '{candidate}'? names are case-sensitive"
    # compared in lower case: the capitals of "KvK_nummer" would otherwise make "vat_number" the closer name
    lowered = {candidate.lower(): candidate for candidate in reversed(pool)}  # the first of equal spellings wins
    close = difflib.get_close_matches(word.lower(), lowered, n=1, cutoff=0.6)
    return f"did you mean '{lowered[close[0]]}'?" if close else None


# 800 routes with the same typo ask the same question 800 times, and difflib is the slow part of the answer
_remembered = lru_cache(maxsize=1024)(_closest)


def dotted(path: PathKey) -> str:
    """``routes[0].fields.Address_City`` for a path."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the top level"


def validate_schema(doc: Document, sink: DiagnosticSink, schema: dict[str, Any] | None = None) -> set[PathKey]:
    """Check the document against ``schema`` (the mapping schema unless given); report every violation and return
    the paths that had one."""
    from jsonschema import Draft202012Validator  # imported here: the start-up path stays light

    validator = Draft202012Validator(load_schema() if schema is None else schema)
    bad: set[PathKey] = set(doc.reported)  # the loader has said what is wrong with these values
    required: set[tuple[PathKey, tuple[Any, ...]]] = set()
    found = DiagnosticSink()
    for error in validator.iter_errors(doc.data):
        for leaf in _leaves(error):
            path = tuple(leaf.absolute_path)
            if leaf.validator == "required":  # one error per missing key, but _report names them all at once
                if (path, tuple(leaf.absolute_schema_path)) in required:
                    continue
                required.add((path, tuple(leaf.absolute_schema_path)))
            if leaf.validator == "additionalProperties":  # the unknown keys are the problem, not their parent
                bad.update((*path, key) for key in leaf.instance if key not in leaf.schema.get("properties", {}))
            else:
                bad.add(path)
            if path not in doc.reported:
                _report(leaf, path, doc, found)
    sink.items.extend(dict.fromkeys(found.items))  # a rule the schema states twice (an allOf branch) is said once
    return bad


def _leaves(error: Any) -> Iterator[Any]:
    """The errors worth showing: for anyOf, the branch that fits the value's type, else one summary error."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        yield error
        return
    instance_type = type(error.instance)
    for sub in error.context:
        # a rule written as a mapping: show what is wrong inside the mapping branch, not "is not of type string"
        if instance_type is dict and sub.validator != "type" and len(sub.relative_schema_path) > 1:
            yield from _leaves(sub)
            return
    yield error


def _report(error: Any, path: PathKey, doc: Document, sink: DiagnosticSink) -> None:
    kind = error.validator
    where = dotted(path)
    if kind == "additionalProperties":
        _unknown_keys(error, path, doc, sink)
    elif kind == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        for key in missing:
            sink.error(doc.loc(path, key=True), f"{where} needs '{key}'", "missing-key")
    elif kind == "pattern" and error.validator_value.startswith("^\\$\\{"):
        # never echo the value: it is a secret that should not have been in the file
        name = "_".join(str(p) for p in path[-2:]).upper()
        hint = f"put it in an environment variable and write ${{{name}}}"
        sink.error(doc.loc(path), f"{where} holds a literal secret", "literal-secret", hint)
    elif kind == "enum":
        _bad_choice(error, path, doc, sink)
    elif kind == "const":
        sink.error(doc.loc(path), f"{where} must be {json.dumps(error.validator_value)}", "bad-value")
    elif kind == "type":
        _bad_type(error, path, doc, sink)
    elif kind in ("anyOf", "oneOf"):
        sink.error(
            doc.loc(path),
            f"{where} must be an OutSmart field name, a '{{{{ template }}}}', a constant or a rule mapping",
            "bad-rule",
            f"got {type_name(error.instance)}",
        )
    else:
        sink.error(doc.loc(path), f"{where}: {_safe_message(error)}", "schema")


def _unknown_keys(error: Any, path: PathKey, doc: Document, sink: DiagnosticSink) -> None:
    known = list(error.schema.get("properties", {}))
    is_fields = "Silvasoft parameters" in error.schema.get("description", "")
    for key in error.instance:
        if key in known:
            continue
        hint = did_you_mean(key, known) or ("known: " + ", ".join(known) if len(known) <= 8 else None)
        if is_fields:
            sink.error(
                doc.loc((*path, key), key=True),
                f"unknown Silvasoft parameter '{_shown(key)}'",
                "unknown-parameter",
                hint,
            )
        else:
            sink.error(
                doc.loc((*path, key), key=True), f"unknown key '{_shown(key)}' in {dotted(path)}", "unknown-key", hint
            )


def _bad_choice(error: Any, path: PathKey, doc: Document, sink: DiagnosticSink) -> None:
    choices = [str(c) for c in error.validator_value]
    value = error.instance
    scalar = isinstance(value, str | int | float)  # a list or mapping is named by its type, never echoed whole
    hint = (did_you_mean(str(value), choices) if scalar else None) or "one of: " + ", ".join(choices)
    code = "bad-value"
    if path[-1] == "operator" and isinstance(value, str) and value not in choices:
        code = "unknown-operator"
        hint = "operators are " + ", ".join(choices) + "; are operator and value swapped?"
    elif path[-1] == "key" and len(path) >= 2 and "filters" in path:
        from relmap.catalog.outsmart import BY_NAME

        code = "unknown-filter-key"
        field = BY_NAME.get(str(value))
        if field and field.filter_key:
            hint = f"OutSmart filters {value} by the key '{field.filter_key}'"
        elif field:
            hint = f"OutSmart cannot filter on {value}; filterable keys: " + ", ".join(choices)
    shown = f"'{_shown(str(value))}'" if scalar else type_name(value)
    sink.error(doc.loc(path), f"{shown} is not a valid {path[-1]}", code, hint)


def _bad_type(error: Any, path: PathKey, doc: Document, sink: DiagnosticSink) -> None:
    expected = error.validator_value
    names = [expected] if isinstance(expected, str) else list(expected)
    wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
    sink.error(doc.loc(path), f"{dotted(path)} must be {wanted}, not {type_name(error.instance)}", "bad-type")


def type_name(value: Any) -> str:
    """A YAML value's kind in a message: empty, a boolean, a number, text, a list or a mapping."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _safe_message(error: Any) -> str:
    """jsonschema's own message, minus the instance when it is long (it might be anything the user typed)."""
    message = str(error.message)
    instance = repr(error.instance)
    if len(instance) > 60:  # "999…(4,000 digits)… is greater than the maximum of 50": keep the end, the point
        message = message.replace(instance, _shown(instance))
    return message if len(message) <= 160 else message[:157] + "..."
