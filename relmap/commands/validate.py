"""``relmap validate MAPPING...``: every problem in every file, at once."""

from __future__ import annotations

import argparse
from typing import TextIO

from relmap.cli import EXIT_FAILED, EXIT_OK
from relmap.compiler import compile_file
from relmap.errors import Diagnostic
from relmap.report import diagnostics as report


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    results: dict[str, list[Diagnostic]] = {}
    for name in args.mappings:
        found = compile_file(name, display=name).diagnostics
        if args.no_warnings:
            found = [d for d in found if d.severity == "error"]
        results[name] = found
    out.write(report.as_json(results) if args.format == "json" else report.as_text(results))
    failed = any(d.severity == "error" for found in results.values() for d in found)
    return EXIT_FAILED if failed else EXIT_OK
