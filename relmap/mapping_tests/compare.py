"""A case's expectations against what the relation rendered to: every expectation that does not hold, explained.

Without ``skipped`` or ``error``, a case expects a payload: a skip or a record error is then a failure of its own.
Payloads compare key by key (``payload`` exactly, ``payload_includes`` only the keys given, recursively); list items
by position. Values compare by type as JSON does: 10001 is not "10001", true is not 1, 12 is 12.0. Record warnings
are checked only by a case that names ``warnings``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from relmap.mapping.render import FieldError, Rendered
from relmap.mapping.schema import did_you_mean
from relmap.mapping_tests.model import Case, Difference, Expectation, Failure
from relmap.sources.records import json_type

_SHOWN = 100  # characters of a value shown in a difference


def compare(case: Case, result: Rendered) -> list[Failure]:
    """Every failed expectation of ``case``, in the order of the test file; empty when the case passes."""
    wanted = "skipped" if case.expects("skipped") else "error" if case.expects("error") else "ok"
    failures: list[Failure] = []
    if result.status != wanted:
        failures.append(_outcome(case, wanted, result))
    for expectation in case.expectations:
        failure = _check(expectation, result)
        if failure is not None:
            failures.append(failure)
    return sorted(failures, key=lambda f: (f.location.line, f.location.column))


def _outcome(case: Case, wanted: str, result: Rendered) -> Failure:
    key = {"skipped": "skipped", "error": "error"}.get(wanted)
    located = case.expects(key) if key else None
    location = (located or case.expectations[0]).location
    expected = {"ok": "a payload", "skipped": "the relation to be skipped", "error": "record errors"}[wanted]
    if result.status == "skipped":
        return Failure(None, location, f"expected {expected}, but the relation was skipped: {result.reason}")
    if result.status == "error":
        details = tuple(e.text() for e in result.errors)
        return Failure(None, location, f"expected {expected}, got record errors:", details)
    return Failure(None, location, f"expected {expected}, got a payload ({result.route} → {result.endpoint})")


def _check(expectation: Expectation, result: Rendered) -> Failure | None:
    key, want = expectation.key, expectation.value
    if key in ("route", "endpoint"):
        got = result.route if key == "route" else result.endpoint
        if got is None or got == want:
            return None  # no route at all: the outcome failure says why
        return Failure(key, expectation.location, f"expected {_value(want)}, got {_value(got)}")
    if key in ("payload", "payload_includes"):
        if result.status != "ok" or result.payload is None:
            return None
        found = tuple(diff(want, result.payload, exact=key == "payload"))
        if not found:
            return None
        count = f"{len(found)} difference{'s' * (len(found) != 1)}"
        return Failure(key, expectation.location, count, tuple(map(difference_text, found)), found)
    if key == "skipped" and result.status == "skipped" and isinstance(want, str):
        if want in (result.reason or ""):
            return None
        message = f"expected a reason containing {_value(want)}, got {_value(result.reason)}"
        return Failure(key, expectation.location, message)
    if key == "error" and result.status == "error" and want is not True:
        return _errors(expectation, result.errors, "record errors")
    if key == "warnings" and result.status != "skipped":
        return _warnings(expectation, result.warnings)
    return None


def _warnings(expectation: Expectation, warnings: Sequence[FieldError]) -> Failure | None:
    """``warnings: true`` (some), ``false`` (none), or exactly the ones given, as for ``error``."""
    want = expectation.value
    if want is True and not warnings:
        return Failure("warnings", expectation.location, "expected record warnings, got none")
    if want is False and warnings:
        details = tuple(w.text() for w in warnings)
        return Failure("warnings", expectation.location, "expected no record warnings, got:", details)
    if isinstance(want, bool):
        return None
    return _errors(expectation, warnings, "record warnings")


def _errors(expectation: Expectation, errors: Sequence[FieldError], what: str) -> Failure | None:
    specs: list[dict[str, Any]] = [expectation.value] if isinstance(expectation.value, dict) else expectation.value
    missing = [s for s in specs if not any(_matches(s, e) for e in errors)]
    unexpected = [e for e in errors if not any(_matches(s, e) for s in specs)]
    if not missing and not unexpected:
        return None
    details = tuple(f"missing: {_spec_text(s)}" for s in missing) + tuple(f"unexpected: {e.text()}" for e in unexpected)
    return Failure(expectation.key, expectation.location, f"the {what} differ:", details)


def _matches(spec: dict[str, Any], error: FieldError) -> bool:
    if "parameter" in spec and spec["parameter"] != error.parameter:
        return False
    return "message" not in spec or spec["message"] in error.message


def _spec_text(spec: dict[str, Any]) -> str:
    parts = [f"parameter {spec['parameter']}"] if "parameter" in spec else []
    parts += [f"message containing {_value(spec['message'])}"] if "message" in spec else []
    return ", ".join(parts)


def diff(expected: Any, actual: Any, path: str = "", *, exact: bool) -> Iterator[Difference]:
    """Where ``actual`` differs from ``expected``; ``exact`` False compares only what ``expected`` gives.

    An expected null means "absent": the renderer leaves an empty parameter out, it never sends null.
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, want in expected.items():
            where = f"{path}.{key}" if path else key
            if key not in actual:
                if want is not None:
                    yield Difference(where, "missing", want, hint=did_you_mean(key, actual))
            elif want is None:
                yield Difference(where, "unexpected", None, actual[key], "the test expects none")
            else:
                yield from diff(want, actual[key], where, exact=exact)
        if exact:
            for key in (k for k in actual if k not in expected):
                yield Difference(f"{path}.{key}" if path else key, "unexpected", actual=actual[key])
    elif isinstance(expected, list) and isinstance(actual, list):
        for index, want in enumerate(expected):
            where = f"{path}[{index}]"
            if index < len(actual):
                yield from diff(want, actual[index], where, exact=exact)
            else:
                yield Difference(where, "missing", want)
        if exact:
            for index in range(len(expected), len(actual)):
                yield Difference(f"{path}[{index}]", "unexpected", actual=actual[index])
    elif not same(expected, actual):
        yield Difference(path, "changed", expected, actual)


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values: booleans only equal booleans, numbers compare by value whatever their type."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and bool(a == b)


def difference_text(found: Difference) -> str:
    if found.kind == "missing":
        text = f"{found.path}: missing, expected {_value(found.expected)}"
    elif found.kind == "unexpected":
        text = f"{found.path}: unexpected {_value(found.actual)}"
    else:
        text = f"{found.path}: expected {_value(found.expected)}, got {_value(found.actual)}"
        if _value(found.expected).strip('"') == _value(found.actual).strip('"'):
            text += f" ({json_type(found.actual)}, not {json_type(found.expected)})"
    return text + (f" ({found.hint})" if found.hint else "")


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
