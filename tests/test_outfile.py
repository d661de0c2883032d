"""Files the user names (--out, --report) are written whole or not at all, and refuse what is not a file."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliResult

from relmap.commands.outfile import write_file, written
from relmap.errors import ConfigError, RelmapError


def test_a_failure_half_way_leaves_the_previous_file_and_no_part(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("the previous plan\n", encoding="utf-8")
    with pytest.raises(ZeroDivisionError), written(str(target), "the plan") as stream:
        stream.write("x" * 200_000)  # more than a buffer: some of it reached the disk
        raise ZeroDivisionError
    assert target.read_text(encoding="utf-8") == "the previous plan\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_the_file_appears_only_when_it_is_complete(tmp_path: Path) -> None:
    target = tmp_path / "report.jsonl"
    with written(str(target), "the report") as stream:
        stream.write('{"a": 1}\n')
        assert not target.exists()
    assert target.read_text(encoding="utf-8") == '{"a": 1}\n'


def test_a_lone_surrogate_is_written_as_its_json_escape(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    write_file(str(target), json.dumps({"name": "Jansen\ud800"}, ensure_ascii=False), "the plan")
    assert json.loads(target.read_text(encoding="utf-8")) == {"name": "Jansen\ud800"}


@pytest.mark.parametrize("make", ["folder", "fifo"])
def test_what_is_not_a_regular_file_is_refused_not_replaced(tmp_path: Path, make: str) -> None:
    target = tmp_path / "out"
    target.mkdir() if make == "folder" else os.mkfifo(target)
    with pytest.raises(ConfigError, match="not a regular file"), written(str(target), "--out"):
        pass
    assert target.is_dir() if make == "folder" else stat.S_ISFIFO(target.stat().st_mode)


def test_a_full_disk_is_a_message_naming_the_file(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    # /dev/full itself is not a regular file, so it is refused; a full disk while writing is an OSError at close
    with pytest.raises(ConfigError, match="/dev/full"), written("/dev/full", "the plan"):
        pass
    target = tmp_path / "plan.json"
    with (
        pytest.raises(RelmapError, match=f"cannot write the plan {target}: No space left"),
        written(str(target), "the plan") as stream,
    ):
        stream.write("x")
        raise OSError(28, "No space left on device")
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_a_plan_file_is_private(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    with written(str(target), "the plan", private=True) as stream:
        stream.write("{}")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_dry_run_that_fails_keeps_the_previous_plan(
    run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dry run that stops while writing --out (here: the plan cannot be encoded) leaves the old plan whole."""
    import relmap.commands.dry_run as dry_run

    def broken(doc: object, out: object) -> None:
        out.write('{"format_version": 2, "relations": [')  # type: ignore[attr-defined]
        raise RelmapError("the plan could not be written to the end")

    monkeypatch.setattr(dry_run, "write_json", broken)
    target = tmp_path / "plan.json"
    target.write_text('{"previous": true}\n', encoding="utf-8")
    result = run_cli(
        "run", str(mapping()), "--sandbox", "--dry-run", "--out", str(target), cwd=tmp_path
    )  # fmt: skip
    assert result.code == 2 and "could not be written to the end" in result.err
    assert target.read_text(encoding="utf-8") == '{"previous": true}\n'
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_a_kill_9_half_way_leaves_no_file_with_the_data(tmp_path: Path) -> None:
    """A named part file would stay behind with every relation's personal data; an unnamed one goes with the process."""
    import subprocess
    import sys

    script = (
        "import os, signal, sys\n"
        "from relmap.commands.outfile import written\n"
        "with written(sys.argv[1], '--out', private=True) as stream:\n"
        '    stream.write(\'{"name": "Jansen"}\\n\' * 10000)\n'
        "    stream.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out.jsonl")], capture_output=True)
    assert done.returncode == -9
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", ["--out", "--report"])
def test_a_dry_run_never_writes_over_its_mapping(
    run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path, option: str
) -> None:
    path = mapping()
    before = path.read_text(encoding="utf-8")
    result = run_cli("run", str(path), "--sandbox", "--dry-run", option, str(path), cwd=tmp_path)
    assert result.code == 2 and f"{option} {path} is the mapping itself" in result.err
    assert path.read_text(encoding="utf-8") == before


def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "plans" / "real.json"
    real.parent.mkdir()
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "plan.json"
    link.symlink_to(real)
    write_file(str(link), "new", "the plan")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new"


def test_where_the_file_system_cannot_link_the_file_is_copied_and_a_stop_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import relmap.commands.outfile as outfile

    def no_link(*args: object, **kwargs: object) -> None:
        raise OSError(18, "Invalid cross-device link")  # as overlay file systems answer

    monkeypatch.setattr(outfile.os, "link", no_link)
    target = tmp_path / "plan.json"
    write_file(str(target), "whole", "the plan")
    assert target.read_text(encoding="utf-8") == "whole" and [p.name for p in tmp_path.iterdir()] == ["plan.json"]

    real_sendfile = os.sendfile

    def stopped(*args: int) -> int:
        real_sendfile(*args)
        raise KeyboardInterrupt  # SIGTERM during the copy

    monkeypatch.setattr(outfile.os, "sendfile", stopped)
    with pytest.raises(KeyboardInterrupt):
        write_file(str(target), "newer", "the plan")
    assert target.read_text(encoding="utf-8") == "whole" and [p.name for p in tmp_path.iterdir()] == ["plan.json"]
