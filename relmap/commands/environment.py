"""Where a command's APIs are: the environment's settings, or (``--sandbox``) both emulators on 127.0.0.1."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from relmap.plan import Plan

if TYPE_CHECKING:
    from relmap.budget import Pace

SANDBOX_PACE = (20.0, 1200.0)  # per second, per minute: the emulators do not need Silvasoft's 2/s


@contextlib.contextmanager
def environment(
    args: argparse.Namespace, plan: Plan, err: TextIO
) -> Iterator[tuple[dict[str, str], Pace | None, Path]]:
    """The settings' environment; with --sandbox, both emulators running and the sandbox's own state."""
    from relmap.budget import Pace
    from relmap.state import default_path

    environ = dict(os.environ)
    state = getattr(args, "state", None)
    if not getattr(args, "sandbox", False):
        yield environ, None, Path(state) if state else default_path(args.mapping)
        return
    from relmap.sandbox import Sandbox

    state_path = Path(state) if state else default_path(args.mapping, sandbox=True)
    folder = state_path.with_suffix("")  # .relmap/<name>.sandbox/ holds the emulators' data
    if getattr(args, "sandbox_reset", False):
        shutil.rmtree(folder, ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{state_path}{suffix}").unlink(missing_ok=True)
    with Sandbox(folder=folder, requests_per_hour=plan.target.requests_per_hour) as sandbox:
        err.write(f"sandbox: emulated OutSmart and Silvasoft on 127.0.0.1, data in {folder}\n")
        environ.update(sandbox.credentials)
        environ["RELMAP_OUTSMART_URL"] = sandbox.outsmart_url
        environ["RELMAP_SILVASOFT_URL"] = sandbox.silvasoft_url
        yield environ, Pace(plan.target.requests_per_hour, *SANDBOX_PACE), state_path
