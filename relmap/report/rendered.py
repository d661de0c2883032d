"""``relmap render`` results as readable text, one JSON document, or JSON lines.

The text is for a terminal: every line goes through report.terminal. JSON is json.dumps's own (control
characters escaped, the rest of Unicode as it is), so a JSON reader gets the data exactly.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator

from relmap.render import Rendered
from relmap.report.terminal import text_lines

FORMAT_VERSION = 1


def text_block(result: Rendered) -> str:
    """One record: a head line, then the payload (exact JSON) or the reasons it cannot be sent.

    Every line is escaped for the terminal (report.terminal); its escapes are JSON's, so the payload stays JSON.
    """
    name = result.debtor_number or "?"
    if result.status == "ok":
        body = json.dumps(result.payload, indent=2, ensure_ascii=False)
        # split("\n"), not splitlines(): json.dumps leaves U+2028 and U+0085 in strings, and those are data
        payload = ["    " + line for line in body.split("\n")]
        return text_lines([f"+ {name}  {result.route} → {result.endpoint}", *payload])
    if result.status == "skipped":
        return text_lines([f"- {name}  skipped: {result.reason}"])
    route = f"  {result.route} → {result.endpoint}" if result.route else ""
    return text_lines([f"! {name}{route}  ({result.origin})", *(f"    error: {e.text()}" for e in result.errors)])


def summary_line(counts: Counter[str]) -> str:
    total = sum(counts.values())
    return (
        f"{total} relation{'s' * (total != 1)}: {counts['ok']} rendered, {counts['skipped']} skipped, "
        f"{counts['error']} with errors"
    )


def as_jsonl(results: Iterable[Rendered]) -> Iterator[str]:
    for result in results:
        yield json.dumps(result.as_dict(), ensure_ascii=False) + "\n"


def as_json(mapping: str, results: list[Rendered], counts: Counter[str]) -> str:
    document = {
        "format_version": FORMAT_VERSION,
        "mapping": mapping,
        "summary": {"total": sum(counts.values()), **{k: counts[k] for k in ("ok", "skipped", "error")}},
        "results": [r.as_dict() for r in results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
