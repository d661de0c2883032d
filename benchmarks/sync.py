"""What a real ``relmap run`` spends: Silvasoft requests per sync beside their floor, and wall time beside the pace.

Run from the repository root::

    PYTHONPATH=. python benchmarks/sync.py [--relations N] [--pace 50/s] [--paced-writes W] [--seed S]

What is run
-----------
The user's path: ``relmap.cli.main(["run", MAPPING, "--state", ..., "--quiet"])`` in-process, pointed through the
environment (the four credentials of ``sandbox.credentials``, ``RELMAP_OUTSMART_URL``, ``RELMAP_SILVASOFT_URL``,
``RELMAP_SILVASOFT_PACE``) at the built-in emulators (``relmap.sandbox.Sandbox``: real HTTP on 127.0.0.1). The
mapping is ``mappings/business-routing.yaml`` with ``requests_per_hour: 1200`` (the largest plan), written to a
temporary folder with the state database. OutSmart holds ``N`` synthetic relations (default 2,000), all clean:
unique debtor numbers and e-mail addresses, about 30 % companies (a KvK number, or only a VAT number) routed to
``addbusinessrelation`` and the rest to ``addprivaterelation``, plus a few inactive relations (skipped by the
mapping) and leads (filtered out by OutSmart), so not every relation read needs a write.

The hourly budget: resumed runs, not a raised limit
---------------------------------------------------
2,000 relations need more than 1,200 requests, but the mapping cannot ask for more: its schema caps
``requests_per_hour`` at 1200, the largest plan. So the emulator is held to 1200 per hour as well, and the first sync is
measured the way a user on that plan lives it: the first run spends the hour and stops (exit 3, relations pending), then
"an hour passes" and a second run finishes. The hour is passed without waiting: the benchmark empties relmap's request
ledgers (``relmap.state.store.State.prune_ledger`` and ``relmap.targets.ledger.Ledger.prune``) and resets the emulator's
rate window (``sandbox.silvasoft.reset_rate_window()``); nothing else of the state is touched. The same is done before
each later phase, so every phase starts with a full hour and the budget never decides a later figure. Resuming is also
what makes the listing floor interesting: the resumed run must list Silvasoft again, by then holding ~1,200 relations.
An emulator answer of 401 (rate limit) or 429 would mean relmap overspent; the log is checked for it.

Phases 1-3 run at ``RELMAP_SILVASOFT_PACE=1000/s``, so they are not held back by the pace; phase 4 uses ``--pace``.

What is measured, each beside its floor
---------------------------------------
Requests are counted from the Silvasoft emulator's request log (by endpoint and status), never from relmap's output;
relmap's summary line ("Silvasoft requests: N spent") is parsed and cross-checked against the log for every run.

1. First sync into an empty Silvasoft. Floor: one create per relation that must exist in Silvasoft (active
   customers, counted from the generated data and split by endpoint), plus one listing request per 200 relations
   present in Silvasoft when it is listed (ceil(present / 200), per run that still has relations to place).
2. A re-run with nothing changed. Floor: 0 writes and 0 requests in all.
3. 50 relations changed in OutSmart (their city, through ``sandbox.outsmart.edit``). Floor: 50 updates and no
   listing, since every relation is linked.
4. ``W`` relations changed (default 300, their street), synced at ``--pace`` (default 50/s). Floor for the wall time:
   the requests sent (from the log) times the pace's interval (``relmap.targets.budget.parse_pace``). Target: the whole
   ``relmap run`` within 10 % of that floor (ratio at most 1.10).

5. The free plan with a full Silvasoft, in a sandbox of its own: 3,000 relations entered in Silvasoft before relmap, 16
   new active customers in OutSmart, ``requests_per_hour: 15`` (the mapping's and the emulator's), a run per simulated
   hour. Target: all 16 created within 2 hours of budget, 0 duplicates; printed with the requests per created relation
   against the floor of one create each. Then a ``--full`` read, which compares every linked relation with Silvasoft's
   copy and so lists Silvasoft whole (16 pages: more than an hour): target, one listing across the hours it takes (the
   kept listing goes on where the last hour stopped). (Before the listing mark and the creates' ABORT answers, every run
   spent its hour on the first 15 listing pages: nothing was ever created.)

6. The steady state with open problems: the sandbox's sample data, whose first sync leaves two relations not in step
   (an e-mail address shared with another relation, and a debtor number that cannot be a CustomerNumber), then three
   hourly runs with nothing changed in OutSmart. Target: 0 Silvasoft requests per run, while every run still lists
   both relations as not in step and exits 1.

Each target prints PASS, MISS (above its floor) or SHORT (writes missing); a count above its floor lists the extra
requests from the log (position in the run, endpoint, status). Below the figures, the data itself is checked:
Silvasoft holds exactly the expected relations, the edited cities and streets arrived, relmap's summary matches the
log, and Silvasoft answered every request 200. As in render.py, the targets never change the exit code; it is 1 only
when a check fails (the sync did something wrong).
The whole script takes well under two minutes with the defaults.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

from relmap.cli import main as relmap_main
from relmap.errors import ConfigError
from relmap.mapping.compiler import compile_file
from relmap.sandbox import LoggedRequest, Sandbox
from relmap.state.store import State
from relmap.sync import connect
from relmap.targets.budget import parse_pace
from relmap.targets.ledger import Ledger
from relmap.targets.silvasoft import PAGE_LIMIT

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MAPPING = ROOT / "mappings" / "business-routing.yaml"
PLAN_PER_HOUR = 1200  # the largest Silvasoft plan, and the most the mapping schema allows
FAST_PACE = "1000/s"  # phases 1-3: counting requests, not waiting for the pace
PAGE = 200  # listrelations answers at most 200 relations per call
CHANGED = 50
TARGET_TIME_RATIO = 1.10
CREATE_ENDPOINTS = ("addprivaterelation", "addbusinessrelation")
WRITE_ENDPOINTS = (*CREATE_ENDPOINTS, "updaterelation")
ENDPOINTS = (*WRITE_ENDPOINTS, "listrelations")
SUMMARY = re.compile(r"Silvasoft requests: (\d+) spent")

# --------------------------------------------------------------------------------------------------------------
# Synthetic relations
# --------------------------------------------------------------------------------------------------------------

FIRST_NAMES = ("Piet", "Jan", "Anna", "Sanne", "Kees", "Lotte", "Daan", "Noor", "Fatima", "Bart", "Eva", "Henk")
LAST_NAMES = (
    "van der Berg", "de Vries", "Jansen", "Bakker", "van Dijk", "de Groot", "Visser", "Smit", "el Amrani",
    "ter Horst", "Mulder", "de Jong", "van den Heuvel", "van Leeuwen",
)  # fmt: skip
SALUTATIONS = ("Dhr.", "Mevr.", "De heer", "Mevrouw", "")
TRADES = ("Installatietechniek", "Koeltechniek", "Loodgietersbedrijf", "Schilderwerken", "Dakwerken", "Elektro")
STREETS = ("Dorpsstraat", "Kerkstraat", "Stationsweg", "Molenweg", "Cartesiusweg", "Oud-Loosdrechtsedijk")
CITIES = ("Utrecht", "Amersfoort", "Loosdrecht", "Zwolle", "Haarlem", "Tilburg", "Leiden", "Deventer", "Breda")
LETTERS = "ABCDEGHJKLMNPRTVWXZ"


def generate(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` clean OutSmart relations, the same for the same seed."""
    rng = Random(seed)
    return [relation(number, rng) for number in range(count)]


