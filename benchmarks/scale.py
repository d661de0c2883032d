"""relmap at scale: every figure of its scale goals, each beside its goal (met / NOT met), and a summary table.

Run from the repository root::

    PYTHONPATH=. python benchmarks/scale.py [--large] [--sizes N,N] [--only STEP,...] [--linked N,N] [--seed S]

By default each step runs at a quick size (some 80 s of CPU in all, two to three minutes on a busy 2-CPU machine);
``--large`` runs each at the sizes its goal names (render 300,000; dry run 10,000 and 100,000; render ratio 10,000
and 100,000; first sync 2,000, 10,000 and 100,000; incremental 1,000 and 30,000 linked: half an hour and more, and
some 1.5 GB of memory); ``--sizes`` gives every sized step but incremental the same sizes instead, ``--linked`` the
incremental step. ``--only`` picks steps of render, dry-run, plan, renders, ratio, sync, incremental.

======================================================  =====================================  =========================
figure                                                  goal                                   step: quick / --large
======================================================  =====================================  =========================
peak memory, ``run --sandbox --dry-run --format json``  100,000 relations under 300 MB         dry-run 10k / 10k,100k
peak memory, ``render --format jsonl``, JSON envelope   flat, as JSONL (within 20 % of it)     render 10k / 300k
JSON plan of a no-change ``--full`` run                 changes only, each unchanged relation  plan 2k / 2k
                                                        one line (bytes per relation)
a dry run renders every relation once                   one render pass (time at 10,000)       renders 10k / 10k
render throughput, compiled / hand-written Python       at most 1.5x, every shipped mapping    ratio 10k / 10k,100k
no-change incremental run, linked relations             proportional to what changed           incr. 1k,10k / 1k,30k
sandbox emulator, first sync                            linear (within 1.5x per relation)      sync 2k,10k / +100k
======================================================  =====================================  =========================

The relations are sync.py's synthetic ones (clean, ~30 % companies, a few inactive relations and leads), the
mapping is ``mappings/business-routing.yaml``. Each step is its own process, so its peak memory is its own:
``os.wait4`` gives the child's ``ru_maxrss`` (one child at a time; RUSAGE_CHILDREN would keep the largest of all),
forked from a small launcher process, since Linux counts the forking process's own high-water mark into it.

* render: ``relmap render MAPPING --input relations.json --format jsonl``, the OutSmart GET /relations/ envelope as
  the API sends it (minified, one line), and the same relations as JSONL beside it. Goal: the envelope in flat
  memory, as JSONL is (within 20 % of JSONL's peak).
* dry-run: ``relmap run MAPPING --sandbox --dry-run --format json``, the built-in emulators in the same process,
  OutSmart seeded with the N relations (the sandbox folder's ``outsmart.json``), Silvasoft empty. Requests are the
  plan's own ``read`` counts; floors: one OutSmart read and one Silvasoft listing page. Goal: at 100,000 relations
  under 300 MB. The emulators hold their own copy of the data (some 75 MB at 100,000 relations, encoded JSON), so
  the same dry run is also measured against ``relmap sandbox serve --data`` in a process of its own, pointed at by
  the ``export`` lines it prints: relmap's own share, beside the same goal.
* plan: in one process with both emulators, a first sync of N relations that belong in Silvasoft (budget lifted as
  in sync), then ``relmap run --dry-run --full --format json`` with nothing changed, without and with
  ``--show-unchanged``: the UTF-8 bytes it printed per relation, and its lines. Goal: by default changes only (no
  unchanged relation carries ``fields``) and each unchanged relation one line of the output.
* renders: the dry run of "dry-run" in-process with every ``relmap.mapping.render.Renderer.render`` counted, and then
the same relations rendered alone (``render_all``, records normalised before the clock starts). Goal: one render pass,
as many renders as relations planned; both times are printed beside each other. * ratio: benchmarks/render.py's own
relations, renderers and timing (its ``generate``, ``normalize_all``, ``best_of``, ``differences``; best of 2 after its
warm-up) for every shipped mapping: the compiled mapping's time over the hand-written Python transform's. A mapping
render.py has no hand-written transform for is listed as not measured; the results must be identical record by record (a
check). * sync: a first sync of the N relations into an empty Silvasoft, in one run: ``relmap.cli.main(["run", ...])``
with both emulators in the same process (``relmap.sandbox.Sandbox``, real HTTP on 127.0.0.1) and the
``RELMAP_SILVASOFT_PACE`` of 100000/s. The hourly budget is lifted in that process alone (the plan's
``requests_per_hour``, which the schema caps at the largest plan's 1,200, and the emulator's): this measures what a sync
costs, not the hours a plan spreads it over (sync.py measures those). Requests come from the emulator's log; floors: one
create per relation that must exist in Silvasoft, and one listing page. Goal: linear, the time per 1,000 relations at
the largest size within 1.5x of the smallest size's. * incremental, at ``--linked`` relations (1,000 and 10,000; with
``--large`` 1,000 and 30,000): an incremental ``relmap run`` with nothing changed in OutSmart, after a first sync that
linked them all (Silvasoft seeded with what the mapping renders, so the first sync lists and links without a create; the
budget is lifted as in sync). In one process with both emulators, ``relmap.cli.main`` timed on its own (three runs, each
printed); the OutSmart emulator answering the run's two filtered reads is part of that time. Goal: cost proportional to
what changed, not to the links kept: relmap's CPU time beside the checks on opening at the largest size within 1.5x of
the one at the smallest.

Each figure prints beside its goal as it is measured, and again in the summary table at the end (met, NOT met, or
not measured and why). Goals never change the exit code, which is 1 only when a step fails or a check does (the
sync leaves Silvasoft without the relations it should hold, a dry run plans a change after a first sync, the
compiled and hand-written renders differ).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_goals import (  # noqa: E402  (benchmarks/scale_goals.py: the figures added to these, the summary)
    NOT_MEASURED,
    Table,
    child_plan,
    child_renders,
    lifted_budget,
    lifted_sandbox,
    report_plan,
    report_renders,
    step_render_ratio,
    verdict,
)
from sync import expected_endpoint, generate  # noqa: E402  (benchmarks/sync.py: the synthetic relations)

from relmap.sandbox import CREDENTIALS  # noqa: E402

MAPPING = ROOT / "mappings" / "business-routing.yaml"
STEPS = ("render", "dry-run", "plan", "renders", "ratio", "sync", "incremental")
# The sizes of each step: by default the quick ones (about a minute in all), with --large those its goal names.
QUICK = {"render": [10_000], "dry-run": [10_000], "plan": [2_000], "renders": [10_000], "ratio": [10_000],
         "sync": [2_000, 10_000], "incremental": [1_000, 10_000]}  # fmt: skip
LARGE = {"render": [300_000], "dry-run": [10_000, 100_000], "plan": [2_000], "renders": [10_000],
         "ratio": [10_000, 100_000], "sync": [2_000, 10_000, 100_000], "incremental": [1_000, 30_000]}  # fmt: skip
RATIO_REPEAT = 2
TABLE = Table()
NO_CHANGE_RUNS = 3
DRY_RUN_GOAL_MB, DRY_RUN_GOAL_AT = 300, 100_000
FLAT_MARGIN = 1.20
LINEAR_MARGIN = 1.5
PAGE = 200
FAST_PACE = "100000/s"
UNLIMITED = 10**9


@dataclass
class Measured:
    seconds: float
    peak_mb: float
    code: int
    stdout: str
    stderr: str


# A small process that forks the measured command and reports its ru_maxrss. Linux counts into a child's ru_maxrss
# the high-water mark of the process it was forked from, taken when the child execs: a step spawned from this
# benchmark (which holds the generated relations, 200 MB at 100,000) would never measure below that.
LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as report:
    json.dump({"maxrss": usage.ru_maxrss, "code": os.waitstatus_to_exitcode(status), "seconds": seconds}, report)
"""


