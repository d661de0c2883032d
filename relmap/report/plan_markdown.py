"""A plan as GitHub-flavoured Markdown for a pull-request comment: summary and cost first, errors next, then a table
of changes with each relation's field diffs folded in ``<details>`` blocks; unchanged relations with nothing to
review are one counted line unless ``show_unchanged``.

All relation data is escaped: text as HTML character references (valid in Markdown and in the raw HTML of
``<details>``), values as code spans. Nothing in a name or value can end a table cell, start a link, emphasis, an
HTML tag or a mention.
"""

from __future__ import annotations

import re
from typing import Any

from relmap.report import plan_values as pv

LIMIT = 60_000  # characters; GitHub refuses comments over 65,536
LISTED = 100  # unchanged and skipped relations listed at most

# Characters with a meaning somewhere in GitHub Markdown inline text or in HTML. In text, ``@`` gets a word joiner
# after it so that a name like ``@org/team`` cannot mention anyone (GitHub finds mentions after rendering).
_SPECIAL = re.compile(r"[\\`*_\[\]<>#|~&$@]")
_BLOCK_START = re.compile(r"^(?:[-+=>]|\d+[.)])")  # would start a list or a quote at the start of a line
_REFERENCES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str, guard_mentions: bool = True) -> str:
    """Plain one-line text as literal Markdown: character references, valid in table cells and in raw HTML."""

    def reference(match: re.Match[str]) -> str:
        char = match[0]
        if char == "@":
            return "@\u2060" if guard_mentions else "@"
        return _REFERENCES.get(char) or f"&#{ord(char)};"

    return _SPECIAL.sub(reference, text)


def _item(text: str) -> str:
    """Escaped text that starts a list item: a leading ``-``, ``+``, ``>`` or ``1.`` stays literal."""
    match = _BLOCK_START.match(text)
    if match is None:
        return escape(text)
    lead = match[0]
    return f"{escape(lead[:-1])}&#{ord(lead[-1])};{escape(text[len(lead) :])}"


def code(text: str) -> str:
    """Text as ``<code>``: a table cell cannot end in it, and GitHub finds no mention or link in code."""
    return f"<code>{escape(text, guard_mentions=False)}</code>"


class _Room:
    """What is left of the comment's size; sections take whole lines while they fit."""

    def __init__(self, chars: int) -> None:
        self.left = chars

    def take(self, lines: list[str], force: bool = False) -> bool:
        size = sum(len(line) + 1 for line in lines)
        if size > self.left and not force:
            return False
        self.left -= size
        return True


def markdown(doc: dict[str, Any], limit: int = LIMIT, show_unchanged: bool = False) -> str:
    """The plan as Markdown for a pull-request comment, at most about ``limit`` characters.

    Summary, cost, coverage and warnings always appear; the tables and field diffs fill the rest in order of
    importance (errors, record warnings, changes, field diffs, unchanged, skipped), each saying how many rows it
    left out. Unchanged relations with nothing to review are one counted line unless ``show_unchanged``.
    """
    relations = doc["relations"]
    by_action = {a: [r for r in relations if r["action"] == a] for a in pv.ACTIONS}
    head = [
        f"### relmap plan for {escape(pv.visible(doc['mapping']['path']))}",
        "",
        f"**Plan:** {pv.summary_text(doc)}  ",
        f"**Cost:** {escape(pv.cost_text(doc))}",
        "",
        f"<sub>{escape(pv.sentence(pv.read_text(doc)))}. {escape(pv.provenance(doc))}</sub>",
        "",
        *_alerts(doc, by_action),
    ]
    tail = _coverage(doc["coverage"]) if doc["coverage"] is not None else []
    if doc["warnings"]:
        tail += ["#### Warnings", "", *[f"- {_item(pv.visible(w))}" for w in doc["warnings"]], ""]
    room = _Room(limit - 1000)  # 1,000 for the lines saying what was left out
    room.take(head + tail, force=True)
    body: list[str] = []
    if by_action["error"]:
        body += [f"#### Errors ({pv.count(len(by_action['error']))})", ""]
        rows = [_error_row(r) for r in by_action["error"]]
        body += _table(["", "Debtor", "Name", "Route → endpoint", "Error"], rows, room)
    warned = [(r, text) for r in relations for text in pv.warnings(r)]
    if warned:
        body += [f"#### Record warnings ({pv.count(len(warned))})", ""]
        rows = [[*_cells(r), escape(pv.where(r)), escape(text)] for r, text in warned]
        body += _table(["", "Debtor", "Name", "Route → endpoint", "Parameter left out"], rows, room)
    changed = [r for r in relations if r["action"] in pv.CHANGES]
    if changed:
        body += [f"#### Changes ({pv.count(len(changed))})", ""]
        rows = [_change_row(r) for r in changed]
        body += _table(["", "Debtor", "Name", "Action", "Route → endpoint", "Why"], rows, room)
    body += _details([r for r in relations if r["action"] not in ("skip", "error") and pv.notable(r)[0]], room)
    body += _unchanged(by_action["unchanged"], show_unchanged, room)
    body += _listing(
        pv.plural(len(by_action["skip"]), "skipped relation"),
        ["", "Debtor", "Name", "Route → endpoint", "Reason"],
        [_plain_row(r, pv.visible(r["reason"] or "")) for r in by_action["skip"]],
        room,
    )
    return "\n".join(head + body + tail).rstrip("\n") + "\n"


