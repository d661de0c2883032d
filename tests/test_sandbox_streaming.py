"""The emulators' answers sent as a stream: the same bytes as the whole answer, faults applied to the stream, an
answer that keeps the relations it was given, and the OutSmart emulator's relations kept compactly."""

from __future__ import annotations

import itertools
import json
import tracemalloc
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from relmap.sandbox import Sandbox
from relmap.sandbox.emulator import Reply, Request, StreamedReply
from relmap.sandbox.harness import sample
from relmap.sandbox.outsmart import OUTSMART_SOFTWARE_TOKEN, OUTSMART_TOKEN, OutSmartEmulator
from relmap.sandbox.server import _PIECE, _batched, _first, _garbled

AUTH = [("token", OUTSMART_TOKEN), ("software_token", OUTSMART_SOFTWARE_TOKEN)]


def relation(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "debtor_number": str(10_000 + number),
        "name": f"Relatie {number} — Ærø",
        "street": "Dorpsstraat",
        "postal_code": "1234AB",
        "city": "Utrecht",
        "modified_at": f"2024-01-{1 + number % 28:02d} 12:00:00",
        **extra,
    }


def get(emulator: OutSmartEmulator, *query: tuple[str, str]) -> Reply:
    return emulator.serve(Request("GET", "/openapi/8/relations/", [*AUTH, *query]))


def whole(emulator: OutSmartEmulator, *query: tuple[str, str]) -> bytes:
    """The answer as the emulator used to build it: a list of every relation shown, encoded at once."""
    include = dict(query).get("includeFreefields") == "true"
    numbers = emulator._declared() if include else []
    chosen = [r for r in emulator._relations.values() if dict(query).get("value[]") in (None, r.fields["city"])]
    payload = {"code": 200, "messages": [], "response": [r.public(numbers) for r in chosen]}
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


@pytest.fixture
def emulator() -> OutSmartEmulator:
    relations = [relation(n) for n in range(50)]
    relations[3].update(val_value_1="Onderhoud", val_value_4=None, city="Zwolle", remark='"quoted"\n, "x": 1')
    relations[7].update(val_value_2="2016-04-12", val_value_9="not declared")
    return OutSmartEmulator(relations, sample("freefields"))


@pytest.mark.parametrize(
    "query",
    [
        (),
        (("includeFreefields", "true"),),
        (("includeFreefields", "true"), ("key[]", "city"), ("value[]", "Zwolle"), ("operator[]", "eq")),
        (("key[]", "city"), ("value[]", "Nowhere"), ("operator[]", "eq")),
    ],
)
def test_get_relations_sends_the_bytes_of_the_whole_answer(emulator: OutSmartEmulator, query: Any) -> None:
    reply = get(emulator, *query)
    assert isinstance(reply, StreamedReply) and reply.logged_status == 200
    length, pieces = reply.encoded()
    body = b"".join(pieces)
    assert body == whole(emulator, *query) and length == len(body)


def test_an_answer_keeps_the_relations_it_was_given_while_writes_go_on(emulator: OutSmartEmulator) -> None:
    before = whole(emulator, ("includeFreefields", "true"))
    reply = get(emulator, ("includeFreefields", "true"))
    emulator.edit("10003", name="Changed", val_value_1="Other")
    emulator.add(relation(99))
    emulator.remove("10000")
    length, pieces = reply.encoded()
    assert b"".join(pieces) == before and length == len(before)
    assert emulator.get("10003") is not None and emulator.get("10003")["name"] == "Changed"  # type: ignore[index]


def test_the_seed_is_what_a_reset_gives_back_after_edits_and_writes(emulator: OutSmartEmulator) -> None:
    seeded = emulator.relations()
    emulator.edit("10003", name="Changed", val_value_1="Other")
    emulator.edit("10007", val_value_2=None)
    emulator.remove("10001")
    body = json.dumps([{**relation(5), "name": "Posted"}]).encode()
    assert json.loads(emulator.serve(Request("POST", "/openapi/8/relations/", AUTH, body=body)).body())["code"] == 200
    assert emulator.relations() != seeded
    emulator.reset_data()
    assert emulator.relations() == seeded


