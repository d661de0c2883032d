"""A plan as one self-contained HTML page: summary cards, cost, a table of relations with their field diffs in
``<details>``, coverage and warnings.

The page loads nothing: CSS and a small script are inline, and a Content-Security-Policy allows exactly those two
(by hash) and nothing else. It reads fully without the script; the script adds filtering and sorting, and hides the
unchanged relations with nothing to review (plan_values.folds) until its toggle shows them. The parameter diffs of
updates and of relations with drift start open. Every piece of relation data goes through :func:`escape`.
"""

from __future__ import annotations

import html as _html
from collections import Counter
from collections.abc import Iterator
from typing import Any

from relmap.report import plan_values as pv
from relmap.report.plan_html_assets import CSP, CSS, SCRIPT

CARDS = (
    ("create", "to create"),
    ("update", "to update"),
    ("link", "to link"),
    ("unchanged", "unchanged"),
    ("skip", "skipped"),
    ("error", "errors"),
    ("drift", "with drift"),
)


def escape(text: str) -> str:
    """Relation data as HTML text or attribute value, on one line with hidden characters shown."""
    return _html.escape(pv.visible(text), quote=True)


def _code(item: Any) -> str:
    return f"<code>{escape(pv.value(item))}</code>"


def html(doc: dict[str, Any]) -> str:
    """The plan as a self-contained HTML page."""
    return "".join(lines(doc))


def lines(doc: dict[str, Any]) -> Iterator[str]:
    """The lines of :func:`html`, each with its newline, made as they are read. ``doc["relations"]`` is read twice
    (the filters above the table count them), so it is a list or a report.plan.Relations, which makes them afresh."""
    return (part + "\n" for part in _parts(doc))


def _parts(doc: dict[str, Any]) -> Iterator[str]:
    path = escape(doc["mapping"]["path"])
    yield from [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f'<meta name="generator" content="relmap {escape(doc["relmap_version"])}">',
        f"<title>relmap plan: {path}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f'<h1>relmap plan <span class="path">for {path}</span></h1>',
        f'<p class="meta">{escape(pv.sentence(pv.read_text(doc)))}<br>{escape(pv.provenance(doc))}</p>',
        "</header>",
        "<main>",
        *_summary(doc),
    ]
    yield from _relations(doc)
    yield from [
        *_coverage(doc["coverage"]),
        *_warnings(doc["warnings"]),
        "</main>",
        f"<footer>relmap-plan format {int(doc['format_version'])}, made by relmap {escape(doc['relmap_version'])} at "
        f"{escape(doc['created_at'])}.</footer>",
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]


def _summary(doc: dict[str, Any]) -> list[str]:
    summary = doc["summary"]
    out = ['<section class="cards" aria-label="Summary">']
    out += [
        f'<div class="card {key}"><b>{pv.count(int(summary[key]))}</b><span>{label}</span></div>'
        for key, label in CARDS
    ]
    out += [
        "</section>",
        f'<p class="plan"><strong>Plan:</strong> {escape(pv.summary_text(doc))}</p>',
        f'<p class="cost"><strong>Cost:</strong> {escape(pv.cost_text(doc))}</p>',
    ]
    errors = int(summary["error"])
    if errors:
        out.append(
            f'<p class="alert error"><strong>{pv.plural(errors, "relation")} cannot be synced.</strong> '
            "<span>They are marked ! below.</span></p>"
        )
    warned = int(summary.get("record_warnings", 0))
    if warned:
        out.append(
            f'<p class="alert warning"><strong>{pv.plural(warned, "record warning")}:</strong> '
            f"<span>{escape(pv.WARNED)}.</span></p>"
        )
    if summary["drift"]:
        out.append(
            f'<p class="alert drift"><strong>{pv.plural(int(summary["drift"]), "relation")} changed in Silvasoft '
            "since the last sync.</strong> <span>Drifted parameters are highlighted.</span></p>"
        )
    if not doc["read"]["silvasoft_listed"]:
        out.append(f'<p class="alert skip"><span>{escape(pv.NOT_READ)}</span></p>')
    if doc["masked"]:
        out.append('<p class="alert skip"><span>Personal data is masked (•••).</span></p>')
    return out


def _relations(doc: dict[str, Any]) -> Iterator[str]:
    relations = doc["relations"]
    out = ["<section>", "<h2>Relations</h2>"]
    counts: Counter[str] = Counter()
    quiet = 0
    for relation in relations:  # the first pass: only counts are kept
        counts[relation["action"]] += 1
        quiet += pv.folds(relation)
    if not counts:
        yield from [*out, '<p class="muted">No relations.</p>', "</section>"]
        return
    out.append('<div class="filters" id="filters" hidden>')
    out.append('<input type="search" placeholder="Filter: number, name, value…" aria-label="Filter relations">')
    for action in pv.ACTIONS:
        out.append(
            f'<label class="{action}"><input type="checkbox" data-action="{action}" checked> '
            f"{pv.SYMBOLS[action]} {action} ({pv.count(counts[action])})</label>"
        )
    if quiet:
        out.append(
            f'<label class="unchanged"><input type="checkbox" id="show-unchanged"> '
            f"show {pv.plural(quiet, 'unchanged relation')}</label>"
        )
    out += [
        '<label class="drift"><input type="checkbox" id="drift-only"> drift only</label>',
        '<output id="shown"></output>',
        "</div>",
        '<table id="relations">',
        "<thead><tr>"
        '<th data-sort scope="col" aria-label="Action symbol"></th><th data-sort scope="col">Debtor</th>'
        '<th data-sort scope="col">Name</th><th data-sort scope="col">Action</th>'
        '<th data-sort scope="col">Route → endpoint</th><th data-sort scope="col">Why</th>'
        "</tr></thead>",
    ]
    yield from out
    yield from (_relation(r) for r in relations)
    yield from ["</table>", "</section>"]


