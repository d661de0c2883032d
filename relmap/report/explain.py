"""``relmap explain`` as readable text (the JSON is ``Explanation.as_dict``).

The text is built as a list of lines, each escaped for the terminal (report.terminal) as it is written: relation
data and the mapping's own text cannot break a line, move the cursor or reorder what follows.
"""

from __future__ import annotations

import json
from typing import Any

from relmap.mapping.explain import Decision, Explanation, Read, Step, Test
from relmap.report.terminal import text_lines

INDENT = "  "
DETAIL = " " * 6
LABEL = 10  # the width of a detail line's label: "template  "


def as_json(explanation: Explanation) -> str:
    return json.dumps(explanation.as_dict(), indent=2, ensure_ascii=False, default=str) + "\n"


def as_text(explanation: Explanation) -> str:
    e = explanation
    lines = [f"relation {e.debtor_number or '?'}  ({e.origin})", f"mapping  {e.mapping}"]
    lines += [f"note: {note}" for note in e.notes]
    if e.decisions or e.status != "error" or e.route:
        lines += ["", "route"]
        for decision in e.decisions:
            lines += _decision(decision)
        lines.append(INDENT + _outcome(e))
    if e.steps:
        lines += ["", f"parameters of {e.route} → {e.endpoint}"]
        for step in e.steps:
            lines += _step(step)
    lines += ["", *_result(e)]
    return text_lines(lines)


def _decision(decision: Decision) -> list[str]:
    test = decision.test
    if decision.kind == "filter":
        head = f"source filter {test.text}"
    elif decision.kind == "route":
        head = f"route {decision.route}" + (f" when {test.text}" if test.text else " (no when: takes every relation)")
    else:
        head = f"{'skip' if decision.kind == 'skip' else f'skip of route {decision.route}'} when {test.text}"
    result = _result_word(test)
    if decision.chosen:
        result = "chosen" if decision.kind == "route" and not test.text else result + ": chosen"
    elif decision.reason and test.result:
        result += f": skipped, {decision.reason}"
    lines = [f"{INDENT}{head} → {result}  ({test.location})"]
    lines += [DETAIL + _read(read) for read in test.reads]
    return lines


def _result_word(test: Test) -> str:
    if test.error is not None:
        return f"error: {test.error}"
    return "true" if test.result else "false"


def _outcome(e: Explanation) -> str:
    if e.route:
        return f"⇒ {e.route} → {e.endpoint}"
    if e.status == "skipped":
        return f"⇒ skipped: {e.reason}"
    return "⇒ no route: a condition failed"


def _step(step: Step) -> list[str]:
    head = f"{INDENT}{step.parameter}  ({step.rule})"
    if step.kind == "array":
        return [f"{head}  {step.source}", *_errors(step)]
    if step.kind in ("item", "object"):
        lines = [f"{head}  {step.kind}"]
        if step.when is not None:
            lines += _when(step.when)
        if step.status == "when false":
            lines.append(_detail("left out", "its when is false"))
        elif step.status == "left out":
            lines.append(_detail("left out", "nothing of the record's own data came out (only constants)"))
        return lines + _errors(step)
    if step.status == "not evaluated":
        return [f"{head}  not evaluated: its item is left out by its when"]
    lines = [head]
    if step.when is not None:
        lines += _when(step.when)
    if step.status == "when false":
        return [*lines, _detail("left out", "its when is false")]
    lines += _source(step)
    lines += _value(step)
    if step.status == "item left out":
        lines.append(_detail("left out", "with its item: nothing of the record's own data came out"))
    lines += [_detail("warning", warning.text()) for warning in step.warnings]
    if step.warnings:
        lines.append(_detail("left out", "the value is invalid, and the rule says on_invalid: warn"))
    return lines + _errors(step)


