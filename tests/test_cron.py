"""Unattended runs: secrets from an env file (``--env-file FILE``, or ``.env`` beside the mapping)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliResult

from relmap.sandbox import Sandbox

EXPECTED_CREATED = 31  # as in test_sync: 35 customers, 2 inactive, 2 that always fail
WRONG_KEY = "wrong-key-Zq7xV"


def secrets_of(world: Sandbox) -> list[str]:
    return [value for name, value in world.credentials.items() if name != "SILVASOFT_USERNAME"] + [WRONG_KEY]


def env_text(world: Sandbox, **changes: str) -> str:
    """What /etc/relmap/env holds for the emulators: both APIs' secrets, their URLs and the emulators' pace."""
    values = {
        **world.credentials,
        "RELMAP_OUTSMART_URL": world.outsmart_url,
        "RELMAP_SILVASOFT_URL": world.silvasoft_url,
        "RELMAP_SILVASOFT_PACE": "1000/s",
        **changes,
    }
    return "# relmap's secrets\n" + "".join(f"{name}={value}\n" for name, value in values.items())


def write_env(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def bare(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test process's environment without the settings the sandbox fixture exported: the file must give them."""
    for name in list(os.environ):
        if name.startswith(("OUTSMART_", "SILVASOFT_", "RELMAP_")):
            monkeypatch.delenv(name)


# The env file


def test_a_run_takes_its_secrets_from_the_env_file_beside_the_mapping(
    sandbox: Sandbox,
    mapping: Callable[..., Path],
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bare(monkeypatch)
    path = mapping()
    write_env(tmp_path / ".env", env_text(sandbox))
    result = run_cli("run", str(path), "-q", cwd=tmp_path)
    assert result.code == 1, result.err
    assert result.err == ""
    assert len(sandbox.silvasoft.relations()) == EXPECTED_CREATED


def test_the_environment_wins_over_the_env_file_and_a_differing_value_is_named_not_shown(
    sandbox: Sandbox, mapping: Callable[..., Path], run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = mapping()
    env_file = write_env(tmp_path / "env", env_text(sandbox, SILVASOFT_API_KEY=WRONG_KEY))
    result = run_cli("run", str(path), "-q", "--env-file", str(env_file), cwd=tmp_path)
    assert result.code == 1, result.err  # the environment's right key was used
    assert len(sandbox.silvasoft.relations()) == EXPECTED_CREATED
    assert result.err == (
        f"relmap: warning: {env_file}: SILVASOFT_API_KEY is also set in the environment, with another value; "
        "relmap uses the environment's (it wins over the env file): unset it to use the file's\n"
    )
    assert not [secret for secret in secrets_of(sandbox) if secret in result.out + result.err]


@pytest.mark.parametrize(
    ("mode", "who"),
    [(0o644, "readable"), (0o602, "writable"), (0o666, "readable and writable"), (0o604, "readable")],
)
def test_an_env_file_every_user_may_read_or_write_is_refused_before_any_request(
    sandbox: Sandbox,
    mapping: Callable[..., Path],
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    mode: int,
    who: str,
) -> None:
    path = mapping()
    env_file = write_env(tmp_path / "env", env_text(sandbox), mode)
    result = run_cli("run", str(path), "--env-file", str(env_file), cwd=tmp_path)
    assert result.code == 2
    assert result.err == (
        f"relmap: error: {env_file}: the env file is {who} by every user of this machine (mode {mode:04o}), and it "
        f"holds secrets; relmap has not read it: chmod 600 {env_file}\n"
    )
    assert result.out == ""
    assert sandbox.silvasoft.count() == 0 and sandbox.outsmart.count() == 0
    assert stat_mode(env_file) == mode  # relmap changes nothing, it says what to do


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize(("mode", "who"), [(0o640, "readable"), (0o620, "writable"), (0o660, "readable and writable")])
def test_an_env_file_its_group_may_read_is_read_with_a_warning(
    sandbox: Sandbox,
    mapping: Callable[..., Path],
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: int,
    who: str,
) -> None:
    bare(monkeypatch)
    path = mapping()
    env_file = write_env(tmp_path / "env", env_text(sandbox), mode)
    result = run_cli("run", str(path), "-q", "--env-file", str(env_file), cwd=tmp_path)
    assert result.code == 1
    assert result.err == (
        f"relmap: warning: {env_file}: the env file is {who} by its group (mode {mode:04o}); unless that is meant: "
        f"chmod 600 {env_file}\n"
    )


@pytest.mark.parametrize(
    "command",
    [["run"], ["run", "--dry-run"], ["run", "--dry-run", "--detailed-exitcode"], ["explain", "@", "10001"]],
    ids=["run", "dry-run", "dry-run-detailed", "explain"],
)
def test_every_command_that_reads_secrets_refuses_a_world_readable_env_file(
    sandbox: Sandbox,
    mapping: Callable[..., Path],
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    command: list[str],
) -> None:
    path = mapping()
    env_file = write_env(tmp_path / ".env", env_text(sandbox), 0o644)
    argv = [part if part != "@" else str(path) for part in command]
    if "@" not in command:
        argv.insert(1, str(path))
    result = run_cli(*argv, cwd=tmp_path)
    assert result.code == (1 if "--detailed-exitcode" in command else 2)
    assert result.err.endswith(
        f"relmap: error: {env_file}: the env file is readable by every user of this machine (mode 0644), and it "
        f"holds secrets; relmap has not read it: chmod 600 {env_file}\n"
    )
    assert sandbox.silvasoft.count() == 0 and sandbox.outsmart.count() == 0


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (b"OUTSMART_TOKEN=abc\n\n# the key:\nsandbox-silvasoft-api-key\n", 4, "no = on this line; write NAME=VALUE"),
        (
            b"OUTSMART_TOKEN=abc\nSILVASOFT_API_KEY='sandbox-silvasoft-api-key\n",
            2,
            "not a NAME=VALUE line (a space in the name, or an unclosed quote?)",
        ),
        (
            b"OUTSMART_TOKEN=abc\nSILVASOFT API KEY=sandbox-silvasoft-api-key\n",
            2,
            "not a NAME=VALUE line (a space in the name, or an unclosed quote?)",
        ),
        (
            b"1SILVASOFT_API_KEY=sandbox-silvasoft-api-key\n",
            1,
            "the name before = is not a variable name (letters, digits and _, not starting with a digit)",
        ),
        (b"OUTSMART_TOKEN=abc\nSILVASOFT_API_KEY=sandbox-\xff-api-key\n", 2, "not UTF-8 text"),
    ],
    ids=["pasted-key", "unclosed-quote", "spaces-in-name", "digit-first", "not-utf8"],
)
def test_a_malformed_env_file_is_a_located_error_that_never_shows_the_line(
    sandbox: Sandbox,
    mapping: Callable[..., Path],
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    text: bytes,
    line: int,
    problem: str,
) -> None:
    path = mapping()
    env_file = tmp_path / "env"
    env_file.write_bytes(text)
    env_file.chmod(0o600)
    result = run_cli("run", str(path), "--env-file", str(env_file), cwd=tmp_path)
    assert result.code == 2
    assert result.err == (
        f"relmap: error: {env_file}:{line}: {problem} (the line is not shown: it may hold a secret)\n"
    )
    assert "sandbox-" not in result.err and "abc" not in result.err.replace(str(tmp_path), "")


