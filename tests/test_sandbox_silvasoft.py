"""The Silvasoft emulator over real HTTP: auth, parameter checks, existing relations, update, list, rate limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from conftest import FakeClock

from relmap.sandbox import Sandbox

CREATED = "2026-01-01T00:00:00"


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    with Sandbox(clock=clock, requests_per_hour=1000) as box:
        yield box
    assert box.silvasoft.failures == []


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


Call = Callable[..., requests.Response]


@pytest.fixture
def call(sandbox: Sandbox, session: requests.Session) -> Call:
    """Call Silvasoft with valid credentials unless ``headers`` replace them."""

    def send(method: str, endpoint: str, headers: dict[str, str] | None = None, **kw: Any) -> requests.Response:
        if headers is None:
            headers = {"ApiKey": sandbox.credentials["SILVASOFT_API_KEY"]}
            headers["Username"] = sandbox.credentials["SILVASOFT_USERNAME"]
        return session.request(method, f"{sandbox.silvasoft_url}/{endpoint}", headers=headers, **kw)

    return send


def contact(first: str = "Piet", last: str = "Berg", **more: Any) -> dict[str, Any]:
    return {"FirstName": first, "LastName": last, **more}


def private(call: Call, **body: Any) -> requests.Response:
    body.setdefault("Relation_Contact", [contact(Email="piet@example.nl")])
    return call("POST", "addprivaterelation/", json=body)


def business(call: Call, **body: Any) -> requests.Response:
    body.setdefault("Name", "Acme BV")
    return call("POST", "addbusinessrelation/", json=body)


def refused(response: requests.Response, status: int, message: str) -> bool:
    body = response.json()
    assert response.status_code == status, body
    assert body["errorCode"] == status and message in body["errorMessage"], body
    return True


def test_add_private_relation_answers_the_stored_shape(call: Call, sandbox: Sandbox) -> None:
    response = private(call, Address_City="Utrecht", IsOther=False, CustomerNumber=0, OnExistingRelationEmail="ABORT")
    assert response.status_code == 200
    answer = response.json()
    assert isinstance(answer, list) and len(answer) == 1  # ListRelations' format, as the AddPrivateRelation page says
    created = answer[0]
    assert created == {
        "RelationGUID": 4_000_001,
        "RelationType": "Private",
        "Name": "Piet Berg",
        "CustomerNumber": 1000,
        "SupplierNumber": None,
        "createdOn": CREATED,
        "Email": "piet@example.nl",
        "Phone": None,
        "Address_City": "Utrecht",
        "Address_Street": None,
        "Address_PostalCode": None,
        "Address_CountryCode": None,
        "Address_Unit": None,
        "Address_UnitAppendix": None,
        "IsCustomer": True,
        "IsOther": False,
        "IsSupplier": False,
        "GroupName": None,
        "RegistrationNumber": None,
        "TaxIdentificationNumber": None,
        "Relation_Contact": [contact(Email="piet@example.nl")],
        "Relation_CustomField": [],
        "Relation_BankAccount": None,
    }
    assert sandbox.silvasoft.relations() == [created] and sandbox.silvasoft.get(4_000_001) == created
    assert sandbox.silvasoft.count("addprivaterelation", "POST", ok_only=True) == 1


def test_add_business_relation_mirrors_its_parameters(call: Call) -> None:
    custom = [{"Label": "Contract", "FieldType": "TextSmall", "StringValue": "Onderhoud"}]
    created = business(
        call, TaxIdentificationNumber="812345678B01", Relation_CustomField=custom, CreateSalesLead=False
    ).json()[0]
    assert created["RelationType"] == "Business" and created["Name"] == "Acme BV" and created["Email"] is None
    assert created["TaxIdentificationNumber"] == "812345678B01" and created["Relation_CustomField"] == custom
    assert "CreateSalesLead" not in created


def test_trailing_slash_is_optional(call: Call) -> None:
    assert private(call).status_code == 200
    assert call("GET", "listrelations").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"ApiKey": "sandbox-silvasoft-api-key"}, {"ApiKey": "wrong", "Username": "sandbox@relmap.invalid"}],
)
def test_bad_credentials_are_401_and_not_counted(call: Call, sandbox: Sandbox, headers: dict[str, str]) -> None:
    assert refused(call("GET", "listrelations/", headers=headers), 401, "Invalid authentication credentials")
    assert sandbox.silvasoft.requests_left() == 1000
    assert sandbox.silvasoft.log[-1].status == 401


def test_unknown_endpoint_and_wrong_method(call: Call) -> None:
    assert refused(call("GET", "listcustomers/"), 404, "Unknown endpoint")
    assert refused(call("GET", "AddPrivateRelation/"), 404, "Unknown endpoint")
    assert refused(call("GET", "addprivaterelation/"), 405, "takes POST")
    assert refused(call("POST", "updaterelation/", json={}), 405, "takes PUT")


def test_body_must_be_a_json_object_sent_as_json(call: Call, sandbox: Sandbox) -> None:
    assert refused(call("POST", "addprivaterelation/", data=b'{"a": 1}'), 400, "Content-Type must be application/json")
    json_type = {"Content-Type": "application/json; charset=utf-8"}
    headers = {**json_type, "ApiKey": sandbox.credentials["SILVASOFT_API_KEY"], "Username": "sandbox@relmap.invalid"}
    assert refused(call("POST", "addprivaterelation/", headers=headers, data=b"{"), 400, "not valid JSON")
    assert refused(call("POST", "addprivaterelation/", json=[contact()]), 400, "must be a JSON object")
    assert refused(call("POST", "addprivaterelation/", headers=headers, data=b""), 400, "must be a JSON object")
    assert sandbox.silvasoft.requests_left() == 996  # a 400 still counts against the budget


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email": "x@example.nl"}, "Unknown parameter 'email'"),
        ({"customernumber": 5}, "did you mean 'CustomerNumber'?"),
        ({"Relation_Contact": [{"firstname": "Piet", "LastName": "Berg"}]}, "'Relation_Contact[0].firstname'"),
        ({"CustomerNumber": "12"}, "CustomerNumber must be an integer, got a string"),
        ({"CustomerNumber": -3}, "CustomerNumber must not be negative"),
        ({"IsCustomer": "true"}, "IsCustomer must be true or false"),
        ({"OnExistingRelationEmail": "SKIP"}, "must be one of ABORT, CONTINUE"),
        ({"Relation_Contact": [contact(Sex="M")]}, "Relation_Contact[0].Sex must be one of Man, Vrouw"),
        ({"Relation_BankAccount": {"Iban": "NL"}}, "'Relation_BankAccount.Iban'"),
        ({"Relation_SalesLead": [{}, {}]}, "at most 1 item"),
        ({"Name": "Acme"}, "Unknown parameter 'Name'"),  # private relations take their name from the contact
        ({"IsSupplier": True}, "Unknown parameter 'IsSupplier'"),  # only updaterelation takes it
    ],
)
def test_private_parameter_errors(call: Call, sandbox: Sandbox, body: dict[str, Any], message: str) -> None:
    assert refused(private(call, **body), 400, message)
    assert sandbox.silvasoft.relations() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Relation_Contact": []}, "Required parameter missing: Relation_Contact"),
        ({"Relation_Contact": None}, "Required parameter missing: Relation_Contact"),
        ({"Relation_Contact": [{"FirstName": "Piet"}]}, "Required parameter missing: Relation_Contact[0].LastName"),
        ({"Relation_Contact": [contact(first=" ")]}, "Required parameter missing: Relation_Contact[0].FirstName"),
    ],
)
def test_private_required_parameters(call: Call, body: dict[str, Any], message: str) -> None:
    assert refused(call("POST", "addprivaterelation/", json=body), 400, message)


def test_business_requires_a_name(call: Call) -> None:
    assert refused(call("POST", "addbusinessrelation/", json={"IsCustomer": True}), 400, "missing: Name")


def test_customer_numbers_zero_or_absent_get_the_next_free_one(call: Call) -> None:
    numbers = [
        private(call, Relation_Contact=[contact(str(n))], CustomerNumber=0).json()[0]["CustomerNumber"] for n in (1, 2)
    ]
    assert numbers == [1000, 1001]
    assert private(call, Relation_Contact=[contact("c")], CustomerNumber=5000).json()[0]["CustomerNumber"] == 5000
    assert business(call, Name="Next").json()[0]["CustomerNumber"] == 5001


def test_existing_number_is_returned_unchanged_by_default(call: Call, sandbox: Sandbox, clock: FakeClock) -> None:
    first = private(call, CustomerNumber=7).json()[0]
    clock.now += 60
    again = private(call, CustomerNumber=7, Relation_Contact=[contact("Ander", Email="ander@example.nl")])
    assert again.status_code == 200 and again.json()[0] == first and again.json()[0]["createdOn"] == CREATED
    assert len(sandbox.silvasoft.relations()) == 1


def test_existing_number_with_continue_creates_under_a_new_number(call: Call) -> None:
    private(call, CustomerNumber=7)
    other = [contact("Ander", Email="ander@example.nl")]
    created = private(call, CustomerNumber=7, Relation_Contact=other, OnExistingRelationNumber="CONTINUE").json()[0]
    assert created["CustomerNumber"] == 1000 and created["RelationGUID"] == 4_000_002


def test_existing_email_matches_without_case_and_continue_creates_a_duplicate(call: Call, sandbox: Sandbox) -> None:
    first = private(call).json()[0]
    same_mail = [contact("Ander", Email="PIET@Example.NL")]
    assert private(call, Relation_Contact=same_mail).json()[0] == first
    duplicate = private(call, Relation_Contact=same_mail, OnExistingRelationEmail="CONTINUE").json()[0]
    assert duplicate["RelationGUID"] == 4_000_002 and duplicate["Email"] == "PIET@Example.NL"
    assert business(call, Relation_Contact=same_mail).json()[0] == first  # the e-mail of a business's first contact


def test_number_is_checked_before_email(call: Call) -> None:
    by_number = private(call, CustomerNumber=10, Relation_Contact=[contact("A", Email="a@example.nl")]).json()[0]
    private(call, Relation_Contact=[contact("B", Email="b@example.nl")])
    found = private(call, CustomerNumber=10, Relation_Contact=[contact("C", Email="b@example.nl")]).json()[0]
    assert found == by_number
    by_mail = private(
        call,
        CustomerNumber=10,
        Relation_Contact=[contact("C", Email="b@example.nl")],
        OnExistingRelationNumber="CONTINUE",
    ).json()[0]
    assert by_mail["RelationGUID"] == 4_000_002


def test_business_name_matches_unless_continue(call: Call, sandbox: Sandbox) -> None:
    first = business(call, Name="Acme BV").json()[0]
    assert business(call, Name="acme bv").json()[0] == first
    assert business(call, Name="ACME BV", OnExistingRelationName="CONTINUE").json()[0]["RelationGUID"] == 4_000_002


def test_private_name_matches_only_when_told_to_abort(call: Call) -> None:
    first = private(call).json()[0]
    assert private(call, Relation_Contact=[contact()]).json()[0]["RelationGUID"] == 4_000_002
    assert private(call, Relation_Contact=[contact("PIET")], OnExistingRelationName="ABORT").json()[0] == first


def test_update_relation_by_guid(call: Call, sandbox: Sandbox) -> None:
    guid = private(call, Address_City="Utrecht").json()[0]["RelationGUID"]
    changes = {"RelationGUID": guid, "Address_City": "Zeist", "Email": "nieuw@example.nl", "IsSupplier": True}
    updated = call("PUT", "updaterelation/", json=changes).json()[0]
    assert updated["Address_City"] == "Zeist" and updated["Email"] == "nieuw@example.nl" and updated["IsSupplier"]
    assert updated["createdOn"] == CREATED and sandbox.silvasoft.get(guid) == updated
    new_contact = contact("Klaas", "Vaak", Phone="0612345678")
    updated = call("PUT", "updaterelation/", json={"RelationGUID": guid, "Relation_Contact": new_contact}).json()[0]
    assert updated["Relation_Contact"] == [new_contact] and updated["Name"] == "Klaas Vaak"
    assert updated["Phone"] == "0612345678" and updated["Email"] == "nieuw@example.nl"
    updated = call("PUT", "updaterelation/", json={"RelationGUID": guid, "CustomerNumber": 4242}).json()[0]
    assert updated["CustomerNumber"] == 4242


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"RelationGUID": 999}, "Relation not found"),
        ({"Address_City": "Zeist"}, "Required parameter missing: RelationGUID"),
        ({"RelationGUID": "4000001"}, "RelationGUID must be an integer"),
        ({"RelationGUID": 4_000_001, "GroupName": "x"}, "Unknown parameter 'GroupName'"),
        ({"RelationGUID": 4_000_001, "email": "x"}, "did you mean 'Email'?"),
        ({"RelationGUID": 4_000_001, "CustomerNumber": 1001}, "CustomerNumber 1001 is already in use"),
        ({"RelationGUID": 4_000_001, "Relation_Contact": [contact(), contact()]}, "at most 1 item"),
    ],
)
def test_update_errors(call: Call, sandbox: Sandbox, body: dict[str, Any], message: str) -> None:
    private(call)
    private(call, Relation_Contact=[contact("Twee")])
    assert refused(call("PUT", "updaterelation/", json=body), 400, message)
    assert sandbox.silvasoft.get(4_000_001) == sandbox.silvasoft.relations()[0]


@pytest.fixture
def many(sandbox: Sandbox, clock: FakeClock) -> list[int]:
    """250 relations: all created in the same second (ties!), every tenth a supplier."""
    return [
        sandbox.silvasoft.add(
            {"Relation_Contact": [contact(f"P{n}", Email=f"p{n}@example.nl")], "IsSupplier": n % 10 == 0}
        )
        for n in range(250)
    ]


def test_list_pages_in_a_stable_order_and_caps_the_limit(call: Call, many: list[int]) -> None:
    assert len(call("GET", "listrelations/", params={"Limit": 500}).json()) == 200
    pages = [call("GET", "listrelations/", params={"Limit": 100, "Offset": o}).json() for o in (0, 100, 200)]
    assert [len(p) for p in pages] == [100, 100, 50]
    assert [r["RelationGUID"] for page in pages for r in page] == many
    params = {"Sorting": "RelationGUID", "SortDir": "DEC", "Limit": 3}
    assert [r["RelationGUID"] for r in call("GET", "listrelations/", params=params).json()] == many[::-1][:3]
    assert call("GET", "listrelations/", params={"Offset": 250}).text == "{}"


def test_list_filters(call: Call, many: list[int], sandbox: Sandbox) -> None:
    def guids(**params: Any) -> list[int]:
        body = call("GET", "listrelations/", params={"Limit": 200, **params}).json()
        return [r["RelationGUID"] for r in body] if isinstance(body, list) else body

    assert guids(RelationEmail="P7@EXAMPLE.NL") == [many[7]]
    assert guids(RelationName="p24") == [many[24], *many[240:250]]
    assert guids(RelationNumber=1003) == [many[3]]
    assert guids(RelationGUID=many[5]) == [many[5]]
    assert guids(RelationType="Supplier") == many[::10]
    assert guids(RelationType="Supplier", RelationName="P1") == [many[10], *many[100:200:10]]
    assert guids(RelationEmail="p1@example.nl", RelationNumber=1002, SearchOperand="OR") == [many[1], many[2]]
    assert guids(RelationEmail="nobody@example.nl") == {}
    sandbox.silvasoft.edit(many[9], TaxIdentificationNumber="812345678B01")
    assert guids(RelationVAT="812345678b01") == [many[9]]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 5}, "Unknown parameter 'limit' (parameter names are case-sensitive: did you mean 'Limit'?)"),
        ({"Limit": "x"}, "Limit must be a whole number"),
        ({"Limit": 0}, "Limit must be at least 1"),
        ({"SortDir": "DESC"}, "SortDir must be one of ASC, DEC"),
        ({"RelationType": "Private"}, "RelationType must be one of All, Supplier, Customer"),
    ],
)
def test_list_parameter_errors(call: Call, params: dict[str, Any], message: str) -> None:
    assert refused(call("GET", "listrelations/", params=params), 400, message)


def test_python_api_add_and_edit(sandbox: Sandbox) -> None:
    silvasoft = sandbox.silvasoft
    guid = silvasoft.add({"Name": "Oud BV", "CustomerNumber": 12, "createdOn": "2020-01-01T00:00:00"})
    stored = silvasoft.get(guid)
    assert stored is not None and stored["RelationType"] == "Business" and stored["createdOn"] == "2020-01-01T00:00:00"
    silvasoft.edit(guid, Email="boekhouding@oud.nl")
    assert silvasoft.relations()[0]["Email"] == "boekhouding@oud.nl"
    with pytest.raises(ValueError, match="taken"):
        silvasoft.add({"Name": "Nieuw", "CustomerNumber": 12})
    with pytest.raises(ValueError, match="email"):
        silvasoft.add({"email": "x"})
    assert silvasoft.add({"Name": "Gekozen", "RelationGUID": 4_100_000}) == 4_100_000
    with pytest.raises(ValueError, match="RelationGUID 4100000 is taken"):
        silvasoft.add({"Name": "Dubbel", "RelationGUID": 4_100_000})
    assert silvasoft.add({"Name": "Daarna"}) == 4_100_001


def test_hourly_budget_answers_401_ratelimit_and_recovers(call: Call, sandbox: Sandbox, clock: FakeClock) -> None:
    silvasoft = sandbox.silvasoft
    silvasoft.set_requests_per_hour(3)
    assert [call("GET", "listrelations/").status_code for _ in range(3)] == [200, 200, 200]
    assert silvasoft.requests_left() == 0
    assert refused(call("GET", "listrelations/"), 401, "Ratelimit exceeded")
    assert refused(private(call), 401, "Ratelimit exceeded") and silvasoft.relations() == []
    clock.now += 3599
    assert refused(call("GET", "listrelations/"), 401, "Ratelimit exceeded")
    clock.now += 1  # the first requests leave the sliding window
    assert silvasoft.requests_left() == 3 and call("GET", "listrelations/").status_code == 200
    assert silvasoft.count("listrelations", ok_only=True) == 4 and silvasoft.count(ok_only=False) == 7
    call("GET", "listrelations/")
    silvasoft.reset_rate_window()
    assert silvasoft.requests_left() == 3


def test_per_second_and_per_minute_limits_answer_429(clock: FakeClock, session: requests.Session) -> None:
    with Sandbox(clock=clock, per_second=2, per_minute=3) as box:
        url = box.silvasoft_url + "/listrelations/"
        headers = {"ApiKey": box.credentials["SILVASOFT_API_KEY"], "Username": box.credentials["SILVASOFT_USERNAME"]}
        assert [session.get(url, headers=headers).status_code for _ in range(3)] == [200, 200, 429]
        assert refused(session.get(url, headers=headers), 429, "Too many requests")
        clock.now += 1
        assert session.get(url, headers=headers).status_code == 200
        assert session.get(url, headers=headers).status_code == 429  # now the minute is spent
        clock.now += 60
        assert session.get(url, headers=headers).status_code == 200
        assert box.silvasoft.requests_left() == 1200 - 4


# == answer forms ==================================================================================================
@pytest.fixture
def answering(clock: FakeClock, session: requests.Session) -> Iterator[Callable[..., Call]]:
    """A Silvasoft emulator answering in a given form, and a ``call`` for it."""
    boxes: list[Sandbox] = []

    def start(answer_form: str = "array", empty_answer: str | None = None) -> Call:
        box = Sandbox(clock=clock, silvasoft_answer_form=answer_form, silvasoft_empty_answer=empty_answer).start()
        boxes.append(box)
        headers = {"ApiKey": box.credentials["SILVASOFT_API_KEY"], "Username": box.credentials["SILVASOFT_USERNAME"]}

        def send(method: str, endpoint: str, **kw: Any) -> requests.Response:
            return session.request(method, f"{box.silvasoft_url}/{endpoint}", headers=headers, **kw)

        return send

    yield start
    for box in boxes:
        box.stop()
        assert box.silvasoft.failures == []


def test_object_form_answers_creates_and_updates_with_the_bare_relation(answering: Callable[..., Call]) -> None:
    call = answering("object")
    created = private(call, CustomerNumber=7).json()
    assert isinstance(created, dict) and created["CustomerNumber"] == 7
    assert private(call, CustomerNumber=7).json() == created  # the existing one, as an object too
    updated = call("PUT", "updaterelation/", json={"RelationGUID": created["RelationGUID"], "Phone": "1"}).json()
    assert isinstance(updated, dict) and updated["Phone"] == "1"
    assert isinstance(call("GET", "listrelations/").json(), list)  # listings stay a bare array in every form


@pytest.mark.parametrize("empty", ["", "  \n", "{}", "[]", "null"])
def test_empty_answers_where_nothing_was_created_updated_or_found(answering: Callable[..., Call], empty: str) -> None:
    call = answering("array", empty)
    created = private(call, CustomerNumber=7)
    assert created.json()[0]["CustomerNumber"] == 7  # something was created: answered as usual
    guid = created.json()[0]["RelationGUID"]
    again = private(call, CustomerNumber=7)  # the existing relation: nothing created
    assert (again.status_code, again.text) == (200, empty)
    changed = call("PUT", "updaterelation/", json={"RelationGUID": guid, "Phone": "1"})
    assert changed.json()[0]["Phone"] == "1"
    same = call("PUT", "updaterelation/", json={"RelationGUID": guid, "Phone": "1"})  # nothing to update
    assert (same.status_code, same.text) == (200, empty)
    gone = call("PUT", "updaterelation/", json={"RelationGUID": 999, "Phone": "1"})  # nothing found to update
    assert (gone.status_code, gone.text) == (200, empty)
    nothing = call("GET", "listrelations/", params={"RelationNumber": 8})
    assert (nothing.status_code, nothing.text) == (200, empty)
    assert refused(call("PUT", "updaterelation/", json={"Phone": "1"}), 400, "missing: RelationGUID")


def test_an_unknown_answer_form_is_refused() -> None:
    with pytest.raises(ValueError, match="answer_form must be one of array, object"):
        Sandbox(silvasoft_answer_form="envelope")


def test_script_runs_before_the_write_and_reshapes_its_answer(call: Call, sandbox: Sandbox) -> None:
    seen: list[Any] = []
    sandbox.silvasoft.script("addprivaterelation", before=seen.append, reshape=lambda answer: [{"x": 1}, *answer])
    response = private(call, CustomerNumber=7)
    assert [r.get("CustomerNumber") for r in response.json()] == [None, 7]
    assert seen == [{"CustomerNumber": 7, "Relation_Contact": [contact(Email="piet@example.nl")]}]
    assert private(call, CustomerNumber=7).json()[0]["CustomerNumber"] == 7  # once only
    sandbox.silvasoft.script("listrelations", reshape=lambda answer: b" ", count=2)
    assert [call("GET", "listrelations/").text for _ in range(3)][:2] == [" ", " "]
    assert call("GET", "listrelations/").json()[0]["CustomerNumber"] == 7
    assert sandbox.silvasoft.count("addprivaterelation", ok_only=True) == 2


def test_script_reshapes_only_answers_that_succeeded(call: Call, sandbox: Sandbox) -> None:
    sandbox.silvasoft.script("addprivaterelation", reshape=lambda answer: [], count=2)
    assert refused(private(call, Relation_Contact=[]), 400, "Required parameter missing")  # its turn, unshaped
    assert private(call).json() == []
    assert private(call, Relation_Contact=[contact("Twee")]).json()[0]["Name"] == "Twee Berg"
    with pytest.raises(ValueError, match="count must be at least 1"):
        sandbox.silvasoft.script("listrelations", count=0)


def test_bad_request_and_ratelimit_faults_never_reach_the_book(call: Call, sandbox: Sandbox) -> None:
    sandbox.silvasoft.faults.inject("bad_request", 1, "addprivaterelation")
    bare = private(call)
    assert (bare.status_code, bare.content) == (400, b"")
    sandbox.silvasoft.faults.ratelimit_rate = 1.0
    assert refused(private(call), 401, "Ratelimit exceeded")
    sandbox.silvasoft.faults.ratelimit_rate, sandbox.silvasoft.faults.bad_request_rate = 0.0, 1.0
    assert call("GET", "listrelations/").status_code == 400
    assert sandbox.silvasoft.relations() == [] and sandbox.silvasoft.requests_left() == 1000
    assert [(e.status, e.fault) for e in sandbox.silvasoft.log] == [
        (400, "bad_request"),
        (401, "ratelimit"),
        (400, "bad_request"),
    ]