def _left_out(n: int, what: str) -> list[str]:
    return [f"… and {pv.count(n)} more {what}{'s' * (n != 1)}; the HTML report has them all.", ""]


def _alerts(doc: dict[str, Any], by_action: dict[str, list[dict[str, Any]]]) -> list[str]:
    out: list[str] = []
    errors = len(by_action["error"])
    if errors:
        out += ["> [!CAUTION]", f"> **{pv.plural(errors, 'relation')} cannot be synced**: see Errors below.", ""]
    warned = doc["summary"].get("record_warnings", 0)
    if warned:
        out += ["> [!WARNING]", f"> **{pv.plural(warned, 'record warning')}**: {pv.WARNED}.", ""]
    drift = doc["summary"]["drift"]
    if drift:
        out += [
            "> [!WARNING]",
            f"> {pv.plural(drift, 'relation')} changed in Silvasoft since the last sync (drift); see Parameters below.",
            "",
        ]
    if not doc["read"]["silvasoft_listed"]:
        out += ["> [!NOTE]", f"> {escape(pv.NOT_READ)}", ""]
    if doc["masked"]:
        out += ["> [!NOTE]", "> Personal data is masked (•••).", ""]
    return out


def _table(head: list[str], rows: list[list[str]], room: _Room | None = None, total: int | None = None) -> list[str]:
    """A table of ``rows`` (of ``total`` in all), while they fit in ``room``; then a line counting the rest."""
    total = len(rows) if total is None else total
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    if room is not None:
        room.take(lines, force=True)
    for count, row in enumerate(rows):
        line = "| " + " | ".join(row) + " |"
        if room is not None and not room.take([line]):
            return [*lines, "", *_left_out(total - count, "row")]
        lines.append(line)
    return [*lines, "", *(_left_out(total - len(rows), "row") if total > len(rows) else [])]


def _cells(relation: dict[str, Any]) -> list[str]:
    return [code(pv.visible(relation["symbol"])), escape(pv.debtor(relation)), escape(_name(relation))]


def _name(relation: dict[str, Any]) -> str:
    name = pv.visible(relation["name"])
    return f"{name} ({pv.visible(relation['origin'])})" if relation["debtor_number"] is None else name


def _error_row(relation: dict[str, Any]) -> list[str]:
    reason = escape(pv.visible(relation["reason"] or "").strip())
    return [*_cells(relation), escape(pv.where(relation)), f"**{reason}**" if reason else ""]


def _change_row(relation: dict[str, Any]) -> list[str]:
    action = escape(pv.visible(relation["action"]))
    drifted = pv.drifted(relation)
    if drifted:
        action += f" · **drift** ({drifted})"
    why = pv.why(relation) + (f"; {pv.visible(relation['reason'])}" if relation["reason"] else "")
    return [*_cells(relation), action, escape(pv.where(relation)), escape(why)]


