"""The lines of ``relmap run --log-file``: one event a line, as plain text or as JSON lines, to grep or to ship.

Plain: ``2026-05-04T13:00:02.101+02:00 relmap[4242] run=9f3a61c2 info relation: + 10001  P. van der Berg  created``
(a warning or an error: ``... run=9f3a61c2 error: the message``).
JSON: ``{"time": ..., "pid": 4242, "run": "9f3a61c2", "level": "info", "event": "relation", "message": ..., ...}``
with the event's own fields after ``message``. The plain message is escaped (report.terminal), so that one event
stays one line whatever relation data holds; JSON escapes in its own way. The caller has redacted secrets already.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from relmap.report.terminal import escape

Level = Literal["info", "warning", "error"]
FORMATS = ("text", "json")


@dataclass(frozen=True)
class Entry:
    at: float
    pid: int
    run: str
    level: Level
    event: str  # started | relation | warning | summary | error | finished
    message: str
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def time(self) -> str:
        """Local time with its UTC offset: what an operator compares with cron's schedule, still unambiguous."""
        return datetime.fromtimestamp(self.at).astimezone().isoformat(timespec="milliseconds")


def text_line(entry: Entry) -> str:
    # A warning or an error event is said by its level alone: "warning: ...", not "warning warning: ...".
    label = entry.level if entry.event == entry.level else f"{entry.level} {entry.event}"
    return f"{entry.time} relmap[{entry.pid}] run={entry.run} {label}: {escape(entry.message)}\n"


def json_line(entry: Entry) -> str:
    record = {
        "time": entry.time,
        "pid": entry.pid,
        "run": entry.run,
        "level": entry.level,
        "event": entry.event,
        "message": entry.message,
    }
    record.update((key, value) for key, value in entry.fields.items() if key not in record)
    return json.dumps(record, ensure_ascii=False, default=str) + "\n"


def line(entry: Entry, format: str) -> str:
    return json_line(entry) if format == "json" else text_line(entry)