def test_a_relation_is_kept_as_the_json_of_its_fields_not_as_a_dict(emulator: OutSmartEmulator) -> None:
    kept = emulator._relations["10003"]
    assert not hasattr(kept, "__dict__")
    assert json.loads(kept.encoded) == {k: v for k, v in emulator.get("10003").items() if "val_value" not in k}  # type: ignore[union-attr]
    assert dict(kept.freefields) == {1: "Onderhoud", 4: None}


def test_a_lone_surrogate_from_a_hand_edit_is_kept_as_given(emulator: OutSmartEmulator) -> None:
    emulator.edit("10002", remark="half \ud800 a pair")
    assert emulator.get("10002")["remark"] == "half \ud800 a pair"  # type: ignore[index]


def test_a_large_answer_is_never_whole_in_memory() -> None:
    relations = [relation(n, remark="x" * 400) for n in range(4_000)]
    emulator = OutSmartEmulator(relations, sample("freefields"))
    reply = get(emulator, ("includeFreefields", "true"))
    tracemalloc.start()
    try:
        length, pieces = reply.encoded()
        sent = sum(len(piece) for piece in _batched(pieces))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sent == length > 2_000_000
    assert peak < length / 10


# -- the stream's pieces, cut and garbled as the whole body was ---------------------------------------------------
def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def garbled_whole(data: bytes) -> bytes:
    """What the server did with a whole body before it streamed."""
    middle = next((i for i in range(len(data) // 2, len(data)) if data[i] < 0x80), len(data))
    return data[:middle] + b"\x00" + data[middle:]


texts = st.text(alphabet=st.sampled_from('aé€😀{}", '), max_size=60).map(lambda t: t.encode())


@given(texts, st.lists(st.integers(0, 300), max_size=8))
def test_garble_puts_its_nul_byte_where_it_did_in_the_whole_body(data: bytes, cuts: list[int]) -> None:
    assert b"".join(_garbled(iter(split(data, cuts)), len(data))) == garbled_whole(data)


@given(texts, st.lists(st.integers(0, 300), max_size=8))
def test_cut_sends_the_first_half_as_it_did_of_the_whole_body(data: bytes, cuts: list[int]) -> None:
    assert b"".join(_first(iter(split(data, cuts)), len(data) // 2)) == data[: len(data) // 2]


@given(st.lists(st.integers(0, 3 * _PIECE), max_size=6))
def test_writes_are_gathered_into_pieces_and_big_ones_sliced(sizes: list[int]) -> None:
    pieces = [bytes([n % 251]) * size for n, size in enumerate(sizes)]
    writes = [bytes(w) for w in _batched(pieces)]
    assert b"".join(writes) == b"".join(pieces)
    assert all(0 < len(w) < 2 * _PIECE for w in writes)


@pytest.mark.parametrize("fault", ["garble", "cut"])
def test_a_streamed_answer_over_http_is_garbled_or_cut_as_a_whole_one_was(fault: str) -> None:
    relations = [relation(n, remark="é" * 300) for n in range(600)]
    with Sandbox(relations=relations) as box, requests.Session() as session:
        expected = whole(box.outsmart, ("includeFreefields", "true"))
        url = box.outsmart_url + "/relations/"
        params = [*AUTH, ("includeFreefields", "true")]
        box.outsmart.faults.inject(fault, 1, "relations")
        if fault == "garble":
            answer = session.get(url, params=params)
            assert answer.content == garbled_whole(expected)
            assert int(answer.headers["Content-Length"]) == len(expected) + 1
        else:
            with pytest.raises(requests.exceptions.ChunkedEncodingError):
                session.get(url, params=params)
        assert session.get(url, params=params).content == expected
    assert box.outsmart.failures == []


def test_an_error_while_an_answer_streams_is_kept_and_the_connection_closed() -> None:
    def broken() -> Any:
        yield b'{"code": 200, "messages": [], "response": ['
        raise RuntimeError("an emulator bug")

    with Sandbox() as box, requests.Session() as session:
        box.outsmart._get_relations = lambda request: StreamedReply(200, None, 200, length=100, pieces=broken)  # type: ignore[method-assign]
        with pytest.raises(requests.exceptions.ChunkedEncodingError):  # fewer bytes than its Content-Length
            session.get(box.outsmart_url + "/relations/", params=AUTH)
        assert len(box.outsmart.failures) == 1 and "an emulator bug" in box.outsmart.failures[0]
        box.outsmart.failures.clear()
