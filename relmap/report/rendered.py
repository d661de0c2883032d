"""``relmap render`` results as readable text, one JSON document, or JSON lines."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator

from relmap.render import Rendered

FORMAT_VERSION = 1


def text_block(result: Rendered) -> str:
    """One record: a head line, then the payload (exact JSON) or the reasons it cannot be sent."""
    name = result.debtor_number or "?"
    if result.status == "ok":
        head = f"+ {name}  {result.route} → {result.endpoint}"
        body = json.dumps(result.payload, indent=2, ensure_ascii=False)
        return head + "\n" + _indent(body) + "\n"
    if result.status == "skipped":
        return f"- {name}  skipped: {result.reason}\n"
    route = f"  {result.route} → {result.endpoint}" if result.route else ""
    lines = [f"! {name}{route}  ({result.origin})"]
    lines += [f"    error: {e.text()}" for e in result.errors]
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


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
