"""Opt-in write-back: the Silvasoft RelationGUID goes into OutSmart's external_id, in batches.

POST /relations/ is an upsert keyed on debtor_number that needs the required fields, so each relation is sent back
with the values it was read with, only external_id changed.
"""

from __future__ import annotations

from typing import Any

from relmap.errors import ApiError
from relmap.sources.outsmart import OutSmartClient
from relmap.sources.records import SourceRecord
from relmap.state.store import State

BATCH = 100


def write_back(client: OutSmartClient, state: State, records: list[SourceRecord]) -> list[str]:
    """Write the GUID of every linked relation read this run whose external_id lacks it; returns warnings."""
    links = state.link_table()
    done: list[str] = []
    todo: list[dict[str, Any]] = []
    for record in records:
        link = links.get(record.debtor_number)
        if link is None or link.written_back:
            continue
        if (record.fields.get("external_id") or "") == str(link.guid):
            done.append(record.debtor_number)
        else:
            todo.append(_relation(record, str(link.guid)))
    warnings: list[str] = []
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        try:
            client.upsert(batch)
        except ApiError as exc:
            warnings.append(f"write-back of {len(batch)} external_id value(s) to OutSmart failed: {exc}")
            continue
        done += [str(r["debtor_number"]) for r in batch]
    state.mark_written_back(done)
    return warnings


def _relation(record: SourceRecord, guid: str) -> dict[str, Any]:
    relation: dict[str, Any] = {k: v for k, v in record.fields.items() if k not in ("created_at", "modified_at")}
    relation["external_id"] = guid
    if record.freefields:
        relation["FreeFields"] = {str(number): value for number, value in record.freefields.items()}
    return relation
