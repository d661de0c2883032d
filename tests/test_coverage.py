"""Coverage: the fields a mapping never reads, the parameters it never sets, and what the data never exercised."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import MAPPINGS, ROOT, SAMPLES, CliResult

from relmap.mapping.compiled import CompiledMapping
from relmap.mapping.compiler import compile_file, compile_text
from relmap.mapping.coverage import Coverage, measure
from relmap.mapping.reads import code_reads
from relmap.sources.files import read_records
from relmap.sources.records import SourceRecord

# Fields no shipped mapping reads: internal bookkeeping, coordinates and lead data.
NEVER_READ = (
    "accountmanager", "created_at", "created_by", "debtor_number_invoice", "discount_sales", "external_id",
    "language", "latitude", "lead_phase", "lead_score", "lead_value", "lead_value_recurring", "longitude",
    "loss_reason", "marketing_opt_out", "modified_at", "modified_by", "pgp_code", "source", "status",
)  # fmt: skip
FREEFIELD_NAMES = {
    1: "Contracttype", 2: "Klant sinds", 3: "Aantal installaties", 4: "Nieuwsbrief", 5: "IBAN", 6: "Betaaltermijn",
    7: "Opmerking factuur",
}  # fmt: skip
KEYS = [
    *("fields_unread", "freefields_unread", "parameters_unset", "lookup_values_unseen", "routes_unmatched", "records"),
    "warnings_per_rule",
]


def plan_of(name: str) -> CompiledMapping:
    compiled = compile_file(MAPPINGS / name, display=f"mappings/{name}")
    assert compiled.plan is not None
    return compiled.plan


def samples(name: str = "relations.json") -> list[SourceRecord]:
    return [r for r in read_records(SAMPLES / name) if isinstance(r, SourceRecord)]


def plan_from(text: str, tmp_path: Path) -> CompiledMapping:
    (tmp_path / "in.json").write_text("[]", encoding="utf-8")
    compiled = compile_text(text, "m.yaml", tmp_path)
    assert compiled.plan is not None, [d.text() for d in compiled.diagnostics]
    return compiled.plan


def test_static_coverage_of_business_routing() -> None:
    coverage = measure(plan_of("business-routing.yaml")).as_dict()
    assert list(coverage) == KEYS
    # remark is read by no route; debtor_type only by the source filter, active only by the skip, kvk by a when
    assert coverage["fields_unread"] == sorted([*NEVER_READ, "remark"])
    assert coverage["freefields_unread"] == []
    assert coverage["parameters_unset"] == {
        "addbusinessrelation": [
            "CreateSalesLead", "IsOther", "OnExistingRelationEmail", "OnExistingRelationNumber", "Relation_BankAccount",
            "Relation_Contact.ContactNotes", "Relation_CustomField", "Relation_SalesLead",
        ],
        "addprivaterelation": [
            "CreateSalesLead", "IsOther", "OnExistingRelationEmail", "OnExistingRelationName",
            "OnExistingRelationNumber", "Relation_BankAccount", "Relation_Contact.ContactNotes", "Relation_CustomField",
            "Relation_SalesLead",
        ],
    }  # fmt: skip
    assert (coverage["lookup_values_unseen"], coverage["routes_unmatched"], coverage["records"]) == ([], [], None)


def test_static_coverage_of_freefields_custom_fields() -> None:
    coverage = measure(plan_of("freefields-custom-fields.yaml"))
    # every declared freefield is read: by freefield rules, ff.Nieuwsbrief in an expr, ff.IBAN in a when
    assert coverage.freefields_unread == ()
    assert coverage.fields_unread == tuple(
        sorted([*NEVER_READ, "email_workorder", "kvk_number", "remark", "vat_number"])
    )
    assert coverage.parameters_unset == {
        "addprivaterelation": (
            "CreateSalesLead", "IsOther", "OnExistingRelationEmail", "OnExistingRelationName",
            "OnExistingRelationNumber", "Relation_BankAccount.BIC", "Relation_BankAccount.Place",
            "Relation_BankAccount.SkipIBANCheck", "Relation_Contact.ContactNotes", "Relation_Contact.Sex",
            "Relation_CustomField.TypeOfRelation", "Relation_SalesLead",
        )
    }  # fmt: skip


def test_static_coverage_of_private_relations() -> None:
    coverage = measure(plan_of("private-relations.yaml"))
    assert "remark" not in coverage.fields_unread  # ContactNotes: remark
    assert coverage.fields_unread == tuple(sorted([*NEVER_READ, "email_workorder", "kvk_number", "vat_number"]))
    assert coverage.parameters_unset == {
        "addprivaterelation": (
            "CreateSalesLead", "IsOther", "OnExistingRelationName", "Relation_BankAccount", "Relation_CustomField",
            "Relation_SalesLead",
        )
    }  # fmt: skip
    assert coverage.lines()[:2] == [
        f"never read: {len(coverage.fields_unread)} OutSmart fields: " + ", ".join(coverage.fields_unread),
        "every freefield the mapping names is read (the data's other freefields: --input FILE)",
    ]


def test_data_coverage_on_the_samples() -> None:
    routing = measure(plan_of("business-routing.yaml"), samples())
    assert routing.records == 40
    assert routing.routes_unmatched == ()
    # the samples hold 7 freefields that this mapping never reads; it declares no names for them
    assert [(f.number, f.name) for f in routing.freefields_unread] == [(n, None) for n in range(1, 8)]
    freefields = measure(plan_of("freefields-custom-fields.yaml"), samples())
    assert freefields.lookup_values_unseen == () and freefields.freefields_unread == ()
    assert freefields.lines()[-4:] == [
        "map values never seen: none",
        "every route matched a record",
        "record warnings: none",
        "measured on 40 records",
    ]


def test_an_unmatched_route_and_an_unseen_lookup_value(tmp_path: Path) -> None:
    plan = plan_from(
        "relmap: 1\nsource:\n  file: {path: in.json}\nfreefields: {Klantcode: 9}\nroutes:\n"
        "  - name: companies\n    endpoint: addbusinessrelation\n    when: kvk_number is not blank\n"
        "    fields: {Name: name}\n"
        "  - name: consumers\n    endpoint: addprivaterelation\n    fields:\n"
        "      GroupName: {from: debtor_type, map: {customer: Klant, lead: Lead, supplier: Leverancier}}\n"
        "      Relation_Contact:\n        - FirstName: name\n          LastName: name\n"
        "          Sex: {template: '{{ contact | salutation_sex }}', map: {Man: Man, Vrouw: Vrouw},\n"
        "                keep_unmapped: true}\n",
        tmp_path,
    )
    records = [
        SourceRecord(0, "in.json:1", {"debtor_number": "1", "name": "Jansen", "contact": "Dhr. Jansen",
                                      "debtor_type": "customer"}, {3: "x"}),
        SourceRecord(1, "in.json:2", {"debtor_number": "2", "name": "Visser", "debtor_type": "Customer"}, {}),
    ]  # fmt: skip
    coverage = measure(plan, records)
    assert coverage.routes_unmatched == ("companies",)
    assert coverage.as_dict()["lookup_values_unseen"] == [
        {"parameter": "GroupName", "rule": "m.yaml:13", "values": ["lead", "supplier"]},
        {"parameter": "Relation_Contact[0].Sex", "rule": "m.yaml:17", "values": ["Vrouw"]},
    ]
    # freefield 3 holds a value in the data, 9 is declared: neither is read
    assert coverage.as_dict()["freefields_unread"] == [{"number": 3, "name": None}, {"number": 9, "name": "Klantcode"}]
    assert coverage.records == 2
    lines = coverage.lines()
    assert "map values never seen: GroupName (m.yaml:13): 'lead', 'supplier'" in lines
    assert "routes never matched: 1 route: companies" in lines
    assert "never read: 2 freefields: ff[3], ff[9] Klantcode" in lines


def test_template_reads_come_from_the_ast() -> None:
    names = {"Klantcode": 4, "IBAN": 5}
    reads = code_reads(
        "{{ name ~ ff[3] ~ ff['Klantcode'] ~ ff.IBAN ~ record['email'] ~ record.fax ~ vars.x }}"
        "{% set city = 'x' %}{{ city }}{% for street in [1] %}{{ street }}{% endfor %}",
        expression=False,
        freefields=names,
    )
    assert reads.fields == ("name", "email")  # city and street are the template's own names here
    assert reads.freefields == (3, 4, 5)
    assert (reads.variables, reads.record_keys) == (("x",), ("fax",))
    assert not reads.whole_record and not reads.whole_freefields
    assert code_reads("record | tojson", expression=True, freefields={}).whole_record
    assert code_reads("record.get('email')", expression=True, freefields={}).whole_record
    assert code_reads("ff[n]", expression=True, freefields={}).whole_freefields


def test_reading_the_whole_record_reads_every_field(tmp_path: Path) -> None:
    plan = plan_from(
        "relmap: 1\nsource:\n  file: {path: in.json}\nroutes:\n  - endpoint: addprivaterelation\n    fields:\n"
        "      Relation_Contact: [{FirstName: name, LastName: name, ContactNotes: '{{ record | tojson }}'}]\n",
        tmp_path,
    )
    coverage = measure(plan)
    assert coverage.fields_unread == ()
    assert coverage.lines()[0] == "every OutSmart field is read"


def test_validate_verbose_text(run_cli: Callable[..., CliResult], golden: Callable[[str, str], None]) -> None:
    result = run_cli("validate", "--verbose", "mappings/business-routing.yaml", "tests/cases/many-mistakes.yaml")
    assert result.code == 1
    golden("validate-verbose-static.txt", result.out)
    assert result.out.splitlines()[:2] == ["mappings/business-routing.yaml: ok", "  coverage:"]
    assert (
        "tests/cases/many-mistakes.yaml: 17 errors, 1 warning\n  coverage: not measured, the mapping has errors\n"
        in (result.out)
    )
    with_data = run_cli(
        "validate", "-v", "mappings/freefields-custom-fields.yaml", "--input", "mappings/samples/relations.csv"
    )
    assert with_data.code == 0
    golden("validate-verbose-input.txt", with_data.out)
    assert "    measured on 8 records\n" in with_data.out


def test_validate_verbose_json_keeps_the_shape(run_cli: Callable[..., CliResult]) -> None:
    args = ("validate", "-v", "tests/cases/many-mistakes.yaml", "mappings/private-relations.yaml", "--format", "json")
    document = json.loads(run_cli(*args, "--input", "mappings/samples/relations.json").out)
    plain = json.loads(run_cli(*[a for a in args if a != "-v"]).out)
    assert document["format_version"] == plain["format_version"] == 1
    for verbose, file in zip(document["files"], plain["files"], strict=True):
        assert {k: v for k, v in verbose.items() if k != "coverage"} == file
    broken, private = document["files"]
    assert broken["coverage"] is None
    assert list(private["coverage"]) == KEYS
    assert private["coverage"]["records"] == 40
    assert private["coverage"]["freefields_unread"] == [{"number": n, "name": None} for n in FREEFIELD_NAMES]
    assert "coverage" not in plain["files"][1]


def test_input_needs_verbose(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("validate", "mappings/private-relations.yaml", "--input", "mappings/samples/relations.json")
    assert (result.code, result.out) == (2, "")
    assert result.err == "relmap validate: error: --input measures coverage on data, which only --verbose shows\n"


def test_unreadable_records_are_counted(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    export = tmp_path / "in.jsonl"
    export.write_text('{"debtor_number": "1", "name": "A"}\n{"name": "no number"}\n', encoding="utf-8")
    result = run_cli("validate", "-v", "mappings/private-relations.yaml", "--input", str(export))
    assert result.code == 0
    assert "    measured on 1 record\n" in result.out
    assert "1 record of" in result.err and "cannot be read" in result.err


def test_plain_validate_does_not_load_coverage() -> None:
    code = (
        "import sys\nfrom relmap.cli import main\n"
        f"main(['validate', {str(MAPPINGS / 'freefields-custom-fields.yaml')!r}])\n"
        "print(sorted(m for m in sys.modules if m in ('relmap.mapping.coverage', 'relmap.mapping.explain')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("name", ["business-routing.yaml", "freefields-custom-fields.yaml", "private-relations.yaml"])
def test_coverage_is_frozen_and_lines_match_the_dict(name: str) -> None:
    coverage = measure(plan_of(name), samples("relations.jsonl"))
    assert isinstance(coverage, Coverage)
    with pytest.raises(AttributeError):
        coverage.records = 0  # type: ignore[misc]
    text = "\n".join(coverage.lines())
    for field in coverage.fields_unread:
        assert field in text
    for endpoint in coverage.parameters_unset:
        assert f"never set in {endpoint}" in text or f"every {endpoint} parameter is set" in text
    assert f"measured on {coverage.records} record" in text
