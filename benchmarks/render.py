"""How much the mapping machinery costs: ``Renderer(plan).render`` against the same transform written by hand.

Run from the repository root::

    PYTHONPATH=. python benchmarks/render.py [--sizes 10000,100000] [--repeat R] [--seed S] [--clock cpu] [--profile]

What is measured
----------------
``N`` synthetic OutSmart relations are built deterministically by varying the relations in
``mappings/samples/relations.json`` (new debtor numbers, names, contacts, e-mail addresses, postcodes, house
numbers, country and phone spellings, KvK and VAT numbers, a few inactive relations and leads, a few debtor numbers
that are not numbers). They are normalised once with ``normalize_record``; that is not timed.

At each size (``--sizes``, default 10,000 and 100,000) every shipped mapping (``mappings/*.yaml``) is rendered two
ways, taking turns, best of ``R`` runs (``time.perf_counter``, or with ``--clock cpu`` ``time.process_time``; gc
enabled as normal):

* **compiled**: the mapping compiled once, then ``Renderer(plan).render(record)``;
* **hand-written**: the same mapping in plain Python (``benchmarks/render_hand.py``), what one would write for
  speed: the same source filters, skip rules, route choice and payload, with each contact name split once
  (``relmap.mapping.filters.names.split_name``, where the mapping's ``first_name``, ``last_name`` and ``salutation_sex``
  split it again) and each country looked up once (where the mapping's ``country_code`` runs for the postcode and
  again for the country). It calls the same ``relmap.mapping.filters`` functions otherwise (the mappings' ``when`` tests
  guard the same values), and ``relmap.mapping.convert.convert`` where the mapping converts a type other than text. So
  the difference between the two is the mapping machinery (templates, through the direct path or Jinja, rules,
  groups and arrays, conversion by declared type, collecting errors); the mapping's repeated splits and look-ups
  are answered by the filters' small memo (the same filter functions serve both, so the twin shares it too).

The results of the timed runs are compared record by record (status, route, endpoint, skip reason, payload
including key order, every failing parameter with its message, and every warning); the script exits 1 if they
differ. Each ratio compiled / hand-written is printed beside the goal of at most 1.5x (met / NOT met); the ratio
never changes the exit code. ``ratio(mapping, size)`` gives the same figure to other scripts. ``--profile`` adds
the top costs of the compiled render of each mapping (cProfile, by own time) at the first size.

Last, ``relmap validate mappings/business-routing.yaml`` is timed as a whole process (10 runs, median and best),
beside ``python -c pass`` measured the same way: the interpreter's own start-up, which no mapping can undercut.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from random import Random
from typing import Any

from relmap.mapping.compiled import CompiledMapping
from relmap.mapping.compiler import compile_file
from relmap.mapping.filters import FILTERS
from relmap.mapping.render import Rendered, Renderer
from relmap.sources.records import SourceRecord, normalize_record

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render_hand import HAND  # benchmarks/render_hand.py: each shipped mapping by hand

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "mappings" / "business-routing.yaml"
SAMPLES = ROOT / "mappings" / "samples" / "relations.json"
TARGET_RATIO = 1.5
TARGET_PROCESS_SECONDS = 0.5
PROCESS_RUNS = 10
WARM_UP = 500  # records rendered by both paths before timing: lazy imports, pycountry and phone metadata

Render = Callable[[SourceRecord], Rendered]

# --------------------------------------------------------------------------------------------------------------
# Synthetic relations
# --------------------------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Piet", "Jan", "Anna", "Sanne", "Kees", "Lotte", "Daan", "Noor", "Fatima", "Ömer", "Renée", "José", "Zoë",
    "Bart", "Eva", "Geert", "Yasmina", "Pieter-Jan", "Maria", "Søren", "Henk", "Ingrid", "Mohamed", "Sophie",
)  # fmt: skip
LAST_NAMES = (
    ("van der", "Berg"), ("de", "Vries"), ("", "Jansen"), ("", "Bakker"), ("van", "Dijk"), ("de", "Groot"),
    ("", "Visser"), ("", "Smit"), ("el", "Amrani"), ("", "Yılmaz"), ("ter", "Horst"), ("van 't", "Hof"),
    ("", "Mulder"), ("de", "Jong"), ("", "Bouzid"), ("", "Kowalczyk"), ("", "Janssen-Peters"), ("van den", "Heuvel"),
    ("", "Lefèvre"), ("", "Öztürk"), ("van", "Leeuwen"), ("de", "Wit"), ("", "Peeters"), ("", "Müller"),
)  # fmt: skip
SALUTATIONS = ("Dhr.", "Mevr.", "De heer", "Mevrouw", "Mw.", "dhr", "Fam.", "Dhr. en Mevr.", "Ing.")
TRADES = (
    "Installatietechniek", "Koeltechniek", "Loodgietersbedrijf", "Schilderwerken", "Vastgoedbeheer", "Elektro",
    "Dakwerken", "Bouw", "Klimaattechniek", "Onderhoud",
)  # fmt: skip
LEGAL_FORMS = ("B.V.", "BV", "V.O.F.", "", "Holding B.V.", "& Zn.")
ROLES = ("Receptie", "Administratie", "Bestuur", "Huismeester Kees", "Secretaris: Mevr. K. Visser", "Planning")
MAIL_DOMAINS = ("gmail.com", "Gmail.com", "hotmail.com", "ziggo.nl", "kpnmail.nl", "outlook.com", "home.nl")
COUNTRY_SPELLINGS = {
    "NL": (
        "NL",
        "NL",
        "NL",
        "NL",
        "Nederland",
        "nederland",
        "NEDERLAND",
        "the Netherlands",
        "Holland",
        "NLD",
        "",
        None,
    ),
    "BE": ("BE", "België", "Belgie", "Belgium", "BEL"),
    "DE": ("DE", "Duitsland", "Deutschland", "Germany"),
}
AREA_CODES = ("010", "020", "030", "040", "050", "070", "073", "0118", "0229", "0318", "0344", "0512", "0591")
POSTCODE_LETTERS = "ABCDEGHJKLMNPRTVWXZ"


def load_samples(path: Path = SAMPLES) -> list[dict[str, Any]]:
    """The sample relations, as OutSmart returns them (``{"response": [...]}``)."""
    return list(json.loads(path.read_text(encoding="utf-8"))["response"])


def generate(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` raw relations, each a sample relation with new, varied values; the same for the same seed."""
    rng = Random(seed)
    samples = load_samples()
    return [vary(rng.choice(samples), number, rng) for number in range(count)]