def relation(number: int, rng: Random) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    kind = rng.choices(("private", "kvk", "vat"), (70, 25, 5))[0]
    company = f"{last.split()[-1]} {rng.choice(TRADES)} B.V."
    person = f"{first} {last}"
    slug = re.sub(r"[^a-z]", "", last.lower())
    modified = 1_672_531_200 + rng.randrange(2 * 365 * 86400)  # 2023-01-01 .. 2024-12-31, UTC
    return {
        "debtor_number": str(30000 + number),
        "name": company if kind != "private" else person,
        "contact": f"{rng.choice(SALUTATIONS)} {person}".strip(),
        "email": f"{'info' if kind != 'private' else first.lower()}.{slug}.{number}@example.nl",
        "email_workorder": None,
        "phone_number": f"06{rng.randrange(10**7, 10**8)}",
        "mobile": "",
        "street": rng.choice(STREETS),
        "house_number": str(rng.randrange(1, 300)) + rng.choice(("", "", "", "a", "-2")),
        "postal_code": f"{rng.randrange(1000, 10000)}{rng.choice(LETTERS)}{rng.choice(LETTERS)}",
        "city": rng.choice(CITIES),
        "country": rng.choice(("NL", "NL", "NL", "Nederland")),
        "kvk_number": f"{rng.randrange(10**7, 10**8)}" if kind == "kvk" else "",
        "vat_number": f"NL{rng.randrange(10**8, 10**9)}B01" if kind == "vat" else "",
        "debtor_type": rng.choices(("customer", "lead"), (97, 3))[0],
        "active": rng.choices(("1", "0"), (97, 3))[0],
        "external_id": "",
        "created_at": stamp(modified - rng.randrange(400 * 86400)),
        "modified_at": stamp(modified),
    }


def stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


def expected_endpoint(raw: dict[str, Any]) -> str | None:
    """Where the mapping must send a relation, read off the data (None: it is never in Silvasoft)."""
    if raw["debtor_type"] != "customer" or raw["active"] == "0":
        return None
    return "addbusinessrelation" if raw["kvk_number"] or raw["vat_number"] else "addprivaterelation"


# --------------------------------------------------------------------------------------------------------------
# Running relmap and reading the emulator's log
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One ``relmap run``: what the emulator logged during it, and what relmap printed."""

    label: str
    exit_code: int
    seconds: float
    present: int  # relations in Silvasoft when the run started (it lists, if at all, before writing)
    log: list[LoggedRequest]
    outsmart_requests: int
    stdout: str
    stderr: str

    @property
    def reported(self) -> int | None:
        found = SUMMARY.search(self.stdout)
        return int(found.group(1)) if found else None

    def count(self, endpoint: str | None = None) -> int:
        return sum(1 for entry in self.log if endpoint is None or entry.endpoint == endpoint)


@dataclass
class Phase:
    name: str
    floors: dict[str, int]  # endpoint → floor
    runs: list[Run] = field(default_factory=list)

    @property
    def log(self) -> list[tuple[Run, int, LoggedRequest]]:
        return [(run, position, entry) for run in self.runs for position, entry in enumerate(run.log, 1)]

    def count(self, endpoint: str | None = None) -> int:
        return sum(run.count(endpoint) for run in self.runs)

    @property
    def floor(self) -> int:
        return sum(self.floors.values())


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Bench:
    """The sandbox, the mapping and the state of one benchmark; ``run`` is one ``relmap run`` through the CLI."""

    def __init__(self, sandbox: Sandbox, folder: Path, per_hour: int = PLAN_PER_HOUR) -> None:
        self.sandbox = sandbox
        self.mapping = folder / "business-routing.yaml"
        self.state = folder / "state.db"
        text = SHIPPED_MAPPING.read_text(encoding="utf-8")
        changed, found = re.subn(r"(?m)^(\s+requests_per_hour:) \d+$", rf"\1 {per_hour}", text)
        if found != 1:
            raise SystemExit(f"{SHIPPED_MAPPING}: expected one requests_per_hour line, found {found}")
        self.mapping.write_text(changed, encoding="utf-8")
        self.environ = {
            **sandbox.credentials,
            "RELMAP_OUTSMART_URL": sandbox.outsmart_url,
            "RELMAP_SILVASOFT_URL": sandbox.silvasoft_url,
            "RELMAP_LEDGER_DIR": str(folder / "ledgers"),  # this benchmark's account, apart from the user's
        }

    def run(self, label: str, pace: str, *extra: str) -> Run:
        silvasoft, outsmart = self.sandbox.silvasoft, self.sandbox.outsmart
        start_s, start_o = len(silvasoft.log), len(outsmart.log)
        present = len(silvasoft.relations())
        out, err = io.StringIO(), io.StringIO()
        argv = ["run", str(self.mapping), "--state", str(self.state), "--quiet", *extra]
        with environment({**self.environ, "RELMAP_SILVASOFT_PACE": pace}):
            began = time.perf_counter()
            code = relmap_main(argv, stdout=out, stderr=err)
            seconds = time.perf_counter() - began
        log = silvasoft.log[start_s:]
        return Run(label, code, seconds, present, log, len(outsmart.log) - start_o, out.getvalue(), err.getvalue())

    def pass_an_hour(self) -> None:
        """As if an hour went by: relmap's request ledger and the emulator's rate window are emptied."""
        with environment(self.environ):
            plan = compile_file(str(self.mapping)).plan
            assert plan is not None, "the benchmark mapping does not compile"
            target = connect.settings(plan, os.environ).target
        with State(self.state, target) as state:
            state.prune_ledger(time.time() + 1)
        with Ledger.open(target, self.environ) as ledger:
            ledger.prune(time.time() + 1)
        self.sandbox.silvasoft.reset_rate_window()


# --------------------------------------------------------------------------------------------------------------
# The phases
# --------------------------------------------------------------------------------------------------------------


def listing_floor(present: int, unplaced: int) -> int:
    """Listing requests a run needs: one per 200 relations present, if any relation is still to be placed."""
    return math.ceil(present / PAGE) if unplaced else 0


def first_sync(bench: Bench, expected: Counter[str]) -> Phase:
    floors = {endpoint: expected[endpoint] for endpoint in CREATE_ENDPOINTS}
    phase = Phase("1 first sync", {**floors, "updaterelation": 0, "listrelations": 0})
    total = sum(floors.values())
    for attempt in range(1, 3 + total // (PLAN_PER_HOUR - 1)):  # the budget runs out at most once per 1200 requests
        if attempt > 1:
            bench.pass_an_hour()
        run = bench.run(f"run {attempt}", FAST_PACE)
        phase.floors["listrelations"] += listing_floor(run.present, total - run.present)
        phase.runs.append(run)
        if run.exit_code != 3:  # 3: the hour's budget is spent, relations pending
            break
    return phase


def first_sync_listing(phase: Phase) -> tuple[int, int]:
    """(listing requests over the whole first sync, those of one listing of Silvasoft as it ended)."""
    final = phase.runs[-1].present + sum(phase.runs[-1].count(e) for e in CREATE_ENDPOINTS)
    return phase.count("listrelations"), final // PAGE + 1


# The free plan's design case: an account whose Silvasoft already holds thousands of relations (entered there before
# relmap) and a handful of new OutSmart relations. A whole listing alone would take the whole hour, every hour.
EXISTING, NEW, FREE_PLAN, HOURS_TARGET = 3000, 16, 15, 2


@dataclass
class Crowded:
    """The free-plan case's figures: hours of budget until in step, requests, creates and duplicates."""

    runs: list[Run]
    created: int
    duplicates: int
    hours: int
    full_runs: list[Run] = field(default_factory=list)  # a --full read afterwards, an hour apart until in step
    present: int = 0  # relations in Silvasoft for that full read

    @property
    def full_listing(self) -> int:
        return sum(run.count("listrelations") for run in self.full_runs)

    @property
    def requests(self) -> int:
        return sum(run.count() for run in self.runs)

    @property
    def listing(self) -> int:
        return sum(run.count("listrelations") for run in self.runs)


