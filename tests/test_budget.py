"""The Silvasoft request budget: pace parsing, spacing, the sliding hour kept in the state ledger. A fake clock only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from relmap.errors import BudgetSpent, ConfigError
from relmap.state.store import State
from relmap.targets.budget import HOUR, VENDOR_PACE, Budget, Pace, parse_pace

T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC


def near(expected: object) -> object:
    """Equal up to float rounding; pytest.approx's default relative tolerance is 30 minutes on epoch seconds."""
    return pytest.approx(expected, rel=0, abs=1e-6)


class FakeTime:
    """A clock and a sleep that advances it, so that spacing is observable without waiting."""

    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    with State(tmp_path / "state.db", "target-a") as opened:
        yield opened


def budget(state: State, fake: FakeTime, pace: Pace) -> Budget:
    return Budget(state, pace, clock=fake.clock, sleep=fake.sleep)


def endpoints(state: State) -> list[tuple[float, str]]:
    return [(float(at), str(e)) for at, e in state.db.execute("SELECT at, endpoint FROM ledger ORDER BY at, rowid")]


# -- Pace, parse_pace --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pace", "interval"),
    [
        (Pace(), 1.2),  # 50/min is tighter than 2/s
        (Pace(15, 2.0, 200.0), 0.5),  # 2/s is tighter than 200/min
        (Pace(15, 20.0, 1200.0), 0.05),
        (Pace(15, 0.5, 50.0), 2.0),
    ],
)
def test_pace_interval_is_the_tighter_of_both_paces(pace: Pace, interval: float) -> None:
    assert pace.interval == near(interval)


def test_vendor_pace_is_silvasofts_published_limit() -> None:
    assert Pace(15, 2.0, 50.0) == VENDOR_PACE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Pace(40, 2.0, 50.0)),
        ("20/s", Pace(40, 20.0, 1200.0)),  # a faster second pace lifts the vendor's minute pace with it
        ("20/s,600/min", Pace(40, 20.0, 600.0)),
        (" 20/s , 600/min ", Pace(40, 20.0, 600.0)),
        ("100/min", Pace(40, 2.0, 100.0)),
        ("0.5/s", Pace(40, 0.5, 50.0)),
        ("20/s,", Pace(40, 20.0, 1200.0)),
    ],
)
def test_parse_pace(text: str, expected: Pace) -> None:
    assert parse_pace(text, 40) == expected


