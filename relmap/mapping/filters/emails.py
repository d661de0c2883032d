"""E-mail addresses: checked for syntax with email-validator (no DNS, no network) and normalised.

email-validator is imported on first use only.
"""

from __future__ import annotations

import functools
from typing import Any

from relmap.mapping.filters.values import Invalid, flag, give_invalid, invalid_mode, loose_text, text


def _checked(raw: str) -> tuple[str, str] | str:
    """(local part, domain) of a syntactically valid address, the domain normalised; else why it is not valid.

    A rule's ``when`` and its template check the same address, so answers are remembered; only for texts short
    enough to be an address (at most 254 characters), so that the memory stays small whatever the data holds.
    """
    return _remembered(raw) if len(raw) <= 320 else _validate(raw)


def _validate(raw: str) -> tuple[str, str] | str:
    from email_validator import EmailNotValidError, validate_email

    try:
        address = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return str(address.local_part), str(address.domain)


_remembered = functools.lru_cache(maxsize=1024)(_validate)


def email(value: Any, lower: bool = False, strict: bool | None = None, invalid: Invalid = "error") -> str:
    """An e-mail address, trimmed, its domain in lower case (``Piet@Gmail.COM`` -> ``Piet@gmail.com``); ``lower=true``
    lower-cases the part before the ``@`` too. An address that is not valid is an error, or with ``invalid`` (or
    ``strict=false``) kept as typed or ``""``."""
    mode = invalid_mode(invalid, strict, default="error")
    lower = flag(lower, "lower")
    raw = text(value)
    if not raw:
        return ""
    checked = _checked(raw)
    if isinstance(checked, str):
        reason = checked[:1].lower() + checked[1:].rstrip(".")
        hint = "test it with `is valid_email`, or give invalid='empty' to leave it out"
        return give_invalid(mode, raw, f"not a valid e-mail address: {raw!r}: {reason} ({hint})")
    local, domain = checked
    return f"{local.lower() if lower else local}@{domain}"


def is_valid_email(value: Any) -> bool:
    """Jinja test ``valid_email``: one syntactically valid e-mail address (``piet@@fout`` is not)."""
    raw = loose_text(value)
    return bool(raw) and not isinstance(_checked(raw), str)