def measure(
    command: Sequence[str], cwd: Path, stdout: Path | None = None, extra: Mapping[str, str] | None = None
) -> Measured:
    """Run ``command``; its wall time and its own peak resident memory (its ru_maxrss, forked from LAUNCHER)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
    env.update(extra or {})
    with tempfile.TemporaryDirectory() as scratch:
        out_path, err_path = stdout or Path(scratch) / "out", Path(scratch) / "err"
        report = Path(scratch) / "measured.json"
        with out_path.open("w") as out, err_path.open("w") as err:
            launched = [sys.executable, "-c", LAUNCHER, str(report), *command]
            subprocess.run(launched, cwd=cwd, env=env, stdout=out, stderr=err, check=True)
        measured = json.loads(report.read_text(encoding="utf-8"))
        captured = "" if stdout else out_path.read_text(encoding="utf-8")
        return Measured(
            measured["seconds"], measured["maxrss"] / 1024, measured["code"], captured, err_path.read_text("utf-8")
        )


def relmap(*args: str) -> list[str]:
    return [sys.executable, "-m", "relmap", *args]


# --------------------------------------------------------------------------------------------------------------
# The steps
# --------------------------------------------------------------------------------------------------------------


def write_inputs(folder: Path, relations: list[dict[str, Any]]) -> tuple[Path, Path]:
    envelope, lines = folder / "relations.json", folder / "relations.jsonl"
    with envelope.open("w", encoding="utf-8") as stream:  # as the API sends it: one line, no indent
        json.dump({"code": 200, "messages": [], "response": relations}, stream, ensure_ascii=False)
    with lines.open("w", encoding="utf-8") as stream:
        stream.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in relations)
    return envelope, lines


def step_render(folder: Path, size: int, relations: list[dict[str, Any]]) -> bool:
    """Peak memory of render from the JSON envelope beside the same relations as JSONL."""
    envelope, lines = write_inputs(folder, relations)
    results = {}
    for name, path in (("JSON envelope", envelope), ("JSONL", lines)):
        done = measure(relmap("render", str(MAPPING), "--input", str(path), "--format", "jsonl"), folder, folder / "o")
        if done.code not in (0, 1):
            print(f"  render from {name} FAILED ({done.code}): {done.stderr.strip()}")
            return False
        results[name] = done
        size_mb = path.stat().st_size / 2**20
        print(f"  render {name:<13} {done.seconds:7.1f} s  peak {done.peak_mb:7.0f} MB  ({size_mb:.1f} MB in)")
    ratio = results["JSON envelope"].peak_mb / results["JSONL"].peak_mb
    result = verdict(ratio <= FLAT_MARGIN)
    print(f"    goal: envelope flat, as JSONL (within {FLAT_MARGIN - 1:.0%} of its peak): {ratio:.2f}x -- {result}")
    measured = f"{results['JSON envelope'].peak_mb:.0f} MB, JSONL {results['JSONL'].peak_mb:.0f} MB ({ratio:.2f}x)"
    TABLE.add(f"peak memory, render from a JSON envelope ({size:,})", "flat, as JSONL (within 20 %)", measured, result)
    return True


def step_dry_run(folder: Path, size: int, relations: list[dict[str, Any]]) -> bool:
    from relmap.sandbox.harness import sample
    from relmap.sandbox.storage import write_json_atomic

    work = folder / "dry"
    work.mkdir()
    (work / MAPPING.name).write_text(MAPPING.read_text(encoding="utf-8"), encoding="utf-8")
    seeded = work / ".relmap" / f"{MAPPING.stem}.sandbox" / "outsmart.json"
    write_json_atomic(seeded, {"relations": relations, "freefields": sample("freefields")})
    command = relmap("run", MAPPING.name, "--sandbox", "--dry-run", "--format", "json")
    done = measure(command, work, work / "plan.json")
    if done.code not in (0, 1, 2) or not (work / "plan.json").stat().st_size:
        print(f"  dry run FAILED ({done.code}): {done.stderr.strip()[-400:]}")
        return False
    read = json.loads((work / "plan.json").read_text(encoding="utf-8"))["read"]
    per = done.peak_mb * 1024 / size
    print(f"  run --sandbox --dry-run  {done.seconds:7.1f} s  peak {done.peak_mb:7.0f} MB  ({per:.1f} KB per relation)")
    outsmart, silvasoft = read["outsmart_requests"], read["silvasoft_requests"]
    print(f"    requests: OutSmart {outsmart} (floor 1), Silvasoft {silvasoft} (floor 1)")
    alone = served_dry_run(work, seeded)
    if alone is None:
        return False
    per = alone.peak_mb * 1024 / size
    print(f"  the same, emulators served  {alone.seconds:4.1f} s  peak {alone.peak_mb:7.0f} MB  "
          f"({per:.1f} KB per relation: relmap's own share)")  # fmt: skip
    for what, peak in (("with the emulators", done.peak_mb), ("relmap's own", alone.peak_mb)):
        if size == DRY_RUN_GOAL_AT:
            result = verdict(peak < DRY_RUN_GOAL_MB)
            print(f"    goal: {DRY_RUN_GOAL_AT:,} relations under {DRY_RUN_GOAL_MB} MB, {what} -- {result}")
        else:
            result = f"{NOT_MEASURED}: the goal is at {DRY_RUN_GOAL_AT:,}"
            print(f"    goal: {DRY_RUN_GOAL_AT:,} relations under {DRY_RUN_GOAL_MB} MB, {what} (measured at that size)")
        goal = f"{DRY_RUN_GOAL_AT // 1000}k under {DRY_RUN_GOAL_MB} MB"
        TABLE.add(f"peak memory, dry run, {what} ({size:,})", goal, f"{peak:.0f} MB", result)
    return True


def served_dry_run(work: Path, seeded: Path) -> Measured | None:
    """The dry run against ``relmap sandbox serve`` in a process of its own, its OutSmart the same ``outsmart.json``."""
    data = work / "served"
    data.mkdir()
    shutil.copy(seeded, data / "outsmart.json")
    with served(data) as exports:
        if exports is None:
            return None
        extra = {**exports, "RELMAP_SILVASOFT_PACE": FAST_PACE, "RELMAP_LEDGER_DIR": str(work / "served-ledgers")}
        run = relmap("run", MAPPING.name, "--dry-run", "--format", "json", "--state", str(work / "served.db"))
        done = measure(run, work, work / "served-plan.json", extra)
    if done.code not in (0, 1, 2) or not (work / "served-plan.json").stat().st_size:
        print(f"  dry run against a served sandbox FAILED ({done.code}): {done.stderr.strip()[-400:]}")
        return None
    return done


@contextlib.contextmanager
def served(data: Path) -> Iterator[dict[str, str] | None]:
    """``relmap sandbox serve --data DATA`` in a process of its own: the environment its ``export`` lines print (None
    if it printed none), until it is stopped with Ctrl-C's signal."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
    command = relmap("sandbox", "serve", "--data", str(data), "--requests-per-hour", str(UNLIMITED))
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(2 + len(CREDENTIALS))]  # then nothing until it stops
        exports = dict(line.removeprefix("export ").strip().split("=", 1) for line in lines if "=" in line)
        if "RELMAP_OUTSMART_URL" not in exports or "RELMAP_SILVASOFT_URL" not in exports:
            print(f"  relmap sandbox serve FAILED: it printed {lines!r}")
            yield None
        else:
            yield exports
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


