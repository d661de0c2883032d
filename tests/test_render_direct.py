"""The direct path (templates.direct) gives exactly what Jinja gives: the plain render against the tracing render
(which runs every template and condition through Jinja), record by record, over every shipped mapping, the mappings
in tests/cases, a mapping of edge cases and Hypothesis-made records."""

from __future__ import annotations

import contextlib
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relmap.catalog.outsmart import BY_NAME
from relmap.mapping.compiled import CompiledMapping, Condition, Group, Rule
from relmap.mapping.compiler import compile_file, compile_text
from relmap.mapping.render import Rendered, Renderer
from relmap.mapping.render_trace import TracingRenderer
from relmap.mapping.templates.expressions import compile_code, template_names, through_jinja
from relmap.sources.records import SourceRecord, normalize_record

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from render import generate  # noqa: E402  (benchmarks/render.py: the benchmark's varied relations)

SHIPPED = sorted(p for p in (ROOT / "mappings").glob("*.yaml") if not p.name.endswith(".tests.yaml"))
CASES = sorted(p for p in (ROOT / "tests" / "cases").rglob("*.yaml") if not p.name.endswith(".tests.yaml"))

EDGES = textwrap.dedent(
    """\
    relmap: 1
    source:
      file: {path: relations.json}
    vars: {nothing: null, yes: true, number: 12, text: " Zoë ", ratio: 2.5}
    freefields: {Klant sinds: 3}
    skip:
      - when: debtor_type == "supplier" and not vars.yes
        reason: supplier
    routes:
      - endpoint: addprivaterelation
        fields:
          CustomerNumber: debtor_number
          Address_Street: "{{ street }}"
          Address_City: "{{ record.city | default('none') }} / {{ vars.nothing }} / {{ vars.yes }} / {{ vars.number }}"
          Address_PostalCode: "{{ ff[3] }}|{{ ff['Klant sinds'] }}|{{ ff[7] | trim }}"
          Address_CountryCode: {template: "{{ vars.ratio }}{{ vars.text | country_code }}", on_invalid: warn}
          Address_Unit: {template: "{{ record.house_number | house_unit }}", on_invalid: warn}
          Address_UnitAppendix:
            template: "{{ record.no_such_field | lower if email == 'geen' else '' }}"
            on_invalid: warn
          Relation_Contact:
            - when: contact is not blank or name
              FirstName: {template: "{{ (contact | safe) | first_name(single='first') }}", fallback: "-"}
              LastName: {template: "{{ contact | last_name or name or vars.text }}", required: true}
              Sex: "{{ contact | salutation_sex if contact is not blank else '' }}"
              Email: {template: "{{ email | email(lower=true) }}", on_invalid: warn}
              Phone:
                template: "{{ (mobile or phone_number) | phone(region=country | country_code(invalid='keep')) }}"
                when: (mobile or phone_number) is valid_phone(country) and active != "0"
    """
)


def plans() -> list[tuple[str, CompiledMapping]]:
    found = []
    for path in (*SHIPPED, *CASES):
        plan = compile_file(path).plan
        if plan is not None:
            found.append((str(path.relative_to(ROOT)), plan))
    edges = compile_text(EDGES, "edges.yaml", ROOT / "mappings" / "samples")
    assert edges.plan is not None, [str(d) for d in edges.diagnostics]
    return [*found, ("edges.yaml", edges.plan)]


PLANS = plans()


