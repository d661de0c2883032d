"""What every command that uses one mapping does first: compile it, or print every diagnostic and stop."""

from __future__ import annotations

from typing import TextIO

from relmap.compiler import compile_file
from relmap.plan import Plan
from relmap.report import diagnostics as diagnostics_report


def plan_or_report(mapping: str, err: TextIO, nothing_done: str) -> Plan | None:
    """The compiled mapping; None after writing its diagnostics and ``relmap: error: ...; <nothing_done>``."""
    compiled = compile_file(mapping, display=mapping)
    if compiled.plan is None:
        err.write(diagnostics_report.as_text({mapping: compiled.diagnostics}))
        err.write(f"relmap: error: the mapping has errors; {nothing_done}\n")
    return compiled.plan
