"""``relmap validate PATH...`` → the files to check: mappings, test files, and every one of them below a folder.

A test file (``NAME.tests.yaml``) is checked as one, against the test schema (relmap.mapping_tests reads it), never
as a mapping. A PATH that is not there, or a folder that holds no YAML file, is a located error of its own.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from relmap.errors import Diagnostic, DiagnosticSink, Location
from relmap.mapping_tests.discover import is_test_file

Kind = Literal["mapping", "tests", "missing"]
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Target:
    """One file to check, as it was named (a folder's files: joined to the folder as given)."""

    name: str
    kind: Kind
    problem: Diagnostic | None = None  # for "missing": why there is nothing to check


def targets(paths: Sequence[str]) -> list[Target]:
    """Each file once, in the order given; a folder's files sorted, its hidden folders (.relmap, .git) left out."""
    found: list[Target] = []
    seen: set[str] = set()
    for path in paths:
        for target in _expand(path):
            key = os.path.realpath(target.name) if target.kind != "missing" else target.name
            if key not in seen:
                seen.add(key)
                found.append(target)
    return found


def _expand(path: str) -> Iterator[Target]:
    if os.path.isdir(path):
        files = sorted(_walk(path))
        if not files:
            yield _missing(path, "no mappings or test files (*.yaml) in this folder", "no-mappings")
        for name in files:
            yield Target(name, "tests" if is_test_file(name) else "mapping")
    elif not os.path.lexists(path):
        yield _missing(path, "no such file or folder", "file-not-found")
    else:
        yield Target(path, "tests" if is_test_file(path) else "mapping")


def _walk(folder: str) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # .relmap/ holds sync state, .git/ history
        for name in files:
            if name.endswith(YAML_SUFFIXES) and not name.startswith("."):
                yield os.path.normpath(os.path.join(root, name))


def _missing(path: str, message: str, code: str) -> Target:
    return Target(path, "missing", Diagnostic(Location(path), "error", message, code))


def check_test_file(path: str) -> list[Diagnostic]:
    """Every problem of the test file at ``path``: its YAML, its schema, its cases, the mapping it names."""
    from relmap.mapping_tests.spec import read_test_file

    sink = DiagnosticSink()
    try:
        read_test_file(path, sink)
    except (RecursionError, MemoryError):
        if os.environ.get("RELMAP_DEBUG"):
            raise
        sink.error(Location(path, 1, 1), "the test file is too complex to check", "too-complex")
    except Exception as exc:  # a bug in relmap: said for this file, and the others are still checked
        if os.environ.get("RELMAP_DEBUG"):
            raise
        sink.error(
            Location(path, 1, 1),
            f"relmap could not finish checking this test file ({type(exc).__name__})",
            "check-failed",
            "this is a bug in relmap, please report it; RELMAP_DEBUG=1 shows the traceback",
        )
    return sink.sorted()


def unreadable(name: str) -> bool:
    """Whether the file itself cannot be opened (as opposed to a file with mistakes in it)."""
    try:
        if not stat.S_ISREG(os.stat(name).st_mode):
            return True  # a FIFO would block the open, a device never end
        with open(name, "rb"):
            return False
    except OSError:
        return True
