"""Validation diagnostics as compiler-style lines (``file:line:col: error: message [code]``) or JSON.

Messages quote names and values from the mapping file; in the text each line is escaped for the terminal
(report.terminal), so a control character or bidi override in a mapping shows instead of acting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from relmap.errors import Diagnostic
from relmap.report.terminal import escape, text_lines

FORMAT_VERSION = 1


def summary(name: str, diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    if not diagnostics:
        return f"{escape(name)}: ok"
    parts = [f"{errors} error{'s' * (errors != 1)}"] if errors else []
    parts += [f"{warnings} warning{'s' * (warnings != 1)}"] if warnings else []
    return f"{escape(name)}: " + ", ".join(parts)


def as_text(results: dict[str, list[Diagnostic]]) -> str:
    lines: list[str] = []
    for name, diagnostics in results.items():
        lines.extend(d.text() for d in diagnostics)
        lines.append(summary(name, diagnostics))
    return text_lines(lines) or "\n"  # no files: one empty line, as ever


def as_json(results: dict[str, list[Diagnostic]], coverage: Mapping[str, dict[str, Any] | None] | None = None) -> str:
    """The versioned document; with ``coverage`` (validate --verbose), each file also gets a "coverage" key."""
    files: list[dict[str, Any]] = [
        {
            "file": name,
            "valid": not any(d.severity == "error" for d in diagnostics),
            "diagnostics": [d.as_dict() for d in diagnostics],
        }
        for name, diagnostics in results.items()
    ]
    if coverage is not None:
        for entry in files:
            entry["coverage"] = coverage.get(entry["file"])
    return json.dumps({"format_version": FORMAT_VERSION, "files": files}, indent=2, ensure_ascii=False) + "\n"