def vary(sample: dict[str, Any], number: int, rng: Random) -> dict[str, Any]:
    raw = dict(sample)
    country = sample_country(sample)
    company = bool(sample.get("kvk_number") or sample.get("vat_number"))
    first, (prefix, last) = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    raw["debtor_number"] = debtor_number(number, rng)
    raw["name"] = company_name(last, rng) if company else person_name(first, prefix, last, rng)
    raw["contact"] = (
        company_contact(first, prefix, last, rng) if company else private_contact(raw, first, prefix, last, rng)
    )
    raw["email"], raw["email_workorder"] = emails(first, last, raw["name"], company, rng)
    raw["phone_number"], raw["mobile"] = phones(rng, sample["phone_number"] if country != "NL" else None)
    raw["postal_code"] = postcode(country, rng)
    raw["house_number"] = house_number(rng)
    raw["country"] = rng.choice(COUNTRY_SPELLINGS[country]) if rng.random() > 0.002 else "Nederlnd"
    if company:
        raw["kvk_number"] = kvk_number(rng) if sample.get("kvk_number") else ""
        raw["vat_number"] = vat_number(country, rng) if sample.get("vat_number") else ""
    raw["active"] = "0" if rng.random() < 0.04 else "1"
    raw["debtor_type"] = rng.choices(("customer", "Customer", "lead", "supplier"), (88, 2, 8, 2))[0]
    return raw


def sample_country(sample: dict[str, Any]) -> str:
    code = FILTERS["country_code"](sample.get("country"), default="NL")
    return code if code in COUNTRY_SPELLINGS else "NL"


def debtor_number(number: int, rng: Random) -> str:
    """Mostly digits; some with a leading zero, about 1% not a number at all (a CustomerNumber error)."""
    value = str(20000 + number)
    roll = rng.random()
    if roll < 0.01:
        return rng.choice((f"{value}Aaa", f"D{value}", f"{value}-B"))
    if roll < 0.03:
        return "0" + value
    return value


