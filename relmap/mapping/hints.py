"""The "did you mean" of a name a mapping gets wrong: the words people write for OutSmart fields, and Jinja's literals.

A close spelling alone leads astray where a Dutch word is meant (``KvK_nummer`` is closer to ``vat_number`` than to
``kvk_number``, ``plaats`` is close to nothing), and where a literal is meant (``strict=ture`` is no field at all).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from jinja2 import nodes

from relmap.catalog.outsmart import WORDS
from relmap.mapping.schema import did_you_mean

_SEPARATORS = re.compile(r"[\s.\-]+")
# Jinja's literals, and the yes/no words people write for them
_LITERALS = {"true": "true", "false": "false", "none": "none", "null": "none", "nil": "none"}
_YES_NO = {"yes": "true", "ja": "true", "y": "true", "j": "true", "no": "false", "nee": "false", "n": "false"}


def normalised(word: str) -> str:
    """``E-mail adres`` → ``e_mail_adres``: the form the word table is kept in."""
    return _SEPARATORS.sub("_", word.strip().lower())


def field_hint(word: str, fields: Iterable[str]) -> str | None:
    """The field ``word`` most likely means: a word for it (``postcode``, ``plaats``), else the closest spelling."""
    pool = sorted(fields)
    meant = WORDS.get(normalised(word))
    if meant in pool:
        return f"did you mean '{meant}'? that is OutSmart's name for it"
    return did_you_mean(word, pool)


def literal_hint(word: str) -> str | None:
    """``ture`` → true, ``Nee`` → false: the literal a misspelt argument value most likely is."""
    key = word.lower()
    meant = _LITERALS.get(key) or _YES_NO.get(key)
    if meant is None:
        close = difflib.get_close_matches(key, ("true", "false", "none"), n=1, cutoff=0.75)
        meant = close[0] if close else None
    if meant is None:
        return None
    return f"did you mean {meant}? Jinja's literals are true, false and none, in lower case"


def name_hint(name: str, known: Iterable[str], tree: nodes.Template) -> str:
    """The hint for an unknown name in a template: an argument's value is most often a literal or a text."""
    argument = name in argument_names(tree)
    if argument:
        hint = literal_hint(name)
        if hint:
            return hint
    hint = field_hint(name, known)
    if hint:
        return hint
    if argument:
        return f'write "{name}" in quotes for the text'
    return "names are OutSmart fields, ff[N], vars.NAME and record"


def argument_names(tree: nodes.Template) -> set[str]:
    """The names given as an argument of a filter, a test or a call: ``ture`` in ``postcode(strict=ture)``."""
    found: set[str] = set()
    for node in tree.find_all((nodes.Filter, nodes.Test, nodes.Call)):
        assert isinstance(node, nodes.Filter | nodes.Test | nodes.Call)
        values = [*node.args, *(keyword.value for keyword in node.kwargs)]
        found.update(value.name for value in values if isinstance(value, nodes.Name))
    return found
