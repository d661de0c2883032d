"""`relmap fields silvasoft`: per endpoint, which parameters an update can change; updaterelation/ listed too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from relmap.catalog.silvasoft import UPDATABLE
from relmap.sandbox import Sandbox
from relmap.sync.changes import update_params


def rows(run_cli, endpoint: str) -> list[dict[str, Any]]:
    result = run_cli("fields", "silvasoft", "--endpoint", endpoint, "--format", "json")
    assert result.code == 0
    found: list[dict[str, Any]] = json.loads(result.out)
    assert {row["endpoint"] for row in found} == {endpoint}
    return found


def test_updaterelation_lists_what_an_update_can_change(run_cli) -> None:
    listed = {row["name"]: row for row in rows(run_cli, "updaterelation")}
    top = {name for name in listed if "." not in name}
    assert top == {"RelationGUID", *UPDATABLE}
    assert (listed["RelationGUID"]["required"], listed["RelationGUID"]["updatable"]) == (True, False)
    assert all(row["updatable"] for name, row in listed.items() if name != "RelationGUID")
    assert "Relation_Contact[].FirstName" in listed and "GroupName" not in listed


@pytest.mark.parametrize("endpoint", ["addprivaterelation", "addbusinessrelation"])
def test_the_create_endpoints_say_which_parameters_are_create_only(run_cli, endpoint: str) -> None:
    listed = {row["name"]: row["updatable"] for row in rows(run_cli, endpoint)}
    assert listed["CustomerNumber"] and listed["Address_City"] and listed["Relation_Contact[].Email"]
    assert not listed["GroupName"] and not listed["OnExistingRelationEmail"] and not listed["CreateSalesLead"]
    assert not listed["Relation_CustomField"] and not listed["Relation_CustomField[].Label"]
    assert listed.get("Name", True) == listed.get("RegistrationNumber", True)  # business-only parameters update


def test_the_sync_sends_an_update_only_what_is_listed_updatable(run_cli) -> None:
    payload = {row["name"]: "x" for row in rows(run_cli, "addbusinessrelation") if "." not in row["name"]}
    payload["Relation_Contact"] = [{"FirstName": "A", "LastName": "B"}, {"FirstName": "C", "LastName": "D"}]
    sent = update_params(payload)
    updatable = {row["name"] for row in rows(run_cli, "addbusinessrelation") if row["updatable"]}
    assert set(sent) <= updatable and "GroupName" not in sent
    assert sent["Relation_Contact"] == [{"FirstName": "A", "LastName": "B"}]  # the main contact only


@pytest.fixture
def silvasoft() -> Iterator[tuple[Sandbox, requests.Session]]:
    with Sandbox(requests_per_hour=1000) as box, requests.Session() as session:
        session.headers.update(
            {"ApiKey": box.credentials["SILVASOFT_API_KEY"], "Username": box.credentials["SILVASOFT_USERNAME"]}
        )
        yield box, session


def test_the_emulator_accepts_what_is_listed_updatable_and_refuses_the_rest(run_cli, silvasoft) -> None:
    box, session = silvasoft
    created = session.post(
        f"{box.silvasoft_url}/addbusinessrelation/", json={"Name": "Acme BV", "CustomerNumber": 7001}
    )
    guid = created.json()[0]["RelationGUID"]
    samples = {"string": "NL", "integer": 7002, "boolean": True}
    for row in rows(run_cli, "addbusinessrelation"):
        kind, name = row["type"].split()[0], row["name"]
        if "." in name or kind not in samples:
            continue
        answer = session.put(f"{box.silvasoft_url}/updaterelation/", json={"RelationGUID": guid, name: samples[kind]})
        assert (answer.status_code == 200) == row["updatable"], (name, answer.text)


def test_endpoint_is_for_the_silvasoft_parameters(run_cli) -> None:
    result = run_cli("fields", "outsmart", "--endpoint", "updaterelation")
    assert result.code == 2 and "--endpoint is for the Silvasoft parameters" in result.err


def test_the_text_table_ends_with_what_updatable_means(run_cli, golden) -> None:
    result = run_cli("fields", "silvasoft", "--endpoint", "updaterelation")
    assert result.code == 0
    golden("fields-updaterelation.txt", result.out)
