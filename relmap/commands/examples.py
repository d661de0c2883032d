"""What ``relmap COMMAND --help`` shows beyond the arguments: two examples per command, kept as data.

``finish`` walks the built parser once: it gives every command its examples (an epilog printed as written) and fills
in the help of an argument that has none from ``DEFAULT_HELP``; the test in tests/test_cli.py walks the same tree.
"""

from __future__ import annotations

import argparse

EXAMPLES: dict[str, tuple[str, ...]] = {
    "relmap": (
        "relmap init my-mapping.yaml --template business",
        "relmap run my-mapping.yaml --sandbox --dry-run",
    ),
    "validate": (
        "relmap validate mappings/*.yaml",
        "relmap validate my-mapping.yaml --verbose --input export.jsonl",
    ),
    "render": (
        "relmap render my-mapping.yaml --input export.jsonl",
        "relmap render my-mapping.yaml --input export.csv --limit 5 --format json",
    ),
    "run": (
        "relmap run my-mapping.yaml --dry-run --format markdown",
        "relmap run -q --env-file /etc/relmap/env --log-file sync.log my-mapping.yaml",
    ),
    "test": (
        "relmap test mappings/",
        "relmap test my-mapping.tests.yaml --format json",
    ),
    "explain": (
        "relmap explain my-mapping.yaml 10001 --input export.jsonl",
        "relmap explain my-mapping.yaml 10001 --sandbox --format json",
    ),
    "check": (
        "relmap check my-mapping.yaml",
        "relmap check my-mapping.yaml --env-file /etc/relmap/env",
    ),
    "status": (
        "relmap status my-mapping.yaml",
        "relmap status my-mapping.yaml --sandbox --format json",
    ),
    "sandbox": (
        "relmap sandbox serve",
        "relmap sandbox serve --data /tmp/emulators --error-rate 0.1",
    ),
    "serve": (
        "relmap sandbox serve --outsmart-port 8001 --silvasoft-port 8002",
        "relmap sandbox serve --data /tmp/emulators --reset --latency 0.5",
    ),
    "fields": (
        "relmap fields outsmart",
        "relmap fields silvasoft --endpoint addbusinessrelation --format json",
    ),
    "init": (
        "relmap init my-mapping.yaml",
        "relmap init mappings/companies.yaml --template business --schema-dir schemas",
    ),
    "schema": (
        "relmap schema --write schemas/",
        "relmap schema plan > plan.schema.json",
    ),
    "export": (
        "relmap export my-mapping.yaml --out relations.jsonl",
        "relmap export my-mapping.yaml --sandbox --pseudonymise --out samples/relations.jsonl",
    ),
    "completion": (
        "relmap completion bash > ~/.local/share/bash-completion/completions/relmap",
        "relmap completion zsh > ~/.zfunc/_relmap",
    ),
}

# Help for arguments declared without any, by (command, destination).
DEFAULT_HELP: dict[tuple[str, str], str] = {
    ("validate", "mappings"): "the mapping files to check",
    ("validate", "format"): "output (default: text)",
    ("fields", "api"): "whose fields to list: OutSmart relation fields or Silvasoft parameters",
    ("fields", "endpoint"): "with silvasoft: only this endpoint's parameters",
    ("fields", "format"): "output (default: text)",
}


def finish(parser: argparse.ArgumentParser, name: str = "relmap") -> None:
    """Examples and missing help for ``parser`` and every command below it."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    examples = EXAMPLES.get(name, ())
    if examples:
        parser.epilog = "examples:\n" + "".join(f"  {line}\n" for line in examples)
    for action in parser._actions:
        if action.help is None and (name, action.dest) in DEFAULT_HELP:
            action.help = DEFAULT_HELP[(name, action.dest)]
        if isinstance(action, argparse._SubParsersAction):
            said = {choice.dest: choice.help for choice in action._choices_actions}
            for command, sub in action.choices.items():
                if sub.description is None and said.get(command):
                    sub.description = f"relmap {command}: {said[command]}."
                finish(sub, command)
