"""One OutSmart relation, normalised: every value a string or None, freefields by their number 1..50.

A record that cannot be used at all becomes a RecordProblem; the caller reports it and goes on with the others.
Text with a lone surrogate (``"\\ud800"`` escaped in JSON, or bytes that were not UTF-8) is such a problem: it
can be neither printed nor sent, so it is never passed on.
"""

from __future__ import annotations

import math
import re
import reprlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

FREEFIELD_NUMBERS = range(1, 51)
FREEFIELD_CONTAINERS = ("FreeFields", "freefields", "Freefields")
FREEFIELD_PREFIX = "val_value_"
_NUMBER_KEYS = ("fld_order", "number", "id")
_VALUE_KEYS = ("value", "val_value")
_DIGITS = re.compile(r"[0-9]+")
SURROGATE = re.compile(r"[\ud800-\udfff]")  # half of a character: no UTF-8 file, terminal or API carries it
_SHORT = 40
_REPR = reprlib.Repr()
_REPR.maxlevel = 3  # a value nested a thousand deep must not make the message itself fail (RecursionError)
_REPR.maxstring = _REPR.maxother = _SHORT


@dataclass(frozen=True)
class SourceRecord:
    """A usable relation: ``fields`` holds every top-level field except freefield keys."""

    index: int
    origin: str
    fields: dict[str, str | None]
    freefields: dict[int, str | None]

    def __post_init__(self) -> None:
        if _blank(self.fields.get("debtor_number")):
            raise ValueError("a SourceRecord needs a debtor_number; use normalize_record")

    @property
    def debtor_number(self) -> str:
        """The relation's key in OutSmart, exactly as it came (never blank)."""
        return self.fields.get("debtor_number") or ""


@dataclass(frozen=True)
class RecordProblem:
    """A record that cannot be used at all; the other records go on."""

    index: int
    origin: str
    message: str
    debtor_number: str | None


@dataclass(frozen=True, repr=False)
class LongNumber:
    """A JSON integer with more digits than Python turns into an int (``sys.get_int_max_str_digits``).

    The JSON readers decode such a number into this instead of failing on the whole file, so that it becomes a
    problem of the one record that holds it.
    """

    digits: int

    def __repr__(self) -> str:
        return f"<a number of {self.digits:,} digits>"

    __str__ = __repr__


def json_int(text: str) -> int | LongNumber:
    """``parse_int`` for the JSON decoders: an int, or a LongNumber when int() would refuse the digits."""
    digits = len(text) - text.startswith("-")
    limit = sys.get_int_max_str_digits()
    return LongNumber(digits) if limit and digits > limit else int(text)


@dataclass(frozen=True)
class _Entry:
    """One freefield value as found, before its number and value are checked."""

    number: object
    value: object
    where: str


def normalize_record(raw: object, index: int, origin: str) -> SourceRecord | RecordProblem:
    """Turn one decoded relation into a SourceRecord, or a RecordProblem naming every field that is wrong."""
    if not isinstance(raw, Mapping):
        return RecordProblem(index, origin, f"record is {json_type(raw)}, expected a JSON object", None)
    problems: list[str] = []
    if _blank(raw.get("debtor_number")):
        problems.append("relation has no debtor_number")
    elif isinstance(raw.get("debtor_number"), bool | list | Mapping):
        # true would become "1": another relation's number; a list or object is no number at all
        problems.append(f"debtor_number is {json_type(raw.get('debtor_number'))}, expected text or a whole number")
    fields = _plain_fields(raw, problems)
    freefields = _freefields(raw, problems)
    if problems:
        return RecordProblem(index, origin, "; ".join(problems), _known_debtor_number(raw))
    return SourceRecord(index, origin, fields, freefields)


def json_type(value: object) -> str:
    """What a decoded JSON value is, in words for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float | LongNumber):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def value_text(value: object) -> str | None:
    """The text of one scalar value; raises ValueError (the reason) for anything else."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, LongNumber):
        limit = sys.get_int_max_str_digits()
        raise ValueError(f"holds a number of {value.digits:,} digits, more than the {limit:,} relmap reads")
    raise ValueError(f"holds {json_type(value)}, not text, a number, true/false or null")


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"holds {value!r}, which is not a finite number")
    # Whole floats lose their ".0" (3.0 -> "3") as long as they are exact integers; repr is already shortest.
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


MAX_VALUE = 1_000_000  # characters of one field or freefield: a template may hold a value this long (MAX_SIZE)


