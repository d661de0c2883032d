"""Bytes → text PyYAML can read, or located errors saying why not: the loader's first step.

Kept apart from the loader because it works on characters, not on YAML: decoding UTF-8 (and saying where it stops
being UTF-8), the characters YAML refuses, byte-order marks after the start, and line/column arithmetic that counts
line breaks exactly as PyYAML does, so that these positions agree with those of every later diagnostic.
"""

from __future__ import annotations

import bisect
import re

from yaml.reader import Reader

from relmap.errors import DiagnosticSink, Location

_MAX_SHOWN = 20  # bad characters reported one by one; after that, one line for the rest
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_BOM = "\ufeff"
_NAMES = {0x0B: "vertical tab", 0x0C: "form feed", 0x1B: "escape", 0x7F: "delete"}


def decode(raw: bytes, name: str, sink: DiagnosticSink) -> str | None:
    """The file as text, or None after saying where it stops being UTF-8 (or that it is not text at all)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        start, reason = exc.start, exc.reason
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        sink.error(Location(name, 1, 1), "the file is UTF-16 text, not UTF-8", "file-encoding", "save it as UTF-8")
    elif b"\0" in raw[:start]:
        sink.error(Location(name, 1, 1), "this is not a text file (it holds NUL bytes)", "file-encoding")
    else:
        good = raw[:start].decode("utf-8")
        line, column = position(good, len(good))
        message = f"not UTF-8 text: byte 0x{raw[start]:02x} ({reason})"
        sink.error(Location(name, line, column), message, "file-encoding", "save the file as UTF-8")
    return None


def readable(text: str, name: str, sink: DiagnosticSink) -> str | None:
    """``text`` as PyYAML may read it, or None when it is not text at all.

    Characters YAML refuses, and byte-order marks after the start, are errors. They are replaced by a space (a BOM
    is dropped: PyYAML does not count it as a column) so that positions stay put and the rest is still checked.
    """
    if "\0" in text:
        line, column = position(text, text.index("\0"))
        sink.error(Location(name, line, column), "this is not a text file (it holds NUL characters)", "yaml-character")
        return None
    found = [m.start() for m in Reader.NON_PRINTABLE.finditer(text)]
    found += [m.start() for m in re.finditer(_BOM, text) if m.start() > 0]
    if not found:
        return text
    starts = line_starts(text)
    for count, index in enumerate(sorted(found)):
        where = Location(name, *position(text, index, starts))
        if count == _MAX_SHOWN:
            sink.error(where, f"and {len(found) - count} more characters YAML does not allow", "yaml-character")
            break
        sink.error(where, *_refused(text[index]))
    cleaned = Reader.NON_PRINTABLE.sub(" ", text)
    return cleaned[:1] + cleaned[1:].replace(_BOM, "")


def _refused(char: str) -> tuple[str, str, str]:
    if char == _BOM:
        return (
            "a byte-order mark (U+FEFF) in the middle of the file",
            "yaml-character",
            "remove it: it is invisible, and would become part of the text next to it",
        )
    code = ord(char)
    name = _NAMES.get(code, "control character" if code < 0xA0 else "character")
    escape = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return f"the {name} U+{code:04X} is not allowed in YAML", "yaml-character", f'remove it, or write "{escape}"'


def line_starts(text: str) -> list[int]:
    """The offset at which each line of ``text`` starts, counting line breaks as PyYAML does."""
    return [0] + [m.end() for m in _BREAK.finditer(text)]


def position(text: str, index: int, starts: list[int] | None = None) -> tuple[int, int]:
    """The 1-based line and column of ``text[index]``; ``starts`` is ``line_starts(text)`` when already known."""
    starts = starts if starts is not None else line_starts(text[:index])
    line = bisect.bisect_right(starts, index)
    return line, index - starts[line - 1] + 1


def shown(text: str, limit: int = 60) -> str:
    r"""User text as a message shows it: cut when long, so that one diagnostic stays one readable line, and with
    control characters escaped, so that a ``"\e[2J"`` in a mapping cannot clear the terminal that shows it."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