def person_name(first: str, prefix: str, last: str, rng: Random) -> str:
    full_last = f"{prefix} {last}".strip()
    forms = (
        f"{first} {full_last}",
        f"{first[0]}. {full_last}",
        f"Fam. {last}",
        full_last[0].upper() + full_last[1:],
        last,
    )
    return rng.choices(forms, (50, 25, 5, 10, 10))[0]


def company_name(last: str, rng: Random) -> str:
    trade = rng.choice(TRADES)
    forms = (f"{last} {trade} {rng.choice(LEGAL_FORMS)}".strip(), f"Stichting {trade} {last}", f"VvE De {last}")
    return rng.choices(forms, (85, 8, 7))[0]


def contact_name(first: str, prefix: str, last: str, rng: Random) -> str:
    """A contact with a salutation, initials, a comma form or just the name, as people type them."""
    full_last = f"{prefix} {last}".strip()
    salutation = rng.choice(SALUTATIONS)
    forms = (
        f"{salutation} {first} {full_last}",
        f"{salutation} {first[0]}. {full_last}",
        f"{first} {full_last}",
        f"{last}, {first} {prefix}".strip(),
        f"{salutation} {full_last}",
    )
    return rng.choices(forms, (30, 25, 30, 5, 10))[0]


def private_contact(raw: dict[str, Any], first: str, prefix: str, last: str, rng: Random) -> str:
    roll = rng.random()
    if roll < 0.12:
        return ""
    if roll < 0.25:
        return str(raw["name"])
    return contact_name(first, prefix, last, rng)


def company_contact(first: str, prefix: str, last: str, rng: Random) -> str:
    roll = rng.random()
    if roll < 0.15:
        return ""
    if roll < 0.27:
        return rng.choice(ROLES)
    return contact_name(first, prefix, last, rng)


def ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain if ch.isalnum() or ch in ".-")


def emails(first: str, last: str, name: str, company: bool, rng: Random) -> tuple[str | None, str | None]:
    """(email, email_workorder): mixed case, sometimes blank, now and then null as OutSmart sends it."""
    roll = rng.random()
    if roll < 0.05:
        email: str | None = ""
    elif roll < 0.07:
        email = None
    elif company:
        domain = ascii_word(name.split()[0]).lower() + rng.choice((".nl", ".NL", ".com"))
        email = f"{rng.choice(('info', 'Administratie', 'facturen', 'boekhouding'))}@{domain}"
    else:
        user = rng.choice((f"{first}.{last}", f"{first[0]}.{last}", f"{first}{rng.randrange(1950, 2005)}"))
        email = f"{ascii_word(user)}@{rng.choice(MAIL_DOMAINS)}"
        email = email.lower() if rng.random() < 0.6 else email
    workorder = None
    if company and email and rng.random() < 0.2:
        workorder = "werkbonnen@" + email.split("@", 1)[1].lower()
    return email, workorder


def phones(rng: Random, foreign: str | None) -> tuple[str, str]:
    """(phone_number, mobile) in the spellings people use; foreign relations keep their sample's number."""
    roll = rng.random()
    if foreign is not None:
        phone_number = foreign
    elif roll < 0.05:
        phone_number = ""
    elif roll < 0.07:
        phone_number = rng.choice(("bellen via receptie", "bellen na 14:00 uur", "zie e-mail"))
    elif roll < 0.55:
        phone_number = mobile_number(rng)
    else:
        phone_number = landline_number(rng)
    mobile = mobile_number(rng) if rng.random() < 0.1 else ""
    return phone_number, mobile


def mobile_number(rng: Random) -> str:
    digits = f"{rng.randrange(10**7, 10**8)}"
    forms = (
        f"06{digits}",
        f"06-{digits}",
        f"06 {digits[:4]} {digits[4:]}",
        f"+31 6 {digits}",
        f"+316{digits}",
        f"0031 6 {digits[:4]} {digits[4:]}",
        f"06-{digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}",
    )
    return rng.choice(forms)


