"""``relmap render`` results as readable text, one JSON document, or JSON lines.

The text is for a terminal: every line goes through report.terminal. JSON is json.dumps's own (control
characters escaped, the rest of Unicode as it is), so a JSON reader gets the data exactly.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator

from relmap.mapping.render import Rendered
from relmap.report.terminal import text_lines

FORMAT_VERSION = 1


def text_block(result: Rendered) -> str:
    """One record: a head line, then the payload (exact JSON) or the reasons it cannot be sent, then its warnings.

    Every line is escaped for the terminal (report.terminal); its escapes are JSON's, so the payload stays JSON.
    """
    name = result.debtor_number or "?"
    if result.status == "ok":
        body = json.dumps(result.payload, indent=2, ensure_ascii=False)
        # split("\n"), not splitlines(): json.dumps leaves U+2028 and U+0085 in strings, and those are data
        payload = ["    " + line for line in body.split("\n")]
        return text_lines([f"+ {name}  {result.route} → {result.endpoint}", *payload, *_warnings(result)])
    if result.status == "skipped":
        return text_lines([f"- {name}  skipped: {result.reason}"])
    route = f"  {result.route} → {result.endpoint}" if result.route else ""
    errors = [f"    error: {e.text()}" for e in result.errors]
    return text_lines([f"! {name}{route}  ({result.origin})", *errors, *_warnings(result)])


def _warnings(result: Rendered) -> list[str]:
    return [f"    warning: {w.text()}" for w in result.warnings]


def summary_line(counts: Counter[str]) -> str:
    """``35 relations: 31 rendered, 2 skipped, 2 with errors``, and the record warnings when there are any."""
    total = sum(counts[k] for k in ("ok", "skipped", "error"))
    warnings = counts["warnings"]
    return (
        f"{total} relation{'s' * (total != 1)}: {counts['ok']} rendered, {counts['skipped']} skipped, "
        f"{counts['error']} with errors"
    ) + (f"; {warnings} record warning{'s' * (warnings != 1)} (parameters left out)" if warnings else "")


def as_jsonl(results: Iterable[Rendered]) -> Iterator[str]:
    for result in results:
        yield json.dumps(result.as_dict(), ensure_ascii=False) + "\n"


def as_json(mapping: str, results: list[Rendered], counts: Counter[str]) -> str:
    document = {
        "format_version": FORMAT_VERSION,
        "mapping": mapping,
        "summary": {
            "total": sum(counts[k] for k in ("ok", "skipped", "error")),
            **{k: counts[k] for k in ("ok", "skipped", "error", "warnings")},
        },
        "results": [r.as_dict() for r in results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
