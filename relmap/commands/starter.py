"""``relmap init`` and ``relmap schema``: a starter mapping, and the JSON Schemas beside the project.

A mapping's first line points the YAML language server at ``mapping.schema.json`` by a path relative to the mapping,
so the modeline works in every checkout: ``init`` writes the schemas into ``--schema-dir`` (default: ``schemas/``
beside the new mapping) unless they are there already, and ``schema --write DIR`` refreshes them after an upgrade.
"""

from __future__ import annotations

import argparse
import os
from importlib import resources
from pathlib import Path
from typing import TextIO

from relmap.commands.arguments import SCHEMA_NAMES, STARTERS
from relmap.exits import EXIT_FATAL, EXIT_OK

SCHEMAS = {name: f"{name}.schema.json" for name in SCHEMA_NAMES}
TEMPLATES = STARTERS


def schema_text(name: str) -> str:
    """The packaged JSON Schema ``name`` (a key of SCHEMAS), as shipped."""
    return resources.files("relmap").joinpath(f"schemas/{SCHEMAS[name]}").read_text(encoding="utf-8")


def starter_text(template: str) -> str:
    """The starter mapping ``template`` (one of TEMPLATES), its placeholders not yet filled in."""
    return resources.files("relmap").joinpath(f"starters/{template}.yaml").read_text(encoding="utf-8")


def write_schemas(folder: Path, replace: bool) -> tuple[list[Path], list[Path]]:
    """Write every schema into ``folder``: (written, left alone because they differ and ``replace`` is false).

    A copy that already matches is neither rewritten nor reported."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    differing: list[Path] = []
    for name, file_name in SCHEMAS.items():
        path = folder / file_name
        text = schema_text(name)
        if path.is_file() and path.read_text(encoding="utf-8", errors="replace") == text:
            continue
        if path.exists() and not replace:
            differing.append(path)
            continue
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written, differing


def modeline_path(mapping: Path, schema_dir: Path) -> str:
    """The schema's path as the modeline gives it: relative to the mapping's folder, with ``/`` on every system."""
    relative = os.path.relpath(schema_dir.absolute() / SCHEMAS["mapping"], mapping.absolute().parent)
    return Path(relative).as_posix()


def init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    target = Path(args.path)
    if target.exists() and not args.force:
        err.write(f"relmap init: error: {target} exists; use --force to overwrite it, or name another file\n")
        return EXIT_FATAL
    if not target.parent.is_dir():
        err.write(f"relmap init: error: {target}: the folder {target.parent} does not exist; create it first\n")
        return EXIT_FATAL
    schema_dir = Path(args.schema_dir) if args.schema_dir else target.parent / "schemas"
    if schema_dir.exists() and not schema_dir.is_dir():
        err.write(f"relmap init: error: --schema-dir {schema_dir}: not a folder; name a folder for the schemas\n")
        return EXIT_FATAL
    try:
        written, differing = write_schemas(schema_dir, replace=False)
        text = starter_text(args.template)
        text = text.replace("{schema}", modeline_path(target, schema_dir)).replace("{mapping}", str(target))
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        err.write(f"relmap init: error: {exc.filename or target}: {exc.strerror or exc}; nothing more was written\n")
        return EXIT_FATAL
    for path in written:
        out.write(f"wrote {path}\n")
    for path in differing:
        err.write(
            f"relmap init: warning: {path} differs from this relmap's schema (another version wrote it?); "
            f"left as it is: refresh it with `relmap schema --write {schema_dir}`\n"
        )
    out.write(f"wrote {target} (the {args.template} starter): edit it, then run `relmap validate {target}`\n")
    return EXIT_OK


def schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.write is None:
        out.write(schema_text(args.name))
        return EXIT_OK
    folder = Path(args.write)
    if folder.exists() and not folder.is_dir():
        err.write(f"relmap schema: error: --write {folder}: not a folder; name the folder to write the schemas to\n")
        return EXIT_FATAL
    try:
        written, _ = write_schemas(folder, replace=True)
    except OSError as exc:
        err.write(f"relmap schema: error: {exc.filename or folder}: {exc.strerror or exc}\n")
        return EXIT_FATAL
    for path in written:
        out.write(f"wrote {path}\n")
    if not written:
        out.write(f"{folder}: every schema is current\n")
    return EXIT_OK
