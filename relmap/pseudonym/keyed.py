"""The keyed hash behind every fake: one value and its kind give one seeded random generator."""

from __future__ import annotations

import hashlib
import hmac
import random

DEFAULT_KEY = "relmap-pseudonymise-1"  # published in the docs: fakes made with it can be reversed by guessing
KEY_VARIABLE = "RELMAP_PSEUDONYMISE_KEY"


class Keyed:
    """Random generators keyed by (kind, value): the same key, kind and value always draw the same numbers."""

    def __init__(self, key: str = DEFAULT_KEY) -> None:
        if not key:
            raise ValueError("the pseudonymisation key is empty")
        self._key = key.encode("utf-8", "surrogatepass")

    def rng(self, kind: str, value: str) -> random.Random:
        """A generator for ``value`` as a ``kind`` (``email``, ``surname``, ...): kinds never share fakes."""
        message = f"{kind}\x00{value}".encode("utf-8", "surrogatepass")
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        # Seeding with an int is the same on every Python version, and so is what randrange and choice draw.
        return random.Random(int.from_bytes(digest, "big"))

    def scramble(self, kind: str, value: str) -> str:
        """Every letter another letter of its case, every digit another digit; the rest stays (the shape)."""
        rng = self.rng(kind, value)
        return "".join(_scrambled(char, rng) for char in value)


def _scrambled(char: str, rng: random.Random) -> str:
    if char.isascii() and char.isdigit():
        return str(rng.randrange(10))
    if char.isalpha():
        letter = chr(ord("a") + rng.randrange(26))
        return letter.upper() if char.isupper() else letter
    return char
