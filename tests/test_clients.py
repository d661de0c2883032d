"""OutSmartClient and SilvasoftClient against the sandbox emulators over real HTTP, with scripted faults."""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from relmap.errors import ApiError, BudgetSpent, CredentialsError, RateLimited, RecordRejected, Unavailable
from relmap.http import MASK, HttpClient, Redactor, RetryPolicy
from relmap.sandbox import Sandbox
from relmap.sources.outsmart import OutSmartClient
from relmap.state.store import State
from relmap.targets.budget import Budget, Pace
from relmap.targets.silvasoft import PAGE_LIMIT, SilvasoftClient
from relmap.targets.silvasoft_answers import AmbiguousAnswer

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.001)


def relation(debtor: str, name: str, city: str, kind: str, modified_at: str, **more: Any) -> dict[str, Any]:
    fields = {"debtor_number": debtor, "name": name, "street": "Dorpsstraat", "postal_code": "3511 AB", "city": city}
    fields.update(debtor_type=kind, created_at="2020-01-01 08:00:00", modified_at=modified_at, **more)
    return fields


RELATIONS = [
    relation("20001", "Bakkerij Jansen", "Utrecht", "customer", "2025-03-01 10:00:00", val_value_1="Onderhoud"),
    relation("20002", "Jansen Installatie", "Utrecht", "lead", "2025-04-01 10:00:00"),
    relation("20003", "De Vries", "Utrecht", "customer", "2024-12-31 23:59:59", val_value_2="2019-05-01"),
    relation("20004", "Smit Jansen", "Amersfoort", "customer", "2025-05-01 00:00:00"),
    relation("20005", "Utrecht Zorg", "Zeist", "customer", "2025-06-01 00:00:00"),
]


def freefield(entity: str, order: int, name: str) -> dict[str, Any]:
    return {
        "fld_entity": entity,
        "fld_name": name,
        "fld_type": "TEXT",
        "fld_values": None,
        "fld_reference_name": name.lower(),
        "fld_order": str(order),
        "fld_required": "0",
    }


FREEFIELDS = [freefield("CLIENT", 1, "Contract"), freefield("CLIENT", 2, "Klant sinds"), freefield("WORKORDER", 3, "X")]


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[Sandbox]:
    with Sandbox(relations=RELATIONS, freefields=FREEFIELDS) as box:
        yield box


@pytest.fixture
def sandbox(module_sandbox: Sandbox) -> Iterator[Sandbox]:
    """The module's sandbox, reset to its seed with no faults, no requests logged and a fresh rate window."""
    module_sandbox.reset()
    module_sandbox.silvasoft.set_requests_per_hour(1200)
    module_sandbox.silvasoft.answer_form, module_sandbox.silvasoft.empty_answer = "array", None
    for emulator in (module_sandbox.outsmart, module_sandbox.silvasoft):
        emulator.faults.clear()
    yield module_sandbox
    assert module_sandbox.outsmart.failures == []
    assert module_sandbox.silvasoft.failures == []
    assert module_sandbox.silvasoft.faults.pending() == module_sandbox.outsmart.faults.pending() == 0


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def closed_port_url(path: str) -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}{path}"


def without_secrets(error: BaseException, *secrets: str) -> None:
    """Neither the message nor a printed traceback of ``error`` may carry a secret."""
    printed = "".join(traceback.format_exception(error))
    for secret in secrets:
        assert secret not in str(error)
        assert secret not in printed


# == OutSmart =====================================================================================================
class OutSmartFactory:
    def __init__(self, sandbox: Sandbox, session: requests.Session) -> None:
        self.sandbox = sandbox
        self.session = session
        self.urls: list[str] = []
        session.hooks["response"].append(lambda response, *a, **kw: self.urls.append(response.request.url))

    def __call__(
        self, token: str | None = None, software_token: str | None = None, url: str | None = None
    ) -> OutSmartClient:
        token = self.sandbox.credentials["OUTSMART_TOKEN"] if token is None else token
        if software_token is None:
            software_token = self.sandbox.credentials["OUTSMART_SOFTWARE_TOKEN"]
        http = HttpClient(self.session, url or self.sandbox.outsmart_url, Redactor([token, software_token]))
        return OutSmartClient(http, token, software_token, FAST, sleep=lambda s: None)


@pytest.fixture
def outsmart(sandbox: Sandbox, session: requests.Session) -> OutSmartFactory:
    return OutSmartFactory(sandbox, session)


def debtors(relations: list[Any]) -> list[str]:
    return sorted(r["debtor_number"] for r in relations)


