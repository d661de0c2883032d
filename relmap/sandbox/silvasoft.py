"""The Silvasoft emulator: add/update/list relations under /rest, with its auth headers, checks and rate limits.

Order per request: endpoint (404), method (405), credentials (401), rate limit (401 / 429, counted from here on),
Content-Type and body (400), parameters (400), then the book.

Creates and updates answer the relation the way the AddPrivateRelation page documents it, in ListRelations'
format: a JSON array of one (``answer_form="array"``, the default), or as a bare object (``"object"``). With
``empty_answer`` set (a body such as ``""``, ``"{}"``, ``"[]"``, ``"null"``), every answer where nothing was
created, updated or found is that body, as the status-code page allows: a create that found an existing relation,
an update that changed nothing or found no relation, a listing that found nothing. ``script`` bends the next
answers further, for tests of shapes the docs leave open. With ``existing_refused`` set, a create that finds an
existing relation is refused instead: a 400 with that errorMessage ("already exists"), as some clients met it.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from relmap.sandbox.emulator import Clock, Emulator, Reply, Request
from relmap.sandbox.faults import Faults
from relmap.sandbox.ratelimit import RateLimiter
from relmap.sandbox.silvasoft_book import SHAPE, Book, BookError
from relmap.sandbox.silvasoft_params import check_add, check_update, contact_as_list, parse_list_query

BASE_PATH = "/rest"
SILVASOFT_USERNAME = "sandbox@relmap.invalid"
SILVASOFT_API_KEY = "sandbox-silvasoft-api-key"
METHODS = {"addprivaterelation": "POST", "addbusinessrelation": "POST", "updaterelation": "PUT", "listrelations": "GET"}
KINDS = {"addprivaterelation": "Private", "addbusinessrelation": "Business"}
ANSWER_FORMS = ("array", "object")
_FAULTS = {
    "error": (500, "Technical error"),
    "throttle": (429, "Too many requests"),
    "ratelimit": (401, "Ratelimit exceeded"),
}


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"errorCode": status, "errorMessage": message})


@dataclass(frozen=True)
class RawReply(Reply):
    """An answer whose body is sent as these bytes, not as JSON: an empty body, whitespace, a proxy's 400."""

    raw: bytes = b""

    def body(self) -> bytes:
        return self.raw


@dataclass
class _Script:
    endpoint: str
    count: int
    before: Callable[[Any], None] | None
    reshape: Callable[[Any], Any] | None


