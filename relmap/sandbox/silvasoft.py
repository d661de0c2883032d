"""The Silvasoft emulator: add/update/list relations under /rest, with its auth headers, checks and rate limits.

Order per request: endpoint (404), method (405), credentials (401), rate limit (401 / 429, counted from here on),
Content-Type and body (400), parameters (400), then the book.
"""

from __future__ import annotations

import copy
import json
import time
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
_FAULTS = {
    "error": (500, "Technical error"),
    "throttle": (429, "Too many requests"),
    "ratelimit": (401, "Ratelimit exceeded"),
}


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"errorCode": status, "errorMessage": message})


class SilvasoftEmulator(Emulator):
    file_name = "silvasoft.json"

    def __init__(
        self,
        faults: Faults | None = None,
        clock: Clock = time.time,
        requests_per_hour: int = 1200,
        per_second: int | None = None,
        per_minute: int | None = None,
    ) -> None:
        super().__init__(faults, clock)
        self.username, self.api_key = SILVASOFT_USERNAME, SILVASOFT_API_KEY
        self._limiter = RateLimiter(requests_per_hour, per_minute, per_second)
        self._book = Book()

    # -- state -----------------------------------------------------------------------------------------------
    def reset_data(self) -> None:
        """No relations, GUIDs and customer numbers from the start, an unused rate budget."""
        with self._lock:
            self._book.clear()
            self._limiter.clear()
            self.persist()

    def snapshot(self) -> dict[str, Any]:
        return self._book.snapshot()

    def restore(self, saved: dict[str, Any]) -> None:
        self._book.restore(saved)

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
            self.persist()
            return int(created["RelationGUID"])

    def edit(self, guid: int, **fields: Any) -> None:
        """Change a stored relation by hand, as a bookkeeper would in Silvasoft's screens."""
        unknown = sorted(set(fields) - set(SHAPE)) + (["RelationGUID"] if "RelationGUID" in fields else [])
        if unknown:
            raise ValueError(f"cannot edit Silvasoft relation field(s): {', '.join(unknown)}")
        with self._lock:
            self._book.relations[guid].update(fields)
            self.persist()

    def requests_left(self) -> int:
        with self._lock:
            return self._limiter.left(self.clock())

    def set_requests_per_hour(self, limit: int) -> None:
        with self._lock:
            self._limiter.set_per_hour(limit)

    def reset_rate_window(self) -> None:
        with self._lock:
            self._limiter.clear()

    # -- HTTP ------------------------------------------------------------------------------------------------
    def endpoint(self, request: Request) -> str:
        path = request.path
        return (path[len(BASE_PATH) :] if path.startswith(BASE_PATH + "/") else path).strip("/")

    def is_write(self, request: Request) -> bool:
        return request.method in ("POST", "PUT")

    def fault_reply(self, kind: str) -> Reply:
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
        if name == "listrelations":
            return self._list(request)
        body = self._body(request)
        if isinstance(body, Reply):
            return body
        return self._update(body) if name == "updaterelation" else self._add(name, body)

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
        if existing is not None:  # returned unchanged; its old createdOn tells the client nothing was created
            return Reply(200, existing)
        created = self._book.create({**body, "RelationType": kind}, self._now())
        self.persist()
        return Reply(200, created)

    def _update(self, body: dict[str, Any]) -> Reply:
        problems = check_update(body)
        if problems:
            return _error(400, "; ".join(problems))
        try:
            updated = self._book.update(contact_as_list(body))
        except BookError as error:
            return _error(400, str(error))
        self.persist()
        return Reply(200, updated)

    def _list(self, request: Request) -> Reply:
        query, problems = parse_list_query(request.query)
        if query is None:
            return _error(400, "; ".join(problems))
        rows = self._book.query(query)
        return Reply(200, rows if rows else {})  # Silvasoft answers an empty object, not [], when nothing is found
