"""Where an API's answer waits between its download and its reading: a temporary file deleted whatever happens.

The first few MB stay in memory; past that the answer goes to an unnamed file (``tempfile.TemporaryFile``: on Linux
``O_TMPFILE``, elsewhere a file removed as soon as it is made), so neither an error nor a ``kill -9`` leaves a copy
of the relations behind. It is made in the system's temporary folder (``TMPDIR``, else /tmp): every command that
reads OutSmart spools, ``export``, ``explain`` and ``check`` too, and those have no state folder to put it beside;
the state folder may also be a synced or shared one, where a copy of every relation does not belong. A folder that
cannot take the answer is a ConfigError naming it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from relmap.errors import ConfigError

MEMORY = 4 << 20  # bytes of an answer kept in memory before it goes to the file
BLOCK = 1 << 16  # bytes read back at a time


class Spool:
    """Fills temporary files in ``directory`` (None: the system's temporary folder), ``memory`` bytes in memory."""

    def __init__(self, directory: str | None = None, memory: int = MEMORY) -> None:
        self.directory = directory
        self.memory = memory

    def folder(self) -> str:
        """The folder answers wait in. A TMPDIR that is not a folder relmap can write to is an error naming it:
        Python would quietly fall back to /tmp, /var/tmp or even the current folder."""
        chosen = self.directory or os.environ.get("TMPDIR") or None
        if chosen is not None and not (os.path.isdir(chosen) and os.access(chosen, os.W_OK | os.X_OK)):
            what = "does not exist" if not os.path.exists(chosen) else "is not a folder relmap can write to"
            source = "TMPDIR " if chosen == os.environ.get("TMPDIR") else ""
            raise ConfigError(
                f"the temporary folder {source}{chosen} {what}; set TMPDIR to a folder with room for the answer"
            )
        return chosen or tempfile.gettempdir()

    def fill(self, blocks: Iterable[bytes], what: str) -> IO[bytes]:
        """A temporary file holding ``blocks``, at its start; closed (and so gone) if the blocks break off. The
        caller closes it when it is read."""
        # Handed to the caller open, so not in a with block.
        file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=self.memory, dir=self.folder())  # noqa: SIM115
        size = 0
        try:
            for block in blocks:  # what goes wrong with the download is the caller's to say
                try:
                    file.write(block)
                except OSError as error:
                    raise self._error(what, size, error) from None
                size += len(block)
            try:
                file.seek(0)  # flushes: a full disk may say so only here
            except OSError as error:
                raise self._error(what, size, error) from None
        except BaseException:
            with contextlib.suppress(OSError):  # a full disk refuses the flush on closing too; the file goes
                file.close()
            raise
        return file

    def _error(self, what: str, size: int, error: OSError) -> ConfigError:
        reason = error.strerror or type(error).__name__
        return ConfigError(
            f"cannot keep {what} in {self.folder()} while it is read: {reason} (after {size / 1e6:,.1f} MB); "
            "set TMPDIR to a folder relmap can write to, with room for the whole answer"
        )

    def read(self, file: IO[bytes], what: str) -> Iterator[bytes]:
        """What ``file`` (from :meth:`fill`) holds, from where it stands, in blocks; a read that fails is a
        ConfigError naming the folder."""
        try:
            yield from iter(lambda: file.read(BLOCK), b"")
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise ConfigError(f"cannot read {what} back from {self.folder()}: {reason}") from None
