"""A plan as text, Terraform-style: one line per relation, the fields that change beneath it, a summary at the end.
Unchanged relations with nothing to review (plan_values.folds) are one counted line unless ``show_unchanged``.

:func:`text` is plain (pipes, logs, CI); :func:`show` writes the same lines to a rich Console with colour.
Relation data goes through plan_values.visible as in every plan format; then every segment is escaped for the
terminal (report.terminal), which also covers what visible leaves (a lone surrogate) and the words around the
data. Segments reach rich as Text, never as markup, so ``[bold]`` in a name is printed as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.text import Text

from relmap.report import plan_values as pv
from relmap.report.terminal import escape

Line = list[tuple[str, str]]  # (text, rich style) segments

STYLES = {"create": "green", "update": "yellow", "link": "cyan", "unchanged": "dim", "skip": "dim", "error": "red"}
FIELD_STYLES = {"add": "green", "update": "yellow", "same": "dim", "overwrite": "yellow", "keep": "dim", "unset": "dim"}
DRIFT = "magenta"
WARNING = "yellow"


def text(doc: dict[str, Any], show_unchanged: bool = False) -> str:
    """The plan as plain text, no colour codes; unchanged relations folded into one counted line unless
    ``show_unchanged``."""
    return "".join(lines(doc, show_unchanged))


def lines(doc: dict[str, Any], show_unchanged: bool = False) -> Iterator[str]:
    """The lines of :func:`text`, each with its newline, made as they are read: ``doc["relations"]`` is read once,
    and may be made one at a time (report.plan.Relations)."""
    return ("".join(part for part, _ in line) + "\n" for line in _lines(doc, show_unchanged))


def show(doc: dict[str, Any], console: Console, show_unchanged: bool = False) -> None:
    """The plan, coloured, on ``console``: the same lines as :func:`text`."""
    for line in _lines(doc, show_unchanged):
        console.print(Text.assemble(*line), soft_wrap=True, highlight=False)


def _lines(doc: dict[str, Any], show_unchanged: bool) -> Iterator[Line]:
    return ([(escape(part), style) for part, style in line] for line in _plain_lines(doc, show_unchanged))


def _plain_lines(doc: dict[str, Any], show_unchanged: bool) -> Iterator[Line]:
    yield [(f"relmap plan for {pv.visible(doc['mapping']['path'])}", "bold"), (f" ({pv.read_text(doc)})", "")]
    yield [(pv.provenance(doc), "dim")]
    yield []
    folded = seen = 0
    for relation in doc["relations"]:
        seen += 1
        if not show_unchanged and pv.folds(relation):
            folded += 1
        else:
            yield from _relation(relation)
    lines: list[Line] = []
    if folded:
        others = folded < doc["summary"]["unchanged"]
        lines.append([(f"{pv.SYMBOLS['unchanged']} {pv.folded_text(folded, others)}", STYLES["unchanged"])])
    if not seen:
        lines.append([("(no relations)", "dim")])
    lines += [
        [],
        [("Plan: ", "bold"), (pv.summary_text(doc), "")],
        [("Cost: ", "bold"), (pv.cost_text(doc), "")],
    ]
    if not doc["read"]["silvasoft_listed"]:
        lines.append([("Note: ", "bold"), (pv.NOT_READ, "")])
    if doc["coverage"] is not None:
        lines += _coverage(doc["coverage"])
    if doc["warnings"]:
        lines += [[], [("Warnings:", "bold yellow")]]
        lines += [[("  - ", "yellow"), (pv.visible(w), "")] for w in doc["warnings"]]
    yield from lines


def _relation(relation: dict[str, Any]) -> list[Line]:
    action, style = relation["action"], STYLES.get(relation["action"], "")
    head: Line = [
        (f"{pv.visible(relation['symbol'])} {pv.debtor(relation)}  ", style),
        (pv.visible(relation["name"]), ""),
    ]
    if relation["debtor_number"] is None:
        head.append((f" ({pv.visible(relation['origin'])})", "dim"))
    warned: list[Line] = [[("    warning: ", WARNING), (text, "")] for text in pv.warnings(relation)]
    if action in ("skip", "error"):
        reason = f": {pv.visible(relation['reason'])}" if relation["reason"] else ""
        return [[*head, (f"  {action}{reason}", style)], *warned]
    head.append((f"  {action}", style))
    if pv.where(relation):
        head.append((f"  {pv.where(relation)}", ""))
    if pv.why(relation):
        head.append((f"  ({pv.why(relation)})", "dim"))
    if pv.drifted(relation):
        head.append((f"  drift: {pv.plural(pv.drifted(relation), 'parameter')} changed in Silvasoft", DRIFT))
    if relation.get("reason"):  # a compact entry (an unchanged relation) has no reason
        head.append((f"  note: {pv.visible(relation['reason'])}", ""))
    lines = [head, *warned]
    shown = pv.notable(relation)[0]
    for field in shown:
        symbol = pv.DRIFT_SYMBOL if field["drift"] else pv.FIELD_SYMBOLS[field["change"]]
        mark = DRIFT if field["drift"] else FIELD_STYLES[field["change"]]
        lines.append(
            [(f"    {symbol} ", mark), (pv.visible(field["parameter"]), mark), (": ", ""), (pv.field_detail(field), "")]
        )
    folded = pv.folded_count(relation)
    if folded and (shown or action != "unchanged"):
        lines.append([(f"      ({pv.unchanged_parameters(folded)})", "dim")])
    return lines


def _coverage(coverage: dict[str, Any]) -> list[Line]:
    scope = pv.coverage_scope(coverage)
    lines: list[Line] = [[], [("Coverage", "bold"), (f" ({scope})" if scope else "", ""), (":", "bold")]]
    items = pv.coverage_items(coverage)
    for heading, entries in items:
        lines.append([(f"  {heading}: ", ""), (", ".join(entries), "")])
    if not items:
        lines.append([("  nothing unread, unset or unseen", "dim")])
    return lines