class SilvasoftEmulator(Emulator):
    file_name = "silvasoft.json"

    def __init__(
        self,
        faults: Faults | None = None,
        clock: Clock = time.time,
        requests_per_hour: int = 1200,
        per_second: int | None = None,
        per_minute: int | None = None,
        answer_form: str = "array",
        empty_answer: str | None = None,
        existing_refused: str | None = None,
    ) -> None:
        super().__init__(faults, clock)
        if answer_form not in ANSWER_FORMS:
            raise ValueError(f"answer_form must be one of {', '.join(ANSWER_FORMS)}, got {answer_form!r}")
        self.username, self.api_key = SILVASOFT_USERNAME, SILVASOFT_API_KEY
        self.answer_form = answer_form
        self.empty_answer = empty_answer  # None: answer the relation (or {} for an empty listing), as by default
        self.existing_refused = existing_refused  # a create of an existing relation: a 400 with this errorMessage
        self._limiter = RateLimiter(requests_per_hour, per_minute, per_second)
        self._book = Book()
        self._scripts: list[_Script] = []

    # -- state -----------------------------------------------------------------------------------------------
    def reset_data(self) -> None:
        """No relations, GUIDs and customer numbers from the start, an unused rate budget, no scripted answers."""
        with self._lock:
            self._book.clear()
            self._limiter.clear()
            self._scripts.clear()
            self.persist()

    def snapshot(self) -> dict[str, Any]:
        return self._book.snapshot()

    def restore(self, saved: dict[str, Any]) -> None:
        self._book.restore(saved)

    def replay(self, entry: Any) -> None:
        if "put" in entry:
            self._book.put(entry["put"])
        elif entry["remove"] in self._book.relations:
            self._book.remove(entry["remove"])
        self._book.next_guid, self._book.next_number = entry["next_guid"], entry["next_number"]

    def size(self) -> int:
        return len(self._book.relations)

    def _saved(self, relation: dict[str, Any] | None = None, removed: int | None = None) -> None:
        """persist() with the journal entry of one relation stored (or removed)."""
        change = {"put": relation} if relation is not None else {"remove": removed}
        self.persist({**change, **self._book.counters()})

    def _now(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.clock()))

    # -- the Python API for tests ----------------------------------------------------------------------------
    def relations(self) -> list[dict[str, Any]]:
        """Copies of every relation, in GUID order."""
        with self._lock:
            return [copy.deepcopy(self._book.relations[guid]) for guid in sorted(self._book.relations)]

    def get(self, guid: int) -> dict[str, Any] | None:
        with self._lock:
            return copy.deepcopy(self._book.relations.get(guid))

    def add(self, relation: dict[str, Any]) -> int:
        """Store a relation that existed before the sync (fields of the stored shape); returns its GUID.

        Missing fields are filled as an add would; a RelationGUID may be given, to match a prepared link table.
        """
        unknown = sorted(set(relation) - set(SHAPE))
        if unknown:
            raise ValueError(f"unknown Silvasoft relation field(s): {', '.join(unknown)}")
        with self._lock:
            number, guid = relation.get("CustomerNumber"), relation.get("RelationGUID")
            if number and self._book.by_number(number):
                raise ValueError(f"CustomerNumber {number} is taken")
            if guid in self._book.relations:
                raise ValueError(f"RelationGUID {guid} is taken")
            fields = dict(relation)
            if not fields.get("RelationType"):
                business = fields.get("Name") and not fields.get("Relation_Contact")
                fields["RelationType"] = "Business" if business else "Private"
            created = self._book.create(fields, self._now())
            self._saved(created)
            return int(created["RelationGUID"])

    def edit(self, guid: int, **fields: Any) -> None:
        """Change a stored relation by hand, as a bookkeeper would in Silvasoft's screens."""
        unknown = sorted(set(fields) - set(SHAPE)) + (["RelationGUID"] if "RelationGUID" in fields else [])
        if unknown:
            raise ValueError(f"cannot edit Silvasoft relation field(s): {', '.join(unknown)}")
        with self._lock:
            self._saved(self._book.edit(guid, fields))

    def remove(self, guid: int) -> None:
        """Delete a stored relation by hand, as a bookkeeper would in Silvasoft's screens."""
        with self._lock:
            self._book.remove(guid)
            self._saved(removed=guid)

    def requests_left(self) -> int:
        with self._lock:
            return self._limiter.left(self.clock())

    def set_requests_per_hour(self, limit: int) -> None:
        with self._lock:
            self._limiter.set_per_hour(limit)

    def reset_rate_window(self) -> None:
        with self._lock:
            self._limiter.clear()

    def script(
        self,
        endpoint: str,
        before: Callable[[Any], None] | None = None,
        reshape: Callable[[Any], Any] | None = None,
        count: int = 1,
    ) -> None:
        """For the next ``count`` requests to ``endpoint`` past the credentials and rate limit: call ``before(body)``
        once the body is read (a copy of its JSON, None for a listing), and answer a 200 with ``reshape(answer)``
        instead of the answer (None for an empty one; bytes returned are sent as they are). The request is
        handled as usual: a write is carried out, a refused request is answered unshaped."""
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count!r}")
        with self._lock:
            self._scripts.append(_Script(endpoint, count, before, reshape))

    # -- HTTP ------------------------------------------------------------------------------------------------
    def endpoint(self, request: Request) -> str:
        path = request.path
        return (path[len(BASE_PATH) :] if path.startswith(BASE_PATH + "/") else path).strip("/")

    def is_write(self, request: Request) -> bool:
        return request.method in ("POST", "PUT")

    def fault_reply(self, kind: str) -> Reply:
        if kind == "bad_request":  # what a proxy in front of an API may answer: no body, no errorMessage
            return RawReply(400, None)
        return _error(*_FAULTS[kind])

    def handle(self, request: Request) -> Reply:
        name = self.endpoint(request)
        if not request.path.startswith(BASE_PATH + "/") or name not in METHODS:
            return _error(404, "Unknown endpoint")
        if request.method != METHODS[name]:
            return _error(405, f"Method {request.method} not allowed; {name} takes {METHODS[name]}")
        if request.header("ApiKey") != self.api_key or request.header("Username") != self.username:
            return _error(401, "Invalid authentication credentials")
        refused = self._limiter.admit(self.clock())
        if refused is not None:
            return self.fault_reply(refused)
        script = self._next_script(name)
        reply = self._dispatch(name, request, script.before if script else None)
        if script is None or script.reshape is None or reply.status != 200:
            return reply
        shaped = script.reshape(None if isinstance(reply, RawReply) else reply.payload)
        return RawReply(200, None, raw=shaped) if isinstance(shaped, bytes) else Reply(200, shaped)

    def _dispatch(self, name: str, request: Request, before: Callable[[Any], None] | None) -> Reply:
        if name == "listrelations":
            if before:
                before(None)
            return self._list(request)
        body = self._body(request)
        if isinstance(body, Reply):
            return body
        if before:
            before(copy.deepcopy(body))
        return self._update(body) if name == "updaterelation" else self._add(name, body)

    def _next_script(self, name: str) -> _Script | None:
        script = next((s for s in self._scripts if s.endpoint == name), None)
        if script is not None:
            script.count -= 1
            if script.count == 0:
                self._scripts.remove(script)
        return script

    def _answer(self, relation: dict[str, Any] | None) -> Reply:
        """A write's answer: the relation in the answer form, or the empty answer when nothing was written."""
        if relation is None:
            return RawReply(200, None, raw=(self.empty_answer or "").encode())
        return Reply(200, [relation] if self.answer_form == "array" else relation)

    @staticmethod
    def _body(request: Request) -> dict[str, Any] | Reply:
        content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _error(400, "Content-Type must be application/json")
        try:
            body = json.loads(request.body) if request.body.strip() else None
        except ValueError:
            return _error(400, "Request body is not valid JSON")
        if not isinstance(body, dict):
            return _error(400, "Request body must be a JSON object")
        return body

    def _add(self, name: str, body: dict[str, Any]) -> Reply:
        problems = check_add(name, body)
        if problems:
            return _error(400, "; ".join(problems))
        kind = KINDS[name]
        existing = self._book.existing(kind, body)
        if existing is not None and self.existing_refused is not None:
            return _error(400, self.existing_refused)
        if existing is not None:  # returned unchanged; its old createdOn tells the client nothing was created
            return self._answer(None if self.empty_answer is not None else existing)
        created = self._book.create({**body, "RelationType": kind}, self._now())
        self._saved(created)
        return self._answer(created)

    def _update(self, body: dict[str, Any]) -> Reply:
        problems = check_update(body)
        if problems:
            return _error(400, "; ".join(problems))
        before = self._book.relations.get(body["RelationGUID"])
        if before is None and self.empty_answer is not None:
            return self._answer(None)  # "nothing was updated", as the status-code page has it
        before = copy.deepcopy(before)
        try:
            updated = self._book.update(contact_as_list(body))
        except BookError as error:
            return _error(400, str(error))
        self._saved(updated)
        unchanged = updated == before and self.empty_answer is not None
        return self._answer(None if unchanged else updated)

    def _list(self, request: Request) -> Reply:
        query, problems = parse_list_query(request.query)
        if query is None:
            return _error(400, "; ".join(problems))
        rows = self._book.query(query)
        if not rows and self.empty_answer is not None:
            return self._answer(None)
        return Reply(200, rows if rows else {})  # Silvasoft answers an empty object, not [], when nothing is found
