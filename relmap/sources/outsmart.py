"""The OutSmart API client: GET /relations/ (declared filters, freefields), GET /freefields/, POST /relations/.

OutSmart answers errors with HTTP 200 and a non-200 ``code`` in its envelope, so the envelope is always checked.
Tokens travel in the query string; the HttpClient's redactor keeps them out of every message. The answer to GET
/relations/ is downloaded whole into a temporary file first (sources/spool), so the connection is open for the
download only and an answer that breaks off is asked for again; then the envelope is checked in one pass over the
file and only then are its relations handed on, one at a time, in a second (outsmart_answer).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

import requests

from relmap.errors import ApiError, CredentialsError, SourceError, Unavailable
from relmap.http import HttpClient, Retry, RetryPolicy, TransportFailure, with_retries
from relmap.sources import outsmart_answer as answer
from relmap.sources.spool import Spool
from relmap.sources.text_chunks import decoded

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
SPOOLED = "OutSmart's answer"  # what the spool's messages call what it holds


class OutSmartClient:
    """Reads and writes relations of one OutSmart account."""

    def __init__(
        self,
        http: HttpClient,
        token: str,
        software_token: str,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        spool: Spool | None = None,
    ) -> None:
        self.http = http
        self.spool = spool or Spool()
        self.auth = (("token", token), ("software_token", software_token))
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.rng = random.Random()
        self.requests = 0

    def relations(self, filters: Sequence[Filter] = (), include_freefields: bool = True) -> list[Any]:
        """Every relation that passes the filters (ANDed), as OutSmart sends them."""
        return list(self.each_relation(filters, include_freefields))

    def each_relation(self, filters: Sequence[Filter] = (), include_freefields: bool = True) -> Iterator[Any]:
        """The relations of :meth:`relations` one at a time, read back from the downloaded and checked answer; the
        request is sent when the first is asked for. A relation nested too deeply to decode comes as a
        json_document.TooDeep."""
        params = [*self.auth, *_filter_params(filters)]
        if include_freefields:
            params.append(("includeFreefields", "true"))
        return self._listing("relations/", params)

    def _listing(self, path: str, params: list[tuple[str, str]]) -> Iterator[Any]:
        # Downloaded and checked as a whole, and retried as a whole, before the first relation is handed on.
        spooled = with_retries(lambda: self._spooled(path, params), self.retry, self.sleep, self.rng)
        with spooled, self._read_as(f"GET {path}", "HTTP 200"):
            yield from answer.relations(decoded(self.spool.read(spooled, SPOOLED), answer.NAME))

    def _spooled(self, path: str, params: list[tuple[str, str]]) -> IO[bytes]:
        """The answer's body in a temporary file, at its start, its envelope checked: what goes wrong until then
        is retried or raised before a relation is handed on."""
        self.requests += 1
        try:
            response = self.http.send("GET", path, params=params, stream=True)
        except TransportFailure as exc:
            raise Retry(Unavailable(API, str(exc), ambiguous=exc.sent)) from None
        where = f"GET {path}"
        with response:  # the connection is given back once the body is in
            if response.status_code >= 500 or response.status_code == 429:
                raise Retry(Unavailable(API, f"{where}: HTTP {response.status_code}", response.status_code))
            status = f"HTTP {response.status_code}"
            try:
                spooled = self.spool.fill(self.http.body(response, "GET", path), SPOOLED)
            except TransportFailure as exc:
                raise Retry(Unavailable(API, str(exc), ambiguous=False)) from None
        try:
            with self._read_as(where, status):
                answer.check(decoded(self.spool.read(spooled, SPOOLED), answer.NAME))
            spooled.seek(0)
        except BaseException:
            spooled.close()
            raise
        return spooled

    @contextmanager
    def _read_as(self, where: str, status: str) -> Iterator[None]:
        """What is wrong with an answer's envelope, as the error (or retry) the client raises."""
        try:
            yield
        except SourceError as exc:
            raise ApiError(API, f"{where}: {status} with a body that is not JSON ({answer.where(exc)})") from None
        except answer.NoEnvelope:
            raise ApiError(API, f"{where}: {status} without OutSmart's envelope") from None
        except answer.BadShape as exc:
            raise ApiError(API, self.http.redact(f"{where}: {exc}")) from None
        except answer.Refused as refused:
            raise self._refusal(where, answer.code_of(refused.code), refused.messages) from None

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
        code = answer.code_of(envelope.get("code"))
        if code == 200:
            return envelope.get("response")
        raise self._refusal(where, code, envelope.get("messages"))

    def _refusal(self, where: str, code: int | None, messages: Any) -> Exception:
        """An envelope's code that is not 200, as what to raise: fatal, retried (1007) or an API error."""
        message = self._message(where, code, messages)
        if code in CREDENTIAL_CODES:
            return CredentialsError(API, message, code)
        if code in RETRY_CODES:
            return Retry(Unavailable(API, message, code))
        return ApiError(API, message, code)

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


def _as_list(answer: Any, path: str) -> list[Any]:
    if answer is None:
        return []
    if not isinstance(answer, list):
        raise ApiError(API, f"GET {path}: expected a list in the envelope's response, got {type(answer).__name__}")
    return answer
