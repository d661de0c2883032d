"""Locations, diagnostics and the one error tree of relmap.

RelmapError                 anything relmap reports to a user instead of a traceback
├── MappingError            the mapping file cannot be used; carries every Diagnostic found
├── SourceError             an input (export file, API) cannot be read at all
└── TransformError          one value of one record cannot be turned into what the target needs;
                            the renderer turns it into a RecordError and moves on to the next record
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based place in a file; ``line`` 0 means 'the file as a whole'."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        if not self.column:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"

    def short(self) -> str:
        """``file:line``, the form record errors use to point at a mapping rule."""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a mapping file."""

    location: Location
    severity: Severity
    message: str
    code: str
    hint: str | None = None

    def text(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.location}: {self.severity}: {self.message}{hint} [{self.code}]"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "severity": self.severity,
            "message": self.message,
            "code": self.code,
            "hint": self.hint,
        }


class RelmapError(Exception):
    """Base of every error relmap reports to its user."""


class MappingError(RelmapError):
    """The mapping has errors; ``diagnostics`` holds all of them (warnings too)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        first = errors[0].text() if errors else "invalid mapping"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)


class SourceError(RelmapError):
    """An input cannot be read at all (as opposed to one bad record in it)."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class TransformError(RelmapError):
    """A value cannot be turned into what the target parameter needs."""


@dataclass
class DiagnosticSink:
    """Collects diagnostics so that every stage can report all it finds, then go on."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, location: Location, message: str, code: str, hint: str | None = None) -> None:
        self.items.append(Diagnostic(location, "error", message, code, hint))

    def warning(self, location: Location, message: str, code: str, hint: str | None = None) -> None:
        self.items.append(Diagnostic(location, "warning", message, code, hint))

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.location, d.severity, d.code, d.message))
