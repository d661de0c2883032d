"""Templates are pure and bounded: they cannot change data, escape the sandbox, or run and grow without limit.

Each construct is refused twice: by ``validate`` at the template's own line (relmap.mapping.templates.audit),
and at render time by the environment itself (relmap.mapping.templates.env), which the runtime tests reach by switching
the audit off, as a construct the audit does not recognise would.
"""

from __future__ import annotations

import contextlib
import gc
import json
import resource
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MAPPINGS, CliResult

from relmap.mapping.compiler import compile_text
from relmap.mapping.render import Renderer, render_all
from relmap.mapping.templates import limits
from relmap.sources.records import SourceRecord, normalize_record

BASE = """\
relmap: 1
source:
  file: {path: input.json}
vars:
  country: NL
routes:
  - endpoint: addprivaterelation
    fields:
      Relation_Contact:
        - FirstName: {template: "{{ contact | first_name }}", fallback: "-"}
          LastName: {template: "{{ contact | last_name }}"}
      Address_City: %s
"""
SECRET = "sk-live-0123456789abcdef"


def _text(template: str) -> str:
    return BASE % json.dumps(template)


def diagnostics(template: str, tmp_path: Path) -> list[tuple[int, int, str, str]]:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    result = compile_text(_text(template), "m.yaml", tmp_path)
    return [(d.location.line, d.location.column, d.code, d.message) for d in result.diagnostics]


