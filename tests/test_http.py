"""The HTTP seam: redaction, base URL checks, the retry loop and how HttpClient.send reports transport failures."""

from __future__ import annotations

import http.server
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError, ProtocolError

from relmap.errors import ConfigError
from relmap.http import (
    MASK,
    HttpClient,
    Redactor,
    Retry,
    RetryPolicy,
    TransportFailure,
    checked_base_url,
    retry_after,
    with_retries,
)

TOKEN = "tok-0123456789abcdef"
KEY = "key-fedcba9876543210"


# -- Redactor ----------------------------------------------------------------------------------------------------
def test_redactor_masks_every_occurrence_of_each_secret() -> None:
    redact = Redactor([TOKEN, KEY])
    text = f"sent {TOKEN} and {KEY}, then {TOKEN} again"
    assert redact(text) == f"sent {MASK} and {MASK}, then {MASK} again"


def test_redactor_masks_a_secret_that_contains_another_whole() -> None:
    redact = Redactor(["abc", "abcdef123"])
    assert redact("x abcdef123 y abc z") == f"x {MASK} y {MASK} z"


def test_redactor_ignores_missing_and_too_short_secrets() -> None:
    redact = Redactor([None, "", "ab"])
    assert redact("ab cd ef") == "ab cd ef"


def test_redactor_add_registers_secrets_later() -> None:
    redact = Redactor()
    assert redact(f"key {KEY}") == f"key {KEY}"
    redact.add(KEY, KEY)
    assert redact(f"key {KEY}") == f"key {MASK}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /relations/?token=abc123&x=1", f"GET /relations/?token={MASK}&x=1"),
        ("?software_token=s3cr3t&token=t0k", f"?software_token={MASK}&token={MASK}"),
        ("headers ApiKey=hello-world Username=u", f"headers ApiKey={MASK} Username=u"),
        ("apikey=one API_KEY=two", f"apikey={MASK} API_KEY={MASK}"),
        ('TOKEN=upper"quoted', f'TOKEN={MASK}"quoted'),
        ("token='single'", "token='single'"),  # a quote right after = is no value
        ("csrf_token=keep", "csrf_token=keep"),  # only the named parameters, not any name ending in token
    ],
)
def test_redactor_masks_secret_query_parameters_it_was_not_told_about(text: str, expected: str) -> None:
    assert Redactor()(text) == expected


