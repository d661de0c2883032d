"""The OutSmart emulator: GET/POST /openapi/8/relations/ and GET /freefields/, answered in OutSmart's envelope.

Every answer is HTTP 200; what went wrong is in the envelope's ``code`` and ``messages``, as with the real API.

Memory: each relation is kept as the JSON text of its fields (UTF-8 bytes, as GET sends them) beside its
freefields, never as a dict of its own; a write replaces a relation whole. So the seed shares the relations it
was loaded with until they change, and GET /relations/ answers from a list of the relations that pass, taken under
the lock and sent one relation at a time: 100,000 relations are never a list of dicts, nor one encoded answer.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from relmap.catalog.outsmart import FIELDS, FILTER_KEYS
from relmap.sandbox.emulator import Clock, Emulator, Reply, Request, StreamedReply
from relmap.sandbox.faults import Faults
from relmap.sandbox.outsmart_filters import FilterError, parse_filters, passes
from relmap.sandbox.storage import JsonText
from relmap.sources.records import FREEFIELD_PREFIX, RecordProblem, SourceRecord, normalize_record, value_text

BASE_PATH = "/openapi/8"
OUTSMART_TOKEN = "sandbox-outsmart-token"
OUTSMART_SOFTWARE_TOKEN = "sandbox-outsmart-software-token"
REQUIRED = ("name", "debtor_number", "street", "postal_code", "city")
ENDPOINTS = ("relations", "freefields")
# The server keeps these itself; a POST cannot set them.
SERVER_FIELDS = frozenset({"created_at", "modified_at"})
FREEFIELD_FILTER_KEYS = {
    key: key for key in ("fld_entity", "fld_name", "fld_type", "fld_reference_name", "fld_order", "fld_required")
}
_KNOWN_FIELDS = tuple(f.name for f in FIELDS)
_NO_FREEFIELDS: Mapping[int, str | None] = MappingProxyType({})
_ANSWER_START = b'{"code": 200, "messages": [], "response": ['  # json.dumps of _ok's payload, around the relations
_ANSWER_END = b"]}"
_BETWEEN = b", "


def _encoded(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a hand edit (a POST or a saved state has none): kept as given
        return text.encode("utf-8", "surrogatepass")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogatepass")


class _Relation:
    """One relation: ``encoded``, the JSON object of its fields in their order, and its freefields by number.
    Never changed once made (a write puts a new one in its place), so an answer being sent can hold on to it."""

    __slots__ = ("encoded", "freefields")

    def __init__(self, fields: Mapping[str, str | None], freefields: Mapping[int, str | None]) -> None:
        self.encoded = _encoded(fields)
        self.freefields = dict(freefields) if freefields else _NO_FREEFIELDS

    @property
    def fields(self) -> dict[str, str | None]:
        """A fresh dict of the fields, in their order."""
        fields: dict[str, str | None] = json.loads(_text(self.encoded))
        return fields

    def public(self, numbers: list[int]) -> dict[str, Any]:
        """The relation as GET shows it, with freefields ``numbers`` as top-level ``val_value_N`` keys."""
        shown: dict[str, Any] = self.fields
        shown.update({f"{FREEFIELD_PREFIX}{n}": self.freefields.get(n) for n in numbers})
        return shown

    def shown(self, numbers: list[int], blank: bytes) -> tuple[bytes, bytes]:
        """The JSON of ``public(numbers)`` in two pieces: the fields' object without its closing brace, and the
        freefields with it (``blank`` when the relation has none)."""
        return self.encoded[:-1], blank if not self.freefields else _tail(self.freefields, numbers)

    def shown_length(self, numbers: list[int], blank: bytes) -> int:
        """The length of what ``shown`` gives, in bytes."""
        return len(self.encoded) - 1 + len(blank if not self.freefields else _tail(self.freefields, numbers))

    def saved(self) -> JsonText:
        """The JSON text of ``public`` with every stored freefield, for the saved state."""
        head, tail = self.shown(sorted(self.freefields), b"}")
        return JsonText(_text(head + tail))


def _tail(freefields: Mapping[int, str | None], numbers: list[int]) -> bytes:
    """The ``val_value_N`` members of ``numbers`` after a relation's fields, as json.dumps writes them, and ``}``."""
    members = b"".join(b', "%s%d": %s' % (FREEFIELD_PREFIX.encode(), n, _encoded(freefields.get(n))) for n in numbers)
    return members + b"}"


def _ok(response: Any) -> Reply:
    return Reply(200, {"code": 200, "messages": [], "response": response}, code=200)


