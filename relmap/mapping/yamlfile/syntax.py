"""A YAML syntax error → its likely cause, at the line to mend, and the text as it would read with that mended.

PyYAML says what its parser met ("mapping values are not allowed here", "expected <block end>"), often a line after
the mistake. The usual mistakes are few: a tab, a key at the wrong depth, a missing colon or the space after it, a
colon inside a value, an unclosed quote or bracket, a value that starts with a character YAML reserves. Each is told
from the text around the error. Where the fix is clear enough to guess, ``repaired`` holds the text with it applied,
so that the loader can read on and report the rest of the file too (never to run it: a file with a syntax error
has an error, so it never becomes a CompiledMapping).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from relmap.mapping.yamlfile.lines import Cause, Line, Lines
from relmap.mapping.yamlfile.quotes import (
    after_quote,
    double_quoted,
    open_bracket,
    quote_read_on,
    unclosed_bracket,
    unclosed_quote,
)
from relmap.mapping.yamlfile.text import shown

_RESERVED = re.compile(r"found character '(?P<char>[%@`])' that cannot start any token")


def explain(text: str, error: yaml.MarkedYAMLError) -> Cause:
    """The likely cause of ``error`` in ``text``, or PyYAML's own words where none is recognised."""
    lines = Lines(text)
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = str(error.problem or error.context or "invalid YAML")
    context = str(error.context or "")
    for cause in _causes(lines, error, problem, context, line, column):
        if cause is not None:
            return cause
    return Cause(line, column, f"YAML syntax error: {problem}")


def _causes(
    lines: Lines, error: yaml.MarkedYAMLError, problem: str, context: str, line: int, column: int
) -> Iterator[Cause | None]:
    yield _tab(lines, line)
    yield _odd_space(lines, line)
    started = error.context_mark
    yield _unquoted_template(lines, started.line + 1 if started else line)
    if "quoted scalar" in context and started is not None:
        yield unclosed_quote(lines, started.line + 1, started.column + 1)
    yield quote_read_on(lines, line)
    if "flow" in context and started is not None:
        yield unclosed_bracket(lines, started.line + 1, started.column + 1)
    reserved = _RESERVED.search(problem)
    if reserved:
        yield _reserved(lines, line, column, reserved["char"])
    if problem.startswith("mapping values are not allowed"):
        yield _colon_in_value(lines, line, column)
        yield _continued(lines, lines.before(line))
    if problem.startswith("could not find expected ':'") and started is not None:
        yield _continued(lines, lines.get(started.line + 1))
    if "<stream end>" in problem or "end of stream" in problem:
        yield open_bracket(lines, line)
    yield after_quote(lines, line)
    if problem.startswith("expected <block end>"):
        yield _wrong_depth(lines, line)


def _tab(lines: Lines, number: int) -> Cause | None:
    found = lines.get(number)
    if found is None or "\t" not in found.text:
        return None
    column = found.text.index("\t")
    if not found.text.strip():
        return Cause(
            number,
            column + 1,
            "a tab on a blank line: YAML does not allow tabs",
            "remove it",
            lines.with_line(number, ""),
        )
    if not found.text[:column].strip(" -"):
        above = lines.before(number)
        opens = above is not None and above.key is not None and not above.rest.strip()
        indent = 0 if above is None else above.key_column + 2 * opens
        how = "one step deeper than" if opens else "as"
        return Cause(
            number,
            column + 1,
            "a tab in the indentation: YAML indents with spaces only",
            f"indent with spaces: probably {indent}, {how} the line above",
            lines.with_line(number, " " * indent + found.text.lstrip(" \t")),
        )
    mended = found.text.replace("\t", " ")
    return Cause(
        number,
        column + 1,
        "a tab character: YAML does not allow tabs here",
        "write a space instead",
        lines.with_line(number, mended),
    )


_ODD_SPACES = {
    "\u00a0": "a no-break space",
    "\u2007": "a figure space",
    "\u202f": "a narrow no-break space",
    "\u3000": "an ideographic space",
    "\ufeff": "a zero-width no-break space",
    "\u200b": "a zero-width space",
}


def _odd_space(lines: Lines, number: int) -> Cause | None:
    """A space that is not a space (pasted from a web page or a word processor) in the indentation of the line or
    one before it: YAML reads it as text, and the structure falls apart around it."""
    for at in range(number, max(number - 4, 0), -1):
        found = lines.get(at)
        if found is None:
            continue
        lead = found.text[: len(found.text) - len(found.text.lstrip(" \t" + "".join(_ODD_SPACES)))]
        odd = next((char for char in lead if char in _ODD_SPACES), None)
        if odd is not None:
            mended = lead.replace("\t", " ")
            for char in _ODD_SPACES:
                mended = mended.replace(char, " ")
            return Cause(
                at,
                lead.index(odd) + 1,
                f"{_ODD_SPACES[odd]} (U+{ord(odd):04X}) in the indentation: YAML indents with plain spaces only",
                "replace it with a plain space; such spaces come with text pasted from a web page or a document",
                lines.with_line(at, mended + found.text[len(lead) :]),
            )
    return None


