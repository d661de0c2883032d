"""Mapping file → CompiledMapping: load, check against the schema, then check meaning against the API catalogs.

Every problem is collected as a located Diagnostic; the CompiledMapping exists only when there is no error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relmap.catalog.outsmart import FILTER_KEYS
from relmap.catalog.silvasoft import ENDPOINTS
from relmap.errors import Diagnostic, DiagnosticSink
from relmap.mapping.compiled import CompiledMapping, Route, Skip, SourceFilter, SourceSpec, TargetSpec
from relmap.mapping.compiler.rules import compile_members
from relmap.mapping.compiler.scope import Scope
from relmap.mapping.loader import Document, PathKey, load_file, load_text
from relmap.mapping.yamlfile.text import shown


@dataclass(frozen=True)
class CompileResult:
    plan: CompiledMapping | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.plan is not None


def compile_file(path: str | Path, display: str | None = None, sink: DiagnosticSink | None = None) -> CompileResult:
    """Compile the mapping at ``path``; ``display`` is how the file is named in diagnostics.

    Pass ``sink`` to keep what was found so far should compiling fail with an exception (commands.loading does).
    """
    sink = sink if sink is not None else DiagnosticSink()
    doc = load_file(path, sink, display or str(path), read_on=True)
    plan = compile_document(doc, sink, Path(path).resolve().parent) if doc is not None else None
    return CompileResult(plan if not sink.has_errors else None, sink.sorted())


def compile_text(text: str, name: str = "<mapping>", base: Path | None = None) -> CompileResult:
    sink = DiagnosticSink()
    doc = load_text(text, name, sink, read_on=True)
    plan = compile_document(doc, sink, base or Path.cwd()) if doc is not None else None
    return CompileResult(plan if not sink.has_errors else None, sink.sorted())


def compile_document(doc: Document, sink: DiagnosticSink, base: Path) -> CompiledMapping | None:
    if doc.data is None:
        return None
    if not isinstance(doc.data, dict):
        sink.error(doc.loc(()), "a mapping file is a YAML mapping (key: value lines) at the top", "bad-type")
        return None
    from relmap.mapping.schema import validate_schema

    scope = Scope(doc, sink, validate_schema(doc, sink))
    data = doc.data
    raw_vars = data.get("vars")
    scope.variables = raw_vars if isinstance(raw_vars, dict) else {}
    scope.freefields = _freefield_names(scope, data.get("freefields"))
    source = _source(scope, data.get("source"), base)
    target = _target(data.get("target"))
    skips = _skips(scope, ("skip",), data.get("skip"))
    routes = _routes(scope, data.get("routes"))
    if sink.has_errors or source is None:
        return None
    return CompiledMapping(
        doc.path,
        source,
        target,
        tuple(routes),
        skips,
        dict(scope.variables),
        scope.freefields,
        str(data.get("description") or ""),
    )


def _freefield_names(scope: Scope, raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict):
        return {}
    names: dict[str, int] = {}
    by_number: dict[int, str] = {}
    for name, number in raw.items():
        if not isinstance(number, int) or isinstance(number, bool) or scope.flagged(("freefields", name)):
            continue
        if number in by_number:
            scope.warning(
                ("freefields", name),
                f"freefield {number} is also named '{by_number[number]}'",
                "freefield-alias",
                key=True,
            )
        by_number.setdefault(number, name)
        names[name] = number
    return names


def _source(scope: Scope, raw: Any, base: Path) -> SourceSpec | None:
    if not isinstance(raw, dict):
        return None
    if "file" in raw and isinstance(raw["file"], dict):
        spec = raw["file"]
        filters = _filters(scope, ("source", "file", "filters"), spec.get("filters"))
        path = spec.get("path")
        if not isinstance(path, str):
            return None
        resolved = Path(os.path.expanduser(path))
        resolved = resolved if resolved.is_absolute() else base / resolved
        try:
            found = resolved.exists()
        except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL character
            scope.error(("source", "file", "path"), f"export file path cannot be used: {_reason(exc)}", "bad-path")
        else:
            if not found:
                scope.error(
                    ("source", "file", "path"),
                    f"export file not found: {shown(path)}",
                    "file-not-found",
                    "paths are relative to the mapping file",
                )
        return SourceSpec("file", filters, str(resolved), spec.get("format"))
    if "outsmart" in raw and isinstance(raw["outsmart"], dict):
        spec = raw["outsmart"]
        filters = _filters(scope, ("source", "outsmart", "filters"), spec.get("filters"))
        return SourceSpec(
            "outsmart",
            filters,
            base_url=spec.get("base_url", "https://www.werkbonapp.nl/openapi/8"),
            token=spec.get("token"),
            software_token=spec.get("software_token"),
            include_freefields=spec.get("include_freefields", True) is not False,
            write_back=spec.get("write_back") is True,
        )
    return None


def _entries(scope: Scope, path: PathKey, raw: Any) -> Iterator[tuple[PathKey, dict[str, Any]]]:
    """The well-formed mappings of a list, with their paths; the schema has reported the others."""
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        where = (*path, index)
        if isinstance(item, dict) and not scope.flagged(where):
            yield where, item


def _filters(scope: Scope, path: PathKey, raw: Any) -> tuple[SourceFilter, ...]:
    out = []
    for where, item in _entries(scope, path, raw):
        key, value = item["key"], item["value"]
        if key == "active" and str(value) not in ("0", "1"):
            scope.warning(
                (*where, "value"),
                f"active is '0' or '1' in OutSmart, so {shown(repr(value))} matches nothing",
                "filter-value",
                'write "1" for active relations',
            )
        out.append(SourceFilter(key, FILTER_KEYS[key], item["operator"], str(value), scope.loc(where)))
    return tuple(out)


def _target(raw: Any) -> TargetSpec:
    spec = raw.get("silvasoft") if isinstance(raw, dict) else None
    if not isinstance(spec, dict):
        return TargetSpec()
    defaults = TargetSpec()
    return TargetSpec(
        base_url=spec.get("base_url", defaults.base_url),
        username=spec.get("username"),
        api_key=spec.get("api_key"),
        requests_per_hour=spec.get("requests_per_hour", defaults.requests_per_hour),
        date_format=spec.get("date_format", defaults.date_format),
        drift=spec.get("drift", defaults.drift),
    )


def _skips(scope: Scope, path: PathKey, raw: Any) -> tuple[Skip, ...]:
    out = []
    for where, item in _entries(scope, path, raw):
        condition = scope.condition((*where, "when"), item.get("when"))
        if condition:
            out.append(Skip(condition, str(item.get("reason") or f"skip rule: {condition.text}")))
    return tuple(out)


def _routes(scope: Scope, raw: Any) -> list[Route]:
    if not isinstance(raw, list):
        return []
    routes: list[Route] = []
    names: set[str] = set()
    catch_all: int | None = None
    for index, item in enumerate(raw):
        where = ("routes", index)
        if not isinstance(item, dict) or not isinstance(item.get("endpoint"), str) or item["endpoint"] not in ENDPOINTS:
            continue  # the schema has reported it
        if catch_all is not None:
            scope.warning(
                where,
                f"route {index} is never reached: route {catch_all} has no when: and takes every relation",
                "unreachable-route",
                "give the earlier route a when:, or move it last",
            )
        route = _route(scope, where, item)
        if route.name in names:
            scope.error(
                (*where, "name"),
                f"two routes are named '{route.name}'",
                "duplicate-route",
                "give each route its own name:",
            )
        names.add(route.name)
        routes.append(route)
        if "when" not in item and catch_all is None:
            catch_all = index
    return routes


def _route(scope: Scope, path: PathKey, item: dict[str, Any]) -> Route:
    endpoint = item["endpoint"]
    params = ENDPOINTS[endpoint]
    raw_fields = item.get("fields")
    fields: dict[str, Any] = raw_fields if isinstance(raw_fields, dict) else {}
    members = compile_members(scope, (*path, "fields"), params, fields)
    for param in params if isinstance(raw_fields, dict) else ():  # else the schema has said fields: is wrong
        if param.required and param.name not in fields:
            scope.error(
                (*path, "fields"),
                f"{endpoint} needs {param.name}, but the route does not set it",
                "missing-parameter",
                f"add {param.name}: to fields:",
                key=True,
            )
    if "Relation_SalesLead" in fields and fields.get("CreateSalesLead") is not True:
        scope.warning(
            (*path, "fields", "Relation_SalesLead"),
            "Relation_SalesLead is only used when CreateSalesLead is true",
            "sales-lead",
            "add CreateSalesLead: true",
            key=True,
        )
    when = scope.condition((*path, "when"), item["when"]) if "when" in item else None
    name = str(item.get("name") or endpoint)
    return Route(
        name, endpoint, scope.loc(path), when, _skips(scope, (*path, "skip"), item.get("skip")), tuple(members)
    )


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
