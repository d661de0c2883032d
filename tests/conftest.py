"""Shared fixtures: run the CLI in-process, write mapping files, compare against golden files."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from relmap.cli import main
from relmap.sandbox import Faults, Sandbox

ROOT = Path(__file__).resolve().parent.parent
MAPPINGS = ROOT / "mappings"
# A small mapping over an export (export.json beside it), for the reader and output tests.
EXPORT_MAPPING = """\
relmap: 1
source:
  file: {path: export.json}
routes:
  - name: people
    endpoint: addprivaterelation
    fields:
      CustomerNumber: debtor_number
      Relation_Contact:
        - FirstName: {template: "{{ name }}", fallback: "-"}
          LastName: {template: "{{ name }}", fallback: "-"}
"""
MINIMAL_MAPPING = """\
relmap: 1
source:
  file: {path: input.json}
routes:
  - endpoint: addprivaterelation
    fields:
      Relation_Contact:
        - FirstName: name
          LastName: name
"""
SAMPLES = MAPPINGS / "samples"
GOLDEN = Path(__file__).resolve().parent / "golden"
WRITES = ("addprivaterelation", "addbusinessrelation", "updaterelation")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite golden files from the current output")


@dataclass
class CliResult:
    code: int
    out: str
    err: str


NOW = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC, after every seed timestamp


class FakeClock:
    """A clock the test sets by hand (``clock.now += 3600``)."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``relmap`` in-process, from the repository root, and capture its streams."""

    def run(*argv: str, cwd: Path = ROOT) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.chdir(cwd)
        code = main(list(argv), stdout=out, stderr=err)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def write_mapping(tmp_path: Path) -> Callable[[str], Path]:
    """Write mapping text to a file in a temporary folder and return its path."""

    def write(text: str, name: str = "mapping.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with tests/golden/NAME; ``pytest --update-goldens`` rewrites the file instead."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if request.config.getoption("--update-goldens"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        assert path.exists(), f"no golden file {path}; run pytest --update-goldens and review the diff"
        assert actual == path.read_text(encoding="utf-8")

    return check


@pytest.fixture(autouse=True)
def _no_secrets_in_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in list(os.environ):
        if name.startswith(("OUTSMART_", "SILVASOFT_", "RELMAP_")):
            monkeypatch.delenv(name)
    # Each test's Silvasoft accounts get their own request ledgers (every emulator is one loopback account).
    monkeypatch.setenv("RELMAP_LEDGER_DIR", str(tmp_path_factory.mktemp("ledgers")))


def pass_an_hour(*states: Path) -> None:
    """As if an hour went by, for relmap: every Silvasoft request it counted (in this test's account ledgers, and in
    the ``states`` given) is an hour older, and no "Ratelimit exceeded" holds it back any more."""
    import sqlite3

    from relmap.targets.budget import BLOCKED

    ledgers = sorted(Path(os.environ["RELMAP_LEDGER_DIR"]).glob("silvasoft-*.db"))
    for path in ledgers:
        with contextlib.closing(sqlite3.connect(path)) as db, db:
            db.execute("UPDATE requests SET at = at - 3600")
            db.execute("DELETE FROM meta WHERE key = 'blocked_until'")
    for path in states:
        if path.exists():
            with contextlib.closing(sqlite3.connect(path)) as db, db:
                db.execute("UPDATE ledger SET at = at - 3600")
                db.execute("DELETE FROM meta WHERE key = ?", (BLOCKED,))


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox(silvasoft_faults=Faults(seed=7), outsmart_faults=Faults(seed=7)) as world:
        for name, value in world.credentials.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("RELMAP_OUTSMART_URL", world.outsmart_url)
        monkeypatch.setenv("RELMAP_SILVASOFT_URL", world.silvasoft_url)
        monkeypatch.setenv("RELMAP_SILVASOFT_PACE", "1000/s")
        yield world


@pytest.fixture
def mapping(tmp_path: Path) -> Callable[..., Path]:
    """The shipped business-routing mapping in a temporary folder, with changes of its text."""

    def write(**replace: str) -> Path:
        text = (MAPPINGS / "business-routing.yaml").read_text(encoding="utf-8")
        for old, new in replace.items():
            assert old.replace("_", " ") in text or old in text
            text = text.replace(old, new)
        path = tmp_path / "routing.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def sync(run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path) -> Callable[..., CliResult]:
    mapping()

    def run(*extra: str) -> CliResult:
        report = tmp_path / "report.jsonl"
        return run_cli("run", str(tmp_path / "routing.yaml"), "--report", str(report), *extra, cwd=tmp_path)

    return run


def writes(world: Sandbox) -> int:
    return sum(world.silvasoft.count(endpoint=e) for e in WRITES)
