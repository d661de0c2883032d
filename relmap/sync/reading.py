"""Where a run's relations come from: the OutSmart API (incrementally) or an export file named by the mapping, each
record rendered as it is read (``items``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import partial

from relmap.errors import ConfigError
from relmap.mapping.compiled import CompiledMapping
from relmap.mapping.coverage import Exercised
from relmap.mapping.render import Renderer, render_record
from relmap.sources.json_document import TOO_DEEP, TooDeep
from relmap.sources.outsmart import OutSmartClient
from relmap.sources.records import RecordProblem, SourceRecord, normalize_record
from relmap.sync.results import Item
from relmap.sync.saved import source_fingerprint

Reader = Callable[[str | None], Iterable[SourceRecord | RecordProblem]]
STAMP = "%Y-%m-%d %H:%M:%S"  # OutSmart's modified_at / created_at


def reader(plan: CompiledMapping, client: OutSmartClient | None) -> Reader:
    """A function that reads the relations changed since a ``modified_at`` value (None: all of them)."""
    if plan.source.kind == "file":
        from relmap.sources.files import read_records

        path, fmt = plan.source.path or "", plan.source.format
        return lambda since: read_records(path, fmt)
    if client is None:
        raise ConfigError("this mapping reads from the OutSmart API, but no OutSmart client was set up")
    outsmart = client

    def read(since: str | None) -> Iterator[SourceRecord | RecordProblem]:
        if plan.freefields:
            check_freefields(plan, outsmart.freefields())
        filters = [(f.key, f.operator, f.value) for f in plan.source.filters]
        # Each relation is made a record as it is read back from the spooled answer, never held whole (outsmart).
        if since is None:
            relations = outsmart.each_relation(filters, plan.source.include_freefields)
        else:
            # A new relation may carry a zero modified_at; reading by created_at too keeps it from being missed.
            include = plan.source.include_freefields
            relations = _merged(
                partial(outsmart.each_relation, [*filters, (stamp, "ge", since)], include)
                for stamp in ("modified_at", "created_at")
            )
        for index, raw in enumerate(relations):
            debtor = raw.get("debtor_number") if isinstance(raw, dict) else None
            origin = f"OutSmart relation {debtor}" if debtor else f"OutSmart relation #{index + 1}"
            if isinstance(raw, TooDeep):
                yield RecordProblem(index, origin, TOO_DEEP, None)
            else:
                yield normalize_record(raw, index, origin)

    return read


def _merged(reads: Iterable[Callable[[], Iterable[object]]]) -> Iterator[object]:
    """Relations of several reads, one read after the other, each debtor_number once (the first read's copy); of
    those handed on, only their debtor numbers are kept."""
    seen: set[object] = set()
    for read in reads:
        for raw in read():
            key = raw.get("debtor_number") if isinstance(raw, dict) else None
            if key is None or key not in seen:
                if key is not None:
                    seen.add(key)
                yield raw


def check_freefields(plan: CompiledMapping, settings: list[object]) -> None:
    """The freefields the mapping names must exist in OutSmart under the number the mapping gives them."""
    numbers: dict[str, int] = {}
    for item in settings:
        if isinstance(item, dict) and str(item.get("fld_order", "")).isdigit():
            numbers[str(item.get("fld_name", "")).strip().casefold()] = int(item["fld_order"])
    problems = []
    for name, number in plan.freefields.items():
        actual = numbers.get(name.strip().casefold())
        if actual is None:
            problems.append(f"'{name}' is not a relation freefield in this OutSmart account")
        elif actual != number:
            problems.append(f"'{name}' is freefield {actual} in OutSmart, the mapping says {number}")
    if problems:
        raise ConfigError(f"{plan.path}: freefields: " + "; ".join(problems) + " (GET /freefields/)")


def items(
    plan: CompiledMapping,
    records: Iterable[SourceRecord | RecordProblem],
    notes: list[str],
    exercised: Exercised | None = None,
    keep_records: bool = True,
) -> Iterator[Item]:
    """Each record rendered as it is read, one at a time (an identical copy counted once, said in ``notes``). With
    ``exercised``, the rendering is traced and noted there for coverage: a dry run's one render pass. Without
    ``keep_records``, an item keeps its record's fingerprint instead of the record."""
    tracing = None
    if exercised is not None:
        from relmap.mapping.render_trace import TracingRenderer

        tracing = TracingRenderer(plan)
    renderer = tracing or Renderer(plan)
    for record in deduplicated(records, notes):
        rendered = render_record(renderer, record)
        source = record if isinstance(record, SourceRecord) else None
        if source is not None and exercised is not None and tracing is not None:
            exercised.note(source, rendered, tracing.trace)
        fields = source.fields if source else {}
        name, modified_at = str(fields.get("name") or ""), stamp(fields.get("modified_at"))
        if keep_records:
            yield Item(source, rendered, name, modified_at)
        else:
            yield Item(None, rendered, name, modified_at, source_fingerprint(source))


def deduplicated(
    records: Iterable[SourceRecord | RecordProblem], notes: list[str]
) -> Iterator[SourceRecord | RecordProblem]:
    """A relation sent twice, identically, counts once (each copy left out is said in ``notes``); two different
    ones under one debtor number are reported by the planner. Each record is handed on as it comes, and of those
    before it only a digest is kept."""
    seen: dict[tuple[str, bytes], str] = {}
    for record in records:
        if isinstance(record, SourceRecord):
            key = (record.debtor_number, _digest(record))
            if key in seen:
                notes.append(f"{record.origin}: an identical copy of the relation at {seen[key]}; counted once")
                continue
            seen[key] = record.origin
        yield record


def _digest(record: SourceRecord) -> bytes:
    """A record's fields and freefields as 16 bytes (blake2b), instead of their whole text."""
    text = repr(sorted(record.fields.items())) + repr(sorted(record.freefields.items()))
    return hashlib.blake2b(text.encode("utf-8", "backslashreplace"), digest_size=16).digest()


def stamp(value: str | None) -> str | None:
    """A usable ``YYYY-MM-DD HH:MM:SS`` (zero dates and odd values are not)."""
    if not value or value.startswith("0000"):
        return None
    try:
        datetime.strptime(value, STAMP)
    except ValueError:
        return None
    return value