def step_sync(folder: Path, size: int, seed: int) -> tuple[bool, float]:
    command = [sys.executable, __file__, "--child-sync", str(size), "--seed", str(seed), "--folder", str(folder)]
    done = measure(command, ROOT)
    try:
        child = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        print(f"  first sync FAILED ({done.code}): {done.stderr.strip()[-600:]}")
        return False, 0.0
    per_thousand = done.seconds * 1000 / size
    print(f"  first sync               {done.seconds:7.1f} s  peak {done.peak_mb:7.0f} MB  "
          f"({per_thousand:.2f} s per 1,000 relations; relmap exit {child['exit']})")  # fmt: skip
    print(f"    requests: {child['creates']:,} creates (floor {child['floor_creates']:,}), "
          f"{child['listings']} listing (floor 1), {child['other']} other; "
          f"Silvasoft holds {child['held']:,}")  # fmt: skip
    right = child["held"] == child["floor_creates"] and child["refused"] == 0
    if not right:
        print(f"    CHECK FAILED: Silvasoft holds {child['held']:,}, expected {child['floor_creates']:,}; "
              f"{child['refused']} requests refused")  # fmt: skip
    return right, per_thousand


def child_sync(size: int, seed: int, folder: Path) -> int:
    """In this process: both emulators and relmap's run, the budget lifted; prints what the emulator saw."""
    from relmap.cli import main

    relations = generate(size, seed)
    with lifted_sandbox(relations, folder, FAST_PACE) as sandbox:
        (folder / MAPPING.name).write_text(MAPPING.read_text(encoding="utf-8"), encoding="utf-8")
        state = folder / "sync.db"
        with open(os.devnull, "w") as quiet:
            code = main(["run", str(folder / MAPPING.name), "--state", str(state), "-q"], quiet, quiet)
        log = sandbox.silvasoft.log
        creates = sum(1 for e in log if e.endpoint.startswith("add"))
        listings = sum(1 for e in log if e.endpoint == "listrelations")
        print(json.dumps({
            "exit": code,
            "creates": creates,
            "listings": listings,
            "other": len(log) - creates - listings,
            "refused": sum(1 for e in log if not e.ok),
            "held": len(sandbox.silvasoft.relations()),
            "floor_creates": sum(1 for r in relations if expected_endpoint(r)),
        }))  # fmt: skip
    return 0


