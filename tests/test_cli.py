"""The command line as a user meets it: fields, init, schema, render formats, exit codes, the installed script,
every command's help and examples, and shell completion."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT


def test_fields_lists_both_catalogs(run_cli) -> None:
    outsmart = run_cli("fields", "outsmart", "--format", "json")
    rows = json.loads(outsmart.out)
    assert {"name": "postal_code", "filter key": "zip"}.items() <= next(
        r for r in rows if r["name"] == "postal_code"
    ).items()
    silvasoft = json.loads(run_cli("fields", "silvasoft", "--endpoint", "addprivaterelation", "--format", "json").out)
    names = {r["name"] for r in silvasoft}
    assert {"CustomerNumber", "Relation_Contact[].FirstName", "Relation_BankAccount.IBAN"} <= names
    assert next(r for r in silvasoft if r["name"] == "Relation_Contact[].LastName")["required"] is True
    table = run_cli("fields", "silvasoft")
    assert table.code == 0 and "TaxIdentificationNumber" in table.out


def test_init_writes_a_mapping_that_validates(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    assert run_cli("init", str(target)).code == 0
    assert target.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=schemas/mapping.schema.json\n"
    )
    assert (tmp_path / "schemas" / "mapping.schema.json").is_file()
    assert run_cli("validate", str(target)).out == f"{target}: ok\n"
    again = run_cli("init", str(target))
    assert again.code == 2 and "--force" in again.err


def test_schema_command_prints_each_packaged_schema(run_cli) -> None:
    for name in ("mapping", "mapping-tests", "plan"):
        printed = run_cli("schema", name)
        assert printed.out == (ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
        version = 2 if name == "plan" else 1  # the plan format is at version 2
        assert json.loads(printed.out)["$id"] == f"urn:relmap:schema:{name}:{version}"
    assert run_cli("schema").out == run_cli("schema", "mapping").out
    assert run_cli("schema", "nonsense").code == 2


def test_render_limit_and_jsonl(run_cli) -> None:
    result = run_cli(
        "render",
        "mappings/private-relations.yaml",
        "--input",
        "mappings/samples/relations.json",
        "--limit",
        "3",
        "--format",
        "jsonl",
    )
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert [line["debtor_number"] for line in lines] == ["10001", "10002", "10003"]
    assert result.code == 0


def test_render_without_an_export_for_an_api_source(run_cli) -> None:
    result = run_cli("render", "mappings/private-relations.yaml")
    assert result.code == 2 and "--input FILE" in result.err


def test_render_refuses_a_broken_mapping(run_cli) -> None:
    result = run_cli("render", "tests/cases/many-mistakes.yaml", "--input", "mappings/samples/relations.json")
    assert result.code == 2
    assert "tests/cases/many-mistakes.yaml:4:12: error:" in result.err and result.out == ""


def test_render_reports_an_unreadable_input(run_cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"code": 1004, "messages": ["Client token unauthorized"], "response": null}', encoding="utf-8")
    result = run_cli("render", "mappings/private-relations.yaml", "--input", str(broken))
    assert result.code == 2 and "1004" in result.err and "Traceback" not in result.err


def test_usage_errors_exit_2(run_cli) -> None:
    assert run_cli("render", "mappings/private-relations.yaml", "--limit", "0").code == 2
    assert run_cli("frobnicate").code == 2


SCRIPT = shutil.which("relmap", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(SCRIPT is None, reason="the relmap console script is not installed beside this Python")
def test_installed_console_script_runs_from_any_directory(tmp_path: Path) -> None:
    mapping = ROOT / "mappings" / "business-routing.yaml"
    assert SCRIPT is not None
    done = subprocess.run([SCRIPT, "validate", str(mapping)], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, f"{mapping}: ok")


def test_validate_start_up_keeps_heavy_imports_out() -> None:
    code = (
        "import sys\nfrom relmap.cli import main\n"
        f"main(['validate', {str(ROOT / 'mappings' / 'freefields-custom-fields.yaml')!r}])\n"
        "heavy = {'rich', 'phonenumbers', 'pycountry', 'stdnum', 'requests'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_an_unforeseen_exception_is_a_located_message_with_no_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from relmap import commands
    from relmap.cli import main

    monkeypatch.setenv("SILVASOFT_API_KEY", "sk-live-very-secret")

    def broken(args: object, out: object, err: object) -> int:
        raise ValueError("could not use sk-live-very-secret here")

    monkeypatch.setitem(commands.COMMANDS, "render", broken)
    out, err = io.StringIO(), io.StringIO()
    code = main(["render", "mappings/x.yaml"], stdout=out, stderr=err)
    assert code == 2 and out.getvalue() == ""
    message = err.getvalue()
    assert message.startswith("relmap: error: mappings/x.yaml: unexpected ValueError: could not use ***")
    assert "at relmap/../tests/" not in message and "sk-live-very-secret" not in message
    assert "This is a bug in relmap" in message and "RELMAP_DEBUG=1" in message
    monkeypatch.setenv("RELMAP_DEBUG", "1")  # as the message asks: the traceback, still exit 2, secret masked
    out, err = io.StringIO(), io.StringIO()
    assert main(["render", "mappings/x.yaml"], stdout=out, stderr=err) == 2
    assert "Traceback (most recent call last)" in err.getvalue() and "sk-live-very-secret" not in err.getvalue()


def test_coverage_that_cannot_be_measured_is_a_warning_on_that_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    from relmap.cli import main
    from relmap.mapping import coverage

    real = coverage.measure

    def measure(plan: object, records: object) -> object:
        if "private" in str(getattr(plan, "path", "")):
            raise RuntimeError("boom")
        return real(plan, records)  # type: ignore[arg-type]

    monkeypatch.setattr(coverage, "measure", measure)
    out, err = io.StringIO(), io.StringIO()
    files = ["mappings/private-relations.yaml", "mappings/business-routing.yaml"]
    code = main(["validate", "--verbose", *files], stdout=out, stderr=err)
    text = out.getvalue()
    assert code == 0, err.getvalue()
    assert "mappings/private-relations.yaml:1:1: warning: coverage could not be measured (RuntimeError: boom)" in text
    assert "coverage: not measured, see the warning above" in text
    assert text.count("  coverage:\n") == 1  # the other mapping's coverage is still shown


def _commands(parser: argparse.ArgumentParser, name: str = "relmap") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                yield from _commands(sub, f"{name} {command}")


def test_every_argument_has_help_and_every_command_two_examples() -> None:
    from relmap.commands.arguments import build_parser

    walked = dict(_commands(build_parser()))
    assert {"relmap export", "relmap completion", "relmap sandbox serve", "relmap validate"} <= set(walked)
    for name, parser in walked.items():
        unexplained = [a.dest for a in parser._actions if not a.help and a.help != argparse.SUPPRESS]
        assert unexplained == [], f"{name}: arguments without help"
        examples = [line.strip() for line in (parser.epilog or "").splitlines()[1:] if line.strip()]
        assert len(examples) >= 2 and all(line.startswith(name.split()[0] + " ") for line in examples), name
        assert parser.description, f"{name}: no description"


def test_every_example_in_the_help_parses(run_cli) -> None:
    """Each example is a command line relmap accepts (parsed only, nothing is run)."""
    import shlex

    from relmap.commands.arguments import build_parser

    for _name, parser in _commands(build_parser()):
        for line in (parser.epilog or "").splitlines()[1:]:
            words = shlex.split(line.split(">")[0])[1:]
            build_parser().parse_args(words)  # SystemExit (a failed test) on a usage error


def test_help_shows_the_examples_and_one_line_per_argument(run_cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("export", "--help").code == 0
    shown = capsys.readouterr().out  # argparse prints help to the process's stdout
    assert "examples:\n  relmap export my-mapping.yaml --out relations.jsonl\n" in shown
    assert "--pseudonymise-key KEY" in shown and "the key of the fakes" in shown


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts_name_every_command(run_cli, shell: str) -> None:
    script = run_cli("completion", shell)
    assert script.code == 0
    for command in ("validate", "render", "export", "init", "schema", "completion", "sandbox"):
        assert command in script.out
    assert "--pseudonymise-key" in script.out and "--schema-dir" in script.out


def test_the_bash_completion_completes_commands_and_options(run_cli, tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    (tmp_path / "relmap.bash").write_text(run_cli("completion", "bash").out, encoding="utf-8")
    probe = (
        "source relmap.bash\n"
        'complete_for() { COMP_WORDS=($@); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE};'
        ' _shtab_relmap; echo "${COMPREPLY[*]}"; }\n'
        "complete_for relmap ex\n"
        "complete_for relmap export --pseu\n"
        "complete_for relmap init --template b\n"
    )
    done = subprocess.run([bash, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "export" in lines[0].split() and "explain" in lines[0].split()
    assert set(lines[1].split()) == {"--pseudonymise", "--pseudonymise-key"}
    assert lines[2].split() == ["business"]


def test_output_cut_short_by_its_reader_exits_as_sigpipe_would_and_says_nothing(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    record = {"debtor_number": "1", "name": "Jansen", "contact": "Piet Jansen", "active": "1", "city": "Baarn"}
    lines = (json.dumps({**record, "debtor_number": str(10000 + n)}) for n in range(3000))
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = ROOT / "mappings" / "private-relations.yaml"
    command = f"{sys.executable} -m relmap render {mapping} --input in.jsonl --format jsonl | head -c 10 >/dev/null"
    done = subprocess.run(
        ["/bin/bash", "-c", f"set -o pipefail; {command}"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 141 and done.stderr == "", done


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize(
    "command",
    [
        ["validate", "mappings/"],
        ["render", "mappings/business-routing.yaml", "--input", "mappings/samples/relations.json", "--format", "json"],
    ],
)
def test_output_to_a_full_device_is_a_message_not_a_bug(command: list[str]) -> None:
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "relmap", *command], cwd=ROOT, stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert done.returncode == 2
    assert done.stderr == "relmap: error: cannot write the output: No space left on device\n"
