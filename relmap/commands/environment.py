"""Where a command's APIs are: the environment's settings, or (``--sandbox``) both emulators on 127.0.0.1.

The settings' environment is the process's, over the variables of an env file (``--env-file FILE``, else ``.env``
beside the mapping; envfile.py says why the environment wins). ``relmap run`` takes the state's lock before anything
else (``locked_environment``): before --sandbox-reset deletes a thing, and before the emulators load the folder
beside the state, so that an overlapping run changes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from relmap.errors import StateError
from relmap.mapping.compiled import CompiledMapping

if TYPE_CHECKING:
    from relmap.state.lock import StateLock
    from relmap.targets.budget import Pace

SANDBOX_PACE = (20.0, 1200.0)  # per second, per minute: the emulators do not need Silvasoft's 2/s
Warn = Callable[[str], None]


@contextlib.contextmanager
def environment(
    args: argparse.Namespace, plan: CompiledMapping, err: TextIO, warn: Warn | None = None
) -> Iterator[tuple[dict[str, str], Pace | None, Path]]:
    """The settings' environment; with --sandbox, both emulators running and the sandbox's own state (unlocked:
    for a command that only reads, such as explain or check). ``warn`` is told the env file's warnings (default:
    stderr)."""
    state_path = _state_path(args)
    with _apis(args, plan, err, state_path.with_suffix(""), warn) as (environ, pace):
        yield environ, pace, state_path


@contextlib.contextmanager
def locked_environment(
    args: argparse.Namespace, plan: CompiledMapping, err: TextIO, command: str, warn: Warn | None = None
) -> Iterator[tuple[dict[str, str], Pace | None, StateLock]]:
    """As environment(), holding the state's lock throughout; --sandbox-reset starts over under it. A dry run may
    hold the lock of a state it cannot write (``lock.read_only``)."""
    from relmap.state.lock import StateLock

    state_path = _state_path(args)
    reset = getattr(args, "sandbox", False) and getattr(args, "sandbox_reset", False)
    try:
        lock = StateLock(state_path, command, may_read_only=bool(getattr(args, "dry_run", False)))
    except StateError as exc:
        if reset:
            raise StateError(f"{exc}; --sandbox-reset deleted nothing") from None
        raise
    with lock:
        # The emulators' data belongs to the state file itself, whatever name the state was given by.
        same = Path(os.path.abspath(state_path)) == lock.real
        folder = (state_path if same else lock.real).with_suffix("")
        if reset:
            lock.remove_state()
            shutil.rmtree(folder, ignore_errors=True)
        with _apis(args, plan, err, folder, warn) as (environ, pace):
            yield environ, pace, lock


def settings_environ(args: argparse.Namespace, warn: Warn) -> dict[str, str]:
    """The process's environment over the env file's variables (a ConfigError for a file relmap will not read)."""
    from relmap import envfile

    path = envfile.find(args.mapping, getattr(args, "env_file", None))
    if path is None:
        return dict(os.environ)
    loaded = envfile.load(path)
    environ, shadowed = envfile.merged(os.environ, loaded)
    for warning in (*loaded.warnings, *shadowed):
        warn(warning)
    return environ


def env_file_used(args: argparse.Namespace) -> str | None:
    """The env file settings_environ reads, to be named in what a command reports."""
    from relmap import envfile

    return envfile.find(args.mapping, getattr(args, "env_file", None))


def _state_path(args: argparse.Namespace) -> Path:
    from relmap.state.store import default_path

    state = getattr(args, "state", None)
    return Path(state) if state else default_path(args.mapping, sandbox=getattr(args, "sandbox", False))


@contextlib.contextmanager
def _apis(
    args: argparse.Namespace, plan: CompiledMapping, err: TextIO, folder: Path, warn: Warn | None
) -> Iterator[tuple[dict[str, str], Pace | None]]:
    from relmap.report.terminal import escape
    from relmap.targets.budget import Pace

    # With --sandbox the file is read (and its permissions checked) all the same; the emulators' settings win.
    def to_stderr(text: str) -> None:
        err.write(f"relmap: warning: {escape(text)}\n")

    environ = settings_environ(args, warn or to_stderr)
    if not getattr(args, "sandbox", False):
        yield environ, None
        return
    from relmap.sandbox import Sandbox

    with Sandbox(folder=folder, requests_per_hour=plan.target.requests_per_hour) as sandbox:
        err.write(f"sandbox: emulated OutSmart and Silvasoft on 127.0.0.1, data in {folder}\n")
        environ.update(sandbox.credentials)
        environ["RELMAP_OUTSMART_URL"] = sandbox.outsmart_url
        environ["RELMAP_SILVASOFT_URL"] = sandbox.silvasoft_url
        environ["RELMAP_LEDGER_DIR"] = str(folder.resolve())  # the emulated account: --sandbox-reset clears it
        yield environ, Pace(plan.target.requests_per_hour, *SANDBOX_PACE)