def _record_text(value: object) -> str | None:
    """value_text, and text that can be printed and sent: a lone surrogate raises ValueError (the reason)."""
    text = value_text(value)
    if text is not None and len(text) > MAX_VALUE:  # no OutSmart field holds a megabyte; a payload would not take it
        raise ValueError(f"is {len(text):,} characters long, more than the {MAX_VALUE:,} relmap reads of one value")
    bad = _surrogate(text) if text else None
    if bad:
        raise ValueError(f"contains an invalid character ({bad})")
    return text


def _surrogate(text: str) -> str | None:
    """``lone surrogate \\ud800`` for the first one in ``text``; None when there is none."""
    found = None if text.isascii() else SURROGATE.search(text)  # isascii costs nothing: most text is ASCII
    return f"lone surrogate \\u{ord(found[0]):04x}" if found else None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _known_debtor_number(raw: Mapping[object, object]) -> str | None:
    value = raw.get("debtor_number")
    if _blank(value):
        return None
    try:
        return _record_text(value)
    except ValueError:
        return None


def _is_freefield_key(key: str) -> bool:
    return key.lower().startswith(FREEFIELD_PREFIX)


def _plain_fields(raw: Mapping[object, object], problems: list[str]) -> dict[str, str | None]:
    fields: dict[str, str | None] = {}
    for key, value in raw.items():
        name = str(key)
        if name in FREEFIELD_CONTAINERS or _is_freefield_key(name):
            continue
        bad = _surrogate(name)
        if bad:
            problems.append(f"field {name!r} has an invalid character in its name ({bad})")
            continue
        try:
            fields[name] = _record_text(value)
        except ValueError as error:
            problems.append(f"field {name!r} {error}")
    return fields


def _freefields(raw: Mapping[object, object], problems: list[str]) -> dict[int, str | None]:
    found: dict[int, tuple[str | None, str]] = {}
    for entry in _freefield_entries(raw, problems):
        try:
            number = _freefield_number(entry.number)
            value = _record_text(entry.value)
        except ValueError as error:
            problems.append(f"freefield {entry.where} {error}")
            continue
        if number in found and found[number][0] != value:
            old, old_where = found[number]
            problems.append(
                f"freefield {number} has two different values: {_short(old)} ({old_where})"
                f" and {_short(value)} ({entry.where})"
            )
        found.setdefault(number, (value, entry.where))
    return {number: found[number][0] for number in sorted(found)}


def _freefield_entries(raw: Mapping[object, object], problems: list[str]) -> Iterator[_Entry]:
    for key, value in raw.items():
        name = str(key)
        if _is_freefield_key(name):
            yield _Entry(name[len(FREEFIELD_PREFIX) :], value, name)
    for container in FREEFIELD_CONTAINERS:
        if raw.get(container) is not None:
            yield from _container_entries(container, raw[container], problems)


def _container_entries(container: str, value: object, problems: list[str]) -> Iterator[_Entry]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield _Entry(_strip_prefix(key), _unwrap(item), f"{container}[{key!r}]")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            where = f"{container}[{position}]"
            if not isinstance(item, Mapping):
                problems.append(f"freefield {where} is {json_type(item)}, expected an object with a number and a value")
                continue
            number = next((item[key] for key in _NUMBER_KEYS if key in item), None)
            if number is None:
                problems.append(f"freefield {where} has no number ({'/'.join(_NUMBER_KEYS)})")
                continue
            yield _Entry(number, _unwrap(item), where)
    else:
        problems.append(f"field {container!r} is {json_type(value)}, expected an object or an array of freefields")


def _strip_prefix(key: object) -> object:
    if isinstance(key, str) and _is_freefield_key(key):
        return key[len(FREEFIELD_PREFIX) :]
    return key


def _unwrap(item: object) -> object:
    """The value of a freefield entry that is an object (``{"value": ...}``); other values as they are."""
    if not isinstance(item, Mapping):
        return item
    for key in _VALUE_KEYS:
        if key in item:
            return item[key]
    # A described freefield without a value is unset; any other object is kept, to be reported as one.
    return None if any(key in item for key in _NUMBER_KEYS) else item


def _freefield_number(number: object) -> int:
    if isinstance(number, int) and not isinstance(number, bool):
        parsed = number
    elif isinstance(number, str) and _DIGITS.fullmatch(number.strip()):
        parsed = int(number.strip())
    elif isinstance(number, float) and number.is_integer():
        parsed = int(number)
    else:
        raise ValueError(f"has no readable number ({_short(number)})")
    if parsed not in FREEFIELD_NUMBERS:
        raise ValueError(f"has number {parsed}, outside 1..50")
    return parsed


def _short(value: object) -> str:
    text = repr(value) if isinstance(value, str | int | float | bool | None) else _REPR.repr(value)
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"
