"""The HTML plan report's inline style and script, and the Content-Security-Policy that allows exactly those two
(by their SHA-256) and nothing else.

The script filters and sorts the relations, hides the unchanged ones with nothing to review (``tbody.quiet``) until
the ``#show-unchanged`` toggle shows them, and opens every ``<details>`` before printing.
"""

from __future__ import annotations

import base64
import hashlib

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
  const unchanged = document.getElementById("show-unchanged");
  const shown = document.getElementById("shown");
  const filter = () => {
    const words = search.value.trim().toLowerCase();
    const on = new Set(Array.from(bar.querySelectorAll("input[data-action]:checked"), (c) => c.dataset.action));
    let count = 0, folded = 0;
    for (const row of rows) {
      const ok = on.has(row.dataset.action) && (!driftOnly.checked || row.classList.contains("has-drift"))
        && (!words || row.textContent.toLowerCase().includes(words));
      const fold = ok && row.classList.contains("quiet") && !(unchanged && unchanged.checked);
      row.hidden = !ok || fold;
      count += ok && !fold ? 1 : 0;
      folded += fold ? 1 : 0;
    }
    shown.textContent = count + " of " + rows.length + " relations shown"
      + (folded ? "; " + folded + " unchanged hidden" : "");
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
