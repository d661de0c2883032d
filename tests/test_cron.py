"""Unattended runs: the cron recipe from a bare environment, secrets from an env file, the run log, run's options.

The recipe's test runs the installed console script under ``env -i``, with only what cron sets (PATH=/usr/bin:/bin,
HOME, LOGNAME, SHELL) and what the recipe gives it: everything else, the emulators' URLs included, comes from the env
file, as it would in /etc/relmap/env.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliResult

from relmap.commands.runlog import RunLog
from relmap.sandbox import Sandbox

SCRIPT = shutil.which("relmap", path=str(Path(sys.executable).parent))
EXPECTED_CREATED = 31  # as in test_sync: 35 customers, 2 inactive, 2 that always fail
WRONG_KEY = "wrong-key-Zq7xV"
LINE = re.compile(
    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d) relmap\[(\d+)\] run=([0-9a-f]{8}) "
    r"(info|warning|error)(?: (\w+))?: (.*)"
)


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
        if name.startswith(("OUTSMART_", "SILVASOFT_", "RELMAP_")) and name != "RELMAP_LEDGER_DIR":
            monkeypatch.delenv(name)


def cron(line: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``line`` as cron runs it: /bin/sh -c, in an environment of only what cron sets."""
    environment = ["PATH=/usr/bin:/bin", f"HOME={home}", "LOGNAME=relmap", "SHELL=/bin/sh"]
    return subprocess.run(
        ["/usr/bin/env", "-i", *environment, "/bin/sh", "-c", line], capture_output=True, text=True, timeout=120
    )


