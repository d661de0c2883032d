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


def test_runs_at_the_same_time_count_the_requests_that_leave_the_hour_as_they_race(tmp_path: Path) -> None:
    """20 requests leave the hour after four runs opened the ledger, before they race for its 40 slots; 5 stay."""
    start = time.time() + 2.5
    with Ledger.open("acct", {"RELMAP_LEDGER_DIR": str(tmp_path)}, "earlier") as led:
        leaving = [(start - HOUR - 0.4 + n * 0.02,) for n in range(20)]
        staying = [(start - HOUR + 600 + n,) for n in range(5)]
        led.db.executemany("INSERT INTO requests VALUES (?, 'listrelations', 'earlier')", leaving + staying)
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()
    workers = [
        context.Process(target=_take_slots, args=(str(tmp_path), f"state-{n}", start, results)) for n in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    taken = sorted(results.get(timeout=5) for _ in workers)
    assert sum(taken) == 35, taken  # the 20 gone, the 5 still counted
    with sqlite3.connect(tmp_path / "silvasoft-acct.db") as db:
        assert db.execute("SELECT count(*) FROM requests WHERE state != 'earlier'").fetchone() == (35,)
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


def _counted_by_hand(db: sqlite3.Connection, start: float) -> int:
    query = "SELECT count(*) FROM requests WHERE typeof(at) IN ('integer', 'real') AND at > ?"
    return int(db.execute(query, (start,)).fetchone()[0])


@pytest.mark.parametrize("seed", range(4))
def test_the_hours_count_follows_every_change_to_the_rows_whoever_makes_it(tmp_path: Path, seed: int) -> None:
    """Slots taken, rows another program adds, moves or deletes (an older relmap, a hand edit; text and integer
    times, minute boundaries, the hour's own start): the count a slot is decided on is the rows' count."""
    import random

    rng = random.Random(seed)
    with Ledger.open("acct", {"RELMAP_LEDGER_DIR": str(tmp_path)}) as led:
        other = sqlite3.connect(tmp_path / "silvasoft-acct.db", isolation_level=None)
        now = T0
        for _ in range(400):
            now += rng.choice([0.0, 0.25, 1.0, 59.5, 60.0, 600.0])
            moment = rng.choice([now, now - HOUR, now - HOUR + 0.001, now - 3599.75, now - rng.uniform(0, 7200)])
            moment = rng.choice([moment, float(int(moment) // 60 * 60), int(moment)])
            action = rng.randrange(6)
            if action == 0:
                led.take(now, "listrelations", 10**9, 0.0, [])
            elif action == 1:
                other.execute("INSERT INTO requests VALUES (?, 'listrelations', 'older relmap')", (moment,))
            elif action == 2:
                other.execute("INSERT INTO requests VALUES (?, 'listrelations', 'hand')", (rng.choice(["x", ""]),))
            elif action == 3:
                other.execute("DELETE FROM requests WHERE rowid IN (SELECT rowid FROM requests ORDER BY random() "
                              "LIMIT 2)")  # fmt: skip
            elif action == 4:
                other.execute("UPDATE requests SET at = ? WHERE rowid = (SELECT max(rowid) FROM requests)", (moment,))
            else:
                led.prune(now - 2 * HOUR)
            for start in (now - HOUR, moment, moment - 0.5):
                assert led.count_after(start) == _counted_by_hand(other, start), (seed, start)
        other.close()


def test_opening_the_ledger_counts_the_rows_an_older_relmap_or_a_hand_edit_left(tmp_path: Path) -> None:
    path = tmp_path / "silvasoft-acct.db"
    with sqlite3.connect(path) as older:  # a ledger as relmap kept it before it counted minutes
        older.execute("CREATE TABLE requests (at REAL NOT NULL, endpoint TEXT NOT NULL, state TEXT NOT NULL)")
        older.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        older.executemany("INSERT INTO requests VALUES (?, 'listrelations', 'a')", [(T0 - s,) for s in range(4)])
    older.close()
    clock = Clock()
    with Ledger.open("acct", {"RELMAP_LEDGER_DIR": str(tmp_path)}) as led:
        assert Budget(None, PACE, clock, clock.sleep, ledger=led).left() == 1
        led.db.execute("UPDATE hour SET n = 0")  # the count edited by hand
        led.db.execute("DROP TRIGGER requests_added")
        led.db.execute("INSERT INTO requests VALUES (?, 'listrelations', 'a')", (T0 - 10,))
    with Ledger.open("acct", {"RELMAP_LEDGER_DIR": str(tmp_path)}) as led:
        slots = Budget(None, PACE, clock, clock.sleep, ledger=led)
        assert slots.left() == 0
        with pytest.raises(BudgetSpent):
            slots.acquire("listrelations")
        assert _counted_by_hand(led.db, T0 - HOUR) == 5


def test_a_slot_counts_what_another_run_took_after_this_one_started(tmp_path: Path) -> None:
    """Nothing of the hour is kept in a run's memory: each slot is decided on the ledger as it is then."""
    clock = Clock()
    environ = {"RELMAP_LEDGER_DIR": str(tmp_path)}
    with Ledger.open("acct", environ, "a") as one, Ledger.open("acct", environ, "b") as two:
        first = Budget(None, PACE, clock, clock.sleep, ledger=one)
        second = Budget(None, PACE, clock, clock.sleep, ledger=two)
        taken = []
        for turn in range(8):
            clock.now += 1
            budget = (first, second)[turn % 2]
            try:
                budget.acquire("listrelations")
                taken.append(turn % 2)
            except BudgetSpent:
                break
        assert taken == [0, 1, 0, 1, 0] and first.left() == second.left() == 0
        with sqlite3.connect(tmp_path / "silvasoft-acct.db") as older:  # a slot taken outside relmap's Budget
            older.execute("DELETE FROM requests WHERE rowid = (SELECT min(rowid) FROM requests)")
        older.close()
        assert first.left() == second.left() == 1


def _steps(led: Ledger, now: float) -> int:
    counted = [0]

    def step() -> int:
        counted[0] += 1
        return 0

    led.db.set_progress_handler(step, 10)
    assert led.take(now, "listrelations", 10**9, 0.0, []) is None
    led.db.set_progress_handler(None, 10)
    return counted[0]


def test_taking_a_slot_costs_the_same_however_many_requests_the_hour_holds(tmp_path: Path) -> None:
    """SQLite's own count of the steps a slot takes (not a timing): at 100 requests in the hour and at 20,000."""
    steps = {}
    for held in (100, 20_000):
        with Ledger.open(f"acct-{held}", {"RELMAP_LEDGER_DIR": str(tmp_path)}) as led:
            rows = [(T0 - HOUR + 1 + n * (HOUR - 2) / held,) for n in range(held)]
            led.db.executemany("INSERT INTO requests VALUES (?, 'listrelations', 'a')", rows)
            assert led.count_after(T0 - HOUR) == held
            steps[held] = _steps(led, T0)
    assert steps[20_000] <= 1.5 * steps[100], steps


def test_a_count_deleted_while_a_run_goes_on_is_made_again(tmp_path: Path) -> None:
    clock = Clock()
    with Ledger.open("acct", {"RELMAP_LEDGER_DIR": str(tmp_path)}) as led:
        slots = Budget(None, PACE, clock, clock.sleep, ledger=led)
        slots.acquire("listrelations")
        led.db.execute("DELETE FROM hour")
        assert slots.left() == 4
        slots.acquire("listrelations")
        assert led.db.execute("SELECT n FROM hour").fetchone() == (2,)  # made again, and counting on
        assert slots.left() == 3
