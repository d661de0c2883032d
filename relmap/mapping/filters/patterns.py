"""Regular expressions written by mapping authors: the test ``matching`` and the filter ``regex_replace``.

A pattern comes from a mapping file, and an evaluation's time limit cannot stop a match running in C. So patterns
run on RE2 (google-re2): matching takes time linear in the text, with no backtracking to go catastrophic, and a
pattern's compiled size is capped; the pattern, the text and the result are capped in length too. RE2 has no
back-references or look-around, the constructs that backtracking needs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from relmap.errors import TransformError
from relmap.mapping.filters.values import MAX_VALUE, ArgumentError, flag, text

MAX_PATTERN = 500  # characters of one pattern
MAX_PROGRAM = 2 << 20  # bytes RE2 may use for one compiled pattern: a 10,000-character text then takes well under 1 s


class PatternError(ArgumentError):
    """A pattern or replacement in the mapping that cannot be used."""


# Control characters that a pattern or replacement holds only by mistake: inside a Jinja string "\1" is chr(1) and
# "\b" a backspace (write "\\1", "\\b"). Tab, line feed and carriage return may be meant.
_STRAY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _no_stray_control(text: str, what: str) -> None:
    found = _STRAY_CONTROL.search(text)
    if found is not None:
        raise PatternError(
            f"{what} {text!r} holds the control character {found.group()!r}, which is what a single backslash makes "
            'of \\1 or \\b inside a Jinja string: write the backslash twice ("\\\\1", "\\\\b")'
        )


def _pattern_text(pattern: Any) -> str:
    if not isinstance(pattern, str) or not pattern:
        raise PatternError(f"a regular expression must be a non-empty text, not {pattern!r}")
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"a regular expression of {len(pattern):,} characters is longer than {MAX_PATTERN} allowed")
    _no_stray_control(pattern, "regular expression")
    return pattern


@functools.lru_cache(maxsize=64)
def _compile(pattern: str, ignorecase: bool) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would write its own message to stderr; the error below says it
    options.max_mem = MAX_PROGRAM
    options.case_sensitive = not ignorecase
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(f"regular expression {pattern!r} cannot be used: {_explain(reason)}") from None


def _explain(reason: str) -> str:
    if "pattern too large" in reason:
        return "it is too large once compiled (simplify its repetitions)"
    back_reference = "invalid escape sequence: \\" in reason and reason[-1:].isdigit()
    if "invalid perl operator" in reason or back_reference:
        return f"{reason} (RE2 syntax: no look-ahead, look-behind or back-references such as \\1)"
    if "invalid repetition size" in reason:
        return f"{reason} (a repetition counts at most 1,000, nested repetitions included)"
    return reason


def compiled(pattern: Any, ignorecase: Any = False) -> Any:
    """The compiled pattern, or a PatternError that says what is wrong with it."""
    return _compile(_pattern_text(pattern), flag(ignorecase, "ignorecase"))


def _subject(value: Any) -> str | None:
    """The text a test matches, or ``None`` for a value a filter would not read (a list, 10,001 characters)."""
    try:
        return text(value)
    except TransformError:
        return None


def matching(value: Any, pattern: str, ignorecase: bool = False) -> bool:
    """Jinja test ``matching``: the whole value (stripped) matches ``pattern``: ``debtor_number is matching("[0-9]+")``.

    Any value gives True or False; only a pattern that cannot be used is an error (the mapping's, not the data's).
    """
    regex = compiled(pattern, ignorecase)
    subject = _subject(value)
    if subject is None:
        return False
    try:
        return regex.fullmatch(subject) is not None
    except UnicodeError:  # a lone surrogate cannot be given to RE2
        return False


_GROUP_REFERENCE = re.compile(r"\\(?:g<([^>]*)>|([0-9]{1,2})|(.?))", re.DOTALL)


def _check_replacement(replacement: Any, regex: Any, pattern: str) -> str:
    """The replacement, once every group it names exists in the pattern: a wrong one fails every record alike."""
    if not isinstance(replacement, str) or len(replacement) > MAX_VALUE:
        raise PatternError(f"a replacement must be a text of at most {MAX_VALUE:,} characters, not {replacement!r:.60}")
    _no_stray_control(replacement, "replacement")
    for found in _GROUP_REFERENCE.finditer(replacement):
        name, number, other = found.groups()
        if other == "":
            raise PatternError(f"replacement {replacement!r} ends in a lone backslash (write \\\\ for a backslash)")
        if number is not None and int(number) > regex.groups:
            raise PatternError(f"replacement {replacement!r} names group {number}, but {pattern!r} has {regex.groups}")
        if name is None:
            continue
        known = int(name) <= regex.groups if name.isdigit() else name in regex.groupindex
        if not known:
            raise PatternError(f"replacement {replacement!r} names group {name!r}, which {pattern!r} does not have")
    return replacement


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def _expander(replacement: str) -> Callable[[Any], str]:
    """The replacement as literal text and group references, put together for each match in Python: RE2's own
    ``expand`` turns characters outside ASCII into their UTF-8 bytes read as Latin-1 ("ö" → "Ã¶")."""
    parts: list[str | int | None] = []  # text, a group number, or a group name (kept as str below, tagged)
    names: dict[int, str] = {}
    at = 0
    for found in _GROUP_REFERENCE.finditer(replacement):
        parts.append(replacement[at : found.start()])
        name, number, other = found.groups()
        if number is not None or (name is not None and name.isdigit()):
            parts.append(int(number if number is not None else name))
        elif name is not None:
            names[len(parts)] = name
            parts.append(None)
        else:
            parts.append(_ESCAPES.get(other, "\\" + other))
        at = found.end()
    parts.append(replacement[at:])

    def expand(match: Any) -> str:
        pieces = []
        for index, part in enumerate(parts):
            if isinstance(part, str):
                pieces.append(part)
            else:
                group = match.group(part if part is not None else names[index])
                pieces.append(group or "")
        return "".join(pieces)

    return expand


def regex_replace(value: Any, pattern: str, replacement: str = "", count: int = 0, ignorecase: bool = False) -> str:
    """Every match of ``pattern`` in the value replaced by ``replacement`` (``\\1`` and ``\\g<name>`` insert groups);
    ``count`` > 0 replaces only the first ``count`` matches. The result is at most ``MAX_VALUE`` characters."""
    regex = compiled(pattern, ignorecase)
    replacement = _check_replacement(replacement, regex, pattern)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise PatternError(f"count= takes a whole number of 0 or more, not {count!r}")
    subject = text(value)
    if not subject:
        return ""
    made = [len(subject)]
    expanded = _expander(replacement)

    def expand(match: Any) -> str:
        piece = expanded(match)
        made[0] += len(piece) - (match.end() - match.start())
        if made[0] > MAX_VALUE:
            raise TransformError(f"regex_replace would make more than the {MAX_VALUE:,} characters a filter gives")
        return piece

    try:
        return str(regex.sub(expand, subject, count=count))
    except UnicodeEncodeError:
        raise TransformError("regex_replace cannot read a text with a lone surrogate") from None