def crowded_free_plan(seed: int) -> Crowded:
    """3,000 relations already in Silvasoft, 16 new ones in OutSmart, 15 requests an hour: run, an hour apart,
    until a run ends in step (at most 24 hours)."""
    fresh = [r for r in generate(NEW * 2, seed + 2) if expected_endpoint(r)][:NEW]
    before = [
        {
            "RelationType": "Private",
            "Name": f"Bestaande klant {n}",
            "CustomerNumber": 50000 + n,
            "Relation_Contact": [{"FirstName": "Bestaande", "LastName": f"Klant {n}", "Email": f"oud.{n}@example.nl"}],
            "createdOn": "2024-01-01T09:00:00",
        }
        for n in range(EXISTING)
    ]
    with (
        tempfile.TemporaryDirectory(prefix="relmap-bench-free-") as tmp,
        Sandbox(relations=fresh, freefields=[], requests_per_hour=FREE_PLAN) as sandbox,
    ):
        for relation in before:
            sandbox.silvasoft.add(relation)
        bench = Bench(sandbox, Path(tmp), per_hour=FREE_PLAN)
        runs = [bench.run("hour 1", FAST_PACE)]
        while runs[-1].exit_code == 3 and len(runs) < 24:
            bench.pass_an_hour()
            runs.append(bench.run(f"hour {len(runs) + 1}", FAST_PACE))
        full = []
        if runs[-1].exit_code in (0, 1):  # in step: then a full read, which lists Silvasoft whole, across hours
            bench.pass_an_hour()
            full.append(bench.run("full, hour 1", FAST_PACE, "--full"))
            while full[-1].exit_code == 3 and len(full) < 6:
                bench.pass_an_hour()
                full.append(bench.run(f"full, hour {len(full) + 1}", FAST_PACE))
        relations = sandbox.silvasoft.relations()
        numbers = Counter(r.get("CustomerNumber") for r in relations)
        wanted = {int(r["debtor_number"]) for r in fresh}
        created = sum(1 for n in wanted if numbers[n] >= 1)
        duplicates = len(relations) - EXISTING - created  # anything more than the old ones and the new ones
    done = runs[-1].exit_code in (0, 1)
    return Crowded(runs, created, duplicates, len(runs) if done else -1, full, len(relations))


