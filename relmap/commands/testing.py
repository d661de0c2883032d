"""``relmap test PATH...``: run the mapping tests kept beside mappings, offline.

Exit codes: 0 every case passed; 1 a case failed; 2 a test file, a PATH or a mapping could not be read, validated
or compiled (a mapping without tests included) — the other files still run and everything is reported.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TextIO

from relmap.exits import EXIT_FAILED, EXIT_FATAL, EXIT_OK
from relmap.mapping_tests import FileResult, report, run_tests
from relmap.report.terminal import text_block


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    results = run_tests(args.paths)
    out.write(report.as_json(results) if args.format == "json" else text_block(report.as_text(results)))
    return exit_code(results)


def exit_code(results: Sequence[FileResult]) -> int:
    if any(result.has_errors for result in results):
        return EXIT_FATAL
    if any(case.status == "failed" for result in results for case in result.cases):
        return EXIT_FAILED
    return EXIT_OK