def outcome(result: Rendered) -> tuple[Any, ...]:
    def errors(found: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return [(e.parameter, e.message, e.rule) for e in found]

    payload = json.dumps(result.payload, ensure_ascii=False)  # key order too
    return (result.status, result.route, result.endpoint, result.reason, payload, errors(result.errors),
            errors(result.warnings))  # fmt: skip


def assert_same(plan: CompiledMapping, records: list[SourceRecord]) -> int:
    """Render each record both ways; the number of records whose results match (all of them, or it fails)."""
    plain, traced = Renderer(plan), TracingRenderer(plan)
    for record in records:
        one, other = outcome(plain.render(record)), outcome(traced.render(record))
        if one != other and "and was stopped" in repr((one, other)):  # a shared machine stalled past the time limit
            one, other = outcome(plain.render(record)), outcome(traced.render(record))
        assert one == other, (plan.path, record.fields)
    return len(records)


def records_of(raws: list[Any]) -> list[SourceRecord]:
    normalised = [normalize_record(raw, index, "test") for index, raw in enumerate(raws)]
    return [record for record in normalised if isinstance(record, SourceRecord)]


SAMPLES = json.loads((ROOT / "mappings" / "samples" / "relations.json").read_text(encoding="utf-8"))["response"]
VARIED = records_of(generate(400, seed=7))


@pytest.mark.parametrize(("name", "plan"), PLANS, ids=[name for name, _ in PLANS])
def test_the_direct_path_renders_as_jinja_does(name: str, plan: CompiledMapping) -> None:
    records = records_of(SAMPLES) + VARIED
    assert assert_same(plan, records) == len(records)


def test_the_edge_mapping_meets_each_case() -> None:
    """The edge mapping really goes through missing keys, None, bools, numbers, Markup, errors and warnings."""
    plan = dict(PLANS)["edges.yaml"]
    raw = {"debtor_number": "1", "debtor_type": "customer", "contact": "Dhr. Jan de Vries", "city": None,
           "street": "Dorpsstraat", "house_number": "x", "email": "geen",
           "FreeFields": [{"id": 3, "value": "2019"}]}  # fmt: skip
    record = records_of([raw])[0]
    renderer = Renderer(plan)
    payload, errors = renderer.payload(plan.routes[0], renderer.context(record))
    assert [(e.parameter, "no attribute 'no_such_field'" in e.message) for e in errors] == [
        ("Address_UnitAppendix", True)
    ]
    assert payload["Address_City"] == "/  / True / 12"  # None prints nothing (default() keeps None), stripped
    assert payload["Address_PostalCode"] == "2019|2019|"
    assert "Address_CountryCode" not in payload  # " Zoë " is no country: on_invalid warn
    contact = payload["Relation_Contact"][0]
    assert (contact["FirstName"], contact["LastName"], contact["Sex"]) == ("Jan", "de Vries", "Man")
    assert [w.parameter for w in renderer.warnings] == ["Address_CountryCode", "Relation_Contact[0].Email"]
    assert outcome(renderer.render(record)) == outcome(TracingRenderer(plan).render(record))


def test_shipped_templates_and_conditions_take_the_direct_path() -> None:
    """Every template and condition of the shipped mappings has a direct path (else the speed-up is silently gone)."""
    for path in SHIPPED:
        plan = compile_file(path).plan
        assert plan is not None
        for function, text in compiled_code(plan):
            assert through_jinja(function) is not function, (path.name, text)


def compiled_code(plan: CompiledMapping) -> list[tuple[Any, str]]:
    found: list[tuple[Any, str]] = []

    def condition(when: Condition | None) -> None:
        if when is not None:
            found.append((when.test, when.text))

    def rule(member: Rule) -> None:
        condition(member.when)
        if member.kind in ("template", "expr"):
            found.append((member.get, member.source))

    for skip in plan.skips:
        condition(skip.condition)
    for route in plan.routes:
        condition(route.when)
        for skip in route.skips:
            condition(skip.condition)
        for member in route.fields:
            if isinstance(member, Rule):
                rule(member)
                continue
            for group in (member,) if isinstance(member, Group) else member.items:
                condition(group.when)
                for one in group.members:
                    rule(one)
    return found


@pytest.mark.parametrize(
    ("source", "expression"),
    [("{{ name ~ city }}", False), ("{% if name %}x{% endif %}", False), ("{{ name | join(',') }}", False),
     ("name + city", True), ("range(3)", True), ("{{ name[1:] }}", False), ("{{ record.items }}", False)],
)  # fmt: skip
def test_other_templates_run_through_jinja(source: str, expression: bool) -> None:
    function, _, problem = compile_code(source, expression=expression)
    assert problem is None and function is not None
    assert through_jinja(function) is function


def names(**fields: Any) -> dict[str, Any]:
    from relmap.mapping.templates.env import FrozenDict

    record = FrozenDict(fields)
    blanks = {name: "" for name in BY_NAME}
    own = {key: "" if value is None else value for key, value in fields.items()}
    return {**template_names(), **blanks, **own, "record": record, "ff": FrozenDict(), "vars": FrozenDict()}


@pytest.mark.parametrize(
    ("source", "expression"),
    [("{{ record.city | upper }}", False), ("{{ contact | first_name(single=name) }}", False),
     ("record.city or name", True), ("name is valid_phone(possible='yes')", True), ("{{ name | to_bool }}", False),
     ("{{ not_a_name | lower }}", False)],
)  # fmt: skip
def test_direct_errors_are_jinjas(source: str, expression: bool) -> None:
    """Undefined names, a wrong filter argument, a filter's refusal: the same exception, with the same message."""
    function, _, problem = compile_code(source, expression=expression)
    assert problem is None and function is not None
    context = names(contact="Piet", name="bogus")

    def run(how: Any) -> tuple[str, str]:
        try:
            return "value", repr(how(context))
        except Exception as exc:  # compared, whatever it is
            return type(exc).__name__, str(exc)

    direct, jinja = run(function), run(through_jinja(function))
    assert direct == jinja
    assert direct[0] != "value" or source == "record.city or name"


FIELD_NAMES = ("name", "contact", "email", "phone_number", "mobile", "country", "postal_code", "house_number",
               "kvk_number", "vat_number", "active", "debtor_type", "email_workorder", "city", "street")  # fmt: skip
SPELLINGS = ["", " ", "0", "1", "NL", "Nederland", "België", "Dhr. Piet van der Berg", "Fam. Jansen",
             "info@Example.nl", "06-12345678", "+32 2 123 45 67", "1234 ab", "12-A", "lead", "Customer",
             "NL123456789B01", "12345678", "Mevr. K. Visser (Kim)", "Berg, Piet van der", "geen"]  # fmt: skip
VALUES = st.one_of(
    st.none(),
    st.sampled_from(SPELLINGS),
    st.text(max_size=40),
    st.integers(min_value=-(10**6), max_value=10**6),
)


@settings(max_examples=150, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(
    fields=st.dictionaries(st.sampled_from(FIELD_NAMES), VALUES, max_size=len(FIELD_NAMES)),
    freefields=st.dictionaries(st.integers(1, 50), st.one_of(st.none(), st.text(max_size=20)), max_size=3),
)
def test_generated_records_render_alike_both_ways(fields: dict[str, Any], freefields: dict[int, Any]) -> None:
    raw = {"debtor_number": "100", **fields, "FreeFields": [{"id": k, "value": v} for k, v in freefields.items()]}
    records = records_of([raw])
    for _, plan in PLANS:
        assert_same(plan, records)


@pytest.mark.parametrize(
    ("source", "expression"),
    [("{{ (name | upper) and record.nope }}", False), ("(name | upper) and record.nope", True),
     ("{{ name | upper }}{{ record.nope }}", False)],
)  # fmt: skip
def test_a_fallback_charges_the_bounds_once(source: str, expression: bool) -> None:
    """What the direct attempt charged before it handed over to Jinja is taken back: the total is Jinja's."""
    from relmap.mapping.templates.limits import bounded_call, spent

    function, _, problem = compile_code(source, expression=expression)
    assert problem is None and function is not None and through_jinja(function) is not function
    context = names(name="piet" * 1000)

    def total(how: Any) -> int:
        inner = how.args[0]  # the evaluation inside bounded_call

        def run(values: dict[str, Any]) -> int:
            with contextlib.suppress(Exception):  # record.nope is undefined: both ways raise, after the same charges
                inner(values)
            return int(spent())

        return int(bounded_call(run, context))

    assert total(function) == total(through_jinja(function)) >= 4000