def print_crowded(case: Crowded) -> bool:
    floor = NEW  # one create per new relation; identifying them needs no more at best
    hours = f"{case.hours}" if case.hours > 0 else "never (24 hours tried)"
    ok = 0 < case.hours <= HOURS_TARGET and case.created == NEW and case.duplicates == 0
    print(f"  {EXISTING:,} relations in Silvasoft before relmap, {NEW} new in OutSmart, {FREE_PLAN} requests per hour")
    print(f"  hours of budget until in step   {hours:>8}   target at most {HOURS_TARGET}")
    print(f"  created / duplicates            {case.created:>5} / {case.duplicates}   target {NEW} / 0")
    per = case.requests / case.created if case.created else math.inf
    print(
        f"  requests (listing)              {case.requests:>5} ({case.listing})   floor {floor} creates: "
        f"{per:.2f} requests per created relation against 1.00"
    )
    for run in case.runs:
        print(f"      {run.label}: exit {run.exit_code}, {run.count()} requests ({run.count('listrelations')} listing)")
    once = math.ceil((case.present + 1) / PAGE_LIMIT)
    full_done = bool(case.full_runs) and case.full_runs[-1].exit_code in (0, 1)
    full_ok = full_done and case.full_listing <= once
    print(
        f"  then --full (every linked relation compared with Silvasoft's copy): {len(case.full_runs)} hourly runs, "
        f"{case.full_listing} listing requests; one listing of {case.present:,} relations takes {once}"
        f" -- {'PASS' if full_ok else 'MISS'}"
    )
    for run in case.full_runs:
        print(f"      {run.label}: exit {run.exit_code}, {run.count()} requests ({run.count('listrelations')} listing)")
    ok = ok and full_ok
    print(f"  -- {'PASS' if ok else 'MISS'}")
    return ok


STEADY_RUNS = 3


@dataclass
class Steady:
    """The steady state with open problems: the first run's problems, then hourly runs with nothing changed."""

    first: Run
    runs: list[Run]
    problems: int  # relations the first run left not in step

    def reported(self, run: Run) -> int:
        """How many relations a run's summary lists as not in step."""
        found = re.search(r"(?m)^Not in step: (\d+) relation", run.stdout)
        return int(found.group(1)) if found else 0


def steady_with_problems() -> Steady:
    """The sandbox's sample data (two relations that cannot sync: an e-mail shared with another relation, and a debtor
    number that cannot be a CustomerNumber), synced once, then run hourly with nothing changed in OutSmart."""
    with (
        tempfile.TemporaryDirectory(prefix="relmap-bench-steady-") as tmp,
        Sandbox(requests_per_hour=PLAN_PER_HOUR) as sandbox,
    ):
        bench = Bench(sandbox, Path(tmp))
        first = bench.run("first sync", FAST_PACE)
        runs = []
        for hour in range(STEADY_RUNS):
            bench.pass_an_hour()
            runs.append(bench.run(f"hour {hour + 1}", FAST_PACE))
    steady = Steady(first, runs, 0)
    steady.problems = steady.reported(first)
    return steady


