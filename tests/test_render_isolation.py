"""The fast render keeps every evaluation apart: a fresh context per template, nothing carried between records."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from jinja2.runtime import Context

from relmap.mapping.compiled import CompiledMapping, Rule
from relmap.mapping.compiler import compile_text
from relmap.mapping.render import Renderer
from relmap.mapping.templates.context import fresh_context
from relmap.mapping.templates.expressions import environment
from relmap.sources.records import SourceRecord, normalize_record

HEAD = """\
relmap: 1
source:
  file: {path: input.json}
routes:
  - endpoint: addprivaterelation
    fields:
      Relation_Contact:
        - {FirstName: {value: "-"}, LastName: name}
"""


def plan_for(fields: str, tmp_path: Path) -> CompiledMapping:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    result = compile_text(HEAD + textwrap.indent(textwrap.dedent(fields), " " * 6), "m.yaml", tmp_path)
    assert result.plan is not None, [d.text() for d in result.diagnostics]
    return result.plan


def record(index: int, **fields: Any) -> SourceRecord:
    raw = {"debtor_number": str(1000 + index), "name": "Jansen", **fields}
    made = normalize_record(raw, index, f"test:{index}")
    assert isinstance(made, SourceRecord)
    return made


def payloads(plan: CompiledMapping, *records: SourceRecord) -> list[Any]:
    renderer = Renderer(plan)
    results = [renderer.render(one) for one in records]
    assert all(r.status == "ok" and r.payload for r in results), [r.errors for r in results]
    return [{k: v for k, v in r.payload.items() if k != "Relation_Contact"} for r in results if r.payload]


@pytest.mark.parametrize(
    "source",
    [
        "{{ city }}",
        "{% set x = 1 %}{{ x }}",
        "{% block b %}{{ city }}{% endblock %}",
        "{% autoescape true %}{{ city }}{% endautoescape %}",
    ],
)
def test_fresh_context_is_what_jinja_makes_and_shares_nothing_that_changes(source: str) -> None:
    env = environment()
    template = env.from_string(source)
    names = {"city": "Utrecht"}
    make = fresh_context(env, template)
    first, second = make(names), make(names)
    expected = template.new_context(names, shared=True)
    assert type(first) is type(expected) and isinstance(first, Context)
    assert set(vars(first)) == set(vars(expected))
    assert first.parent is names and first.vars == {} and first.exported_vars == set()
    assert vars(first.eval_ctx) == vars(expected.eval_ctx)
    assert first.blocks == expected.blocks and set(first.globals_keys) == expected.globals_keys
    for name in ("vars", "exported_vars", "eval_ctx", "blocks"):
        assert getattr(first, name) is not getattr(second, name), name
    assert all(a is not b for a, b in zip(first.blocks.values(), second.blocks.values(), strict=True))
    assert "".join(template.root_render_func(first)) == template.render(names)


def test_a_set_in_one_record_never_reaches_the_next(tmp_path: Path) -> None:
    plan = plan_for(
        """\
        Address_City: "{% if city == 'Delft' %}{% set city = 'leaked' %}{% endif %}{{ city }}"
        Address_Street: "{{ city }}"
        """,
        tmp_path,
    )
    first, second, third = payloads(plan, record(0, city="Delft"), record(1, city="Gouda"), record(2, city="Delft"))
    assert first == {"Address_Street": "Delft", "Address_City": "leaked"}  # nor into the next template
    assert second == {"Address_Street": "Gouda", "Address_City": "Gouda"}
    assert third == first


def test_a_namespace_is_made_afresh_for_every_record(tmp_path: Path) -> None:
    plan = plan_for(
        """\
        Address_City: >-
          {% set ns = namespace(seen='') %}{% for part in city.split() %}
          {%- set ns.seen = ns.seen ~ part[0] %}{% endfor %}{{ ns.seen }}
        Address_Street: {expr: "namespace(n=name).n ~ '/' ~ city"}
        """,
        tmp_path,
    )
    results = payloads(plan, record(0, city="Den Haag"), record(1, city="Ede"), record(2, name="Visser", city="Ede"))
    assert [r["Address_City"] for r in results] == ["DH", "E", "E"]
    assert [r["Address_Street"] for r in results] == ["Jansen/Den Haag", "Jansen/Ede", "Visser/Ede"]


def test_an_expression_result_stays_its_own(tmp_path: Path) -> None:
    plan = plan_for(
        """\
        Address_City: {expr: "city if city else 'none'"}
        Address_Street: {expr: "street if street else 'none'"}
        """,
        tmp_path,
    )
    results = payloads(plan, record(0, city="Ede", street="Markt"), record(1), record(2, street="Dam"))
    assert results == [
        {"Address_Street": "Markt", "Address_City": "Ede"},
        {"Address_Street": "none", "Address_City": "none"},
        {"Address_Street": "Dam", "Address_City": "none"},
    ]


def rules(plan: CompiledMapping) -> dict[str, Rule]:
    return {m.name: m for m in plan.routes[0].fields if isinstance(m, Rule)}


def test_constants_are_converted_when_compiling(tmp_path: Path) -> None:
    plan = plan_for(
        """\
        CustomerNumber: {value: 42}
        IsCustomer: true
        GroupName: {value: "  Vaste klanten  "}
        Address_CountryCode: {value: "", fallback: "BE"}
        Address_City: city
        """,
        tmp_path,
    )
    found = rules(plan)
    assert found["CustomerNumber"].converted == (42,)
    assert found["IsCustomer"].converted == (True,)
    assert found["GroupName"].converted == ("Vaste klanten",)  # text is sent trimmed, as at render time
    assert found["Address_CountryCode"].converted == ("BE",)
    assert found["Address_City"].converted is None  # read from the record, each time
    (payload,) = payloads(plan, record(0, city="Ede"))
    assert payload["GroupName"] == "Vaste klanten" and payload["Address_CountryCode"] == "BE"


def test_a_mapped_constant_is_looked_up_at_render_time(tmp_path: Path) -> None:
    plan = plan_for('GroupName: {value: "a", map: {a: Groep A}}\nAddress_City: city\n', tmp_path)
    assert rules(plan)["GroupName"].converted is None
    (payload,) = payloads(plan, record(0, city="Ede"))
    assert payload["GroupName"] == "Groep A"
