"""Stable fakes for the personal data in OutSmart relations (``relmap export --pseudonymise``).

A keyed hash (HMAC-SHA256) of each value picks its fake, so the same input always gives the same fake and routes,
lookups and identity behave as they did; each fake keeps its value's shape (a valid e-mail address, Dutch phone
number, IBAN with a correct checksum, postcode). Anyone who knows the key can reverse a fake by hashing guesses, so
the fixed default key hides data only from people who do not know relmap.
"""

from __future__ import annotations

from relmap.pseudonym.keyed import DEFAULT_KEY, KEY_VARIABLE, Keyed
from relmap.pseudonym.relation import Pseudonymiser

__all__ = ["DEFAULT_KEY", "KEY_VARIABLE", "Keyed", "Pseudonymiser"]
