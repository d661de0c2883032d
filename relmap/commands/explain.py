"""``relmap explain MAPPING DEBTOR_NUMBER``: how the mapping turns one relation into its payload, step by step.

The relation comes from ``--input FILE``, else from the mapping's own source: its export file, or the OutSmart API
(only that relation is asked for; ``--sandbox`` asks the built-in emulator). Only OutSmart's settings are needed.

Exit codes: 0 the relation renders, or is skipped; 1 it has a record error; 2 it is not found, or a fatal problem
(a usage error, a mapping with errors, an input or API that cannot be read, a missing setting).
"""

from __future__ import annotations

import argparse
import difflib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from relmap.commands.loading import plan_or_report
from relmap.exits import EXIT_FAILED, EXIT_FATAL, EXIT_OK
from relmap.mapping.compiled import CompiledMapping
from relmap.report.terminal import escape
from relmap.sources.records import RecordProblem, SourceRecord
from relmap.state.view import Identity, identity

Item = SourceRecord | RecordProblem
CLOSE = 5  # close debtor numbers named when none matches


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.input and args.sandbox:
        err.write("relmap explain: error: give --input FILE or --sandbox, not both\n")
        return EXIT_FATAL
    plan = plan_or_report(args.mapping, err, "nothing was explained")
    if plan is None:
        return EXIT_FATAL
    wanted = str(args.debtor_number)
    if args.input or plan.source.kind == "file":
        if args.sandbox:
            err.write(
                f"relmap explain: error: --sandbox reads the OutSmart emulator, but this mapping reads the export "
                f"{plan.source.path}; leave out --sandbox\n"
            )
            return EXIT_FATAL
        path = str(args.input or plan.source.path)
        items, where = _from_file(plan, path, args.input_format or (None if args.input else plan.source.format))
    else:
        from relmap.commands.environment import environment

        with environment(args, plan, err) as (environ, _pace, _state):
            items, where = _from_api(plan, environ, wanted)
    found, notes = pick(items, wanted)
    if not found:
        message = f"no relation with debtor_number {wanted!r} in {where}{_close(items, wanted)}"
        err.write(f"relmap: error: {escape(message)}\n")
        return EXIT_FATAL
    from relmap.mapping.explain import explain
    from relmap.report import explain as report

    explanation = explain(plan, found[0], notes)
    known = _identity(args, explanation.payload, found[0].debtor_number or wanted)
    if args.format == "json":
        document = json.loads(report.as_json(explanation))
        document["identity"] = known.as_dict()
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(report.as_text(explanation) + identity_text(known, explanation.payload))
    return EXIT_FAILED if explanation.status == "error" else EXIT_OK


def _identity(args: argparse.Namespace, payload: dict[str, Any] | None, debtor: str) -> Identity:
    from relmap.state.store import default_path, payload_hash

    path = Path(args.state) if getattr(args, "state", None) else default_path(args.mapping, bool(args.sandbox))
    return identity(path, debtor, payload_hash(payload) if payload is not None else None)


def identity_text(known: Identity, payload: dict[str, Any] | None) -> str:
    """The identity step: the linked Silvasoft relation, or how a run would find it, and any open problem."""
    from datetime import datetime

    from relmap.sync.identity import payload_email, payload_number

    def when(moment: float) -> str:
        return datetime.fromtimestamp(moment).strftime("%Y-%m-%d %H:%M")

    lines = ["", "identity"]
    if known.state is None:
        lines.append("  no run has used a state yet: the first run identifies it in Silvasoft")
    elif known.guid is not None:
        lines.append(
            f"  linked to Silvasoft relation {known.guid} (matched by {known.matched_by}, {when(known.synced_at or 0)})"
        )
        if known.in_step is False:
            lines.append(
                "  its payload differs from the one last synced: the next run updates what updaterelation/ can change"
            )
        elif known.in_step:
            lines.append("  its payload is the one last synced: the next run sends nothing for it")
    else:
        keys = []
        if payload is not None and payload_number(payload) is not None:
            keys.append(f"CustomerNumber {payload_number(payload)}")
        if payload is not None and payload_email(payload):
            keys.append(f"e-mail {payload_email(payload)}")
        how = " then ".join(keys) if keys else "name and postal code (it has no CustomerNumber or e-mail)"
        lines.append(f"  not linked: a run looks for it in Silvasoft by {how}, or creates it")
    if known.problem is not None:
        problem = known.problem
        lines.append(
            f"  not in step: {problem.kind} since {when(problem.first_seen)}, last tried {when(problem.last_tried)}"
        )
        lines.append(f"    {problem.message}")
    return "".join(escape(line) + "\n" for line in lines)


def pick(items: Iterable[Item], wanted: str) -> tuple[list[Item], list[str]]:
    """The records whose debtor_number is ``wanted``: exactly, else as OutSmart's ``eq`` compares (``010045``)."""
    from relmap.sources.query import matches

    listed = [item for item in items if item.debtor_number is not None]
    found = [item for item in listed if item.debtor_number == wanted]
    notes = []
    if not found:
        found = [item for item in listed if matches(item.debtor_number, "eq", wanted)]
        if found:
            notes.append(f"no debtor_number is exactly {wanted!r}; OutSmart's eq matches {found[0].debtor_number!r}")
    if len(found) > 1:
        others = ", ".join(item.origin for item in found[1:4]) + (", ..." if len(found) > 4 else "")
        notes.append(f"{len(found)} relations have this debtor_number; this is the first (the others: {others})")
    return found, notes


def _close(items: list[Item], wanted: str) -> str:
    numbers = {item.debtor_number for item in items if item.debtor_number}
    scored = sorted((-difflib.SequenceMatcher(None, wanted, n).ratio(), n) for n in numbers)
    close = [number for score, number in scored if -score >= 0.6][:CLOSE]
    return f" (close: {', '.join(close)})" if close else ""


def _from_file(plan: CompiledMapping, path: str, format: str | None) -> tuple[list[Item], str]:
    from relmap.sources.files import STDIN, STDIN_NAME, read_records

    return list(read_records(path, format)), STDIN_NAME if path == STDIN else path


def _from_api(plan: CompiledMapping, environ: Mapping[str, str], wanted: str) -> tuple[list[Item], str]:
    """Ask OutSmart for that one relation (and, when the mapping names freefields, check their numbers)."""
    from relmap.http import HttpClient, Redactor
    from relmap.sources.outsmart import OutSmartClient
    from relmap.sources.records import normalize_record
    from relmap.sync.connect import outsmart_access, session
    from relmap.sync.reading import check_freefields

    source = plan.source
    url, token, software_token = outsmart_access(plan, environ)
    with session() as http_session:
        client = OutSmartClient(HttpClient(http_session, url, Redactor([token, software_token])), token, software_token)
        if plan.freefields:
            check_freefields(plan, client.freefields())
        answer: list[Any] = client.relations([("debtor_number", "eq", wanted)], source.include_freefields)
    items = []
    for index, raw in enumerate(answer):
        debtor = raw.get("debtor_number") if isinstance(raw, dict) else None
        items.append(normalize_record(raw, index, f"OutSmart relation {debtor}" if debtor else f"OutSmart #{index}"))
    return items, f"OutSmart (GET relations/ with debtor_number eq {wanted!r})"