def log_lines(path: Path) -> list[tuple[str, str, str, str, str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    parsed = [LINE.fullmatch(line) for line in lines]
    assert all(parsed), [line for line, match in zip(lines, parsed, strict=True) if not match]
    return [match.groups() for match in parsed if match is not None]


# The recipe


@pytest.mark.skipif(SCRIPT is None, reason="the relmap console script is not installed beside this Python")
def test_the_cron_recipe_syncs_from_a_bare_environment(
    sandbox: Sandbox, mapping: Callable[..., Path], tmp_path: Path
) -> None:
    mapping()
    (tmp_path / "etc").mkdir()
    (tmp_path / "log").mkdir()
    env_file = write_env(tmp_path / "etc" / "env", env_text(sandbox))
    log = tmp_path / "log" / "sync.log"
    old = cron(f"cd {tmp_path} && relmap run -q routing.yaml", tmp_path)
    assert old.returncode == 127 and "relmap: not found" in old.stderr  # why the old README line failed

    line = f"cd {tmp_path} && {SCRIPT} run -q --env-file {env_file} --log-file {log} routing.yaml"
    first = cron(line, tmp_path)
    assert first.returncode == 1, first.stderr  # the two sample relations that always fail; the others are synced
    assert first.stdout.startswith(f"Sync: {EXPECTED_CREATED} created, 0 updated, 0 linked, 0 unchanged, 2 skipped, ")
    assert first.stderr == ""  # -q: nothing but the summary, which cron mails
    assert len(sandbox.silvasoft.relations()) == EXPECTED_CREATED
    assert (tmp_path / ".relmap" / "routing.db").exists()
    second = cron(line, tmp_path)
    assert second.returncode == 1 and "Silvasoft requests: 0 spent" in second.stdout

    entries = log_lines(log)
    runs = list(dict.fromkeys(entry[2] for entry in entries))
    assert len(runs) == 2
    for run in runs:
        mine = [entry for entry in entries if entry[2] == run]
        assert {entry[1] for entry in mine} == {mine[0][1]}  # one pid
        assert (mine[0][3], mine[0][4], mine[0][5]) == ("info", "started", "relmap run routing.yaml (relmap 0.1.0)")
        assert mine[-1][3:5] == ("info", "finished") and mine[-1][5].startswith("exit 1 after ")
    first_run = [entry for entry in entries if entry[2] == runs[0]]
    relations = [entry[5] for entry in first_run if entry[4] == "relation"]
    assert len(relations) == EXPECTED_CREATED + 4
    assert "+ 10001  P. van der Berg  created (consumers → addprivaterelation, GUID 4000001)" in relations
    summary = [entry[5] for entry in first_run if entry[4] == "summary"]
    assert summary[0] == first.stdout.splitlines()[0]
    everything = first.stdout + first.stderr + second.stdout + second.stderr + log.read_text(encoding="utf-8")
    assert not [secret for secret in secrets_of(sandbox) if secret in everything]


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
    [["run"], ["run", "--dry-run"], ["run", "--dry-run", "--detailed-exitcode"], ["explain", "@", "10001"], ["check"]],
    ids=["run", "dry-run", "dry-run-detailed", "explain", "check"],
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


# The run log


def test_the_json_log_has_one_object_a_line_with_the_run_and_its_relations(
    sandbox: Sandbox, mapping: Callable[..., Path], run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = mapping()
    log = tmp_path / "sync.jsonl"
    result = run_cli("run", str(path), "-q", "--log-file", str(log), "--log-format", "json", cwd=tmp_path)
    assert result.code == 1
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert {(entry["pid"], entry["run"]) for entry in entries} == {(os.getpid(), entries[0]["run"])}
    assert [entry["event"] for entry in entries if entry["event"] != "relation"] == [
        "started",
        "summary",
        "summary",
        "summary",
        "summary",
        "finished",
    ]
    assert entries[0]["mapping"] == str(path) and entries[0]["mode"] == "incremental"
    relations = [entry for entry in entries if entry["event"] == "relation"]
    assert len(relations) == EXPECTED_CREATED + 4
    failed = [entry for entry in relations if entry["action"] == "failed"]
    assert {entry["debtor_number"] for entry in failed} == {"10005", "14233Aaa"}
    assert {entry["level"] for entry in failed} == {"error"}
    summary = next(entry for entry in entries if entry["event"] == "summary")
    assert summary["counts"]["created"] == EXPECTED_CREATED and summary["silvasoft_requests"] == EXPECTED_CREATED + 1
    assert entries[-1]["exit_code"] == 1 and entries[-1]["message"].startswith("exit 1 after ")
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d", entry["time"]) for entry in entries)


def test_a_fatal_error_is_logged_on_its_way_out_without_the_key(
    sandbox: Sandbox,
    mapping: Callable[..., Path],
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SILVASOFT_API_KEY", WRONG_KEY)
    path, log = mapping(), tmp_path / "sync.log"
    result = run_cli("run", str(path), "-q", "--log-file", str(log), cwd=tmp_path)
    assert result.code == 2
    message = (
        "Silvasoft: GET listrelations/: HTTP 401: Invalid authentication credentials (check SILVASOFT_USERNAME / the "
        "API key variable)"
    )
    assert result.err == f"relmap: error: {message}\n"
    entries = log_lines(log)
    assert [(entry[3], entry[4]) for entry in entries] == [
        ("info", "started"),
        ("info", "summary"),
        ("error", None),
        ("info", "finished"),
    ]
    assert entries[2][5] == message
    assert entries[3][5].startswith("exit 2 after ")
    assert WRONG_KEY not in log.read_text(encoding="utf-8") + result.out + result.err


def test_a_refused_mapping_or_misused_options_are_logged_too(
    mapping: Callable[..., Path], run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path, log = mapping(), tmp_path / "sync.log"
    result = run_cli("run", str(path), "--log-file", str(log), "--out", "plan.json", cwd=tmp_path)
    assert result.code == 2
    text = "--out goes with --dry-run (a run that writes prints its summary and --report)"
    assert result.err == f"relmap run: error: {text}\n"
    assert [(entry[3], entry[4], entry[5]) for entry in log_lines(log)][1] == ("error", None, text)
    broken = tmp_path / "broken.yaml"
    broken.write_text("relmap: 1\nsource: {}\n", encoding="utf-8")
    run_cli("run", str(broken), "--log-file", str(log), cwd=tmp_path)
    last = log_lines(log)[-2:]
    assert last[0][3:] == ("error", None, f"{broken}: the mapping has errors (relmap validate {broken} lists them)")
    assert last[1][5].startswith("exit 2 after ")


def test_a_log_file_that_cannot_be_opened_stops_the_run_before_any_request(
    sandbox: Sandbox, mapping: Callable[..., Path], run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = mapping()
    missing = tmp_path / "no-such-folder" / "sync.log"
    result = run_cli("run", str(path), "--log-file", str(missing), cwd=tmp_path)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"relmap run: error: --log-file {missing}: cannot append to it: the folder {missing.parent} does not exist\n"
    )
    folder = run_cli("run", str(path), "--log-file", str(tmp_path), cwd=tmp_path)
    assert folder.err == (
        f"relmap run: error: --log-file {tmp_path}: cannot append to it: it is a folder; give --log-file the name of "
        "a file\n"
    )
    assert sandbox.silvasoft.count() == 0 and sandbox.outsmart.count() == 0
    alone = run_cli("run", str(path), "--log-format", "json", cwd=tmp_path)
    assert (alone.code, alone.err) == (2, "relmap run: error: --log-format goes with --log-file FILE\n")


def test_the_log_masks_personal_data_with_mask_pii_and_escapes_control_characters(
    sandbox: Sandbox, mapping: Callable[..., Path], run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    sandbox.outsmart.edit("10002", name="Evil\x1b[2J\u202eCorp B.V.")
    path, plain, masked = mapping(), tmp_path / "plain.log", tmp_path / "masked.log"
    run_cli("run", str(path), "-q", "--log-file", str(plain), "--dry-run", cwd=tmp_path)
    run_cli("run", str(path), "-q", "--log-file", str(plain), cwd=tmp_path)
    text = plain.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\u202e" not in text
    assert "+ 10002  Evil\\u001b[2J\\u202eCorp B.V.  created" in text
    assert [line.split(" ", 4)[3] for line in text.splitlines()][:3] == ["info", "info", "info"]
    sandbox.outsmart.edit("10001", city="Hilversum")
    run_cli("run", str(path), "-q", "--mask-pii", "--log-file", str(masked), cwd=tmp_path)
    hidden = masked.read_text(encoding="utf-8")
    assert "~ 10001  •••  updated" in hidden
    assert "P. van der Berg" not in hidden and "fam.jansen@ziggo.nl" not in hidden and "Ömer" not in hidden


def test_the_log_follows_logrotate_in_create_and_copytruncate_modes(tmp_path: Path) -> None:
    path = tmp_path / "sync.log"
    log = RunLog(str(path), "text", io.StringIO())
    log.start("relmap run m.yaml", "m.yaml", "incremental")
    path.rename(tmp_path / "sync.log.1")  # logrotate's create: rename, and a new file at the path
    log.warning("after create")
    assert path.read_text(encoding="utf-8").endswith("warning: after create\n")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1
    shutil.copy(path, tmp_path / "sync.log.2")  # copytruncate: copy, then truncate the same file in place
    with path.open("r+") as handle:
        handle.truncate(0)
    log.warning("after copytruncate")
    data = path.read_bytes()
    assert b"\0" not in data and data.endswith(b"warning: after copytruncate\n") and data.count(b"\n") == 1
    assert stat_mode(path) == 0o600


def test_a_log_that_stops_working_is_said_once_and_the_run_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    err = io.StringIO()
    log = RunLog(str(folder / "sync.log"), "json", err)
    log.start("relmap run m.yaml", "m.yaml", "incremental")
    shutil.rmtree(folder)
    log.warning("one")
    log.warning("two")
    assert err.getvalue() == (
        f"relmap: warning: --log-file {folder / 'sync.log'}: cannot write to it: No such file or directory; the run "
        "goes on without its log\n"
    )


def test_the_log_masks_the_secrets_of_the_environment_and_of_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-in-environment")
    path = tmp_path / "sync.log"
    log = RunLog(str(path), "text", io.StringIO())
    log.protect(lambda text: text.replace("from-the-settings", "***"))
    log.error("tok-in-environment and from-the-settings and ?token=abc&software_token=def")
    assert path.read_text(encoding="utf-8").endswith("error: *** and *** and ?token=***&software_token=***\n")


# run's options for a part of the relations


def test_only_and_limit_sync_part_of_the_relations(
    sandbox: Sandbox, mapping: Callable[..., Path], run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = mapping()
    limited = run_cli("run", str(path), "-q", "--limit", "2", cwd=tmp_path)
    assert len(sandbox.silvasoft.relations()) == 2, limited.out
    only = run_cli("run", str(path), "-q", "--only", "10003", "10004", "--only", "10006", cwd=tmp_path)
    numbers = {relation["CustomerNumber"] for relation in sandbox.silvasoft.relations()}
    assert len(numbers) == 5 and {10003, 10004, 10006} <= numbers, only.out
    retried = run_cli("run", str(path), "-q", "--retry-failed", cwd=tmp_path)
    assert retried.code == 1 and len(sandbox.silvasoft.relations()) == EXPECTED_CREATED, retried.err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--dry-run", "--only", "10001"],
            "--only goes with a run that writes; the plan of --dry-run covers every relation read",
        ),
        (
            ["--dry-run", "--limit", "3"],
            "--limit goes with a run that writes; the plan of --dry-run covers every relation read",
        ),
        (["--plan", "plan.json", "--retry-failed"], "--plan applies exactly the saved plan; leave out --retry-failed"),
    ],
)
def test_only_limit_and_retry_failed_are_refused_where_they_mean_nothing(
    mapping: Callable[..., Path], run_cli: Callable[..., CliResult], tmp_path: Path, extra: list[str], message: str
) -> None:
    result = run_cli("run", str(mapping()), *extra, cwd=tmp_path)
    assert (result.code, result.err) == (2, f"relmap run: error: {message}\n")


def test_limit_must_be_a_positive_number(mapping: Callable[..., Path], run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("run", str(mapping()), "--limit", "0")
    assert result.code == 2
