"""One module per command; each takes parsed arguments and two streams, and returns the exit code."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

from relmap.commands import info, render, run, validate

Command = Callable[[argparse.Namespace, TextIO, TextIO], int]


def _sandbox(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from relmap.commands.sandbox import serve

    return serve(args, out, err)


def _test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from relmap.commands.testing import run as run_tests

    return run_tests(args, out, err)


def _explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from relmap.commands.explain import run as explain

    return explain(args, out, err)


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from relmap.commands.check import run as check

    return check(args, out, err)


def _status(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from relmap.commands.status import run as status

    return status(args, out, err)


def _export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from relmap.commands.export import run as export

    return export(args, out, err)


def _completion(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from relmap.commands.completion import run as completion

    return completion(args, out, err)


def _init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from relmap.commands.starter import init

    return init(args, out, err)


def _schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from relmap.commands.starter import schema

    return schema(args, out, err)


COMMANDS: dict[str, Command] = {
    "validate": validate.run,
    "render": render.run,
    "run": run.run,
    "sandbox": _sandbox,
    "test": _test,
    "explain": _explain,
    "check": _check,
    "status": _status,
    "fields": info.fields,
    "init": _init,
    "schema": _schema,
    "export": _export,
    "completion": _completion,
}
