"""Rendering: the declared type decides conversion, every rule option works, one bad record never stops the rest."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from relmap.mapping.compiled import CompiledMapping
from relmap.mapping.compiler import compile_text
from relmap.mapping.render import Renderer, render_all
from relmap.sources.records import SourceRecord, normalize_record

BASE = """\
relmap: 1
source:
  file: {path: input.json}
vars:
  country: NL
freefields:
  Contract: 3
routes:
  - endpoint: addprivaterelation
    fields:
      Relation_Contact:
        - FirstName: {template: "{{ contact | first_name }}", fallback: "-"}
          LastName: {template: "{{ contact | last_name }}"}
"""


def plan_for(fields: str, tmp_path: Path, base: str = BASE) -> CompiledMapping:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    text = base + textwrap.indent(textwrap.dedent(fields), " " * 6)
    result = compile_text(text, "m.yaml", tmp_path)
    assert result.plan is not None, [d.text() for d in result.diagnostics]
    return result.plan


def record(**fields: Any) -> SourceRecord:
    raw = {"debtor_number": "1001", "name": "Jansen", "contact": "Dhr. Piet van der Berg", **fields}
    made = normalize_record(raw, 0, "test:1")
    assert isinstance(made, SourceRecord)
    return made


def render(fields: str, tmp_path: Path, **values: Any) -> Any:
    return Renderer(plan_for(fields, tmp_path)).render(record(**values))


@pytest.mark.parametrize(
    "rule, source, expected",
    [
        ("Address_PostalCode: postal_code", {"postal_code": "01234"}, "01234"),
        ("Address_Unit: house_number", {"house_number": "0612345678"}, "0612345678"),
        ("CustomerNumber: debtor_number", {"debtor_number": "010045"}, 10045),
        ("IsCustomer: active", {"active": "1"}, True),
        ("IsCustomer: active", {"active": "0"}, False),
        ("CustomerNumber: {expr: '41 + 1'}", {}, 42),
    ],
)
def test_the_declared_type_decides(rule: str, source: dict[str, str], expected: Any, tmp_path: Path) -> None:
    result = render(rule, tmp_path, **source)
    name = rule.split(":")[0]
    assert result.status == "ok", result.errors
    assert result.payload[name] == expected
    assert type(result.payload[name]) is type(expected)


def test_text_customer_number_is_a_record_error_never_zero(tmp_path: Path) -> None:
    result = render("CustomerNumber: debtor_number", tmp_path, debtor_number="14233Aaa")
    assert result.status == "error" and result.payload is None
    [error] = result.errors
    assert error.parameter == "CustomerNumber"
    assert error.message == "'14233Aaa' is not a whole number"
    assert error.rule is not None and error.rule.short() == "m.yaml:14"


def test_zero_customer_number_is_an_error(tmp_path: Path) -> None:
    result = render("CustomerNumber: debtor_number", tmp_path, debtor_number="0")
    assert result.status == "error"
    assert "0 means 'empty'" in result.errors[0].message


def test_empty_values_are_left_out(tmp_path: Path) -> None:
    result = render("Address_City: city\nAddress_Street: street", tmp_path, city="  ", street=None)
    assert result.status == "ok"
    assert "Address_City" not in result.payload and "Address_Street" not in result.payload


def test_map_default_fallback_when_required(tmp_path: Path) -> None:
    fields = """\
    GroupName: {from: debtor_type, map: {customer: Klanten, lead: Leads}, default: Overig}
    Address_City: {from: city, fallback: Onbekend}
    Address_Street: {from: street, when: 'city == "Utrecht"'}
    Address_Unit: {from: house_number, required: true}
    """
    plan = plan_for(fields, tmp_path)
    ok = Renderer(plan).render(record(debtor_type="prospect", city=None, street="Dam", house_number="1"))
    assert ok.payload["GroupName"] == "Overig"
    assert ok.payload["Address_City"] == "Onbekend"
    assert "Address_Street" not in ok.payload
    missing = Renderer(plan).render(record(debtor_type="lead", city="Utrecht", street="Dam"))
    assert missing.status == "error"
    assert [e.parameter for e in missing.errors] == ["Address_Unit"]


def test_unmapped_value_without_default_is_an_error(tmp_path: Path) -> None:
    result = render("GroupName: {from: debtor_type, map: {customer: Klanten}}", tmp_path, debtor_type="lead")
    assert result.status == "error"
    assert result.errors[0].message.startswith("'lead' is not in the map")


def test_keep_unmapped(tmp_path: Path) -> None:
    result = render(
        "GroupName: {from: debtor_type, map: {customer: Klanten}, keep_unmapped: true}", tmp_path, debtor_type="lead"
    )
    assert result.payload["GroupName"] == "lead"


def test_freefields_by_number_and_name_in_both_shapes(tmp_path: Path) -> None:
    fields = """\
    GroupName: {freefield: Contract}
    Address_City: "{{ ff[3] }}/{{ ff.Contract }}/{{ ff['Contract'] }}"
    """
    plan = plan_for(fields, tmp_path)
    for extra in ({"val_value_3": "Onderhoud"}, {"FreeFields": {"3": "Onderhoud"}}):
        result = Renderer(plan).render(record(**extra))
        assert result.payload["GroupName"] == "Onderhoud"
        assert result.payload["Address_City"] == "Onderhoud/Onderhoud/Onderhoud"


def test_custom_field_value_goes_to_the_parameter_its_type_names(tmp_path: Path) -> None:
    fields = """\
    Relation_CustomField:
      - {Label: Aantal, FieldType: Integer, value: {freefield: 3}}
      - {Label: Sinds, FieldType: Date, value: created_at}
      - {Label: Leeg, FieldType: TextSmall, value: remark}
    """
    result = render(fields, tmp_path, val_value_3="4", created_at="2024-03-05 10:00:00", remark="")
    assert result.payload["Relation_CustomField"] == [
        {"Label": "Aantal", "FieldType": "Integer", "IntValue": 4},
        {"Label": "Sinds", "FieldType": "Date", "DateTimeValue": "05-03-2024"},
    ]


@pytest.mark.parametrize(("value", "shown"), [("1e999", "inf"), ("-1e999", "-inf"), ("nan", "nan")])
def test_a_decimal_that_is_not_finite_is_a_record_error_never_sent(tmp_path: Path, value: str, shown: str) -> None:
    fields = 'Relation_CustomField: [{Label: Bedrag, FieldType: Decimal, value: {expr: "remark | float"}}]'
    result = render(fields, tmp_path, remark=value)
    assert result.status == "error" and result.payload is None
    assert [(e.parameter, e.message) for e in result.errors] == [
        ("Relation_CustomField[0].DecimalValue", f"{shown} is not a number Silvasoft can store")
    ]


def test_zero_date_is_empty(tmp_path: Path) -> None:
    fields = "Relation_CustomField: [{Label: Sinds, FieldType: Date, value: created_at}]"
    result = render(fields, tmp_path, created_at="0000-00-00 00:00:00")
    assert "Relation_CustomField" not in result.payload


def test_required_contact_names(tmp_path: Path) -> None:
    result = render("Address_City: city", tmp_path, contact="Jansen")
    assert result.payload["Relation_Contact"] == [{"FirstName": "-", "LastName": "Jansen"}]
    nobody = render("Address_City: city", tmp_path, contact="")
    assert nobody.status == "error"
    assert [(e.parameter, e.message) for e in nobody.errors] == [
        ("Relation_Contact[0].LastName", "required, but empty")
    ]


def test_every_failing_parameter_is_reported(tmp_path: Path) -> None:
    fields = """\
    CustomerNumber: debtor_number
    Address_CountryCode: country
    Address_PostalCode: "{{ postal_code | postcode(strict=true) }}"
    """
    result = render(fields, tmp_path, debtor_number="A1", country="Nederland", postal_code="12345")
    assert [e.parameter for e in result.errors] == ["Address_PostalCode", "Address_CountryCode", "CustomerNumber"]
    assert "country_code filter" in result.errors[1].message


def test_routes_skips_and_when(tmp_path: Path) -> None:
    base = BASE.replace(
        "routes:\n",
        "skip:\n  - {when: 'active == \"0\"', reason: inactive}\nroutes:\n"
        "  - name: companies\n    endpoint: addbusinessrelation\n    when: kvk_number is not blank\n"
        "    fields: {Name: name}\n",
    )
    plan = plan_for("Address_City: city", tmp_path, base)
    renderer = Renderer(plan)
    company = renderer.render(record(kvk_number="12345678"))
    assert (company.route, company.endpoint, company.payload) == (
        "companies",
        "addbusinessrelation",
        {"Name": "Jansen"},
    )
    private = renderer.render(record(kvk_number=""))
    assert private.endpoint == "addprivaterelation"
    skipped = renderer.render(record(active="0"))
    assert (skipped.status, skipped.reason) == ("skipped", "inactive")


def test_template_runtime_errors_and_sandbox_are_record_errors(tmp_path: Path) -> None:
    fields = """\
    Address_City: "{{ record.missing_key }}"
    Address_Street: "{% set name = '__cla' ~ 'ss__' %}{{ ''[name] }}"
    """
    result = render(fields, tmp_path)
    assert result.status == "error"
    messages = {e.parameter: e.message for e in result.errors}
    assert messages["Address_City"].startswith("template uses something this record does not have")
    assert messages["Address_Street"].startswith("template tried something the sandbox forbids: access to attribute")


def test_one_bad_record_never_stops_the_others(tmp_path: Path) -> None:
    plan = plan_for("CustomerNumber: debtor_number", tmp_path)
    raws = [
        {"debtor_number": "1", "contact": "A B"},
        {"debtor_number": "x", "contact": "A B"},
        [1],
        {"debtor_number": "3", "contact": "C D"},
    ]
    records = [normalize_record(raw, i, f"t:{i}") for i, raw in enumerate(raws)]
    statuses = [r.status for r in render_all(plan, records)]
    assert statuses == ["ok", "error", "error", "ok"]


def test_null_is_empty_text_in_templates(tmp_path: Path) -> None:
    fields = """\
    Address_City: "{{ city }}-{{ street }}"
    GroupName: "{{ email | lower }}"
    Address_Unit: "{{ ff[7] | upper }}"
    """
    result = render(fields, tmp_path, city=None, street="Dam", email=None, val_value_7=None)
    assert result.payload["Address_City"] == "-Dam"
    assert "GroupName" not in result.payload and "Address_Unit" not in result.payload


def test_a_template_assignment_stays_inside_its_template(tmp_path: Path) -> None:
    fields = """\
    Address_City: "{% set city = 'Elders' %}{{ city }}"
    Address_Street: "{{ city }}"
    """
    result = render(fields, tmp_path, city="Utrecht")
    assert (result.payload["Address_City"], result.payload["Address_Street"]) == ("Elders", "Utrecht")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("\u0661\u0662\u0663", "is not a whole number"),  # Arabic-Indic digits are no CustomerNumber
        ("9" * 30, "is too large for Silvasoft (a 64-bit whole number)"),
    ],
)
def test_a_customer_number_is_ascii_digits_within_64_bits(tmp_path: Path, value: str, message: str) -> None:
    result = render("CustomerNumber: debtor_number", tmp_path, debtor_number=value)
    assert result.status == "error"
    assert any(e.parameter == "CustomerNumber" and message in e.message for e in result.errors), result.errors