def step_incremental(folder: Path, sizes: list[int], seed: int) -> bool:
    """A no-change incremental run at each number of linked relations, each in a process of its own."""
    best: dict[int, float] = {}
    for size in sizes:
        work = folder / f"incremental-{size}"
        work.mkdir()
        child_args = ["--child-incremental", str(size), "--seed", str(seed), "--folder", str(work)]
        done = measure([sys.executable, __file__, *child_args], ROOT)
        try:
            child = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            print(f"  no-change incremental run at {size:,} linked FAILED ({done.code}): {done.stderr.strip()[-600:]}")
            return False
        best[size] = min(child["cpu"]) - child["checks"]
        wall, cpu = (", ".join(f"{seconds:.2f}" for seconds in child[key]) for key in ("wall", "cpu"))
        print(f"  {child['linked']:>7,} linked: wall {wall} s, relmap's CPU {cpu} s, of which {child['checks']:.3f} s "
              f"the checks on opening; exit {child['exit']}, {child['read']} relations read, {child['silvasoft']} "
              f"Silvasoft requests (the first sync, linking them: {child['first']:.1f} s)")  # fmt: skip
    if len(best) > 1:
        small, large = min(best), max(best)
        ratio = best[large] / best[small]
        result = verdict(ratio <= LINEAR_MARGIN)
        print(f"    goal: proportional to what changed, not to the links: relmap's CPU time beside the checks on "
              f"opening at {large:,} linked within {LINEAR_MARGIN}x of {small:,}: {ratio:.2f}x "
              f"-- {result}")  # fmt: skip
        measured = f"{best[large]:.2f} s at {large:,}, {best[small]:.2f} s at {small:,} ({ratio:.2f}x)"
        TABLE.add("no-change incremental run", f"proportional (within {LINEAR_MARGIN}x)", measured, result)
    return True


