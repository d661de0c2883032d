"""The arguments of every ``relmap`` command: the one argparse parser, its types and its help."""

from __future__ import annotations

import argparse

from relmap import __version__

SCHEMA_NAMES = ("mapping", "mapping-tests", "plan")  # relmap/schemas/NAME.schema.json
STARTERS = ("private", "business", "freefields")  # relmap/starters/NAME.yaml


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relmap", description="Keep Silvasoft relations in step with OutSmart, driven by a YAML mapping file."
    )
    parser.add_argument("--version", action="version", version=f"relmap {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, help="what to do (relmap COMMAND --help says more)"
    )

    validate = commands.add_parser("validate", help="report every problem in mapping files and test files")
    validate.add_argument(
        "mappings", nargs="+", metavar="PATH", help="mappings, test files (*.tests.yaml), or folders holding them"
    )
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument("--no-warnings", action="store_true", help="show errors only")
    validate.add_argument(
        "--verbose", "-v", action="store_true", help="also show coverage: fields never read, parameters never set"
    )
    validate.add_argument("--input", metavar="FILE", help="with --verbose: also measure coverage on an OutSmart export")
    validate.add_argument("--input-format", choices=("json", "jsonl", "csv"), help="default: from the file name")

    render = commands.add_parser("render", help="show the Silvasoft payload each relation would become (offline)")
    render.add_argument("mapping", metavar="MAPPING", help="the mapping file to render with")
    render.add_argument("--input", metavar="FILE", help="an OutSmart export (JSON, JSONL or CSV; - for stdin)")
    render.add_argument("--input-format", choices=("json", "jsonl", "csv"), help="default: from the file name")
    render.add_argument("--limit", type=_positive, metavar="N", help="render only the first N relations")
    render.add_argument("--format", choices=("text", "json", "jsonl"), default="text", help="output (default: text)")

    run = commands.add_parser("run", help="sync OutSmart relations into Silvasoft")
    run.add_argument("mapping", metavar="MAPPING", help="the mapping file to sync with")
    run.add_argument("--full", action="store_true", help="re-check every relation, not only those changed since")
    run.add_argument("--state", metavar="FILE", help="the sync state database (default: .relmap/<mapping>.db)")
    run.add_argument("--report", metavar="FILE", help="write one JSON line per relation to FILE")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress output, only the summary")
    run.add_argument("--sandbox", action="store_true", help="run against the built-in OutSmart and Silvasoft emulators")
    run.add_argument("--sandbox-reset", action="store_true", help="with --sandbox: start over from the sample data")
    run.add_argument("--dry-run", action="store_true", help="read both sides and show what would change; write nothing")
    run.add_argument(
        "--format",
        choices=("terminal", "json", "markdown", "html"),
        default="terminal",
        help="with --dry-run: the diff report's format (default: terminal)",
    )
    run.add_argument("--mask-pii", action="store_true", help="mask e-mail addresses, phone numbers and names")
    run.add_argument(
        "--detailed-exitcode", action="store_true", help="with --dry-run: exit 0 no changes, 2 changes, 1 errors"
    )
    run.add_argument("--out", metavar="FILE", help="with --dry-run: save the plan to FILE for `run --plan`")
    run.add_argument(
        "--show-unchanged",
        action="store_true",
        help="with --dry-run: list unchanged relations and parameters too (the plan folds them)",
    )
    run.add_argument("--plan", metavar="FILE", help="apply exactly the plan saved in FILE, nothing else")
    run.add_argument("--only", nargs="+", action="extend", metavar="DEBTOR_NUMBER", help="sync only these relations")
    run.add_argument("--limit", type=_positive, metavar="N", help="sync at most N relations this run")
    run.add_argument(
        "--retry-failed", action="store_true", help="resend relations Silvasoft refused before, though unchanged"
    )
    _env_file(run)
    run.add_argument("--log-file", metavar="FILE", help="append a line per event of the run to FILE")
    run.add_argument("--log-format", choices=("text", "json"), default="text", help="with --log-file (default: text)")

    test = commands.add_parser("test", help="run the mapping tests kept beside mappings (offline)")
    test.add_argument("paths", nargs="+", metavar="PATH", help="test files, mappings, or folders holding them")
    test.add_argument("--format", choices=("text", "json"), default="text", help="output (default: text)")

    explain = commands.add_parser("explain", help="show how the mapping turns one relation into its payload")
    explain.add_argument("mapping", metavar="MAPPING", help="the mapping file to explain")
    explain.add_argument("debtor_number", metavar="DEBTOR_NUMBER", help="the OutSmart debtor_number of the relation")
    explain.add_argument("--input", metavar="FILE", help="read the relation from an OutSmart export, not the API")
    explain.add_argument("--input-format", choices=("json", "jsonl", "csv"), help="default: from the file name")
    explain.add_argument("--sandbox", action="store_true", help="read the relation from the built-in OutSmart emulator")
    explain.add_argument("--format", choices=("text", "json"), default="text", help="output (default: text)")
    explain.add_argument("--state", metavar="FILE", help="the sync state to read the identity from (default: as run)")
    _env_file(explain)

    check = commands.add_parser("check", help="test both APIs' credentials, the budget and the state; sends no write")
    check.add_argument("mapping", metavar="MAPPING", help="the mapping whose settings to check")
    check.add_argument("--state", metavar="FILE", help="the sync state database (default: .relmap/<mapping>.db)")
    check.add_argument("--sandbox", action="store_true", help="check against the built-in emulators")
    _env_file(check)

    status = commands.add_parser("status", help="what the sync state says: links, pending work, the last runs")
    status.add_argument("mapping", metavar="MAPPING", help="the mapping whose sync state to show")
    status.add_argument("--state", metavar="FILE", help="the sync state database (default: .relmap/<mapping>.db)")
    status.add_argument("--sandbox", action="store_true", help="the state of the --sandbox runs")
    status.add_argument("--format", choices=("text", "json"), default="text", help="output (default: text)")
    _env_file(status)

    sandbox = commands.add_parser("sandbox", help="the local OutSmart and Silvasoft emulators")
    sandbox_commands = sandbox.add_subparsers(
        dest="sandbox_command", metavar="COMMAND", required=True, help="what to do with the emulators"
    )
    serve = sandbox_commands.add_parser("serve", help="serve both emulators until Ctrl-C")
    serve.add_argument("--data", metavar="DIR", help="keep the emulators' data in DIR (default: in memory)")
    serve.add_argument("--reset", action="store_true", help="start from the sample data even if DIR has data")
    serve.add_argument(
        "--outsmart-port", type=int, default=0, metavar="PORT", help="OutSmart's port (default: any free)"
    )
    serve.add_argument(
        "--silvasoft-port", type=int, default=0, metavar="PORT", help="Silvasoft's port (default: any free)"
    )
    serve.add_argument(
        "--requests-per-hour",
        type=_positive,
        default=1200,
        metavar="N",
        help="Silvasoft's hourly budget (default: 1200)",
    )
    serve.add_argument("--error-rate", type=_fraction, default=0.0, metavar="P", help="answer P of requests with 5xx")
    serve.add_argument("--drop-rate", type=_fraction, default=0.0, metavar="P", help="drop P of connections")
    serve.add_argument(
        "--latency", type=float, default=0.0, metavar="SECONDS", help="wait this long before each answer"
    )
    serve.add_argument(
        "--answer-form",
        choices=("array", "object"),
        default="array",
        help="answer creates and updates as ListRelations' array of one (as documented), or as one object",
    )
    serve.add_argument(
        "--empty-answers",
        action="store_true",
        help="answer with an empty body where nothing was created, updated or found, as the docs allow",
    )

    fields = commands.add_parser("fields", help="list the fields and parameters validation checks against")
    fields.add_argument("api", choices=("outsmart", "silvasoft"))
    fields.add_argument(
        "--endpoint",
        choices=("addprivaterelation", "addbusinessrelation", "updaterelation"),
        help="with silvasoft: one endpoint's parameters; updaterelation lists what an update can change",
    )
    fields.add_argument("--format", choices=("text", "json"), default="text")

    init = commands.add_parser("init", help="write a starter mapping, with the schemas its first line points at")
    init.add_argument("path", nargs="?", default="relmap.yaml", metavar="PATH", help="the new mapping (relmap.yaml)")
    init.add_argument(
        "--template", choices=STARTERS, default="private", help="the starter: private (default), business, freefields"
    )
    init.add_argument(
        "--schema-dir", metavar="DIR", help="where the schemas go (default: schemas/ beside PATH); kept if there"
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing mapping file")

    schema = commands.add_parser("schema", help="print a JSON Schema relmap publishes, or write them all to a folder")
    schema.add_argument(
        "name", nargs="?", choices=SCHEMA_NAMES, default="mapping", help="which schema to print (default: mapping)"
    )
    schema.add_argument("--write", metavar="DIR", help="write all three schemas into DIR instead (e.g. schemas/)")

    export = commands.add_parser("export", help="save the OutSmart relations a mapping reads as JSONL (for render)")
    export.add_argument("mapping", metavar="MAPPING", help="the mapping whose source and filters say what to read")
    export.add_argument("--out", required=True, metavar="FILE", help="the JSONL file to write (- for stdout)")
    export.add_argument(
        "--pseudonymise", action="store_true", help="replace names, addresses, e-mail, phones, IBANs with stable fakes"
    )
    export.add_argument(
        "--pseudonymise-key",
        metavar="KEY",
        help="the key of the fakes (default: $RELMAP_PSEUDONYMISE_KEY, else a fixed, public key)",
    )
    export.add_argument("--sandbox", action="store_true", help="read the built-in OutSmart emulator")
    _env_file(export)

    completion = commands.add_parser("completion", help="print the shell completion script for bash or zsh")
    completion.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete in")
    from relmap.commands.examples import finish

    finish(parser)
    return parser


def _env_file(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--env-file",
        metavar="FILE",
        help="read secrets from FILE (NAME=VALUE lines; default: .env beside the mapping); the environment wins",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text!r}")
    return value