# -- checked_base_url --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.werkbonapp.nl/openapi/8/", "https://www.werkbonapp.nl/openapi/8"),
        ("https://rest-api.silvasoft.nl/rest", "https://rest-api.silvasoft.nl/rest"),
        ("http://127.0.0.1:8123/rest/", "http://127.0.0.1:8123/rest"),
        ("http://127.9.9.9/rest", "http://127.9.9.9/rest"),
        ("http://localhost:9000/openapi/8", "http://localhost:9000/openapi/8"),
        ("http://[::1]:9000/openapi/8//", "http://[::1]:9000/openapi/8"),
    ],
)
def test_checked_base_url_accepts_https_and_loopback_http(url: str, expected: str) -> None:
    assert checked_base_url(url, "target.silvasoft.base_url") == expected


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://rest-api.silvasoft.nl/rest", "plain http is accepted only for loopback"),
        ("http://127.0.0.1.nip.io/rest", "plain http is accepted only for loopback"),
        ("http://10.0.0.1/rest", "plain http is accepted only for loopback"),
        ("ftp://example.com/", "is not an http(s) URL"),
        ("www.werkbonapp.nl/openapi/8", "is not an http(s) URL"),
        ("https:///openapi/8", "is not an http(s) URL"),
        ("", "is not an http(s) URL"),
        ("https://example.com/api?token=abc123", "cannot carry a query string"),
        ("https://example.com/api#part", "cannot carry a query string"),
    ],
)
def test_checked_base_url_refuses_unsafe_urls(url: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        checked_base_url(url, "source.outsmart.base_url")
    message = str(caught.value)
    assert message.startswith("source.outsmart.base_url: ")
    assert fragment in message
    assert "abc123" not in message


def test_checked_base_url_suggests_the_https_form() -> None:
    with pytest.raises(ConfigError, match=r"use https://api\.example\.com:8443"):
        checked_base_url("http://api.example.com:8443/rest", "x")


def test_checked_base_url_refuses_an_empty_query_marker() -> None:
    # Accepted as is, "https://example.com/api?" + "/relations/" puts the path into the query string.
    with pytest.raises(ConfigError):
        checked_base_url("https://example.com/api?", "x")


def test_checked_base_url_never_echoes_a_token_from_the_query() -> None:
    with pytest.raises(ConfigError) as caught:
        checked_base_url("htps://www.werkbonapp.nl/openapi/8?token=abc123", "source.outsmart.base_url")
    assert "abc123" not in str(caught.value)


# -- RetryPolicy, with_retries -----------------------------------------------------------------------------------
def test_retry_policy_delay_is_full_jitter_under_the_capped_exponential() -> None:
    policy = RetryPolicy(attempts=8, base=0.5, cap=3.0)
    rng = random.Random(7)
    for attempt, ceiling in enumerate([0.5, 1.0, 2.0, 3.0, 3.0, 3.0]):
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # the whole range is used, not a fixed fraction


class Flaky:
    """A call that asks for ``failures`` retries before answering ``value``."""

    def __init__(self, failures: int, value: str = "done", wait: float | None = None) -> None:
        self.failures = failures
        self.value = value
        self.wait = wait
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise Retry(RuntimeError(f"failure {self.calls}"), wait=self.wait)
        return self.value


def test_with_retries_retries_until_the_call_succeeds() -> None:
    sleeps: list[float] = []
    call = Flaky(2)
    assert with_retries(call, RetryPolicy(attempts=3, base=1.0, cap=10.0), sleeps.append, random.Random(1)) == "done"
    assert call.calls == 3
    assert len(sleeps) == 2
    assert 0.0 <= sleeps[0] <= 1.0
    assert 0.0 <= sleeps[1] <= 2.0


def test_with_retries_raises_the_last_final_error_when_attempts_run_out() -> None:
    sleeps: list[float] = []
    call = Flaky(10)
    with pytest.raises(RuntimeError, match=r"^failure 3$") as caught:
        with_retries(call, RetryPolicy(attempts=3), sleeps.append, random.Random(1))
    assert call.calls == 3
    assert len(sleeps) == 2  # no sleep after the last attempt
    assert caught.value.__suppress_context__


def test_with_retries_with_one_attempt_never_sleeps() -> None:
    sleeps: list[float] = []
    with pytest.raises(RuntimeError, match="failure 1"):
        with_retries(Flaky(1), RetryPolicy(attempts=1), sleeps.append)
    assert sleeps == []


def test_with_retries_lets_other_errors_through_at_once() -> None:
    calls = 0

    def call() -> None:
        nonlocal calls
        calls += 1
        raise KeyError("not retried")

    with pytest.raises(KeyError):
        with_retries(call, RetryPolicy(attempts=5), lambda s: pytest.fail("slept"))
    assert calls == 1


def test_with_retries_waits_a_server_given_wait_capped_by_the_policy() -> None:
    sleeps: list[float] = []
    with_retries(Flaky(2, wait=7.0), RetryPolicy(attempts=3, base=0.01, cap=5.0), sleeps.append, random.Random(3))
    assert sleeps == [5.0, 5.0]
    sleeps.clear()
    with_retries(Flaky(1, wait=0.5), RetryPolicy(attempts=2, base=0.001, cap=5.0), sleeps.append, random.Random(3))
    assert sleeps == [0.5]


@pytest.mark.parametrize(("header", "expected"), [("3", 3.0), (" 120 ", 120.0), ("1.5", None), ("soon", None)])
def test_retry_after_reads_whole_seconds_only(header: str, expected: float | None) -> None:
    response = requests.Response()
    response.headers["Retry-After"] = header
    assert retry_after(response) == expected
    assert retry_after(requests.Response()) is None


# -- HttpClient.send ---------------------------------------------------------------------------------------------
class Recorder(BaseAdapter):
    """A transport that answers 200 with ``{}`` (or raises ``error``) and keeps what it was asked to send."""

    def __init__(self, error: Exception | None = None) -> None:
        super().__init__()
        self.error = error
        self.sent: list[tuple[requests.PreparedRequest, dict[str, Any]]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append((request, kwargs))
        if self.error is not None:
            raise self.error
        response = requests.Response()
        response.status_code = 200
        response._content = b"{}"
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def client_with(session: requests.Session, adapter: Recorder) -> HttpClient:
    session.mount("https://", adapter)
    return HttpClient(session, "https://api.example.com/v8", Redactor([TOKEN]), timeout=(1.5, 7.0))


def test_send_joins_the_path_and_passes_params_in_order_headers_and_timeouts(session: requests.Session) -> None:
    adapter = Recorder()
    http = client_with(session, adapter)
    params = [("token", TOKEN), ("key[]", "city"), ("value[]", "Utrecht"), ("operator[]", "eq")]
    with http.send("POST", "relations/", params=params, json=[{"a": 1}], headers={"X-Test": "1"}) as response:
        assert response.status_code == 200
    request, kwargs = adapter.sent[0]
    assert request.method == "POST"
    assert request.url == (
        f"https://api.example.com/v8/relations/?token={TOKEN}&key%5B%5D=city&value%5B%5D=Utrecht&operator%5B%5D=eq"
    )
    assert request.headers["X-Test"] == "1"
    assert request.body == b'[{"a": 1}]'
    assert kwargs["timeout"] == (1.5, 7.0)


def name_resolution_error() -> requests.exceptions.ConnectionError:
    """What requests raises for a host name that does not resolve (urllib3 2: NameResolutionError)."""
    reason = NameResolutionError("api.example.com", None, socket.gaierror(-2, "Name or service not known"))  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/v8/relations/", reason))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "kind", "sent", "detail"),
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), "timeout", False, "could not connect in time"),
        (requests.exceptions.ReadTimeout("read timed out"), "timeout", True, "no answer in 7 s"),
        (
            requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104))),
            "connection",
            True,
            "connection dropped before an answer",
        ),
        (
            requests.exceptions.ConnectionError("[Errno 111] Connection refused"),
            "connection",
            False,
            "connection refused",
        ),
        (requests.exceptions.ChunkedEncodingError("broken chunk"), "connection", True, "ChunkedEncodingError"),
    ],
)
def test_send_turns_transport_errors_into_transport_failures(
    session: requests.Session, error: Exception, kind: str, sent: bool, detail: str
) -> None:
    http = client_with(session, Recorder(error))
    with pytest.raises(TransportFailure) as caught:
        http.send("GET", "relations/", params=[("token", TOKEN)])
    failure = caught.value
    assert (failure.kind, failure.sent) == (kind, sent)
    assert str(failure) == failure.message == f"GET relations/: {detail} (https://api.example.com/v8)"
    assert failure.__suppress_context__