def print_steady(case: Steady) -> bool:
    requests = [run.count() for run in case.runs]
    listed = [case.reported(run) for run in case.runs]
    codes = [run.exit_code for run in case.runs]
    ok = case.problems > 0 and not any(requests) and all(n == case.problems for n in listed) and set(codes) == {1}
    print(f"  first sync: exit {case.first.exit_code}, {case.first.count()} requests, {case.problems} not in step")
    print(f"  requests per later run          {', '.join(map(str, requests)):>9}   target 0 each")
    print(f"  not in step, said by each run   {', '.join(map(str, listed)):>9}   target {case.problems} each")
    print(f"  exit codes                      {', '.join(map(str, codes)):>9}   target 1 each (a problem is open)")
    print(f"  -- {'PASS' if ok else 'MISS'}")
    return ok


def rerun(bench: Bench) -> Phase:
    bench.pass_an_hour()
    phase = Phase("2 re-run, no changes", dict.fromkeys(ENDPOINTS, 0))
    phase.runs.append(bench.run("run", FAST_PACE))
    return phase


def edit_and_sync(
    bench: Bench, name: str, chosen: list[str], field_name: str, pace: str
) -> tuple[Phase, dict[str, str]]:
    """Change ``field_name`` of the chosen relations in OutSmart, then sync; returns the phase and the new values."""
    bench.pass_an_hour()
    values: dict[str, str] = {}
    for index, debtor in enumerate(chosen):
        old = bench.sandbox.outsmart.get(debtor) or {}
        pool = CITIES if field_name == "city" else STREETS
        values[debtor] = next(v for v in pool[index % len(pool) :] + pool if v != old.get(field_name)) + " Noord"
        bench.sandbox.outsmart.edit(debtor, **{field_name: values[debtor]})
    phase = Phase(name, {**dict.fromkeys(ENDPOINTS, 0), "updaterelation": len(chosen)})
    phase.runs.append(bench.run("run", pace))
    return phase, values


# --------------------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------------------


def verdict(phase: Phase) -> str:
    """PASS: no endpoint above its floor and every write done; SHORT: writes missing (the sync did not finish)."""
    if any(phase.count(e) > phase.floors[e] for e in ENDPOINTS):
        return "MISS"
    return "PASS" if all(phase.count(e) == phase.floors[e] for e in WRITE_ENDPOINTS) else "SHORT"


def print_phase_table(phases: list[Phase]) -> None:
    short = {
        "addprivaterelation": "private",
        "addbusinessrelation": "business",
        "updaterelation": "update",
        "listrelations": "list",
    }
    head = f"  {'phase':<26}{'runs':>5}" + "".join(f"{short[e]:>17}" for e in ENDPOINTS) + f"{'total':>17}  target"
    print(head)
    print("  " + "-" * (len(head) - 2))
    for phase in phases:
        cells = "".join(f"{f'{phase.count(e):,} / {phase.floors[e]:,}':>17}" for e in ENDPOINTS)
        total = f"{phase.count():,} / {phase.floor:,}"
        print(f"  {phase.name:<26}{len(phase.runs):>5}{cells}{total:>17}  {verdict(phase)}")
    print("  (each cell: measured / floor, Silvasoft requests from the emulator's log)")


def print_runs(phases: list[Phase]) -> None:
    print(
        f"  {'phase / run':<34}{'exit':>5}{'seconds':>9}{'present':>9}{'log':>7}{'summary':>9}{'OutSmart':>10}  non-200"
    )
    for phase in phases:
        for run in phase.runs:
            statuses = Counter(
                f"{e.endpoint} {e.status}{'/' + e.fault if e.fault else ''}" for e in run.log if not e.ok
            )
            odd = ", ".join(f"{n}x {what}" for what, n in statuses.items()) or "none"
            reported = "-" if run.reported is None else f"{run.reported:,}"
            check = "" if run.reported == run.count() else " (!)"
            print(
                f"  {phase.name + ' / ' + run.label:<34}{run.exit_code:>5}{run.seconds:>9.2f}{run.present:>9,}"
                f"{run.count():>7,}{reported + check:>9}{run.outsmart_requests:>10}  {odd}"
            )
            print(f"      relmap: {run.stdout.strip().splitlines()[0] if run.stdout.strip() else '(no summary)'}")
            for line in run.stdout.strip().splitlines()[1:] + run.stderr.strip().splitlines():
                print(f"      relmap: {line}")
    print("  present: relations in Silvasoft when the run started; log: requests in the emulator's log;")
    print("  summary: what relmap's summary line says it spent ((!) when it differs from the log)")


