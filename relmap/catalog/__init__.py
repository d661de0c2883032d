"""What each API offers: OutSmart relation fields and Silvasoft parameters, the facts validation checks against."""

from __future__ import annotations

from dataclasses import dataclass

# The value types a Silvasoft parameter can declare; the declared type, never the template, decides conversion.
VALUE_TYPES = ("string", "integer", "boolean", "decimal", "date")


@dataclass(frozen=True)
class Param:
    """One Silvasoft request parameter; ``children`` are the members of an array item or an object."""

    name: str
    type: str  # one of VALUE_TYPES, or "array" / "object"
    description: str
    required: bool = False
    enum: tuple[str, ...] = ()
    children: tuple[Param, ...] = ()
    nonzero: bool = False  # 0 means "empty" to Silvasoft, so a rendered 0 is an error, never sent
    max_items: int | None = None
    country: bool = False  # ISO 3166 alpha-2 code
    literal: bool = False  # plain text in a rule is the value itself (a custom field's Label), not a field name

    @property
    def takes_literal(self) -> bool:
        """Plain text in a rule for this parameter is a constant: fixed choices and labels are never field names."""
        return self.literal or bool(self.enum)

    def child(self, name: str) -> Param | None:
        return next((c for c in self.children if c.name == name), None)


@dataclass(frozen=True)
class SourceField:
    """One field of an OutSmart relation; ``filter_key`` is the name GET /relations/ filters it by, if any."""

    name: str
    kind: str  # text | number | decimal | datetime | flag
    description: str
    required: bool = False
    filter_key: str | None = None
