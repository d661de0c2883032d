"""``relmap fields``, ``relmap init`` and ``relmap schema``: what relmap knows, and a file to start from."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from relmap.catalog import Param
from relmap.exits import EXIT_FATAL, EXIT_OK

_UPDATABLE_NOTE = (
    "updatable: updaterelation/ can change it once the relation exists (of Relation_Contact, the main contact "
    "only); the other parameters are sent when the relation is created, and never again."
)


def fields(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.endpoint and args.api != "silvasoft":
        err.write("relmap fields: error: --endpoint is for the Silvasoft parameters: relmap fields silvasoft\n")
        return EXIT_FATAL
    rows = _outsmart_rows() if args.api == "outsmart" else _silvasoft_rows(args.endpoint)
    if args.format == "json":
        out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(v) for v in row.values()))
    console = Console(file=out, width=160 if not out.isatty() else None)
    console.print(table)
    if args.api == "silvasoft":
        console.print(_UPDATABLE_NOTE)
    return EXIT_OK


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    return "" if value is None else str(value)


def _outsmart_rows() -> list[dict[str, Any]]:
    from relmap.catalog.outsmart import FIELDS

    return [
        {
            "name": f.name,
            "type": f.kind,
            "required": f.required,
            "filter key": f.filter_key,
            "description": f.description,
        }
        for f in FIELDS
    ]


def _silvasoft_rows(endpoint: str | None) -> list[dict[str, Any]]:
    from relmap.catalog.silvasoft import ENDPOINTS, UPDATABLE, UPDATE

    rows: list[dict[str, Any]] = []
    for name, params in {**ENDPOINTS, "updaterelation": UPDATE}.items():
        if endpoint in (None, name):
            for param in params:
                rows.extend(_param_rows(name, param, "", param.name in UPDATABLE))
    return rows


def _param_rows(endpoint: str, param: Param, prefix: str, updatable: bool) -> list[dict[str, Any]]:
    """The parameter's row and its children's; ``updatable``: whether updaterelation/ can change it."""
    kind = param.type + (f" ({'|'.join(param.enum)})" if param.enum else "")
    row = {
        "endpoint": endpoint,
        "name": prefix + param.name,
        "type": kind,
        "required": param.required,
        "updatable": updatable,
        "description": param.description,
    }
    suffix = "[]." if param.type == "array" else "."
    children = [
        r for child in param.children for r in _param_rows(endpoint, child, prefix + param.name + suffix, updatable)
    ]
    return [row, *children]