def extras(phase: Phase) -> list[str]:
    """Every endpoint above its floor, with the requests that made it so (by position in their run's log)."""
    lines = []
    for endpoint in ENDPOINTS:
        over = phase.count(endpoint) - phase.floors[endpoint]
        if over <= 0:
            continue
        lines.append(f"{phase.name}: {over} {endpoint} request(s) above the floor of {phase.floors[endpoint]}")
        for run in phase.runs:
            hits = [(pos, e) for pos, e in enumerate(run.log, 1) if e.endpoint == endpoint]
            if not hits:
                continue
            where = ", ".join(f"#{pos} {e.method} {e.status}" for pos, e in hits[:12]) + (" ..." * (len(hits) > 12))
            note = ""
            if endpoint == "listrelations":
                needed = listing_floor(run.present, 1)
                note = f"; {run.present:,} relations present: ceil({run.present}/{PAGE}) = {needed}"
            lines.append(f"    {run.label}: {len(hits)} sent ({where}){note}")
    return lines


def check_data(bench: Bench, raws: list[dict[str, Any]], edits: dict[str, dict[str, str]]) -> list[str]:
    """Silvasoft holds the expected relations with the edited values; returns the problems found."""
    problems = []
    stored = {str(r.get("CustomerNumber")): r for r in bench.sandbox.silvasoft.relations()}
    wanted = {raw["debtor_number"]: e for raw in raws if (e := expected_endpoint(raw)) is not None}
    if set(stored) != set(wanted):
        missing, unexpected = sorted(set(wanted) - set(stored)), sorted(set(stored) - set(wanted))
        problems.append(
            f"Silvasoft relations differ: {len(missing)} missing {missing[:5]}, "
            f"{len(unexpected)} unexpected {unexpected[:5]}"
        )
    kinds = {"addprivaterelation": "Private", "addbusinessrelation": "Business"}
    wrong = [d for d, e in wanted.items() if d in stored and stored[d].get("RelationType") != kinds[e]]
    if wrong:
        problems.append(f"{len(wrong)} relations have the wrong RelationType, e.g. {wrong[:5]}")
    parameters = {"city": "Address_City", "street": "Address_Street"}
    for field_name, values in edits.items():
        stale = [d for d, v in values.items() if (stored.get(d) or {}).get(parameters[field_name]) != v]
        if stale:
            problems.append(f"{len(stale)} edited {field_name} values did not reach Silvasoft, e.g. {stale[:5]}")
    return problems


def print_pace(phase: Phase, pace: str) -> bool:
    run = phase.runs[0]
    interval = parse_pace(pace, PLAN_PER_HOUR).interval
    floor = run.count() * interval
    ratio = run.seconds / floor if floor else math.inf
    ok = ratio <= TARGET_TIME_RATIO
    print(f"  {'wall time of relmap run':<34}{run.seconds:8.2f} s")
    print(f"  {f'floor: {run.count():,} requests / {pace}':<34}{floor:8.2f} s  ({interval * 1000:.1f} ms apart)")
    print(f"  ratio wall / floor {ratio:.3f}; target at most {TARGET_TIME_RATIO:.2f} -- {'PASS' if ok else 'MISS'}")
    return ok


