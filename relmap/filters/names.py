"""Contact names: salutations, first name and last name with Dutch prefixes (tussenvoegsels)."""

from __future__ import annotations

import re
from typing import Any

from relmap.filters.values import text

# Salutation or title (lower case, without dot) -> Silvasoft's Sex ("Man", "Vrouw" or "" for unknown).
_SALUTATIONS = {
    "de heer": "Man",
    "dhr": "Man",
    "heer": "Man",
    "mr": "Man",
    "mevrouw": "Vrouw",
    "mevr": "Vrouw",
    "mw": "Vrouw",
    "mrs": "Vrouw",
    "ms": "Vrouw",
    "familie": "",
    "fam": "",
    "drs": "",
    "dr": "",
    "ing": "",
    "ir": "",
    "prof": "",
}
_SALUTATION = re.compile(
    r"(?P<word>"
    + "|".join(w.replace(" ", r"\s+") for w in sorted(_SALUTATIONS, key=len, reverse=True))
    + r")(?:\.\s*|\s+|(?=[/&+]))",
    re.IGNORECASE,
)
_JOINER = re.compile(r"(?:(?:en|and)\s+|[/&+]\s*)", re.IGNORECASE)

# Words that start a Dutch (or neighbouring) last name; "el" and "al" too, for names like "El Amrani".
_PREFIXES = frozenset(
    {
        "van", "de", "der", "den", "het", "'t", "'s", "ter", "ten", "te", "in", "op", "onder", "over",
        "aan", "bij", "uit", "voor", "tot", "vd", "v.d.", "v/d", "van't", "la", "le", "les", "l'",
        "du", "d'", "des", "da", "das", "di", "del", "della", "dos", "von", "vom", "zu", "zum", "zur",
        "am", "auf", "el", "al",
    }
)  # fmt: skip


def _is_prefix(word: str) -> bool:
    return word.casefold().replace("’", "'") in _PREFIXES


def _strip_salutations(name: str) -> tuple[str, set[str]]:
    """Remove leading salutations and titles, but only when a name follows them."""
    sexes: set[str] = set()
    rest = name.strip()
    while True:
        match = _SALUTATION.match(rest)
        if match is None:
            break
        after = rest[match.end() :]
        joiner = _JOINER.match(after)
        if joiner is not None and _SALUTATION.match(after[joiner.end() :]):
            after = after[joiner.end() :]
        if not after.strip():
            break
        sexes.add(_SALUTATIONS[" ".join(match["word"].lower().split())])
        rest = after
    return rest.strip(), sexes


def _split_words(words: list[str]) -> tuple[list[str], list[str]]:
    """(first, last) of 'first [prefix] last' words."""
    if len(words) <= 1 or _is_prefix(words[0]):
        return [], words
    for index in range(1, len(words) - 1):
        if _is_prefix(words[index]):
            return words[:index], words[index:]
    return words[:-1], words[-1:]


def split_name(value: Any) -> dict[str, str]:
    """A contact name as ``{"first", "last", "sex"}``: ``Dhr. Piet van der Berg`` -> Piet / van der Berg / Man."""
    name, sexes = _strip_salutations(" ".join(text(value).split()))
    if "," in name:
        last_part, _, given = name.partition(",")
        given, more = _strip_salutations(given.replace(",", " "))
        sexes |= more
        words = given.split()
        cut = len(words)
        while cut > 0 and _is_prefix(words[cut - 1]):
            cut -= 1
        first, last = words[:cut], words[cut:] + last_part.split()
    else:
        first, last = _split_words(name.split())
    sexes.discard("")
    return {
        "first": " ".join(first),
        "last": " ".join(last),
        "sex": sexes.pop() if len(sexes) == 1 else "",
    }


def first_name(value: Any) -> str:
    """The first name (or initials) of a contact name."""
    return split_name(value)["first"]


def last_name(value: Any) -> str:
    """The last name of a contact name, with its prefix: ``van der Berg``."""
    return split_name(value)["last"]


def salutation_sex(value: Any) -> str:
    """``Man`` or ``Vrouw`` from the salutation of a contact name, else ``""``."""
    return split_name(value)["sex"]
