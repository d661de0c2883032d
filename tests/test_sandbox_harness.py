"""The Sandbox around both emulators: faults (scripted and seeded), persistence, reset, data copies, the command."""

from __future__ import annotations

import argparse
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import SAMPLES

from relmap.commands.sandbox import serve
from relmap.sandbox import Faults, LoggedRequest, Sandbox

DATA = Path(__file__).resolve().parent.parent / "relmap" / "sandbox" / "data"


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def silvasoft_headers(box: Sandbox) -> dict[str, str]:
    return {"ApiKey": box.credentials["SILVASOFT_API_KEY"], "Username": box.credentials["SILVASOFT_USERNAME"]}


def add_private(session: requests.Session, box: Sandbox, first: str = "Piet") -> requests.Response:
    body = {"Relation_Contact": [{"FirstName": first, "LastName": "Berg", "Email": f"{first}@example.nl"}]}
    return session.post(f"{box.silvasoft_url}/addprivaterelation/", json=body, headers=silvasoft_headers(box))


def list_relations(session: requests.Session, box: Sandbox, **headers: str) -> requests.Response:
    return session.get(f"{box.silvasoft_url}/listrelations/", headers=headers or silvasoft_headers(box))


def outsmart_get(session: requests.Session, box: Sandbox) -> dict[str, Any]:
    params = {"token": box.credentials["OUTSMART_TOKEN"], "software_token": box.credentials["OUTSMART_SOFTWARE_TOKEN"]}
    envelope: dict[str, Any] = session.get(f"{box.outsmart_url}/relations/", params=params).json()
    return envelope


def outsmart_post(session: requests.Session, box: Sandbox, debtor: str) -> requests.Response:
    params = {"token": box.credentials["OUTSMART_TOKEN"], "software_token": box.credentials["OUTSMART_SOFTWARE_TOKEN"]}
    body = [{"debtor_number": debtor, "name": "N", "street": "S", "postal_code": "1234AB", "city": "C"}]
    return session.post(f"{box.outsmart_url}/relations/", params=params, json=body)


def test_shipped_seed_data_is_identical_to_the_samples() -> None:
    for name in ("relations.json", "freefields.json"):
        assert (DATA / name).read_bytes() == (SAMPLES / name).read_bytes(), f"copy mappings/samples/{name} to {DATA}"


def test_urls_credentials_and_clean_restart() -> None:
    box = Sandbox()
    with pytest.raises(RuntimeError):
        _ = box.outsmart_url
    with box:
        assert box.outsmart_url.startswith("http://127.0.0.1:") and box.outsmart_url.endswith("/openapi/8")
        assert box.silvasoft_url.endswith("/rest") and box.outsmart_url != box.silvasoft_url
        assert set(box.credentials) == {
            "OUTSMART_TOKEN",
            "OUTSMART_SOFTWARE_TOKEN",
            "SILVASOFT_USERNAME",
            "SILVASOFT_API_KEY",
        }
    box.stop()  # stopping twice is harmless


def test_scripted_silvasoft_faults_come_first_before_auth_and_cost_nothing(session: requests.Session) -> None:
    faults = Faults()
    with Sandbox(silvasoft_faults=faults, requests_per_hour=10) as box:
        faults.inject("error")
        faults.inject("throttle")
        faults.inject("ratelimit", count=2)
        assert list_relations(session, box, ApiKey="wrong").json() == {
            "errorCode": 500,
            "errorMessage": "Technical error",
        }
        assert list_relations(session, box).json() == {"errorCode": 429, "errorMessage": "Too many requests"}
        assert list_relations(session, box).json() == {"errorCode": 401, "errorMessage": "Ratelimit exceeded"}
        assert list_relations(session, box).status_code == 401
        assert faults.pending() == 0 and list_relations(session, box).text == "{}"
        assert box.silvasoft.requests_left() == 9
        assert [(e.status, e.fault) for e in box.silvasoft.log] == [
            (500, "error"),
            (429, "throttle"),
            (401, "ratelimit"),
            (401, "ratelimit"),
            (200, None),
        ]


def test_drop_closes_the_connection_before_anything_happens(session: requests.Session) -> None:
    faults = Faults()
    with Sandbox(silvasoft_faults=faults) as box:
        faults.inject("drop", path="addprivaterelation")
        assert list_relations(session, box).status_code == 200  # another path: not this fault's
        with pytest.raises(requests.ConnectionError):
            add_private(session, box)
        assert box.silvasoft.relations() == [] and box.silvasoft.requests_left() == 1199
        assert box.silvasoft.log[-1] == LoggedRequest("POST", "addprivaterelation", None, "drop")
        assert add_private(session, box).status_code == 200


