"""What ``relmap run --dry-run`` costs and how right its cost is: the plan's reads, its forecast and its reports.

Run from the repository root::

    PYTHONPATH=. python benchmarks/plan.py [--relations N] [--changed K] [--drifted D] [--repeat R] [--seed S]

What is run
-----------
As in ``benchmarks/sync.py`` (whose helpers this script imports): the user's path,
``relmap.cli.main(["run", MAPPING, ...])`` in-process, pointed through the environment (the four credentials of
``sandbox.credentials``, ``RELMAP_OUTSMART_URL``, ``RELMAP_SILVASOFT_URL``, ``RELMAP_SILVASOFT_PACE=1000/s``) at the
built-in emulators (``relmap.sandbox.Sandbox``: real HTTP on 127.0.0.1). The mapping is
``mappings/business-routing.yaml`` with ``requests_per_hour: 1200``, written to a temporary folder with the state
database; the emulator is held to 1,200 requests per hour too. OutSmart holds ``N`` synthetic relations (default
2,000; sync.py's generator: clean, ~30 % companies, a few inactive relations the mapping skips and leads OutSmart's
filter leaves out).

1. Setup. A first real sync (``relmap run MAPPING --state ... -q``), across hours as sync.py does: the first run
   spends the hour and stops (exit 3), "an hour passes" (relmap's ledger emptied through
   ``State.prune_ledger``, the emulator's window through ``sandbox.silvasoft.reset_rate_window()``), a second run
   finishes. A dry run of the account in step (``--dry-run --full --format json``, in a fresh hour) must plan
   nothing but unchanged and skipped relations. Then ``K`` linked relations (default 100) get a new city in
   OutSmart (``sandbox.outsmart.edit``), and ``D`` (default 20) get a new street by hand in Silvasoft
   (``sandbox.silvasoft.edit(guid, Address_Street=...)``); a quarter of the ``D`` are also among the ``K``, so the
   plan meets both on one relation.
2. The dry run: ``relmap run MAPPING --dry-run --full --format json -q --state ...`` in a fresh hour. Its standard
   output is the plan document, parsed as JSON; then the same with ``--show-unchanged`` (every relation and
   parameter in full), in another fresh hour. The account in step is planned both ways too.
3. The real run it forecasts: ``relmap run MAPPING --full -q --state ...``, in a fresh hour.

What is measured, each beside its floor or baseline
---------------------------------------------------
Requests are counted from the Silvasoft emulator's request log, never from relmap's output.

* Dry run, wall time (informational; beside it the real run's). Silvasoft requests: only ``listrelations`` is
  allowed and no write at all (checks); floor for the listing: ceil(present / 200), one page per 200 relations in
  Silvasoft (target: exactly that). The plan's summary is checked against what was changed: ``update`` = K + D -
  overlap, ``drift`` = D, nothing to create, link or refuse, ``unchanged`` and ``skip`` as the data says, and
  relation by relation the updated and drifted debtor numbers are exactly the ones edited.
* Cost accuracy: the plan's ``cost.requests`` beside the Silvasoft requests the following real ``relmap run --full``
  spends (from the log). Target: equal. After it, Silvasoft must hold the new cities and, on the drifted
  relations, the street OutSmart has again (OutSmart wins by default): checks.
* Report formats, on the whole plan document parsed from the ``--show-unchanged`` dry run's output (what the
  reports are rendered from): ``relmap.report.plan_text.text``, ``plan_markdown.markdown`` and
  ``plan_html.html``, best of ``R`` calls each (default 5), beside the baseline
  ``json.dumps(doc, ensure_ascii=False, indent=2)`` on the same document (what ``--format json --show-unchanged``
  prints), as ms and ratio. Target: each at most 10x the baseline. Output sizes in UTF-8 bytes, and HTML bytes per
  relation. (Markdown is cut to fit a GitHub comment, ``plan_markdown.LIMIT`` characters, so its size stops
  growing.)
* JSON plan size, informational: the UTF-8 bytes ``--format json`` printed, in all and per relation, for the
  account in step and for the plan of the edits, each without and with ``--show-unchanged``.
* Peak memory of the dry run, informational: the same dry run again (after another fresh hour) under
  ``tracemalloc``, started just before ``relmap.cli.main`` and stopped just after it; its peak in MB beside the size
  of the JSON plan. The emulators run in the same process, so their allocations while answering (the OutSmart
  response, the listing pages) are inside the peak. That run is not timed, and its plan must equal the first one's
  (but for ``created_at``): a check that a dry run leaves nothing behind that changes the next plan.

Other checks: every run's exit code (0, and 3 only for a first-sync run that spent its hour), Silvasoft's data
unchanged by both dry runs, relmap's summary line of the real run equal to the log, every Silvasoft answer 200, and
no emulator failure. As in sync.py, PASS/MISS never changes the exit code; it is 1 only when a check fails.
The whole script takes well under two minutes with the defaults.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from random import Random
from tempfile import TemporaryDirectory
from typing import Any

from benchmarks.sync import (
    FAST_PACE,
    PAGE,
    PLAN_PER_HOUR,
    ROOT,
    SHIPPED_MAPPING,
    Bench,
    Run,
    environment,
    expected_endpoint,
    first_sync,
    generate,
)
from relmap.cli import main as relmap_main
from relmap.report.plan_html import html
from relmap.report.plan_markdown import LIMIT as MARKDOWN_LIMIT
from relmap.report.plan_markdown import markdown
from relmap.report.plan_text import text
from relmap.sandbox import Sandbox

TARGET_FORMAT_RATIO = 10.0
SHOW = "--show-unchanged"  # the whole plan: every relation and parameter, as the reports get it
WRITES = ("addprivaterelation", "addbusinessrelation", "updaterelation")
MB = 1024 * 1024


class PlanBench(Bench):
    """sync.py's ``Bench``, whose ``run`` takes no options: ``invoke`` is the same with options and tracemalloc."""

    peak: int = 0  # tracemalloc's peak of the last traced invoke, bytes

    def invoke(self, label: str, *options: str, traced: bool = False) -> Run:
        silvasoft, outsmart = self.sandbox.silvasoft, self.sandbox.outsmart
        start_s, start_o = len(silvasoft.log), len(outsmart.log)
        present = len(silvasoft.relations())
        out, err = io.StringIO(), io.StringIO()
        argv = ["run", str(self.mapping), *options, "--state", str(self.state), "--quiet"]
        with environment({**self.environ, "RELMAP_SILVASOFT_PACE": FAST_PACE}):
            if traced:
                tracemalloc.start()
            began = time.perf_counter()
            code = relmap_main(argv, stdout=out, stderr=err)
            seconds = time.perf_counter() - began
            if traced:
                self.peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
        log = silvasoft.log[start_s:]
        return Run(label, code, seconds, present, log, len(outsmart.log) - start_o, out.getvalue(), err.getvalue())


