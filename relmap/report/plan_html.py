"""A plan as one self-contained HTML page: summary cards, cost, a table of relations with their field diffs in
``<details>``, coverage and warnings.

The page loads nothing: CSS and a small script are inline, and a Content-Security-Policy allows exactly those two
(by hash) and nothing else. It reads fully without the script; the script only adds filtering and sorting. Every
piece of relation data goes through :func:`escape`.
"""

from __future__ import annotations

import base64
import hashlib
import html as _html
from typing import Any

from relmap.report import plan_values as pv

CSS = """\
:root { --fg: #1f2328; --muted: #59636e; --bg: #fff; --soft: #f6f8fa; --line: #d1d9e0;
  --create: #1a7f37; --update: #9a6700; --link: #0e7490; --unchanged: #59636e; --skip: #59636e;
  --error: #cf222e; --drift: #8250df; --drift-bg: rgba(130, 80, 223, .09); --error-bg: rgba(207, 34, 46, .07); }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --soft: #151b23; --line: #3d444d;
    --create: #3fb950; --update: #d29922; --link: #39c5cf; --unchanged: #9198a1; --skip: #9198a1;
    --error: #f85149; --drift: #bc8cff; --drift-bg: rgba(188, 140, 255, .12); --error-bg: rgba(248, 81, 73, .1); }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0 auto; max-width: 1280px; padding: 24px; color: var(--fg); background: var(--bg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, .sym, .num { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
code { font-size: 12.5px; white-space: pre-wrap; overflow-wrap: anywhere; }
h1 { font-size: 22px; margin: 0; }
h1 .path { font-weight: normal; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta { color: var(--muted); margin: 4px 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; }
.card { min-width: 112px; padding: 8px 14px; border: 1px solid var(--line); border-top: 4px solid currentColor;
  border-radius: 6px; background: var(--soft); }
.card b { display: block; font-size: 26px; line-height: 1.2; }
.card span { color: var(--fg); }
.create { color: var(--create); } .update { color: var(--update); } .link { color: var(--link); }
.unchanged { color: var(--unchanged); } .skip { color: var(--skip); } .error { color: var(--error); }
.drift { color: var(--drift); }
.alert { margin: 10px 0; padding: 8px 12px; border-left: 4px solid currentColor; background: var(--soft); }
.alert span { color: var(--fg); }
.filters { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px; margin: 8px 0 10px; }
.filters input[type=search] { min-width: 260px; padding: 4px 8px; font: inherit; color: inherit;
  background: var(--bg); border: 1px solid var(--line); border-radius: 6px; }
.filters output { color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 5px 8px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); }
thead th { background: var(--soft); white-space: nowrap; }
#relations > tbody { border-bottom: 1px solid var(--line); }
#relations > tbody > tr > td { border-bottom: 0; }
#relations > tbody > tr > td.sym { font-weight: bold; text-align: center; width: 2.2em; }
#relations > tbody.has-drift > tr > td:first-child { box-shadow: inset 4px 0 var(--drift); }
#relations > tbody.r-error { background: var(--error-bg); }
#relations > tbody > tr.detail > td { padding-top: 0; }
td.route { white-space: nowrap; }
.reason-error { color: var(--error); font-weight: 600; }
.warning { color: var(--update); }
.badge { display: inline-block; margin-left: 6px; padding: 0 6px; border: 1px solid currentColor; border-radius: 10px;
  font-size: 11.5px; }
.muted, .origin { color: var(--muted); }
details > summary { cursor: pointer; }
table.fields { width: auto; min-width: 50%; margin: 4px 0 8px; font-size: 13px; }
table.fields th { background: none; color: var(--muted); font-weight: 600; }
table.fields tr.f-drift > td { background: var(--drift-bg); }
table.fields td.fsym { font-family: ui-monospace, monospace; font-weight: bold; }
.note { color: var(--muted); }
.f-drift .note { color: var(--drift); }
dl.coverage dt { font-weight: 600; margin-top: 8px; }
dl.coverage dd { margin: 2px 0 0 18px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
html.js th[data-sort] { cursor: pointer; user-select: none; }
html.js th[data-sort]::after { content: " \\2195"; color: var(--muted); }
html.js th[aria-sort=ascending]::after { content: " \\25B2"; }
html.js th[aria-sort=descending]::after { content: " \\25BC"; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .filters { display: none !important; }
  details::details-content { content-visibility: visible; }
  summary { list-style: none; }
  tr { break-inside: avoid; }
  .card, .alert, thead th { background: none; }
}
"""

