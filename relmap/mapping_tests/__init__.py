"""Mapping tests: cases kept beside a mapping (``NAME.tests.yaml`` beside ``NAME.yaml``), run offline.

Each case gives one OutSmart relation (inline, or from a sample export by debtor number) and what it must become:
its route, endpoint, payload (exact or in part), a skip, or record errors. ``run_tests`` compiles each mapping once,
renders every case's relation with the same Renderer as ``relmap render``, and compares.

discover.py  PATH arguments → test files        spec.py     test file → its mapping and cases (schema-checked)
records.py   a case's relation                  compare.py  expectations against the rendered result
runner.py    the run                            report.py   results as text or JSON
"""

from __future__ import annotations

from collections.abc import Sequence

from relmap.mapping_tests.model import CaseResult, FileResult
from relmap.mapping_tests.runner import Runner

__all__ = ["CaseResult", "FileResult", "run_tests"]


def run_tests(paths: Sequence[str]) -> list[FileResult]:
    """Run every test file that ``paths`` name (test files, mappings, folders); one FileResult each."""
    return Runner().run(paths)