def landline_number(rng: Random) -> str:
    area = rng.choice(AREA_CODES)
    local = f"{rng.randrange(10 ** (9 - len(area)), 10 ** (10 - len(area)))}"
    forms = (f"{area}-{local}", f"{area}{local}", f"+31 (0){area[1:]} {local}", f"0031 {area[1:]} {local}")
    return rng.choice(forms)


def postcode(country: str, rng: Random) -> str:
    if country == "BE":
        return str(rng.randrange(1000, 10000))
    if country == "DE":
        return f"{rng.randrange(1067, 99999):05d}"
    digits = rng.randrange(1000, 10000)
    letters = rng.choice(POSTCODE_LETTERS) + rng.choice(POSTCODE_LETTERS)
    forms = (
        f"{digits}{letters}",
        f"{digits} {letters}",
        f"{digits}{letters.lower()}",
        f" {digits}{letters} ",
        f"{digits}  {letters.lower()}",
        f"{digits}-{letters}",
        f"{digits // 10} {letters}",  # a digit short: not a postcode, sent as typed
    )
    return rng.choices(forms, (30, 35, 15, 5, 5, 5, 1))[0]


def house_number(rng: Random) -> str | None:
    number = rng.choice((rng.randrange(1, 30), rng.randrange(1, 300), rng.randrange(1, 2000)))
    forms = (
        str(number),
        f"{number}{rng.choice('abc')}",
        f"{number}{rng.choice('ABC')}",
        f"{number} {rng.choice('AB')}",
        f"{number}-{rng.choice('ABI')}",
        f"{number}-{number + 2}",
        f"{number} bis",
        f"{number} rd",
        f"{number}-{rng.randrange(1, 4)}",
        "",
        None,
    )
    return rng.choices(forms, (60, 6, 4, 4, 3, 5, 2, 2, 3, 6, 5))[0]


def kvk_number(rng: Random) -> str:
    digits = f"{rng.randrange(10**6, 10**8):08d}"
    if rng.random() < 0.005:
        return digits[:7]  # one digit short: a RegistrationNumber error
    return rng.choices((digits, f"{digits[:4]} {digits[4:]}", f"{digits[:2]}.{digits[2:4]}.{digits[4:]}"), (85, 10, 5))[
        0
    ]


def vat_number(country: str, rng: Random) -> str:
    digits = f"{rng.randrange(10**8, 10**9)}"
    if country == "BE":
        return rng.choice((f"BE0{digits}", f"BE 0{digits[:3]}.{digits[3:6]}.{digits[6:]}"))
    if country == "DE":
        return f"DE{digits}"
    forms = (f"NL{digits}B01", f"nl{digits}b01", f"NL {digits[:4]}.{digits[4:6]}.{digits[6:]}.B01", f"{digits}B01")
    return rng.choices(forms, (70, 10, 10, 10))[0]


def normalize_all(raws: Sequence[dict[str, Any]]) -> list[SourceRecord]:
    records = []
    for index, raw in enumerate(raws):
        record = normalize_record(raw, index, "benchmark")
        if not isinstance(record, SourceRecord):
            raise SystemExit(f"generated relation {index} is unusable: {record.message}")
        records.append(record)
    return records


# --------------------------------------------------------------------------------------------------------------
# Comparing and timing
# --------------------------------------------------------------------------------------------------------------


def difference(compiled: Rendered, hand: Rendered) -> str | None:
    """How two results for one record differ, or None when they are the same."""
    for name in ("status", "route", "endpoint", "reason"):
        if getattr(compiled, name) != getattr(hand, name):
            return f"{name}: compiled {getattr(compiled, name)!r}, hand-written {getattr(hand, name)!r}"
    ordered = json.dumps(compiled.payload, ensure_ascii=False) == json.dumps(hand.payload, ensure_ascii=False)
    if compiled.payload != hand.payload or not ordered:
        return f"payload:\n    compiled     {compiled.payload}\n    hand-written {hand.payload}"
    for name in ("errors", "warnings"):
        found = [(e.parameter, e.message) for e in getattr(compiled, name)]
        expected = [(e.parameter, e.message) for e in getattr(hand, name)]
        if found != expected:
            return f"{name}: compiled {found}, hand-written {expected}"
    return None


