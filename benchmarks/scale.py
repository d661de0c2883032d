"""relmap at 10,000 and 100,000 relations: wall time, peak memory and requests of render, a dry run and a first sync.

Run from the repository root::

    PYTHONPATH=. python benchmarks/scale.py [--sizes 10000,100000] [--seed S] [--only render,dry-run,sync]

What is run, per size N (``--sizes``; the default, 10,000, finishes in about a minute; 100,000 takes several)
---------------------------------------------------------------------------------------------------------------
The relations are sync.py's synthetic ones (clean, ~30 % companies, a few inactive relations and leads), the
mapping is ``mappings/business-routing.yaml``. Each step is its own process, so its peak memory is its own:
``os.wait4`` gives the child's ``ru_maxrss`` (one child at a time; RUSAGE_CHILDREN would keep the largest of all).

1. ``relmap render MAPPING --input relations.json --format jsonl``: the OutSmart GET /relations/ envelope as the
   API sends it (minified, one line), and the same relations as JSONL beside it. Goal: the envelope in flat memory,
   as JSONL is (within 20 % of JSONL's peak).
2. ``relmap run MAPPING --sandbox --dry-run --format json``: the built-in emulators in the same process, OutSmart
   seeded with the N relations (the sandbox folder's ``outsmart.json``), Silvasoft empty. Requests are the plan's
   own ``read`` counts; floors: one OutSmart read and one Silvasoft listing page (an empty Silvasoft is still asked
   once; ceil(present / 200) pages when it holds relations). Goal: at 100,000 relations under 300 MB.
3. A first sync of the N relations into an empty Silvasoft, in one run: ``relmap.cli.main(["run", ...])`` with
   both emulators in the same process (``relmap.sandbox.Sandbox``, real HTTP on 127.0.0.1) and the
   ``RELMAP_SILVASOFT_PACE`` of 100000/s. The hourly budget is lifted in that process alone (the plan's
   ``requests_per_hour``, which the schema caps at the largest plan's 1,200, and the emulator's): this measures
   what a sync costs, not the hours a plan spreads it over (sync.py measures those). Requests come from the
   emulator's log; floors: one create per relation that must exist in Silvasoft, and one listing page. Goal:
   linear, so the time per 1,000 relations at the largest size within 1.5x of the smallest size's.

Each figure prints beside its goal (met / NOT met); goals never change the exit code, which is 1 only when a step
fails or the sync leaves Silvasoft without the relations it should hold.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync import expected_endpoint, generate  # noqa: E402  (benchmarks/sync.py: the synthetic relations)

MAPPING = ROOT / "mappings" / "business-routing.yaml"
STEPS = ("render", "dry-run", "sync")
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


def measure(command: Sequence[str], cwd: Path, stdout: Path | None = None) -> Measured:
    """Run ``command``; its wall time and its own peak resident memory (os.wait4: this one child's ru_maxrss)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
    with tempfile.TemporaryDirectory() as scratch:
        out_path, err_path = stdout or Path(scratch) / "out", Path(scratch) / "err"
        with out_path.open("w") as out, err_path.open("w") as err:
            started = time.perf_counter()
            process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen never waits again
        captured = "" if stdout else out_path.read_text(encoding="utf-8")
        return Measured(seconds, usage.ru_maxrss / 1024, process.returncode, captured, err_path.read_text("utf-8"))


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
    verdict = "met" if ratio <= FLAT_MARGIN else "NOT met"
    print(f"    goal: envelope flat, as JSONL (within {FLAT_MARGIN - 1:.0%} of its peak): {ratio:.2f}x -- {verdict}")
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
    if size == DRY_RUN_GOAL_AT:
        verdict = "met" if done.peak_mb < DRY_RUN_GOAL_MB else "NOT met"
        print(f"    goal: {DRY_RUN_GOAL_AT:,} relations under {DRY_RUN_GOAL_MB} MB -- {verdict}")
    else:
        print(f"    goal: {DRY_RUN_GOAL_AT:,} relations under {DRY_RUN_GOAL_MB} MB (measured at that size only)")
    return True


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
    import relmap.commands.run as run_command
    from relmap.cli import main
    from relmap.sandbox import Sandbox

    relations = generate(size, seed)
    plan_or_report = run_command.plan_or_report

    def unlimited(*args: Any, **kwargs: Any) -> Any:
        plan = plan_or_report(*args, **kwargs)
        return plan and replace(plan, target=replace(plan.target, requests_per_hour=UNLIMITED))

    run_command.plan_or_report = unlimited  # type: ignore[assignment]
    with Sandbox(relations=relations, requests_per_hour=UNLIMITED) as sandbox:
        os.environ.update(sandbox.credentials)
        os.environ.update(
            RELMAP_OUTSMART_URL=sandbox.outsmart_url,
            RELMAP_SILVASOFT_URL=sandbox.silvasoft_url,
            RELMAP_SILVASOFT_PACE=FAST_PACE,
        )
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


# --------------------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", default="10000", help="relation counts, comma-separated (default 10000)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic relations")
    parser.add_argument("--only", default=",".join(STEPS), help=f"steps to run, of {', '.join(STEPS)}")
    parser.add_argument("--child-sync", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes: expected whole numbers separated by commas, got {args.sizes!r}")
    args.only = [step.strip() for step in args.only.split(",")]
    if min(args.sizes) < 1 or not set(args.only) <= set(STEPS):
        parser.error(f"--sizes must be at least 1 and --only a list of {', '.join(STEPS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_sync:
        return child_sync(args.child_sync, args.seed, Path(args.folder))
    print(f"relmap at scale: {MAPPING.relative_to(ROOT)}, sizes {', '.join(f'{s:,}' for s in args.sizes)}, "
          f"seed {args.seed}; wall time and each process's own peak memory (ru_maxrss)")  # fmt: skip
    ok, per_thousand = True, {}
    for size in args.sizes:
        print(f"\n{size:,} relations")
        relations = generate(size, args.seed)
        with tempfile.TemporaryDirectory(prefix="relmap-scale-") as temporary:
            folder = Path(temporary)
            if "render" in args.only:
                ok &= step_render(folder, size, relations)
            if "dry-run" in args.only:
                ok &= step_dry_run(folder, size, relations)
            if "sync" in args.only:
                right, per_thousand[size] = step_sync(folder, size, args.seed)
                ok &= right
    if len(per_thousand) > 1 and all(per_thousand.values()):
        small, large = min(per_thousand), max(per_thousand)
        ratio = per_thousand[large] / per_thousand[small]
        verdict = "met" if ratio <= LINEAR_MARGIN else "NOT met"
        print(f"\nfirst sync, linear: time per 1,000 relations at {large:,} is {ratio:.2f}x that at {small:,} "
              f"(goal: at most {LINEAR_MARGIN}x) -- {verdict}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