def _source(step: Step) -> list[str]:
    if step.kind == "value":
        return [_detail("constant", _show(step.result if step.failed_at != "source" else step.source))]
    if step.kind == "field":
        return [_detail("field", _read(step.reads[0]) if step.reads else step.source or "")]
    if step.kind == "freefield":
        return [_detail("freefield", _read(step.reads[0]) if step.reads else step.source or "")]
    lines = _multiline("template" if step.kind == "template" else "expr", step.source or "")
    lines += [_detail("reads" if i == 0 else "", _read(read)) for i, read in enumerate(step.reads)]
    lines += _code_steps(step)
    if step.failed_at != "source":
        lines.append(_detail("result", _show(step.result)))
    return lines


def _code_steps(step: Step) -> list[str]:
    """Inside the template: each chain's value and the value after each of its filters, and each {% set %}."""
    if step.untraced:
        return [_detail("steps", f"not shown: {step.untraced}")]
    lined = any(s.line > 1 for s in step.steps)
    lines = []
    for index, found in enumerate(step.steps):
        if found.kind == "value":
            head = f"{found.text} ="
        elif found.kind == "set":
            head = f"set {found.text} ="
        else:
            head = f"{found.text} →"
        if found.failed:
            shown = "raised the error"
        elif not found.times:
            shown = "not reached"
        else:
            shown = ", ".join(found.values) + (", …" if found.times > len(found.values) else "")
            shown += f" ({found.times} times)" if found.times > 1 else ""
        text = f"{head} {shown}" + ("  ← emptied the value" if found.emptied else "")
        text += f"  (template line {found.line})" if lined else ""
        lines.append(_detail("steps" if index == 0 else "", ("  " if found.kind == "filter" else "") + text))
    return lines


def _value(step: Step) -> list[str]:
    lines = []
    lookup = step.lookup
    if lookup is not None:
        key = _show(lookup.key)
        text = {
            "hit": f"{key} → {_show(lookup.value)}",
            "empty": "empty: passes through the map",
            "kept": f"{key} is not in the map: kept as it is (keep_unmapped)",
            "default": f"{key} is not in the map → default {_show(lookup.value)}",
            "miss": f"{key} is not in the map",
        }[lookup.outcome]
        lines.append(_detail("map", text))
    if step.fallback is not None:
        lines.append(_detail("fallback", f"{_show(step.fallback)} (the value was empty)"))
    if step.failed_at is None:
        shown = "(empty: left out)" if step.value is None else f"{_show(step.value)}  ({step.conversion})"
        lines.append(_detail("value", shown))
    return lines


def _when(test: Test) -> list[str]:
    lines = [_detail("when", f"{test.text} → {_result_word(test)}  ({test.location})")]
    return lines + [_detail("", _read(read)) for read in test.reads]


def _errors(step: Step) -> list[str]:
    return [_detail("error", error.text()) for error in step.errors]


def _result(e: Explanation) -> list[str]:
    warnings = [f"{INDENT}warning: {warning.text()}" for warning in e.warnings]
    if e.status == "ok":
        body = json.dumps(e.payload, indent=2, ensure_ascii=False)
        # split("\n"), not splitlines(): json.dumps leaves U+2028 and U+0085 in strings, and those are data
        return [f"result: ok, the payload for {e.endpoint}"] + [INDENT + line for line in body.split("\n")] + warnings
    if e.status == "skipped":
        return [f"result: skipped: {e.reason}"]
    errors = [f"{INDENT}error: {error.text()}" for error in e.errors]
    return ["result: error, nothing would be sent", *errors, *warnings]


def _multiline(label: str, text: str) -> list[str]:
    first, *rest = text.split("\n")  # not splitlines(): a form feed or U+2028 in a template is shown, not obeyed
    return [_detail(label, first)] + [_detail("", line) for line in rest]


def _detail(label: str, text: str) -> str:
    return f"{DETAIL}{label:<{LABEL}}{text}".rstrip()


def _read(read: Read) -> str:
    name = f"{read.name} {read.label}" if read.label else read.name
    return f"{name} = {_show(read.value)}"


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
