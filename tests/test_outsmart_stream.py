"""GET /relations/ read as it arrives: through the OutSmart emulator over real HTTP (answers cut off or garbled
mid-stream), and the envelope's every shape through the answer reader itself."""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from relmap.errors import ApiError, SourceError, Unavailable
from relmap.http import HttpClient, Redactor, RetryPolicy
from relmap.sandbox import Sandbox
from relmap.sources import outsmart_answer
from relmap.sources.json_document import TooDeep
from relmap.sources.outsmart import OutSmartClient

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.001)
MANY = 3000  # some 1 MB of answer: many 64 KB pieces, so relations are handed on before a fault half-way


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
    assert sandbox.outsmart.count("relations", "GET") == 1  # asked once, not yet read to the end
    rest = list(relations)
    assert [r["debtor_number"] for r in [first, *rest]] == [str(30000 + n) for n in range(MANY)]
    assert rest[-1]["name"] == f"Relatie {MANY - 1} — Ærø"  # a character cut in two by a piece is whole again
    assert client.requests == 1


def test_an_answer_cut_off_before_its_first_relation_is_asked_again(client: OutSmartClient, sandbox: Sandbox) -> None:
    sandbox.outsmart.faults.inject("cut", 1, "relations")
    got = client.relations([("debtor_number", "eq", "30007")])
    assert [r["debtor_number"] for r in got] == ["30007"]
    assert [e.fault for e in sandbox.outsmart.log] == ["cut", None]
    assert client.requests == 2


def test_an_answer_cut_off_mid_stream_is_an_error_saying_how_far_it_came(
    client: OutSmartClient, sandbox: Sandbox
) -> None:
    sandbox.outsmart.faults.inject("cut", 1, "relations")
    read: list[Any] = []
    with pytest.raises(Unavailable) as caught:
        read.extend(client.each_relation())
    assert 0 < len(read) < MANY
    message = str(caught.value)
    assert message.startswith("OutSmart: GET relations/: the answer broke off (http://127.0.0.1:")
    assert message.endswith(f", after {len(read):,} relations (not retried: they were read)")
    assert sandbox.outsmart.count("relations", "GET") == 1  # never a second, shorter list
    secret_free(caught.value, sandbox)


def test_a_garbled_answer_is_a_located_error_after_the_relations_before_it(
    client: OutSmartClient, sandbox: Sandbox
) -> None:
    sandbox.outsmart.faults.inject("garble", 1, "relations")
    read: list[Any] = []
    with pytest.raises(ApiError) as caught:
        read.extend(client.each_relation())
    assert 0 < len(read) < MANY
    message = str(caught.value)
    assert message.startswith("OutSmart: GET relations/: HTTP 200 with a body that is not JSON (line 1, column ")
    column = int(message.split("column ")[1].split(":")[0])
    assert column > 2**16  # where the NUL byte is, half-way through the answer
    assert sandbox.outsmart.count("relations", "GET") == 1
    secret_free(caught.value, sandbox)


# -- the envelope's shapes, through the answer reader --------------------------------------------------------------
def read(text: str, size: int = 7) -> list[object]:
    """The relations of ``text``, given in pieces of ``size`` characters (a token cut in two at every turn)."""
    return list(outsmart_answer.relations(iter([text[i : i + size] for i in range(0, len(text), size)])))


RELATIONS = [{"debtor_number": "1", "name": "A"}, {"debtor_number": "2", "name": "B"}]


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"code": 200, "messages": [], "response": RELATIONS}),
        json.dumps({"response": RELATIONS, "messages": [], "code": "200"}),  # the code after them: held, then given
        json.dumps({"code": 200, "messages": [], "response": RELATIONS}, indent=2),
    ],
)
def test_an_envelope_gives_its_relations_whatever_its_order(text: str) -> None:
    assert read(text) == RELATIONS


@pytest.mark.parametrize("response", ["null", "[]"])
def test_an_envelope_without_relations_gives_none(response: str) -> None:
    assert read(f'{{"code": 200, "messages": [], "response": {response}}}') == []
    assert read('{"code": 200, "messages": []}') == []


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
