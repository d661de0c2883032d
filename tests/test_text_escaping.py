"""Relation data in text output: the characters a terminal would act on show as escapes, everything else as it is.

Text output (render, explain, validate, the run's progress and summary, the dry-run plan) goes through
report.terminal; JSON, Markdown and HTML keep escaping in their own way, and still do.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import EXPORT_MAPPING, CliResult
from rich.console import Console

from relmap.commands.progress import LineProgress, RichProgress
from relmap.report import plan_text, sync
from relmap.report.diagnostics import as_text as diagnostics_text
from relmap.report.plan_html import html
from relmap.report.plan_markdown import markdown
from relmap.report.terminal import UNSAFE, escape
from relmap.sync.apply import Outcome
from relmap.sync.results import RunResult

CASES = Path(__file__).resolve().parent / "cases"
# ESC (a colour, then clear screen), BEL, CR, NUL, DEL, two C1 controls (NEL, CSI), the bidi overrides and
# isolates, the line and paragraph separators.
HOSTILE = "\x1b[31m\x1b[2J\x07\r\x00\x7f\x85\x9b\u202a\u202e\u2066\u2069\u2028\u2029"
ESCAPED = "\\u001b[31m\\u001b[2J\\u0007\\r\\u0000\\u007f\\u0085\\u009b\\u202a\\u202e\\u2066\\u2069\\u2028\\u2029"
PRINTABLE = "Zoë Straße 北京 😀 [bold]x[/bold] \\n"
MAPPING = EXPORT_MAPPING + "          ContactNotes: remark\n"


def unsafe(text: str) -> list[str]:
    """The unsafe characters in ``text``, line breaks between lines aside."""
    return [found for found in UNSAFE.findall(text) if found != "\n"]


@pytest.fixture
def export(tmp_path: Path) -> Path:
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    relations = [
        {"debtor_number": "1", "name": f"Evil{HOSTILE}BV", "remark": PRINTABLE},
        {"debtor_number": f"2{HOSTILE}", "name": "Bad number"},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(relations, ensure_ascii=False), encoding="utf-8")
    return path


# ---- the helper -------------------------------------------------------------------------------------------------


def test_escape_shows_what_a_terminal_would_act_on_and_keeps_the_rest() -> None:
    assert escape(HOSTILE) == ESCAPED
    assert escape("\t\n\x1c\u061c\u200e\u200f\ud800") == "\\t\\n\\u001c\\u061c\\u200e\\u200f\\ud800"
    assert escape(PRINTABLE) is PRINTABLE
    assert unsafe(escape(HOSTILE + PRINTABLE)) == []


# ---- render -------------------------------------------------------------------------------------------------------


def test_render_text_escapes_relation_data_in_heads_payloads_and_errors(
    run_cli: Callable[..., CliResult], export: Path, tmp_path: Path
) -> None:
    result = run_cli("render", str(tmp_path / "mapping.yaml"), "--input", str(export), cwd=tmp_path)
    assert result.code == 1
    assert unsafe(result.out) == []
    assert f'          "FirstName": "Evil{ESCAPED}BV",\n' in result.out  # still JSON: the escapes are JSON's
    assert '          "ContactNotes": "Zoë Straße 北京 😀 [bold]x[/bold] \\\\n"\n' in result.out
    assert f"! 2{ESCAPED}  people → addprivaterelation  ({export}: record 2)\n" in result.out
    quoted = "'2\\x1b[31m\\x1b[2J\\x07\\r\\x00\\x7f\\x85\\x9b\\u202a\\u202e\\u2066...'"[:-1]  # by repr: safe too
    assert f"    error: CustomerNumber: {quoted} is not a whole number ({tmp_path / 'mapping.yaml'}:8)\n" in result.out


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_render_json_still_gives_the_data_exactly(
    run_cli: Callable[..., CliResult], export: Path, tmp_path: Path, fmt: str
) -> None:
    result = run_cli("render", str(tmp_path / "mapping.yaml"), "--input", str(export), "--format", fmt, cwd=tmp_path)
    assert not any(char in result.out for char in "\x1b\x07\r\x00")  # JSON escapes the C0 controls itself
    # split("\n"): JSON lines hold U+2028 and U+0085 as they are, which splitlines() would break on
    lines = [json.loads(line) for line in result.out.split("\n")[:-1]] if fmt == "jsonl" else None
    results = lines if lines is not None else json.loads(result.out)["results"]
    assert results[0]["payload"]["Relation_Contact"][0]["FirstName"] == f"Evil{HOSTILE}BV"
    assert results[0]["payload"]["Relation_Contact"][0]["ContactNotes"] == PRINTABLE
    assert results[1]["debtor_number"] == f"2{HOSTILE}"


# ---- explain and validate ---------------------------------------------------------------------------------------


def test_explain_text_escapes_relation_data(run_cli: Callable[..., CliResult], export: Path, tmp_path: Path) -> None:
    result = run_cli("explain", str(tmp_path / "mapping.yaml"), "1", "--input", str(export), cwd=tmp_path)
    assert result.code == 0, result.err
    assert unsafe(result.out) == []
    assert f'name = "Evil{ESCAPED}BV"' in result.out
    as_json = run_cli("explain", str(tmp_path / "mapping.yaml"), "1", "--input", str(export), "--format", "json")
    assert json.loads(as_json.out)["payload"]["Relation_Contact"][0]["FirstName"] == f"Evil{HOSTILE}BV"


def test_validate_text_escapes_names_from_the_mapping(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    text = MAPPING.replace("ContactNotes: remark", 'ContactNotes: "re\\e[2J\\u202emark"')
    mapping.write_text(text.replace("name: people", 'name: "pe\\u2028ople"'), encoding="utf-8")
    result = run_cli("validate", str(mapping))
    assert result.code == 1
    assert unsafe(result.out) == []
    assert "re\\u001b[2J\\u202emark" in result.out
    as_json = json.loads(run_cli("validate", str(mapping), "--format", "json").out)
    messages = " ".join(d["message"] for d in as_json["files"][0]["diagnostics"])
    assert "re\x1b[2J\u202emark" in messages  # the JSON keeps the name exactly


def test_diagnostics_text_escapes_the_file_name_and_message() -> None:
    from relmap.errors import Diagnostic, Location

    found = Diagnostic(Location(f"m{HOSTILE}.yaml", 3, 1), "error", f"unknown field 'x{HOSTILE}'", "unknown-field")
    out = diagnostics_text({f"m{HOSTILE}.yaml": [found]})
    assert out == (
        f"m{ESCAPED}.yaml:3:1: error: unknown field 'x{ESCAPED}' [unknown-field]\nm{ESCAPED}.yaml: 1 error\n"
    )


# ---- run: progress lines, summary ---------------------------------------------------------------------------------


def hostile_outcome() -> Outcome:
    return Outcome(
        "10001", f"Evil{HOSTILE}BV [bold]x[/] [/]", "failed", route="people", endpoint="addprivaterelation",
        error=f"Silvasoft: refused: {HOSTILE}",
    )  # fmt: skip


def test_progress_lines_escape_relation_data_and_api_messages() -> None:
    stream = io.StringIO()
    progress = LineProgress(stream)
    progress.phase(f"reading OutSmart (changed since {HOSTILE})")
    progress.advance(hostile_outcome())
    assert stream.getvalue() == (
        f"relmap: reading OutSmart (changed since {ESCAPED})\n"
        f"! 10001  Evil{ESCAPED}BV [bold]x[/] [/]  failed (people → addprivaterelation): "
        f"Silvasoft: refused: {ESCAPED}\n"
    )


def test_the_progress_bar_reads_no_markup_in_data() -> None:
    stream = io.StringIO()
    progress = RichProgress(stream)
    progress.phase("reading [/] [bold]OutSmart")  # markup would raise on "[/]", or swallow "[bold]"
    progress.advance(hostile_outcome())
    progress.close()
    out = stream.getvalue().replace("\n", "")  # rich wraps the line at the console's width
    assert f"Evil{ESCAPED}BV [bold]x[/] [/]" in out
    assert "\x1b[2J" not in out and "\u202e" not in out


def test_the_summary_escapes_why_a_run_stopped() -> None:
    result = RunResult(stopped=f"Silvasoft: {HOSTILE}")
    assert sync.stop_text(result) == f"stopped: Silvasoft: {ESCAPED}; 0 relations pending"


# ---- the dry-run plan in every format ---------------------------------------------------------------------------


def hostile_plan() -> dict[str, Any]:
    doc = json.loads((CASES / "plan-sample.json").read_text(encoding="utf-8"))
    first = doc["relations"][0]
    first["name"] = f"Evil{HOSTILE}BV [bold]x[/bold]"
    first["origin"] = f"export.json:{HOSTILE}"
    first["fields"][0]["after"] = f"after{HOSTILE}"
    first["fields"][0]["parameter"] = f"Na{HOSTILE}me"
    doc["relations"][1]["reason"] = f"because{HOSTILE}"
    doc["warnings"] = [f"warned{HOSTILE}", "a lone surrogate from an API: \ud800"]
    return doc


def test_the_terminal_plan_escapes_everything_and_reads_no_markup() -> None:
    doc = hostile_plan()
    out = plan_text.text(doc)
    assert unsafe(out) == []
    assert f"+ 10001  Evil{ESCAPED}BV [bold]x[/bold]  create" in out
    assert "  - a lone surrogate from an API: \\ud800" in out  # shown as an escape: printing it raw would fail
    console = Console(file=io.StringIO(), record=True, force_terminal=True, color_system="standard", width=300)
    plan_text.show(doc, console)
    shown = console.export_text(styles=False)
    assert shown == out and "[bold]x[/bold]" in shown


@pytest.mark.parametrize("render", [markdown, html], ids=["markdown", "html"])
def test_markdown_and_html_still_escape_these_characters(render: Callable[[dict[str, Any]], str]) -> None:
    doc = hostile_plan()
    out = render(doc)
    assert unsafe(out) == []
    assert "u202e" in out and "u001b" in out and "ud800" in out  # shown, in each format's own escaping
    out.encode("utf-8")  # a lone surrogate from an API answer no longer makes the report unwritable