def test_outsmart_reads_every_relation(outsmart: OutSmartFactory, sandbox: Sandbox) -> None:
    client = outsmart()
    assert debtors(client.relations()) == ["20001", "20002", "20003", "20004", "20005"]
    assert client.requests == 1
    assert sandbox.outsmart.count("relations", "GET", ok_only=True) == 1


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([("city", "eq", "utrecht")], ["20001", "20002", "20003"]),
        ([("city", "eq", "Utrecht"), ("debtor_type", "eq", "customer")], ["20001", "20003"]),
        (
            [
                ("city", "eq", "Utrecht"),
                ("debtor_type", "eq", "customer"),
                ("modified_at", "ge", "2025-01-01 00:00:00"),
            ],
            ["20001"],
        ),
        ([("modified_at", "ge", "2024-12-31 23:59:59")], ["20001", "20002", "20003", "20004", "20005"]),
        ([("modified_at", "ge", "2025-04-01 10:00:00"), ("city", "ne", "Zeist")], ["20002", "20004"]),
        ([("name", "li", "%jansen%"), ("debtor_type", "ne", "lead")], ["20001", "20004"]),
        ([("name", "li", "%jansen%"), ("city", "eq", "Zeist")], []),
    ],
)
def test_outsmart_filters_are_anded(
    outsmart: OutSmartFactory, filters: list[tuple[str, str, str]], expected: list[str]
) -> None:
    client = outsmart()
    assert debtors(client.relations(filters)) == expected
    assert client.requests == 1  # a refused filter (1007) would have been retried


def test_outsmart_filters_travel_as_ordered_key_value_operator_triples(outsmart: OutSmartFactory) -> None:
    client = outsmart()
    client.relations([("city", "eq", "Utrecht"), ("modified_at", "ge", "2025-01-01 00:00:00")])
    query = parse_qsl(urlsplit(outsmart.urls[-1]).query)
    assert query == [
        ("token", outsmart.sandbox.credentials["OUTSMART_TOKEN"]),
        ("software_token", outsmart.sandbox.credentials["OUTSMART_SOFTWARE_TOKEN"]),
        ("key[]", "city"),
        ("value[]", "Utrecht"),
        ("operator[]", "eq"),
        ("key[]", "modified_at"),
        ("value[]", "2025-01-01 00:00:00"),
        ("operator[]", "ge"),
        ("includeFreefields", "true"),
    ]


def test_outsmart_include_freefields_adds_the_declared_client_freefields(outsmart: OutSmartFactory) -> None:
    client = outsmart()
    with_fields = {r["debtor_number"]: r for r in client.relations([("city", "eq", "Utrecht")])}
    assert (with_fields["20001"]["val_value_1"], with_fields["20001"]["val_value_2"]) == ("Onderhoud", None)
    assert (with_fields["20003"]["val_value_1"], with_fields["20003"]["val_value_2"]) == (None, "2019-05-01")
    assert "val_value_3" not in with_fields["20001"]  # declared for work orders, not relations
    plain = client.relations([("city", "eq", "Utrecht")], include_freefields=False)
    assert debtors(plain) == ["20001", "20002", "20003"]
    assert not any(key.startswith("val_value_") for r in plain for key in r)
    assert "includeFreefields" not in outsmart.urls[-1]


def test_outsmart_freefields_are_those_of_relations(outsmart: OutSmartFactory) -> None:
    settings = outsmart().freefields()
    assert [(s["fld_order"], s["fld_name"]) for s in settings] == [("1", "Contract"), ("2", "Klant sinds")]


@pytest.mark.parametrize(
    ("token", "software_token", "code"),
    [
        ("wrong-client-token", None, 1004),
        (None, "wrong-software-token", 1005),
        ("", None, 1002),
        (None, "", 1003),
    ],
)
def test_outsmart_credential_errors_are_fatal_and_never_retried(
    outsmart: OutSmartFactory, sandbox: Sandbox, token: str | None, software_token: str | None, code: int
) -> None:
    client = outsmart(token, software_token)
    with pytest.raises(CredentialsError) as caught:
        client.relations()
    assert caught.value.status == code
    assert caught.value.api == "OutSmart"
    assert f"error {code}: " in str(caught.value)
    assert client.requests == 1
    assert [(e.method, e.endpoint, e.status) for e in sandbox.outsmart.log] == [("GET", "relations", code)]
    without_secrets(caught.value, *(s for s in (token, software_token) if s))


def test_outsmart_general_error_1007_is_retried_then_succeeds(outsmart: OutSmartFactory, sandbox: Sandbox) -> None:
    sandbox.outsmart.faults.inject("error", 2, "relations")
    client = outsmart()
    assert debtors(client.relations([("city", "eq", "Zeist")])) == ["20005"]
    assert [e.status for e in sandbox.outsmart.log] == [1007, 1007, 200]
    assert client.requests == 3


def test_outsmart_gives_up_after_the_policys_attempts(outsmart: OutSmartFactory, sandbox: Sandbox) -> None:
    sandbox.outsmart.faults.inject("error", 3, "relations")
    with pytest.raises(Unavailable) as caught:
        outsmart().relations()
    assert caught.value.status == 1007
    assert str(caught.value) == "OutSmart: GET relations/: error 1007: general error (General error)"
    assert sandbox.outsmart.count("relations") == 3


def test_outsmart_read_is_retried_after_a_dropped_connection(outsmart: OutSmartFactory, sandbox: Sandbox) -> None:
    sandbox.outsmart.faults.inject("drop", 1, "freefields")
    assert len(outsmart().freefields()) == 2
    assert [(e.endpoint, e.status, e.fault) for e in sandbox.outsmart.log] == [
        ("freefields", None, "drop"),
        ("freefields", 200, None),
    ]


