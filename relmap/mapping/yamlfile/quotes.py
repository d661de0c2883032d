"""Quotes and brackets a YAML text leaves open, or closes too early: found for syntax.py beside it, each a Cause.

An open quote is often noticed by PyYAML lines later, where the next quote closes it; the scanner's own tokens
(``yaml.scan``) say where that quoted text began.
"""

from __future__ import annotations

import yaml

from relmap.mapping.yamlfile.lines import Cause, Lines


def unclosed_quote(lines: Lines, number: int, column: int) -> Cause | None:
    found = lines.get(number)
    if found is None:
        return None
    quote = found.text[column - 1 : column]
    if quote not in ("'", '"'):
        return None
    inside = '\\"' if quote == '"' else "''"
    closed = found.text.rstrip() + quote
    return Cause(
        number,
        column,
        "this quote is never closed",
        f"end the value with {quote} on the same line (a {quote} inside the text is written {inside})",
        lines.with_line(number, closed),
    )


def quote_read_on(lines: Lines, number: int) -> Cause | None:
    """A quote its line never closes: YAML reads on to the next quote, lines later, and fails after it there."""
    text = "\n".join(lines.all[:number]) + "\n"
    last = None
    try:
        for token in yaml.scan(text, Loader=yaml.BaseLoader):
            if isinstance(token, yaml.ScalarToken) and token.style in ("'", '"'):
                last = token
    except yaml.YAMLError:
        pass  # the scan stops at the error; the quoted texts before it are what matters
    if last is None or last.start_mark.line == last.end_mark.line or last.end_mark.line + 1 < number - 1:
        return None
    return unclosed_quote(lines, last.start_mark.line + 1, last.start_mark.column + 1)


def after_quote(lines: Lines, number: int) -> Cause | None:
    """``key: "{{ city }}" | upper``: a quoted value with more text after its closing quote."""
    found = lines.get(number)
    value = found.rest.lstrip() if found is not None and found.key is not None else ""
    if not value or value[0] not in "'\"":
        return None
    assert found is not None
    end = _closing(value)
    after = value[end + 1 :].strip() if end is not None else ""
    if end is None or not after or after.startswith("#"):
        return None
    where = found.text.index(after, len(found.text) - len(value) + end + 1) + 1
    return Cause(number, where, "text after the closing quote", "put the whole value in one pair of quotes")


def _closing(value: str) -> int | None:
    """The index of the quote that closes the quoted text ``value`` starts with."""
    quote, index = value[0], 1
    while index < len(value):
        char = value[index]
        if quote == '"' and char == "\\":
            index += 2
            continue
        if char == quote:
            if quote == "'" and value[index + 1 : index + 2] == "'":
                index += 2
                continue
            return index
        index += 1
    return None


def open_bracket(lines: Lines, number: int) -> Cause | None:
    """The last [ or { above the end of the text that nothing closes."""
    for above in range(min(number, len(lines.all)), 0, -1):
        text = lines.all[above - 1]
        depth = 0
        for index in range(len(text) - 1, -1, -1):
            char = text[index]
            depth += {"]": 1, "}": 1, "[": -1, "{": -1}.get(char, 0)
            if depth < 0:
                return unclosed_bracket(lines, above, index + 1)
    return None


def unclosed_bracket(lines: Lines, number: int, column: int) -> Cause | None:
    found = lines.get(number)
    if found is None:
        return None
    bracket = found.text[column - 1 : column]
    closing = {"{": "}", "[": "]"}.get(bracket)
    if closing is None:
        return None
    unbalanced = found.text.count(bracket) > found.text.count(closing)
    return Cause(
        number,
        column,
        f"this {bracket} is never closed",
        f"close it with {closing} on the same line, or write its contents as indented lines",
        lines.with_line(number, found.text.rstrip() + closing) if unbalanced else None,
    )


def double_quoted(value: str) -> str:
    """``value`` as a double-quoted YAML scalar."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
