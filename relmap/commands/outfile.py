"""Files a command writes where the user said (``--out``, ``--report``): whole or not at all.

The text goes to a temporary file beside the target, renamed over it only once everything is written, so a run
that fails half-way, is stopped (SIGTERM, SIGHUP, Ctrl-C) or fills the disk leaves the previous file as it was
and no part file behind. A device, a FIFO or a folder at the target is refused rather than replaced. A lone
surrogate, which no UTF-8 file can hold, is written as its JSON escape (``\\ud800``), so JSON output stays JSON.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from relmap.errors import ConfigError, RelmapError


@contextlib.contextmanager
def written(path: str, what: str, private: bool = False, mapping: str | None = None) -> Iterator[TextIO]:
    """A stream whose text becomes ``path`` when the block ends without an error; ``private`` makes it 0600."""
    target = Path(path)
    if target.exists() and not target.is_file():  # renaming over a device, a FIFO or a folder would replace it
        raise ConfigError(f"{what} {path} is not a regular file; give a file path")
    if mapping is not None and target.exists() and target.resolve() == Path(mapping).resolve():
        raise ConfigError(f"{what} {path} is the mapping itself; give another file")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent or ".")
    except OSError as exc:
        raise RelmapError(f"cannot write {what} {path}: {exc.strerror}") from None
    stopped = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    with contextlib.suppress(ValueError):  # only the main thread may set them (in a test, another may run this)
        for sig in stopped:
            signal.signal(sig, _stop)
    try:
        if not private:
            os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as stream:
            yield stream
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise RelmapError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
        raise
    finally:
        with contextlib.suppress(ValueError, TypeError):
            for sig, handler in stopped.items():
                signal.signal(sig, handler)


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
