"""``relmap test PATH...`` → the test files to run: a test file, a mapping's test file, or every one in a folder."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from relmap.errors import Diagnostic, Location
from relmap.mapping_tests.model import FileResult

SUFFIXES = (".tests.yaml", ".tests.yml")


def is_test_file(name: str) -> bool:
    return name.endswith(SUFFIXES)


def default_mapping(test_file: str) -> str:
    """``business-routing.tests.yaml`` → ``business-routing.yaml``, in the same folder."""
    for suffix in SUFFIXES:
        if test_file.endswith(suffix):
            return test_file[: -len(suffix)] + suffix.replace(".tests", "", 1)
    return test_file


def tests_of(mapping: str) -> str:
    """``business-routing.yaml`` → ``business-routing.tests.yaml``, in the same folder."""
    stem, suffix = os.path.splitext(mapping)
    return f"{stem}.tests{suffix or '.yaml'}"


def discover(paths: Sequence[str]) -> list[str | FileResult]:
    """Each test file once, in the order given (a folder's sorted); a PATH that gives none is a FileResult error."""
    found: list[str | FileResult] = []
    seen: set[str] = set()
    for path in paths:
        for item in _expand(path):
            if isinstance(item, FileResult):
                found.append(item)
                continue
            key = os.path.realpath(item)
            if key not in seen:
                seen.add(key)
                found.append(item)
    return found


def _expand(path: str) -> Iterator[str | FileResult]:
    target = Path(path)
    if target.is_dir():
        files = sorted(_walk(path))
        if not files:
            yield _problem(path, "no test files (*.tests.yaml) in this folder", "no-tests")
        yield from files
    elif not target.exists():
        yield _problem(path, "no such file or folder", "file-not-found")
    elif is_test_file(target.name):
        yield path
    else:
        tests = tests_of(path)
        if Path(tests).is_file():
            yield tests
        else:
            hint = f"write its cases in {tests}, or pass a test file"
            yield _problem(path, f"this mapping has no tests: {tests} does not exist", "no-tests", hint)


def _walk(folder: str) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # .relmap/ holds sync state, .git/ history
        for name in files:
            if is_test_file(name):
                yield os.path.normpath(os.path.join(root, name))


def _problem(path: str, message: str, code: str, hint: str | None = None) -> FileResult:
    return FileResult(path, diagnostics=[Diagnostic(Location(path), "error", message, code, hint)])