@pytest.mark.parametrize("text", ["20", "20/h", "0/s", "-3/s", "fast/s", "20/s,x", "/s", "20/ s"])
def test_parse_pace_refuses_anything_else(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_pace(text, 15)
    assert str(caught.value) == f"RELMAP_SILVASOFT_PACE: expected e.g. 20/s or 20/s,600/min, got {text!r}"


def test_parse_pace_does_not_depend_on_the_order_of_its_parts() -> None:
    assert parse_pace("600/min,20/s", 15) == parse_pace("20/s,600/min", 15) == Pace(15, 20.0, 600.0)


def test_parse_pace_refuses_nan() -> None:
    with pytest.raises(ConfigError):
        parse_pace("nan/s", 15)


# -- spacing -----------------------------------------------------------------------------------------------------
def test_requests_are_spaced_by_the_pace_interval(state: State, fake: FakeTime) -> None:
    slots = budget(state, fake, Pace(15, 2.0, 50.0))
    for _ in range(3):
        slots.acquire("addprivaterelation")
    assert fake.sleeps == near([1.2, 1.2])
    assert fake.now == near(T0 + 2.4)
    assert state.ledger_since(0) == near([T0, T0 + 1.2, T0 + 2.4])
    assert slots.spent == 3
    assert slots.left() == 12


def test_spacing_only_waits_for_what_is_left_of_the_interval(state: State, fake: FakeTime) -> None:
    slots = budget(state, fake, Pace(15, 2.0, 50.0))
    slots.acquire("listrelations")
    fake.now += 0.5
    slots.acquire("listrelations")
    fake.now += 5.0
    slots.acquire("updaterelation")
    assert fake.sleeps == near([0.7])
    assert endpoints(state) == [
        (T0, "listrelations"),
        (near(T0 + 1.2), "listrelations"),
        (near(T0 + 6.2), "updaterelation"),
    ]


def test_the_first_request_of_a_run_keeps_its_distance_from_the_last_run(tmp_path: Path, fake: FakeTime) -> None:
    with State(tmp_path / "s.db", "t") as first:
        budget(first, fake, Pace(15, 2.0, 50.0)).acquire("listrelations")
    fake.now += 0.2
    with State(tmp_path / "s.db", "t") as second:
        budget(second, fake, Pace(15, 2.0, 50.0)).acquire("listrelations")
        assert fake.sleeps == near([1.0])
        assert second.ledger_since(0) == near([T0, T0 + 1.2])


# -- the hour ----------------------------------------------------------------------------------------------------
def test_a_spent_hour_raises_budget_spent_with_when_to_resume(state: State, fake: FakeTime) -> None:
    slots = budget(state, fake, Pace(3, 20.0, 1200.0))
    for _ in range(3):
        slots.acquire("addbusinessrelation")
    assert slots.left() == 0
    with pytest.raises(BudgetSpent) as caught:
        slots.acquire("addbusinessrelation")
    assert caught.value.resume_at == near(T0 + HOUR)
    assert slots.resume_at() == near(T0 + HOUR)
    assert str(caught.value) == "the hourly budget of 3 Silvasoft requests is spent"
    assert slots.spent == 3
    assert len(state.ledger_since(0)) == 3  # a refused slot is not recorded


def test_the_hour_slides_one_request_at_a_time(state: State, fake: FakeTime) -> None:
    slots = budget(state, fake, Pace(2, 2.0, 120.0))
    slots.acquire("a")
    fake.now = T0 + 600
    slots.acquire("b")
    fake.now = T0 + HOUR - 0.001
    with pytest.raises(BudgetSpent):
        slots.acquire("c")
    fake.now = T0 + HOUR  # the first request is exactly one hour old: out of the window
    assert slots.left() == 1
    slots.acquire("c")
    with pytest.raises(BudgetSpent) as caught:
        slots.acquire("d")
    assert caught.value.resume_at == near(T0 + 600 + HOUR)
    assert fake.sleeps == []


def test_resume_at_is_now_while_requests_are_left(state: State, fake: FakeTime) -> None:
    slots = budget(state, fake, Pace(5, 2.0, 50.0))
    slots.acquire("a")
    assert slots.resume_at() == fake.now


def test_resume_at_counts_every_request_over_a_lowered_budget(state: State, fake: FakeTime) -> None:
    # Five requests in the ledger from a run with a larger plan; the plan now allows three an hour.
    for second in range(5):
        state.record_request(T0 - 100 + second, "listrelations")
    slots = budget(state, fake, Pace(3, 2.0, 50.0))
    assert slots.left() == 0
    with pytest.raises(BudgetSpent) as caught:
        slots.acquire("listrelations")
    # Three of the five must leave the window before one more fits: the third oldest leaves at T0 - 98 + HOUR.
    assert caught.value.resume_at == near(T0 - 98 + HOUR)


def test_the_hour_is_shared_by_budgets_on_one_state(state: State, fake: FakeTime) -> None:
    pace = Pace(4, 20.0, 1200.0)
    first = budget(state, fake, pace)
    first.acquire("addprivaterelation")
    first.acquire("addprivaterelation")
    fake.now += 10
    second = budget(state, fake, pace)
    assert second.spent == 0
    assert second.left() == 2
    second.acquire("updaterelation")
    second.acquire("updaterelation")
    with pytest.raises(BudgetSpent) as caught:
        second.acquire("updaterelation")
    assert caught.value.resume_at == near(T0 + HOUR)
    assert second.spent == 2


def test_the_hour_is_shared_by_back_to_back_runs(tmp_path: Path, fake: FakeTime) -> None:
    pace = Pace(3, 20.0, 1200.0)
    with State(tmp_path / "s.db", "t") as run1:
        slots = budget(run1, fake, pace)
        slots.acquire("listrelations")
        slots.acquire("addprivaterelation")
    fake.now += 1800
    with State(tmp_path / "s.db", "t") as run2:
        slots = budget(run2, fake, pace)
        assert slots.left() == 1
        slots.acquire("updaterelation")
        with pytest.raises(BudgetSpent) as caught:
            slots.acquire("updaterelation")
        assert caught.value.resume_at == near(T0 + HOUR)
    fake.now = T0 + HOUR + 0.06
    with State(tmp_path / "s.db", "t") as run3:
        assert budget(run3, fake, pace).left() == 2  # the first run's first two requests are more than an hour old


def test_a_new_budget_prunes_ledger_entries_older_than_two_hours(state: State, fake: FakeTime) -> None:
    for age in (3 * HOUR, 2 * HOUR + 1, 2 * HOUR - 1, 1.5 * HOUR, 0.5 * HOUR):
        state.record_request(T0 - age, "listrelations")
    slots = budget(state, fake, Pace(10, 2.0, 50.0))
    assert state.ledger_since(0) == near([T0 - 2 * HOUR + 1, T0 - 1.5 * HOUR, T0 - 0.5 * HOUR])
    assert slots.left() == 9  # only the one from half an hour ago is in this hour