def test_send_reports_an_unresolvable_host_as_never_sent(session: requests.Session) -> None:
    http = client_with(session, Recorder(name_resolution_error()))
    with pytest.raises(TransportFailure) as caught:
        http.send("POST", "relations/", params=[("token", TOKEN)], json=[])
    assert caught.value.sent is False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_send_to_a_closed_port_is_refused_and_never_sent(session: requests.Session) -> None:
    url = f"http://127.0.0.1:{free_port()}/openapi/8"
    http = HttpClient(session, url, Redactor([TOKEN]), timeout=(2.0, 2.0))
    with pytest.raises(TransportFailure) as caught:
        http.send("POST", "relations/", params=[("token", TOKEN)], json=[])
    assert caught.value.kind == "connection"
    assert caught.value.sent is False
    assert str(caught.value) == f"POST relations/: connection refused ({url})"


def test_send_to_a_server_that_never_answers_times_out_as_sent(session: requests.Session) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never reads or answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/rest"
        http = HttpClient(session, url, Redactor([KEY]), timeout=(2.0, 0.2))
        with pytest.raises(TransportFailure) as caught:
            http.send("PUT", "updaterelation/", json={"RelationGUID": 1}, headers={"ApiKey": KEY})
    assert caught.value.kind == "timeout"
    assert caught.value.sent is True
    assert str(caught.value) == f"PUT updaterelation/: no answer in 0.2 s ({url})"


