"""``relmap sandbox serve``: run both API emulators until interrupted, printing the environment to use them."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import TextIO

from relmap.exits import EXIT_FATAL, EXIT_OK
from relmap.sandbox import Faults, Sandbox


def serve(args: argparse.Namespace, out: TextIO, err: TextIO, until: threading.Event | None = None) -> int:
    """Serve until Ctrl-C (or until ``until`` is set, for tests); the exports on ``out`` can be eval'ed."""
    sandbox = Sandbox(
        folder=Path(args.data) if args.data else None,
        requests_per_hour=args.requests_per_hour,
        outsmart_faults=_faults(args),
        silvasoft_faults=_faults(args),
        outsmart_port=args.outsmart_port,
        silvasoft_port=args.silvasoft_port,
        silvasoft_answer_form=getattr(args, "answer_form", "array"),
        silvasoft_empty_answer="" if getattr(args, "empty_answers", False) else None,
    )
    stop = until if until is not None else threading.Event()
    try:
        sandbox.start()
    except OSError as error:  # most likely a port that is taken
        sandbox.stop()
        err.write(f"relmap sandbox: cannot serve on 127.0.0.1: {error}\n")
        return EXIT_FATAL
    try:
        if args.reset:
            sandbox.reset()
        out.write(f"export RELMAP_OUTSMART_URL={sandbox.outsmart_url}\n")
        out.write(f"export RELMAP_SILVASOFT_URL={sandbox.silvasoft_url}\n")
        for name, value in sandbox.credentials.items():
            out.write(f"export {name}={value}\n")
        out.flush()
        err.write("relmap sandbox: serving; press Ctrl-C to stop\n")
        err.flush()
        while not stop.wait(0.2):  # a timed wait keeps Ctrl-C responsive on every platform
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return EXIT_OK


def _faults(args: argparse.Namespace) -> Faults:
    # One Faults per emulator: each keeps its own scripted queue and random sequence.
    return Faults(error_rate=args.error_rate, latency=args.latency, drop_rate=args.drop_rate)
