"""Making relation data safe to print: the characters a terminal would act on, or that would reorder a line.

Relation data (names, remarks, error messages quoting values) and names from a mapping reach text output: the
``render`` and ``explain`` text, the ``run`` progress lines and summary, the dry-run terminal plan, ``validate``
diagnostics. An ESC there starts a terminal escape sequence, a CR or BEL rewrites or rings the line, a bidi
override reverses what follows, a line or paragraph separator breaks the line, and a lone surrogate cannot be
encoded at all (printing it fails). :func:`escape` writes each of those as a JSON-style escape (``\\u001b``,
``\\u202e``, ``\\n``), which is also valid inside the JSON that the text output shows; ordinary printable Unicode
(é, ß, 中文) is kept as it is.

JSON, Markdown and HTML output escape in their own way (json.dumps, plan_values.visible, html.escape).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# C0 controls and DEL, C1 controls, the Arabic letter mark, LRM/RLM, the line and paragraph separators, the bidi
# embeddings and overrides (U+202A-U+202E), the bidi isolates (U+2066-U+2069) and lone surrogates.
UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(text: str) -> str:
    """``text`` with every unsafe character as an escape: ``"a\\x1b[2Jb"`` → ``a\\u001b[2Jb``."""
    if not UNSAFE.search(text):
        return text  # the common case: nothing to do, no new string
    return UNSAFE.sub(_escaped, text)


def text_lines(lines: Iterable[str]) -> str:
    """Lines, each escaped and ended by a line break: a line break inside one of them is data, and shows as ``\\n``."""
    return "".join(escape(line) + "\n" for line in lines)


def text_block(text: str) -> str:
    """Text already laid out in lines: every unsafe character escaped except the line breaks themselves."""
    return "\n".join(escape(line) for line in text.split("\n"))


def _escaped(match: re.Match[str]) -> str:
    char = match[0]
    return _NAMED.get(char) or f"\\u{ord(char):04x}"
