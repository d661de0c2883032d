"""What a mapping test file holds once read, and what running it gives: plain, frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from relmap.errors import Diagnostic, Location
from relmap.mapping.loader import PathKey
from relmap.mapping.render import Rendered

CaseStatus = Literal["passed", "failed", "not run"]
EXPECTATIONS = ("route", "endpoint", "payload", "payload_includes", "skipped", "error", "warnings")


@dataclass(frozen=True)
class Expectation:
    """One key under a case's ``expect:``, with the place of that key in the test file."""

    key: str  # one of EXPECTATIONS
    value: Any
    location: Location


@dataclass(frozen=True)
class SampleRef:
    """``sample: FILE#DEBTOR_NUMBER``: ``path`` as it is read (relative to the working folder, like the test file)."""

    path: str
    debtor_number: str
    location: Location


@dataclass(frozen=True)
class Case:
    name: str
    path: PathKey  # where the case is in its document
    location: Location
    input: dict[str, Any] | None
    sample: SampleRef | None
    vars: dict[str, Any]
    expectations: tuple[Expectation, ...]
    runnable: bool = True  # False: the case has errors; its relation is still checked, never rendered

    def expects(self, key: str) -> Expectation | None:
        return next((e for e in self.expectations if e.key == key), None)


@dataclass(frozen=True)
class Difference:
    """One place where a payload differs from the expected one; ``path`` is like ``Relation_Contact[0].Email``."""

    path: str
    kind: Literal["changed", "missing", "unexpected"]
    expected: Any = None
    actual: Any = None
    hint: str | None = None


@dataclass(frozen=True)
class Failure:
    """One expectation that did not hold. ``expectation`` None: the relation had another outcome altogether."""

    expectation: str | None
    location: Location
    message: str
    details: tuple[str, ...] = ()
    differences: tuple[Difference, ...] = ()


@dataclass(frozen=True)
class CaseResult:
    name: str
    location: Location
    status: CaseStatus
    failures: tuple[Failure, ...] = ()
    rendered: Rendered | None = None
    reason: str | None = None  # why a case was not run


@dataclass
class FileResult:
    """One test file (or one PATH that gave none): its problems, its mapping, and each case's result."""

    file: str
    mapping: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    cases: list[CaseResult] = field(default_factory=list)

    def count(self, status: CaseStatus) -> int:
        return sum(c.status == status for c in self.cases)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)
