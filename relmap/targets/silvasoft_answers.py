"""Silvasoft's 200 answers read into relations: a JSON array, one object, or an empty body, whatever the endpoint.

The AddPrivateRelation page says a create answers "the details of the relation" in ListRelations' format, a JSON
array, and Silvasoft's own WooCommerce plugin reads ``answer[0]``; other public clients accept an object as well.
The status codes page says a 200 with an empty JSON body means nothing was created or updated, or a GET found
nothing. So every endpoint's answer is read the same way here: an array of relations, a single relation object,
or nothing (no content, whitespace, ``{}``, ``[]``, ``null``). Identity numbers sent as text are read as numbers,
and a ``createdOn`` in another common date form is rewritten as ISO 8601. Which of several relations is ours is
decided by GUID, CustomerNumber or e-mail, never by position.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from relmap.errors import ApiError

API = "Silvasoft"
NOT_JSON = object()  # the marker the client hands in for an answer that is not JSON
NUMBERS = ("RelationGUID", "CustomerNumber", "SupplierNumber")
Test = Callable[[dict[str, Any]], bool]  # is this relation ours?
_DOTNET_DATE = re.compile(r"^/Date\((?P<ms>-?\d+)(?P<offset>[+-]\d{4})?\)/$")
_DAY_FIRST = ("%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")


class AmbiguousAnswer(ApiError):
    """Silvasoft answered with several relations and none of them is ours by GUID, CustomerNumber or e-mail."""


def relations_of(answer: Any, where: str) -> list[dict[str, Any]]:
    """The relations an answer of a create, an update or a listing holds; [] for an empty answer.

    ``where`` (``addprivaterelation/``) starts every error message. An answer that is not JSON, a 200 carrying
    ``errorCode``/``errorMessage``, and anything but relations or emptiness are an ApiError: relmap cannot tell
    what Silvasoft did, so it never concludes anything from them."""
    if answer is NOT_JSON:
        raise ApiError(API, f"{where}: the answer is not JSON; what Silvasoft did cannot be read from it")
    if answer is None or answer == {} or answer == []:
        return []
    if isinstance(answer, dict):
        return [_relation(answer, where)]
    if isinstance(answer, list):
        return [_relation(item, where, index) for index, item in enumerate(answer) if item != {}]
    raise ApiError(API, f"{where}: expected a relation (a JSON array or object), got {_kind(answer)}")


def page_of(answer: Any, where: str) -> tuple[list[dict[str, Any]], int]:
    """A listing page: its relations, and how many items the page held (paging goes by that count).

    Items that are not objects are left out of the relations but still counted, so that a page of 200 with a
    stray item does not end the listing early (a relation never listed could be created a second time)."""
    if isinstance(answer, list):
        relations = [item for item in answer if isinstance(item, dict) and item]
        return relations_of(relations, where), len(answer)
    relations = relations_of(answer, where)
    return relations, len(relations)


def guid_in(relation: dict[str, Any]) -> int | None:
    """The relation's RelationGUID as a number, if it has a usable one."""
    value = relation.get("RelationGUID")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def ours(relations: list[dict[str, Any]], where: str, *tests: Test) -> dict[str, Any] | None:
    """The relation of an answer that is ours: the only one, or the one the first decisive test leaves.

    None for an empty answer; AmbiguousAnswer when several remain (relmap never guesses by position)."""
    if len(relations) <= 1:
        return relations[0] if relations else None
    for test in tests:
        found = [relation for relation in relations if test(relation)]
        if len(found) == 1:
            return found[0]
    guids = ", ".join(str(guid_in(r) or "?") for r in relations)
    raise AmbiguousAnswer(
        API, f"{where}: the answer holds {len(relations)} relations (GUIDs {guids}) and none is this one alone"
    )


def _relation(item: Any, where: str, index: int | None = None) -> dict[str, Any]:
    at = "" if index is None else f" item {index + 1}"
    if not isinstance(item, dict):
        raise ApiError(API, f"{where}: answer{at} is {_kind(item)}, not a relation")
    if "RelationGUID" not in item and ("errorCode" in item or "errorMessage" in item):
        message = str(item.get("errorMessage") or "no error message")
        raise ApiError(API, f"{where}: HTTP 200 with error {item.get('errorCode', '?')}: {message}")
    relation = dict(item)
    for key in NUMBERS:
        if key in relation:
            relation[key] = _number(relation[key])
    if "createdOn" in relation:
        relation["createdOn"] = _created(relation["createdOn"])
    return relation


def _number(value: Any) -> Any:
    """``"4000001"`` and ``4000001.0`` as 4000001; anything else unchanged (a GUID that stays text is unusable)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer() and 0 < value < 2**53:
        return int(value)
    return value


def _created(value: Any) -> Any:
    """A creation time as ISO 8601, when it comes in another common form; unchanged when it cannot be read.

    Day-first dates (``01-02-2026 10:00:00``, Silvasoft's own invoice-date style), .NET's ``/Date(ms)/`` and Unix
    times (seconds or milliseconds) are rewritten; a time without a zone stays without one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(_seconds(float(value))) or value
    if not isinstance(value, str) or not value.strip():
        return value
    text = value.strip()
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value  # ISO already
    except ValueError:
        pass
    if text.isdigit():
        return _from_epoch(_seconds(float(text))) or value
    dotnet = _DOTNET_DATE.match(text)
    if dotnet:  # the milliseconds are UTC; the offset only says where the writer was
        return _from_epoch(int(dotnet["ms"]) / 1000.0) or value
    for form in _DAY_FIRST:
        try:
            return datetime.strptime(text, form).isoformat()
        except ValueError:
            continue
    return value


def _seconds(number: float) -> float:
    """A Unix time in seconds; past 1e11 (the year 5138 in seconds) it can only be milliseconds."""
    return number / 1000.0 if abs(number) > 1e11 else number


def _from_epoch(seconds: float) -> str | None:
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "text" if isinstance(value, str) else "an array" if isinstance(value, list) else "a value"
