"""The Silvasoft API client: add a private or business relation, update one by GUID, list relations page by page.

Every request first takes a slot from the Pacer (2 per second, 50 per minute, the plan's hourly budget, shared
with earlier runs through the ledger). Status handling: 400 with Silvasoft's errorMessage is this record's error;
a 400 without one is not Silvasoft's verdict on the record (a proxy's answer): a read is retried, a write is left
for the next run; 401 is either the hourly limit (stop for this hour) or bad credentials (fatal, never retried);
429, 5xx, timeouts and dropped connections are retried with capped exponential backoff and jitter, except a create
that may already have been carried out. A 200's body may be an array, an object or empty (silvasoft_answers).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import requests

from relmap.errors import ApiError, CredentialsError, RateLimited, RecordRejected, Unavailable
from relmap.http import HttpClient, Retry, RetryPolicy, TransportFailure, retry_after, with_retries
from relmap.targets.silvasoft_answers import NOT_JSON, AmbiguousAnswer, guid_in, ours, page_of, relations_of

API = "Silvasoft"
PAGE_LIMIT = 200  # listrelations answers at most 200 relations per call
CREATE_ENDPOINTS = ("addprivaterelation", "addbusinessrelation")


class Pacer(Protocol):
    def acquire(self, endpoint: str) -> None:
        """Wait for a request slot and record it; raise BudgetSpent when the hour's budget is used up."""


class SilvasoftClient:
    """Talks to one Silvasoft account; counts every request it sends in ``requests``."""

    def __init__(
        self,
        http: HttpClient,
        username: str,
        api_key: str,
        pacer: Pacer,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.headers = {"ApiKey": api_key, "Username": username}
        self.pacer = pacer
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.rng = random.Random()
        self.requests = 0

    def create(self, endpoint: str, payload: dict[str, Any], retry_unsure: bool) -> list[dict[str, Any]]:
        """POST add*relation/: the relations the answer holds, usually one; [] for an empty answer (Silvasoft says
        it created nothing). ``retry_unsure``: repeat a create that may have happened (safe when ABORT dedups)."""
        if endpoint not in CREATE_ENDPOINTS:
            raise ValueError(f"not a create endpoint: {endpoint}")
        answer = self._call("POST", f"{endpoint}/", body=payload, repeatable=retry_unsure)
        return relations_of(answer, f"{endpoint}/")

    def update(self, guid: int, params: dict[str, Any]) -> dict[str, Any] | None:
        """PUT updaterelation/ for one relation: the updated relation, or None for an empty answer (Silvasoft says it
        updated nothing). The same update twice is harmless, so it is always retried."""
        answer = self._call("PUT", "updaterelation/", body={"RelationGUID": guid, **params}, repeatable=True)
        relations = relations_of(answer, "updaterelation/")
        relation = ours(relations, "updaterelation/", lambda r: guid_in(r) == guid)
        if relation is not None and guid_in(relation) not in (None, guid):
            raise AmbiguousAnswer(
                API, f"updaterelation/: the answer is relation {guid_in(relation)}, not the updated relation {guid}"
            )
        return relation

    def find(self, **filters: str) -> list[dict[str, Any]]:
        """One listrelations/ call with filters (RelationNumber, RelationEmail, RelationGUID, SearchOperand, ...)."""
        params = {"Limit": str(PAGE_LIMIT), "Offset": "0", "Sorting": "createdDate", "SortDir": "ASC", **filters}
        return page_of(self._call("GET", "listrelations/", params=params, repeatable=True), "listrelations/")[0]

    def list_all(self) -> Iterator[dict[str, Any]]:
        """Every relation, in pages of 200 in a stable order (oldest first, so new ones only add pages)."""
        offset = 0
        while True:
            page, items = self.list_page(offset)
            yield from page
            if items < PAGE_LIMIT:
                return
            offset += PAGE_LIMIT

    def list_page(self, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of the listing, oldest first, from ``offset``: its relations, and how many items it held (a page
        of fewer than 200 is the last)."""
        params = {"Limit": str(PAGE_LIMIT), "Offset": str(offset), "Sorting": "createdDate", "SortDir": "ASC"}
        return page_of(self._call("GET", "listrelations/", params=params, repeatable=True), "listrelations/")

    def _call(
        self, method: str, path: str, *, params: dict[str, str] | None = None, body: Any = None, repeatable: bool
    ) -> Any:
        return with_retries(
            lambda: self._once(method, path, params, body, repeatable), self.retry, self.sleep, self.rng
        )

    def _once(self, method: str, path: str, params: dict[str, str] | None, body: Any, repeatable: bool) -> Any:
        self.pacer.acquire(path.rstrip("/"))
        self.requests += 1
        headers = {**self.headers, **({"Content-Type": "application/json"} if body is not None else {})}
        try:
            response = self.http.send(method, path, params=params, json=body, headers=headers)
        except TransportFailure as exc:
            failure = Unavailable(API, str(exc), ambiguous=exc.sent and method != "GET")
            if exc.sent and not repeatable:
                raise failure from None
            raise Retry(failure) from None
        with response:
            return self._answer(method, path, response, repeatable)

    def _answer(self, method: str, path: str, response: requests.Response, repeatable: bool) -> Any:
        status = response.status_code
        body = _json(response)
        if status == 200:
            return body
        message = self.http.redact(f"{method} {path}: HTTP {status}: {_error_message(body, response)}")
        if status == 400 and _has_error_message(body):
            raise RecordRejected(API, message, status)
        if status == 400:  # Silvasoft's own 400s say what is wrong; a bare one comes from in front of it
            failure = Unavailable(API, f"{message} (without Silvasoft's error message; not a verdict on the data)", 400)
            if method != "GET":
                raise failure  # refused before it was carried out: the next run sends it again
            raise Retry(failure)
        if status == 401:
            if "rate" in message.lower() and "limit" in message.lower():
                raise RateLimited(API, message, status)
            raise CredentialsError(API, f"{message} (check SILVASOFT_USERNAME / the API key variable)", status)
        if status == 429:
            raise Retry(Unavailable(API, message, status), wait=retry_after(response))
        if status >= 500:
            failure = Unavailable(API, message, status, ambiguous=method != "GET")
            if not repeatable:
                raise failure
            raise Retry(failure)
        raise ApiError(API, message, status)


def _json(response: requests.Response) -> Any:
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        return NOT_JSON


def _has_error_message(body: Any) -> bool:
    return isinstance(body, dict) and bool(str(body.get("errorMessage") or "").strip())


def _error_message(body: Any, response: requests.Response) -> str:
    if _has_error_message(body):
        return str(body["errorMessage"])
    return response.reason or "no error message"
