"""Hostile inputs, made from a seed: mutated mappings and malformed exports, as careless users and attackers write them.

The fuzz tests (tests/test_fuzz.py) draw seeds with Hypothesis; benchmarks/hostile.py runs a thousand of them and
counts what happened. ``probe`` runs one input through the real command line, in-process, with a hang guard.
"""

from __future__ import annotations

import io
import json
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
MAPPINGS = sorted((ROOT / "mappings").glob("*.yaml"))
SHIPPED = [path for path in MAPPINGS if not path.name.endswith(".tests.yaml")]
SAMPLES = ROOT / "mappings" / "samples"

# What lands in mapping text: YAML's own traps, the characters it refuses, templates that blow up or escape.
_YAML_PIECES = [
    ".nan",
    ".inf",
    "-.inf",
    "1" + "0" * 5000,
    "0x1F",
    "0o17",
    "01234",
    "no",
    "~",
    "null",
    "{}",
    "[]",
    "[[[[[[",
    "]]]",
    "&a [*a]",
    "&b {<<: *b}",
    "*undefined",
    "!!python/object:os.system",
    "!!binary aGk=",
    "? [a]: b",
    "\x00",
    "\x0b",
    "\x0c",
    "\t",
    "\ufeff",
    "\x1b[31m",
    "\u202e",
    "'",
    '"',
    "|",
    ">",
    "- ",
    ": ",
    "#",
    "%",
    "@",
    "`",
    "{{",
    "}}",
    "{%",
    "%}",
    "{{ record.update({'name': 'X'}) }}",
    "{{ ''.__class__ }}",
    "{{ (10**(10**9)) > 1 }}",
    "{{ 'x' * 10**9 }}",
    "{{ " + "(" * 100 + "1" + ")" * 100 + " }}",
    "{{ '%d' % (10**5000) }}",
    "{% include 'x' %}",
    "{{ lipsum(n=10**7) }}",
    "{{ (vars|attr('update'))({}) }}",
    "{% set f = '{0}'.format %}{{ f(1) }}",
    "endpoint: {}",
    "routes: 1",
    "fields: []",
    "when: [1]",
    "map: {[1]: 2}",
    "freefields: {a: b}",
    "vars: {x: &v [*v]}",
    "1: x",
    "relmap: 2",
    "source: {outsmart: {token: plain}}",
    "${UNSET_VARIABLE}",
    "é",
    "日本",
    "\ud83d\ude00",
]
_EXPORT_PIECES = [
    "1" + "9" * 5000,
    '"a\\ud800"',
    '"\\udc00"',
    "\udcff",
    "\xe9",
    "NaN",
    "Infinity",
    "-Infinity",
    "[" * 20000,
    "{" * 5000,
    '"' * 3,
    ";",
    ",",
    '"Loosdrecht;',
    "\r",
    "\r\n",
    "\x00",
    "\x1b[2J",
    "\u202e",
    "null",
    "true",
    "{}",
    "[]",
    '{"debtor_number": 1}',
    '{"debtor_number": "10001"}',
    '{"debtor_number": null}',
    '{"debtor_number": [1]}',
    '"x"' * 3,
    "x" * 140_000,
    "\ufeff",
    "\n",
    ",,,,",
    '";"',
    "é",
]


@dataclass(frozen=True)
class Outcome:
    """What one run of the command line did: its exit code, its output, and whether it hung or crashed."""

    code: int | None
    out: str
    err: str
    hung: bool = False
    crashed: str | None = None  # an exception that escaped main(), or "internal error" in its output

    @property
    def internal(self) -> bool:
        return self.crashed is not None


def mutate_mapping(seed: int) -> tuple[str, str]:
    """(name, text): a shipped mapping with 1-4 random edits."""
    rng = Random(seed)
    path = rng.choice(SHIPPED)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for _ in range(rng.randint(1, 4)):
        lines = _edit(lines, rng, _YAML_PIECES)
    return path.name, "".join(lines)


def malformed_export(seed: int) -> tuple[str, str]:
    """(file name, text): a shipped sample export with 1-4 random edits, as JSON, JSONL or CSV."""
    rng = Random(seed)
    path = rng.choice([SAMPLES / "relations.json", SAMPLES / "relations.jsonl", SAMPLES / "relations.csv"])
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for _ in range(rng.randint(1, 4)):
        lines = _edit(lines, rng, _EXPORT_PIECES)
    return path.name, "".join(lines)


def _edit(lines: list[str], rng: Random, pieces: list[str]) -> list[str]:
    if not lines:
        return [rng.choice(pieces)]
    at = rng.randrange(len(lines))
    line = lines[at]
    kind = rng.randrange(7)
    if kind == 0:  # drop a line
        return lines[:at] + lines[at + 1 :]
    if kind == 1:  # repeat a line (duplicate keys, repeated records)
        return [*lines[: at + 1], line, *lines[at + 1 :]]
    if kind == 2:  # put a piece somewhere in the line
        cut = rng.randrange(len(line) + 1)
        return [*lines[:at], line[:cut] + rng.choice(pieces) + line[cut:], *lines[at + 1 :]]
    if kind == 3:  # replace the value after a colon
        head, colon, _ = line.partition(": ")
        new = f"{head}: {rng.choice(pieces)}\n" if colon else rng.choice(pieces) + "\n"
        return [*lines[:at], new, *lines[at + 1 :]]
    if kind == 4:  # indent or dedent
        new = ("  " + line) if rng.random() < 0.5 else line.lstrip()
        return [*lines[:at], new, *lines[at + 1 :]]
    if kind == 5:  # cut the file short
        cut = rng.randrange(len(line) + 1)
        return [*lines[:at], line[:cut]]
    return [*lines[:at], rng.choice(pieces) + "\n", *lines[at:]]  # a new line of its own


@contextmanager
def hang_guard(seconds: float) -> Iterator[list[bool]]:
    """Raise TimeoutError in the main thread after ``seconds``; the list says whether it fired."""
    fired: list[bool] = []

    def alarm(signum: int, frame: object) -> None:
        fired.append(True)
        raise TimeoutError("hang guard")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def probe(argv: list[str], seconds: float = 30.0, cwd: Path | None = None) -> Outcome:
    """Run ``relmap ARGV`` in-process; an escaped exception or "internal error" counts as a crash."""
    import os

    from relmap.cli import main

    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with hang_guard(seconds):
            code = main(argv, stdout=out, stderr=err)
    except TimeoutError:
        return Outcome(None, out.getvalue(), err.getvalue(), hung=True)
    except BaseException as exc:  # anything escaping main is what this looks for
        return Outcome(None, out.getvalue(), err.getvalue(), crashed=f"{type(exc).__name__}: {exc}")
    finally:
        os.chdir(before)
    text = out.getvalue() + err.getvalue()
    crashed = "internal error" if "internal error" in text or "This is a bug in relmap" in text else None
    return Outcome(code, out.getvalue(), err.getvalue(), crashed=crashed)


_LOCATED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+)(?::(?P<column>\d+))?: (error|warning): ")


def unlocated_diagnostics(outcome: Outcome, name: str) -> list[str]:
    """Lines of ``validate``'s JSON output that are not located at a line of the file."""
    document = json.loads(outcome.out)
    found = []
    for file in document.get("files", []):
        for diagnostic in file.get("diagnostics", []):
            if not (diagnostic.get("file") and isinstance(diagnostic.get("line"), int) and diagnostic["line"] >= 1):
                found.append(json.dumps(diagnostic))
    return found


def located(line: str) -> bool:
    return bool(_LOCATED.match(line))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


Runner = Callable[[list[str]], Outcome]