def test_outsmart_upsert_creates_and_updates_by_debtor_number(outsmart: OutSmartFactory, sandbox: Sandbox) -> None:
    client = outsmart()
    new = {"debtor_number": "30001", "name": "Nieuw B.V.", "street": "Laan 1", "postal_code": "1234 AB", "city": "Ede"}
    changed = {**RELATIONS[0], "external_id": "4000001"}
    assert client.upsert([new, changed]) == 2
    assert sandbox.outsmart.get("30001")["city"] == "Ede"  # type: ignore[index]
    assert sandbox.outsmart.get("20001")["external_id"] == "4000001"  # type: ignore[index]
    assert len(sandbox.outsmart.relations()) == 6
    assert sandbox.outsmart.count("relations", "POST", ok_only=True) == 1


def test_outsmart_upsert_is_repeated_after_a_drop_without_duplicates(
    outsmart: OutSmartFactory, sandbox: Sandbox
) -> None:
    sandbox.outsmart.faults.inject("drop_after_write", 1, "relations")
    changed = {**RELATIONS[1], "external_id": "4000002"}
    assert outsmart().upsert([changed]) == 1
    assert sandbox.outsmart.count("relations", "POST") == 2
    assert sandbox.outsmart.get("20002")["external_id"] == "4000002"  # type: ignore[index]
    assert len(sandbox.outsmart.relations()) == 5


def test_outsmart_refused_upsert_is_an_api_error_not_retried(outsmart: OutSmartFactory, sandbox: Sandbox) -> None:
    with pytest.raises(ApiError) as caught:
        outsmart().upsert([{"debtor_number": "30002", "name": "Zonder adres"}])
    assert type(caught.value) is ApiError
    assert caught.value.status == 1301
    assert "Required field missing: street" in str(caught.value)
    assert sandbox.outsmart.count("relations", "POST") == 1
    assert sandbox.outsmart.get("30002") is None


def test_outsmart_token_is_not_in_the_error_of_an_unreachable_api(outsmart: OutSmartFactory) -> None:
    url = closed_port_url("/openapi/8")
    client = outsmart(url=url)
    with pytest.raises(Unavailable) as caught:
        client.relations()
    assert caught.value.ambiguous is False
    assert str(caught.value) == f"OutSmart: GET relations/: connection refused ({url})"
    assert client.requests == 3
    without_secrets(caught.value, *outsmart.sandbox.credentials.values())


def test_outsmart_token_echoed_by_the_server_is_masked(outsmart: OutSmartFactory) -> None:
    token = outsmart.sandbox.credentials["OUTSMART_TOKEN"]
    with pytest.raises(Unavailable) as caught:  # the emulator names an unknown filter key in its 1007 message
        outsmart().relations([(token, "eq", "x")])
    assert f"Unknown filter key '{MASK}'" in str(caught.value)
    without_secrets(caught.value, token)


# == Silvasoft ====================================================================================================
class FakePacer:
    def __init__(self) -> None:
        self.acquired: list[str] = []

    def acquire(self, endpoint: str) -> None:
        self.acquired.append(endpoint)


class SilvasoftFactory:
    def __init__(self, sandbox: Sandbox, session: requests.Session) -> None:
        self.sandbox = sandbox
        self.session = session
        self.pacer = FakePacer()
        self.sleeps: list[float] = []

    def __call__(
        self, api_key: str | None = None, url: str | None = None, pacer: Any = None, username: str | None = None
    ) -> SilvasoftClient:
        key = self.sandbox.credentials["SILVASOFT_API_KEY"] if api_key is None else api_key
        user = self.sandbox.credentials["SILVASOFT_USERNAME"] if username is None else username
        http = HttpClient(self.session, url or self.sandbox.silvasoft_url, Redactor([key]))
        return SilvasoftClient(http, user, key, pacer or self.pacer, FAST, sleep=self.sleeps.append)


@pytest.fixture
def silvasoft(sandbox: Sandbox, session: requests.Session) -> SilvasoftFactory:
    return SilvasoftFactory(sandbox, session)


def private(number: int = 20001, email: str = "piet@example.nl") -> dict[str, Any]:
    return {
        "CustomerNumber": number,
        "OnExistingRelationNumber": "ABORT",
        "Address_City": "Utrecht",
        "Relation_Contact": [{"FirstName": "Piet", "LastName": "Jansen", "Email": email}],
    }


def business(number: int = 20002) -> dict[str, Any]:
    return {
        "Name": "Koeltechniek Lage Weide B.V.",
        "CustomerNumber": number,
        "RegistrationNumber": "30123456",
        "TaxIdentificationNumber": "812345678B01",
        "OnExistingRelationNumber": "ABORT",
    }


def log(sandbox: Sandbox) -> list[tuple[str, str, int | None, str | None]]:
    return [(e.method, e.endpoint, e.status, e.fault) for e in sandbox.silvasoft.log]