def _error(code: int, *messages: str) -> Reply:
    return Reply(200, {"code": code, "messages": list(messages), "response": None}, code=code)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _streamed(chosen: list[_Relation], numbers: list[int]) -> StreamedReply:
    """_ok's answer of ``chosen`` as ``public(numbers)`` each: the same bytes, a relation at a time."""
    blank = _tail(_NO_FREEFIELDS, numbers)
    length = len(_ANSWER_START) + len(_ANSWER_END) + len(_BETWEEN) * max(len(chosen) - 1, 0)
    length += sum(r.shown_length(numbers, blank) for r in chosen)

    def pieces() -> Iterator[bytes]:
        yield _ANSWER_START
        for number, relation in enumerate(chosen):
            if number:
                yield _BETWEEN
            yield from relation.shown(numbers, blank)
        yield _ANSWER_END

    return StreamedReply(200, None, code=200, length=length, pieces=pieces)


def _table(relations: Iterable[Any]) -> dict[str, _Relation]:
    """The relations by debtor_number (a later one replacing an earlier one with the same number)."""
    table: dict[str, _Relation] = {}
    for index, raw in enumerate(relations):
        record = _normalize(raw, index)
        table[record.debtor_number] = _Relation(record.fields, record.freefields)
    return table


def _normalize(raw: object, index: int) -> SourceRecord:
    record = normalize_record(raw, index, "sandbox")
    if isinstance(record, RecordProblem):
        raise ValueError(record.message)
    return record


