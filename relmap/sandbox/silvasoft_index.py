"""Where the Silvasoft book finds a relation without looking at every one: the lookups an add and a listing make.

Each lookup answers exactly what a scan would: ``CustomerNumber`` by equality, e-mail, name and VAT number as
``same_text`` compares them (case and surrounding spaces ignored, blank never found), and "the first" relation is
the first in the book's order (its insertion order). Both listing orders are kept sorted, so a page is a slice.
The book tells the index of every relation it adds, changes or removes (``add`` after, ``discard`` before).
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

TEXT_KEYS = ("Email", "Name", "TaxIdentificationNumber")
NUMBER = "CustomerNumber"
GUID = "RelationGUID"


def text_key(value: object) -> str | None:
    """The key ``same_text`` compares a value by, or None for a value it never matches (not text, or blank)."""
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    return stripped.casefold() if stripped else None


def _number_key(value: object) -> Hashable | None:
    # A dict finds what == finds (1 == 1.0 == True hash alike); an unhashable value never equals a query's int.
    return value if value is not None and isinstance(value, Hashable) else None


def created_key(relation: dict[str, Any]) -> tuple[Any, int]:
    """The createdDate listing order: createdOn, ties broken by GUID, so pages never overlap or skip."""
    return (relation.get("createdOn") or "", relation[GUID])


class Index:
    def __init__(self) -> None:
        self._order: dict[int, int] = {}  # GUID → position in the book's insertion order
        self._next = 0
        self._keys: dict[str, dict[Hashable, set[int]]] = {name: {} for name in (NUMBER, *TEXT_KEYS)}
        self._by_guid: list[int] = []
        self._by_created: list[tuple[Any, int]] = []
        self._top: int | None = None  # the highest integer CustomerNumber, when known
        self._top_known = True

    def add(self, relation: dict[str, Any]) -> None:
        guid = relation[GUID]
        if guid not in self._order:
            self._order[guid] = self._next
            self._next += 1
        for name, key in self._relation_keys(relation):
            self._keys[name].setdefault(key, set()).add(guid)
        bisect.insort(self._by_guid, guid)
        bisect.insort(self._by_created, created_key(relation))
        number = relation.get(NUMBER)
        if isinstance(number, int) and self._top_known and (self._top is None or number > self._top):
            self._top = number

    def discard(self, relation: dict[str, Any], removed: bool = False) -> None:
        """Forget the relation's keys (before it changes); ``removed``: it leaves the book altogether."""
        guid = relation[GUID]
        for name, key in self._relation_keys(relation):
            guids = self._keys[name].get(key)
            if guids is not None:
                guids.discard(guid)
                if not guids:
                    del self._keys[name][key]
        _remove_sorted(self._by_guid, guid)
        _remove_sorted(self._by_created, created_key(relation))
        if relation.get(NUMBER) == self._top:
            self._top_known = False
        if removed:
            self._order.pop(guid, None)

    def first(self, name: str, value: object) -> int | None:
        """The GUID of the first relation whose field ``name`` matches ``value``, as a scan would find it."""
        guids = self.matching(name, value)
        return min(guids, key=self._order.__getitem__) if guids else None

    def matching(self, name: str, value: object) -> set[int]:
        key = _number_key(value) if name == NUMBER else text_key(value)
        return set(self._keys[name].get(key, ())) if key is not None else set()

    def highest_number(self, relations: Iterable[dict[str, Any]]) -> int | None:
        """The highest integer CustomerNumber in the book (``relations``, read again only when it was removed)."""
        if not self._top_known:
            numbers = [r.get(NUMBER) for r in relations]
            self._top = max((n for n in numbers if isinstance(n, int)), default=None)
            self._top_known = True
        return self._top

    def ordered(self, sorting: str, descending: bool, start: int = 0, stop: int | None = None) -> list[int]:
        """GUIDs ``start:stop`` in a listing order (``sorting`` RelationGUID or createdDate)."""
        count = len(self._by_guid)
        stop = count if stop is None else min(stop, count)
        if start >= stop:
            return []
        if descending:  # the keys are unique, so the descending order is the ascending one reversed
            start, stop = count - stop, count - start
        by_guid = sorting == GUID
        page = self._by_guid[start:stop] if by_guid else [guid for _, guid in self._by_created[start:stop]]
        return page[::-1] if descending else page

    def walk(self, sorting: str, descending: bool) -> Iterator[int]:
        """Every GUID in a listing order, lazily."""
        if sorting == GUID:
            return reversed(self._by_guid) if descending else iter(self._by_guid)
        created = reversed(self._by_created) if descending else iter(self._by_created)
        return (guid for _, guid in created)

    @staticmethod
    def _relation_keys(relation: dict[str, Any]) -> Iterator[tuple[str, Hashable]]:
        number = _number_key(relation.get(NUMBER))
        if number is not None:
            yield NUMBER, number
        for name in TEXT_KEYS:
            key = text_key(relation.get(name))
            if key is not None:
                yield name, key


def _remove_sorted(items: list[Any], item: Any) -> None:
    at = bisect.bisect_left(items, item)
    if at < len(items) and items[at] == item:
        del items[at]