# --------------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--relations", type=int, default=2000, help="synthetic OutSmart relations (default 2000)")
    parser.add_argument("--pace", default="50/s", help="RELMAP_SILVASOFT_PACE of phase 4 (default 50/s)")
    parser.add_argument("--paced-writes", type=int, default=300, help="relations changed for phase 4 (default 300)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the synthetic relations")
    args = parser.parse_args(argv)
    if args.relations < 1 or args.paced_writes < 1:
        parser.error("--relations and --paced-writes must be at least 1")
    try:
        parse_pace(args.pace, PLAN_PER_HOUR)
    except ConfigError as error:
        parser.error(f"--pace: {error}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    raws = generate(args.relations, args.seed)
    expected = Counter(e for e in map(expected_endpoint, raws) if e)
    linked = sorted(d for d, e in ((r["debtor_number"], expected_endpoint(r)) for r in raws) if e)
    if len(linked) < CHANGED + args.paced_writes:
        raise SystemExit(f"{len(linked)} relations reach Silvasoft; need {CHANGED + args.paced_writes} to edit")
    rng = Random(args.seed + 1)
    chosen = rng.sample(linked, CHANGED + args.paced_writes)
    print("relmap sync benchmark: relmap run (the CLI, in-process) against the built-in emulators")
    print(
        f"  mapping: {SHIPPED_MAPPING.relative_to(ROOT)} with requests_per_hour {PLAN_PER_HOUR}; emulator held to "
        f"{PLAN_PER_HOUR}/hour too"
    )
    print(
        f"  OutSmart: {len(raws):,} relations (seed {args.seed}); {sum(expected.values()):,} belong in Silvasoft "
        f"({expected['addprivaterelation']:,} private, {expected['addbusinessrelation']:,} business), the rest are "
        f"leads or inactive"
    )
    print(f"  pace: {FAST_PACE} for phases 1-3, {args.pace} for phase 4; each later phase starts in a fresh hour")
    with (
        tempfile.TemporaryDirectory(prefix="relmap-bench-") as tmp,
        Sandbox(relations=raws, freefields=[], requests_per_hour=PLAN_PER_HOUR) as sandbox,
    ):
        bench = Bench(sandbox, Path(tmp))
        phases = [first_sync(bench, expected), rerun(bench)]
        changed, cities = edit_and_sync(bench, "3 50 changed in OutSmart", chosen[:CHANGED], "city", FAST_PACE)
        paced, streets = edit_and_sync(
            bench, f"4 {args.paced_writes} changed, {args.pace}", chosen[CHANGED:], "street", args.pace
        )
        phases += [changed, paced]
        problems = check_data(bench, raws, {"city": cities, "street": streets})
        problems += [f"emulator failure: {f}" for f in sandbox.silvasoft.failures + sandbox.outsmart.failures]

    print("\nSilvasoft requests per phase, beside the floor:")
    print_phase_table(phases)
    print("\nRuns (every relmap run, its exit code and summary line):")
    print_runs(phases)
    over = [line for phase in phases for line in extras(phase)]
    if over:
        print("\nRequests above the floor, from the emulator's log:")
        for line in over:
            print(f"  {line}")
    mismatched = [f"{p.name} / {r.label}" for p in phases for r in p.runs if r.reported != r.count()]
    refused = [f"{p.name} / {r.label}" for p in phases for r in p.runs if not all(e.ok for e in r.log)]
    problems += (
        [f"Silvasoft answered requests with an error (see non-200 above): {', '.join(refused)}"] if refused else []
    )
    problems += [f"relmap's summary disagrees with the emulator's log: {', '.join(mismatched)}"] if mismatched else []
    listed, once = first_sync_listing(phases[0])
    print(
        f"\nListing over the whole first sync ({len(phases[0].runs)} runs): {listed} listing requests; one listing of "
        f"Silvasoft as it ended takes {once}"
    )
    print(f"\nWall time at {args.pace} (phase 4):")
    pace_ok = print_pace(paced, args.pace)
    print("\nThe free plan with a full Silvasoft (5):")
    crowded_ok = print_crowded(crowded_free_plan(args.seed))
    print(f"\nThe steady state with open problems (6): {STEADY_RUNS} hourly runs, nothing changed in OutSmart")
    steady_ok = print_steady(steady_with_problems())
    print("\nChecks:")
    for problem in problems:
        print(f"  FAIL {problem}")
    if not problems:
        print("  Silvasoft holds exactly the expected relations, with the right type and the edited values;")
        print("  relmap's summary line matches the emulator's log for every run; every Silvasoft answer was 200")
    missed = [p.name for p in phases if verdict(p) != "PASS"] + ([] if pace_ok else ["4 wall time"])
    missed += [] if crowded_ok else ["5 free plan, 3,000 in Silvasoft"]
    missed += [] if steady_ok else ["6 steady state with open problems"]
    print(
        f"\nTargets: {len(missed)} missed{': ' + ', '.join(missed) if missed else ''}. "
        f"Benchmark took {time.perf_counter() - began:.1f} s"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
