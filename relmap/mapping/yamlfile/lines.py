"""The lines of a YAML text as syntax.py beside it reads them (indentation, key, the rest), and mending them in place.

Every mending keeps each line where it was; only columns move, and Mended maps them back to the file's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from relmap.mapping.yamlfile.text import line_starts

_START = re.compile(r"(?P<indent> *)(?P<dashes>(?:- +)*)")
_KEY = re.compile(r"(?P<key>[^\s#{\[][^#]*?):(?:\s|$)")  # a key ends at the first colon followed by a space


@dataclass(frozen=True)
class Cause:
    """The likely mistake behind a syntax error; ``line`` and ``column`` are 1-based."""

    line: int
    column: int
    message: str
    hint: str | None = None
    repaired: str | None = None  # the whole text with the likely fix applied; None when no fix can be guessed
    code: str = "yaml-syntax"


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    text: str
    key_column: int  # 0-based column where the key (or the item, after "- ") starts
    key: str | None  # the key's text, when the line has "key:"
    rest: str  # what follows the key's colon

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip(" "))


class Lines:
    """The text as a list of lines, each read on demand."""

    def __init__(self, text: str) -> None:
        starts = line_starts(text)
        ends = [*starts[1:], len(text)]
        self.all = [text[a:b].rstrip("\r\n\x85\u2028\u2029") for a, b in zip(starts, ends, strict=True)]

    def get(self, number: int) -> Line | None:
        if not 1 <= number <= len(self.all):
            return None
        text = self.all[number - 1]
        start = _START.match(text)
        assert start is not None  # both parts of the pattern may be empty
        found = _KEY.match(text, start.end())
        key = found["key"].strip() if found else None
        rest = text[found.end() :] if found else ""
        return Line(number, text, start.end(), key, rest)

    def significant(self, number: int) -> bool:
        stripped = self.all[number - 1].strip() if 1 <= number <= len(self.all) else ""
        return bool(stripped) and not stripped.startswith("#")

    def before(self, number: int) -> Line | None:
        """The closest line above ``number`` that holds more than blanks and a comment."""
        for above in range(number - 1, 0, -1):
            if self.significant(above):
                return self.get(above)
        return None

    def with_line(self, number: int, new: str) -> str:
        changed = list(self.all)
        changed[number - 1] = new
        return "\n".join(changed) + "\n"

    def reindented(self, number: int, column: int) -> str:
        """The text with line ``number``, and the lines nested under it, moved to start at ``column``."""
        first = self.get(number)
        assert first is not None
        shift = column - first.indent
        changed = list(self.all)
        for index in range(number - 1, len(changed)):
            here = changed[index]
            indent = len(here) - len(here.lstrip(" "))
            if index > number - 1 and here.strip() and indent <= first.indent:
                break
            changed[index] = " " * max(indent + shift, 0) + here.lstrip(" ") if here.strip() else here
        return "\n".join(changed) + "\n"


class Mended:
    """Where a column of the mended text was in the original, so that what is found there is located in the file.

    Mending keeps every line where it was; only columns move (a tab became spaces, a colon or a quote came in).
    """

    def __init__(self, original: str, mended: str) -> None:
        self.blocks: dict[int, list[tuple[int, int, int]]] = {}
        for number, (was, now) in enumerate(zip(Lines(original).all, Lines(mended).all, strict=False), start=1):
            if was != now:
                matcher = SequenceMatcher(None, now, was, autojunk=False)
                self.blocks[number] = [(b.a, b.b, b.size) for b in matcher.get_matching_blocks()]

    def column(self, line: int, column: int) -> int:
        """The original column (1-based) of ``column`` on ``line``; text that mending put in maps to where it went."""
        blocks = self.blocks.get(line)
        if not blocks:
            return column
        index = column - 1
        for now, was, size in blocks:  # in order; the last is the empty block at both ends
            if index < now:
                return was + 1
            if index < now + size:
                return was + index - now + 1
        return blocks[-1][1] + 1
