"""The temporary file OutSmart's answer is spooled into: there while the relations are read, gone after the read,
after an error, after the reader stops early and after the process is killed; a folder that cannot take it is a
clear error naming the folder. Over real HTTP against the OutSmart emulator."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from relmap.errors import ApiError, ConfigError
from relmap.http import HttpClient, Redactor, RetryPolicy
from relmap.sandbox import Sandbox
from relmap.sources.outsmart import OutSmartClient
from relmap.sources.spool import Spool

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/PID/fd")

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.001)
MANY = 2000  # some 600 KB of answer, past the 64 KB kept in memory below: on disk
SMALL = 1 << 16

CLIENT = """
import sys
import requests
from relmap.http import HttpClient, Redactor, RetryPolicy
from relmap.sandbox import Sandbox
from relmap.sources.outsmart import OutSmartClient
from relmap.sources.spool import Spool

relations = [{"debtor_number": str(30000 + n), "name": f"Relatie {n}", "street": "Dorpsstraat",
              "postal_code": "3511 AB", "city": "Utrecht"} for n in range(%(many)d)]
with Sandbox(relations=relations) as box, requests.Session() as session:
    token, software = box.credentials["OUTSMART_TOKEN"], box.credentials["OUTSMART_SOFTWARE_TOKEN"]
    http = HttpClient(session, box.outsmart_url, Redactor([token, software]))
    spool = Spool(sys.argv[1], %(small)d)
    client = OutSmartClient(http, token, software, RetryPolicy(attempts=1), spool=spool)
"""


def spooled(pid: int | str, folder: Path) -> list[str]:
    """What the process's open files in ``folder`` are (their names as /proc shows them)."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed between the listing and the look
            continue
        if target.startswith(f"{folder}/"):
            found.append(target)
    return found


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[Sandbox]:
    relations = [
        {"debtor_number": str(30000 + n), "name": f"Relatie {n}", "street": "Dorpsstraat", "postal_code": "3511 AB"}
        for n in range(MANY)
    ]
    with Sandbox(relations=[{**r, "city": "Utrecht"} for r in relations]) as box:
        yield box


@pytest.fixture
def sandbox(module_sandbox: Sandbox) -> Iterator[Sandbox]:
    module_sandbox.outsmart.faults.clear()
    module_sandbox.outsmart.clear_log()
    yield module_sandbox
    assert module_sandbox.outsmart.failures == []


def client(sandbox: Sandbox, spool: Spool) -> OutSmartClient:
    token, software = sandbox.credentials["OUTSMART_TOKEN"], sandbox.credentials["OUTSMART_SOFTWARE_TOKEN"]
    http = HttpClient(requests.Session(), sandbox.outsmart_url, Redactor([token, software]))
    return OutSmartClient(http, token, software, FAST, sleep=lambda s: None, spool=spool)


def test_the_answer_is_an_unnamed_file_while_read_and_gone_after(sandbox: Sandbox, tmp_path: Path) -> None:
    relations = client(sandbox, Spool(str(tmp_path), SMALL)).each_relation()
    first = next(relations)
    files = spooled("self", tmp_path)
    assert len(files) == 1 and files[0].endswith(" (deleted)")  # open, with no name left in the folder
    assert list(tmp_path.iterdir()) == []
    rest = list(relations)
    assert [r["debtor_number"] for r in [first, *rest]] == [str(30000 + n) for n in range(MANY)]
    assert spooled("self", tmp_path) == []


def test_a_small_answer_stays_in_memory(sandbox: Sandbox, tmp_path: Path) -> None:
    relations = client(sandbox, Spool(str(tmp_path))).each_relation()
    next(relations)
    assert spooled("self", tmp_path) == []  # some 600 KB: under the 4 MB kept in memory
    assert len(list(relations)) == MANY - 1


def test_the_file_is_gone_when_the_reader_stops_early(sandbox: Sandbox, tmp_path: Path) -> None:
    relations = client(sandbox, Spool(str(tmp_path), SMALL)).each_relation()
    next(relations)
    assert len(spooled("self", tmp_path)) == 1
    relations.close()
    assert spooled("self", tmp_path) == []


@pytest.mark.parametrize("fault", ["garble", "cut"])
def test_the_file_is_gone_after_an_error(sandbox: Sandbox, tmp_path: Path, fault: str) -> None:
    sandbox.outsmart.faults.inject(fault, FAST.attempts, "relations")
    read = []
    with pytest.raises(ApiError):
        read.extend(client(sandbox, Spool(str(tmp_path), SMALL)).each_relation())
    assert read == []
    assert spooled("self", tmp_path) == []
    assert sandbox.outsmart.faults.pending() == (FAST.attempts - 1 if fault == "garble" else 0)