def child_incremental(size: int, seed: int, folder: Path) -> int:
    """In this process, relmap; in one of their own, both emulators, OutSmart holding ``size`` linkable relations and
    Silvasoft what the mapping renders of them. A first sync links them all, then no-change runs are timed: wall time
    and this process's CPU time (relmap's own: the emulators answer from their own process). Prints one JSON line."""
    import relmap.commands.run as run_command
    from relmap.cli import main
    from relmap.mapping.render import render_all
    from relmap.sandbox import SilvasoftEmulator
    from relmap.sandbox.harness import sample
    from relmap.sandbox.silvasoft_book import SHAPE
    from relmap.sandbox.storage import write_json_atomic
    from relmap.sources.records import normalize_record

    relations = linkable(size, seed)
    lifted_budget()
    plan_or_report = run_command.plan_or_report
    mapping, data = folder / MAPPING.name, folder / "data"
    mapping.write_text(MAPPING.read_text(encoding="utf-8"), encoding="utf-8")
    write_json_atomic(data / "outsmart.json", {"relations": relations, "freefields": sample("freefields")})
    plan = plan_or_report(str(mapping), io.StringIO(), "nothing was seeded")
    assert plan is not None
    silvasoft = SilvasoftEmulator(requests_per_hour=UNLIMITED)
    silvasoft.attach(data)
    for rendered in render_all(plan, (normalize_record(raw, n, "seed") for n, raw in enumerate(relations))):
        if rendered.status == "ok" and rendered.payload is not None:
            silvasoft.add({k: v for k, v in rendered.payload.items() if k in SHAPE})
    silvasoft.close()
    with served(data) as exports:
        if exports is None:
            return 1
        os.environ.update(exports, RELMAP_LEDGER_DIR=str(folder / "ledgers"), RELMAP_SILVASOFT_PACE=FAST_PACE)
        args = ["run", str(mapping), "--state", str(folder / "sync.db"), "-q"]
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            main(args, quiet, quiet)
        first = time.perf_counter() - started
        wall, cpu, summary, code = [], [], "", 0
        for _ in range(NO_CHANGE_RUNS):
            out = io.StringIO()
            started, used = time.perf_counter(), time.process_time()
            code = main(args, out, io.StringIO())
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
            summary = out.getvalue()
    checks = opening_checks(folder / "sync.db")
    counts = summary.split("Sync: ", 1)[-1].split(".", 1)[0]  # "0 created, ..., 1 unchanged, ..."
    spent = summary.split("Silvasoft requests: ", 1)[-1].split(" ", 1)[0]
    print(json.dumps({
        "linked": sum(1 for r in relations if expected_endpoint(r)),
        "first": first,
        "wall": wall,
        "cpu": cpu,
        "checks": checks,
        "exit": code,
        "read": sum(int(part.split()[0]) for part in counts.split(", ") if part.split()[0].isdigit()),
        "silvasoft": int(spent) if spent.isdigit() else spent,
    }))  # fmt: skip
    return 0


