"""Country names and codes to ISO 3166 alpha-2 (English, Dutch, German and French names).

pycountry is imported on first use only; the lookup table is built once.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from relmap.mapping.filters.values import Invalid, give_invalid, invalid_mode, text

_LANGUAGES = ("nl", "de", "fr")

# Names in everyday use that neither ISO 3166 nor its translations carry.
_EXTRA = {
    "holland": "NL",
    "uk": "GB",
    "great britain": "GB",
    "groot brittannie": "GB",
    "grootbrittannie": "GB",
    "england": "GB",
    "engeland": "GB",
    "scotland": "GB",
    "schotland": "GB",
    "wales": "GB",
    "usa": "US",
    "vs": "US",
    "america": "US",
    "amerika": "US",
    "verenigde staten": "US",
    "verenigde staten van amerika": "US",
}


def _key(name: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a country name, without a leading 'the'."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = re.sub(r"[.'’]", "", plain)
    plain = " ".join(re.sub(r"[^\w]+", " ", plain).split())
    return plain.removeprefix("the ")


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    import gettext

    import pycountry

    table: dict[str, str] = {}
    countries = list(pycountry.countries)
    for country in countries:
        table.setdefault(_key(country.alpha_2), country.alpha_2)
        table.setdefault(_key(country.alpha_3), country.alpha_2)
    for country in countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                table.setdefault(_key(name), country.alpha_2)
    for language in _LANGUAGES:
        try:
            translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for country in countries:
            for attr in ("name", "official_name", "common_name"):
                name = getattr(country, attr, None)
                if name:
                    table.setdefault(_key(translation.gettext(name)), country.alpha_2)
    for name, code in _EXTRA.items():
        table.setdefault(_key(name), code)
    return table


def country_code(value: Any, default: str = "", strict: bool | None = None, invalid: Invalid = "error") -> str:
    """A country name or code as ISO 3166 alpha-2 (``Nederland`` -> ``NL``); blank gives ``default``. An unknown
    country is an error, or with ``invalid`` (or ``strict=false``) kept as typed or ``""``."""
    mode = invalid_mode(invalid, strict, default="error")
    raw = text(value)
    if not raw:
        return default
    code = _remembered(raw) if type(raw) is str and len(raw) <= MEMO_TEXT else _look_up(raw)
    if code is not None:
        return code
    return give_invalid(mode, raw, f"unknown country: {raw!r}")


def _look_up(raw: str) -> str | None:
    return _table().get(_key(raw))


# A record's postcode and country code look its country up alike: the answer for a text of up to MEMO_TEXT
# characters is remembered (the table never changes once built), for the last MEMO_SIZE texts.
MEMO_TEXT = 64
MEMO_SIZE = 1024
_remembered = functools.lru_cache(maxsize=MEMO_SIZE)(_look_up)


def region(value: Any, default: str = "NL") -> str:
    """A country argument as a region code, without loading pycountry for two-letter codes."""
    raw = text(value).upper()
    if not raw:
        return default
    if raw == "UK":
        return "GB"
    if len(raw) == 2 and raw.isalpha():
        return raw
    return country_code(raw, default=default, strict=False).upper()