def test_drop_after_write_keeps_the_write_and_counts_it(session: requests.Session, tmp_path: Path) -> None:
    faults = Faults()
    with Sandbox(tmp_path, silvasoft_faults=faults) as box:
        faults.inject("drop_after_write")
        assert list_relations(session, box).status_code == 200  # reads are never dropped after a write
        with pytest.raises(requests.ConnectionError):
            add_private(session, box)
        assert [r["Name"] for r in box.silvasoft.relations()] == ["Piet Berg"]
        assert "Piet Berg" in (tmp_path / "silvasoft.json").read_text(encoding="utf-8")
        assert box.silvasoft.requests_left() == 1198
        assert box.silvasoft.log[-1] == LoggedRequest("POST", "addprivaterelation", 200, "drop_after_write")
        assert add_private(session, box).json()[0]["RelationGUID"] == 4_000_001  # the retry finds it by e-mail


def test_outsmart_faults(session: requests.Session) -> None:
    faults = Faults()
    with Sandbox(outsmart_faults=faults) as box:
        faults.inject("error")
        faults.inject("throttle")  # OutSmart has no throttling: stays queued, never applies
        faults.inject("drop_after_write")
        assert outsmart_get(session, box) == {"code": 1007, "messages": ["General error"], "response": None}
        assert outsmart_get(session, box)["code"] == 200
        with pytest.raises(requests.ConnectionError):
            outsmart_post(session, box, "30001")
        assert box.outsmart.get("30001") is not None and faults.pending() == 1
        assert [(e.endpoint, e.status, e.fault) for e in box.outsmart.log] == [
            ("relations", 1007, "error"),
            ("relations", 200, None),
            ("relations", 200, "drop_after_write"),
        ]


def _statuses(seed: int, session: requests.Session) -> tuple[list[int | None], int]:
    faults = Faults(error_rate=0.3, throttle_rate=0.2, drop_rate=0.1, seed=seed)
    statuses: list[int | None] = []
    with Sandbox(silvasoft_faults=faults) as box:
        for _ in range(30):
            try:
                statuses.append(list_relations(session, box).status_code)
            except requests.ConnectionError:
                statuses.append(None)
        return statuses, box.silvasoft.requests_left()


def test_seeded_random_faults_repeat_exactly(session: requests.Session) -> None:
    first, left = _statuses(7, session)
    assert _statuses(7, session)[0] == first
    assert {None, 200, 429, 500} == set(first)
    assert left == 1200 - first.count(200)  # only answered requests spend the budget
    assert _statuses(8, session)[0] != first


def test_latency_delays_every_answer(session: requests.Session) -> None:
    with Sandbox(silvasoft_faults=Faults(latency=0.15)) as box:
        started = time.perf_counter()
        assert list_relations(session, box).status_code == 200
        assert time.perf_counter() - started >= 0.15


def test_fault_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        Faults(error_rate=1.5)
    with pytest.raises(ValueError, match="unknown fault kind"):
        Faults().inject("explode")


def test_folder_keeps_both_apis_across_sandboxes(session: requests.Session, tmp_path: Path) -> None:
    with Sandbox(tmp_path) as box:
        assert add_private(session, box, "Een").json()[0]["CustomerNumber"] == 1000
        assert outsmart_post(session, box, "30001").json()["response"] == 1
        box.outsmart.edit("10001", city="Hilversum")
        box.outsmart.remove("10002")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outsmart.json", "silvasoft.json"]  # no temp files left
    with Sandbox(tmp_path) as again:
        assert [r["Name"] for r in again.silvasoft.relations()] == ["Een Berg"]
        created = add_private(session, again, "Twee").json()[0]
        assert (created["RelationGUID"], created["CustomerNumber"]) == (4_000_002, 1001)
        relations = {r["debtor_number"]: r for r in outsmart_get(session, again)["response"]}
        assert "30001" in relations and "10002" not in relations and relations["10001"]["city"] == "Hilversum"
        assert again.outsmart.get("10001") == again.outsmart.relations()[0]


def test_reset_goes_back_to_the_seed_and_is_saved(session: requests.Session, tmp_path: Path) -> None:
    with Sandbox(tmp_path, requests_per_hour=5) as box:
        add_private(session, box)
        outsmart_post(session, box, "30001")
        box.reset()
        assert box.silvasoft.relations() == [] and box.silvasoft.requests_left() == 5
        assert box.outsmart.get("30001") is None and len(box.outsmart.relations()) == 40
        assert box.outsmart.log == [] and box.silvasoft.log == []
        assert add_private(session, box).json()[0]["RelationGUID"] == 4_000_001
    with Sandbox(tmp_path) as again:
        assert [r["RelationGUID"] for r in again.silvasoft.relations()] == [4_000_001]
        assert again.outsmart.get("30001") is None


