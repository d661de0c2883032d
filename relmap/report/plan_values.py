"""Words and values shared by the plan reports (text, Markdown, HTML), so the three say the same thing.

Everything here returns plain, unescaped text: each renderer escapes it for its own format. Relation data goes
through :func:`visible` (names, reasons) or :func:`value` (parameter values) first, so control characters, line
breaks and invisible spaces show as escapes instead of breaking a line or hiding a difference.
"""

from __future__ import annotations

import json
import re
from typing import Any

ACTIONS = ("create", "update", "link", "unchanged", "skip", "error")
SYMBOLS = {"create": "+", "update": "~", "link": "&", "unchanged": "=", "skip": "-", "error": "!"}
CHANGES = ("create", "update", "link")  # the actions that write to Silvasoft
MATCHED = {"new": "new", "linked": "linked", "number": "matched by CustomerNumber", "email": "matched by e-mail"}
FIELD_SYMBOLS = {"add": "+", "update": "~", "same": "=", "overwrite": "!", "keep": "!", "unset": "-"}
DRIFT_SYMBOL = "!"
NOT_READ = "Silvasoft not read: drift not checked; --full compares every relation"
CHANGE_NOTES = {
    "overwrite": "drifted in Silvasoft; OutSmart wins",
    "keep": "drifted in Silvasoft; kept (the mapping keeps Silvasoft's value)",
    "unset": "no longer set by the mapping; Silvasoft keeps its value (updaterelation cannot clear it)",
}