class OutSmartEmulator(Emulator):
    file_name = "outsmart.json"
    fault_kinds = frozenset({"error", "drop", "drop_after_write", "cut", "garble"})

    def __init__(
        self,
        relations: list[dict[str, Any]],
        freefields: list[dict[str, Any]],
        faults: Faults | None = None,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(faults, clock)
        self.token, self.software_token = OUTSMART_TOKEN, OUTSMART_SOFTWARE_TOKEN
        # The seed's relations are the ones it starts with, shared until a write replaces them.
        self._seed = (_table(relations), copy.deepcopy(freefields))
        self._relations: dict[str, _Relation] = {}
        self._settings: list[dict[str, Any]] = []
        self.reset_data()

    # -- state -----------------------------------------------------------------------------------------------
    def reset_data(self) -> None:
        """Back to the seed relations and freefield settings."""
        with self._lock:
            self._relations = dict(self._seed[0])
            self._settings = copy.deepcopy(self._seed[1])
            self.persist()

    def snapshot(self) -> dict[str, Any]:
        # Written out at once under the lock, so the relations are written one by one, never copied all at once.
        relations = (r.saved() for r in self._relations.values())
        return {"relations": relations, "freefields": copy.deepcopy(self._settings)}

    def restore(self, saved: dict[str, Any]) -> None:
        self._relations = _table(saved["relations"])
        self._settings = copy.deepcopy(saved["freefields"])

    def replay(self, entry: Any) -> None:
        if "put" in entry:
            record = _normalize(entry["put"], 0)
            self._relations[record.debtor_number] = _Relation(record.fields, record.freefields)
        else:
            self._relations.pop(entry["remove"], None)

    def size(self) -> int:
        return len(self._relations)

    def _put(self, debtor_number: str) -> dict[str, Any]:
        relation = self._relations[debtor_number]
        return {"put": relation.public(sorted(relation.freefields))}

    def _now(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.clock()))

    def _declared(self) -> list[int]:
        """Numbers of the freefields declared for relations (fld_entity CLIENT), the ones GET may show."""
        numbers = {int(s["fld_order"]) for s in self._settings if s.get("fld_entity") == "CLIENT"}
        return sorted(numbers)

    # -- the Python API for tests ----------------------------------------------------------------------------
    def add(self, relation: dict[str, Any]) -> None:
        """Store a relation as given (replacing one with its debtor_number); missing timestamps become now."""
        record = _normalize(relation, 0)
        with self._lock:
            fields = dict(record.fields)
            for name in SERVER_FIELDS:
                fields[name] = fields.get(name) or self._now()
            self._relations[record.debtor_number] = _Relation(fields, record.freefields)
            self.persist(self._put(record.debtor_number))

    def edit(self, debtor_number: str, **changes: Any) -> None:
        """Change fields (``val_value_N`` for freefields) as an OutSmart user would; modified_at becomes now."""
        with self._lock:
            relation = self._relations[debtor_number]
            fields, freefields = relation.fields, dict(relation.freefields)
            for name, value in changes.items():
                if name.startswith(FREEFIELD_PREFIX):
                    freefields[int(name[len(FREEFIELD_PREFIX) :])] = value_text(value)
                else:
                    fields[name] = value_text(value)
            if "modified_at" not in changes:
                fields["modified_at"] = self._now()
            self._relations[debtor_number] = _Relation(fields, freefields)
            self.persist(self._put(debtor_number))

    def get(self, debtor_number: str) -> dict[str, Any] | None:
        with self._lock:
            relation = self._relations.get(debtor_number)
            return relation.public(sorted(relation.freefields)) if relation else None

    def relations(self) -> list[dict[str, Any]]:
        """Copies of every relation, every stored freefield as ``val_value_N``."""
        with self._lock:
            return [r.public(sorted(r.freefields)) for r in self._relations.values()]

    def remove(self, debtor_number: str) -> None:
        with self._lock:
            del self._relations[debtor_number]
            self.persist({"remove": debtor_number})

    def freefield_settings(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._settings)

    # -- HTTP ------------------------------------------------------------------------------------------------
    def endpoint(self, request: Request) -> str:
        path = request.path
        rest = path[len(BASE_PATH) :] if path == BASE_PATH or path.startswith(BASE_PATH + "/") else path
        return rest.strip("/")

    def is_write(self, request: Request) -> bool:
        return request.method == "POST"

    def fault_reply(self, kind: str) -> Reply:
        return _error(1007, "General error")

    def handle(self, request: Request) -> Reply:
        name = self.endpoint(request)
        if not request.path.startswith(BASE_PATH) or name not in ("", *ENDPOINTS):
            return _error(1001, f"Unknown endpoint: {name}")
        if not name:
            return _error(1000, "No endpoint given")
        refused = self._authenticate(request)
        if refused is not None:
            return refused
        if request.method == "GET":
            return self._get_relations(request) if name == "relations" else self._get_freefields(request)
        if request.method == "POST" and name == "relations":
            return self._post_relations(request)
        return _error(1001, f"Unknown endpoint: {request.method} /{name}/")

    def _authenticate(self, request: Request) -> Reply | None:
        token, software_token = request.param("token"), request.param("software_token")
        if not token:
            return _error(1002, "Missing token")
        if not software_token:
            return _error(1003, "Missing software_token")
        if token != self.token:
            return _error(1004, "Client token unauthorized")
        if software_token != self.software_token:
            return _error(1005, "Software token unauthorized")
        return None

    def _get_relations(self, request: Request) -> Reply:
        try:
            filters = parse_filters(request, FILTER_KEYS)
        except FilterError as error:
            return _error(1007, str(error))
        include = (request.param("includeFreefields") or "").strip().lower() in ("true", "1")
        numbers = self._declared() if include else []
        # The relations that pass, as they are now (a write meanwhile puts new ones in their place), sent one by one.
        return _streamed([r for r in self._relations.values() if not filters or passes(filters, r.fields)], numbers)

    def _get_freefields(self, request: Request) -> Reply:
        try:
            filters = parse_filters(request, FREEFIELD_FILTER_KEYS)
        except FilterError as error:
            return _error(1007, str(error))
        return _ok([copy.deepcopy(s) for s in self._settings if passes(filters, s)])

    def _post_relations(self, request: Request) -> Reply:
        if not request.body.strip():
            return _error(1008, "No body")
        try:
            data = json.loads(request.body)
        except ValueError:
            return _error(1009, "Body is not valid JSON")
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            return _error(1300, "Insert/update of relations failed: the body must be a JSON array of relations")
        missing = [f"Required field missing: {name}" for item in data for name in REQUIRED if _blank(item.get(name))]
        if missing:
            return _error(1301, *dict.fromkeys(missing))
        records, problems = [], []
        for index, item in enumerate(data):
            try:
                records.append(_normalize(item, index))
            except ValueError as error:
                problems.append(f"Insert/update of relation {item.get('debtor_number')!r} failed: {error}")
        if problems:  # nothing of the request is written when any relation fails
            return _error(1300, *problems)
        for record in records:
            self._upsert(record)
        self.persist(*(self._put(record.debtor_number) for record in records))
        return _ok(len(records))

    def _upsert(self, record: SourceRecord) -> None:
        # Fields OutSmart does not know are ignored, as a database would; server-kept timestamps too.
        given = {k: v for k, v in record.fields.items() if k in _KNOWN_FIELDS and k not in SERVER_FIELDS}
        existing = self._relations.get(record.debtor_number)
        if existing is None:
            fields: dict[str, str | None] = dict.fromkeys(_KNOWN_FIELDS)
            fields.update(given)
            fields["created_at"] = fields["modified_at"] = self._now()
            self._relations[record.debtor_number] = _Relation(fields, record.freefields)
            return
        fields = existing.fields
        changed = any(fields.get(k) != v for k, v in given.items()) or any(
            existing.freefields.get(n) != v for n, v in record.freefields.items()
        )
        fields.update(given)
        if changed:
            fields["modified_at"] = self._now()
        self._relations[record.debtor_number] = _Relation(fields, {**existing.freefields, **record.freefields})
