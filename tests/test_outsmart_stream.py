"""GET /relations/ downloaded, checked and then read: through the OutSmart emulator over real HTTP (answers cut off,
garbled or refused after their relations), and the envelope's every shape through the answer reader itself."""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from relmap.errors import ApiError, CredentialsError, SourceError, Unavailable
from relmap.http import HttpClient, Redactor, RetryPolicy
from relmap.sandbox import Sandbox
from relmap.sandbox.emulator import Reply
from relmap.sources import outsmart_answer
from relmap.sources.json_document import TooDeep
from relmap.sources.outsmart import OutSmartClient

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.001)
MANY = 3000  # some 1 MB of answer: many 64 KB pieces, so a fault half-way comes well after the first relation


def relation(number: int) -> dict[str, Any]:
    return {
        "debtor_number": str(30000 + number),
        "name": f"Relatie {number} — Ærø",
        "street": "Dorpsstraat",
        "postal_code": "3511 AB",
        "city": "Utrecht",
        "modified_at": "2025-03-01 10:00:00",
    }


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[Sandbox]:
    with Sandbox(relations=[relation(n) for n in range(MANY)]) as box:
        yield box


@pytest.fixture
def sandbox(module_sandbox: Sandbox) -> Iterator[Sandbox]:
    module_sandbox.reset()
    module_sandbox.outsmart.faults.clear()
    yield module_sandbox
    assert module_sandbox.outsmart.failures == []
    assert module_sandbox.outsmart.faults.pending() == 0


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[OutSmartClient]:
    token, software = sandbox.credentials["OUTSMART_TOKEN"], sandbox.credentials["OUTSMART_SOFTWARE_TOKEN"]
    with requests.Session() as session:
        http = HttpClient(session, sandbox.outsmart_url, Redactor([token, software]))
        yield OutSmartClient(http, token, software, FAST, sleep=lambda s: None)


def secret_free(error: BaseException, sandbox: Sandbox) -> None:
    printed = "".join(traceback.format_exception(error))
    for secret in sandbox.credentials.values():
        assert secret not in printed


def test_the_relations_arrive_one_at_a_time_in_the_order_sent(client: OutSmartClient, sandbox: Sandbox) -> None:
    relations = client.each_relation()
    first = next(relations)
    assert first == {**relation(0), **{k: v for k, v in first.items() if k not in relation(0)}}
    assert sandbox.outsmart.count("relations", "GET") == 1  # asked once
    rest = list(relations)
    assert [r["debtor_number"] for r in [first, *rest]] == [str(30000 + n) for n in range(MANY)]
    assert rest[-1]["name"] == f"Relatie {MANY - 1} — Ærø"  # a character cut in two by a piece is whole again
    assert client.requests == 1


def test_an_answer_cut_off_during_its_download_is_asked_again_and_read_whole(
    client: OutSmartClient, sandbox: Sandbox
) -> None:
    sandbox.outsmart.faults.inject("cut", 1, "relations")
    got = list(client.each_relation())
    assert [r["debtor_number"] for r in got] == [str(30000 + n) for n in range(MANY)]  # none twice, none lost
    assert [e.fault for e in sandbox.outsmart.log] == ["cut", None]
    assert client.requests == 2


def test_an_answer_cut_off_on_every_attempt_is_an_error_after_the_retries_handing_none_on(
    client: OutSmartClient, sandbox: Sandbox
) -> None:
    sandbox.outsmart.faults.inject("cut", FAST.attempts, "relations")
    read: list[Any] = []
    with pytest.raises(Unavailable) as caught:
        read.extend(client.each_relation())
    assert read == []
    message = str(caught.value)
    assert message.startswith("OutSmart: GET relations/: the answer broke off (http://127.0.0.1:")
    assert sandbox.outsmart.count("relations", "GET") == FAST.attempts
    secret_free(caught.value, sandbox)


def test_a_garbled_answer_is_a_located_error_handing_none_on(client: OutSmartClient, sandbox: Sandbox) -> None:
    sandbox.outsmart.faults.inject("garble", 1, "relations")
    read: list[Any] = []
    with pytest.raises(ApiError) as caught:
        read.extend(client.each_relation())
    assert read == []
    message = str(caught.value)
    assert message.startswith("OutSmart: GET relations/: HTTP 200 with a body that is not JSON (line 1, column ")
    column = int(message.split("column ")[1].split(":")[0])
    assert column > 2**16  # where the NUL byte is, half-way through the answer
    assert sandbox.outsmart.count("relations", "GET") == 1
    secret_free(caught.value, sandbox)


