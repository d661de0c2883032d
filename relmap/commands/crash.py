"""What relmap says of an exception it did not foresee: a located, masked message that asks for a bug report."""

from __future__ import annotations

import argparse
import os

from relmap import __version__


def template_stop() -> type[BaseException]:
    """The stop a template's time limit raises; one that lands outside every evaluation is a bug."""
    from relmap.mapping.templates.limits import _Stop

    return _Stop


def unexpected(exc: BaseException, args: argparse.Namespace) -> str:
    """The message for an exception relmap did not foresee: the input it was working on, the place in relmap, and
    the exception's own words with every secret of the environment masked."""
    import traceback

    from relmap.http import Redactor

    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if f"{os.sep}relmap{os.sep}" in frame.filename]
    where = ""
    if frames:
        path = frames[-1].filename
        where = f" at relmap{path.rsplit(os.sep + 'relmap', 1)[1]}:{frames[-1].lineno}"
    subject = next(
        (str(value) for name in ("mapping", "path", "plan") if isinstance(value := getattr(args, name, None), str)),
        " ".join(getattr(args, "mappings", None) or []) or args.command,
    )
    from relmap.envfile import values_read
    from relmap.secrets import secret_values

    words = Redactor([*secret_values(os.environ), *values_read()])(str(exc))[:300]
    detail = f": {words}" if words else ""
    return (
        f"relmap: error: {subject}: unexpected {type(exc).__name__}{detail}{where}. This is a bug in relmap "
        f"{__version__}: please report it with the output of the same command run with RELMAP_DEBUG=1"
    )
