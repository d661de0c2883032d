"""The state under stress: overlapping runs, other names for the same file, read-only files, damage, a full disk.

Each case runs the real CLI against the emulators and checks the exact message, the exit code, and that nothing of
the state was lost. Locks are held by real second processes: a flock is the kernel's, so only another process can
show that it keeps a run out (and that kill -9 lets it go).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, writes

from relmap.errors import StateError
from relmap.sandbox import Sandbox
from relmap.state.store import State

RECOVER = "restore a backup, or move it away (keep it) and run with --full to relink from Silvasoft"

# A second process that takes the lock the way relmap does, says so, and waits to be killed. Its optional JSON
# argument rewrites what the lock file says of its holder (an older start, another host).
HOLD = """
import json, sys, time
from relmap.state.lock import StateLock
lock = StateLock(sys.argv[1], sys.argv[2])
if len(sys.argv) > 3:
    holder = {**json.loads(lock.file.read_text()), **json.loads(sys.argv[3])}
    lock.file.write_text(json.dumps(holder))
print("locked", flush=True)
time.sleep(120)
"""


class Holder:
    """A live process holding a state's lock."""

    def __init__(self, path: Path, command: str, pretend: dict[str, Any] | None = None) -> None:
        extra = [json.dumps(pretend)] if pretend else []
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(path), command, *extra], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline() == "locked\n"
        self.pid = self.process.pid
        self.lock_file = Path(f"{os.path.realpath(path)}.lock")

    def since(self) -> str:
        started = json.loads(self.lock_file.read_text())["started_at"]
        return datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def hold() -> Iterator[Callable[..., Holder]]:
    started: list[Holder] = []

    def start(path: Path, command: str = "relmap run routing.yaml", pretend: dict[str, Any] | None = None) -> Holder:
        started.append(Holder(path, command, pretend))
        return started[-1]

    yield start
    for holder in started:
        holder.kill()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(path: Path, table: str) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        count = int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    db.close()
    return count


def requests(world: Sandbox) -> int:
    return world.silvasoft.count() + world.outsmart.count()


def busy(path: Path | str, holder: Holder, age: str = "less than a minute ago", command: str = "relmap run") -> str:
    return (
        f"relmap: error: another relmap run is using {path}: relmap pid {holder.pid} since {holder.since()} UTC "
        f'(started {age}), "{command}"; try again when it has finished, or if it hangs, stop it with '
        f'"kill {holder.pid}" and run again'
    )


@pytest.fixture
def synced(sandbox: Sandbox, sync: Callable[..., CliResult], tmp_path: Path) -> Path:
    """A state after a first sync: 31 links, a ledger of 32 requests; the emulators' logs cleared after it."""
    assert sync().code == 1  # the two sample relations that always fail
    sandbox.silvasoft.clear_log()
    sandbox.outsmart.clear_log()
    return tmp_path / ".relmap" / "routing.db"


# -- the lock ----------------------------------------------------------------------------------------------------
def test_a_held_lock_names_its_holder_and_a_lock_left_by_kill_9_is_taken_over(
    sandbox: Sandbox, synced: Path, sync: Callable[..., CliResult], hold: Callable[..., Holder]
):
    holder = hold(synced, "relmap run routing.yaml --full")
    refused = sync()
    assert (refused.code, refused.out) == (2, "")
    assert refused.err == busy(synced, holder, command="relmap run routing.yaml --full") + "\n"
    assert requests(sandbox) == 0
    holder.kill()  # SIGKILL: no chance to clean up; the lock file still names the dead holder
    assert json.loads(holder.lock_file.read_text())["pid"] == holder.pid
    again = sync()
    assert again.code == 1, again.err  # ran: the sample's two relations are still not in step, and said so
    assert "Not in step: 2 relations" in again.out
    assert rows(synced, "links") == 31
    assert holder.lock_file.read_text() == ""  # a run that ended names no holder


