"""One fake per kind of personal data, each keeping its value's shape; phonenumbers and python-stdnum check them.

A value that is valid (an IBAN with a correct checksum, a phone number phonenumbers accepts) gets a valid fake; one
that is not gets a fake that is not either, so a mapping reports the same record errors on the fakes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from relmap.pseudonym import words
from relmap.pseudonym.keyed import Keyed

_TOKEN = re.compile(r"\S+")
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?\.?|[A-Z]")
_EMAIL = re.compile(r"(?P<local>[^@\s]+)@(?P<domain>[^@\s]+\.[A-Za-z]{2,})")
_COORDINATE = re.compile(r"(?P<whole>-?\d{1,3})\.(?P<fraction>\d+)")
_DIGITS = re.compile(r"\d+")
IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")  # compact: no spaces, upper case
_TRIES = 200  # fakes drawn until one is valid; a valid one comes within a few for every shape here


def person_name(keyed: Keyed, value: str) -> str:
    """``Dhr. Piet van der Berg`` → ``Dhr. Koen van der Visser``: salutations, particles and initials' shape kept;
    each other word becomes a given name, and the last one a surname (so one surname gets one fake everywhere)."""
    tokens = _TOKEN.findall(value)
    last = max((i for i, t in enumerate(tokens) if _is_name_word(t)), default=-1)
    out = []
    for index, token in enumerate(tokens):
        if not _is_name_word(token):
            out.append(token)
        elif _INITIALS.fullmatch(token):
            out.append(keyed.scramble("initials", token.upper()))
        else:
            pool = words.SURNAMES if index == last else words.GIVEN_NAMES
            out.append("-".join(_word(keyed, "surname" if index == last else "given", part, pool)
                                for part in token.split("-")))  # fmt: skip
    return " ".join(out)


def _is_name_word(token: str) -> bool:
    lowered = token.casefold()
    return lowered not in words.SALUTATIONS and lowered not in words.PARTICLES and any(c.isalpha() for c in token)


def _word(keyed: Keyed, kind: str, part: str, pool: tuple[str, ...]) -> str:
    if not part:
        return part
    fake = keyed.rng(kind, part.casefold()).choice(pool)
    return fake.upper() if part.isupper() and len(part) > 1 else fake


def company_name(keyed: Keyed, value: str) -> str:
    """``Koeltechniek Lage Weide B.V.`` → ``Zuidwind Service B.V.``: the legal form kept, the rest made up."""
    tokens = _TOKEN.findall(value)
    tail: list[str] = []
    while tokens and tokens[-1].casefold() in words.LEGAL_FORMS:
        tail.insert(0, tokens.pop())
    head: list[str] = []
    while tokens and tokens[0].casefold() in words.LEGAL_FORMS:
        head.append(tokens.pop(0))
    if not tokens:
        return value
    rng = keyed.rng("company", " ".join(tokens).casefold())
    return " ".join([*head, rng.choice(words.COMPANY_WORDS), rng.choice(words.TRADES), *tail])


def is_company(value: str) -> bool:
    """Whether a name carries a legal form (B.V., VOF, Stichting, ...)."""
    return any(token.casefold() in words.LEGAL_FORMS for token in _TOKEN.findall(value))


def email(keyed: Keyed, value: str) -> str:
    """A valid address for a valid one; the local part made up, a company's domain too (public providers stay)."""
    found = _EMAIL.fullmatch(value.strip())
    if found is None:
        return keyed.scramble("email", value)
    local, domain = found["local"].casefold(), found["domain"].casefold()
    rng = keyed.rng("email-local", f"{local}@{domain}")
    made = f"{rng.choice(words.GIVEN_NAMES)}.{rng.choice(words.SURNAMES)}{rng.randrange(10, 100)}".casefold()
    return f"{made}@{domain if domain in words.PUBLIC_MAIL_DOMAINS else _domain(keyed, domain)}"


def _domain(keyed: Keyed, domain: str) -> str:
    """A company's domain as one made-up name under the same top-level domain, the same for all its addresses."""
    rng = keyed.rng("email-domain", domain)
    return f"{rng.choice(words.COMPANY_WORDS)}-{rng.randrange(100, 1000)}.{domain.rsplit('.', 1)[1]}".casefold()


def phone(keyed: Keyed, value: str, region: str = "NL") -> str:
    """The subscriber digits replaced in place (separators and the area code kept), valid if the number was."""
    import phonenumbers

    if not any(c.isdigit() for c in value):
        return free_text(keyed, value)  # "bellen via receptie": words, which may name someone
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return _first_valid(
            lambda attempt: _digits_replaced(keyed, f"phone#{attempt}", value),
            lambda fake: not _valid_phone(fake, region),  # keep it wrong, as the original was
            value,
            "phone",
            keyed,
        )
    national = str(parsed.national_number)
    keep = len(national) - 6 if len(national) > 6 else 0  # the area code or mobile prefix, then 6 made-up digits
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    start = len(digits) - (len(national) - keep)

    def candidate(rng_try: int) -> str:
        rng = keyed.rng(f"phone#{rng_try}", _canonical(parsed))
        chars = list(value)
        for position in digits[start:]:
            chars[position] = str(rng.randrange(10))
        return "".join(chars)

    return _first_valid(candidate, lambda fake: _valid_phone(fake, region), value, "phone", keyed)