def edit(
    bench: PlanBench, linked: list[str], changed_count: int, drifted_count: int, seed: int
) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """New cities in OutSmart, new streets by hand in Silvasoft.

    Returns the new cities and the streets Silvasoft held before the hand edit (by debtor number), and the overlap.
    """
    rng = Random(seed + 2)
    changed = rng.sample(linked, changed_count)
    overlap = min(drifted_count // 4, changed_count)
    others = sorted(set(linked) - set(changed))
    drifted = rng.sample(changed, overlap) + rng.sample(others, drifted_count - overlap)
    cities: dict[str, str] = {}
    for debtor in changed:
        cities[debtor] = f"{(bench.sandbox.outsmart.get(debtor) or {}).get('city')} Noord"
        bench.sandbox.outsmart.edit(debtor, city=cities[debtor])
    stored = {str(r.get("CustomerNumber")): r for r in bench.sandbox.silvasoft.relations()}
    streets: dict[str, str] = {}
    for index, debtor in enumerate(drifted):
        streets[debtor] = stored[debtor]["Address_Street"]
        bench.sandbox.silvasoft.edit(stored[debtor]["RelationGUID"], Address_Street=f"Handstraat {index + 1}")
    return cities, streets, set(drifted) & set(changed)


def best_of(repeat: int, call: Callable[[], str]) -> tuple[float, str]:
    """The fastest of ``repeat`` calls in seconds, and the output."""
    best, output = math.inf, ""
    for _ in range(repeat):
        began = time.perf_counter()
        output = call()
        best = min(best, time.perf_counter() - began)
    return best, output


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def show_runs(runs: list[tuple[str, Run]]) -> None:
    print(f"  {'run':<34}{'exit':>5}{'seconds':>9}{'present':>9}{'Silvasoft':>11}{'OutSmart':>10}  by endpoint")
    for name, run in runs:
        endpoints: dict[str, int] = {}
        for entry in run.log:
            key = f"{entry.endpoint}{'' if entry.ok else f' {entry.status}'}"
            endpoints[key] = endpoints.get(key, 0) + 1
        counts = ", ".join(f"{n:,} {e}" for e, n in endpoints.items()) or "none"
        print(
            f"  {name:<34}{run.exit_code:>5}{run.seconds:>9.2f}{run.present:>9,}{run.count():>11,}"
            f"{run.outsmart_requests:>10}  {counts}"
        )
        shown = run.stderr.strip().splitlines()
        if not run.label.startswith("dry run"):  # a dry run's output is the plan document itself
            shown = run.stdout.strip().splitlines() + shown
        for line in shown:
            print(f"      relmap: {line}")


def parse_plan(run: Run, problems: list[str]) -> dict[str, Any]:
    try:
        doc = json.loads(run.stdout)
    except ValueError as error:
        problems.append(f"{run.label}: its output is not a JSON plan ({error}): {run.stdout[:200]!r}")
        return {}
    if not isinstance(doc, dict) or doc.get("kind") != "relmap-plan":
        problems.append(f"{run.label}: its output is not a relmap plan")
        return {}
    return doc


def check_plan(
    doc: dict[str, Any],
    expected: dict[str, int],
    updated: set[str],
    drifted: set[str],
    problems: list[str],
) -> None:
    """The summary and the relations of the plan against what was changed."""
    summary = doc.get("summary", {})
    wrong = {k: (summary.get(k), v) for k, v in expected.items() if summary.get(k) != v}
    if wrong:
        problems.append(
            "plan summary differs: " + ", ".join(f"{k} {got} (expected {want})" for k, (got, want) in wrong.items())
        )
    relations = doc.get("relations", [])
    planned = {r["debtor_number"] for r in relations if r["action"] == "update"}
    # A compact entry (an unchanged relation with nothing to review) has no fields.
    with_drift = {r["debtor_number"] for r in relations if any(f.get("drift") for f in r.get("fields", ()))}
    for what, got, want in (("updated", planned, updated), ("drifted", with_drift, drifted)):
        if got != want:
            problems.append(
                f"plan: {what} relations differ from those edited: {len(want - got)} missing "
                f"{sorted(want - got)[:5]}, {len(got - want)} unexpected {sorted(got - want)[:5]}"
            )
    read = doc.get("read", {})
    if not (read.get("full") and read.get("silvasoft_listed")):
        problems.append(f"plan: read {read}; expected full and Silvasoft listed")


def check_dry_run(run: Run, doc: dict[str, Any], problems: list[str]) -> None:
    if run.exit_code != 0:
        problems.append(f"{run.label}: exit code {run.exit_code}, expected 0: {run.stderr.strip()[:300]}")
    writes = [e for e in run.log if e.endpoint in WRITES or e.method in ("POST", "PUT", "DELETE")]
    others = sorted({e.endpoint for e in run.log if e.endpoint != "listrelations"})
    if writes:
        problems.append(f"{run.label}: {len(writes)} write(s) to Silvasoft: {sorted({e.endpoint for e in writes})}")
    if others:
        problems.append(f"{run.label}: requests other than listrelations: {others}")
    if doc and doc["read"]["silvasoft_requests"] != run.count():
        problems.append(
            f"{run.label}: the plan says it read with {doc['read']['silvasoft_requests']} Silvasoft requests, "
            f"the log has {run.count()}"
        )
    if not all(e.ok for e in run.log):
        problems.append(f"{run.label}: Silvasoft answered with an error: {[(e.endpoint, e.status) for e in run.log]}")


def check_after(bench: PlanBench, cities: dict[str, str], streets: dict[str, str]) -> list[str]:
    stored = {str(r.get("CustomerNumber")): r for r in bench.sandbox.silvasoft.relations()}
    problems = []
    stale = [d for d, v in cities.items() if (stored.get(d) or {}).get("Address_City") != v]
    if stale:
        problems.append(f"{len(stale)} new cities did not reach Silvasoft, e.g. {stale[:5]}")
    kept = [d for d, v in streets.items() if (stored.get(d) or {}).get("Address_Street") != v]
    if kept:
        problems.append(f"{len(kept)} hand-edited streets were not set back to OutSmart's, e.g. {kept[:5]}")
    return problems


def without_created_at(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "created_at"}


def print_dry_run(dry: Run, real: Run, doc: dict[str, Any], want: dict[str, int]) -> list[str]:
    """The dry run's time, reads and summary; returns the targets missed."""
    floor = math.ceil(dry.present / PAGE)
    listed = dry.count("listrelations")
    print("\nDry run (relmap run --dry-run --full --format json):")
    print(f"  {'wall time':<44}{dry.seconds:9.2f} s   (the real --full run after it: {real.seconds:.2f} s)")
    print(
        f"  {'Silvasoft listrelations':<44}{listed:9,}     floor ceil({dry.present:,} / {PAGE}) = {floor}"
        f" -- {verdict(listed == floor)}"
    )
    print(f"  {'Silvasoft writes':<44}{sum(dry.count(e) for e in WRITES):9,}     must be 0")
    if doc:
        summary = doc["summary"]
        print(f"  {'plan summary':<44}" + ", ".join(f"{k} {summary[k]:,}" for k in want))
        print(f"  {'expected from the edits':<44}" + ", ".join(f"{k} {v:,}" for k, v in want.items()))
        print(f"  {'plan cost':<44}{doc['cost']['text']}")
    return [] if listed == floor else ["dry-run listing"]


def print_cost(doc: dict[str, Any], real: Run) -> list[str]:
    """The plan's cost beside what the real run spent; returns the targets missed."""
    planned = doc["cost"]["requests"]
    planned_list = doc["read"]["silvasoft_requests"]
    writes = sum(real.count(e) for e in WRITES)
    print("\nCost accuracy (the plan's cost.requests beside what the real run --full spent):")
    print(f"  {'planned':<44}{planned:9,}     ({planned_list} listing + {planned - planned_list:,} writes)")
    print(
        f"  {'spent (log)':<44}{real.count():9,}     ({real.count('listrelations')} listing + {writes:,} writes;"
        f" relmap says {real.reported})"
    )
    print(f"  target: equal -- {verdict(planned == real.count())}")
    return [] if planned == real.count() else ["cost accuracy"]


def print_formats(doc: dict[str, Any], repeat: int) -> list[str]:
    """Each report format beside json.dumps of the same document; returns the targets missed."""
    count = len(doc["relations"])
    base_s, base_out = best_of(repeat, lambda: json.dumps(doc, ensure_ascii=False, indent=2))
    compact_s, compact_out = best_of(repeat, lambda: json.dumps(doc, ensure_ascii=False))
    print(f"\nReport formats on the plan ({count:,} relations; best of {repeat} calls each):")
    print(f"  {'format':<30}{'ms':>9}{'ratio':>8}{'bytes':>12}  target")
    print(f"  {'json.dumps (baseline)':<30}{base_s * 1000:9.1f}{1:8.2f}{len(base_out.encode()):12,}")
    print(
        f"  {'json.dumps, no indent':<30}{compact_s * 1000:9.1f}{compact_s / base_s:8.2f}"
        f"{len(compact_out.encode()):12,}  informational: the C encoder (indent=2 takes the pure-Python one)"
    )
    formats: list[tuple[str, Callable[[], str]]] = [
        ("plan_text.text", lambda: text(doc)),
        ("plan_markdown.markdown", lambda: markdown(doc)),
        ("plan_html.html", lambda: html(doc)),
    ]
    missed, html_bytes = [], 0
    for name, call in formats:
        seconds, output = best_of(repeat, call)
        ratio = seconds / base_s if base_s else math.inf
        size = len(output.encode())
        html_bytes = size if name == "plan_html.html" else html_bytes
        ok = ratio <= TARGET_FORMAT_RATIO
        missed += [] if ok else [name]
        target = f"at most {TARGET_FORMAT_RATIO:g}x -- {verdict(ok)}"
        print(f"  {name:<30}{seconds * 1000:9.1f}{ratio:8.2f}{size:12,}  {target}")
    print(f"  HTML: {html_bytes / max(count, 1):,.0f} bytes per relation; Markdown is cut at {MARKDOWN_LIMIT:,} chars")
    return missed


def print_sizes(plans: list[tuple[str, Run]]) -> None:
    """The JSON plans' sizes: UTF-8 bytes of what ``--format json`` printed, in all and per relation."""
    print("\nJSON plan size (relmap run --dry-run --full --format json, UTF-8 bytes):")
    print(f"  {'plan':<44}{'relations':>10}{'bytes':>13}{'per relation':>14}")
    for name, run in plans:
        size, count = len(run.stdout.encode()), len(json.loads(run.stdout)["relations"])
        print(f"  {name:<44}{count:10,}{size:13,}{size / max(count, 1):14,.0f}")


def print_memory(peak: int, traced: Run) -> None:
    plan = len(traced.stdout.encode())
    print("\nPeak memory of the dry run (tracemalloc around relmap.cli.main; the emulators' share included):")
    print(f"  {'peak':<44}{peak / MB:9.1f} MB")
    print(f"  {'the JSON plan it printed':<44}{plan / MB:9.1f} MB   (peak / plan {peak / max(plan, 1):.1f}x)")
    print(f"  (that run took {traced.seconds:.2f} s under tracemalloc)")


# --------------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n", 1)[0])
    parser.add_argument("--relations", type=int, default=2000, help="synthetic OutSmart relations (default 2000)")
    parser.add_argument("--changed", type=int, default=100, help="relations changed in OutSmart (default 100)")
    parser.add_argument("--drifted", type=int, default=20, help="relations edited in Silvasoft (default 20)")
    parser.add_argument("--repeat", type=int, default=5, help="calls per report format, the best counts (default 5)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the synthetic relations")
    args = parser.parse_args(argv)
    if args.relations < 1 or args.changed < 0 or args.drifted < 0 or args.repeat < 1:
        parser.error("--relations and --repeat must be at least 1, --changed and --drifted at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    raws = generate(args.relations, args.seed)
    endpoints = {raw["debtor_number"]: expected_endpoint(raw) for raw in raws}
    linked = sorted(d for d, e in endpoints.items() if e)
    overlap_count = min(args.drifted // 4, args.changed)
    if len(linked) < args.changed + args.drifted - overlap_count:
        raise SystemExit(f"{len(linked)} relations reach Silvasoft; --changed and --drifted need more")
    inactive = sum(1 for raw in raws if raw["debtor_type"] == "customer" and raw["active"] == "0")
    expected_creates = {e: sum(1 for v in endpoints.values() if v == e) for e in WRITES[:2]}
    print("relmap plan benchmark: relmap run --dry-run (the CLI, in-process) against the built-in emulators")
    print(f"  mapping: {SHIPPED_MAPPING.relative_to(ROOT)} with requests_per_hour {PLAN_PER_HOUR}; pace {FAST_PACE}")
    print(
        f"  OutSmart: {len(raws):,} relations (seed {args.seed}); {len(linked):,} belong in Silvasoft, "
        f"{inactive} inactive customers (skipped), the rest leads (filtered out by OutSmart)"
    )
    problems: list[str] = []
    with (
        TemporaryDirectory(prefix="relmap-bench-") as tmp,
        Sandbox(relations=raws, freefields=[], requests_per_hour=PLAN_PER_HOUR) as sandbox,
    ):
        bench = PlanBench(sandbox, Path(tmp))
        setup = first_sync(bench, Counter(expected_creates))
        runs = [(f"setup: first sync / {run.label}", run) for run in setup.runs]
        if setup.runs[-1].exit_code != 0 or any(r.exit_code not in (0, 3) for r in setup.runs):
            problems.append(f"first sync exit codes {[r.exit_code for r in setup.runs]}, expected ... 3, 0")
        if len(sandbox.silvasoft.relations()) != len(linked):
            problems.append(f"after the first sync Silvasoft holds {len(sandbox.silvasoft.relations())} relations")

        bench.pass_an_hour()
        quiet = bench.invoke("dry run, nothing changed", "--dry-run", "--full", "--format", "json")
        runs.append(("dry run --full, nothing changed", quiet))
        quiet_doc = parse_plan(quiet, problems)
        check_dry_run(quiet, quiet_doc, problems)
        settled = {"create": 0, "update": 0, "link": 0, "unchanged": len(linked), "skip": inactive, "error": 0}
        if quiet_doc:
            check_plan(quiet_doc, {**settled, "drift": 0}, set(), set(), problems)
        bench.pass_an_hour()
        quiet_all = bench.invoke("dry run, nothing changed, all", "--dry-run", "--full", "--format", "json", SHOW)
        runs.append(("dry run --full --show-unchanged", quiet_all))
        check_dry_run(quiet_all, parse_plan(quiet_all, problems), problems)

        cities, streets, overlap = edit(bench, linked, args.changed, args.drifted, args.seed)
        updated, drifted = set(cities) | set(streets), set(streets)
        print(
            f"  edited: {len(cities)} cities in OutSmart, {len(streets)} streets by hand in Silvasoft, "
            f"{len(overlap)} relations in both: {len(updated)} to update"
        )
        before = sandbox.silvasoft.relations()

        bench.pass_an_hour()
        dry = bench.invoke("dry run", "--dry-run", "--full", "--format", "json")
        runs.append(("dry run --full --format json", dry))
        bench.pass_an_hour()
        dry_all = bench.invoke("dry run, all", "--dry-run", "--full", "--format", "json", SHOW)
        runs.append(("dry run --full --show-unchanged", dry_all))
        doc, whole = parse_plan(dry, problems), parse_plan(dry_all, problems)
        check_dry_run(dry_all, whole, problems)
        check_dry_run(dry, doc, problems)
        want = {
            "create": 0,
            "update": len(updated),
            "link": 0,
            "unchanged": len(linked) - len(updated),
            "skip": inactive,
            "error": 0,
            "drift": len(drifted),
        }
        for plan in (doc, whole):
            if plan:
                check_plan(plan, want, updated, drifted, problems)

        bench.pass_an_hour()
        traced = bench.invoke("dry run, traced", "--dry-run", "--full", "--format", "json", traced=True)
        runs.append(("dry run again under tracemalloc", traced))
        again = parse_plan(traced, problems)
        check_dry_run(traced, again, problems)
        if doc and again and without_created_at(doc) != without_created_at(again):
            keys = sorted(k for k in doc if k != "created_at" and doc[k] != again.get(k))
            problems.append(f"the second dry run planned differently: {keys}")
        if sandbox.silvasoft.relations() != before:
            problems.append("Silvasoft's relations changed during the dry runs")

        bench.pass_an_hour()
        real = bench.invoke("real run", "--full")
        runs.append(("real run --full", real))
        if real.exit_code != 0:
            problems.append(f"real run: exit code {real.exit_code}, expected 0")
        if real.reported != real.count():
            problems.append(f"real run: relmap's summary says {real.reported} requests, the log has {real.count()}")
        if not all(e.ok for e in real.log):
            problems.append("real run: Silvasoft answered with an error")
        problems += check_after(bench, cities, streets)
        problems += [f"emulator failure: {f}" for f in sandbox.silvasoft.failures + sandbox.outsmart.failures]

    print("\nRuns (Silvasoft requests from the emulator's log):")
    show_runs(runs)
    missed = print_dry_run(dry, real, doc, want)
    if doc:
        missed += print_cost(doc, real)
        missed += print_formats(whole or doc, args.repeat)
        print_sizes(
            [
                ("nothing changed", quiet),
                ("nothing changed, --show-unchanged", quiet_all),
                (f"{len(updated):,} to update", dry),
                (f"{len(updated):,} to update, --show-unchanged", dry_all),
            ]
        )
        print_memory(bench.peak, traced)

    print("\nChecks:")
    for problem in problems:
        print(f"  FAIL {problem}")
    if not problems:
        print("  the dry runs read only listrelations, wrote nothing, and planned exactly the edits (update, drift,")
        print("  relation by relation), twice alike; the real run spent what relmap says, every answer was 200,")
        print("  and Silvasoft holds the new cities and OutSmart's streets again")
    print(
        f"\nTargets: {len(missed)} missed{': ' + ', '.join(missed) if missed else ''}. "
        f"Benchmark took {time.perf_counter() - began:.1f} s"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