def _unquoted_template(lines: Lines, number: int) -> Cause | None:
    found = lines.get(number)
    if found is None or found.key is None or not found.rest.lstrip().startswith(("{{", "{%")):
        return None
    where = len(found.text) - len(found.rest.lstrip())
    value = found.text[where:].rstrip()
    quoted = double_quoted(value)
    return Cause(
        number,
        where + 1,
        "a template must be in quotes: YAML reads { as the start of a mapping and % as a directive",
        f"write {found.key}: {shown(quoted)}",
        lines.with_line(number, found.text[:where] + quoted),
        "yaml-template",
    )


def _reserved(lines: Lines, number: int, column: int, char: str) -> Cause | None:
    found = lines.get(number)
    if found is None:
        return None
    value = found.text[column - 1 :].rstrip()
    quoted = double_quoted(value)
    return Cause(
        number,
        column,
        f"a value cannot start with {char} in YAML",
        f"put it in quotes: {shown(quoted)}",
        lines.with_line(number, found.text[: column - 1] + quoted),
    )


def _colon_in_value(lines: Lines, number: int, column: int) -> Cause | None:
    found = lines.get(number)
    if found is None or found.key is None or column - 1 <= found.key_column + len(found.key):
        return None
    value = found.text[len(found.text) - len(found.rest) :].strip()
    quoted = double_quoted(value)
    where = len(found.text) - len(found.rest.lstrip()) + 1
    return Cause(
        number,
        where,
        f"a ': ' inside the value of {found.key}: YAML reads it as another key",
        f"put the value in quotes: {found.key}: {quoted}",
        lines.with_line(number, found.text[: where - 1] + quoted),
    )


def _continued(lines: Lines, above: Line | None) -> Cause | None:
    """A line that YAML read on into the next one: it lacks its colon, the space after it, or the next is too deep."""
    if above is None:
        return None
    body = above.text[above.key_column :]
    if above.key is None:
        glued = re.match(r"(?P<key>[^\s:#]+):(?P<value>\S.*)", body)
        if glued:
            fixed = f"{glued['key']}: {glued['value']}"
            return Cause(
                above.number,
                above.key_column + len(glued["key"]) + 1,
                "no space after the colon: YAML needs one between a key and its value",
                f"write {fixed}",
                lines.with_line(above.number, above.text[: above.key_column] + fixed),
            )
        parts = body.split(None, 1)
        if not parts or parts[0].startswith(("#", "'", '"', "{", "[")):
            return None
        fixed = f"{parts[0]}: {parts[1]}" if len(parts) == 2 else f"{parts[0]}:"
        return Cause(
            above.number,
            above.key_column + len(parts[0]) + 1,
            f"'{parts[0]}' has no colon after it, so YAML reads this line and the next as one text",
            f"write {fixed}",
            lines.with_line(above.number, above.text[: above.key_column] + fixed),
        )
    below = lines.get(above.number + 1)
    while below is not None and not lines.significant(below.number):
        below = lines.get(below.number + 1)
    if below is None or below.key_column <= above.key_column or not above.rest.strip():
        return None
    name = below.key or below.text.strip()
    return Cause(
        below.number,
        below.key_column + 1,
        f"'{name}' is indented deeper than '{above.key}' above it, so YAML reads it as more of {above.key}'s value",
        f"line it up with '{above.key}' (column {above.key_column + 1})",
        lines.reindented(below.number, above.key_column),
    )


def _wrong_depth(lines: Lines, number: int) -> Cause | None:
    found = lines.get(number)
    if found is None:
        return None
    chain = _enclosing(lines, number)
    deeper = [c for c in chain if c.key_column > found.key_column]
    shallower = [c for c in chain if c.key_column < found.key_column]
    options = [c for c in (deeper[-1] if deeper else None, shallower[0] if shallower else None) if c is not None]
    if not options:
        return None
    name = found.key or found.text.strip()
    said = " or with ".join(f"'{c.key}' (column {c.key_column + 1})" for c in options)
    above = lines.before(number)
    near = (
        above is not None
        and abs(above.key_column - found.key_column) <= 1
        and above.key_column in {c.key_column for c in options}
    )
    target = (
        above.key_column
        if near and above
        else min(options, key=lambda c: (abs(c.key_column - found.key_column), c.key_column)).key_column
    )
    return Cause(
        number,
        found.key_column + 1,
        f"'{name}' is indented to column {found.key_column + 1}, the depth of no key above it",
        f"line it up with {said}",
        lines.reindented(number, target + (found.indent - found.key_column)),
    )


def _enclosing(lines: Lines, number: int) -> list[Line]:
    """The keys that enclose the line above ``number``, innermost first: the depths a key there can have."""
    chain: list[Line] = []
    here = lines.before(number)
    limit = None
    while here is not None:
        if here.key is not None and (limit is None or here.key_column < limit):
            chain.append(here)
            limit = here.key_column
        if limit == 0:
            break
        here = lines.before(here.number)
    return chain
