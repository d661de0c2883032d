"""The plan as ``--format json`` and ``--out`` give it unless ``--show-unchanged``: what a reviewer reads, and what
``run --plan`` checks, without the rest.

An unchanged relation with nothing to review (plan_values.folds) becomes one small entry without ``fields``; the
other relations keep only the parameters that change or drifted, and count the rest in ``fields_omitted``. A reader
tells the forms apart by the document's ``show_unchanged`` and, relation by relation, by whether ``fields`` is there.
Each changed relation keeps its ``send`` and fingerprints, and each compact entry its fingerprints, so a saved plan
still holds all that applying it verifies.
"""

from __future__ import annotations

from typing import Any

from relmap.report.plan_values import folds, notable

# The keys of an unchanged relation's compact entry, in the order of the full entry's.
COMPACT = ("debtor_number", "name", "action", "symbol", "route", "endpoint", "guid", "matched_by", "fingerprint")


def compact(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without unchanged relations' details and unchanged parameters; ``doc`` itself is not changed."""
    entries = doc["relations"]
    if hasattr(entries, "compact"):  # report.plan.Relations, made one at a time: compact each as it is made
        return {**doc, "show_unchanged": False, "relations": entries.compact()}
    return {**doc, "show_unchanged": False, "relations": [compact_entry(entry) for entry in entries]}


def compact_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """One relation's entry in the compact form."""
    if folds(entry):
        return {key: entry[key] for key in COMPACT}
    kept, same = notable(entry)
    return {**entry, "fields": kept, "fields_omitted": entry.get("fields_omitted", 0) + len(same)}