def _relation(relation: dict[str, Any]) -> str:
    """One relation as a ``<tbody>``: its row, and beneath it a row with its field diffs, if any are worth showing."""
    action = relation["action"]
    kind = action if action in pv.ACTIONS else "error"
    drifted = pv.drifted(relation)
    name = escape(relation["name"])
    if relation["debtor_number"] is None:
        name += f' <span class="origin">({escape(relation["origin"])})</span>'
    act = escape(action) + (f'<span class="badge drift">drift {drifted}</span>' if drifted else "")
    if action in ("skip", "error"):
        why = f'<span class="reason-{kind}">{escape(relation["reason"] or "")}</span>'
    else:
        why = escape(pv.why(relation))
        if relation.get("reason"):  # a compact entry (an unchanged relation) has no reason
            why += f'<br><span class="note">{escape(relation["reason"])}</span>'
    why += "".join(f'<br><span class="warning">warning: {escape(text)}</span>' for text in pv.warnings(relation))
    cells = [
        f'<td class="sym {kind}" data-key="{pv.ACTIONS.index(kind)}">{escape(relation["symbol"])}</td>',
        f'<td class="num">{escape(pv.debtor(relation))}</td>',
        f"<td>{name}</td>",
        f'<td class="{kind}">{act}</td>',
        f'<td class="route">{escape(pv.where(relation))}</td>',
        f"<td>{why}</td>",
    ]
    detail = _fields(relation)
    rows = "<tr>" + "".join(cells) + "</tr>"
    if detail:
        rows += f'<tr class="detail"><td></td><td colspan="5">{detail}</td></tr>'
    classes = f"r-{kind}" + (" has-drift" if drifted else "") + (" quiet" if pv.folds(relation) else "")
    return f'<tbody class="{classes}" data-action="{kind}">{rows}</tbody>'


def _fields(relation: dict[str, Any]) -> str:
    shown, folded = pv.notable(relation)
    if not shown:
        return ""
    drifted = pv.drifted(relation)
    label = pv.plural(len(shown), "parameter") + (f", {drifted} drifted" if drifted else "")
    rows = "".join(_field(f) for f in shown)
    opened = " open" if relation["action"] == "update" or drifted else ""
    out = (
        f"<details{opened}><summary>{label}</summary>"
        '<table class="fields"><thead><tr><th></th><th>Parameter</th><th>Before</th><th>After</th>'
        f"<th>Last synced</th><th>Change</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    if folded:
        same = "".join(
            f"<tr><td><code>{escape(f['parameter'])}</code></td><td>{_code(f['after'])}</td></tr>" for f in folded
        )
        out += (
            f'<details class="folded"><summary>{pv.unchanged_parameters(len(folded))}</summary>'
            f'<table class="fields"><tbody>{same}</tbody></table></details>'
        )
    omitted = relation.get("fields_omitted", 0)
    if omitted:  # a plan made without --show-unchanged names only the parameters that change
        out += f'<p class="muted">{pv.unchanged_parameters(omitted)} not in this plan (--show-unchanged)</p>'
    return out + "</details>"


def _field(field: dict[str, Any]) -> str:
    change = field["change"]
    symbol = pv.DRIFT_SYMBOL if field["drift"] else pv.FIELD_SYMBOLS.get(change, "?")
    kind = {"add": "create", "update": "update", "overwrite": "update"}.get(change, "unchanged")
    note = pv.CHANGE_NOTES.get(change, "drifted in Silvasoft" if field["drift"] else "")
    cells = [
        f'<td class="fsym {"drift" if field["drift"] else kind}">{escape(symbol)}</td>',
        f"<td><code>{escape(field['parameter'])}</code></td>",
        "<td></td>" if change == "add" else f"<td>{_code(field['before'])}</td>",
        f"<td>{_code(field['after'])}</td>",
        f"<td>{_code(field['synced'])}</td>" if field["drift"] else "<td></td>",
        f"<td>{escape(change)}" + (f' <span class="note">{escape(note)}</span>' if note else "") + "</td>",
    ]
    return f'<tr class="{"f-drift" if field["drift"] else ""}">' + "".join(cells) + "</tr>"


def _coverage(coverage: dict[str, Any] | None) -> list[str]:
    if coverage is None:
        return []
    scope = pv.coverage_scope(coverage)
    out = [
        '<section id="coverage">',
        "<h2>Coverage" + (f" <small>({escape(scope)})</small>" if scope else "") + "</h2>",
    ]
    items = pv.coverage_items(coverage)
    if not items:
        return [*out, '<p class="muted">Nothing unread, unset or unseen.</p>', "</section>"]
    out.append('<dl class="coverage">')
    for heading, entries in items:
        out.append(
            f"<dt>{escape(heading)}</dt><dd>" + ", ".join(f"<code>{escape(e)}</code>" for e in entries) + "</dd>"
        )
    return [*out, "</dl>", "</section>"]


def _warnings(warnings: list[str]) -> list[str]:
    if not warnings:
        return []
    return [
        '<section id="warnings">',
        "<h2>Warnings</h2>",
        "<ul>",
        *[f"<li>{escape(w)}</li>" for w in warnings],
        "</ul>",
        "</section>",
    ]