def differences(compiled: Sequence[Rendered], hand: Sequence[Rendered]) -> list[str]:
    found = []
    for one, other in zip(compiled, hand, strict=True):
        problem = difference(one, other)
        if problem:
            found.append(f"record {one.index} (debtor_number {one.debtor_number!r}): {problem}")
    return found


CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]  # --clock cpu: this process's CPU time, steadier than wall time on a shared, loaded machine


def timed(render: Render, records: Sequence[SourceRecord]) -> tuple[float, list[Rendered]]:
    start = clock()
    results = [render(record) for record in records]
    return clock() - start, results


def best_of(
    renders: dict[str, Render], records: Sequence[SourceRecord], repeat: int
) -> tuple[dict[str, float], dict[str, list[Rendered]]]:
    """The best time of each render over ``repeat`` runs (taking turns), and the results of its last run."""
    best = dict.fromkeys(renders, float("inf"))
    results: dict[str, list[Rendered]] = {}
    for _ in range(repeat):
        for name, render in renders.items():
            results.pop(name, None)  # free the previous run's results outside the timed region
            elapsed, results[name] = timed(render, records)
            best[name] = min(best[name], elapsed)
    return best, results


def process_times(command: Sequence[str], runs: int) -> list[float]:
    """Wall time of ``runs`` runs of ``command`` from the repository root; fails if the command does."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return times


# --------------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------------


def summary(results: Sequence[Rendered]) -> str:
    statuses = Counter(r.status for r in results)
    routes = Counter(r.route for r in results if r.route)
    parts = [f"{statuses[s]:,} {s}" for s in ("ok", "skipped", "error")]
    return ", ".join(parts) + " (" + ", ".join(f"{routes[r]:,} {r}" for r in sorted(routes)) + ")"


def verdict(ratio: float) -> str:
    return "met" if ratio <= TARGET_RATIO else "NOT met"


def report_render(count: int, best: dict[str, float]) -> float:
    """Print both times and the ratio beside the goal; give the ratio."""
    width = max(len(name) for name in best)
    for name, seconds in best.items():
        print(f"    {name:<{width}}  {seconds:7.3f} s  {count / seconds:>10,.0f} relations/s")
    ratio = best["compiled"] / best["hand-written"]
    print(f"    ratio compiled / hand-written: {ratio:.2f}x (goal: at most {TARGET_RATIO:.1f}x) -- {verdict(ratio)}")
    return ratio


def report_profile(name: str, plan: CompiledMapping, records: Sequence[SourceRecord], top: int = 15) -> None:
    """Where the compiled render spends its time: the functions with the most time of their own."""
    import cProfile
    import pstats

    render = Renderer(plan).render
    profile = cProfile.Profile()
    profile.enable()
    for record in records:
        render(record)
    profile.disable()
    print(f"\nProfile of the compiled render of {name}, {len(records):,} relations (top {top} by own time):")
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).sort_stats("tottime").print_stats(top)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    start = next(n for n, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    for line in lines[start : start + top + 1]:
        print("  " + line.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", ""))


def report_process(runs: int) -> None:
    mapping = str(MAPPING.relative_to(ROOT))
    commands = {
        f"relmap validate {mapping}": [sys.executable, "-m", "relmap", "validate", mapping],
        "python -c pass (interpreter start-up)": [sys.executable, "-c", "pass"],
    }
    print(f"\nWhole process, {runs} runs each (wall time, subprocess.run):")
    width = max(len(name) for name in commands)
    medians = {}
    for name, command in commands.items():
        times = process_times(command, runs)
        medians[name] = statistics.median(times)
        print(f"  {name:<{width}}  median {medians[name]:.3f} s  best {min(times):.3f} s")
    validate_median = next(iter(medians.values()))
    verdict = "met" if validate_median < TARGET_PROCESS_SECONDS else "NOT met"
    print(
        f"  target: relmap validate well under {TARGET_PROCESS_SECONDS} s -- median {validate_median:.3f} s, {verdict}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--sizes", default="10000,100000", help="relation counts to render, comma-separated (default 10000,100000)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each renderer; the best counts")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the synthetic relations")
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="wall", help="wall (perf_counter, the default) or cpu (process_time)"
    )
    parser.add_argument("--profile", action="store_true", help="also profile the compiled render (first size)")
    parser.add_argument("--no-process", action="store_true", help="skip timing relmap validate as a process")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes: expected whole numbers separated by commas, got {args.sizes!r}")
    if min(args.sizes) < 1 or args.repeat < 1:
        parser.error("--sizes and --repeat must be at least 1")
    return args


def shipped_mappings() -> list[Path]:
    return sorted(p for p in (ROOT / "mappings").glob("*.yaml") if not p.name.endswith(".tests.yaml"))


def compiled_plan(path: Path) -> CompiledMapping:
    result = compile_file(path)
    if result.plan is None:
        raise SystemExit(f"{path} does not compile:\n" + "\n".join(str(d) for d in result.diagnostics))
    return result.plan


def measure(
    path: Path, records: Sequence[SourceRecord], repeat: int, plan: CompiledMapping | None = None
) -> tuple[dict[str, float], dict[str, list[Rendered]], list[str]]:
    """Best times of the compiled and the hand-written render of ``records``, their results, and every difference."""
    renders: dict[str, Render] = {
        "compiled": Renderer(plan or compiled_plan(path)).render,
        "hand-written": HAND[path.name],
    }
    best_of(renders, records[:WARM_UP], 1)
    best, results = best_of(renders, records, repeat)
    return best, results, differences(results["compiled"], results["hand-written"])


def ratio(mapping: str | Path, size: int, repeat: int = 3, seed: int = 2024) -> float:
    """compiled / hand-written time of ``mapping`` (a path, or a file name in mappings/) on ``size`` synthetic
    relations, best of ``repeat`` runs each; ValueError for another mapping, or when the two renders differ."""
    path = Path(mapping) if Path(mapping).exists() else ROOT / "mappings" / str(mapping)
    if path.name not in HAND or not path.exists():
        raise ValueError(f"{mapping}: not a shipped mapping (one of {', '.join(HAND)})")
    best, _, found = measure(path, normalize_all(generate(size, seed)), repeat)
    if found:
        raise ValueError(f"{path.name}: compiled and hand-written differ on {len(found):,} records: {found[0]}")
    return best["compiled"] / best["hand-written"]


def main(argv: Sequence[str] | None = None) -> int:
    global clock
    args = parse_args(argv)
    clock = CLOCKS[args.clock]
    sizes = ", ".join(f"{size:,}" for size in args.sizes)
    print(f"relmap render benchmark: every shipped mapping on {sizes} synthetic OutSmart relations")
    timer = "perf_counter" if args.clock == "wall" else "process_time (CPU)"
    print(f"  seed {args.seed}; best of {args.repeat} runs each, after a {WARM_UP}-record warm-up; {timer}, gc on")
    print("  generating and normalising the relations, compiling the mappings and comparing results are not timed")
    print("  compiled:     Renderer(plan).render -- templates, rules, conversion by declared type")
    print(
        "  hand-written: the same mapping in plain Python (render_hand.py), each name split and country looked up once"
    )
    records = normalize_all(generate(max(args.sizes), args.seed))
    plans = {path: compiled_plan(path) for path in shipped_mappings()}
    problems: list[str] = []
    ratios: dict[tuple[str, int], float] = {}
    for size in args.sizes:
        print(f"\nRendering {size:,} relations:")
        for path, plan in plans.items():
            best, results, found = measure(path, records[:size], args.repeat, plan)
            problems += found
            print(f"  {path.relative_to(ROOT)}: {summary(results['compiled'])}")
            same = f"MISMATCH on {len(found):,} records" if found else f"identical on all {size:,} records"
            print(f"    hand-written against compiled: {same} (status, route, payload, errors, warnings)")
            for problem in found[:10]:
                print(f"      {problem}")
            ratios[path.name, size] = report_render(size, best)
    print(f"\nRatios compiled / hand-written (goal: at most {TARGET_RATIO:.1f}x):")
    for (name, size), found_ratio in ratios.items():
        print(f"  {name:<32} {size:>9,}  {found_ratio:5.2f}x  {verdict(found_ratio)}")
    if args.profile:
        for path, plan in plans.items():
            report_profile(path.name, plan, records[: args.sizes[0]])
    if not args.no_process:
        report_process(PROCESS_RUNS)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
