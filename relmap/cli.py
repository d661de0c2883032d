"""The command line: parses arguments, runs the command, and turns what escapes it into a message and an exit code.

The exit codes are relmap.exits'; the arguments are relmap.commands.arguments'; each command is a module of
relmap.commands. The arrows run one way: this module imports the commands, never the other way round.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

from relmap.exits import EXIT_BROKEN_PIPE, EXIT_FATAL, EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    from relmap.commands import arguments, crash

    try:
        args = arguments.build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return int(exc.code or 0)
    from relmap.commands import COMMANDS
    from relmap.errors import RelmapError

    # Whatever a command prints, no value of a secret variable gets out (a file given as input may be, say,
    # /proc/self/environ, whose text an error message would quote).
    out, err = _Masked.around(out), _Masked.around(err)
    try:
        code = COMMANDS[args.command](args, out, err)
        out.flush()  # a full disk behind standard output says so here, not as Python's complaint at exit
        return code
    except _OutputFailed as exc:
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        with contextlib.suppress(OSError):
            err.write(f"relmap: error: {exc}\n")
        return EXIT_FATAL
    except RelmapError as exc:
        from relmap.report.terminal import escape

        err.write(f"relmap: error: {escape(str(exc))}\n")  # messages quote relation data and API answers
        return EXIT_FATAL
    except KeyboardInterrupt:
        err.write("relmap: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (| head): not everything was written, as SIGPIPE would say
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_BROKEN_PIPE
    except crash.template_stop() as exc:  # a template's stop that landed outside every evaluation: a bug, said as one
        err.write(crash.unexpected(exc, args) + "\n")
        return EXIT_FATAL
    except Exception as exc:  # a bug in relmap: say so plainly, with what it was working on; RELMAP_DEBUG=1 raises
        if os.environ.get("RELMAP_DEBUG"):  # the traceback, for a bug report; still exit 2, never "not in step"
            import traceback

            traceback.print_exc(file=err)
            return EXIT_FATAL
        from relmap.report.terminal import escape

        err.write(escape(crash.unexpected(exc, args)) + "\n")
        return EXIT_FATAL


class _OutputFailed(Exception):
    """Standard output or standard error could not be written: not a bug, and nothing more can be said there."""


@contextlib.contextmanager
def _output_errors() -> Iterator[None]:
    """/dev/full, a full disk, a device error: the output cannot be had, said as such (a reader gone stays a
    BrokenPipeError, exit 141)."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _OutputFailed(f"cannot write the output: {exc.strerror or exc}") from None


class _Masked:
    """A text stream that masks the values of the environment's secret variables (relmap.secrets.secret_name)."""

    def __init__(self, stream: TextIO, redact: Callable[[str], str]) -> None:
        self.stream = stream
        self.redact = redact

    @classmethod
    def around(cls, stream: TextIO) -> TextIO:
        from relmap.secrets import secret_values  # not relmap.http: validate starts without loading requests

        secrets = sorted({v for v in secret_values(os.environ) if len(v) >= 3}, key=len, reverse=True)

        def redact(text: str) -> str:
            for secret in secrets:
                text = text.replace(secret, "***")
            return text

        return cls(stream, redact)  # type: ignore[return-value]

    def write(self, text: str) -> int:
        with _output_errors():
            return self.stream.write(self.redact(text))

    def flush(self) -> None:
        with _output_errors():
            self.stream.flush()

    def __getattr__(self, name: str) -> Any:  # flush, isatty, encoding, fileno ... as the stream has them
        return getattr(self.stream, name)
