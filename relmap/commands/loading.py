"""What every command that uses a mapping does first: compile it, or print every diagnostic and stop.

An unexpected failure while checking one mapping (a bug, or a file too complex for the checker) is contained here: it
becomes a located error among that file's diagnostics, next to those found before it, so that ``relmap validate a b
c`` still reports b and c, and a single-mapping command says what went wrong instead of "internal error".
"""

from __future__ import annotations

import os
from typing import TextIO

from relmap.errors import DiagnosticSink, Location
from relmap.mapping.compiled import CompiledMapping
from relmap.mapping.compiler import CompileResult, compile_file
from relmap.report import diagnostics as diagnostics_report


def compile_contained(mapping: str) -> CompileResult:
    """compile_file, with any exception while checking ``mapping`` turned into an error located at its start."""
    sink = DiagnosticSink()
    try:
        return compile_file(mapping, display=mapping, sink=sink)
    except (RecursionError, MemoryError) as exc:
        if os.environ.get("RELMAP_DEBUG"):
            raise
        what = "nests too deeply" if isinstance(exc, RecursionError) else "needs more memory than there is"
        sink.error(Location(mapping, 1, 1), f"the mapping is too complex to check: it {what}", "too-complex")
    except Exception as exc:  # a bug in relmap: report it for this file, and go on with the others
        if os.environ.get("RELMAP_DEBUG"):
            raise
        sink.error(
            Location(mapping, 1, 1),
            f"relmap could not finish checking this mapping ({type(exc).__name__})",
            "check-failed",
            "this is a bug in relmap, please report it; RELMAP_DEBUG=1 shows the traceback",
        )
    return CompileResult(None, sink.sorted())


def plan_or_report(mapping: str, err: TextIO, nothing_done: str) -> CompiledMapping | None:
    """The compiled mapping; None after writing its diagnostics and ``relmap: error: ...; <nothing_done>``."""
    compiled = compile_contained(mapping)
    if compiled.plan is None:
        err.write(diagnostics_report.as_text({mapping: compiled.diagnostics}))
        err.write(f"relmap: error: the mapping has errors; {nothing_done}\n")
    return compiled.plan
