"""Locations, diagnostics and the one error tree of relmap.

RelmapError                 anything relmap reports to a user instead of a traceback
├── MappingError            the mapping file cannot be used; carries every Diagnostic found
├── SourceError             an input (export file, API) cannot be read at all
├── TransformError          one value of one record cannot be turned into what the target needs;
│                           the renderer turns it into a RecordError and moves on to the next record
├── ConfigError             a setting a run needs is missing or unsafe (an unset ${VAR}, plain http to a remote host)
├── StateError              the sync state database cannot be used (locked, another account's, newer version)
├── BudgetSpent             the Silvasoft request budget of this hour is used up; the run stops cleanly
└── ApiError                an API answered with an error or could not be reached; messages carry no secrets
    ├── CredentialsError    wrong token or key: fatal at once, never retried
    ├── RateLimited         Silvasoft says its hourly limit is reached: stop for this hour
    ├── RecordRejected      Silvasoft refused this record's data (HTTP 400): a record error, the run goes on
    └── Unavailable         5xx, 429, timeouts or dropped connections, after every retry
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


class ConfigError(RelmapError):
    """A setting the run needs is missing or unsafe."""


class StateError(RelmapError):
    """The sync state database cannot be used."""


class BudgetSpent(RelmapError):
    """The hour's Silvasoft request budget is used up; ``resume_at`` is when a request is free again (epoch s)."""

    def __init__(self, message: str, resume_at: float) -> None:
        self.resume_at = resume_at
        super().__init__(message)


class ApiError(RelmapError):
    """An API answered with an error, or could not be reached. ``api`` is "OutSmart" or "Silvasoft"."""

    def __init__(self, api: str, message: str, status: int | None = None) -> None:
        self.api = api
        self.status = status
        self.detail = message
        super().__init__(f"{api}: {message}")


class CredentialsError(ApiError):
    """The token, software token, username or API key is wrong: fatal at once, never retried."""


class RateLimited(ApiError):
    """Silvasoft reports its hourly request limit reached."""


class RecordRejected(ApiError):
    """Silvasoft refused one record's data (HTTP 400)."""


class Unavailable(ApiError):
    """The API failed after every retry. ``ambiguous``: a write may have been carried out before the failure."""

    def __init__(self, api: str, message: str, status: int | None = None, ambiguous: bool = False) -> None:
        self.ambiguous = ambiguous
        super().__init__(api, message, status)