def test_several_malformed_lines_are_counted_after_the_first(
    mapping: Callable[..., Path], run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = mapping()
    env_file = write_env(tmp_path / "env", "A=1\nsecret-one\nB=2\nsecret-two\nsecret-three\n")
    result = run_cli("run", str(path), "--env-file", str(env_file), cwd=tmp_path)
    assert result.err == (
        f"relmap: error: {env_file}:2: no = on this line; write NAME=VALUE (the line is not shown: it may hold a "
        "secret) (and 2 more such lines)\n"
    )


def test_an_env_file_that_is_not_there_or_a_folder_is_named(
    mapping: Callable[..., Path], run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = mapping()
    missing = run_cli("run", str(path), "--env-file", str(tmp_path / "nope"), cwd=tmp_path)
    assert (missing.code, missing.err) == (2, f"relmap: error: {tmp_path / 'nope'}: no such env file\n")
    folder = run_cli("run", str(path), "--env-file", str(tmp_path), cwd=tmp_path)
    assert (folder.code, folder.err) == (2, f"relmap: error: {tmp_path}: a folder, not an env file\n")


def test_env_file_values_are_taken_as_written(tmp_path: Path) -> None:
    from relmap import envfile

    text = (
        "export OUTSMART_TOKEN=plain  # a comment\n"
        "SILVASOFT_API_KEY='k$y#with ${NOT_EXPANDED}'\n"
        'OUTSMART_SOFTWARE_TOKEN="two\\nlines"\n'
        "EMPTY=\n"
    )
    loaded = envfile.load(str(write_env(tmp_path / "env", text)))
    assert loaded.values == {
        "OUTSMART_TOKEN": "plain",
        "SILVASOFT_API_KEY": "k$y#with ${NOT_EXPANDED}",
        "OUTSMART_SOFTWARE_TOKEN": "two\nlines",
        "EMPTY": "",
    }
    assert loaded.warnings == ()
