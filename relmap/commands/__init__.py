"""One module per command; each takes parsed arguments and two streams, and returns the exit code."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

from relmap.commands import info, render, validate

Command = Callable[[argparse.Namespace, TextIO, TextIO], int]

COMMANDS: dict[str, Command] = {
    "validate": validate.run,
    "render": render.run,
    "fields": info.fields,
    "init": info.init,
    "schema": info.schema,
}