def test_a_folder_that_is_not_there_is_an_error_naming_it(sandbox: Sandbox, tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    read = []
    with pytest.raises(ConfigError) as caught:
        read.extend(client(sandbox, Spool(str(folder), SMALL)).each_relation())
    assert read == []
    message = str(caught.value)
    assert message == f"the temporary folder {folder} does not exist; set TMPDIR to a folder with room for the answer"
    assert sandbox.outsmart.count("relations", "GET") <= 1  # the folder is not the API's fault: not asked again


@pytest.mark.parametrize("make", ["missing", "file"])
def test_a_tmpdir_that_cannot_be_used_is_said_not_passed_over(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: str
) -> None:
    """Python's tempfile would quietly use /tmp, /var/tmp or the current folder instead."""
    folder = tmp_path / "tmp"
    if make == "file":
        folder.write_text("not a folder")
    monkeypatch.setenv("TMPDIR", str(folder))
    with pytest.raises(ConfigError, match=f"the temporary folder TMPDIR {folder} (does not exist|is not a folder)"):
        list(client(sandbox, Spool(memory=SMALL)).each_relation())


def test_an_answer_past_the_size_bound_is_refused_not_asked_again(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import relmap.http
    from relmap.http import AnswerTooLarge

    monkeypatch.setattr(relmap.http, "MAX_BODY", 100_000)  # the 2,000 relations are some 600 KB
    with pytest.raises(AnswerTooLarge, match="the answer is larger than"):
        list(client(sandbox, Spool(str(tmp_path), SMALL)).each_relation())
    assert sandbox.outsmart.count("relations", "GET") == 1
    assert list(tmp_path.iterdir()) == []


@contextlib.contextmanager
def one_answer(send: Callable[[socket.socket, threading.Event], None]) -> Iterator[HttpClient]:
    """An HTTP client of a server on 127.0.0.1 that answers its one request with ``send(connection, stop)``."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def answer() -> None:
        connection, _ = server.accept()
        connection.recv(65536)
        with contextlib.suppress(OSError):
            send(connection, stop)
        connection.close()

    threading.Thread(target=answer, daemon=True).start()
    try:
        with requests.Session() as session:
            yield HttpClient(session, f"http://127.0.0.1:{server.getsockname()[1]}/", Redactor([]))
    finally:
        stop.set()
        server.close()


def test_an_answer_that_trickles_is_given_up_as_broken_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that sends a byte now and then keeps each read within its timeout, and the run (and its state lock)
    for ever: past a grace period the answer must keep a minimum rate."""
    import relmap.http
    from relmap.http import TransportFailure

    monkeypatch.setattr(relmap.http, "SLOW_GRACE", 0.3)

    def trickle(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        while not stop.is_set():
            connection.sendall(b" ")
            time.sleep(0.05)

    with one_answer(trickle) as http:
        response = http.send("GET", "relations/", stream=True)
        with pytest.raises(TransportFailure, match="the answer came slower than 16 KB/s"):
            for _ in http.body(response, "GET", "relations/", size=1):
                pass


def test_a_disk_that_takes_no_more_is_an_error_naming_the_folder(tmp_path: Path) -> None:
    # A file size limit refuses writes past 100 KB (EFBIG), as a full disk refuses them (ENOSPC).
    script = CLIENT % {"many": MANY, "small": SMALL} + textwrap.indent(
        textwrap.dedent("""
        import resource, signal
        from relmap.errors import ConfigError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
        read = []
        try:
            read.extend(client.each_relation())
        except ConfigError as error:
            print(len(read), error)
        """),
        "    ",
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"0 cannot keep OutSmart's answer in {tmp_path} while it is read: File too large")
    assert list(tmp_path.iterdir()) == []


def test_nothing_is_left_behind_when_the_process_is_killed_mid_read(tmp_path: Path) -> None:
    script = CLIENT % {"many": MANY, "small": SMALL} + textwrap.indent(
        textwrap.dedent("""
        import time
        relations = client.each_relation()
        next(relations)
        print("reading", flush=True)
        time.sleep(60)
        """),
        "    ",
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline() == "reading\n"
        files = spooled(process.pid, tmp_path)
        assert len(files) == 1 and files[0].endswith(" (deleted)")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    assert list(tmp_path.iterdir()) == []


def test_a_server_that_thinks_before_a_fast_answer_is_not_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate counts from the first byte, and only the time spent waiting for bytes: a long think before a fast
    answer, or relmap's own writing of each block, is not a trickle."""
    import relmap.http

    monkeypatch.setattr(relmap.http, "SLOW_GRACE", 0.3)
    body = b" " * 400_000

    def think_then_send(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
        time.sleep(0.8)  # the head at once, then a think past the grace before the body's first byte
        connection.sendall(body)

    with one_answer(think_then_send) as http:
        response = http.send("GET", "relations/", stream=True)
        received = b""
        for block in http.body(response, "GET", "relations/", size=4096):
            received += block
            time.sleep(0.001)  # relmap writing the block to its file: not the server's time
        assert received == body