@pytest.mark.parametrize(
    ("host", "where", "there"), [(None, "", ""), ("cron-2", " on host cron-2", " on cron-2")], ids=["here", "elsewhere"]
)
def test_a_hung_holder_is_named_with_its_age_so_that_it_can_be_stopped(
    sandbox: Sandbox,
    synced: Path,
    sync: Callable[..., CliResult],
    hold: Callable[..., Holder],
    host: str | None,
    where: str,
    there: str,
):
    pretend = {"started_at": time.time() - 25 * 60 - 10, "host": host or socket.gethostname()}
    holder = hold(synced, "relmap run routing.yaml", pretend)
    refused = sync()
    assert refused.code == 2
    assert refused.err == (
        f"relmap: error: another relmap run is using {synced}: relmap pid {holder.pid}{where} since {holder.since()} "
        f'UTC (started 25 min ago), "relmap run routing.yaml"; try again when it has finished, or if it hangs, stop '
        f'it{there} with "kill {holder.pid}" and run again\n'
    )
    assert rows(synced, "links") == 31


@pytest.mark.parametrize("name", ["symlink", "dotted", "hard link"])
def test_every_name_of_the_state_meets_the_same_lock(
    sandbox: Sandbox,
    synced: Path,
    run_cli: Callable[..., CliResult],
    hold: Callable[..., Holder],
    tmp_path: Path,
    name: str,
):
    other = {"symlink": "link.db", "dotted": ".relmap/../.relmap/routing.db", "hard link": "hard.db"}[name]
    if name == "symlink":
        (tmp_path / other).symlink_to(synced)
    elif name == "hard link":
        os.link(synced, tmp_path / other)
    holder = hold(synced)
    before = digest(synced)
    refused = run_cli("run", str(tmp_path / "routing.yaml"), "--state", other, "-q", cwd=tmp_path)
    assert (refused.code, refused.out) == (2, "")
    if name == "hard link":  # its real path is its own: the database file's own flock keeps it out
        assert refused.err == (
            f"relmap: error: another relmap run is using {other} through another path to the same file (a hard "
            "link, or a dry run on a read-only state); try again when it has finished\n"
        )
    else:
        assert refused.err == busy(other, holder, command="relmap run routing.yaml") + "\n"
    assert requests(sandbox) == 0
    assert digest(synced) == before


def test_sandbox_reset_takes_the_lock_first_and_destroys_nothing_while_it_is_held(
    run_cli: Callable[..., CliResult], mapping: Callable[..., Path], hold: Callable[..., Holder], tmp_path: Path
):
    path = mapping()
    state, folder = tmp_path / ".relmap" / "routing.sandbox.db", tmp_path / ".relmap" / "routing.sandbox"
    with State(state, "sandbox") as seeded:
        for n in range(3):
            seeded.save_link(
                str(n), 100 + n, customer_number=n, route=None, endpoint=None, payload={"n": n}, matched_by="new"
            )
        for at in range(5):
            seeded.record_request(time.time() - at, "listrelations")
    folder.mkdir()
    (folder / "silvasoft.json").write_text("{}", encoding="utf-8")
    before = digest(state)
    holder = hold(state, "relmap run routing.yaml --sandbox")
    refused = run_cli("run", str(path), "--sandbox", "--sandbox-reset", "-q", cwd=tmp_path)
    assert (refused.code, refused.out) == (2, "")
    assert refused.err == busy(state, holder, command="relmap run routing.yaml --sandbox") + (
        "; --sandbox-reset deleted nothing\n"
    )
    assert digest(state) == before
    assert (rows(state, "links"), rows(state, "ledger")) == (3, 5)
    assert (folder / "silvasoft.json").read_text(encoding="utf-8") == "{}"
    holder.kill()
    reset = run_cli("run", str(path), "--sandbox", "--sandbox-reset", "--dry-run", "-q", cwd=tmp_path)
    assert reset.code == 1, reset.err  # the plan of a first sync: two sample relations have errors
    assert rows(state, "links") == 0
    assert not (folder / "silvasoft.json").exists()  # the emulators started over (a dry run saves nothing there)


def test_a_lock_file_that_cannot_be_created_is_a_clear_error(
    sandbox: Sandbox, synced: Path, sync: Callable[..., CliResult]
):
    lock = Path(f"{synced}.lock")
    lock.unlink()
    lock.mkdir()  # something else in its place
    before = digest(synced)
    refused = sync()
    assert refused.code == 2
    assert refused.err == (
        f"relmap: error: cannot create the lock file {lock}: Is a directory; relmap locks the state so that two runs "
        f"never overlap: move {lock} out of the way, or choose a state in another folder with --state FILE\n"
    )
    assert digest(synced) == before
    assert requests(sandbox) == 0


