"""The one HTTP seam: every request relmap makes goes through ``HttpClient.send``.

It checks that a base URL is safe (https, or plain http to a loopback address only), applies timeouts, turns
transport failures into ``TransportFailure`` (telling "never sent" from "may have been carried out"), runs the capped
exponential backoff with jitter that both API clients use, and redacts every secret from what it raises.

What ``requests`` would look up in the environment on every request (the proxy for the URL, NO_PROXY, the CA
bundle, ~/.netrc) is looked up once, when a client is made for its base URL (``resolve_environment``): on a fast
first sync those look-ups were most of relmap's own time.
"""

from __future__ import annotations

import ipaddress
import os
import random
import re
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from relmap.errors import ConfigError, RelmapError

T = TypeVar("T")
MASK = "***"
BODY_CHUNK = 1 << 16  # bytes of a streamed answer read at a time
MAX_BODY = 2 << 30  # bytes of one answer, decoded: 100,000 relations are some 150 MB
SLOW_GRACE = 60.0  # seconds an answer may take before its rate counts
MIN_RATE = 16 << 10  # bytes per second an answer must average after that, or it is given up as broken off
_SECRET_PARAMS = re.compile(r"(?i)\b(token|software_token|apikey|api_key)=([^&\s\"']+)")


class Redactor:
    """Masks known secret values, and any ``token=`` style query parameter, in text meant for people."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret and len(secret) >= 3 and secret not in self._secrets:
                self._secrets.append(secret)
        self._secrets.sort(key=len, reverse=True)  # a secret containing another is masked whole
        # A server may echo a secret as it was sent in the URL (percent-encoded, in either case), or escaped for
        # HTML or JSON; each form is masked, in any letter case.
        # A short one (a test's "abc") is masked only as written: in any case it would mask ordinary words.
        self._short = [secret for secret in self._secrets if len(secret) < 8]
        forms = {form for secret in self._secrets if len(secret) >= 8 for form in _forms(secret)}
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None

    def __call__(self, text: str) -> str:
        if self._pattern is not None:  # the long ones first: a secret that contains a short one is masked whole
            text = self._pattern.sub(MASK, text)
        for secret in self._short:  # as written only
            text = text.replace(secret, MASK)
        return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}={MASK}", text)


def _forms(secret: str) -> set[str]:
    import html
    import json
    from urllib.parse import quote, quote_plus

    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        html.escape(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=True)[1:-1],
    }


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def checked_base_url(url: str, setting: str) -> str:
    """The base URL without a trailing slash; https is required except for loopback addresses (the emulators)."""
    # The URL itself is never echoed: a query string or user info in it may hold a secret.
    if "?" in url or "#" in url:
        raise ConfigError(f"{setting}: a base URL cannot carry a query string; tokens belong in environment variables")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{setting}: the value is not an http(s) URL (expected e.g. https://host/path)")
    if parts.username or parts.password:
        raise ConfigError(f"{setting}: a base URL cannot carry a user name or password; use environment variables")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"{setting}: plain http is accepted only for loopback addresses (the sandbox); use https://{host}"
        )
    return url.rstrip("/")


_TRUSTED_ENVIRONMENT: weakref.WeakKeyDictionary[requests.Session, bool] = weakref.WeakKeyDictionary()


def resolve_environment(session: requests.Session, base_url: str) -> None:
    """Settle, once, what ``session`` would take from the environment for requests to ``base_url``'s host.

    The proxy (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, with NO_PROXY honoured) becomes a proxy for that host alone,
    so a session shared by both APIs keeps each host's own answer; a CA bundle (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE)
    becomes the session's. Then the session stops reading the environment, and with it ~/.netrc: both APIs
    authenticate by their own tokens and headers, and a netrc password is not something relmap should send.
    """
    parts = urlsplit(base_url)
    trusted = _TRUSTED_ENVIRONMENT.setdefault(session, session.trust_env)  # as made, before the first client
    if trusted:
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle and session.verify is True:
            session.verify = bundle
        environment = requests.utils.get_environ_proxies(base_url)
        proxy = environment.get(parts.scheme) or environment.get("all")
        if proxy and f"{parts.scheme}://{parts.hostname}" not in session.proxies:
            session.proxies[f"{parts.scheme}://{parts.hostname}"] = proxy
    session.trust_env = False


class AnswerTooLarge(RelmapError):
    """An answer past MAX_BODY: asking again would only fetch it again."""


class TransportFailure(Exception):
    """No HTTP answer arrived. ``sent``: the request may have reached the server (a write may have happened)."""

    def __init__(self, kind: str, message: str, sent: bool) -> None:
        super().__init__(message)
        self.kind = kind  # timeout | connection
        self.message = message
        self.sent = sent


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter: attempt n waits a random time up to min(cap, base * 2**n)."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.cap, self.base * 2**attempt))


class Retry(Exception):
    """Raised inside a retried call to ask for another attempt; ``final`` is raised when attempts run out."""

    def __init__(self, final: Exception, wait: float | None = None) -> None:
        super().__init__(str(final))
        self.final = final
        self.wait = wait  # a server-given wait (Retry-After), used instead of the backoff when larger


def with_retries(
    call: Callable[[], T], policy: RetryPolicy, sleep: Callable[[float], None], rng: random.Random | None = None
) -> T:
    """Run ``call``; each ``Retry`` it raises waits and tries again, up to ``policy.attempts`` attempts in all."""
    rng = rng or random.Random()
    for attempt in range(policy.attempts):
        try:
            return call()
        except Retry as retry:
            if attempt == policy.attempts - 1:
                raise retry.final from None
            sleep(max(policy.delay(attempt, rng), min(retry.wait or 0.0, policy.cap)))
    raise AssertionError("unreachable: attempts is at least 1")


class HttpClient:
    """Sends requests to one API over one ``requests.Session``; never retries by itself."""

    def __init__(
        self,
        session: requests.Session,
        base_url: str,
        redact: Redactor,
        timeout: tuple[float, float] = (5.0, 60.0),
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.redact = redact
        self.timeout = timeout
        resolve_environment(session, base_url)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Iterable[tuple[str, str]] | Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """The answer to one request; with ``stream``, only its head is read: read the body with :meth:`body`."""
        url = f"{self.base_url}/{path}"
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers=dict(headers or {}),
                timeout=self.timeout,
                allow_redirects=False,  # a redirect would carry the token (URL) or the ApiKey (header) elsewhere
                stream=stream,
            )
        except requests.exceptions.ConnectTimeout:
            raise self._failure("timeout", f"{method} {path}: could not connect in time", sent=False) from None
        except requests.exceptions.Timeout:
            raise self._failure("timeout", f"{method} {path}: no answer in {self.timeout[1]:g} s", sent=True) from None
        except requests.exceptions.ConnectionError as exc:
            # NewConnectionError (refused, unknown host) means nothing left this machine.
            reason = getattr(exc.args[0] if exc.args else None, "reason", None)
            refused = isinstance(reason, NewConnectionError) or "refused" in str(exc).lower()
            detail = "connection dropped before an answer"
            if refused:
                detail = "host not found" if isinstance(reason, NameResolutionError) else "connection refused"
            raise self._failure("connection", f"{method} {path}: {detail}", sent=not refused) from None
        except requests.exceptions.RequestException as exc:
            raise self._failure("connection", f"{method} {path}: {type(exc).__name__}", sent=True) from None
        if response.is_redirect or response.is_permanent_redirect:
            target = urlsplit(response.headers.get("Location", ""))
            where = f" to {target.scheme}://{target.hostname}" if target.hostname else ""
            response.close()
            raise ConfigError(
                self.redact(
                    f"{method} {path}: {self.base_url} answered with a redirect{where} (HTTP {response.status_code}); "
                    "relmap follows no redirect, since its secrets would travel with it: set the base URL to the "
                    "address the API itself answers at"
                )
            )
        return response

    def body(self, response: requests.Response, method: str, path: str, size: int = BODY_CHUNK) -> Iterator[bytes]:
        """The body of a ``stream`` answer in pieces of up to ``size`` bytes, as they arrive; an answer that breaks
        off (the connection closes or stalls before the last byte) is a TransportFailure, as a request that got no
        answer is."""
        received, waited = 0, 0.0  # the time spent waiting for the answer's bytes, from its first byte on
        try:
            blocks = response.iter_content(size)
            while True:
                asked = time.monotonic()
                block = next(blocks, None)
                if block is None:
                    return
                if received:  # the wait for the first byte is the server's thinking, bounded by the read timeout
                    waited += time.monotonic() - asked
                received += len(block)
                if received > MAX_BODY:  # decoded: a few MB of gzip may inflate to gigabytes; not asked again
                    big = f"{method} {path}: the answer is larger than {MAX_BODY >> 30} GiB; relmap stops reading it"
                    raise AnswerTooLarge(self.redact(f"{big} ({self.base_url})"))
                if waited > SLOW_GRACE and received < MIN_RATE * waited:  # a trickle holds the run (and its lock)
                    rate = f"{MIN_RATE >> 10} KB/s ({received:,} bytes in {waited:.0f} s)"
                    raise self._failure("timeout", f"{method} {path}: the answer came slower than {rate}", True)
                yield block
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            timed_out = isinstance(exc, requests.exceptions.ConnectionError) and "timed out" in str(exc).lower()
            detail = f"no more of the answer in {self.timeout[1]:g} s" if timed_out else "the answer broke off"
            raise self._failure("timeout" if timed_out else "connection", f"{method} {path}: {detail}", True) from None
        except requests.exceptions.RequestException as exc:
            raise self._failure("connection", f"{method} {path}: {type(exc).__name__}", sent=True) from None

    def _failure(self, kind: str, message: str, sent: bool) -> TransportFailure:
        return TransportFailure(kind, self.redact(f"{message} ({self.base_url})"), sent)


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None
