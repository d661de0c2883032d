"""The OutSmart API client: GET /relations/ (declared filters, freefields), GET /freefields/, POST /relations/.

OutSmart answers errors with HTTP 200 and a non-200 ``code`` in its envelope, so the envelope is always checked.
Tokens travel in the query string; the HttpClient's redactor keeps them out of every message.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import requests

from relmap.errors import ApiError, CredentialsError, Unavailable
from relmap.http import HttpClient, Retry, RetryPolicy, TransportFailure, with_retries

API = "OutSmart"
CODES: dict[int, str] = {
    1000: "the URL names no endpoint",
    1001: "unknown endpoint (check source.outsmart.base_url)",
    1002: "the client token is missing",
    1003: "the software token is missing",
    1004: "the client token is not authorised (check the variable behind source.outsmart.token)",
    1005: "the software token is not authorised or does not belong to this client token "
    "(check the variable behind source.outsmart.software_token)",
    1006: "OutSmart requires https",
    1007: "general error",
    1008: "the request has no body",
    1009: "the request body is not valid JSON",
    1300: "inserting or updating a relation failed",
    1301: "a required field is missing",
}
CREDENTIAL_CODES = frozenset({1002, 1003, 1004, 1005})
RETRY_CODES = frozenset({1007})
Filter = tuple[str, str, str]  # key, operator, value


class OutSmartClient:
    """Reads and writes relations of one OutSmart account."""

    def __init__(
        self,
        http: HttpClient,
        token: str,
        software_token: str,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.auth = (("token", token), ("software_token", software_token))
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.rng = random.Random()
        self.requests = 0

    def relations(self, filters: Sequence[Filter] = (), include_freefields: bool = True) -> list[Any]:
        """Every relation that passes the filters (ANDed), as OutSmart sends them."""
        params = [*self.auth, *_filter_params(filters)]
        if include_freefields:
            params.append(("includeFreefields", "true"))
        return _as_list(self._call("GET", "relations/", params), "relations/")

    def freefields(self) -> list[Any]:
        """The freefield settings of relations (fld_name, fld_order, fld_type, ...)."""
        params = [*self.auth, *_filter_params([("fld_entity", "eq", "CLIENT")])]
        return _as_list(self._call("GET", "freefields/", params), "freefields/")

    def upsert(self, relations: list[dict[str, Any]]) -> int:
        """POST /relations/: create or update by debtor_number; returns how many OutSmart synced."""
        answer = self._call("POST", "relations/", list(self.auth), body=relations)
        return int(answer) if isinstance(answer, int | str) and str(answer).isdigit() else len(relations)

    def _call(self, method: str, path: str, params: list[tuple[str, str]], body: Any = None) -> Any:
        # POST /relations/ is an upsert keyed on debtor_number, so every call here is safe to repeat.
        return with_retries(lambda: self._once(method, path, params, body), self.retry, self.sleep, self.rng)

    def _once(self, method: str, path: str, params: list[tuple[str, str]], body: Any) -> Any:
        self.requests += 1
        try:
            response = self.http.send(method, path, params=params, json=body)
        except TransportFailure as exc:
            raise Retry(Unavailable(API, str(exc), ambiguous=exc.sent)) from None
        with response:
            return self._answer(method, path, response)

    def _answer(self, method: str, path: str, response: requests.Response) -> Any:
        where = f"{method} {path}"
        if response.status_code >= 500 or response.status_code == 429:
            raise Retry(Unavailable(API, f"{where}: HTTP {response.status_code}", response.status_code))
        try:
            envelope = response.json()
        except ValueError:
            raise ApiError(API, f"{where}: HTTP {response.status_code} with a body that is not JSON") from None
        if not isinstance(envelope, dict) or "code" not in envelope:
            raise ApiError(API, f"{where}: HTTP {response.status_code} without OutSmart's envelope")
        code = _code(envelope.get("code"))
        if code == 200:
            return envelope.get("response")
        message = self._message(where, code, envelope.get("messages"))
        if code in CREDENTIAL_CODES:
            raise CredentialsError(API, message, code)
        if code in RETRY_CODES:
            raise Retry(Unavailable(API, message, code))
        raise ApiError(API, message, code)

    def _message(self, where: str, code: int | None, messages: Any) -> str:
        text = CODES.get(code or 0, "unexpected answer")
        details = "; ".join(str(m) for m in messages) if isinstance(messages, list) else ""
        return self.http.redact(f"{where}: error {code}: {text}" + (f" ({details})" if details else ""))


def _filter_params(filters: Sequence[Filter]) -> list[tuple[str, str]]:
    """Ordered key[] / value[] / operator[] triples, one per filter, as OutSmart reads them."""
    params: list[tuple[str, str]] = []
    for key, operator, value in filters:
        params += [("key[]", key), ("value[]", value), ("operator[]", operator)]
    return params


def _code(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_list(answer: Any, path: str) -> list[Any]:
    if answer is None:
        return []
    if not isinstance(answer, list):
        raise ApiError(API, f"GET {path}: expected a list in the envelope's response, got {type(answer).__name__}")
    return answer