SCRIPT = """\
(() => {
  document.documentElement.classList.add("js");
  const bar = document.getElementById("filters");
  const table = document.getElementById("relations");
  if (!bar || !table) return;
  bar.hidden = false;
  const rows = Array.from(table.tBodies);
  rows.forEach((row, i) => { row.dataset.order = String(i); });
  const search = bar.querySelector("input[type=search]");
  const driftOnly = document.getElementById("drift-only");
  const shown = document.getElementById("shown");
  const filter = () => {
    const words = search.value.trim().toLowerCase();
    const on = new Set(Array.from(bar.querySelectorAll("input[data-action]:checked"), (c) => c.dataset.action));
    let count = 0;
    for (const row of rows) {
      const ok = on.has(row.dataset.action) && (!driftOnly.checked || row.classList.contains("has-drift"))
        && (!words || row.textContent.toLowerCase().includes(words));
      row.hidden = !ok;
      count += ok ? 1 : 0;
    }
    shown.textContent = count + " of " + rows.length + " relations shown";
  };
  bar.addEventListener("input", filter);
  filter();
  table.querySelectorAll("th[data-sort]").forEach((th) => {
    th.tabIndex = 0;
    const sort = () => {
      const up = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th[aria-sort]").forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      const key = (row) => {
        const cell = row.rows[0].cells[th.cellIndex];
        return cell.dataset.key ?? cell.textContent.trim();
      };
      const compare = (a, b) => key(a).localeCompare(key(b), undefined, { numeric: true }) * (up ? 1 : -1);
      const sorted = rows.slice().sort((a, b) => compare(a, b) || a.dataset.order - b.dataset.order);
      table.append(...sorted);
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
  window.addEventListener("beforeprint", () => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
})();
"""


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


CSP = (
    f"default-src 'none'; style-src {_hash(CSS)}; script-src {_hash(SCRIPT)}; img-src 'none'; font-src 'none'; "
    "connect-src 'none'; base-uri 'none'; form-action 'none'"
)
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
    path = escape(doc["mapping"]["path"])
    parts = [
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
        *_relations(doc),
        *_coverage(doc["coverage"]),
        *_warnings(doc["warnings"]),
        "</main>",
        f"<footer>relmap-plan format {int(doc['format_version'])}, made by relmap {escape(doc['relmap_version'])} at "
        f"{escape(doc['created_at'])}.</footer>",
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


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


def _relations(doc: dict[str, Any]) -> list[str]:
    relations = doc["relations"]
    out = ["<section>", "<h2>Relations</h2>"]
    if not relations:
        return [*out, '<p class="muted">No relations.</p>', "</section>"]
    counts = {a: sum(1 for r in relations if r["action"] == a) for a in pv.ACTIONS}
    out.append('<div class="filters" id="filters" hidden>')
    out.append('<input type="search" placeholder="Filter: number, name, value…" aria-label="Filter relations">')
    for action in pv.ACTIONS:
        out.append(
            f'<label class="{action}"><input type="checkbox" data-action="{action}" checked> '
            f"{pv.SYMBOLS[action]} {action} ({pv.count(counts[action])})</label>"
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
    out += [_relation(r) for r in relations]
    return [*out, "</table>", "</section>"]


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
        if relation["reason"]:
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
    classes = f"r-{kind}" + (" has-drift" if drifted else "")
    return f'<tbody class="{classes}" data-action="{kind}">{rows}</tbody>'


def _fields(relation: dict[str, Any]) -> str:
    shown, folded = pv.notable(relation)
    if not shown:
        return ""
    drifted = pv.drifted(relation)
    label = pv.plural(len(shown), "parameter") + (f", {drifted} drifted" if drifted else "")
    rows = "".join(_field(f) for f in shown)
    out = (
        f"<details><summary>{label}</summary>"
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