def test_silvasoft_creates_a_private_relation(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    client = silvasoft()
    [created] = client.create("addprivaterelation", private(), retry_unsure=False)
    guid = created["RelationGUID"]
    assert isinstance(guid, int)
    stored = sandbox.silvasoft.get(guid)
    assert stored is not None
    assert (stored["RelationType"], stored["Name"], stored["CustomerNumber"]) == ("Private", "Piet Jansen", 20001)
    assert created == stored
    assert log(sandbox) == [("POST", "addprivaterelation", 200, None)]
    assert silvasoft.pacer.acquired == ["addprivaterelation"]
    assert client.requests == 1


def test_silvasoft_creates_a_business_relation(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    [created] = silvasoft().create("addbusinessrelation", business(), retry_unsure=False)
    stored = sandbox.silvasoft.get(created["RelationGUID"])
    assert stored is not None
    assert (stored["RelationType"], stored["Name"], stored["TaxIdentificationNumber"]) == (
        "Business",
        "Koeltechniek Lage Weide B.V.",
        "812345678B01",
    )


def test_silvasoft_create_refuses_other_endpoints(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="not a create endpoint: updaterelation"):
        silvasoft().create("updaterelation", private(), retry_unsure=True)
    assert sandbox.silvasoft.log == []


def test_silvasoft_400_is_a_record_error_never_retried(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    payload = private()
    del payload["Relation_Contact"]
    payload["customerNumber"] = 5
    with pytest.raises(RecordRejected) as caught:
        silvasoft().create("addprivaterelation", payload, retry_unsure=True)
    assert caught.value.status == 400
    message = str(caught.value)
    assert message.startswith("Silvasoft: POST addprivaterelation/: HTTP 400: ")
    assert "did you mean 'CustomerNumber'" in message
    assert "Required parameter missing: Relation_Contact" in message
    assert log(sandbox) == [("POST", "addprivaterelation", 400, None)]
    assert sandbox.silvasoft.relations() == []
    assert silvasoft.sleeps == []


def test_silvasoft_wrong_key_is_fatal_after_one_request(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    wrong = "wrong-silvasoft-api-key-123"
    with pytest.raises(CredentialsError) as caught:
        silvasoft(api_key=wrong).find(RelationNumber="20001")
    assert caught.value.status == 401
    assert "Invalid authentication credentials" in str(caught.value)
    assert log(sandbox) == [("GET", "listrelations", 401, None)]
    without_secrets(caught.value, wrong, sandbox.credentials["SILVASOFT_API_KEY"])


def test_silvasoft_wrong_username_is_fatal_too(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    with pytest.raises(CredentialsError):
        silvasoft(username="someone@else.invalid").create("addprivaterelation", private(), retry_unsure=True)
    assert len(sandbox.silvasoft.log) == 1


def test_silvasoft_ratelimit_401_is_rate_limited_not_credentials(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    sandbox.silvasoft.faults.inject("ratelimit", 1, "updaterelation")
    guid = sandbox.silvasoft.add({"Name": "Bestaand B.V.", "CustomerNumber": 7})
    with pytest.raises(RateLimited) as caught:
        silvasoft().update(guid, {"Phone": "030-1234567"})
    assert caught.value.status == 401
    assert "Ratelimit exceeded" in str(caught.value)
    assert log(sandbox) == [("PUT", "updaterelation", 401, "ratelimit")]
    assert sandbox.silvasoft.get(guid)["Phone"] is None  # type: ignore[index]


def test_silvasoft_hourly_limit_of_the_account_is_rate_limited(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    sandbox.silvasoft.set_requests_per_hour(2)
    client = silvasoft()
    client.find(RelationNumber="1")
    client.find(RelationNumber="2")
    with pytest.raises(RateLimited):
        client.find(RelationNumber="3")
    assert [e.status for e in sandbox.silvasoft.log] == [200, 200, 401]


def test_silvasoft_429_is_retried_even_for_an_unsure_create(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    sandbox.silvasoft.faults.inject("throttle", 2, "addprivaterelation")
    [created] = silvasoft().create("addprivaterelation", private(), retry_unsure=False)
    assert [e.status for e in sandbox.silvasoft.log] == [429, 429, 200]
    assert [r["RelationGUID"] for r in sandbox.silvasoft.relations()] == [created["RelationGUID"]]
    assert len(silvasoft.sleeps) == 2
    assert silvasoft.pacer.acquired == ["addprivaterelation"] * 3  # every attempt takes a slot


def test_silvasoft_500_is_retried_for_reads_and_updates(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    guid = sandbox.silvasoft.add({"Name": "Bestaand B.V.", "CustomerNumber": 7})
    sandbox.silvasoft.faults.inject("error", 2, "listrelations")
    sandbox.silvasoft.faults.inject("error", 1, "updaterelation")
    client = silvasoft()
    assert [r["RelationGUID"] for r in client.find(RelationNumber="7")] == [guid]
    updated = client.update(guid, {"Email": "info@bestaand.nl"})
    assert updated is not None and updated["Email"] == "info@bestaand.nl"
    assert log(sandbox) == [
        ("GET", "listrelations", 500, "error"),
        ("GET", "listrelations", 500, "error"),
        ("GET", "listrelations", 200, None),
        ("PUT", "updaterelation", 500, "error"),
        ("PUT", "updaterelation", 200, None),
    ]


def test_silvasoft_500_on_a_create_is_retried_when_retry_unsure(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    sandbox.silvasoft.faults.inject("error", 1, "addbusinessrelation")
    [created] = silvasoft().create("addbusinessrelation", business(), retry_unsure=True)
    assert [e.status for e in sandbox.silvasoft.log] == [500, 200]
    assert [r["RelationGUID"] for r in sandbox.silvasoft.relations()] == [created["RelationGUID"]]


def test_silvasoft_500_on_an_unsure_create_is_ambiguous_and_not_retried(
    silvasoft: SilvasoftFactory, sandbox: Sandbox
) -> None:
    sandbox.silvasoft.faults.inject("error", 1, "addprivaterelation")
    with pytest.raises(Unavailable) as caught:
        silvasoft().create("addprivaterelation", private(), retry_unsure=False)
    assert (caught.value.status, caught.value.ambiguous) == (500, True)
    assert len(sandbox.silvasoft.log) == 1


def test_silvasoft_retries_run_out_as_unavailable(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    sandbox.silvasoft.faults.inject("error", 3, "listrelations")
    with pytest.raises(Unavailable) as caught:
        list(silvasoft().list_all())
    assert (caught.value.status, caught.value.ambiguous) == (500, False)
    assert str(caught.value) == "Silvasoft: GET listrelations/: HTTP 500: Technical error"
    assert sandbox.silvasoft.count("listrelations") == 3


def test_silvasoft_create_dropped_after_the_write_is_ambiguous_after_one_request(
    silvasoft: SilvasoftFactory, sandbox: Sandbox
) -> None:
    sandbox.silvasoft.faults.inject("drop_after_write", 1, "addprivaterelation")
    with pytest.raises(Unavailable) as caught:
        silvasoft().create("addprivaterelation", private(), retry_unsure=False)
    assert caught.value.ambiguous is True
    assert caught.value.status is None
    assert "connection dropped before an answer" in str(caught.value)
    assert log(sandbox) == [("POST", "addprivaterelation", 200, "drop_after_write")]
    assert [r["CustomerNumber"] for r in sandbox.silvasoft.relations()] == [20001]  # it did happen
    assert silvasoft.sleeps == []


def test_silvasoft_unsure_create_retried_returns_the_same_relation_without_a_duplicate(
    silvasoft: SilvasoftFactory, sandbox: Sandbox
) -> None:
    sandbox.silvasoft.faults.inject("drop_after_write", 1, "addprivaterelation")
    [created] = silvasoft().create("addprivaterelation", private(), retry_unsure=True)
    relations = sandbox.silvasoft.relations()
    assert [(r["RelationGUID"], r["CustomerNumber"]) for r in relations] == [(created["RelationGUID"], 20001)]
    assert created == relations[0]
    assert log(sandbox) == [
        ("POST", "addprivaterelation", 200, "drop_after_write"),
        ("POST", "addprivaterelation", 200, None),
    ]


def test_silvasoft_create_dropped_before_the_write_counts_as_ambiguous_too(
    silvasoft: SilvasoftFactory, sandbox: Sandbox
) -> None:
    # The client cannot tell a drop before the write from one after it.
    sandbox.silvasoft.faults.inject("drop", 1, "addprivaterelation")
    with pytest.raises(Unavailable) as caught:
        silvasoft().create("addprivaterelation", private(), retry_unsure=False)
    assert caught.value.ambiguous is True
    assert sandbox.silvasoft.relations() == []
    assert len(sandbox.silvasoft.log) == 1


def test_silvasoft_create_to_an_unreachable_api_is_retried_and_not_ambiguous(silvasoft: SilvasoftFactory) -> None:
    url = closed_port_url("/rest")
    client = silvasoft(url=url)
    with pytest.raises(Unavailable) as caught:
        client.create("addprivaterelation", private(), retry_unsure=False)
    assert caught.value.ambiguous is False  # refused: never sent, so safe to try again
    assert str(caught.value) == f"Silvasoft: POST addprivaterelation/: connection refused ({url})"
    assert client.requests == 3
    without_secrets(caught.value, silvasoft.sandbox.credentials["SILVASOFT_API_KEY"])


def test_silvasoft_update_is_retried_after_a_drop(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    guid = sandbox.silvasoft.add({"Name": "Bestaand B.V.", "CustomerNumber": 7})
    sandbox.silvasoft.faults.inject("drop", 1, "updaterelation")
    sandbox.silvasoft.faults.inject("drop_after_write", 1, "updaterelation")
    updated = silvasoft().update(guid, {"Address_City": "Zeist", "Phone": "030-7654321"})
    assert updated is not None
    assert (updated["Address_City"], updated["Phone"]) == ("Zeist", "030-7654321")
    assert sandbox.silvasoft.get(guid)["Address_City"] == "Zeist"  # type: ignore[index]
    assert log(sandbox) == [
        ("PUT", "updaterelation", None, "drop"),
        ("PUT", "updaterelation", 200, "drop_after_write"),
        ("PUT", "updaterelation", 200, None),
    ]


def test_silvasoft_update_of_an_unknown_guid_is_rejected(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    with pytest.raises(RecordRejected, match="Relation not found"):
        silvasoft().update(9_999_999, {"Phone": "1"})
    assert len(sandbox.silvasoft.log) == 1


def test_silvasoft_list_all_pages_through_every_relation(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    guids = [sandbox.silvasoft.add({"Name": f"Relatie {n}", "CustomerNumber": 5000 + n}) for n in range(450)]
    client = silvasoft()
    listed = list(client.list_all())
    assert [r["RelationGUID"] for r in listed] == guids  # oldest first, each once
    assert len({r["RelationGUID"] for r in listed}) == 450
    assert sandbox.silvasoft.count("listrelations", "GET", ok_only=True) == 3
    assert client.requests == 3
    assert silvasoft.pacer.acquired == ["listrelations"] * 3


def test_silvasoft_list_all_of_exact_pages_ends_on_an_empty_page(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    for n in range(PAGE_LIMIT):
        sandbox.silvasoft.add({"Name": f"Relatie {n}", "CustomerNumber": 100 + n})
    assert len(list(silvasoft().list_all())) == PAGE_LIMIT
    assert sandbox.silvasoft.count("listrelations") == 2


def test_silvasoft_list_all_of_nothing_is_empty(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    assert list(silvasoft().list_all()) == []
    assert sandbox.silvasoft.count("listrelations") == 1


def test_silvasoft_find_by_relation_number(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    sandbox.silvasoft.add({"Name": "Een B.V.", "CustomerNumber": 101})
    wanted = sandbox.silvasoft.add({"Name": "Twee B.V.", "CustomerNumber": 102, "Email": "twee@example.nl"})
    client = silvasoft()
    found = client.find(RelationNumber="102")
    assert [(r["RelationGUID"], r["Name"], r["CustomerNumber"]) for r in found] == [(wanted, "Twee B.V.", 102)]
    assert [r["RelationGUID"] for r in client.find(RelationEmail="TWEE@example.nl")] == [wanted]
    assert client.find(RelationNumber="999") == []  # Silvasoft answers {} when it finds nothing


def test_silvasoft_api_key_echoed_by_the_server_is_masked(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    key = sandbox.credentials["SILVASOFT_API_KEY"]
    with pytest.raises(RecordRejected) as caught:  # the emulator names an unknown parameter in its 400 message
        silvasoft().create("addprivaterelation", {**private(), key: "x"}, retry_unsure=True)
    assert f"Unknown parameter '{MASK}'" in str(caught.value)
    without_secrets(caught.value, key)


def test_silvasoft_every_attempt_takes_a_slot_from_the_budget(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    with State(tmp_path / "state.db", "sandbox") as state:
        budget = Budget(state, Pace(1000, 1000.0, 60000.0), sleep=lambda s: None)
        sandbox.silvasoft.faults.inject("error", 1, "listrelations")
        client = silvasoft(pacer=budget)
        client.find(RelationNumber="1")
        client.create("addprivaterelation", private(), retry_unsure=False)
        rows = state.db.execute("SELECT endpoint FROM ledger ORDER BY rowid").fetchall()
        assert [r[0] for r in rows] == ["listrelations", "listrelations", "addprivaterelation"]
        assert budget.spent == 3 == len(sandbox.silvasoft.log)


def test_silvasoft_a_spent_budget_stops_before_sending(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    with State(tmp_path / "state.db", "sandbox") as state:
        budget = Budget(state, Pace(2, 1000.0, 60000.0), sleep=lambda s: None)
        client = silvasoft(pacer=budget)
        client.find(RelationNumber="1")
        client.find(RelationNumber="2")
        with pytest.raises(BudgetSpent):
            client.create("addprivaterelation", private(), retry_unsure=True)
    assert [e.method for e in sandbox.silvasoft.log] == ["GET", "GET"]
    assert sandbox.silvasoft.relations() == []


# == Silvasoft: the shapes of a 200 ================================================================================
# The AddPrivateRelation page says a create answers in ListRelations' format (a JSON array), the status-code page
# that nothing created or updated is an empty body; an object is what other clients met. Each endpoint is read in
# every shape, from the emulator over HTTP: its answer form, its empty answers, or a scripted reshape.
EMPTY_BODIES = ["", "  \n", "{}", "[]", "null"]
CREATES = [("addprivaterelation", private), ("addbusinessrelation", business)]


@pytest.mark.parametrize("form", ["array", "object"])
@pytest.mark.parametrize(("endpoint", "payload"), CREATES)
def test_silvasoft_create_reads_an_array_of_one_and_an_object(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, form: str, endpoint: str, payload: Any
) -> None:
    sandbox.silvasoft.answer_form = form
    client = silvasoft()
    [created] = client.create(endpoint, payload(), retry_unsure=True)
    assert created == sandbox.silvasoft.get(created["RelationGUID"])
    assert client.create(endpoint, payload(), retry_unsure=True) == [created]  # the existing one, same shape
    assert len(sandbox.silvasoft.relations()) == 1 and client.requests == 2


@pytest.mark.parametrize("empty", EMPTY_BODIES)
@pytest.mark.parametrize(("endpoint", "payload"), CREATES)
def test_silvasoft_create_reads_an_empty_answer_as_nothing_created(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, empty: str, endpoint: str, payload: Any
) -> None:
    sandbox.silvasoft.empty_answer = empty
    client = silvasoft()
    assert len(client.create(endpoint, payload(), retry_unsure=True)) == 1  # created: answered as usual
    assert client.create(endpoint, payload(), retry_unsure=True) == []  # the number exists: nothing created
    assert len(sandbox.silvasoft.relations()) == 1
    assert log(sandbox) == [("POST", endpoint, 200, None)] * 2


def test_silvasoft_create_reads_every_relation_of_a_longer_array(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    other = sandbox.silvasoft.add({"Name": "Ander B.V.", "CustomerNumber": 7})
    sandbox.silvasoft.script("addprivaterelation", reshape=lambda answer: [sandbox.silvasoft.get(other), *answer])
    answered = silvasoft().create("addprivaterelation", private(), retry_unsure=False)
    assert [r["CustomerNumber"] for r in answered] == [7, 20001]  # which one is ours is the caller's question


def test_silvasoft_create_reads_numbers_sent_as_text(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    def as_text(answer: Any) -> Any:
        return [
            {**r, "RelationGUID": f" {r['RelationGUID']}", "CustomerNumber": str(r["CustomerNumber"])} for r in answer
        ]

    sandbox.silvasoft.script("addprivaterelation", reshape=as_text)
    [created] = silvasoft().create("addprivaterelation", private(), retry_unsure=False)
    assert (created["RelationGUID"], created["CustomerNumber"]) == (4_000_001, 20001)


@pytest.mark.parametrize(
    ("created_on", "read"),
    [
        ("2026-01-01T00:00:00", "2026-01-01T00:00:00"),
        ("2026-01-01 00:00:00", "2026-01-01 00:00:00"),  # ISO with a space: read as it is
        ("2026-01-01T00:00:00.123Z", "2026-01-01T00:00:00.123Z"),
        ("01-01-2026 00:00:00", "2026-01-01T00:00:00"),
        ("01-01-2026 00:00", "2026-01-01T00:00:00"),
        ("01/01/2026", "2026-01-01T00:00:00"),
        ("/Date(1767225600000)/", "2026-01-01T00:00:00+00:00"),
        ("/Date(1767225600000+0100)/", "2026-01-01T00:00:00+00:00"),
        (1767225600, "2026-01-01T00:00:00+00:00"),
        (1767225600000, "2026-01-01T00:00:00+00:00"),
        ("1767225600", "2026-01-01T00:00:00+00:00"),
        ("gisteren", "gisteren"),  # unreadable: left as it is, so no creation time is made up
        (None, None),
    ],
)
def test_silvasoft_create_reads_created_on_in_other_forms(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, created_on: Any, read: Any
) -> None:
    sandbox.silvasoft.script("addprivaterelation", reshape=lambda answer: [{**answer[0], "createdOn": created_on}])
    [created] = silvasoft().create("addprivaterelation", private(), retry_unsure=False)
    assert created["createdOn"] == read


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>OK</html>", "addprivaterelation/: the answer is not JSON"),
        ({"errorCode": 7, "errorMessage": "Relation already exists"}, "HTTP 200 with error 7: Relation already exists"),
        ([{"errorMessage": "Kapot"}], "HTTP 200 with error ?: Kapot"),
        (True, "expected a relation (a JSON array or object), got a boolean"),
        ("4000001", "expected a relation (a JSON array or object), got text"),
        ([4000001], "answer item 1 is a number, not a relation"),
    ],
)
def test_silvasoft_create_answer_relmap_cannot_read_is_an_api_error(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, body: Any, message: str
) -> None:
    sandbox.silvasoft.script("addprivaterelation", reshape=lambda answer: body)
    with pytest.raises(ApiError) as caught:
        silvasoft().create("addprivaterelation", private(), retry_unsure=False)
    assert type(caught.value) is ApiError and message in str(caught.value)
    assert len(sandbox.silvasoft.relations()) == 1  # it was created; the caller finds out by looking


@pytest.mark.parametrize("form", ["array", "object"])
def test_silvasoft_update_reads_an_array_of_one_and_an_object(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, form: str
) -> None:
    sandbox.silvasoft.answer_form = form
    guid = sandbox.silvasoft.add({"Name": "Bestaand B.V.", "CustomerNumber": 7})
    updated = silvasoft().update(guid, {"Phone": "030-1234567"})
    assert updated == sandbox.silvasoft.get(guid) and updated is not None and updated["Phone"] == "030-1234567"


@pytest.mark.parametrize("empty", EMPTY_BODIES)
def test_silvasoft_update_reads_an_empty_answer_as_nothing_updated(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, empty: str
) -> None:
    sandbox.silvasoft.empty_answer = empty
    guid = sandbox.silvasoft.add({"Name": "Bestaand B.V.", "CustomerNumber": 7})
    client = silvasoft()
    assert client.update(guid, {"Phone": "1"}) is not None  # changed: answered as usual
    assert client.update(guid, {"Phone": "1"}) is None  # nothing needed changing
    assert client.update(9_999_999, {"Phone": "1"}) is None  # nothing found to change
    assert client.requests == 3


def test_silvasoft_update_picks_its_relation_from_a_longer_array(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    other = sandbox.silvasoft.add({"Name": "Ander B.V.", "CustomerNumber": 8})
    guid = sandbox.silvasoft.add({"Name": "Bestaand B.V.", "CustomerNumber": 7})
    sandbox.silvasoft.script("updaterelation", reshape=lambda answer: [sandbox.silvasoft.get(other), *answer])
    updated = silvasoft().update(guid, {"Phone": "1"})
    assert updated is not None and (updated["RelationGUID"], updated["Phone"]) == (guid, "1")


@pytest.mark.parametrize(
    ("reshape", "message"),
    [
        (lambda answer, other: [other, other], "the answer holds 2 relations (GUIDs 4000001, 4000001)"),
        (lambda answer, other: other, "the answer is relation 4000001, not the updated relation 4000002"),
    ],
)
def test_silvasoft_update_answered_with_another_relation_is_ambiguous(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, reshape: Any, message: str
) -> None:
    other = sandbox.silvasoft.get(sandbox.silvasoft.add({"Name": "Ander B.V.", "CustomerNumber": 8}))
    guid = sandbox.silvasoft.add({"Name": "Bestaand B.V.", "CustomerNumber": 7})
    sandbox.silvasoft.script("updaterelation", reshape=lambda answer: reshape(answer, other))
    with pytest.raises(AmbiguousAnswer, match=re.escape(message)):
        silvasoft().update(guid, {"Phone": "1"})
    assert sandbox.silvasoft.get(guid)["Phone"] == "1"  # type: ignore[index]  # it did happen


@pytest.mark.parametrize(
    "reshape",
    [
        lambda answer: [{"Phone": "1"}],  # no RelationGUID at all: the answer to this request
        lambda answer: [{**answer[0], "RelationGUID": str(answer[0]["RelationGUID"])}],
    ],
)
def test_silvasoft_update_accepts_its_relation_without_a_numeric_guid(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, reshape: Any
) -> None:
    guid = sandbox.silvasoft.add({"Name": "Bestaand B.V.", "CustomerNumber": 7})
    sandbox.silvasoft.script("updaterelation", reshape=reshape)
    updated = silvasoft().update(guid, {"Phone": "1"})
    assert updated is not None and updated["Phone"] == "1"


@pytest.mark.parametrize("empty", [*EMPTY_BODIES, "default"])
def test_silvasoft_listing_reads_an_empty_answer_as_no_relations(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, empty: str
) -> None:
    sandbox.silvasoft.empty_answer = None if empty == "default" else empty  # by default {} (Silvasoft's way)
    client = silvasoft()
    assert client.find(RelationNumber="7") == [] and list(client.list_all()) == []
    assert client.requests == 2


def test_silvasoft_listing_reads_one_relation_as_an_object(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    guid = sandbox.silvasoft.add({"Name": "Bestaand B.V.", "CustomerNumber": 7})
    sandbox.silvasoft.script("listrelations", reshape=lambda answer: {**answer[0], "CustomerNumber": "7"}, count=2)
    client = silvasoft()
    assert [(r["RelationGUID"], r["CustomerNumber"]) for r in client.find(RelationNumber="7")] == [(guid, 7)]
    assert [r["RelationGUID"] for r in client.list_all()] == [guid]
    assert client.requests == 2


def test_silvasoft_listing_pages_on_by_the_items_a_page_held(silvasoft: SilvasoftFactory, sandbox: Sandbox) -> None:
    guids = [sandbox.silvasoft.add({"Name": f"Relatie {n}", "CustomerNumber": 100 + n}) for n in range(PAGE_LIMIT + 1)]
    sandbox.silvasoft.script("listrelations", reshape=lambda answer: [*answer[:-1], "stray", {}])
    listed = [r["RelationGUID"] for r in silvasoft().list_all()]
    assert listed == guids[: PAGE_LIMIT - 1] + guids[PAGE_LIMIT:]  # the page's last one was lost by Silvasoft
    assert sandbox.silvasoft.count("listrelations") == 2  # a page of 201 items is a full page: read the next


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>", "listrelations/: the answer is not JSON"),
        ({"errorCode": 500, "errorMessage": "Technical error"}, "HTTP 200 with error 500: Technical error"),
        (17, "expected a relation (a JSON array or object), got a number"),
    ],
)
def test_silvasoft_listing_relmap_cannot_read_is_an_api_error(
    silvasoft: SilvasoftFactory, sandbox: Sandbox, body: Any, message: str
) -> None:
    sandbox.silvasoft.script("listrelations", reshape=lambda answer: body)
    with pytest.raises(ApiError, match=re.escape(message)):
        list(silvasoft().list_all())


def test_silvasoft_bare_400_is_retried_for_reads_and_left_for_the_next_run_for_writes(
    silvasoft: SilvasoftFactory, sandbox: Sandbox
) -> None:
    sandbox.silvasoft.faults.inject("bad_request", 2, "listrelations")
    assert silvasoft().find(RelationNumber="7") == []
    sandbox.silvasoft.faults.inject("bad_request", 1, "addprivaterelation")
    with pytest.raises(Unavailable) as caught:
        silvasoft().create("addprivaterelation", private(), retry_unsure=True)
    assert (caught.value.status, caught.value.ambiguous) == (400, False)
    assert "HTTP 400: Bad Request (without Silvasoft's error message; not a verdict on the data)" in str(caught.value)
    assert [status for _, _, status, _ in log(sandbox)] == [400, 400, 200, 400]
    assert sandbox.silvasoft.relations() == []
