"""Files a command writes where the user said (``--out``, ``--report``): whole or not at all.

The text goes to a temporary file beside the target, renamed over it only once everything is written, so a run
that fails half-way, is stopped (SIGTERM, SIGHUP, Ctrl-C) or fills the disk leaves the previous file as it was
and no part file behind. A device, a FIFO or a folder at the target is refused rather than replaced. A lone
surrogate, which no UTF-8 file can hold, is written as its JSON escape (``\\ud800``), so JSON output stays JSON.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from relmap.errors import ConfigError, RelmapError


@contextlib.contextmanager
def written(path: str, what: str, private: bool = False, mapping: str | None = None) -> Iterator[TextIO]:
    """A stream whose text becomes ``path`` when the block ends without an error; ``private`` makes it 0600."""
    problem = unusable(path, what, mapping)
    if problem:
        raise ConfigError(problem)
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)  # a symlink is written through
    handle, temporary, unnamed = _temporary(target, private, what)
    stopped = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    with contextlib.suppress(ValueError):  # only the main thread may set them (in a test, another may run this)
        for sig in stopped:
            signal.signal(sig, _stop)
    named = not unnamed
    try:
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as stream:
            yield stream
            stream.flush()
            if unnamed:  # only now does the file get a name, beside the target, to be renamed over it at once
                named = True  # from here on a stop removes the name, whether the link or the copy made it
                _name(handle, temporary)
        os.replace(temporary, target)
    except BaseException as exc:
        if named:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise RelmapError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
        raise
    finally:
        with contextlib.suppress(ValueError, TypeError):
            for sig, handler in stopped.items():
                signal.signal(sig, handler)


def _name(handle: int, temporary: str) -> None:
    """Give the unnamed file ``handle`` the name ``temporary``: linked where the file system lets it (overlay file
    systems refuse), else copied, whole and written, into a file of that name."""
    try:
        os.link(f"/proc/self/fd/{handle}", temporary, follow_symlinks=True)
        return
    except OSError:
        pass
    size = os.fstat(handle).st_size
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, os.fstat(handle).st_mode & 0o777), "wb") as out:
        offset = 0
        while offset < size:
            sent = os.sendfile(out.fileno(), handle, offset, size - offset)
            if sent == 0:
                break
            offset += sent


def _temporary(target: Path, private: bool, what: str) -> tuple[int, str, bool]:
    """An open file beside ``target``, the name it will have until it is renamed over the target, and whether it
    has no name yet. On Linux it is an unnamed file (O_TMPFILE): a ``kill -9`` half-way leaves nothing, where a
    named part file would stay with the relations' personal data in it. Elsewhere, a ``.part`` file."""
    folder = str(target.parent or ".")
    temporary = os.path.join(folder, f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    mode = 0o600 if private else 0o666 & ~_umask()
    flag = getattr(os, "O_TMPFILE", 0)
    if flag and os.path.isdir("/proc/self/fd"):
        try:
            return os.open(folder, flag | os.O_RDWR | os.O_CLOEXEC, mode), temporary, True
        except OSError:
            pass  # a file system without unnamed files: a named one, removed on every way out but a kill -9
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
        if not private:
            os.chmod(temporary, mode)
    except OSError as exc:
        raise RelmapError(f"cannot write {what} {target}: {exc.strerror}") from None
    return handle, temporary, False


def unusable(path: str, what: str, mapping: str | None = None) -> str | None:
    """Why ``path`` cannot be written as ``what``, or None; asked before a command reads or spends anything, and
    again when the file is written."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        return f"{what} {path}: the folder {folder} does not exist"
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(path, os.W_OK)):
        return f"{what} {path}: not writable"
    if target.exists() and not target.is_file():  # renaming over a device, a FIFO or a folder would replace it
        return f"{what} {path} is not a regular file; give a file path"
    if mapping is not None and target.exists() and target.resolve() == Path(mapping).resolve():
        return f"{what} {path} is the mapping itself; give another file"
    return None


def write_file(path: str, text: str, what: str) -> None:
    """``text`` as the file ``path``, whole or not at all."""
    with written(path, what) as stream:
        stream.write(text)


def _stop(number: int, frame: object) -> None:
    raise KeyboardInterrupt  # cleaned up on the way out, and said as an interruption


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
