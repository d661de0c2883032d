"""`relmap explain`: one relation, every decision and parameter, exactly as the Renderer renders it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MAPPINGS, SAMPLES, CliResult

from relmap.mapping.compiled import CompiledMapping
from relmap.mapping.compiler import compile_file
from relmap.mapping.explain import Explanation, Step, explain
from relmap.mapping.render import Renderer
from relmap.sandbox import CREDENTIALS
from relmap.sandbox.harness import Sandbox
from relmap.sources.files import read_records
from relmap.sources.records import RecordProblem, SourceRecord

SHIPPED = sorted(p.name for p in MAPPINGS.glob("*.yaml") if not p.name.endswith(".tests.yaml"))
SAMPLE_FILES = ("relations.json", "relations.jsonl", "relations.csv")
GOLDEN = {  # one relation of each shipped mapping, chosen to show what that mapping does
    "bookkeeping-policy.yaml": "10030",  # a phone number left out with a record warning, a fallback first name
    "business-routing.yaml": "10002",  # the companies route, a parameter with its own when
    "freefields-custom-fields.yaml": "10001",  # freefields by name, a lookup table, an item left out
    "private-relations.yaml": "10004",  # a fallback
}
INPUT = ("--input", "mappings/samples/relations.json")


def plan_of(name: str) -> CompiledMapping:
    compiled = compile_file(MAPPINGS / name, display=f"mappings/{name}")
    assert compiled.plan is not None
    return compiled.plan


def rebuilt(steps: tuple[Step, ...]) -> dict[str, Any]:
    """The payload the explanation's parameters add up to: every value marked set, at its place."""
    tree: dict[Any, Any] = {}
    for step in steps:
        if step.status != "set" or step.kind in ("array", "item", "object"):
            continue
        *parents, name = step.path
        node = tree
        for key in parents:
            node = node.setdefault(key, {})
        node[name] = step.value

    def lists(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        if node and all(isinstance(key, int) for key in node):
            return [lists(node[key]) for key in sorted(node)]
        return {key: lists(value) for key, value in node.items()}

    result: dict[str, Any] = lists(tree)
    return result


def test_golden_relations_are_in_the_samples() -> None:
    assert set(GOLDEN) == set(SHIPPED)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_text_explanation_of_each_shipped_mapping(
    name: str, run_cli: Callable[..., CliResult], golden: Callable[[str, str], None]
) -> None:
    result = run_cli("explain", f"mappings/{name}", GOLDEN[name], *INPUT)
    assert (result.code, result.err) == (0, "")
    golden(f"explain-{name.removesuffix('.yaml')}.txt", result.out)


def test_the_text_shows_reads_lookup_fallback_and_conversion(run_cli: Callable[..., CliResult]) -> None:
    out = run_cli("explain", "mappings/freefields-custom-fields.yaml", "10001", *INPUT).out
    assert '      freefield ff[1] Contracttype = "Onderhoud"\n' in out
    assert '      map       "Onderhoud" → "Onderhoudscontract"\n' in out
    assert '      reads     ff[4] Nieuwsbrief = "1"\n' in out  # ff.Nieuwsbrief, found in the expression's AST
    assert '      value     "12-04-2016"  (date as %d-%m-%Y from "2016-04-12")\n' in out
    assert "  Relation_CustomField[5]  (mappings/freefields-custom-fields.yaml:83)  item\n" in out
    assert "left out  nothing of the record's own data came out" in out
    fallback = run_cli("explain", "mappings/private-relations.yaml", "10004", *INPUT).out
    assert '      fallback  "-" (the value was empty)\n      value     "-"  (text)\n' in fallback


def test_an_erroring_relation_shows_the_rule_and_message(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("explain", "mappings/private-relations.yaml", "14233Aaa", *INPUT)
    assert result.code == 1
    message = "CustomerNumber: '14233Aaa' is not a whole number (mappings/private-relations.yaml:37)"
    assert (
        "  CustomerNumber  (mappings/private-relations.yaml:37)\n"
        '      field     debtor_number = "14233Aaa"\n'
        f"      error     {message}\n"
    ) in result.out
    assert f"result: error, nothing would be sent\n  error: {message}\n\nidentity\n" in result.out


def test_an_error_inside_an_object(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("explain", "mappings/freefields-custom-fields.yaml", "10011", *INPUT, "--format", "json")
    assert result.code == 1
    document = json.loads(result.out)
    [iban] = [p for p in document["parameters"] if p["parameter"] == "Relation_BankAccount.IBAN"]
    assert iban["status"] == "error" and iban["failed_at"] == "source"
    assert iban["rule"] == "mappings/freefields-custom-fields.yaml:88"
    assert (
        iban["errors"]
        == document["errors"]
        == [
            {
                "parameter": "Relation_BankAccount.IBAN",
                "message": "not a valid IBAN: 'NL91ABNA0417164301'",
                "rule": "mappings/freefields-custom-fields.yaml:88",
            }
        ]
    )


def test_a_skipped_relation_says_which_skip(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("explain", "mappings/business-routing.yaml", "10014", *INPUT)
    assert result.code == 0
    assert (
        '  skip when active == "0" → true: skipped, inactive in OutSmart  (mappings/business-routing.yaml:25)\n'
        '      active = "0"\n'
        "  ⇒ skipped: inactive in OutSmart\n"
    ) in result.out
    assert "parameters of" not in result.out
    filtered = run_cli("explain", "mappings/business-routing.yaml", "10008", *INPUT)
    assert "  source filter debtor_type eq 'customer' → false  (mappings/business-routing.yaml:13)\n" in filtered.out
    assert "result: skipped: source filter debtor_type eq 'customer'\n" in filtered.out


def test_a_skip_of_the_chosen_route(
    run_cli: Callable[..., CliResult], write_mapping: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "in.json").write_text(json.dumps([{"debtor_number": "5", "name": " "}]), encoding="utf-8")
    mapping = write_mapping(
        "relmap: 1\nsource:\n  file: {path: in.json}\nroutes:\n  - name: companies\n    endpoint: addbusinessrelation\n"
        "    skip: [{when: name is blank, reason: no company name}]\n    fields: {Name: name}\n"
    )
    result = run_cli("explain", str(mapping), "5", "--format", "json")
    assert result.code == 0
    document = json.loads(result.out)
    assert (document["status"], document["reason"], document["parameters"]) == ("skipped", "no company name", [])
    [route, skip] = document["decisions"]
    assert (route["kind"], route["route"], route["chosen"], route["text"]) == ("route", "companies", True, "")
    assert (skip["kind"], skip["route"], skip["result"], skip["location"]) == (
        "route skip",
        "companies",
        True,
        f"{mapping}:7",
    )
    text = run_cli("explain", str(mapping), "5").out
    assert "  skip of route companies when name is blank → true: skipped, no company name  (" in text


def test_routes_are_tried_in_order(run_cli: Callable[..., CliResult]) -> None:
    out = run_cli("explain", "mappings/business-routing.yaml", "10001", *INPUT).out
    assert "  route companies when kvk_number or vat_number → false  (mappings/business-routing.yaml:40)\n" in out
    assert "  route consumers (no when: takes every relation) → chosen  (mappings/business-routing.yaml:64)\n" in out
    assert "  ⇒ consumers → addprivaterelation\n" in out


def test_a_relation_not_found_names_close_ones(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("explain", "mappings/private-relations.yaml", "1001", *INPUT)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "relmap: error: no relation with debtor_number '1001' in mappings/samples/relations.json "
        "(close: 10001, 10010, 10011, 10012, 10013)\n"
    )


def test_outsmart_eq_finds_a_number_with_a_leading_zero(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("explain", "mappings/private-relations.yaml", "10045", *INPUT)
    assert result.code == 0
    assert result.out.startswith("relation 010045  (mappings/samples/relations.json:")
    assert "note: no debtor_number is exactly '10045'; OutSmart's eq matches '010045'\n" in result.out


def test_json_format(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("explain", "mappings/business-routing.yaml", "10002", *INPUT, "--format", "json")
    assert result.code == 0
    document = json.loads(result.out)
    assert list(document) == [
        "format_version", "mapping", "debtor_number", "origin", "status", "reason", "route", "endpoint",
        "decisions", "parameters", "payload", "errors", "notes", "warnings", "identity",
    ]  # fmt: skip
    assert document["identity"]["state"] is None  # no run has made mappings/.relmap/business-routing.db
    assert (document["status"], document["route"], document["endpoint"]) == ("ok", "companies", "addbusinessrelation")
    assert [(d["kind"], d["result"], d["chosen"]) for d in document["decisions"]] == [
        ("filter", True, False),
        ("skip", False, False),
        ("route", True, True),
    ]
    registration = next(p for p in document["parameters"] if p["parameter"] == "RegistrationNumber")
    assert registration["when"]["text"] == "kvk_number is not blank" and registration["when"]["result"] is True
    assert registration["reads"] == [{"name": "kvk_number", "label": None, "value": "30123456"}]
    assert (registration["kind"], registration["source"], registration["value"]) == (
        "template",
        "{{ kvk_number | kvk }}",
        "30123456",
    )
    rendered = run_cli("render", "mappings/business-routing.yaml", *INPUT, "--format", "jsonl").out.splitlines()
    [same] = [json.loads(line) for line in rendered if json.loads(line)["debtor_number"] == "10002"]
    assert document["payload"] == same["payload"]


def test_a_record_that_cannot_be_read(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    export = tmp_path / "bad.jsonl"
    export.write_text('{"debtor_number": "7", "name": "X", "val_value_99": "y"}\n', encoding="utf-8")
    result = run_cli("explain", "mappings/private-relations.yaml", "7", "--input", str(export))
    assert result.code == 1
    assert "  error: record: freefield val_value_99 has number 99, outside 1..50\n" in result.out


def test_a_when_that_fails_is_shown_with_its_rule(
    run_cli: Callable[..., CliResult], write_mapping: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "in.json").write_text(
        json.dumps([{"debtor_number": "1", "name": "Jansen", "kvk_number": "12"}]), encoding="utf-8"
    )
    mapping = write_mapping(
        "relmap: 1\nsource:\n  file: {path: in.json}\nroutes:\n"
        "  - name: companies\n    endpoint: addbusinessrelation\n    when: (kvk_number | kvk) != ''\n"
        "    fields: {Name: name}\n"
    )
    result = run_cli("explain", str(mapping), "1")
    assert result.code == 1
    assert (
        f"  route companies when (kvk_number | kvk) != '' → error: not a KvK number (8 digits): '12'  ({mapping}:7)\n"
        '      kvk_number = "12"\n'
    ) in result.out
    assert f"  error: route companies when: not a KvK number (8 digits): '12' ({mapping}:7)\n" in result.out


def test_lookup_default_and_miss_and_left_out_items(
    run_cli: Callable[..., CliResult], write_mapping: Callable[..., Path], tmp_path: Path
) -> None:
    rows = [{"debtor_number": "1", "name": "A", "contact": "", "debtor_type": "odd"}]
    (tmp_path / "in.json").write_text(json.dumps(rows), encoding="utf-8")
    text = (
        "relmap: 1\nsource:\n  file: {path: in.json}\nroutes:\n  - endpoint: addprivaterelation\n    fields:\n"
        "      GroupName: {from: debtor_type, map: {customer: Klant}, RULE}\n"
        "      Relation_Contact:\n        - FirstName: {value: X}\n          LastName: name\n"
        "        - when: contact is not blank\n          FirstName: contact\n          LastName: contact\n"
    )
    default = run_cli("explain", str(write_mapping(text.replace("RULE", "default: Overig"))), "1")
    assert default.code == 0
    assert '      map       "odd" is not in the map → default "Overig"\n' in default.out
    assert "  Relation_Contact[1]  (" in default.out and "      left out  its when is false\n" in default.out
    assert (
        "  Relation_Contact[1].FirstName  (" in default.out and "  not evaluated: its item is left out" in default.out
    )
    miss = run_cli("explain", str(write_mapping(text.replace(", RULE", ""))), "1", "--format", "json")
    assert miss.code == 1
    group = next(p for p in json.loads(miss.out)["parameters"] if p["parameter"] == "GroupName")
    assert (group["lookup"], group["failed_at"]) == ({"key": "odd", "outcome": "miss", "value": None}, "lookup")


def test_reads_are_found_in_the_template_ast(
    run_cli: Callable[..., CliResult], write_mapping: Callable[..., Path], tmp_path: Path
) -> None:
    rows = [{"debtor_number": "1", "name": "A", "city": "Gouda", "FreeFields": {"3": "x"}, "extra": "e"}]
    (tmp_path / "in.json").write_text(json.dumps(rows), encoding="utf-8")
    mapping = write_mapping(
        "relmap: 1\nsource:\n  file: {path: in.json}\nfreefields: {Klantcode: 3}\nvars: {land: NL}\nroutes:\n"
        "  - endpoint: addprivaterelation\n    fields:\n"
        "      Address_City: \"{{ city ~ ff['Klantcode'] ~ vars.land ~ record['extra'] }}{% set city = 1 %}\"\n"
        "      Relation_Contact: [{FirstName: name, LastName: name}]\n"
    )
    out = run_cli("explain", str(mapping), "1").out
    assert (
        '      reads     city = "Gouda"\n'
        '                ff[3] Klantcode = "x"\n'
        '                vars.land = "NL"\n'
        "                record['extra'] = \"e\"\n"
        "      steps     set city = 1\n"  # the template's own assignment, traced
        '      result    "GoudaxNLe"\n'
    ) in out


def test_usage_and_setting_errors_are_clear(run_cli: Callable[..., CliResult]) -> None:
    both = run_cli("explain", "mappings/private-relations.yaml", "10001", *INPUT, "--sandbox")
    assert (both.code, both.err) == (2, "relmap explain: error: give --input FILE or --sandbox, not both\n")
    api = run_cli("explain", "mappings/private-relations.yaml", "10001")
    assert api.code == 2 and "Traceback" not in api.err
    assert api.err.startswith(
        "relmap: error: mappings/private-relations.yaml: source.outsmart.token needs the environment variable "
        "OUTSMART_TOKEN, which is not set"
    )
    broken = run_cli("explain", "tests/cases/many-mistakes.yaml", "10001", *INPUT)
    assert broken.code == 2 and broken.err.endswith("relmap: error: the mapping has errors; nothing was explained\n")


@pytest.mark.parametrize("name", ["business-routing.yaml", "freefields-custom-fields.yaml"])
def test_sandbox_round_trip_over_http(name: str, run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """The relation comes from the OutSmart emulator over real HTTP; its explanation is the export's."""
    shutil.copy(MAPPINGS / name, tmp_path / name)
    over_http = run_cli("explain", name, "10002", "--sandbox", "--format", "json", cwd=tmp_path)
    assert over_http.code == 0, over_http.err
    assert over_http.err.startswith("sandbox: emulated OutSmart and Silvasoft on 127.0.0.1")
    for secret in CREDENTIALS.values():
        assert secret not in over_http.out + over_http.err
    from_file = run_cli("explain", f"mappings/{name}", "10002", *INPUT, "--format", "json")
    api, export = json.loads(over_http.out), json.loads(from_file.out)
    assert api["origin"] == "OutSmart relation 10002"
    assert api["payload"] == export["payload"] and api["payload"] is not None
    for document in (api, export):
        document.pop("origin"), document.pop("mapping")
        for item in [*document["decisions"], *document["parameters"]]:
            for key in ("location", "rule"):
                item.pop(key, None)
            if item.get("when"):
                item["when"].pop("location")
    assert api == export
    missing = run_cli("explain", name, "99999", "--sandbox", cwd=tmp_path)
    assert missing.code == 2
    assert "relmap: error: no relation with debtor_number '99999' in OutSmart" in missing.err


@pytest.mark.parametrize("sample", SAMPLE_FILES)
@pytest.mark.parametrize("name", SHIPPED)
def test_explanations_agree_with_the_renderer(name: str, sample: str) -> None:
    plan = plan_of(name)
    renderer = Renderer(plan)
    records = list(read_records(SAMPLES / sample))
    assert len(records) >= 8
    for record in records:
        explanation = explain(plan, record)
        if isinstance(record, RecordProblem):
            assert explanation.status == "error" and explanation.errors[0].message == record.message
            continue
        assert isinstance(record, SourceRecord)
        check_agreement(explanation, renderer.render(record))


def check_agreement(explanation: Explanation, rendered: Any) -> None:
    where = f"{explanation.mapping} {explanation.debtor_number}"
    assert (explanation.status, explanation.route, explanation.endpoint, explanation.reason) == (
        rendered.status,
        rendered.route,
        rendered.endpoint,
        rendered.reason,
    ), where
    assert explanation.errors == rendered.errors, where
    assert explanation.payload == rendered.payload, where
    if rendered.status == "ok":
        payload = rebuilt(explanation.steps)
        assert json.dumps(payload) == json.dumps(rendered.payload), where  # the same values, in the same order
    # every error of the render is explained at exactly one parameter or decision
    shown = [e for s in explanation.steps for e in s.errors]
    shown += [e for e in rendered.errors if any(d.test.error == e.message for d in explanation.decisions)]
    assert sorted(map(str, shown)) == sorted(map(str, rendered.errors)), where
    for step in explanation.steps:
        assert (step.status == "error") == bool(step.errors), (where, step.parameter)


def test_explain_shows_the_identity_step_from_the_state(
    sandbox: Sandbox, sync: Callable[..., CliResult], run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    sync()
    mapping = str(tmp_path / "routing.yaml")
    linked = run_cli("explain", mapping, "10001", cwd=tmp_path)
    guid = next(r["RelationGUID"] for r in sandbox.silvasoft.relations() if r["CustomerNumber"] == 10001)
    assert f"identity\n  linked to Silvasoft relation {guid} (matched by new, " in linked.out, linked.out + linked.err
    assert "its payload is the one last synced: the next run sends nothing for it" in linked.out
    conflict = run_cli("explain", mapping, "10005", "--format", "json", cwd=tmp_path)
    known = json.loads(conflict.out)["identity"]
    assert known["guid"] is None and known["problem"]["kind"] == "conflict"
    assert "shares its e-mail address" in known["problem"]["message"]
    text = run_cli("explain", mapping, "10005", cwd=tmp_path).out
    assert "  not linked: a run looks for it in Silvasoft by CustomerNumber 10005 then e-mail " in text
    assert "  not in step: conflict since " in text
