"""Saved plans: ``run --dry-run --out plan.json`` writes one, ``run --plan plan.json`` applies exactly it.

Each planned relation carries two fingerprints: of its OutSmart record and of its Silvasoft side (the listed relation,
or the link relmap keeps). Applying re-reads both sides and re-plans; a relation is written only when both
fingerprints and the planned change itself are still the same, and every other relation is left alone and reported.
Format 2 gives unchanged relations in a compact form (no ``fields`` or ``send``) unless the plan was made with
``--show-unchanged``: their fingerprints say why one that now needs a write is left alone.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from typing import Any

from relmap.errors import ConfigError, SourceError
from relmap.sources.records import SURROGATE, SourceRecord
from relmap.state.store import Link, canonical
from relmap.sync.apply import Outcome
from relmap.sync.changes import Change
from relmap.sync.identity import Directory

FORMAT_VERSION = 2
KIND = "relmap-plan"
APPLIED = ("create", "update", "link")  # the actions a saved plan carries out


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()[:16]


def source_fingerprint(record: SourceRecord | None) -> str:
    if record is None:
        return ""
    freefields = {str(k): v for k, v in record.freefields.items()}
    return digest({"fields": record.fields, "freefields": freefields})


def silvasoft_fingerprint(change: Change, directory: Directory, link: Link | None) -> str | None:
    """What relmap knows of the relation's Silvasoft side: the listed relation, else its link; None if neither."""
    guid = change.guid if change.guid is not None else (link.guid if link else None)
    if guid is not None and directory.listed and guid in directory.by_guid:
        return digest(directory.by_guid[guid])
    if link is not None:
        return digest({"guid": link.guid, "synced": link.payload_hash})
    return None


@dataclass(frozen=True)
class Planned:
    debtor_number: str
    action: str
    guid: int | None
    send: dict[str, Any] | None
    source: str
    silvasoft: str | None


@dataclass(frozen=True)
class SavedPlan:
    path: str
    mapping_digest: str
    account: str
    full: bool
    since: str | None
    planned: dict[str, Planned]  # debtor_number → what to do; only relations the plan changes
    unchanged: dict[str, Planned] = field(default_factory=dict)  # relations the plan found in step

    def verdict(self, change: Change, source: str, silvasoft: str | None) -> str | None:
        """None when ``change`` is exactly what the plan holds for its relation; otherwise why it is left alone."""
        entry = self.planned.get(change.debtor_number or "")
        if entry is None:
            return self._unplanned(change, source, silvasoft) if change.action in APPLIED else None
        if entry.source != source:
            return "changed in OutSmart since the plan was made; not applied: make a new plan"
        if entry.silvasoft != silvasoft:
            return "changed in Silvasoft since the plan was made; not applied: make a new plan"
        if (entry.action, entry.guid, entry.send) != (change.action, change.guid, change.send):
            return f"now needs {change.action} instead of the planned {entry.action}; not applied: make a new plan"
        return None

    def _unplanned(self, change: Change, source: str, silvasoft: str | None) -> str:
        """Why a relation the plan does not change, and that now needs a write, is left for the next run."""
        kept = self.unchanged.get(change.debtor_number or "")
        if kept is None:
            return f"not in the saved plan {self.path}; left for the next run"
        for side, same in (("OutSmart", kept.source == source), ("Silvasoft", kept.silvasoft == silvasoft)):
            if not same:
                return f"changed in {side} since the plan was made, which found it unchanged; left for the next run"
        return f"now needs {change.action}, but the plan found it unchanged; left for the next run"

    def unseen(self, read: set[str | None]) -> list[Outcome]:
        """Planned relations this run did not read again (gone from OutSmart, or now filtered out)."""
        return [
            Outcome(debtor, "", "skipped", guid=entry.guid, error="planned, but no longer read from OutSmart")
            for debtor, entry in self.planned.items()
            if debtor not in read
        ]


def _validators() -> tuple[Any, Any]:
    """Validators of schemas/plan.schema.json: of the document (its relations an empty array), and of one entry."""
    import jsonschema

    from relmap.mapping.schema import packaged_schema

    schema = packaged_schema("plan.schema.json")
    entry = {"$defs": schema["$defs"], **schema["properties"]["relations"]["items"]}
    return jsonschema.Draft202012Validator(schema), jsonschema.Draft202012Validator(entry)


def _invalid(validator: Any, value: Any, prefix: str = "") -> str | None:
    """The first way ``value`` breaks ``validator``'s schema, or None."""
    import jsonschema

    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = prefix + "/".join(str(part) for part in error.absolute_path)
    return f"{where.rstrip('/') or 'the top level'}: {error.message[:200]}"


@dataclass
class _Read:
    """What reading a saved plan kept: its members but the relations, and of these only what applying needs."""

    members: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None  # the first relation entry that breaks the schema
    planned: dict[str, Planned] = field(default_factory=dict)
    unchanged: dict[str, Planned] = field(default_factory=dict)


