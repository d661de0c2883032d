"""`relmap explain` inside a template: the value after each filter of a chain and each {% set %}, traced without
giving the template any new power, any more memory or any more time, and shown escaped.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult
from test_template_safety import ESCAPES, RUNTIME_BLOWUPS, RUNTIME_MUTATIONS, _text

from relmap.mapping.compiler import compile_text
from relmap.mapping.explain import Step, explain
from relmap.mapping.render import Renderer
from relmap.mapping.templates import limits
from relmap.mapping.templates.expressions import template_names
from relmap.mapping.templates.text import show
from relmap.mapping.templates.trace import TRACE, Notes, traced, tracing_environment
from relmap.sources.records import SourceRecord, normalize_record


def record(**fields: Any) -> SourceRecord:
    raw = {"debtor_number": "1001", "name": "Jansen", "contact": "Piet Jansen", "city": "Zeist", **fields}
    made = normalize_record(raw, 0, "test:1")
    assert isinstance(made, SourceRecord)
    return made


def city_step(template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch | None = None, **fields: Any) -> Step:
    """Address_City of an explanation of a mapping whose Address_City is ``template``."""
    if monkeypatch is not None:  # validate's audit off: only the runtime sandbox stands guard
        monkeypatch.setattr("relmap.mapping.compiler.scope.audit", lambda tree: iter(()))
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    result = compile_text(_text(template), "m.yaml", tmp_path)
    assert result.plan is not None, [d.text() for d in result.diagnostics]
    explanation = explain(result.plan, record(**fields))
    return next(step for step in explanation.steps if step.parameter == "Address_City")


def lines(step: Step) -> list[tuple[str, str, tuple[str, ...], int]]:
    return [(s.kind, s.text, s.values, s.times) for s in step.steps]


# ---- what the steps show --------------------------------------------------------------------------------------------


def test_each_filter_of_a_chain_and_the_step_that_emptied_the_value(tmp_path: Path) -> None:
    step = city_step("{{ (remark or city) | replace('Zeist', '') | trim | upper }}", tmp_path)
    assert lines(step) == [
        ("value", "remark or city", ('"Zeist"',), 1),
        ("filter", '| replace("Zeist", "")', ('""',), 1),
        ("filter", "| trim", ('""',), 1),
        ("filter", "| upper", ('""',), 1),
    ]
    assert [s.emptied for s in step.steps] == [False, True, False, False]  # the replace emptied it, not trim or upper
    assert step.status == "empty"


def test_set_variables_loops_and_nested_chains(tmp_path: Path) -> None:
    template = (
        "{% set parts = city | list %}{% set ns = namespace(n=0) %}"
        "{% for p in parts %}{% set ns.n = ns.n + 1 %}{% endfor %}"
        "{% set tail %}{{ name | lower }}{% endset %}{% set a, b = 1, 2 %}"
        "{{ ns.n }}-{{ tail | default(contact | upper, true) }}"
    )
    step = city_step(template, tmp_path)
    assert lines(step) == [
        ("value", "city", ('"Zeist"',), 1),
        ("filter", "| list", ('["Z", "e", "i", "s", "t"]',), 1),
        ("set", "parts", ('["Z", "e", "i", "s", "t"]',), 1),
        ("set", "ns", ("namespace(n=0)",), 1),
        ("set", "ns.n", ("1", "2", "3"), 5),  # a step in a loop: how many times, and its first values
        ("value", "name", ('"Jansen"',), 1),
        ("filter", "| lower", ('"jansen"',), 1),
        ("set", "tail", ('"jansen"',), 1),
        ("set", "a, b", ("[1, 2]",), 1),
        ("value", "tail", ('"jansen"',), 1),
        ("filter", "| default(contact | upper, true)", ('"jansen"',), 1),
        ("value", "contact", ('"Piet Jansen"',), 1),
        ("filter", "| upper", ('"PIET JANSEN"',), 1),
    ]
    assert step.value == "5-jansen"


def test_the_filter_that_raised_is_marked_and_later_steps_are_not_reached(tmp_path: Path) -> None:
    step = city_step("{{ city | lower | kvk | upper }}{{ name | upper }}", tmp_path)
    assert step.status == "error" and step.failed_at == "source"
    assert [(s.text, s.times, s.failed) for s in step.steps] == [
        ("city", 1, False),
        ("| lower", 1, False),
        ("| kvk", 0, True),
        ("| upper", 0, False),
        ("name", 0, False),
        ("| upper", 0, False),
    ]


def test_an_expression_is_traced_too(tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    text = _text("x").replace('Address_City: "x"', "CustomerNumber: {expr: 'debtor_number | int + 1'}")
    result = compile_text(text, "m.yaml", tmp_path)
    assert result.plan is not None, [d.text() for d in result.diagnostics]
    step = next(s for s in explain(result.plan, record()).steps if s.parameter == "CustomerNumber")
    assert lines(step) == [("value", "debtor_number", ('"1001"',), 1), ("filter", "| int", ("1001",), 1)]
    assert step.value == 1002


def test_the_text_shows_the_steps(run_cli: Callable[..., CliResult], write_mapping: Callable[..., Path]) -> None:
    mapping = write_mapping(_text("{% set c = city | lower %}\n{{ c | replace('zeist', '') }}"))
    (mapping.parent / "input.json").write_text(json.dumps([{"debtor_number": "1", "city": "Zeist"}]), encoding="utf-8")
    out = run_cli("explain", str(mapping), "1").out
    assert (
        '      steps     city = "Zeist"  (template line 1)\n'
        '                  | lower → "zeist"  (template line 1)\n'
        '                set c = "zeist"  (template line 1)\n'
        '                c = "zeist"  (template line 2)\n'
        '                  | replace("zeist", "") → ""  ← emptied the value  (template line 2)\n'
    ) in out
    document = json.loads(run_cli("explain", str(mapping), "1", "--format", "json").out)
    city = next(p for p in document["parameters"] if p["parameter"] == "Address_City")
    assert city["steps"][-1] == {
        "kind": "filter",
        "text": '| replace("zeist", "")',
        "line": 2,
        "times": 1,
        "values": ['""'],
        "emptied": True,
        "failed": False,
    }
    assert city["untraced"] is None


def test_relation_data_in_the_steps_is_escaped(
    run_cli: Callable[..., CliResult], write_mapping: Callable[..., Path]
) -> None:
    mapping = write_mapping(_text("{{ city | trim }}"))
    rows = [{"debtor_number": "1", "city": "\x1b[31mZeist\u202e\x07"}]
    (mapping.parent / "input.json").write_text(json.dumps(rows), encoding="utf-8")
    out = run_cli("explain", str(mapping), "1").out
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert '| trim → "\\u001b[31mZeist\\u202e\\u0007"' in out


def test_a_large_value_is_shown_short_however_often_it_is_noted(tmp_path: Path) -> None:
    template = "{% set big = city * 150000 %}{% for i in range(2000) %}{{ (big | trim)[:1] }}{% endfor %}"
    step = city_step(template, tmp_path)
    big = next(s for s in step.steps if (s.kind, s.text) == ("value", "big"))
    assert big.times == 2000 and len(big.values) == 3
    assert big.values[0].endswith('…" (750,000 characters)') and len(big.values[0]) < 250
    assert sum(len(v) for s in step.steps for v in s.values) < 5000


def test_a_chain_too_deep_to_trace_is_said_and_the_value_is_the_plain_one(tmp_path: Path) -> None:
    step = city_step("{{ city" + " | trim" * 120 + " }}", tmp_path)
    assert step.steps == () and step.untraced is not None and "cannot be traced" in step.untraced
    assert (step.status, step.value) == ("set", "Zeist")


def test_show_never_reads_an_iterator() -> None:
    names = {**template_names(), "city": "Zeist"}
    code = traced("{% set m = city | map('upper') %}{{ m | join }}", False)
    assert not isinstance(code, str)
    notes = Notes()
    assert code.run(names, notes) == "ZEIST"  # showing the generator did not use it up
    assert notes.values[2][0].shown == "(generator)"
    assert (show(7), show(10**1500)) == ("7", "(a number of 4,983 bits)")


# ---- no new power, no more time, no other outcome --------------------------------------------------------------------


def test_the_hook_is_out_of_every_template_s_reach(tmp_path: Path) -> None:
    env = tracing_environment()
    assert TRACE not in env.globals and TRACE not in template_names()
    for template in ("{{ environment }}", f"{{{{ {TRACE}(0, city) }}}}", "{{ self.environment }}"):
        code = traced(template, False)
        assert not isinstance(code, str)
        with pytest.raises(Exception) as raised:
            code.run({**template_names(), "city": "Zeist"}, Notes())
        assert type(raised.value).__name__ in ("UndefinedError", "SecurityError"), raised.value
    found = city_step("{{ city }}", tmp_path)
    assert found.steps == ()  # a template without a chain or a set has no steps


@pytest.mark.parametrize("template", RUNTIME_MUTATIONS + [t for t, _ in ESCAPES], ids=lambda v: v[:40])
def test_tracing_refuses_what_the_plain_renderer_refuses(
    template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("relmap.mapping.compiler.scope.audit", lambda tree: iter(()))
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    result = compile_text(_text(template), "m.yaml", tmp_path)
    if result.plan is None:
        return  # refused while compiling: neither renderer runs it
    plain = Renderer(result.plan).render(record())
    explanation = explain(result.plan, record())
    assert (explanation.status, explanation.payload, explanation.errors) == (plain.status, plain.payload, plain.errors)


@pytest.mark.parametrize(("template", "expected"), RUNTIME_BLOWUPS, ids=lambda v: v[:40])
def test_tracing_keeps_every_bound(
    template: str, expected: str | tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    step = city_step(template, tmp_path, monkeypatch)
    message = step.errors[0].message if step.errors else ""
    # a few of these take a second even untraced: on a loaded machine the time bound may stop them first
    wanted = ((expected,) if isinstance(expected, str) else expected) + ("longer than the 2 s limit",)
    assert step.status == "error" and any(text in message for text in wanted), step.errors
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 300_000


def test_tracing_is_stopped_at_the_time_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "TIME_LIMIT", 0.3)
    started = time.monotonic()
    template = "{% for i in range(10000) %}{% for j in range(10000) %}{% set x = j | abs %}{% endfor %}{% endfor %}"
    step = city_step(template, tmp_path, monkeypatch)
    assert time.monotonic() - started < 5
    assert step.errors[0].message == "template ran longer than the 0.3 s limit and was stopped"
    assert next(s for s in step.steps if s.text == "x").times > 1000  # what it did before it was stopped
