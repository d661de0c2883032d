"""``relmap completion bash|zsh``: the shell completion script, made by shtab from relmap's own parser.

Arguments that name files (MAPPING, FILE, PATH, ...) complete as paths, folders (DIR) as folders; the rest offer
their choices. Nothing is installed: the script goes to standard output (README: "Shell completion").
"""

from __future__ import annotations

import argparse
from typing import TextIO

from relmap.commands.arguments import build_parser
from relmap.exits import EXIT_OK

FILE_METAVARS = frozenset({"MAPPING", "FILE", "PATH", "PLAN"})
DIR_METAVARS = frozenset({"DIR"})


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import shtab

    parser = build_parser()
    _mark_paths(parser, shtab.FILE, shtab.DIRECTORY)
    out.write(shtab.complete(parser, shell=args.shell))
    return EXIT_OK


def _mark_paths(parser: argparse.ArgumentParser, files: object, folders: object) -> None:
    for action in parser._actions:
        if action.metavar in FILE_METAVARS:
            action.complete = files  # type: ignore[attr-defined]  # shtab reads this attribute
        elif action.metavar in DIR_METAVARS:
            action.complete = folders  # type: ignore[attr-defined]
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _mark_paths(sub, files, folders)