# Control characters, line and paragraph separators, bidirectional and zero-width marks, and every space but
# U+0020: invisible or layout-breaking in a report, and exactly what a reader comparing two values needs to see.
_HIDDEN = re.compile(
    r"[^\S ]|[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str) -> str:
    """``text`` on one line, with hidden characters as escapes: ``"a\\u00a0b\\n"``."""
    return _HIDDEN.sub(lambda m: _NAMED.get(m[0]) or f"\\u{ord(m[0]):04x}", text)


def value(item: Any) -> str:
    """A parameter value as JSON (strings quoted, so blanks and surrounding spaces show), on one line."""
    return visible(json.dumps(item, ensure_ascii=False))


def count(n: int) -> str:
    return f"{n:,}"


def plural(n: int, word: str) -> str:
    return f"{count(n)} {word}{'s' * (n != 1)}"


def read_text(doc: dict[str, Any]) -> str:
    """What building the plan read: ``read all relations; Silvasoft listed``."""
    read = doc["read"]
    if read["full"]:
        what = "read all relations"
    elif read["since"]:
        what = f"read relations changed since {visible(read['since'])}"
    else:
        what = "read new and changed relations"
    parts = [what, "Silvasoft listed" if read["silvasoft_listed"] else "Silvasoft not read"]
    if doc["masked"]:
        parts.append("personal data masked")
    return "; ".join(parts)


def sentence(text: str) -> str:
    """``read all relations`` → ``Read all relations``."""
    return text[:1].upper() + text[1:]


def provenance(doc: dict[str, Any]) -> str:
    """Who made the plan, when, for which account and mapping version."""
    read = doc["read"]
    return (
        f"relmap {visible(doc['relmap_version'])}, {visible(doc['created_at'])}; "
        f"Silvasoft account {visible(doc['target']['account'])}; "
        f"mapping sha256 {visible(doc['mapping']['digest'][:12])}; "
        f"read with {plural(read['outsmart_requests'], 'OutSmart request')} and "
        f"{plural(read['silvasoft_requests'], 'Silvasoft request')}"
    )


def summary_text(doc: dict[str, Any]) -> str:
    """``12 to create, 30 to update, 1 to link, 958 unchanged, 4 skipped, 3 errors (2 with drift in Silvasoft)``"""
    s = doc["summary"]
    text = (
        f"{count(s['create'])} to create, {count(s['update'])} to update, {count(s['link'])} to link, "
        f"{count(s['unchanged'])} unchanged, {count(s['skip'])} skipped, {plural(s['error'], 'error')}"
    )
    text += f" ({count(s['drift'])} with drift in Silvasoft)" if s["drift"] else ""
    warned = s.get("record_warnings", 0)  # within format version 1, a plan may be older than record warnings
    return text + (f"; {plural(warned, 'record warning')}" if warned else "")


def warnings(relation: dict[str, Any]) -> list[str]:
    """The relation's record warnings, each as ``Relation_Contact[0].Phone: not a valid … (mapping.yaml:40)``."""
    return [
        visible(f"{w['parameter']}: {w['message']}" + (f" ({w['rule']})" if w["rule"] else ""))
        for w in relation.get("warnings", ())
    ]


WARNED = "parameters left out because their value was invalid (on_invalid: warn); the relations are synced without them"


def cost_text(doc: dict[str, Any]) -> str:
    cost = doc["cost"]
    return f"{visible(cost['text'])} (plan: {count(cost['per_hour'])} per hour)"


def debtor(relation: dict[str, Any]) -> str:
    number = relation["debtor_number"]
    return visible(number) if number is not None else "?"


def where(relation: dict[str, Any]) -> str:
    """``companies → addbusinessrelation``, or the part that is known, or ``""``."""
    route, endpoint = relation["route"], relation["endpoint"]
    return " → ".join(visible(x) for x in (route, endpoint) if x)


def why(relation: dict[str, Any]) -> str:
    """``GUID 4000002, linked``: the Silvasoft relation and why it matched, or ``""``."""
    parts = [f"GUID {relation['guid']}"] if relation["guid"] is not None else []
    matched = relation["matched_by"]
    if matched:
        parts.append(MATCHED.get(matched, visible(matched)))
    return ", ".join(parts)


def drifted(relation: dict[str, Any]) -> int:
    return sum(1 for f in relation.get("fields", ()) if f["drift"])


def notable(relation: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The fields worth showing, and the folded ones: unchanged parameters without drift."""
    fields = relation.get("fields", ())  # a compact entry (an unchanged relation) has none
    shown = [f for f in fields if f["change"] != "same" or f["drift"]]
    folded = [f for f in fields if f["change"] == "same" and not f["drift"]]
    return shown, folded


def folded_count(relation: dict[str, Any]) -> int:
    """The relation's unchanged parameters: those in its ``fields`` and those the JSON plan left out."""
    return len(notable(relation)[1]) + relation.get("fields_omitted", 0)


def unchanged_parameters(n: int) -> str:
    return plural(n, "unchanged parameter")


def folds(relation: dict[str, Any]) -> bool:
    """An unchanged relation with nothing to review (no drift, no record warning, no note): the reports fold these
    into one counted line, and the JSON plan gives them in the compact form, unless ``--show-unchanged``."""
    return (
        relation["action"] == "unchanged"
        and not drifted(relation)
        and not relation.get("warnings")
        and not relation.get("reason")
    )


def folded_text(n: int, others: bool = False) -> str:
    """``29 unchanged relations (--show-unchanged lists them)``; ``others`` when some unchanged ones are shown."""
    what = plural(n, "other unchanged relation" if others else "unchanged relation")
    return f"{what} (--show-unchanged lists {'it' if n == 1 else 'them'})"


def field_detail(field: dict[str, Any]) -> str:
    """One field as a sentence: ``"old" → "new"``, or what drift means for it."""
    change, before, after, synced = field["change"], field["before"], field["after"], field["synced"]
    drift = f"drifted in Silvasoft: {value(before)} (last synced {value(synced)})"
    if change == "add":
        text = value(after)
    elif change == "update":
        text = f"{value(before)} → {value(after)}"
    elif change == "overwrite":
        return f"{drift}; OutSmart wins → {value(after)}"
    elif change == "keep":
        return f"{drift}; kept (the mapping keeps Silvasoft's value)"
    elif change == "unset":
        text = f"no longer set by the mapping; Silvasoft keeps {value(before)} (updaterelation cannot clear it)"
    else:
        text = value(after)
    if field["drift"]:
        text += f"; drifted in Silvasoft (last synced {value(synced)})"
    return text


def coverage_items(coverage: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The coverage findings as (heading, items), empty ones left out; items are plain text."""
    sections: list[tuple[str, list[str]]] = [
        ("OutSmart fields the mapping does not read", [visible(f) for f in coverage["fields_unread"]]),
        (
            "OutSmart freefields the mapping does not read",
            [
                f"freefield {f['number']}" + (f" ({visible(f['name'])})" if f["name"] else "")
                for f in coverage["freefields_unread"]
            ],
        ),
    ]
    for endpoint, params in coverage["parameters_unset"].items():
        if params:
            sections.append((f"{visible(endpoint)} parameters the mapping does not set", [visible(p) for p in params]))
    sections += [
        (
            "Lookup values no relation had",
            [
                f"{visible(u['parameter'])} ({visible(u['rule'])}): " + ", ".join(value(v) for v in u["values"])
                for u in coverage["lookup_values_unseen"]
            ],
        ),
        ("Routes no relation took", [visible(r) for r in coverage["routes_unmatched"]]),
        (
            "Record warnings per rule",
            [
                f"{visible(w['parameter'])} ({visible(w['rule'])}): {plural(w['records'], 'relation')}"
                for w in coverage.get("warnings_per_rule", ())
            ],
        ),
    ]
    return [(heading, items) for heading, items in sections if items]


def coverage_scope(coverage: dict[str, Any]) -> str:
    """``over 1,000 relations``, or that lookup values and routes were not measured (no full read)."""
    records = coverage["records"]
    if records is None:
        return "from the mapping alone; --full also checks lookup values and routes"
    return f"over {plural(records, 'relation')}"