def _plain_row(relation: dict[str, Any], last: str) -> list[str]:
    return [*_cells(relation), escape(pv.where(relation)), escape(last)]


def _details(relations: list[dict[str, Any]], room: _Room) -> list[str]:
    if not relations:
        return []
    out = ["#### Parameters", ""]
    for count, relation in enumerate(relations):
        block = _fields(relation)
        if not room.take(block):
            return out + _left_out(len(relations) - count, "relation")
        out += block
    return out


def _fields(relation: dict[str, Any]) -> list[str]:
    shown = pv.notable(relation)[0]
    drifted = pv.drifted(relation)
    parts = [escape(pv.visible(relation["action"])), pv.plural(len(shown), "parameter")]
    if drifted:
        parts.append(f"{drifted} drifted")
    symbol, who = escape(pv.visible(relation["symbol"])), f"{escape(pv.debtor(relation))} {escape(_name(relation))}"
    out = [f"<details><summary><code>{symbol}</code> <b>{who}</b>: {', '.join(parts)}</summary>", ""]
    head = ["Parameter", "Before", "After", "Change"] + (["Last synced"] if drifted else [])
    rows = []
    for field in shown:
        before = "" if field["change"] == "add" else code(pv.value(field["before"]))
        change = escape(pv.visible(field["change"]))
        change = f"**{change}**" if field["drift"] else change
        note = pv.CHANGE_NOTES.get(field["change"], "drifted in Silvasoft" if field["drift"] else "")
        if note:
            change += f": {escape(note)}"
        row = [code(pv.visible(field["parameter"])), before, code(pv.value(field["after"])), change]
        rows.append(row + ([code(pv.value(field["synced"])) if field["drift"] else ""] if drifted else []))
    folded = pv.folded_count(relation)
    if folded:
        rows.append([f"*{pv.unchanged_parameters(folded)}*"] + [""] * (len(head) - 1))
    return [*out, *_table(head, rows), "</details>", ""]


def _unchanged(relations: list[dict[str, Any]], show_unchanged: bool, room: _Room) -> list[str]:
    """The unchanged relations: a table of those with something to review (all of them with ``show_unchanged``),
    and one line counting the others."""
    listed = relations if show_unchanged else [r for r in relations if not pv.folds(r)]
    title = pv.plural(len(listed), "unchanged relation")
    if not show_unchanged:
        has = [
            ("drift", any(pv.drifted(r) for r in listed)),
            ("record warnings", any(r.get("warnings") for r in listed)),
            ("notes", any(r.get("reason") for r in listed)),
        ]
        found = [what for what, present in has if present]
        if found:
            title += " with " + (f"{', '.join(found[:-1])} or {found[-1]}" if len(found) > 1 else found[0])
    rows = [_plain_row(r, pv.why(r) + (f"; {pv.visible(r['reason'])}" if r.get("reason") else "")) for r in listed]
    out = _listing(title, ["", "Debtor", "Name", "Route → endpoint", "Silvasoft"], rows, room)
    folded = len(relations) - len(listed)
    if folded:
        line = [f"{code(pv.SYMBOLS['unchanged'])} {escape(pv.folded_text(folded, others=bool(listed)))}", ""]
        room.take(line, force=True)
        out += line
    return out


def _listing(title: str, head: list[str], rows: list[list[str]], room: _Room) -> list[str]:
    if not rows:
        return []
    out = [f"<details><summary>{title}</summary>", ""]
    room.take(out, force=True)
    return [*out, *_table(head, rows[:LISTED], room, total=len(rows)), "</details>", ""]


def _coverage(coverage: dict[str, Any]) -> list[str]:
    """The coverage findings; never cut, as they are short and about the mapping, not the data."""
    scope = pv.coverage_scope(coverage)
    items = pv.coverage_items(coverage)
    out = ["#### Coverage" + (f" ({scope})" if scope else ""), ""]
    out += [f"- **{escape(heading)}:** {escape(', '.join(entries))}" for heading, entries in items]
    if not items:
        out.append("Nothing unread, unset or unseen.")
    return [*out, ""]
