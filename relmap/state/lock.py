"""The lock that lets one relmap run at a time use a state database, and says who holds it when it is taken.

Two flocks, taken in order: ``<real path>.lock`` beside the database (symlinks and other spellings resolved, so every
name of the file meets the same lock; it holds the holder's pid, host, start and command), then the database file
itself (so that a hard link, which has a real path of its own, meets the same lock too). A flock is the kernel's: it
goes when its holder dies, even by kill -9, so a lock file left behind is simply taken over.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import pwd
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from relmap.errors import StateError


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as written into the lock file by the holder."""

    pid: int
    host: str
    started_at: float
    command: str | None = None

    def describe(self, now: float) -> str:
        since = datetime.fromtimestamp(self.started_at, UTC).strftime("%Y-%m-%d %H:%M")
        command = f', "{self.command}"' if self.command else ""
        where = "" if self.host == socket.gethostname() else f" on host {self.host}"
        there = "" if not where else f" on {self.host}"
        return (
            f"relmap pid {self.pid}{where} since {since} UTC (started {_age(now - self.started_at)}){command}; "
            f'try again when it has finished, or if it hangs, stop it{there} with "kill {self.pid}" and run again'
        )

    def text(self) -> str:
        return json.dumps({"pid": self.pid, "host": self.host, "started_at": self.started_at, "command": self.command})

    @staticmethod
    def parse(text: str) -> Holder | None:
        """The holder a lock file names; None for an empty file (the holder has not written yet) or an older one."""
        try:
            data = json.loads(text)
            command = data.get("command")
            return Holder(int(data["pid"]), str(data["host"]), float(data["started_at"]), command and str(command))
        except (ValueError, TypeError, KeyError):
            return None


