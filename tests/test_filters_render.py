"""The new filters through `relmap render`: an address that is not valid is never sent, and a broken pattern is a
record error at its rule's line, never a traceback."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import CliResult

MAPPING = """\
relmap: 1
source:
  file: {path: export.json}
skip:
  - when: debtor_type | lower == "lead"
    reason: leads are not invoiced
routes:
  - name: people
    endpoint: addprivaterelation
    fields:
      CustomerNumber: {from: debtor_number, when: debtor_number is numeric_id}
      Relation_Contact:
        - FirstName: {template: "{{ contact | first_name }}", fallback: "-"}
          LastName: {template: "{{ contact | last_name }}", required: true}
          Email: "{{ email | email }}"
          Phone: {template: "{{ phone_number | phone(region=country) }}", when: phone_number is valid_phone(country)}
"""

RELATIONS = [
    {"debtor_number": "010045", "contact": "J.P. (Jan-Pieter) de Vries", "email": "JP@DeVries.NL",
     "phone_number": "03 212 34 56", "country": "BE", "debtor_type": "customer"},
    {"debtor_number": "14233Aaa", "contact": "Secretaris: Mevr. K. Visser", "email": "piet@@fout",
     "phone_number": "0612", "country": "NL", "debtor_type": "customer"},
    {"debtor_number": "10050", "contact": "Anna Smit-de Boer", "email": "", "phone_number": "abc",
     "country": "NL", "debtor_type": "Lead"},
]  # fmt: skip


def _render(run_cli: Callable[..., CliResult], tmp_path: Path, mapping: str) -> tuple[CliResult, list[dict[str, Any]]]:
    (tmp_path / "mapping.yaml").write_text(mapping, encoding="utf-8")
    (tmp_path / "export.json").write_text(json.dumps(RELATIONS), encoding="utf-8")
    result = run_cli("render", "mapping.yaml", "--format", "jsonl", cwd=tmp_path)
    return result, [json.loads(line) for line in result.out.splitlines()]


def test_render_with_the_dutch_filters(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result, lines = _render(run_cli, tmp_path, MAPPING)
    assert result.code == 1, result.err
    good, bad, lead = lines
    assert good["payload"] == {
        "CustomerNumber": 10045,
        "Relation_Contact": [
            {"FirstName": "Jan-Pieter", "LastName": "de Vries", "Email": "JP@devries.nl", "Phone": "+3232123456"}
        ],
    }
    assert (lead["status"], lead["reason"]) == ("skipped", "leads are not invoiced")  # "Lead", as OutSmart has it
    assert [(e["parameter"], e["message"]) for e in bad["errors"]] == [
        (
            "Relation_Contact[0].Email",
            "not a valid e-mail address: 'piet@@fout': the part after the @-sign contains invalid characters: '@' "
            "(test it with `is valid_email`, or give invalid='empty' to leave it out)",
        )
    ]
    assert bad["errors"][0]["rule"] == "mapping.yaml:15"
    assert "Traceback" not in result.err


def test_a_constant_pattern_that_cannot_compile_is_a_located_validate_error(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    mapping = MAPPING.replace("when: debtor_number is numeric_id", "when: \"debtor_number is matching('([0-9]+')\"")
    (tmp_path / "mapping.yaml").write_text(mapping, encoding="utf-8")
    result = run_cli("validate", "mapping.yaml", cwd=tmp_path)
    assert result.code == 1
    assert re.search(
        r"(?m)^mapping\.yaml:11:\d+: error: test 'matching': regular expression '\(\[0-9\]\+' cannot be used: "
        r"missing \): \(\[0-9\]\+ .*\[test-argument\]$",
        result.out,
    ), result.out
    rendered, _ = _render(run_cli, tmp_path, mapping)
    assert rendered.code == 2 and "Traceback" not in rendered.err  # nothing rendered from a mapping with errors