def unreadable(path: str) -> str | None:
    """Why ``path`` cannot be a saved plan to read, or None. Only a regular file: a FIFO nobody writes to would block
    the run (holding the state's lock) for ever, and a device never ends. Nothing is opened."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"cannot read the plan {path}: {exc.strerror}"
    if not stat.S_ISREG(info.st_mode):
        return f"cannot read the plan {path}: not a regular file (a plan is the file --dry-run --out wrote)"
    if not os.access(path, os.R_OK):
        return f"cannot read the plan {path}: permission denied"
    return None


def _read(path: str) -> _Read:
    """The plan file read as a stream: each relation entry is checked against the schema and kept as a Planned (or
    not at all), never held as parsed JSON with the others: a plan of 100,000 relations is some 400 MB of text."""
    from relmap.sources.json_stream import StreamScanner, Window
    from relmap.sources.lines import Input
    from relmap.sources.text_chunks import file_texts

    problem = unreadable(path)
    if problem:
        raise ConfigError(problem)
    read = _Read()
    whole, entry = _validators()
    scanner = StreamScanner(Window(file_texts(Input(path, path))), path)
    try:
        if scanner.peek() != "{":
            scanner.value()
            scanner.end()
            return read  # JSON, but not an object: no kind
        scanner.expect("{", "'{'")
        more = not scanner.take("}")
        while more:
            key, at = scanner.key()
            if key in read.members:
                raise ConfigError(f"{at}: the plan has two '{key}' members; make a new plan")
            if key == "relations" and scanner.peek() == "[":
                read.members[key] = []
                for index, (value, line) in enumerate(scanner.elements()):
                    _refuse_surrogates(path, line, index, value)
                    read.problem = read.problem or _invalid(entry, value, f"relations/{index}/")
                    _keep(value, read)
            else:
                read.members[key] = scanner.value()
            more = not scanner.take("}")
            if more:
                scanner.expect(",", "',' delimiter")
        scanner.end()
    except SourceError as exc:
        raise ConfigError(f"{path} is not a plan relmap saved: {exc}") from None
    read.problem = _invalid(whole, read.members) or read.problem
    return read


def _refuse_surrogates(path: str, line: int, index: int, value: Any) -> None:
    """relmap never writes a lone surrogate into a plan: one there was put in by hand, and no output could show it."""
    if _lone_surrogate(value):
        raise ConfigError(
            f"{path}:{line}: relations/{index} holds a lone surrogate (an escaped half of a character), which no "
            "plan relmap writes holds; make a new plan"
        )


def _lone_surrogate(value: Any) -> bool:
    """Whether a text anywhere in ``value`` (keys included) holds a lone surrogate."""
    if isinstance(value, str):
        return not value.isascii() and SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_lone_surrogate(key) or _lone_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(item) for item in value)
    return False


def _keep(entry: Any, read: _Read) -> None:
    """A relation entry as what applying the plan needs of it; skipped and failed relations are not kept (the run
    reports them and touches nothing)."""
    if not isinstance(entry, dict) or not entry.get("debtor_number"):
        return
    action = str(entry.get("action"))
    into = read.planned if action in APPLIED else read.unchanged if action == "unchanged" else None
    if into is None:
        return
    prints = entry.get("fingerprint") or {}
    debtor = str(entry["debtor_number"])
    if debtor in read.planned or debtor in read.unchanged:  # relmap writes each relation once: this was edited
        read.problem = read.problem or f"relation {debtor} is listed twice"
    source, silvasoft = prints.get("source", ""), prints.get("silvasoft")
    into[debtor] = Planned(debtor, action, entry.get("guid"), entry.get("send"), source, silvasoft)


def load(path: str, mapping_digest: str, account: str) -> SavedPlan:
    """Read a saved plan; refuse one made for another mapping text or another Silvasoft account."""
    read = _read(path)
    doc = read.members
    if doc.get("kind") != KIND:
        raise ConfigError(f"{path} is not a plan relmap saved (make one with `relmap run MAPPING --dry-run --out`)")
    version = doc.get("format_version")
    if version != FORMAT_VERSION or type(version) is not int:  # 2.0 and true are not a format relmap writes
        made = ""
        if isinstance(version, int) and not isinstance(version, bool):
            made = " (made by an older relmap)" if version < FORMAT_VERSION else " (made by a newer relmap)"
        raise ConfigError(
            f"{path} has plan format {version!r}{made}; this relmap applies format {FORMAT_VERSION}: make a new plan"
        )
    if read.problem:
        raise ConfigError(f"{path} is not a valid relmap plan ({read.problem}); make a new plan")
    if doc.get("masked"):
        raise ConfigError(f"{path} was made with --mask-pii and cannot be applied; make a plan without it")
    if (doc.get("mapping") or {}).get("digest") != mapping_digest:
        raise ConfigError(f"the mapping changed since {path} was made (or relmap was upgraded); make a new plan")
    if (doc.get("target") or {}).get("account") != account:
        raise ConfigError(f"{path} was made for another Silvasoft account; make a new plan")
    read_doc = doc.get("read") or {}
    full, since = bool(read_doc.get("full")), read_doc.get("since")
    return SavedPlan(path, mapping_digest, account, full, since, read.planned, read.unchanged)