def test_custom_seed_relations_and_freefields(session: requests.Session) -> None:
    settings = [{"fld_entity": "CLIENT", "fld_name": "X", "fld_order": "3"}]
    seed = [{"debtor_number": "A1", "name": "Eén", "val_value_3": "drie", "val_value_4": "vier"}]
    with Sandbox(relations=seed, freefields=settings) as box:
        params = {
            "token": box.credentials["OUTSMART_TOKEN"],
            "software_token": box.credentials["OUTSMART_SOFTWARE_TOKEN"],
        }
        params["includeFreefields"] = "true"
        relations = session.get(f"{box.outsmart_url}/relations/", params=params).json()["response"]
        assert relations == [{"debtor_number": "A1", "name": "Eén", "val_value_3": "drie"}]


def test_concurrent_adds_get_distinct_guids_and_numbers() -> None:
    with Sandbox() as box:

        def add_five(worker: int) -> None:
            with requests.Session() as own:
                for n in range(5):
                    assert add_private(own, box, f"W{worker}N{n}").status_code == 200

        threads = [threading.Thread(target=add_five, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        relations = box.silvasoft.relations()
        assert [r["RelationGUID"] for r in relations] == list(range(4_000_001, 4_000_021))
        assert sorted(r["CustomerNumber"] for r in relations) == list(range(1000, 1020))
        assert box.silvasoft.count("addprivaterelation", ok_only=True) == 20 and box.silvasoft.requests_left() == 1180


def serve_args(folder: Path | None, port: int = 0, **more: object) -> argparse.Namespace:
    from relmap.commands.arguments import build_parser

    args = build_parser().parse_args(["sandbox", "serve", "--requests-per-hour", "7", "--reset"])
    args.data, args.outsmart_port = (str(folder) if folder else None), port
    for name, value in more.items():
        setattr(args, name, value)
    return args


def test_serve_command_reports_a_taken_port() -> None:
    with Sandbox() as box:
        taken = int(box.outsmart_url.split(":")[2].split("/")[0])
        err = io.StringIO()
        assert serve(serve_args(None, taken), io.StringIO(), err, until=threading.Event()) == 2
        assert "cannot serve on 127.0.0.1" in err.getvalue()


def test_serve_command_prints_exports_and_stops_on_the_event(session: requests.Session, tmp_path: Path) -> None:
    args = serve_args(tmp_path)
    out, err, stop = io.StringIO(), io.StringIO(), threading.Event()
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(serve(args, out, err, until=stop)))
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while out.getvalue().count("\n") < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        exports = dict(line.removeprefix("export ").split("=", 1) for line in out.getvalue().splitlines())
        assert set(exports) == {
            "RELMAP_OUTSMART_URL",
            "RELMAP_SILVASOFT_URL",
            "OUTSMART_TOKEN",
            "OUTSMART_SOFTWARE_TOKEN",
            "SILVASOFT_USERNAME",
            "SILVASOFT_API_KEY",
        }
        headers = {"ApiKey": exports["SILVASOFT_API_KEY"], "Username": exports["SILVASOFT_USERNAME"]}
        response = session.get(exports["RELMAP_SILVASOFT_URL"] + "/listrelations/", headers=headers)
        assert response.status_code == 200 and response.text == "{}"
    finally:
        stop.set()
        thread.join(5)
    assert codes == [0] and "Ctrl-C" in err.getvalue()
    assert (tmp_path / "silvasoft.json").exists()


@pytest.mark.parametrize(("form", "shape"), [("array", list), ("object", dict)])
def test_serve_answers_in_the_form_asked_for(session: requests.Session, tmp_path: Path, form: str, shape: type) -> None:
    args = serve_args(tmp_path, answer_form=form)
    out, err, stop = io.StringIO(), io.StringIO(), threading.Event()
    thread = threading.Thread(target=lambda: serve(args, out, err, until=stop))
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while out.getvalue().count("\n") < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        exports = dict(line.removeprefix("export ").split("=", 1) for line in out.getvalue().splitlines())
        headers = {"ApiKey": exports["SILVASOFT_API_KEY"], "Username": exports["SILVASOFT_USERNAME"]}
        body = {"Relation_Contact": [{"FirstName": "A", "LastName": "B"}], "CustomerNumber": 5}
        answer = session.post(exports["RELMAP_SILVASOFT_URL"] + "/addprivaterelation/", json=body, headers=headers)
        assert answer.status_code == 200 and isinstance(answer.json(), shape)
    finally:
        stop.set()
        thread.join(5)
