"""Field rules → Rule / Group / ArrayRule, checked against the Silvasoft catalog and the OutSmart fields."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from relmap.catalog import Param
from relmap.catalog.outsmart import FREEFIELD_MAX, FREEFIELD_MIN
from relmap.catalog.silvasoft import FIELD_TYPES, UPDATABLE
from relmap.errors import TransformError
from relmap.mapping.compiled import ArrayRule, Getter, Group, Member, Rule
from relmap.mapping.compiler.constants import check_constant, constant_hint
from relmap.mapping.compiler.scope import Scope
from relmap.mapping.convert import convert, is_empty
from relmap.mapping.hints import field_hint
from relmap.mapping.loader import PathKey
from relmap.mapping.schema import did_you_mean
from relmap.mapping.yamlfile.text import shown

SOURCE_KEYS = ("from", "freefield", "value", "template", "expr")
_NULL_WORDS = {"~", "null", "Null", "NULL"}  # YAML's null, but keys are text: `~:` never matches an empty value


def compile_members(scope: Scope, path: PathKey, params: tuple[Param, ...], raw: dict[str, Any]) -> list[Member]:
    """Compile every parameter in ``raw`` (a fields block or an object/item body); unknown ones the schema reported."""
    members: list[Member] = []
    for param in params:  # the catalog's order, so payloads read the same whatever the mapping's order
        where = (*path, param.name)
        if param.name not in raw or scope.flagged(where):
            continue
        member = compile_member(scope, where, param, raw[param.name])
        if member is not None:
            members.append(member)
    return members


def compile_member(scope: Scope, path: PathKey, param: Param, body: Any) -> Member | None:
    if param.type == "array":
        return _array(scope, path, param, body)
    if param.type == "object":
        return _group(scope, path, param, body, param.name)
    return compile_rule(scope, path, param, body)


def _array(scope: Scope, path: PathKey, param: Param, body: Any) -> ArrayRule | None:
    if not isinstance(body, list):
        return None
    items = []
    for index, item in enumerate(body):
        where = (*path, index)
        if scope.flagged(where) and not isinstance(item, dict):
            continue
        if param.name == "Relation_CustomField":
            group = _custom_field(scope, where, param, item, index)
        else:
            group = _group(scope, where, param, item, f"{param.name}[{index}]")
        if group is not None:
            items.append(group)
    return ArrayRule(param.name, param, scope.loc(path, key=True), tuple(items))


def _group(scope: Scope, path: PathKey, param: Param, body: Any, name: str) -> Group | None:
    if not isinstance(body, dict):
        return None
    members = compile_members(scope, path, param.children, body)
    _require_children(scope, path, param, body)
    when = scope.condition((*path, "when"), body["when"]) if "when" in body else None
    return Group(name, param, scope.loc(path), tuple(m for m in members if isinstance(m, Rule)), when)


def _require_children(scope: Scope, path: PathKey, param: Param, body: dict[str, Any]) -> None:
    for child in param.children:
        if child.required and child.name not in body:
            scope.error(
                path,
                f"{param.name} needs {child.name}",
                "missing-parameter",
                f"Silvasoft requires {child.name} in every {param.name} item",
            )


def _custom_field(scope: Scope, path: PathKey, param: Param, body: Any, index: int) -> Group | None:
    if not isinstance(body, dict):
        return None
    group = _group(scope, path, param, {k: v for k, v in body.items() if k != "value"}, f"{param.name}[{index}]")
    if group is None:
        return None
    field_type = body.get("FieldType")
    if isinstance(field_type, dict) and set(field_type) == {"value"}:
        field_type = field_type["value"]
    if not isinstance(field_type, str) or field_type not in FIELD_TYPES:
        if isinstance(field_type, dict):
            scope.error(
                (*path, "FieldType"),
                "FieldType must be a constant: one of " + ", ".join(FIELD_TYPES),
                "custom-field-type",
            )
        if "value" in body:  # still check the value rule, as text, so that its own mistakes show up now
            compile_rule(scope, (*path, "value"), param.child("StringValue"), body["value"])  # type: ignore[arg-type]
        return group
    value_param = param.child(FIELD_TYPES[field_type])
    assert value_param is not None
    explicit = [m for m in group.members if m.name.endswith("Value")]
    for member in explicit:
        if member.name != value_param.name:
            scope.error(
                (*path, member.name),
                f"a {field_type} custom field takes {value_param.name}, not {member.name}",
                "custom-field-value",
                f"write {value_param.name}, or use value: and let FieldType decide",
                key=True,
            )
    members = list(group.members)
    if "value" in body:
        rule = compile_rule(scope, (*path, "value"), value_param, body["value"])
        if rule is not None:
            members.append(rule)
    elif not explicit:
        scope.error(
            path, f"custom field {index} has no value", "custom-field-value", f"add value: (sent as {value_param.name})"
        )
    return Group(group.name, param, group.location, tuple(members), group.when)


def compile_rule(scope: Scope, path: PathKey, param: Param, body: Any) -> Rule | None:
    """One scalar parameter: a field name, a template, a constant, or a rule mapping."""
    if scope.flagged(path):
        return None
    if isinstance(body, str):
        if "{{" in body or "{%" in body:
            return _from_code(scope, path, param, {"template": body}, "template")
        if param.takes_literal:
            return _constant(scope, path, param, body, {})
        return _from_field(scope, path, param, body, {})
    if isinstance(body, bool | int | float):
        return _constant(scope, path, param, body, {})
    if not isinstance(body, dict):
        return None
    return _rule_mapping(scope, path, param, body)


def _rule_mapping(scope: Scope, path: PathKey, param: Param, body: dict[str, Any]) -> Rule | None:
    sources = [k for k in SOURCE_KEYS if k in body]
    if len(sources) != 1:
        found = ", ".join(sources) if sources else "none"
        scope.error(
            path, f"a rule takes exactly one of {', '.join(SOURCE_KEYS)} (found: {found})", "rule-source", key=True
        )
        return None
    kind = sources[0]
    if kind == "from":
        return _from_field(scope, path, param, body["from"], body, (*path, "from"))
    if kind == "freefield":
        return _from_freefield(scope, path, param, body)
    if kind == "value":
        return _constant(scope, path, param, body["value"], body, (*path, "value"))
    return _from_code(scope, path, param, body, kind)


def _from_field(
    scope: Scope, path: PathKey, param: Param, name: Any, body: dict[str, Any], at: PathKey | None = None
) -> Rule | None:
    at = at or path
    if not isinstance(name, str):
        return None
    if name not in scope.fields:
        hint = field_hint(name, scope.fields) or constant_hint(param, name)
        scope.error(at, f"unknown OutSmart field '{name}'", "unknown-field", hint)
        return None
    return _finish(scope, path, param, body, "field", name, lambda ctx: ctx[name])


def _from_freefield(scope: Scope, path: PathKey, param: Param, body: dict[str, Any]) -> Rule | None:
    ref = body["freefield"]
    at = (*path, "freefield")
    if isinstance(ref, bool) or not isinstance(ref, int | str):
        return None  # the schema has reported it
    if isinstance(ref, str) and not (ref.isascii() and ref.isdigit()):  # "²".isdigit() is True, int("²") fails
        if ref not in scope.freefields:
            hint = did_you_mean(ref, scope.freefields) or "declare it under freefields: (name: number)"
            scope.error(at, f"unknown freefield name '{shown(ref)}'", "unknown-freefield", hint)
            return None
        number = scope.freefields[ref]
    else:
        short = len(str(ref).lstrip("-0")) <= 3  # int() of "999…9" in 5,000 digits would raise; it is out of range
        number = int(ref) if short else FREEFIELD_MAX + 1
        if not FREEFIELD_MIN <= number <= FREEFIELD_MAX:
            scope.error(
                at,
                f"freefield number {number if short else shown(str(ref))} is outside 1-50",
                "freefield-range",
                "OutSmart numbers freefields 1 to 50",
            )
            return None
    return _finish(scope, path, param, body, "freefield", f"ff[{number}]", lambda ctx: ctx["ff"][number])


def _from_code(scope: Scope, path: PathKey, param: Param, body: dict[str, Any], kind: str) -> Rule | None:
    at = (*path, kind) if (*path, kind) in scope.doc.values else path  # a plain "{{ }}" rule has no key of its own
    source = body[kind]
    if not isinstance(source, str):
        return None  # the schema has reported it
    function = scope.code(at, source, expression=kind == "expr")
    if function is None:
        return None
    return _finish(scope, path, param, body, kind, source, function)


def _constant(
    scope: Scope, path: PathKey, param: Param, value: Any, body: dict[str, Any], at: PathKey | None = None
) -> Rule | None:
    if not check_constant(scope, at or path, param, value, bare=at is None):
        return None
    rule = _finish(scope, path, param, body, "value", repr(value), lambda ctx: value)
    if rule is None or rule.lookup is not None or param.type == "date":  # a date is written by the target's format
        return rule
    raw = rule.fallback if is_empty(value) and rule.fallback is not None else value
    try:
        return replace(rule, converted=(convert(raw, param),))  # the renderer sends it as it is, record after record
    except TransformError:
        return rule  # each record says so, as before


def _finish(
    scope: Scope, path: PathKey, param: Param, body: dict[str, Any], kind: str, source: str, get: Getter
) -> Rule | None:
    lookup, default, has_default = _lookup(scope, path, param, body)
    fallback = body.get("fallback")
    if isinstance(fallback, str) and ("{{" in fallback or "{%" in fallback):
        scope.error(
            (*path, "fallback"),
            "fallback is a constant, not a template",
            "fallback-template",
            "put the alternative in the template itself: {{ a or b }}",
        )
        return None
    if fallback is not None and not check_constant(scope, (*path, "fallback"), param, fallback):
        return None
    when = scope.condition((*path, "when"), body["when"]) if "when" in body else None
    if "when" in body and when is None:
        return None
    on_invalid = body.get("on_invalid", "error")
    if on_invalid == "warn" and not _can_warn(scope, path, param, body, kind):
        return None
    drift = body.get("drift")
    if drift is not None and not _updatable(path, param):
        scope.warning(
            (*path, "drift"),
            f"drift has no effect: updaterelation/ cannot change {param.name}, so Silvasoft's value is never "
            "overwritten after the relation is created",
            "unused-key",
            key=True,
        )
    return Rule(
        name=param.name,
        param=param,
        location=scope.loc(path, key=True),
        kind=kind,
        source=source,
        get=get,
        lookup=lookup,
        default=default,
        has_default=has_default,
        keep_unmapped=bool(body.get("keep_unmapped")),
        fallback=fallback,
        when=when,
        required=bool(body.get("required")),
        on_invalid=on_invalid if isinstance(on_invalid, str) else "error",
        drift=drift if isinstance(drift, str) else None,
    )


def _can_warn(scope: Scope, path: PathKey, param: Param, body: dict[str, Any], kind: str) -> bool:
    """``on_invalid: warn`` leaves an invalid value out: a contradiction for a parameter that may not be empty."""
    if body.get("required") or param.required:
        who = "required: true says" if body.get("required") else f"Silvasoft requires {param.name}:"
        message = f"on_invalid: warn would leave {param.name} out, but {who} it may not be empty"
        hint = "leave out on_invalid: an invalid value then fails the record"
        scope.error((*path, "on_invalid"), message, "on-invalid-required", hint, key=True)
        return False
    if kind == "value":
        message = "on_invalid has no effect on a constant: relmap validate checks it"
        scope.warning((*path, "on_invalid"), message, "unused-key", key=True)
    return True


def _updatable(path: PathKey, param: Param) -> bool:
    """Whether updaterelation/ can change the parameter at ``path``: its own, and the main contact's."""
    if "Relation_Contact" in path:
        index = path.index("Relation_Contact")
        return path[index + 1 : index + 2] == (0,)
    return param.name in UPDATABLE


def _lookup(scope: Scope, path: PathKey, param: Param, body: dict[str, Any]) -> tuple[dict[str, Any] | None, Any, bool]:
    table = body.get("map")
    if not isinstance(table, dict):
        for key in ("default", "keep_unmapped"):
            if key in body:
                scope.warning((*path, key), f"'{key}' only applies together with map:", "unused-key", key=True)
        return None, None, False
    for key, value in table.items():
        check_constant(scope, (*path, "map", key), param, value)
        if key in _NULL_WORDS and scope.doc.span((*path, "map", key), key=True).style is None:
            scope.warning(
                (*path, "map", key),
                f"the key {key} is the text '{key}': an empty value is looked up as \"\"",
                "map-key",
                f'write "": to map empty values, or "{key}": to say you mean the text',
                key=True,
            )
    has_default = "default" in body
    if has_default:
        check_constant(scope, (*path, "default"), param, body["default"])
        if body.get("keep_unmapped"):
            scope.warning(
                (*path, "keep_unmapped"), "keep_unmapped has no effect next to default:", "unused-key", key=True
            )
    return dict(table), body.get("default"), has_default