def test_send_to_a_server_that_hangs_up_reports_a_dropped_connection(session: requests.Session) -> None:
    import threading

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def hang_up() -> None:
            connection, _ = server.accept()
            with connection:
                connection.recv(65536)  # read the request, then close without a byte of answer

        thread = threading.Thread(target=hang_up)
        thread.start()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/rest"
        http = HttpClient(session, url, Redactor([KEY]), timeout=(2.0, 2.0))
        try:
            with pytest.raises(TransportFailure) as caught:
                http.send("POST", "addprivaterelation/", json={"a": 1}, headers={"ApiKey": KEY})
        finally:
            thread.join()
    assert caught.value.kind == "connection"
    assert caught.value.sent is True
    assert "connection dropped before an answer" in str(caught.value)


def test_send_failure_messages_are_redacted(session: requests.Session) -> None:
    # A base URL carrying a secret (it should never, but if it does) is masked in the failure message.
    session.mount("https://", Recorder(requests.exceptions.ReadTimeout("x")))
    http = HttpClient(session, f"https://{TOKEN}.example.com/x", Redactor([TOKEN]))
    with pytest.raises(TransportFailure) as caught:
        http.send("GET", "relations/")
    assert TOKEN not in str(caught.value)
    assert f"https://{MASK}.example.com/x" in str(caught.value)


def test_a_redirect_is_never_followed_so_no_secret_travels_with_it() -> None:
    import http.server
    import threading

    import requests

    from relmap.errors import ConfigError
    from relmap.http import HttpClient, Redactor

    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.2:{self.server.server_port}/elsewhere?token=secret-token")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with requests.Session() as session:
            client = HttpClient(session, f"http://127.0.0.1:{server.server_port}", Redactor(["secret-token"]))
            with pytest.raises(ConfigError) as caught:
                client.send("GET", "relations/", params={"token": "secret-token"}, headers={"ApiKey": "secret-token"})
    finally:
        server.shutdown()
        server.server_close()
    message = str(caught.value)
    assert "answered with a redirect to http://127.0.0.2 (HTTP 307); relmap follows no redirect" in message
    assert "secret-token" not in message and seen == ["/relations/?token=secret-token"]  # one request, not two


# -- the environment, read once ------------------------------------------------------------------------------------
class Recording(http.server.ThreadingHTTPServer):
    """A stand-in for a proxy (or an API): records each request line and its auth headers, answers 200 or 403."""

    def __init__(self, refuse_connect: bool = True) -> None:
        self.seen: list[tuple[str, str, str | None, str | None]] = []
        self.refuse_connect = refuse_connect
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = self.headers
                server.seen.append(
                    (self.command, self.path, headers.get("Proxy-Authorization"), headers.get("Authorization"))
                )
                status = 403 if self.command == "CONNECT" and server.refuse_connect else 200
                body = b'{"answered": "%s"}' % self.command.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_CONNECT = do_GET

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


PROXY_SECRET = "proxy-pass-5f3e"


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recording]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with Recording() as server:
        yield server


