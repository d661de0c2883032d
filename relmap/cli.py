"""The command line: parses arguments, calls the library, prints, and picks the exit code (the only edge).

Exit codes: 0 success; 1 the mapping has errors (validate) or some records failed (render); 2 usage error or a
fatal problem (a mapping that does not compile, an input that cannot be read).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from relmap import __version__

EXIT_OK, EXIT_FAILED, EXIT_FATAL = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relmap", description="Keep Silvasoft relations in step with OutSmart, driven by a YAML mapping file."
    )
    parser.add_argument("--version", action="version", version=f"relmap {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser("validate", help="report every problem in mapping files")
    validate.add_argument("mappings", nargs="+", metavar="MAPPING")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument("--no-warnings", action="store_true", help="show errors only")

    render = commands.add_parser("render", help="show the Silvasoft payload each relation would become (offline)")
    render.add_argument("mapping", metavar="MAPPING")
    render.add_argument("--input", metavar="FILE", help="an OutSmart export (JSON, JSONL or CSV; - for stdin)")
    render.add_argument("--input-format", choices=("json", "jsonl", "csv"), help="default: from the file name")
    render.add_argument("--limit", type=_positive, metavar="N", help="render only the first N relations")
    render.add_argument("--format", choices=("text", "json", "jsonl"), default="text")

    fields = commands.add_parser("fields", help="list the fields and parameters validation checks against")
    fields.add_argument("api", choices=("outsmart", "silvasoft"))
    fields.add_argument("--endpoint", choices=("addprivaterelation", "addbusinessrelation"))
    fields.add_argument("--format", choices=("text", "json"), default="text")

    init = commands.add_parser("init", help="write a starter mapping")
    init.add_argument("path", nargs="?", default="relmap.yaml", metavar="PATH")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    commands.add_parser("schema", help="print the mapping JSON Schema")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return int(exc.code or 0)
    from relmap.commands import COMMANDS
    from relmap.errors import RelmapError

    try:
        return COMMANDS[args.command](args, out, err)
    except RelmapError as exc:
        err.write(f"relmap: error: {exc}\n")
        return EXIT_FATAL
    except KeyboardInterrupt:
        err.write("relmap: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