def opening_checks(path: Path) -> float:
    """The CPU time of the checks every run makes of the whole state when it opens it (SQLite's quick_check of every
    page, and every link row's columns): by design a cost per link, however little the run reads (best of three)."""
    import sqlite3

    from relmap.state import opening as state_open
    from relmap.state.links import check_links

    best = float("inf")
    with contextlib.closing(sqlite3.connect(path)) as db:
        for _ in range(NO_CHANGE_RUNS):
            used = time.process_time()
            state_open.check_intact(db, path)
            check_links(db)
            best = min(best, time.process_time() - used)
    return best


def linkable(count: int, seed: int) -> list[dict[str, Any]]:
    """The synthetic relations up to the ``count``-th one that belongs in Silvasoft (the others come with them)."""
    relations = generate(count + count // 8 + 16, seed)
    wanted = [index for index, r in enumerate(relations) if expected_endpoint(r)]
    return relations[: wanted[count - 1] + 1]


def step_child(kind: str, folder: Path, size: int, seed: int) -> dict[str, Any] | None:
    """Run ``--child-KIND`` in a process of its own; its JSON line, or None (said) when it failed."""
    work = folder / f"{kind}-{size}"
    work.mkdir()
    command = [sys.executable, __file__, f"--child-{kind}", str(size), "--seed", str(seed), "--folder", str(work)]
    done = measure(command, ROOT)
    try:
        child: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return child
    except (IndexError, ValueError):
        print(f"  {kind} at {size:,} FAILED ({done.code}): {done.stderr.strip()[-600:]}")
        return None


def step_plan(folder: Path, size: int, seed: int) -> bool:
    child = step_child("plan", folder, size, seed)
    return child is not None and report_plan(child, size, TABLE)


def step_renders(folder: Path, size: int, seed: int) -> bool:
    child = step_child("renders", folder, size, seed)
    return child is not None and report_renders(child, size, TABLE)


def report_linear(per_thousand: dict[int, float]) -> None:
    """The first sync's time per 1,000 relations, largest size beside smallest."""
    if len(per_thousand) < 2 or not all(per_thousand.values()):
        return
    small, large = min(per_thousand), max(per_thousand)
    ratio = per_thousand[large] / per_thousand[small]
    result = verdict(ratio <= LINEAR_MARGIN)
    print(f"\nfirst sync, linear: time per 1,000 relations at {large:,} is {ratio:.2f}x that at {small:,} "
          f"(goal: at most {LINEAR_MARGIN}x) -- {result}")  # fmt: skip
    sizes = " -> ".join(f"{n // 1000}k" if n >= 1000 else str(n) for n in sorted(per_thousand))
    measured = ", ".join(f"{per_thousand[n]:.2f}" for n in sorted(per_thousand)) + f" s/1,000 ({ratio:.2f}x)"
    TABLE.add(f"sandbox first sync, {sizes}", f"linear (within {LINEAR_MARGIN}x)", measured, result)


# --------------------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", help="relation counts of every sized step, comma-separated (default: see --large)")
    parser.add_argument("--large", action="store_true", help="each step at the sizes its goal names (a long run)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic relations")
    parser.add_argument("--only", default=",".join(STEPS), help=f"steps to run, of {', '.join(STEPS)}")
    parser.add_argument("--linked", help="linked relations of the incremental step (1000,10000; --large 1000,30000)")
    for kind in ("sync", "incremental", "plan", "renders"):
        parser.add_argument(f"--child-{kind}", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else []
        linked = [int(size) for size in args.linked.split(",")] if args.linked else []
    except ValueError:
        parser.error("--sizes and --linked: expected whole numbers separated by commas")
    args.only = [step.strip() for step in args.only.split(",")]
    if min(sizes + linked, default=1) < 1 or not set(args.only) <= set(STEPS):
        parser.error(f"--sizes and --linked must be at least 1 and --only a list of {', '.join(STEPS)}")
    chosen = LARGE if args.large else QUICK
    args.sizes = {step: sizes or chosen[step] for step in chosen if step in args.only and step != "incremental"}
    args.linked = linked or chosen["incremental"]
    return args


def child(args: argparse.Namespace) -> int | None:
    """The in-process children (``--child-KIND N``), or None when this is not one."""
    folder = Path(args.folder or ".")
    if args.child_sync:
        return child_sync(args.child_sync, args.seed, folder)
    if args.child_incremental:
        return child_incremental(args.child_incremental, args.seed, folder)
    if args.child_plan:
        print(json.dumps(child_plan(linkable(args.child_plan, args.seed), MAPPING, folder, FAST_PACE)))
        return 0
    if args.child_renders:
        print(json.dumps(child_renders(generate(args.child_renders, args.seed), MAPPING, folder)))
        return 0
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    code = child(args)
    if code is not None:
        return code
    print(f"relmap at scale: {MAPPING.relative_to(ROOT)}, seed {args.seed}, "
          f"{'--large' if args.large else 'the quick sizes (--large: the sizes of the goals)'}; wall time and "
          f"each process's own peak memory (ru_maxrss)")  # fmt: skip
    ok, per_thousand = True, {}
    started = time.perf_counter()
    sized = [step for step in ("render", "dry-run", "plan", "renders", "sync") if step in args.sizes]
    for size in sorted({n for step in sized for n in args.sizes[step]}):
        steps = [step for step in sized if size in args.sizes[step]]
        print(f"\n{size:,} relations ({', '.join(steps)})")
        relations = generate(size, args.seed) if {"render", "dry-run"} & set(steps) else []
        with tempfile.TemporaryDirectory(prefix="relmap-scale-") as temporary:
            folder = Path(temporary)
            if "render" in steps:
                ok &= step_render(folder, size, relations)
            if "dry-run" in steps:
                ok &= step_dry_run(folder, size, relations)
            if "plan" in steps:
                ok &= step_plan(folder, size, args.seed)
            if "renders" in steps:
                ok &= step_renders(folder, size, args.seed)
            if "sync" in steps:
                right, per_thousand[size] = step_sync(folder, size, args.seed)
                ok &= right
        del relations
    if "ratio" in args.sizes:
        ok &= step_render_ratio(args.sizes["ratio"], RATIO_REPEAT, TABLE)
    if "incremental" in args.only:
        print(f"\nincremental runs with nothing changed, at {', '.join(f'{n:,}' for n in args.linked)} linked")
        with tempfile.TemporaryDirectory(prefix="relmap-scale-") as temporary:
            ok &= step_incremental(Path(temporary), args.linked, args.seed)
    report_linear(per_thousand)
    TABLE.print()
    print(f"\nthe benchmark took {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