def proxied(server: Recording) -> str:
    return server.url.replace("http://", f"http://relmap-user:{PROXY_SECRET}@")


def test_an_https_proxy_from_the_environment_carries_requests_and_its_password_never_shows(
    proxy: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxied(proxy))
    with requests.Session() as session:
        client = HttpClient(session, "https://api.relmap.invalid/v8", Redactor([TOKEN]), timeout=(2.0, 2.0))
        assert session.trust_env is False  # read once, here
        with pytest.raises(TransportFailure) as caught:  # the stand-in refuses the tunnel with a 403
            client.send("GET", "relations/", params={"token": TOKEN})
    method, target, authorization, _ = proxy.seen[0]
    assert (method, target) == ("CONNECT", "api.relmap.invalid:443")
    assert authorization is not None and authorization.startswith("Basic ")  # the proxy's own credentials
    message = str(caught.value)
    assert PROXY_SECRET not in message and TOKEN not in message and "relmap-user" not in message
    assert message == "GET relations/: connection dropped before an answer (https://api.relmap.invalid/v8)"


def test_no_proxy_sends_its_hosts_direct_and_each_host_keeps_its_own_answer(
    proxy: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxied(proxy))
    monkeypatch.setenv("NO_PROXY", "localhost")
    with Recording() as api, requests.Session() as session:
        port = api.server_address[1]
        direct = HttpClient(session, f"http://localhost:{port}/rest", Redactor([KEY]))
        through = HttpClient(session, f"http://127.0.0.1:{port}/openapi/8", Redactor([KEY]))  # one shared session
        assert direct.send("GET", "listrelations/").json() == {"answered": "GET"}
        assert through.send("GET", "relations/").json() == {"answered": "GET"}
        monkeypatch.setenv("NO_PROXY", "*")  # read once: a change afterwards changes nothing
        assert through.send("GET", "freefields/").status_code == 200
    assert [path for _, path, _, _ in api.seen] == ["/rest/listrelations/"]
    assert [(m, path) for m, path, _, _ in proxy.seen] == [
        ("GET", f"http://127.0.0.1:{port}/openapi/8/relations/"),
        ("GET", f"http://127.0.0.1:{port}/openapi/8/freefields/"),
    ]


def test_a_session_told_not_to_trust_the_environment_gets_no_proxy(
    proxy: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxied(proxy))
    with Recording() as api, requests.Session() as session:
        session.trust_env = False
        client = HttpClient(session, api.url, Redactor([KEY]))
        assert client.send("GET", "x").status_code == 200
    assert proxy.seen == [] and len(api.seen) == 1


def test_a_netrc_password_is_never_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxy: Recording) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-secret\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with Recording() as api, requests.Session() as session:
        assert requests.utils.get_netrc_auth(api.url) == ("someone", "netrc-secret")  # requests would send it
        client = HttpClient(session, api.url, Redactor([KEY]))
        assert client.send("GET", "relations/").status_code == 200
    assert api.seen == [("GET", "/relations/", None, None)]


@pytest.mark.parametrize(
    "echoed",
    [
        'ab+c/d=&"x',  # as it is
        "ab%2Bc%2Fd%3D%26%22x",  # as the URL carried it
        "ab%2bc%2fd%3d%26%22x",  # the same, lower-case escapes (equal under the URL standard)
        "ab+c/d=&amp;&quot;x",  # HTML-escaped
        'ab+c/d=&\\"x',  # JSON-escaped
        'AB+C/D=&"X',  # in other letter case
    ],
)
def test_a_secret_echoed_in_another_form_is_masked(echoed: str) -> None:
    from relmap.http import Redactor

    assert Redactor(['ab+c/d=&"x'])(f"the server said: {echoed}.") == "the server said: ***."


def test_a_short_secret_is_masked_only_as_written() -> None:
    from relmap.http import Redactor

    assert Redactor(["ing"])("missing ING ing") == "miss*** ING ***"
