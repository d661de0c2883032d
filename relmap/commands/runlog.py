"""``relmap run --log-file FILE``: each run appends its events to FILE, so every hourly run leaves a trace.

The file is opened for each line (O_APPEND) and closed at once: logrotate may rename the file (``create``) or copy
and truncate it (``copytruncate``) between two lines, and the next line still goes to the end of the file at the
path. One ``write`` per line keeps the lines of two runs (an overlapping run refused by the lock) from mixing.

Events: started (the command), relation (each relation's outcome, the progress line's text, masked with
--mask-pii), warning, summary, error (a fatal error, also on the way out of an exception) and finished (the exit
code). Every message is redacted: the secrets of the environment and of the env file, then those of the settings.
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from relmap.errors import RelmapError
from relmap.report.log import Entry, Level, line
from relmap.report.terminal import escape
from relmap.secrets import secret_values

if TYPE_CHECKING:
    from relmap.commands.progress import ClosingProgress
    from relmap.sync.apply import Outcome
    from relmap.sync.results import RunResult

Redact = Callable[[str], str]
FILE_MODE = 0o600  # a new log holds relation names and e-mail addresses (unless --mask-pii): its owner's only


class RunLog:
    """The events of one run; without a path it keeps nothing. ``err``: where a log that stops working is said."""

    def __init__(self, path: str | None, format: str, err: TextIO, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.format = format
        self.err = err
        self.clock = clock
        self.run = secrets.token_hex(4)  # tells the lines of one run apart in a file many runs append to
        self.pid = os.getpid()
        self.started = clock()
        from relmap.http import Redactor  # here: validate's start-up, which imports this module, needs no requests

        # Until the settings are resolved, whatever the environment holds under a secret's name is masked.
        self._redactors: list[Redact] = [Redactor(secret_values(os.environ))]
        self._broken = False

    def protect(self, redact: Redact) -> None:
        """Mask what ``redact`` masks too, in every line from now on (the settings' secrets, once resolved)."""
        self._redactors.append(redact)

    def start(self, command: str, mapping: str, mode: str) -> None:
        """The first line; a file that cannot be appended to is a RelmapError, before anything is read or sent."""
        if self.path is None:
            return
        from relmap import __version__

        entry = self._entry("info", "started", f"{command} (relmap {__version__})", mapping=mapping, mode=mode)
        try:
            self._append(entry)
        except OSError as exc:
            raise RelmapError(f"--log-file {self.path}: cannot append to it: {_reason(self.path, exc)}") from None

    def relation(self, outcome: Outcome, mask_pii: bool) -> None:
        from relmap.report.mask import mask_outcome
        from relmap.report.sync import line as progress_line

        shown = mask_outcome(outcome) if mask_pii else outcome
        level: Level = "error" if shown.action == "failed" else "warning" if shown.action == "pending" else "info"
        fields = shown.as_dict()
        if fields["error"]:
            fields["error"] = self.redact(fields["error"])
        self.event(level, "relation", progress_line(shown), **fields)

    def warning(self, text: str) -> None:
        self.event("warning", "warning", text)

    def summary(self, result: RunResult, mask_pii: bool) -> None:
        """The summary as stdout has it, a line an event; the first carries the counts for a shipper."""
        from relmap.report.sync import ACTIONS, summary_text

        fields = {
            "counts": {action: result.counts()[action] for action in ACTIONS},
            "silvasoft_requests": result.silvasoft_requests,
            "budget_left": result.budget_left,
            "per_hour": result.per_hour,
            "full": result.full,
            "stopped": result.stopped,
        }
        lines = [text.strip() for text in summary_text(result, mask_pii=mask_pii).splitlines() if text.strip()]
        for index, text in enumerate(lines):
            self.event("info", "summary", text, **(fields if index == 0 else {}))

    def error(self, text: str) -> None:
        self.event("error", "error", text)

    def exception(self, exc: BaseException, args: argparse.Namespace) -> int:
        """Log an exception on its way out of the run; the exit code relmap.cli will give it."""
        from relmap.commands.crash import unexpected
        from relmap.exits import EXIT_FATAL, EXIT_OK

        if isinstance(exc, RelmapError):
            self.error(str(exc))
            return EXIT_FATAL
        if isinstance(exc, KeyboardInterrupt):
            self.error("interrupted")
            return 130
        if isinstance(exc, BrokenPipeError):
            self.warning("the output was closed before the run ended (its reader stopped)")
            return EXIT_OK
        self.error(unexpected(exc, args).removeprefix("relmap: error: "))
        return EXIT_FATAL

    def warner(self) -> Callable[[str], None]:
        """A warning for stderr and for the log."""

        def warn(text: str) -> None:
            self.err.write(f"relmap: warning: {escape(text)}\n")
            self.warning(text)

        return warn

    def finish(self, code: int) -> None:
        seconds = self.clock() - self.started
        self.event("info", "finished", f"exit {code} after {seconds:.1f} s", exit_code=code, seconds=round(seconds, 3))

    def event(self, level: Level, event: str, message: str, **fields: Any) -> None:
        if self.path is None or self._broken:
            return
        try:
            self._append(self._entry(level, event, message, **fields))
        except OSError as exc:
            # The sync matters more than its trace: say it once, and go on without the log.
            self._broken = True
            self.err.write(
                f"relmap: warning: --log-file {escape(self.path)}: cannot write to it: {exc.strerror}; the run goes "
                "on without its log\n"
            )

    def redact(self, text: str) -> str:
        for redact in self._redactors:
            text = redact(text)
        return text

    def _entry(self, level: Level, event: str, message: str, **fields: Any) -> Entry:
        return Entry(self.clock(), self.pid, self.run, level, event, self.redact(message), fields)

    def _append(self, entry: Entry) -> None:
        data = line(entry, self.format).encode("utf-8", "backslashreplace")  # a lone surrogate: its JSON escape
        assert self.path is not None
        handle = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            os.write(handle, data)
        finally:
            os.close(handle)


def _reason(path: str, exc: OSError) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if isinstance(exc, FileNotFoundError) and not os.path.isdir(folder):
        return f"the folder {folder} does not exist"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder; give --log-file the name of a file"
    return str(exc.strerror)


class LoggedProgress:
    """Progress that also logs each relation's outcome as it happens: a run killed half-way leaves its lines."""

    def __init__(self, inner: ClosingProgress, log: RunLog, mask_pii: bool) -> None:
        self.inner = inner
        self.log = log
        self.mask_pii = mask_pii

    def phase(self, text: str) -> None:
        self.inner.phase(text)

    def start(self, total: int) -> None:
        self.inner.start(total)

    def advance(self, outcome: Outcome) -> None:
        self.log.relation(outcome, self.mask_pii)
        self.inner.advance(outcome)

    def close(self) -> None:
        self.inner.close()


def mode_of(args: argparse.Namespace) -> str:
    if args.dry_run:
        return "dry-run"
    if args.plan:
        return "plan"
    return "full" if args.full else "incremental"


def log_of(args: argparse.Namespace, err: TextIO) -> RunLog:
    return RunLog(getattr(args, "log_file", None), getattr(args, "log_format", "text"), err)