# -- read-only states --------------------------------------------------------------------------------------------
# Root writes anywhere: as root, the second process first gives up the capabilities that let it (the kernel keeps
# them from coming back when it starts relmap), so that a read-only file is read-only to it as to anyone.
AS_ANYONE = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
    if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP; not allowed in every container
        sys.exit(77)
os.execv(sys.executable, [sys.executable, "-m", "relmap", *sys.argv[1:]])
"""


def unprivileged(*args: str, cwd: Path) -> CliResult:
    """relmap in a second process that cannot write what the test made read-only."""
    start = ["-c", AS_ANYONE] if os.geteuid() == 0 else ["-m", "relmap"]
    done = subprocess.run(
        [sys.executable, *start, *args], cwd=cwd, env=dict(os.environ), capture_output=True, text=True, timeout=60
    )
    if start[0] == "-c" and done.returncode == 77:
        pytest.skip("root here cannot give up the capabilities that let it write read-only files")
    return CliResult(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def place(tmp_path: Path) -> Iterator[Path]:
    """A folder for read-only files, made writable again for pytest to clean up."""
    folder = tmp_path / "place"
    folder.mkdir()
    yield folder
    for path in (folder, *folder.iterdir()):
        path.chmod(0o755)


@pytest.fixture
def read_only(synced: Path, tmp_path: Path, place: Path) -> Path:
    """The synced state and its mapping in ``place``, both read-only; the folder read-only too."""
    shutil.copy(tmp_path / "routing.yaml", place / "routing.yaml")
    shutil.copy(synced, place / "state.db")
    for path in (place / "state.db", place / "routing.yaml"):
        path.chmod(0o444)
    place.chmod(0o555)
    return place / "state.db"


def test_a_dry_run_works_on_a_read_only_state_and_counts_its_reads_in_the_account_ledger(
    sandbox: Sandbox, read_only: Path
):
    before, files = digest(read_only), sorted(os.listdir(read_only.parent))
    result = unprivileged(
        "run", "routing.yaml", "--state", "state.db", "--dry-run", "--full", "-q", cwd=read_only.parent
    )
    assert result.code == 1, result.err  # the two sample relations with errors
    assert "Plan: 0 to create, 0 to update, 0 to link, 31 unchanged" in result.out
    assert result.err == ""  # the account's ledger (not the state) counts the dry run's listing
    assert sandbox.silvasoft.count() == 1  # the listing; nothing written
    assert (digest(read_only), sorted(os.listdir(read_only.parent))) == (before, files)
    (ledger,) = Path(os.environ["RELMAP_LEDGER_DIR"]).glob("silvasoft-*.db")
    with contextlib.closing(sqlite3.connect(ledger)) as db:
        assert db.execute("SELECT endpoint, state FROM requests ORDER BY at").fetchall()[-1] == (
            "listrelations",
            str(read_only),
        )


def test_a_dry_run_that_cannot_write_the_ledger_either_says_what_it_could_not_count(
    sandbox: Sandbox, read_only: Path, monkeypatch: pytest.MonkeyPatch
):
    ledgers = read_only.parent / "ledgers"  # inside the read-only folder: it cannot be made
    monkeypatch.setenv("RELMAP_LEDGER_DIR", str(ledgers))
    result = unprivileged(
        "run", "routing.yaml", "--state", "state.db", "--dry-run", "--full", "-q", cwd=read_only.parent
    )
    assert result.code == 1, result.err
    assert result.err.startswith(f"relmap: warning: the Silvasoft request ledger {ledgers}/silvasoft-"), result.err
    assert result.err.endswith(
        "set RELMAP_LEDGER_DIR to a folder relmap may write, shared by every mapping of this Silvasoft account: this "
        "dry run's 1 Silvasoft request is not counted, so a run within the hour may find fewer requests left than "
        "it expects\n"
    ), result.err
    assert not ledgers.exists()


def test_a_real_run_on_a_read_only_state_says_that_it_is_read_only(sandbox: Sandbox, read_only: Path):
    before = digest(read_only)
    result = unprivileged("run", "routing.yaml", "--state", "state.db", "-q", cwd=read_only.parent)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "relmap: error: the state state.db is read-only for this user, and a run records its links and requests "
        "there: make it writable (chmod u+w state.db) (relmap run --dry-run works on a read-only state)\n"
    )
    assert requests(sandbox) == 0
    assert digest(read_only) == before


def test_a_writable_state_in_a_read_only_folder_is_refused_before_anything_is_read(
    sandbox: Sandbox, synced: Path, tmp_path: Path, place: Path
):
    shutil.copy(tmp_path / "routing.yaml", place / "routing.yaml")
    shutil.copy(synced, place / "state.db")
    (place / "state.db").chmod(0o666)
    place.chmod(0o555)
    result = unprivileged("run", "routing.yaml", "--state", "state.db", "-q", cwd=place)
    assert (result.code, result.err) == (
        2,
        "relmap: error: the folder . of the state state.db is read-only for this user, and a run writes its lock "
        "file and SQLite's journal (-wal, -shm) there: make it writable (chmod u+w .), or keep the state in a "
        "writable folder (--state FILE)\n",
    )
    assert requests(sandbox) == 0
    assert sorted(os.listdir(place)) == ["routing.yaml", "state.db"]


# -- damage and other programs' files ----------------------------------------------------------------------------
def zero_page(path: Path, page: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(4096 * page)
        handle.write(bytes(4096))


def test_a_zeroed_page_is_found_before_a_request_is_spent(
    sandbox: Sandbox, synced: Path, sync: Callable[..., CliResult]
):
    zero_page(synced, 3)
    before = digest(synced)
    result = sync()
    assert result.code == 2
    assert result.err.startswith(f"relmap: error: the state {synced} is damaged (Page ")
    assert result.err.endswith(f"); relmap has not changed it: {RECOVER}\n")
    assert "\n" not in result.err[:-1]
    assert requests(sandbox) == 0
    assert digest(synced) == before


def test_a_zeroed_first_page_is_damage_too(sandbox: Sandbox, synced: Path, sync: Callable[..., CliResult]):
    zero_page(synced, 0)
    before = digest(synced)
    result = sync()
    assert (result.code, result.err) == (
        2,
        f"relmap: error: the state {synced} is damaged (file is not a database); relmap has not changed it: "
        f"{RECOVER}\n",
    )
    assert digest(synced) == before


@pytest.mark.parametrize(
    ("tables", "problem"),
    [
        (["CREATE TABLE users (name TEXT, created TEXT)"], "it has tables users"),
        (
            ["CREATE TABLE meta (key TEXT, value TEXT)", "INSERT INTO meta VALUES ('colour', 'red')"],
            "its table meta records no relmap state version or Silvasoft account",
        ),
        (["CREATE TABLE meta (key TEXT, value TEXT)", "CREATE TABLE links (id)"], "its table links has no column "),
    ],
    ids=["other tables", "other meta", "other links"],
)
def test_another_programs_sqlite_file_is_refused_and_left_as_it_was(
    sandbox: Sandbox, run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path, tables, problem
):
    path = tmp_path / "app.db"
    db = sqlite3.connect(path)
    for statement in tables:
        db.execute(statement)
    db.commit()
    db.close()
    before = digest(path)
    result = run_cli("run", str(mapping()), "--state", "app.db", "-q", cwd=tmp_path)
    problem += "debtor_number" if problem.endswith("column ") else ""
    assert (result.code, result.err) == (
        2,
        f"relmap: error: app.db is an SQLite database but not a relmap state ({problem}); relmap has not changed it: "
        "give this mapping its own state with --state FILE, or move that file away\n",
    )
    assert digest(path) == before
    assert requests(sandbox) == 0


@pytest.mark.parametrize(
    ("edit", "row", "problem", "advice"),
    [
        (
            "UPDATE links SET payload = '{\"Name\": ' WHERE debtor_number = '10001'",
            "links (debtor_number '10001')",
            "payload is not valid JSON (Expecting value: line 1 column 10 (char 9))",
            "DELETE FROM links WHERE debtor_number = '10001') and run with --full to relink the relation from "
            "Silvasoft",
        ),
        (
            "UPDATE links SET guid = 'abc' WHERE debtor_number = '10001'",
            "links (debtor_number '10001')",
            "guid 'abc' is not a whole number",
            "DELETE FROM links WHERE debtor_number = '10001') and run with --full to relink the relation from "
            "Silvasoft",
        ),
        (
            "INSERT INTO intents VALUES (7, '10002', 'create', 'addbusinessrelation', NULL, '[1', 0)",
            "intents (id 7)",
            "payload is not valid JSON (Expecting ',' delimiter: line 1 column 3 (char 2))",
            "DELETE FROM intents WHERE id = 7) and run with --full (the run lists Silvasoft and links what an "
            "interrupted write made)",
        ),
        (
            "INSERT INTO ledger VALUES ('yesterday', 'listrelations')",
            "ledger (rowid 33)",
            "at 'yesterday' is not a time",
            "DELETE FROM ledger WHERE rowid = 33) and run again (the ledger only counts the hour's Silvasoft requests)",
        ),
    ],
    ids=["payload JSON", "text guid", "intent JSON", "ledger time"],
)
def test_a_hand_edited_row_is_named_before_a_request_is_spent(
    sandbox: Sandbox, synced: Path, sync: Callable[..., CliResult], edit: str, row: str, problem: str, advice: str
):
    db = sqlite3.connect(synced)
    db.execute(edit)
    db.commit()
    db.close()
    before = digest(synced)
    result = sync()
    assert (result.code, result.err) == (
        2,
        f"relmap: error: the state {synced} has a damaged row in {row}: {problem}; restore a backup, or delete that "
        f"row ({advice}\n",
    )
    assert requests(sandbox) == 0
    assert digest(synced) == before
    assert rows(synced, "links") == 31


# -- a full disk -------------------------------------------------------------------------------------------------
def test_a_full_disk_is_a_state_error_that_keeps_what_was_recorded(tmp_path: Path):
    path = tmp_path / "state.db"
    with State(path, "account-a") as state:
        state.save_link("1", 11, customer_number=1, route=None, endpoint=None, payload={"n": 1}, matched_by="new")
        intent = state.open_intent("2", "create", "addprivaterelation", {"Name": "X"}, None)
        pages = state.db.execute("PRAGMA page_count").fetchone()[0]
        state.db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk full", on this connection only
        with pytest.raises(StateError) as caught:
            for n in range(100):
                state.save_link(
                    f"x{n}", 100 + n, customer_number=None, route=None, endpoint=None, payload={"x": "y" * 900},
                    matched_by="new",
                )  # fmt: skip
    assert str(caught.value) == (
        f"cannot write the state {path}: the disk is full (database or disk is full); what was recorded before is "
        "kept: free some space and run again (the next run checks Silvasoft for any write this run could not record)"
    )
    with State(path, "account-a") as state:
        assert "1" in state.links()
        assert [i.id for i in state.intents()] == [intent]


# A run whose files may not grow past a limit: SQLite's writes fail half-way through the run, as on a full disk.
LIMITED = """
import resource, runpy, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
sys.argv = ["relmap", *sys.argv[2:]]
runpy.run_module("relmap", run_name="__main__")
"""


def test_a_write_failure_mid_run_is_a_state_error_and_the_next_run_settles_it(
    sandbox: Sandbox, mapping: Callable[..., Path], tmp_path: Path
):
    path, state = mapping(), tmp_path / "state.db"
    args = ["run", str(path), "--state", str(state), "-q"]
    stopped = subprocess.run(
        [sys.executable, "-c", LIMITED, "300000", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert stopped.returncode == 2
    assert stopped.stderr == (
        f"relmap: error: cannot read or write the state {state} (disk I/O error); what was recorded before is kept: "
        "check the disk (free space, quota, file size limit) and run again\n"
    )
    created = writes(sandbox)
    recorded = rows(state, "links")
    assert 0 < recorded <= created < 31  # stopped half-way; each link it recorded is still there
    final = subprocess.run([sys.executable, "-m", "relmap", *args], capture_output=True, text=True, timeout=60)
    assert final.returncode == 1, final.stderr  # the two sample relations that always fail
    assert len(sandbox.silvasoft.relations()) == 31  # no relation created twice
    assert (rows(state, "links"), rows(state, "intents")) == (31, 0)


def test_a_folder_given_as_the_state_is_refused(
    sandbox: Sandbox, run_cli: Callable[..., CliResult], mapping: Callable[..., Path], tmp_path: Path
):
    (tmp_path / "states").mkdir()
    result = run_cli("run", str(mapping()), "--state", "states", cwd=tmp_path)
    assert (result.code, result.err) == (
        2,
        "relmap: error: the state states is a folder; give --state the name of a file (new or existing)\n",
    )
    assert os.listdir(tmp_path / "states") == []
    assert requests(sandbox) == 0