def _canonical(parsed: Any) -> str:
    import phonenumbers

    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def _valid_phone(text: str, region: str) -> bool:
    import phonenumbers

    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(text, region)))
    except phonenumbers.NumberParseException:
        return False


def iban(keyed: Keyed, value: str) -> str:
    """Country and bank code kept, the account made up, the check digits computed: a valid IBAN for a valid one."""
    from stdnum import iban as stdnum_iban

    compact = stdnum_iban.compact(value)
    valid = stdnum_iban.is_valid(compact)

    def candidate(attempt: int) -> str:
        rng = keyed.rng(f"iban#{attempt}", compact)
        bban = compact[4:8] + "".join(
            str(rng.randrange(10)) if c.isdigit() else chr(65 + rng.randrange(26)) for c in compact[8:]
        )
        digits = stdnum_iban.calc_check_digits(compact[:2] + "00" + bban)
        if not valid:  # keep it wrong, as the original was
            digits = f"{(int(digits) + 1 + rng.randrange(96)) % 97 + 1:02d}" if digits.isdigit() else digits
        return _spaced_like(compact[:2] + digits + bban, value)

    if not IBAN_SHAPE.fullmatch(compact):
        return keyed.scramble("iban", value)
    check = stdnum_iban.is_valid if valid else (lambda fake: not stdnum_iban.is_valid(fake))
    return _first_valid(candidate, check, value, "iban", keyed)


def _spaced_like(compact: str, original: str) -> str:
    """``compact`` with the spaces and separators of ``original`` where it had them (``NL91 ABNA 0417 1643 00``)."""
    made = iter(compact)
    return "".join(char if not char.isalnum() else next(made, "") for char in original.strip())


def postcode(keyed: Keyed, value: str) -> str:
    """Digits and letters replaced in place: a valid Dutch postcode stays one (python-stdnum checks), others not."""

    def candidate(attempt: int) -> str:
        fake = keyed.scramble(f"postcode#{attempt}", value.casefold())
        return "".join(f.upper() if o.isupper() else f for f, o in zip(fake, value, strict=True))

    return _first_valid(candidate, lambda fake: _postcode_ok(fake, value), value, "postcode", keyed)


def _postcode_ok(fake: str, original: str) -> bool:
    from stdnum.nl import postcode as nl_postcode

    return bool(nl_postcode.is_valid(fake) == nl_postcode.is_valid(original))


def street(keyed: Keyed, value: str) -> str:
    """A made-up Dutch street name (``Lindenlaan``); the same street gets the same fake everywhere."""
    rng = keyed.rng("street", " ".join(value.split()).casefold())
    return rng.choice(words.STREET_STEMS) + rng.choice(words.STREET_ENDINGS)


def given_name(keyed: Keyed, value: str) -> str:
    return _word(keyed, "given", value.strip(), words.GIVEN_NAMES) if value.strip() else value


def free_text(keyed: Keyed, value: str) -> str:
    """As many made-up words as the text had: remarks may hold anything."""
    rng = keyed.rng("text", value)
    made = " ".join(rng.choice(words.FILLER_WORDS) for _ in _TOKEN.findall(value))
    return made[:1].upper() + made[1:] + ("." if value.rstrip().endswith(".") else "")


def number(keyed: Keyed, kind: str, value: str) -> str:
    """A registration number (KvK, VAT) with its digits replaced; valid if it was (python-stdnum checks a VAT)."""
    from stdnum.eu import vat

    if not vat.is_valid(value):
        return _digits_replaced(keyed, kind, value)
    return _first_valid(
        lambda attempt: _digits_replaced(keyed, f"{kind}#{attempt}", value), vat.is_valid, value, kind, keyed
    )


def coordinate(value: str) -> str:
    """Latitude or longitude cut to two decimals (about a kilometre), the same number of decimals shown."""
    found = _COORDINATE.fullmatch(value.strip())
    if found is None:
        return value
    fraction = found["fraction"]
    return f"{found['whole']}.{fraction[:2]}{'0' * max(len(fraction) - 2, 0)}"


def _digits_replaced(keyed: Keyed, kind: str, value: str) -> str:
    rng = keyed.rng(kind, value)
    return _DIGITS.sub(lambda m: "".join(str(rng.randrange(10)) for _ in m.group()), value)


def _first_valid(make: Callable[[int], str], ok: Callable[[str], bool], value: str, kind: str, keyed: Keyed) -> str:
    for attempt in range(_TRIES):
        fake = make(attempt)
        if ok(fake) and fake != value:
            return fake
    return keyed.scramble(kind, value)  # not reached for the shapes above; never hands the real value back
