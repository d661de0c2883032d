"""Contact names: salutations, first name and last name with Dutch prefixes (tussenvoegsels).

Written for the names OutSmart holds: ``Dhr. Piet van der Berg``, ``J.P. (Jan-Pieter) de Vries``, ``Secretaris: Mevr.
K. Visser``, ``Anna Smit-de Boer``, ``Berg, Piet van der``. Name-parsing libraries read English names (a middle name,
suffixes) and know neither initials nor tussenvoegsels, hence the rules below.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Literal

from relmap.mapping.filters.values import ArgumentError, flag, text

Single = Literal["last", "first"]
SINGLE_CHOICES: tuple[str, ...] = ("last", "first")

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
# "T.a.v." (for the attention of) before a name, as on an envelope.
_ATTENTION = re.compile(r"(?:t\.\s?a\.\s?v\.|tav\b|attn\.?|ter attentie van\b)\s*:?\s*", re.IGNORECASE)
# A call name (roepnaam) in parentheses or double quotes: J.P. (Jan-Pieter) de Vries, Johannes "Hans" de Boer.
_CALL_NAME = re.compile(r"\((?P<paren>[^()]*)\)|[\"“”](?P<quoted>[^\"“”]*)[\"“”]")
# Initials glued to what follows: J.P.de Vries, J.P.Jansen.
_GLUED_INITIALS = re.compile(r"(?<![^\W\d_])([^\W\d_]\.)(?=[^\W\d_]{2})")  # one initial: no backtracking
_SPACED_HYPHEN = re.compile(r"(?<=[^\W\d_])\s*-\s*(?=[^\W\d_'’])")

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


def _strip_salutations(name: str) -> tuple[str, set[str], bool]:
    """Remove leading salutations and titles, but only when a name follows them; True when one was removed."""
    sexes: set[str] = set()
    rest, removed = name.strip(), False
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
        rest, removed = after, True
    return rest.strip(), sexes, removed


def _without_label(name: str) -> str:
    """Drop a role or label before a colon (``Secretaris: Mevr. K. Visser``) and a leading ``T.a.v.``."""
    label, colon, rest = name.rpartition(":")
    if colon:
        name = rest if rest.strip() else label  # "Jansen:" is a name with a stray colon
    attention = _ATTENTION.match(name.strip())
    if attention is not None and name.strip()[attention.end() :].strip():
        name = name.strip()[attention.end() :]
    return name.strip()


def _without_call_name(name: str) -> tuple[str, str]:
    """(the name without its parenthesised or quoted parts, the call name): a part at the very end is a remark
    (``Jansen (vakantiewoning)``) and left out; one before the last name is the call name."""
    call = ""
    for found in _CALL_NAME.finditer(name):
        inside = " ".join((found["paren"] if found["paren"] is not None else found["quoted"] or "").split())
        if not call and inside and name[found.end() :].strip():
            call = inside
    rest = _CALL_NAME.sub(" ", name).replace("(", " ").replace(")", " ")
    return " ".join(rest.split()), call


def _tidy(name: str) -> str:
    """One space between words, a space after glued initials, none around the hyphen of a double surname."""
    name = _GLUED_INITIALS.sub(r"\1 ", " ".join(name.split()))
    return _SPACED_HYPHEN.sub("-", name)


def _open_hyphen(word: str) -> bool:
    """True while a double surname joined by '-' waits for its main word: ``Smit-``, ``Smit-de``, ``Boer-van der``."""
    if "-" not in word:
        return False
    tail = word.rsplit("-", 1)[1]
    return not tail or all(_is_prefix(part) for part in tail.split())


def _words(name: str) -> list[str]:
    """The words of a name, a double surname with prefixes after its hyphen as one: ``Smit-de Boer``."""
    words: list[str] = []
    for word in name.split():
        if words and _open_hyphen(words[-1]):
            words[-1] += ("" if words[-1].endswith("-") else " ") + word
        else:
            words.append(word)
    return words


def _split_words(words: list[str], single: str) -> tuple[list[str], list[str]]:
    """(first, last) of 'first [prefix] last' words."""
    if len(words) == 1 and single == "first" and not _is_prefix(words[0]):
        return words, []
    if len(words) <= 1 or _is_prefix(words[0]):
        return [], words
    for index in range(1, len(words) - 1):
        if _is_prefix(words[index]):
            return words[:index], words[index:]
    return words[:-1], words[-1:]


def _single(single: Any) -> Single:
    if single not in SINGLE_CHOICES:
        raise ArgumentError(f"unknown single={single!r} (expected one of {', '.join(SINGLE_CHOICES)})")
    checked: Single = single
    return checked


def split_name(value: Any, single: Single = "last", call_name: bool = True) -> dict[str, str]:
    """A contact name as ``{"first", "last", "sex"}``: ``Dhr. Piet van der Berg`` -> Piet / van der Berg / Man.

    ``single`` says what one word alone is (``Bas``, ``Jansen``): the last name (the default) or the first name;
    after a salutation (``Fam. Jansen``) it is always the last name. ``call_name=false`` gives the first names or
    initials instead of a call name in parentheses.
    """
    first, last, sex = _parts(value, single, call_name)
    return {"first": first, "last": last, "sex": sex}


# A record's first_name, last_name and salutation_sex split the same contact name: the split of a name of up to
# MEMO_TEXT characters is remembered (a pure function of its arguments; the answer is a tuple of text), for the
# last MEMO_SIZE names, so memory stays bounded (some MB at most).
MEMO_TEXT = 256
MEMO_SIZE = 2048


def _parts(value: Any, single: Any, call_name: Any) -> tuple[str, str, str]:
    checked, call = _single(single), flag(call_name, "call_name")
    if type(value) is str and len(value) <= MEMO_TEXT:
        return _remembered(value, checked, call)
    return _split(value, checked, call)


def _split(value: Any, single: Single, call_name: bool) -> tuple[str, str, str]:
    """(first, last, sex) of a contact name; see split_name."""
    name, call = _without_call_name(_without_label(" ".join(text(value).split())))
    name, sexes, saluted = _strip_salutations(_tidy(name))
    if "," in name:
        last_part, _, given = name.partition(",")
        given, more, _ = _strip_salutations(given.replace(",", " "))
        sexes |= more
        words = given.split()
        cut = len(words)
        while cut > 0 and _is_prefix(words[cut - 1]):
            cut -= 1
        first, last = words[:cut], words[cut:] + _words(last_part)
    else:
        # After a salutation or beside a call name, one word is a last name whatever `single` says.
        first, last = _split_words(_words(name), "last" if saluted or call else single)
    if call and (call_name or not first):
        first = [call]
    sexes.discard("")
    return " ".join(first), " ".join(last), sexes.pop() if len(sexes) == 1 else ""


_remembered = functools.lru_cache(maxsize=MEMO_SIZE)(_split)


def first_name(value: Any, single: Single = "last", call_name: bool = True) -> str:
    """The first name, call name or initials of a contact name: ``J.P. (Jan-Pieter) de Vries`` -> ``Jan-Pieter``."""
    return _parts(value, single, call_name)[0]


def last_name(value: Any, single: Single = "last") -> str:
    """The last name of a contact name, with its prefix: ``van der Berg``; ``Anna Smit-de Boer`` -> ``Smit-de Boer``."""
    return _parts(value, single, True)[1]


def salutation_sex(value: Any) -> str:
    """``Man`` or ``Vrouw`` from the salutation of a contact name, else ``""``."""
    return _parts(value, "last", True)[2]
