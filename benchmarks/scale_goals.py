"""The figures benchmarks/scale.py adds to its own: the JSON plan of a no-change ``--full`` run, a dry run's renders,
the render ratio of every shipped mapping (benchmarks/render.py's functions), and the summary table of every goal.

Each figure is one ``Figure`` in the ``Table`` scale.py prints last; the in-process children print one JSON line.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

MET, NOT_MET, NOT_MEASURED = "met", "NOT met", "not measured"
SUMMARY = ("create", "update", "link", "unchanged", "skip", "error")


@dataclass(frozen=True)
class Figure:
    figure: str
    goal: str
    measured: str
    verdict: str  # MET, NOT_MET or NOT_MEASURED (with why)


@dataclass
class Table:
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: str, goal: str, measured: str, verdict: str) -> str:
        self.figures.append(Figure(figure, goal, measured, verdict))
        return verdict

    def print(self) -> None:
        if not self.figures:
            return
        widths = [max(len(getattr(f, name)) for f in self.figures) for name in ("figure", "goal", "measured")]
        heads = ("figure", "goal", "measured")
        print("\nSummary")
        print("  " + "  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)) + "  verdict")
        for one in self.figures:
            cells = (one.figure, one.goal, one.measured)
            print("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + f"  {one.verdict}")
        missed = sum(1 for f in self.figures if f.verdict == NOT_MET)
        unmeasured = sum(1 for f in self.figures if f.verdict.startswith(NOT_MEASURED))
        print(f"  {len(self.figures)} figures: {missed} NOT met, {unmeasured} not measured")


def verdict(ok: bool) -> str:
    return MET if ok else NOT_MET


@contextlib.contextmanager
def lifted_sandbox(relations: list[dict[str, Any]], folder: Path, pace: str) -> Iterator[Any]:
    """Both emulators in this process with the budget lifted, and relmap pointed at them through the environment,
    with a request ledger of its own (every emulator is the same loopback account, whose ledger in the user's
    folder holds every sandbox run's requests of the hour)."""
    from relmap.sandbox import Sandbox

    lifted_budget()
    with Sandbox(relations=relations, requests_per_hour=10**9) as sandbox:
        os.environ.update(sandbox.credentials)
        os.environ.update(
            RELMAP_OUTSMART_URL=sandbox.outsmart_url,
            RELMAP_SILVASOFT_URL=sandbox.silvasoft_url,
            RELMAP_SILVASOFT_PACE=pace,
            RELMAP_LEDGER_DIR=str(folder / "ledgers"),
        )
        yield sandbox


def lifted_budget() -> None:
    """In this process only: the plan's hourly budget lifted, so a sync costs what it costs, not the hours."""
    import relmap.commands.run as run_command

    plan_or_report = run_command.plan_or_report

    def unlimited(*args: Any, **kwargs: Any) -> Any:
        plan = plan_or_report(*args, **kwargs)
        return plan and replace(plan, target=replace(plan.target, requests_per_hour=10**9))

    run_command.plan_or_report = unlimited  # type: ignore[assignment]


# --------------------------------------------------------------------------------------------------------------
# The JSON plan of a no-change --full run
# --------------------------------------------------------------------------------------------------------------


def child_plan(relations: list[dict[str, Any]], mapping: Path, folder: Path, pace: str) -> dict[str, Any]:
    """A first sync (budget lifted, both emulators here), then ``--dry-run --full --format json`` with nothing
    changed, without and with ``--show-unchanged``: the plans' sizes and forms."""
    from relmap.cli import main

    with lifted_sandbox(relations, folder, pace):
        copy = folder / mapping.name
        copy.write_text(mapping.read_text(encoding="utf-8"), encoding="utf-8")
        state = ["--state", str(folder / "plan.db"), "-q"]
        with open(os.devnull, "w") as quiet:
            synced = main(["run", str(copy), *state], quiet, quiet)
        plans = {}
        for name, extra in (("default", []), ("show_unchanged", ["--show-unchanged"])):
            out = io.StringIO()
            argv = ["run", str(copy), "--dry-run", "--full", "--format", "json", *extra, *state]
            code = main(argv, out, io.StringIO())
            plans[name] = (code, out.getvalue())
    doc = json.loads(plans["default"][1])
    unchanged = [r for r in doc["relations"] if r["action"] == "unchanged"]
    lines = plans["default"][1].splitlines()
    one_line = sum(1 for line in lines if '"debtor_number"' in line and '"unchanged"' in line)
    return {
        "synced": synced,
        "codes": [code for code, _ in plans.values()],
        "relations": len(doc["relations"]),
        "summary": doc["summary"],
        "unchanged": len(unchanged),
        "with_fields": sum(1 for r in unchanged if "fields" in r),
        "one_line": one_line,
        "lines": len(lines),
        "bytes": len(plans["default"][1].encode()),
        "bytes_all": len(plans["show_unchanged"][1].encode()),
    }


def report_plan(child: dict[str, Any], size: int, table: Table) -> bool:
    relations = max(child["relations"], 1)
    per, per_all = child["bytes"] / relations, child["bytes_all"] / relations
    print(f"  no-change --full JSON plan: {child['bytes']:,} bytes for {child['relations']:,} relations "
          f"({per:,.0f} bytes per relation; {per_all:,.0f} with --show-unchanged), "
          f"{child['lines']:,} lines")  # fmt: skip
    print(f"    {child['unchanged']:,} unchanged: {child['with_fields']:,} of them with fields, "
          f"{child['one_line']:,} on one line each; summary {child['summary']}")  # fmt: skip
    changes_only = child["with_fields"] == 0 and child["summary"]["unchanged"] == child["unchanged"]
    one_line = child["one_line"] == child["unchanged"]
    result = verdict(changes_only and one_line)
    print(f"    goal: changes only by default ({verdict(changes_only)}), each unchanged relation one line "
          f"({verdict(one_line)}) -- {result}")  # fmt: skip
    measured = f"{per:,.0f} B/relation, {child['lines'] / relations:.1f} lines/relation"
    table.add(f"JSON plan of a no-change --full run ({size:,})", "changes only; unchanged one line", measured, result)
    nothing_to_do = all(child["summary"][k] == 0 for k in ("create", "update", "link"))
    if child["synced"] != 0 or set(child["codes"]) - {0} or not nothing_to_do:
        print(f"    CHECK FAILED: first sync exit {child['synced']}, dry runs exit {child['codes']}, "
              f"summary {child['summary']} (expected nothing to create, update or link)")  # fmt: skip
        return False
    return True


# --------------------------------------------------------------------------------------------------------------
# A dry run renders every relation once
# --------------------------------------------------------------------------------------------------------------


def child_renders(relations: list[dict[str, Any]], mapping: Path, work: Path) -> dict[str, Any]:
    """``relmap run --sandbox --dry-run --format json`` here, every ``Renderer.render`` counted; then a render of
    the same relations alone (``render_all``, the records normalised before the clock starts)."""
    import relmap.mapping.render as render_module
    from relmap.cli import main
    from relmap.mapping.compiler import compile_file
    from relmap.sandbox.harness import sample
    from relmap.sandbox.storage import write_json_atomic
    from relmap.sources.records import normalize_record

    work.mkdir(parents=True, exist_ok=True)
    (work / mapping.name).write_text(mapping.read_text(encoding="utf-8"), encoding="utf-8")
    seeded = work / ".relmap" / f"{mapping.stem}.sandbox" / "outsmart.json"
    write_json_atomic(seeded, {"relations": relations, "freefields": sample("freefields")})
    counted = [0]
    original: Callable[..., Any] = render_module.Renderer.render

    def counting(self: Any, record: Any) -> Any:
        counted[0] += 1
        return original(self, record)

    render_module.Renderer.render = counting  # type: ignore[method-assign]
    os.chdir(work)
    out = io.StringIO()
    started = time.perf_counter()
    code = main(["run", mapping.name, "--sandbox", "--dry-run", "--format", "json"], out, io.StringIO())
    dry_seconds = time.perf_counter() - started
    render_module.Renderer.render = original  # type: ignore[method-assign]
    plan = compile_file(work / mapping.name).plan
    assert plan is not None
    records = [normalize_record(raw, n, "relations.json") for n, raw in enumerate(relations)]
    started = time.perf_counter()
    rendered = sum(1 for _ in render_module.render_all(plan, records))
    render_seconds = time.perf_counter() - started
    summary = json.loads(out.getvalue())["summary"] if out.getvalue() else {}
    return {
        "code": code,
        "renders": counted[0],
        "planned": sum(summary.get(k, 0) for k in SUMMARY),
        "dry_seconds": dry_seconds,
        "render_seconds": render_seconds,
        "rendered": rendered,
    }


def report_renders(child: dict[str, Any], size: int, table: Table) -> bool:
    once = child["renders"] == child["planned"] > 0
    ratio = child["dry_seconds"] / child["render_seconds"] if child["render_seconds"] else float("inf")
    print(f"  dry run, renders counted  {child['dry_seconds']:7.1f} s  {child['renders']:,} renders for "
          f"{child['planned']:,} relations planned (exit {child['code']})")  # fmt: skip
    print(f"    the same {child['rendered']:,} relations rendered alone: {child['render_seconds']:.1f} s "
          f"(the dry run takes {ratio:.2f}x: its reads, diff and plan beside one render pass)")  # fmt: skip
    result = verdict(once)
    print(f"    goal: one render pass, every relation rendered once -- {result}")
    measured = f"{child['renders']:,} renders / {child['planned']:,} relations; {child['dry_seconds']:.1f} s"
    table.add(f"a dry run renders every relation once ({size:,})", "one render pass", measured, result)
    if child["code"] not in (0, 1, 2):
        print(f"    CHECK FAILED: the dry run exited {child['code']}")
        return False
    return True


# --------------------------------------------------------------------------------------------------------------
# Render throughput, compiled mapping against hand-written Python (benchmarks/render.py)
# --------------------------------------------------------------------------------------------------------------


def step_render_ratio(sizes: list[int], repeat: int, table: Table) -> bool:
    """Every shipped mapping at every size, with benchmarks/render.py's own relations, hand-written twins
    (render_hand.py) and timing; a mapping without a twin is said so, not measured."""
    import render as render_bench  # benchmarks/render.py

    records = render_bench.normalize_all(render_bench.generate(max(sizes), 2024))
    ok = True
    print(f"\nrender throughput, compiled mapping / hand-written Python (benchmarks/render.py; best of {repeat})")
    for path in render_bench.shipped_mappings():
        name = path.name
        if name not in render_bench.HAND:
            print(f"  {name}: benchmarks/render_hand.py has no hand-written transform of it")
            table.add(f"render ratio, {name}", "<= 1.5x", "no hand-written transform", NOT_MEASURED)
            continue
        plan = render_bench.compiled_plan(path)
        for size in sizes:
            best, _, found = render_bench.measure(path, records[:size], repeat, plan)
            ratio = best["compiled"] / best["hand-written"]
            result = verdict(ratio <= render_bench.TARGET_RATIO)
            print(f"  {name} at {size:,}: compiled {best['compiled']:.2f} s, hand-written "
                  f"{best['hand-written']:.2f} s: {ratio:.2f}x (goal: at most {render_bench.TARGET_RATIO}x) "
                  f"-- {result}")  # fmt: skip
            if found:
                print(f"    CHECK FAILED: the two differ on {len(found):,} records, e.g. {found[0]}")
                ok = False
            table.add(f"render ratio, {name} ({size:,})", f"<= {render_bench.TARGET_RATIO}x", f"{ratio:.2f}x", result)
    return ok
