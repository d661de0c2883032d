"""``relmap export MAPPING --out FILE``: the relations the mapping reads, saved as JSONL for render and test.

It reads as ``relmap run --full`` does: the OutSmart API with the mapping's source filters (and its freefields
checked), the built-in emulator with ``--sandbox``, or the mapping's export file with the filters applied locally.
Only OutSmart's settings are needed. The file is written beside its final name and renamed into place at the end,
so a failed export leaves no half file; unpseudonymised, it is created readable by its owner only.

Exit codes: 0 every relation was written; 1 some records could not be read (each is named; the others were
written); 2 a fatal problem (usage, a mapping with errors, a missing setting, an API or file that cannot be read).
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from relmap.commands.loading import plan_or_report
from relmap.commands.outfile import written
from relmap.exits import EXIT_FAILED, EXIT_FATAL, EXIT_OK
from relmap.mapping.compiled import CompiledMapping
from relmap.report.terminal import escape
from relmap.sources.export import Exported, passes_filters, write_relations
from relmap.sources.records import RecordProblem, SourceRecord

if TYPE_CHECKING:
    from relmap.pseudonym import Pseudonymiser

Records = Iterator[SourceRecord | RecordProblem]

STDOUT = "-"


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    misuse = _misuse(args)
    if misuse:
        err.write(f"relmap export: error: {misuse}\n")
        return EXIT_FATAL
    plan = plan_or_report(args.mapping, err, "nothing was exported")
    if plan is None:
        return EXIT_FATAL
    if plan.source.kind == "file" and args.sandbox:
        err.write(
            f"relmap export: error: --sandbox reads the OutSmart emulator, but this mapping reads the export "
            f"{plan.source.path}; leave out --sandbox\n"
        )
        return EXIT_FATAL

    def problem(item: RecordProblem) -> None:
        err.write(f"relmap export: warning: {escape(item.origin)}: {escape(item.message)}; not exported\n")

    with _reading(args, plan, err) as (records, key, where):
        pseudonymiser = _pseudonymiser(key) if args.pseudonymise else None
        keep = (lambda record: passes_filters(plan, record)) if plan.source.kind == "file" else (lambda record: True)
        with _sink(args.out, out, private=not args.pseudonymise, mapping=args.mapping) as sink:
            done = write_relations(records, sink, keep=keep, pseudonymiser=pseudonymiser, on_problem=problem)
    (err if args.out == STDOUT else out).write(_summary(done, args, where, key))
    return EXIT_FAILED if done.problems else EXIT_OK


def _misuse(args: argparse.Namespace) -> str | None:
    if args.pseudonymise_key is not None and not args.pseudonymise:
        return "--pseudonymise-key goes with --pseudonymise"
    if args.pseudonymise_key == "":
        return "--pseudonymise-key is empty; give a key, or leave it out for the default key"
    if args.out != STDOUT:
        folder = Path(args.out).parent
        if not folder.is_dir():
            return f"--out {args.out}: the folder {folder} does not exist"
        if Path(args.out).is_dir():
            return f"--out {args.out}: is a folder; name the file to write"
        if not os.access(folder, os.W_OK):
            return f"--out {args.out}: the folder {folder} is not writable"
    return None


@contextlib.contextmanager
def _reading(args: argparse.Namespace, plan: CompiledMapping, err: TextIO) -> Iterator[tuple[Records, str | None, str]]:
    """The records, the pseudonymisation key the environment gives (if any), and where they come from."""
    from relmap.commands.environment import environment
    from relmap.pseudonym import KEY_VARIABLE
    from relmap.sync.reading import reader

    if plan.source.kind == "file":
        from relmap.commands.environment import settings_environ

        def warn(text: str) -> None:
            err.write(f"relmap: warning: {escape(text)}\n")

        environ = settings_environ(args, warn)
        key = args.pseudonymise_key or environ.get(KEY_VARIABLE) or None
        yield iter(reader(plan, None)(None)), key, str(plan.source.path)
        return
    from relmap.http import HttpClient, Redactor
    from relmap.sources.outsmart import OutSmartClient
    from relmap.sync.connect import outsmart_access, session

    with environment(args, plan, err) as (environ, _pace, _state):
        key = args.pseudonymise_key or environ.get(KEY_VARIABLE) or None
        url, token, software_token = outsmart_access(plan, environ)
        with session() as http_session:
            http = HttpClient(http_session, url, Redactor([token, software_token]))
            client = OutSmartClient(http, token, software_token)
            yield iter(reader(plan, client)(None)), key, "OutSmart" + (" (the sandbox)" if args.sandbox else "")


def _pseudonymiser(key: str | None) -> Pseudonymiser:
    from relmap.pseudonym import DEFAULT_KEY, Pseudonymiser

    return Pseudonymiser(key or DEFAULT_KEY)


@contextlib.contextmanager
def _sink(path: str, out: TextIO, private: bool, mapping: str) -> Iterator[TextIO]:
    """Standard output, or the file ``path`` written whole or not at all (commands.outfile)."""
    if path == STDOUT:
        yield out
        return
    with written(path, "--out", private=private, mapping=mapping) as stream:
        yield stream


def _summary(done: Exported, args: argparse.Namespace, where: str, key: str | None) -> str:
    target = "standard output" if args.out == STDOUT else args.out
    parts = [f"exported {done.written} relation{'s' * (done.written != 1)} from {escape(where)} to {escape(target)}"]
    if done.filtered:
        parts.append(f"{done.filtered} left out by the source filters")
    if done.problems:
        parts.append(f"{done.problems} could not be read (named above)")
    if args.pseudonymise:
        parts.append("pseudonymised with " + ("your key" if key else "the default key (fakes can be reversed)"))
    return "; ".join(parts) + "\n"