def renderer(template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Renderer:
    """A renderer for the template with validate's audit switched off: only the runtime sandbox stands guard."""
    monkeypatch.setattr("relmap.mapping.compiler.scope.audit", lambda tree: iter(()))
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    result = compile_text(_text(template), "m.yaml", tmp_path)
    assert result.plan is not None, [d.text() for d in result.diagnostics]
    return Renderer(result.plan)


def record(**fields: Any) -> SourceRecord:
    raw = {"debtor_number": "1001", "name": "Jansen", "contact": "Piet Jansen", "city": "Zeist", **fields}
    made = normalize_record(raw, 0, "test:1")
    assert isinstance(made, SourceRecord)
    return made


def city_error(rendered: Any) -> str:
    assert rendered.status == "error", rendered
    return next(e.message for e in rendered.errors if e.parameter == "Address_City")


# ---- 1. templates cannot change data ------------------------------------------------------------------------------

MUTATIONS = [
    "{{ record.update({'name': 'X', 'email': 'a@b.example'}) or city }}",
    "{{ record.update({'debtor_number': '10002'}) or city }}",
    "{% set v = vars %}{{ v.update({'country': 'BE'}) or city }}",
    "{{ dict(a=1).setdefault('x', 1) or city }}",
    "{{ ff.pop(3, '') ~ city }}",
]


@pytest.mark.parametrize("template", MUTATIONS)
def test_validate_refuses_a_template_that_changes_a_value(template: str, tmp_path: Path) -> None:
    found = diagnostics(template, tmp_path)
    mutations = [(line, column, message) for line, column, code, message in found if code == "template-mutation"]
    assert len(mutations) == 1 and mutations[0][:2] == (12, 21), found
    assert mutations[0][2].startswith("templates cannot change values: ."), mutations


RUNTIME_MUTATIONS = [
    "{% set m = 'upd' ~ 'ate' %}{{ record[m]({'name': 'X', 'debtor_number': '10002'}) or city }}",
    "{% set m = 'upd' ~ 'ate' %}{{ vars[m]({'country': 'BE'}) or city }}",
    "{% set m = 'clea' ~ 'r' %}{{ vars[m]() or city }}",
    "{% set m = 'po' ~ 'p' %}{{ ff[m](3) ~ city }}",
    "{{ record.update({'name': 'X'}) or city }}",
    "{{ (vars|attr('update'))({'country': 'BE'}) or city }}",
]


@pytest.mark.parametrize("template", RUNTIME_MUTATIONS)
def test_the_sandbox_refuses_changes_the_audit_does_not_see(
    template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "attr(" in template:  # the attr filter does not exist at all: compiling fails, with its own message
        found = diagnostics(template, tmp_path)
        assert [(code, message) for _, _, code, message in found] == [
            ("template-unsafe", "the attr filter is not available in mappings")
        ]
        return
    render = renderer(template, tmp_path, monkeypatch)
    first, second = record(), record(debtor_number="1002", name="De Vries")
    before = (dict(first.fields), dict(render.plan.variables))
    message = city_error(render.render(first))
    assert "sandbox forbids" in message or "cannot be changed" in message or "has no attribute" in message, message
    assert (dict(first.fields), dict(render.plan.variables)) == before
    assert render.variables == {"country": "NL"}
    assert render.render(second).debtor_number == "1002"


def test_frozen_values_refuse_changes_even_from_python() -> None:
    from relmap.mapping.templates.env import FrozenDict, freeze

    frozen = freeze({"a": [1, {"b": 2}]})
    assert isinstance(frozen, FrozenDict) and frozen["a"] == (1, {"b": 2})
    for change in (lambda: frozen.update(a=1), lambda: frozen.__setitem__("a", 1), lambda: frozen["a"][1].pop("b")):
        with pytest.raises(TypeError, match="cannot be changed"):
            change()
    assert json.dumps(frozen) == '{"a": [1, {"b": 2}]}'


def test_write_back_sends_what_was_read_whatever_a_template_tries(
    sandbox: Any, run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("relmap.mapping.compiler.scope.audit", lambda tree: iter(()))
    text = (MAPPINGS / "business-routing.yaml").read_text(encoding="utf-8")
    hostile = (
        "Address_City: \"{% set m = 'upd' ~ 'ate' %}"
        "{{ (record[m]({'name': 'X', 'debtor_number': '10002'}) if record[m] is defined else '') or city }}\""
    )
    text = text.replace("    filters:", "    write_back: true\n    filters:", 1).replace("Address_City: city", hostile)
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")
    before = {r["debtor_number"]: r["name"] for r in sandbox.outsmart.relations()}
    result = run_cli("run", str(path), "--state", str(tmp_path / "s.db"))
    assert result.code == 1, result.err  # the sample's two messy relations; the template itself is harmless now
    after = {r["debtor_number"]: r for r in sandbox.outsmart.relations()}
    assert {number: r["name"] for number, r in after.items()} == before
    guids = {r["CustomerNumber"]: r["RelationGUID"] for r in sandbox.silvasoft.relations()}
    for number, relation in after.items():
        if relation.get("external_id"):
            assert relation["external_id"] == str(guids[int(number)])  # each one's own GUID, never 10002's


# ---- the known ways out of a Jinja sandbox ------------------------------------------------------------------------

ESCAPES = [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "template-unsafe"),
    ("{{ record.__class__ }}", "template-unsafe"),
    ("{{ cycler.__init__.__globals__.os.environ }}", "template-unsafe"),
    ("{{ joiner.__init__.__globals__ }}", "template-unsafe"),
    ("{{ namespace.__init__.__globals__['os'].environ['SILVASOFT_API_KEY'] }}", "template-unsafe"),
    ("{{ range.__self__ }}", "template-unsafe"),
    ("{{ record['__class__'] }}", "template-unsafe"),
    ("{{ (city.lower).__self__ }}", "template-unsafe"),
    ("{{ city|attr('__class__') }}", "template-unsafe"),
    ("{{ ('{0.__class__}'|attr('format'))(city) }}", "template-unsafe"),
    ("{% set f = '{0.__init__.__globals__}'.format %}{{ f(cycler) }}", "template-unsafe"),
    ("{{ '{0.__class__}'.format_map({'a': 1}) }}", "template-unsafe"),
    ("{{ record|map(attribute='__class__')|list }}", "template-unsafe"),
    ("{{ record|map('attr', '__class__')|list }}", "unknown-filter"),
    ("{{ lipsum.__globals__['os'].environ }}", "unknown-name"),
    ("{% include 'mapping.yaml' %}", "template-forbidden"),
    ("{% import 'x.j2' as x %}{{ x }}", "template-forbidden"),
    ("{% from 'x.j2' import y %}{{ y }}", "template-forbidden"),
    ("{% extends 'x.j2' %}", "template-forbidden"),
]


@pytest.mark.parametrize(("template", "code"), ESCAPES)
def test_validate_refuses_every_known_escape(template: str, code: str, tmp_path: Path) -> None:
    codes = {found[2] for found in diagnostics(template, tmp_path)}
    assert code in codes, codes


@pytest.mark.parametrize(("template", "code"), ESCAPES)
def test_no_escape_reads_a_secret_at_render_time(
    template: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SILVASOFT_API_KEY", SECRET)
    monkeypatch.setattr("relmap.mapping.compiler.scope.audit", lambda tree: iter(()))
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    result = compile_text(_text(template), "m.yaml", tmp_path)
    if result.plan is None:  # refused while compiling (an unknown filter, an include with no loader): fine
        assert all(SECRET not in d.text() for d in result.diagnostics)
        return
    rendered = Renderer(result.plan).render(record())
    assert SECRET not in json.dumps(rendered.as_dict())
    assert rendered.status == "error", rendered.payload
    assert "<class" not in json.dumps(rendered.as_dict())


def test_the_jinja_floor_is_the_release_with_the_format_escape_fixed() -> None:
    setup = (MAPPINGS.parent / "setup.cfg").read_text(encoding="utf-8")
    assert "jinja2>=3.1.6" in setup  # CVE-2025-27516: |attr('format') escaped the sandbox before 3.1.6


# ---- 2. bounds on time and size ------------------------------------------------------------------------------------

CONSTANT_BLOWUPS = [
    ("{{ (10**(10**9)) > 1 }}", "template-limit"),
    ("{{ '*'*10**9 }}", "template-limit"),
    ("{{ 'x'|center(1000000000) }}", "template-limit"),
    ("{{ 'x'.rjust(1000000000) }}", "template-limit"),
    ("{{ '%1000000000d' % 1 }}", "template-limit"),
    ("{{ '%*d'|format(1000000000, 1) }}", "template-limit"),
    ("{{ range(1000000)|list }}", "template-limit"),
    ("{{ '%d' % (10**5000) }}", "template-limit"),
    ("{{ '{:>1000000000}'.format(city) }}", "template-unsafe"),
    ("{{ lipsum(n=10**7) }}", "unknown-name"),
    ("{{ " + "(" * 100 + "1" + ")" * 100 + " }}", "template-limit"),
    ("{{ 1" + "0" * 5000 + " }}", "template-invalid"),
    ("{{ 1" + "0" * 1200 + " }}", "template-limit"),
    ("{{ ('a ' * 499999)" + "|title" * 10 + "|length }}", "template-limit"),  # once per chain, not per link
    ("{{ city }}" * 20_000, "template-limit"),  # over 100,000 characters
    ('{{ (")" * 100000 ~ "x)") | urlize }}', "template-unsafe"),  # urlize's regular expressions are quadratic, in C
    ("{{ ['A', 'B'] | random }}", "template-unsafe"),  # a template is a function of its record: random is not
]


@pytest.mark.parametrize(("template", "code"), CONSTANT_BLOWUPS, ids=lambda v: v[:40])
def test_validate_refuses_constant_blowups_quickly(template: str, code: str, tmp_path: Path) -> None:
    started = time.monotonic()
    found = diagnostics(template, tmp_path)
    assert code in {f[2] for f in found}, found
    assert all(line == 12 for line, *_ in found), found
    assert time.monotonic() - started < 30  # a hang would never return; the bound itself is in benchmarks/


RUNTIME_BLOWUPS: list[tuple[str, str | tuple[str, ...]]] = [
    ("{{ city * 10**9 }}", "would hold more than 1,000,000"),
    ("{{ city|center(10**9) }}", "a width of 1,000,000,000 is over the template limit"),
    ("{{ city.ljust(10**9) }}", "a width of 1,000,000,000 is over the template limit"),
    ("{{ ('%' ~ 10**9 ~ 'd') % 1 }}", "would hold more than 1,000,000"),
    ("{{ city|indent(10**9) }}", "would hold more than 1,000,000"),
    ("{% set n = 10 %}{{ (n**(n**9)) > 1 }}", "more than 3,322 bits"),
    ("{% set b = city * 100000 %}{{ [b, b, b, b, b, b, b, b, b, b, b, b]|join }}", "would hold more than 1,000,000"),
    ("{% set b = city * 100000 %}{{ ([b] * 1000)|join }}", "would hold more than 1,000,000"),
    ("{% set b = city * 100000 %}{{ (b ~ b ~ b ~ b ~ b ~ b ~ b ~ b ~ b ~ b ~ b ~ b)|length }}", "more than 1,000,000"),
    ("{% set b = city * 100000 %}{% for i in range(1000) %}{% set x = b ~ i %}{% endfor %}", "more than 10,000,000"),
    ("{% set ns = namespace(s=city) %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "1,000,000"),
    ("{% macro d(n) %}{{ d(n-1) ~ d(n-1) if n else 'xx' }}{% endmacro %}{{ d(40) }}", "more than"),
    ("{% macro d(n) %}{{ d(n + 1) }}{% endmacro %}{{ d(1) }}", "recursion"),
    ("{% set s %}{% for i in range(10000) %}{{ city * 1000 }}{% endfor %}{% endset %}{{ s }}", "more than"),
    ("{{ (city * 1000)|replace('', city * 1000) }}", "would hold more than 1,000,000"),
    ("{{ range(10000)|batch(10**9, 'x')|list }}", "a batch size of 1,000,000,000"),
    ("{{ (range(10000)|list) * 1000 }}", "would hold more than 1,000,000"),
    ("{{ range(10**9) }}", "range() in a template gives at most 10,000 numbers"),
    # found by attacking the sandbox from outside: each used gigabytes, minutes, or crashed the process
    (
        "{% set ns = namespace(v=1) %}{% for j in range(20) %}{% for i in range(10000) %}{% set ns.v = (ns.v,) %}"
        "{% endfor %}{% endfor %}{{ {ns.v: 1}|length }}",
        "nests lists, tuples or dicts more than 100 deep",
    ),
    (
        "{% set ns = namespace(a=[1, 1], b=[1, 1]) %}{% for i in range(31) %}{% set ns.a = [ns.a, ns.a] %}"
        "{% set ns.b = [ns.b, ns.b] %}{% endfor %}{{ ns.a == ns.b }}",
        # measuring the doubling values is itself slow: on a loaded machine the time limit may stop it first
        (
            "a namespace value would hold more than 1,000,000",
            "a template value would hold more than 1,000,000",
            "template ran longer than the 2 s limit",
        ),
    ),
    (
        "{% set x = city * 200000 %}{% set y = [x, x, x, x, x, x, x, x, x, x] %}"
        "{% set z = [y, y, y, y, y] %}{{ [z, z] }}",
        "would hold more than 1,000,000",
    ),
    (
        "{% set x = city * 200000 %}{% set y %}{% for i in range(10000) %}{{ x[1:] }}{% endfor %}{% endset %}",
        "more than 10,000,000",
    ),
    ("{{ (city * 200000).translate({90: 'b' * 3000}) }}", "would hold more than 1,000,000"),
    ("{{ (('%' ~ '3999999999s')|string).encode() % city.encode() }}", "would hold more than 1,000,000"),
    ("{{ range(1000)|list|tojson(indent=999999) }}", "an indent of 999,999 is over the template limit of 100"),
    ("{% set ns = namespace(x=3) %}{% for i in range(10000) %}{% set ns.x = ns.x - (0 - ns.x) %}{% endfor %}", "bits"),
    ("{{ ('ΐ' * 999999)|upper }}", "would hold more than 1,000,000"),
    ("{{ dict.update(record, name='MUTATED') }}{{ city }}", "templates cannot change values: dict.update()"),
    # found by a second round of attacks
    ('{{ "\\ud800x" }}', "template made text with an invalid character (lone surrogate \\ud800)"),
    (
        "{{ city.encode('utf-8')[:1].decode('utf-8', 'surrogateescape') ~ "
        "'\u00e9'.encode()[:1].decode('utf-8', 'surrogateescape') }}",
        "lone surrogate",
    ),
    ('{% set d = {"k": city * 200000} %}{{ [d.items()] * 3000 }}', "would hold more than 1,000,000"),
    ('{% set d = {"k": city * 200000} %}{{ ([d.values()] * 2000) | join | length }}', "would hold more than 1,000,000"),
    ("{% set ns = namespace(x=city * 200000) %}{{ [ns] * 10000 }}", "would hold more than 1,000,000"),
    ("{{ (1).to_bytes(2000000000, 'big') | length }}", "a length of 2,000,000,000 is over the template limit"),
    ("{{ ('a' | safe).center(1500000000) | length }}", "a width of 1,500,000,000 is over the template limit"),
    ("{{ ('-' | safe).zfill(2000000000) | length }}", "a width of 2,000,000,000 is over the template limit"),
    # a third round: values that hold one value many times, made with few operations, walked in C by hash or str
    (
        "{% set a = (city, city) %}" + "".join("{% set a = (a, a) %}" for _ in range(40)) + "{{ a | unique | list }}",
        "would hold more than 1,000,000",
    ),
    ("{% set a = [city] %}" + "".join("{% set a = [a, a] %}" for _ in range(40)) + "{{ a | string }}", "1,000,000"),
    ("{% set a = {1: city} %}" + "".join("{% set a = {1: a, 2: a} %}" for _ in range(40)) + "{{ a }}", "1,000,000"),
    (
        "{% set a = (city,) %}" + "".join("{% set a = cycler(a, a).items %}" for _ in range(40)) + "{{ a | unique }}",
        "a template call's arguments would hold more than 1,000,000",
    ),
    ("{% set a = (city,) * 1000 %}{{ [1] | batch(10000, a) | list | unique }}", "would hold more than 1,000,000"),
]


@pytest.mark.parametrize(("template", "expected"), RUNTIME_BLOWUPS, ids=lambda v: v[:40])
def test_runtime_blowups_are_record_errors_in_bounded_memory(
    template: str, expected: str | tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    render = renderer(template, tmp_path, monkeypatch)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    message = city_error(render.render(record()))
    assert any(text in message for text in ((expected,) if isinstance(expected, str) else expected)), message
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 300_000  # not the gigabyte it asked for


def test_a_template_that_runs_too_long_is_stopped_and_the_others_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "TIME_LIMIT", 0.3)
    template = "{% if city == 'Zeist' %}{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}{% endif %}{{ city }}"  # noqa: E501
    render = renderer(template, tmp_path, monkeypatch)
    started = time.monotonic()
    results = list(render_all(render.plan, [record(), record(debtor_number="1002", city="Baarn")]))
    assert time.monotonic() - started < 5
    assert city_error(results[0]) == "template ran longer than the 0.3 s limit and was stopped"
    assert results[1].status == "ok" and results[1].payload["Address_City"] == "Baarn"


def test_a_stop_is_not_swallowed_by_code_that_catches_every_exception() -> None:
    started = time.monotonic()

    def spin(_: object) -> None:
        while True:
            with contextlib.suppress(Exception):  # what a filter or library might do
                sum(range(1000))

    with pytest.raises(limits.TemplateTimeout):
        limits.bounded_call(spin, None, 0.2)
    assert time.monotonic() - started < 3
    total = limits.bounded_call(lambda _: sum(range(10)), None, 0.05)  # a finished evaluation leaves nothing behind
    time.sleep(0.2)
    assert total == 45


def test_a_hung_template_does_not_hang_the_run_or_keep_the_state_locked(
    sandbox: Any, run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "TIME_LIMIT", 0.05)
    text = (MAPPINGS / "business-routing.yaml").read_text(encoding="utf-8")
    loop = "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
    hang = f"Address_City: \"{{% if debtor_number == '10001' %}}{loop}{{% endif %}}{{{{ city }}}}\""
    path = tmp_path / "routing.yaml"
    path.write_text(text.replace("Address_City: city", hang), encoding="utf-8")
    state = str(tmp_path / "s.db")
    first = run_cli("run", str(path), "--state", state, "--report", str(tmp_path / "r.jsonl"))
    assert first.code == 1, first.err
    lines = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    failed = {line["debtor_number"]: line["error"] for line in lines if line["action"] == "failed"}
    assert "template ran longer than the 0.05 s limit" in failed["10001"]
    assert sum(line["action"] == "created" for line in lines) >= 20
    second = run_cli("run", str(path), "--state", state)
    assert "in use" not in second.err and second.code in (0, 1), second.err


def test_the_bounds_are_documented_as_they_are() -> None:
    readme = (MAPPINGS.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Security model", 1)[1].split("\n## ", 1)[0]
    bounds = (limits.MAX_SIZE, limits.MAX_TOTAL, limits.MAX_RANGE)
    for figure in (f"{limits.TIME_LIMIT:g} s", *(f"{bound:,}" for bound in bounds)):
        assert figure in section, figure
    assert textwrap.dedent(section).strip()


def test_evaluations_in_other_threads_are_bounded_and_keep_the_main_thread_bounded() -> None:
    import threading

    def spin() -> None:
        while True:
            sum(range(1000))

    outcomes: list[str] = []

    def worker() -> None:
        try:
            limits.bounded_call(lambda _: spin(), None, 0.1)
        except limits.TemplateTimeout as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcomes == ["template ran longer than the 0.1 s limit and was stopped"] * 3
    with pytest.raises(limits.TemplateTimeout):  # the main thread's slot survived the others coming and going
        limits.bounded_call(lambda _: spin(), None, 0.1)


@pytest.mark.parametrize("name", ["range", "dict", "namespace", "cycler", "joiner"])
def test_a_field_outsmart_sends_never_changes_what_a_name_means(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relation with a field relmap does not know, named like one of Jinja's globals, keeps it under record[...];
    the name still means the global, for every record."""
    uses = {
        "range": "{% for i in range(2) %}{{ i }}{% endfor %}",
        "dict": "{{ dict(a=1)['a'] }}",
        "namespace": "{% set ns = namespace(n=1) %}{{ ns.n }}",
        "cycler": "{{ cycler('1', '2').next() }}",
        "joiner": "{% set j = joiner('-') %}{{ j() }}1",
    }
    render = renderer(uses[name] + "{{ record['" + name + "'] }}", tmp_path, monkeypatch)
    rendered = render.render(record(**{name: "HACK"}))
    assert rendered.status == "ok", rendered.errors
    city = rendered.payload["Address_City"]
    assert city.endswith("HACK") and city[: -len("HACK")] in ("01", "1")


def test_a_garbage_collector_pause_is_not_counted_against_a_template() -> None:
    """With 100,000 relations in memory a full collection can stop every thread for a second; that is no
    template's doing, so the deadline moves by it (up to the limit itself), and only the template's own time counts."""
    from relmap.mapping.templates.limits import TemplateTimeout, _CollectorPauses, bounded_call

    pauses = next(callback for callback in gc.callbacks if isinstance(callback, _CollectorPauses))

    def nap(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.01)

    def paused_then_working(_: object) -> str:
        pauses("start", {})
        nap(0.8)  # as if the collector held every thread
        pauses("stop", {})
        nap(0.5)
        return "done"

    assert bounded_call(paused_then_working, None, seconds=1.0) == "done"  # 1.3 s in all, 0.5 s of its own
    with pytest.raises(TemplateTimeout):
        bounded_call(lambda _: nap(1.3), None, seconds=1.0)  # the same time, all of it the template's

    def paused_too_long(_: object) -> None:
        pauses("start", {})
        nap(1.5)
        pauses("stop", {})  # moves the deadline by 1.0 s at most (seconds=1.0 here, TIME_LIMIT in runs)
        nap(1.2)

    with pytest.raises(TemplateTimeout):
        bounded_call(paused_too_long, None, seconds=1.0)


def test_a_long_field_can_be_given_to_a_macro(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Call arguments are measured for the containers a template made; a field the reader accepted, or the record
    itself, is not one of them."""
    from relmap.sources.records import MAX_VALUE

    template = "{% macro short(v) %}{{ v[:3] }}{% endmacro %}{% macro keys(r) %}{{ r.name[:2] }}{% endmacro %}"
    render = renderer(template + "{{ short(remark) }}{{ keys(record) }}", tmp_path, monkeypatch)
    rendered = render.render(record(remark="x" * MAX_VALUE, street="y" * 600_000, email="z" * 500_000))
    assert "Address_City" not in {e.parameter for e in rendered.errors}, rendered.errors
    assert rendered.payload["Address_City"] == "xxxJa"
