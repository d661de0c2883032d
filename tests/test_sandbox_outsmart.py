"""The OutSmart emulator over real HTTP: envelope codes, auth, filters, freefields, POST upsert."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from conftest import NOW, FakeClock

from relmap.sandbox import Sandbox

NOW_TEXT = "2026-01-01 00:00:00"


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    with Sandbox(clock=clock) as box:
        yield box
    assert box.outsmart.failures == []


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


Call = Callable[..., dict[str, Any]]


@pytest.fixture
def call(sandbox: Sandbox, session: requests.Session) -> Call:
    """Call OutSmart with valid tokens (unless given) and return the envelope; the HTTP status is always 200."""

    def send(
        method: str, path: str, params: list[tuple[str, str]] | None = None, auth: bool = True, **kw: Any
    ) -> dict[str, Any]:
        tokens = [("token", sandbox.credentials["OUTSMART_TOKEN"])]
        tokens.append(("software_token", sandbox.credentials["OUTSMART_SOFTWARE_TOKEN"]))
        response = session.request(
            method, sandbox.outsmart_url + path, params=(tokens if auth else []) + (params or []), **kw
        )
        assert response.status_code == 200
        envelope: dict[str, Any] = response.json()
        return envelope

    return send


def debtors(envelope: dict[str, Any]) -> list[str]:
    assert envelope["code"] == 200, envelope
    return [r["debtor_number"] for r in envelope["response"]]


def flt(key: str, operator: str, value: str) -> list[tuple[str, str]]:
    return [("key[]", key), ("value[]", value), ("operator[]", operator)]


def test_get_relations_returns_every_seed_relation_without_freefields(call: Call, sandbox: Sandbox) -> None:
    envelope = call("GET", "/relations/")
    assert envelope["messages"] == []
    relations = envelope["response"]
    assert len(relations) == 40
    first = relations[0]
    assert first["debtor_number"] == "10001" and first["postal_code"] == "1234ab" and first["pgp_code"] is None
    assert not [k for r in relations for k in r if k.startswith("val_value_") or k == "FreeFields"]
    assert sandbox.outsmart.count("relations", "GET", ok_only=True) == 1


def test_include_freefields_adds_every_declared_freefield_in_both_seed_shapes(call: Call) -> None:
    relations = {r["debtor_number"]: r for r in call("GET", "/relations/", [("includeFreefields", "true")])["response"]}
    wanted = [f"val_value_{n}" for n in range(1, 8)]
    assert all([k for k in r if k.startswith("val_value_")] == wanted for r in relations.values())
    assert relations["10001"]["val_value_1"] == "Onderhoud"  # top-level val_value_N in the seed
    assert relations["10002"]["val_value_7"] == "Inkoopordernummer vermelden"  # a FreeFields object in the seed
    assert [relations["10006"][k] for k in wanted] == [None] * 7  # no freefields at all: declared ones are null


def test_path_without_trailing_slash_is_accepted(call: Call) -> None:
    assert len(call("GET", "/relations")["response"]) == 40


@pytest.mark.parametrize(
    ("key", "operator", "value", "expected"),
    [
        ("zip", "eq", "1234AB", ["10001"]),  # compares without case, on the column name zip
        ("active", "ne", "1", ["10014", "10022", "10025"]),
        ("modified_at", "gt", "2025-02-03 12:12:12", ["10034", "10036"]),
        ("modified_at", "ge", "2025-02-03 12:12:12", ["10009", "10034", "10036"]),
        ("created_at", "lt", "2011-01-01 00:00:00", ["10004", "152346"]),  # the zero date sorts first
        ("created_at", "le", "2010-10-10 10:10:10", ["10004", "152346"]),
        ("city", "li", "%dam", ["10003", "10004", "10012", "10018", "10034"]),
        ("werkbonmailto", "li", "werkbonnen@%", ["10002"]),
    ],
)
def test_each_filter_operator(call: Call, key: str, operator: str, value: str, expected: list[str]) -> None:
    assert debtors(call("GET", "/relations/", flt(key, operator, value))) == expected


def test_filters_are_anded_in_order(call: Call) -> None:
    params = flt("city", "eq", "utrecht") + flt("debtor_type", "eq", "customer") + flt("modified_at", "ge", "2024")
    assert debtors(call("GET", "/relations/", params)) == ["10002", "10023"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (flt("postal_code", "eq", "1234AB"), "Unknown filter key 'postal_code'"),
        ([("key[]", "active"), ("value[]", "eq"), ("operator[]", "1")], "Unknown filter operator '1'"),
        ([("key[]", "active"), ("value[]", "1")], "got 1 key[], 1 value[] and 0 operator[]"),
    ],
)
def test_bad_filters_are_refused_with_1007(call: Call, params: list[tuple[str, str]], message: str) -> None:
    envelope = call("GET", "/relations/", params)
    assert envelope["code"] == 1007 and message in envelope["messages"][0]


def test_freefields_endpoint_lists_settings_and_filters_them(call: Call) -> None:
    assert [s["fld_order"] for s in call("GET", "/freefields/")["response"]] == [str(n) for n in range(1, 8)]
    assert len(call("GET", "/freefields/", flt("fld_entity", "eq", "CLIENT"))["response"]) == 7
    assert call("GET", "/freefields/", flt("fld_entity", "ne", "CLIENT"))["response"] == []
    assert [s["fld_name"] for s in call("GET", "/freefields/", flt("fld_name", "li", "%termijn"))["response"]] == [
        "Betaaltermijn"
    ]
    assert call("GET", "/freefields/", flt("fld_order", "eq", "5"))["response"][0]["fld_name"] == "IBAN"
    assert call("GET", "/freefields/", flt("fld_values", "eq", "x"))["code"] == 1007


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ([], 1002),
        ([("token", "x")], 1003),
        ([("software_token", "x")], 1002),
        ([("token", "wrong"), ("software_token", "sandbox-outsmart-software-token")], 1004),
        ([("token", "sandbox-outsmart-token"), ("software_token", "wrong")], 1005),
    ],
)
def test_token_errors(call: Call, sandbox: Sandbox, params: list[tuple[str, str]], code: int) -> None:
    envelope = call("GET", "/relations/", params, auth=False)
    assert envelope["code"] == code and envelope["messages"] and envelope["response"] is None
    assert sandbox.outsmart.log[-1].status == code and sandbox.outsmart.count(ok_only=True) == 0


def test_bearer_header_is_ignored(call: Call) -> None:
    headers = {"Authorization": "Bearer whatever"}
    assert call("GET", "/relations/", headers=headers)["code"] == 200
    assert call("GET", "/relations/", auth=False, headers=headers)["code"] == 1002


@pytest.mark.parametrize(("path", "code"), [("/", 1000), ("", 1000), ("/workorders/", 1001), ("/relations/x/", 1001)])
def test_path_errors(call: Call, path: str, code: int) -> None:
    assert call("GET", path)["code"] == code


def test_unsupported_method_is_an_unknown_endpoint(call: Call) -> None:
    assert call("DELETE", "/relations/")["code"] == 1001
    assert call("POST", "/freefields/", data=b"[]")["code"] == 1001


def post(call: Call, body: object) -> dict[str, Any]:
    return call("POST", "/relations/", data=json.dumps(body), headers={"Content-Type": "application/json"})


def relation(debtor: str = "20001", **fields: Any) -> dict[str, Any]:
    base = {"debtor_number": debtor, "name": "Nieuw BV", "street": "Dorpsstraat", "postal_code": "1234 AB"}
    return {**base, "city": "Ergens", **fields}


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"", 1008, "No body"),
        (b"[{", 1009, "Body is not valid JSON"),
        (json.dumps(relation()).encode(), 1300, "JSON array"),
        (b"[1, 2]", 1300, "JSON array"),
    ],
)
def test_post_body_errors(call: Call, sandbox: Sandbox, body: bytes, code: int, message: str) -> None:
    envelope = call("POST", "/relations/", data=body)
    assert envelope["code"] == code and message in envelope["messages"][0]
    assert len(sandbox.outsmart.relations()) == 40


def test_post_missing_or_blank_required_field_writes_nothing(call: Call, sandbox: Sandbox) -> None:
    envelope = post(call, [relation("20001"), relation("20002", name="  ")])
    assert envelope == {"code": 1301, "messages": ["Required field missing: name"], "response": None}
    assert post(call, [{k: v for k, v in relation().items() if k != "city"}])["messages"] == [
        "Required field missing: city"
    ]
    assert sandbox.outsmart.get("20001") is None


def test_post_inserts_with_timestamps_and_both_freefield_shapes(call: Call, sandbox: Sandbox) -> None:
    body = [relation("20001", val_value_3="2"), relation("20002", latitude=52.5, FreeFields={"1": "Storing"})]
    assert post(call, body) == {"code": 200, "messages": [], "response": 2}
    stored = sandbox.outsmart.get("20001")
    assert stored is not None
    assert stored["created_at"] == stored["modified_at"] == NOW_TEXT and stored["email"] is None
    assert stored["val_value_3"] == "2"
    shown = {r["debtor_number"]: r for r in call("GET", "/relations/", [("includeFreefields", "true")])["response"]}
    assert shown["20002"]["val_value_1"] == "Storing" and shown["20002"]["latitude"] == "52.5"
    assert shown["20002"]["val_value_3"] is None


def test_post_updates_merge_and_move_modified_at_only_on_change(call: Call, sandbox: Sandbox, clock: FakeClock) -> None:
    before = sandbox.outsmart.get("10001")
    assert before is not None
    same = {k: before[k] for k in ("debtor_number", "name", "street", "postal_code", "city", "email", "val_value_1")}
    clock.now = NOW + 60
    assert post(call, [same])["response"] == 1
    assert sandbox.outsmart.get("10001") == before  # nothing changed, so modified_at stays
    clock.now = NOW + 120
    assert post(call, [{**same, "email": "nieuw@example.nl", "val_value_7": "x"}])["response"] == 1
    changed = sandbox.outsmart.get("10001")
    assert changed is not None
    assert changed == {**before, "email": "nieuw@example.nl", "val_value_7": "x", "modified_at": "2026-01-01 00:02:00"}


def test_post_sets_server_timestamps_itself(call: Call, sandbox: Sandbox) -> None:
    post(call, [relation("20001", created_at="2001-01-01 00:00:00", modified_at="2001-01-01 00:00:00", bogus="x")])
    stored = sandbox.outsmart.get("20001")
    assert stored is not None
    assert stored["created_at"] == NOW_TEXT and stored["modified_at"] == NOW_TEXT and "bogus" not in stored


def test_python_api(sandbox: Sandbox, call: Call, clock: FakeClock) -> None:
    outsmart = sandbox.outsmart
    outsmart.add({"debtor_number": "X1", "name": "Handmatig", "FreeFields": {"2": "2020-01-01"}})
    assert outsmart.get("X1") == {
        "debtor_number": "X1",
        "name": "Handmatig",
        "created_at": NOW_TEXT,
        "modified_at": NOW_TEXT,
        "val_value_2": "2020-01-01",
    }
    clock.now = NOW + 1
    outsmart.edit("X1", city="Utrecht", val_value_2=None)
    edited = outsmart.get("X1")
    assert edited is not None
    assert (
        edited["city"] == "Utrecht" and edited["modified_at"] == "2026-01-01 00:00:01" and edited["val_value_2"] is None
    )
    assert debtors(call("GET", "/relations/", flt("modified_at", "gt", NOW_TEXT))) == ["X1"]
    outsmart.remove("X1")
    assert outsmart.get("X1") is None and len(outsmart.relations()) == 40
    with pytest.raises(KeyError):
        outsmart.edit("nope", city="x")
