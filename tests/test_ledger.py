"""The account's request ledger: every mapping (state) on one Silvasoft account shares one hourly budget, across
runs and across processes running at the same time; Silvasoft's "Ratelimit exceeded" holds back all of them."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
from pathlib import Path

import pytest

from relmap.errors import BudgetSpent, StateError
from relmap.state.store import State
from relmap.targets import ledger
from relmap.targets.budget import HOUR, Budget, Pace
from relmap.targets.ledger import Ledger

T0 = 1_767_225_600.0
PACE = Pace(5, 1000.0, 60_000.0)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_folder_follows_the_environment(tmp_path: Path) -> None:
    assert ledger.folder({"RELMAP_LEDGER_DIR": str(tmp_path)}) == tmp_path
    assert ledger.folder({"XDG_STATE_HOME": "/x/state", "HOME": "/home/u"}) == Path("/x/state/relmap")
    assert ledger.folder({"HOME": "/home/u"}) == Path("/home/u/.local/state/relmap")
    assert ledger.folder({}).name == "relmap"  # env -i: the user's home from the password database
    assert ledger.path_for("abc123", {"RELMAP_LEDGER_DIR": str(tmp_path)}) == tmp_path / "silvasoft-abc123.db"


def test_two_mappings_on_one_account_share_the_hour(tmp_path: Path) -> None:
    clock = Clock()
    environ = {"RELMAP_LEDGER_DIR": str(tmp_path / "ledgers")}
    with (
        State(tmp_path / "consumers.db", "acct") as consumers,
        Ledger.open("acct", environ, "consumers") as shared,
    ):
        first = Budget(consumers, PACE, clock, clock.sleep, ledger=shared)
        for _ in range(3):
            first.acquire("addprivaterelation")
    clock.now += 60
    with (
        State(tmp_path / "companies.db", "acct") as companies,
        Ledger.open("acct", environ, "companies") as shared,
    ):
        second = Budget(companies, PACE, clock, clock.sleep, ledger=shared)
        assert second.left() == 2  # the other mapping's three count
        second.acquire("addbusinessrelation")
        second.acquire("addbusinessrelation")
        with pytest.raises(BudgetSpent) as caught:
            second.acquire("addbusinessrelation")
        assert caught.value.resume_at == pytest.approx(T0 + HOUR, abs=1e-6)
        rows = shared.db.execute("SELECT endpoint, state FROM requests ORDER BY at").fetchall()
    assert rows == [("addprivaterelation", "consumers")] * 3 + [("addbusinessrelation", "companies")] * 2
    with State(tmp_path / "companies.db", "acct") as companies:
        assert len(companies.ledger_since(0)) == 2  # each state still keeps its own history


def test_another_account_has_its_own_hour(tmp_path: Path) -> None:
    clock = Clock()
    environ = {"RELMAP_LEDGER_DIR": str(tmp_path)}
    with Ledger.open("one", environ) as one, Ledger.open("two", environ) as two:
        spend = Budget(None, PACE, clock, clock.sleep, ledger=one)
        for _ in range(5):
            spend.acquire("listrelations")
        assert spend.left() == 0
        assert Budget(None, PACE, clock, clock.sleep, ledger=two).left() == 5


def test_requests_a_state_counted_before_the_ledger_still_count(tmp_path: Path) -> None:
    clock = Clock()
    with State(tmp_path / "s.db", "acct") as state, Ledger.open("acct", {"RELMAP_LEDGER_DIR": str(tmp_path)}) as led:
        for second in range(3):
            state.record_request(T0 - 100 + second, "listrelations")  # an older relmap's count, in the state only
        slots = Budget(state, PACE, clock, clock.sleep, ledger=led)
        assert slots.left() == 2
        slots.acquire("listrelations")
        assert Budget(state, PACE, clock, clock.sleep, ledger=led).left() == 1  # counted once, not twice


def test_a_ratelimit_block_holds_back_every_mapping_on_the_account(tmp_path: Path) -> None:
    clock = Clock()
    environ = {"RELMAP_LEDGER_DIR": str(tmp_path)}
    with State(tmp_path / "a.db", "acct") as a, Ledger.open("acct", environ, "a") as led:
        Budget(a, PACE, clock, clock.sleep, ledger=led).block(T0 + 1800)
    with State(tmp_path / "b.db", "acct") as b, Ledger.open("acct", environ, "b") as led:
        other = Budget(b, PACE, clock, clock.sleep, ledger=led)
        assert other.left() == 0
        with pytest.raises(BudgetSpent) as caught:
            other.acquire("listrelations")
        assert caught.value.resume_at == T0 + 1800
        clock.now = T0 + 1801
        other.acquire("listrelations")
        other.block(T0 + 100)  # an earlier time never shortens a block already known
        assert led.blocked_until() == T0 + 1800


def _take_slots(folder: str, name: str, start: float, results: multiprocessing.Queue) -> None:
    taken = 0
    with Ledger.open("acct", {"RELMAP_LEDGER_DIR": folder}, name) as led:
        slots = Budget(None, Pace(40, 1000.0, 60_000.0), ledger=led, sleep=lambda s: time.sleep(min(s, 0.01)))
        while time.time() < start:
            time.sleep(0.001)
        for _ in range(40):
            try:
                slots.acquire("listrelations")
            except BudgetSpent:
                break
            taken += 1
    results.put(taken)


def test_runs_at_the_same_time_never_take_more_than_the_hour_together(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()
    start = time.time() + 1.5
    workers = [
        context.Process(target=_take_slots, args=(str(tmp_path), f"state-{n}", start, results)) for n in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    taken = sorted(results.get(timeout=5) for _ in workers)
    assert sum(taken) == 40, taken  # 40 in the hour between them: none over, none lost
    with sqlite3.connect(tmp_path / "silvasoft-acct.db") as db:
        assert db.execute("SELECT count(*) FROM requests").fetchone() == (40,)
    db.close()


def test_a_ledger_folder_that_cannot_be_made_is_a_clear_error_or_for_a_dry_run_a_private_count(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    environ = {"RELMAP_LEDGER_DIR": str(blocker / "ledgers")}
    with pytest.raises(StateError) as caught:
        Ledger.open("acct", environ)
    assert str(caught.value).startswith(f"the Silvasoft request ledger {blocker}/ledgers/silvasoft-acct.db cannot be")
    assert "set RELMAP_LEDGER_DIR to a folder relmap may write" in str(caught.value)
    private = Ledger.open("acct", environ, may_fall_back=True)
    assert (private.shared, private.path) == (False, None)
    assert private.problem == str(caught.value)
    private.close()


def test_a_damaged_ledger_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "silvasoft-acct.db"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(StateError) as caught:
        Ledger.open("acct", {"RELMAP_LEDGER_DIR": str(tmp_path)})
    assert str(caught.value).startswith(f"the Silvasoft request ledger {path} cannot be used")
    assert str(caught.value).endswith("delete it to start its count over (it only counts the last hour's requests)")


def test_a_clock_set_back_neither_sleeps_nor_spends_the_hour_waiting(tmp_path: Path) -> None:
    clock = Clock()
    environ = {"RELMAP_LEDGER_DIR": str(tmp_path)}
    with Ledger.open("acct", environ) as led:
        ahead = Budget(None, PACE, clock, clock.sleep, ledger=led)
        clock.now += 7200  # the clock was two hours ahead when these were sent
        for _ in range(3):
            ahead.acquire("listrelations")
        clock.now -= 7200  # and is set right
        waited = []
        slots = Budget(None, PACE, clock, lambda s: (waited.append(s), clock.sleep(s)), ledger=led)
        slots.acquire("listrelations")
        assert max(waited, default=0.0) <= PACE.interval  # the pace only: not two hours
        assert slots.left() == 1  # the three count as sent now; the hour is not spent for two hours more


def test_hand_edited_ledger_rows_are_not_requests_and_an_endless_block_is_an_hour(tmp_path: Path) -> None:
    clock = Clock()
    with Ledger.open("acct", {"RELMAP_LEDGER_DIR": str(tmp_path)}) as led:
        led.db.execute("INSERT INTO requests VALUES ('yesterday', 'listrelations', 'x')")
        led.db.execute("INSERT INTO meta VALUES ('blocked_until', 'inf')")
        slots = Budget(None, PACE, clock, clock.sleep, ledger=led)
        assert slots.left() == 5
        led.db.execute("UPDATE meta SET value = '1e20'")
        held = Budget(None, PACE, clock, clock.sleep, ledger=led)
        with pytest.raises(BudgetSpent) as caught:
            held.acquire("listrelations")
        assert caught.value.resume_at == T0 + HOUR


def test_a_relative_ledger_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StateError) as caught:
        ledger.folder({"RELMAP_LEDGER_DIR": "ledgers"})
    assert "give an absolute path, the same for every mapping of the Silvasoft account" in str(caught.value)