def test_an_error_envelope_after_the_relations_hands_none_on(
    client: OutSmartClient, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    relations = [relation(n) for n in range(MANY)]
    answer = {"response": relations, "messages": ["Client token unauthorized"], "code": 1004}  # this order, sent
    monkeypatch.setattr(sandbox.outsmart, "_get_relations", lambda request: Reply(200, answer, code=1004))
    read: list[Any] = []
    with pytest.raises(CredentialsError) as caught:
        read.extend(client.each_relation())
    assert read == []
    assert str(caught.value) == (
        "OutSmart: GET relations/: error 1004: the client token is not authorised "
        "(check the variable behind source.outsmart.token) (Client token unauthorized)"
    )
    assert sandbox.outsmart.count("relations", "GET") == 1
    secret_free(caught.value, sandbox)


def test_a_1007_after_the_relations_is_asked_again(
    client: OutSmartClient, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    relations = [relation(n) for n in range(MANY)]
    answers = [
        Reply(200, {"response": relations[:10], "messages": ["General error"], "code": 1007}, code=1007),
        Reply(200, {"response": relations, "messages": [], "code": 200}, code=200),
    ]
    monkeypatch.setattr(sandbox.outsmart, "_get_relations", lambda request: answers.pop(0))
    assert [r["debtor_number"] for r in client.each_relation()] == [r["debtor_number"] for r in relations]
    assert client.requests == 2 and answers == []


# -- the envelope's shapes, through the answer reader --------------------------------------------------------------
def read(text: str, size: int = 7) -> list[object]:
    """The relations of ``text``, checked and then read, given in pieces of ``size`` characters (a token cut in two
    at every turn) each time."""
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    count = outsmart_answer.check(iter(pieces))
    got = list(outsmart_answer.relations(iter(pieces)))
    assert count == len(got)
    return got


RELATIONS = [{"debtor_number": "1", "name": "A"}, {"debtor_number": "2", "name": "B"}]


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"code": 200, "messages": [], "response": RELATIONS}),
        json.dumps({"response": RELATIONS, "messages": [], "code": "200"}),  # the code after them, checked first
        json.dumps({"code": 200, "messages": [], "response": RELATIONS}, indent=2),
    ],
)
def test_an_envelope_gives_its_relations_whatever_its_order(text: str) -> None:
    assert read(text) == RELATIONS


@pytest.mark.parametrize("response", ["null", "[]"])
def test_an_envelope_without_relations_gives_none(response: str) -> None:
    assert read(f'{{"code": 200, "messages": [], "response": {response}}}') == []
    assert read('{"code": 200, "messages": []}') == []


def test_a_checked_envelope_gives_each_relation_before_reading_on_whatever_its_order() -> None:
    text = json.dumps({"response": RELATIONS, "messages": [], "code": 200})
    pieces = iter([text[i : i + 7] for i in range(0, len(text), 7)])
    relations = outsmart_answer.relations(pieces)
    assert next(relations) == RELATIONS[0]
    assert "".join(pieces).endswith('"code": 200}')  # the code not read yet: nothing is held for it


def test_a_refused_envelope_gives_its_code_and_the_messages_after_the_relations() -> None:
    text = json.dumps({"code": 1007, "response": RELATIONS, "messages": ["General error"]})
    with pytest.raises(outsmart_answer.Refused) as caught:
        read(text)
    assert (caught.value.code, caught.value.messages) == (1007, ["General error"])


@pytest.mark.parametrize(
    ("text", "error", "says"),
    [
        (json.dumps(RELATIONS), outsmart_answer.NoEnvelope, ""),
        ('{"messages": [], "response": []}', outsmart_answer.NoEnvelope, ""),
        ('"200"', outsmart_answer.NoEnvelope, ""),
        ('{"code": 200, "response": {"debtor_number": "1"}}', outsmart_answer.BadShape, "got dict"),
        ('{"code": 200, "response": [], "response": []}', outsmart_answer.BadShape, "two 'response' members"),
        ("<html>Bad gateway</html>", SourceError, "line 1, column 1: Expecting value"),
        ('{"code": 200, "response": [{"a": 1}, {"a": 2]}', SourceError, "line 1, column 45: Expecting ',' delimiter"),
        ('{"code": 200, "response": [{"a": 1}', SourceError, "line 1, column 36: Expecting ',' delimiter"),
    ],
)
def test_an_answer_that_is_not_an_envelope_of_relations_says_so(text: str, error: type[Exception], says: str) -> None:
    with pytest.raises(error) as caught:
        read(text)
    shown = outsmart_answer.where(caught.value) if isinstance(caught.value, SourceError) else str(caught.value)
    assert says in shown


def test_a_relation_too_deep_to_decode_is_its_own_problem() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    got = read(f'{{"code": 200, "response": [{{"debtor_number": "1"}}, {deep}, {{"debtor_number": "3"}}]}}', 4096)
    assert got[0] == {"debtor_number": "1"} and isinstance(got[1], TooDeep) and got[2] == {"debtor_number": "3"}
