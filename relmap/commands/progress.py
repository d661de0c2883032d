"""Progress of a run on stderr: a rich progress bar on a terminal, one plain line per write otherwise.

Every text shown is escaped for the terminal (report.terminal: report.sync.line does it for the relation lines),
and rich is never asked to read markup in it: ``[bold]`` in a name or a phase is printed as it is.
"""

from __future__ import annotations

from typing import Protocol, TextIO

from relmap.report.sync import line
from relmap.report.terminal import escape
from relmap.sync.apply import Outcome
from relmap.sync.results import Silent

QUIET_ACTIONS = ("unchanged", "skipped")  # the lines that would drown the rest on a big re-run


class ClosingProgress(Protocol):
    def phase(self, text: str) -> None: ...
    def start(self, total: int) -> None: ...
    def advance(self, outcome: Outcome) -> None: ...
    def close(self) -> None: ...


class NoProgress(Silent):
    def close(self) -> None:
        pass


class LineProgress:
    """For cron and logs: a line per phase, and a line per relation that was written, failed or is pending."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def phase(self, text: str) -> None:
        self.stream.write(f"relmap: {escape(text)}\n")

    def start(self, total: int) -> None:
        self.stream.write(f"relmap: {total} relation{'s' * (total != 1)} to check\n")

    def advance(self, outcome: Outcome) -> None:
        if outcome.action not in QUIET_ACTIONS:
            self.stream.write(line(outcome) + "\n")
            self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


class RichProgress:
    """A progress bar with counts so far; written and failed relations print above it."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(file=stream)
        self.bar = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.bar.add_task("starting", total=None)
        self.bar.start()

    def phase(self, text: str) -> None:
        self.bar.update(self.task, description=escape(text))

    def start(self, total: int) -> None:
        self.bar.update(self.task, description="syncing", total=total, completed=0)

    def advance(self, outcome: Outcome) -> None:
        if outcome.action not in QUIET_ACTIONS:
            self.console.print(line(outcome), markup=False, highlight=False)
        self.bar.advance(self.task)

    def close(self) -> None:
        self.bar.stop()


class MaskedProgress:
    """``--mask-pii`` for the per-relation lines: names and personal values in messages become •••."""

    def __init__(self, inner: ClosingProgress) -> None:
        self.inner = inner

    def phase(self, text: str) -> None:
        self.inner.phase(text)

    def start(self, total: int) -> None:
        self.inner.start(total)

    def advance(self, outcome: Outcome) -> None:
        from relmap.report.mask import mask_outcome

        self.inner.advance(mask_outcome(outcome))

    def close(self) -> None:
        self.inner.close()
