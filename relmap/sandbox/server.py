"""A quiet threaded HTTP server on 127.0.0.1 that hands each request to an emulator, after its faults.

Order per request: read it whole, pick a fault, wait the latency, then drop / answer the fault / let the emulator
answer; the log entry is written before the answer, so a client that got its answer can count on the log.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from relmap.sandbox.emulator import Emulator, Reply, Request
from relmap.sandbox.requestlog import LoggedRequest

HOST = "127.0.0.1"
_ANSWERED_FAULTS = ("error", "throttle", "ratelimit", "bad_request")
_PIECE = 1 << 16  # bytes of an answer sent at a time


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on server_close, so stopping leaves no thread or socket behind.
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-answer is not our problem; stay quiet


class _Handler(BaseHTTPRequestHandler):
    timeout = 10  # a client that never finishes its request cannot hold up stop() for long
    server_version = "relmap-sandbox"
    sys_version = ""

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        emulator = cast(_Server, self.server).emulator
        request = self._read()
        fault = emulator.faults.decide(request.path, emulator.is_write(request), emulator.fault_kinds)
        if emulator.faults.latency:
            time.sleep(emulator.faults.latency)
        endpoint = emulator.endpoint(request)
        if fault == "drop":
            emulator.record(LoggedRequest(request.method, endpoint, None, fault))
            self._drop()
            return
        reply = emulator.fault_reply(fault) if fault in _ANSWERED_FAULTS else self._answer(emulator, request)
        emulator.record(LoggedRequest(request.method, endpoint, reply.logged_status, fault))
        if fault == "drop_after_write":
            self._drop()
        else:
            self._send(emulator, reply, fault)

    def _read(self) -> Request:
        split = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return Request(
            method=self.command,
            path=unquote(split.path),
            query=parse_qsl(split.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length > 0 else b"",
        )

    @staticmethod
    def _answer(emulator: Emulator, request: Request) -> Reply:
        try:
            return emulator.serve(request)
        except Exception:  # an emulator bug: answer 500 and keep it for the test to see, never print it
            emulator.failures.append(traceback.format_exc())
            return Reply(500, {"errorCode": 500, "errorMessage": "sandbox internal error"})

    def _send(self, emulator: Emulator, reply: Reply, fault: str | None = None) -> None:
        length, pieces = reply.encoded()
        if fault == "garble":
            pieces, length = _garbled(pieces, length), length + 1
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        try:
            if fault == "cut":
                for piece in _batched(_first(pieces, length // 2)):
                    self.wfile.write(piece)
                self.wfile.flush()
                self._drop()
                return
            # In pieces: one sendall's timeout is for all of it, and a client that reads as it goes (relmap's
            # OutSmart reader renders each relation as it arrives) takes longer than that for 100,000 relations.
            for piece in _batched(pieces):
                self.wfile.write(piece)
        except OSError:
            raise  # the client went away: handle_error keeps quiet about it
        except Exception:  # an emulator bug while its answer streamed: kept for the test, the answer cut off
            emulator.failures.append(traceback.format_exc())
            self._drop()

    def _drop(self) -> None:
        """Close the connection without a byte of answer: the client sees the connection end (ConnectionError)."""
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may have gone already
            self.connection.shutdown(socket.SHUT_RDWR)


def _batched(pieces: Iterable[bytes]) -> Iterator[bytes | bytearray | memoryview]:
    """``pieces`` as writes of about ``_PIECE`` bytes: small pieces gathered, a big one sent in slices."""
    gathered = bytearray()
    for piece in pieces:
        if len(piece) < _PIECE:
            gathered += piece
            if len(gathered) >= _PIECE:
                yield gathered
                gathered = bytearray()
            continue
        if gathered:
            yield gathered
            gathered = bytearray()
        view = memoryview(piece)
        for start in range(0, len(view), _PIECE):
            yield view[start : start + _PIECE]
    if gathered:
        yield gathered


def _first(pieces: Iterable[bytes], count: int) -> Iterator[bytes]:
    """The first ``count`` bytes of ``pieces``."""
    for piece in pieces:
        if count <= 0:
            return
        yield piece[:count]
        count -= len(piece)


def _garbled(pieces: Iterable[bytes], length: int) -> Iterator[bytes]:
    """``pieces`` with a NUL byte put in at the first ASCII byte from the middle on (so that the text around it
    stays UTF-8), or at the end when there is none."""
    middle, at, put = length // 2, 0, False
    for piece in pieces:
        start, at = max(middle - at, 0), at + len(piece)
        if not put and start < len(piece):
            where = next((i for i in range(start, len(piece)) if piece[i] < 0x80), None)
            if where is not None:
                piece, put = piece[:where] + b"\x00" + piece[where:], True
        yield piece
    if not put:
        yield b"\x00"


class EmulatorServer:
    """One emulator served over HTTP from a background thread; ``port`` 0 picks a free port."""

    def __init__(self, emulator: Emulator, port: int = 0) -> None:
        self.emulator = emulator
        self._wanted_port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def root(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        if self._httpd is not None:
            return
        self._httpd = _Server((HOST, self._wanted_port), self.emulator)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="relmap-sandbox", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None
