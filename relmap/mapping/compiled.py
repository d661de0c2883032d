"""The compiled mapping: frozen, inert objects that the renderer walks for each record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from relmap.catalog import Param
from relmap.errors import Location

Getter = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Condition:
    """A compiled ``when`` expression with its text and place, so reports can show why a branch was taken."""

    text: str
    test: Getter
    location: Location


@dataclass(frozen=True)
class Rule:
    """How one scalar Silvasoft parameter is filled."""

    name: str  # the parameter's name, e.g. FirstName
    param: Param
    location: Location
    kind: str  # field | freefield | value | template | expr
    source: str  # what the rule reads, for reports: the field name, ff[3], the template text, ...
    get: Getter
    lookup: dict[str, Any] | None = None
    default: Any = None
    has_default: bool = False
    keep_unmapped: bool = False
    fallback: Any = None
    when: Condition | None = None
    required: bool = False
    on_invalid: str = "error"  # error: an invalid value fails the record | warn: it is left out, with a warning
    drift: str | None = None  # overwrite | keep: a value edited in Silvasoft since the last sync; None: the target's
    converted: tuple[Any] | None = None  # a constant rule's value as sent, converted once when compiling: (value,)


@dataclass(frozen=True)
class Group:
    """An object parameter (Relation_BankAccount) or one item of an array parameter (Relation_Contact[0])."""

    name: str
    param: Param
    location: Location
    members: tuple[Rule, ...]
    when: Condition | None = None


@dataclass(frozen=True)
class ArrayRule:
    """An array parameter: its items, each a Group; items that come out empty are left out."""

    name: str
    param: Param
    location: Location
    items: tuple[Group, ...]


Member = Rule | Group | ArrayRule


@dataclass(frozen=True)
class Skip:
    condition: Condition
    reason: str


@dataclass(frozen=True)
class Route:
    name: str
    endpoint: str
    location: Location
    when: Condition | None
    skips: tuple[Skip, ...]
    fields: tuple[Member, ...]


@dataclass(frozen=True)
class SourceFilter:
    key: str  # OutSmart's filter key (zip, streetno, ...)
    field: str  # the relation field it filters (postal_code, house_number, ...)
    operator: str
    value: str
    location: Location


@dataclass(frozen=True)
class SourceSpec:
    kind: str  # outsmart | file
    filters: tuple[SourceFilter, ...] = ()
    path: str | None = None  # file: resolved against the mapping's folder
    format: str | None = None
    base_url: str | None = None
    token: str | None = None  # ${ENV} references, resolved only when a request is made
    software_token: str | None = None
    include_freefields: bool = True
    write_back: bool = False  # write the Silvasoft RelationGUID into OutSmart's external_id


@dataclass(frozen=True)
class TargetSpec:
    base_url: str = "https://rest-api.silvasoft.nl/rest"
    username: str | None = None
    api_key: str | None = None
    requests_per_hour: int = 15
    date_format: str = "%d-%m-%Y"
    drift: str = "overwrite"  # what happens to a value edited in Silvasoft since the last sync (overwrite | keep)


@dataclass(frozen=True)
class CompiledMapping:
    """Everything ``render`` needs; built once per mapping, every template compiled once."""

    path: str
    source: SourceSpec
    target: TargetSpec
    routes: tuple[Route, ...]
    skips: tuple[Skip, ...] = ()
    variables: dict[str, Any] = field(default_factory=dict)
    freefields: dict[str, int] = field(default_factory=dict)
    description: str = ""