def _age(seconds: float) -> str:
    minutes = int(max(seconds, 0) // 60)
    if minutes < 1:
        return "less than a minute ago"
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min ago"
    return f"{minutes // (24 * 60)} days ago"


class StateLock:
    """Held from construction until ``close()``. ``read_only``: the state (or its folder) cannot be written by this
    user; only a caller that passed ``may_read_only`` (a dry run) gets such a lock, the others get a StateError."""

    def __init__(self, path: str | os.PathLike[str], command: str | None = None, may_read_only: bool = False) -> None:
        self.path = Path(path)
        self.real = Path(os.path.realpath(path))
        self.file = Path(f"{self.real}.lock")
        # Messages name files as the user spelled them, unless that spelling leads elsewhere (a symlink).
        self._shown = self.path if Path(os.path.abspath(path)) == self.real else self.real
        if self.real.is_dir():
            raise StateError(f"the state {self.path} is a folder; give --state the name of a file (new or existing)")
        self.read_only = _read_only(self.path, self.real, may_read_only)
        self._handle: int | None = None  # the lock file (None: a read-only folder without one)
        self._named = False  # whether this run holds the lock file and could open it to write its name there
        self._database: int | None = None  # the database file itself
        try:
            self._take(command)
        except BaseException:
            self.close()
            raise

    def _take(self, command: str | None) -> None:
        self._handle = self._open_lock_file()
        if self._handle is not None and not _flock(self._handle, self.file):
            raise StateError(self._busy(self._holder()))
        self.hold_database()
        if self._handle is not None:
            # The holder's name is a courtesy (a lock file opened read-only cannot carry it); the flock is the lock.
            with contextlib.suppress(OSError):
                holder = Holder(os.getpid(), socket.gethostname(), time.time(), command)
                os.ftruncate(self._handle, 0)
                os.pwrite(self._handle, holder.text().encode(), 0)
                self._named = True

    def hold_database(self) -> None:
        """Lock the database file itself once it exists (State calls this again after SQLite created it)."""
        if self._database is not None or not self.real.exists():
            return
        try:
            self._database = os.open(self.real, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise StateError(f"cannot open the state {self.path}: {exc.strerror}") from None
        if not _flock(self._database, self.path):
            raise StateError(
                f"another relmap run is using {self.path} through another path to the same file (a hard link, "
                "or a dry run on a read-only state); try again when it has finished"
            )

    def remove_state(self) -> None:
        """Delete the database and its -wal and -shm (``--sandbox-reset``), under the lock. The lock file stays: a
        second run waiting for it would otherwise lock a new file of the same name while this one runs."""
        if self.read_only:
            raise StateError(f"--sandbox-reset cannot delete the read-only state {self.path}; nothing was reset")
        if self._database is not None:
            os.close(self._database)  # the next database is a new file: State locks it once SQLite made it
            self._database = None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.real}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        if self._database is not None:
            os.close(self._database)
            self._database = None
        if self._handle is not None:
            if self._named:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._handle, 0)  # a clean exit names no holder
            os.close(self._handle)  # closing the last descriptor releases the flock
            self._handle = None

    def __enter__(self) -> StateLock:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _open_lock_file(self) -> int | None:
        folder, shown = self.real.parent, Path(f"{self._shown}.lock")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(
                f"cannot create the folder {self._shown.parent} for the state {self.path}: {exc.strerror}; create "
                "it, or choose a state in another folder with --state FILE"
            ) from None
        create = 0 if self.read_only else os.O_CREAT  # a dry run on a read-only state leaves no file behind
        try:
            return os.open(self.file, os.O_RDWR | create | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            if self.read_only and exc.errno == errno.ENOENT:
                return None  # no lock file: the database's own flock still keeps a run out
            denied = exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
            if denied:
                with contextlib.suppress(OSError):  # another user's lock file: a flock needs no write access
                    return os.open(self.file, os.O_RDONLY | os.O_CLOEXEC)
            fix = f"make {self._shown.parent} writable for this user" if denied else f"move {shown} out of the way"
            raise StateError(
                f"cannot create the lock file {shown}: {exc.strerror}; relmap locks the state so that two runs never "
                f"overlap: {fix}, or choose a state in another folder with --state FILE"
            ) from None

    def _holder(self) -> Holder | None:
        if self._handle is None:
            return None
        try:
            return Holder.parse(os.pread(self._handle, 4096, 0).decode("utf-8", "replace"))
        except OSError:
            return None

    def _busy(self, holder: Holder | None) -> str:
        if holder is None:  # the holder has not written its name yet, or is an older relmap
            return f"another relmap run is using {self.path}; try again when it has finished"
        return f"another relmap run is using {self.path}: {holder.describe(time.time())}"


def _flock(handle: int, path: Path) -> bool:
    """Take an exclusive flock without waiting; False when another process holds it."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        raise StateError(
            f"cannot lock {path}: {exc.strerror}; relmap needs file locks (keep the state on a local disk)"
        ) from None
    return True


def _read_only(path: Path, real: Path, may_read_only: bool) -> bool:
    """Whether this user cannot write the state or its folder; a StateError unless ``may_read_only``."""
    folder = real.parent
    if real.exists() and not os.access(real, os.W_OK):
        if may_read_only:
            return True
        whose, fix = _owner(real, path)
        raise StateError(
            f"the state {path} is read-only for this user{whose}, and a run records its links and requests there: "
            f"{fix} (relmap run --dry-run works on a read-only state)"
        )
    if folder.is_dir() and not os.access(folder, os.W_OK):
        if may_read_only and real.exists():
            return True
        shown = path.parent if Path(os.path.abspath(path)) == real else folder
        whose, fix = _owner(folder, shown)
        raise StateError(
            f"the folder {shown} of the state {path} is read-only for this user{whose}, and a run writes its lock "
            f"file and SQLite's journal (-wal, -shm) there: {fix}, or keep the state in a writable folder "
            "(--state FILE)"
        )
    return False


def _owner(real: Path, shown: Path) -> tuple[str, str]:
    """`` (it belongs to alice)`` when someone else owns it, and what to do."""
    try:
        uid = real.stat().st_uid
        owner = pwd.getpwuid(uid).pw_name if uid != os.geteuid() else None
    except (OSError, KeyError):
        owner = None
    if owner is None:
        return "", f"make it writable (chmod u+w {shown})"
    return f" (it belongs to {owner})", f"run as {owner} or give this user write access to it"
