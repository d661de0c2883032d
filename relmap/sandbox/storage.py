"""Emulator state on disk: a snapshot file per emulator, plus a journal of the writes made since it was saved.

Rewriting the whole snapshot after every write made a sync of N relations cost N² (a 100,000-relation first sync
would rewrite a file of up to 100,000 relations 100,000 times). So a write is appended to the journal (one JSON
line, written before the emulator answers, as the snapshot used to be) and the snapshot is saved again only once
the journal holds more entries than half the records, or when the emulator closes: each write then costs a few
records' worth of encoding. The snapshot is still replaced atomically, so a crash never leaves half a file; a line
the crash cut short in the journal is a write that was never answered, and is ignored.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_SCALARS = (dict, str, int, float, bool, type(None))


class JsonText(str):
    """An item that is JSON text already (an emulator keeps its records encoded): written as it is."""


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as one JSON object; a member that is a list (or any iterable) gets one item per line, so
    a snapshot of many records is written as it is encoded, never held as one string."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write("{")
            for number, (key, value) in enumerate(data.items()):
                stream.write(("," if number else "") + f"\n {json.dumps(key)}: ")
                if isinstance(value, _SCALARS):
                    stream.write(_dumps(value))
                else:
                    _write_items(stream, value)
            stream.write("\n}\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_items(stream: Any, items: Iterable[Any]) -> None:
    stream.write("[")
    for number, item in enumerate(items):
        stream.write(("," if number else "") + "\n  " + (item if isinstance(item, JsonText) else _dumps(item)))
    stream.write("\n ]")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def read_json(path: Path) -> Any:
    """The decoded file, or None when it does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return json.loads(text)


class Store:
    """The snapshot at ``path`` and its journal beside it (``NAME.journal``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal = path.with_suffix(".journal")
        self.pending = 0  # entries in the journal

    def load(self) -> tuple[Any, list[Any]]:
        """The snapshot (None if there is none) and the journal's entries, oldest first."""
        saved = read_json(self.path)
        try:
            lines = self.journal.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
        entries = []
        for number, line in enumerate(lines, 1):
            try:
                entries.append(json.loads(line))
            except ValueError:
                if number < len(lines):
                    raise
        self.pending = len(entries)
        return saved, entries

    def due(self, new: int, records: int) -> bool:
        """Whether saving the snapshot is due rather than journaling ``new`` entries (``records`` in it)."""
        return self.pending + new > records // 2

    def save(self, snapshot: dict[str, Any]) -> None:
        write_json_atomic(self.path, snapshot)
        self.journal.unlink(missing_ok=True)
        self.pending = 0

    def append(self, entries: Iterable[Any]) -> None:
        lines = [_dumps(entry) + "\n" for entry in entries]
        with open(self.journal, "a", encoding="utf-8") as stream:
            stream.write("".join(lines))
        self.pending += len(lines)
