"""No value of a secret variable reaches any output, whatever file a command is given to read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import MAPPINGS

SECRETS = {
    "SILVASOFT_API_KEY": "FAKE-API-KEY-123456",
    "OUTSMART_TOKEN": "FAKE-OS-TOKEN-456789",
    "CI_DEPLOY_KEY": "FAKE-DEPLOY-000111",
}


def relmap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), **SECRETS}
    return subprocess.run(
        [sys.executable, "-m", "relmap", *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
    )


def test_an_input_that_is_the_process_environment_shows_no_secret(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text((MAPPINGS / "business-routing.yaml").read_text(encoding="utf-8"))
    (tmp_path / "m.tests.yaml").write_text(
        "cases:\n  - name: looks harmless\n    sample: /proc/self/environ#10001\n    expect: {route: consumers}\n"
    )
    runs = [
        relmap("render", "m.yaml", "--input", "/proc/self/environ", "--input-format", "csv", cwd=tmp_path),
        relmap("test", "m.tests.yaml", cwd=tmp_path),
        relmap("explain", "m.yaml", "10001", "--input", "/proc/self/environ", cwd=tmp_path),
    ]
    for done in runs:
        assert done.returncode != 0, done
        text = done.stdout + done.stderr
        assert "Traceback" not in text
        for value in SECRETS.values():
            assert value not in text, text


def test_a_secret_value_in_the_data_itself_is_masked_in_what_is_printed(tmp_path: Path) -> None:
    import json

    (tmp_path / "m.yaml").write_text((MAPPINGS / "business-routing.yaml").read_text(encoding="utf-8"))
    record = {
        "debtor_number": "10001", "name": "x", "contact": "Jan " + SECRETS["OUTSMART_TOKEN"], "active": "1",
        "debtor_type": "customer", "city": "Baarn",
    }  # fmt: skip
    (tmp_path / "in.json").write_text(json.dumps([record]))
    done = relmap("render", "m.yaml", "--input", "in.json", "--format", "jsonl", cwd=tmp_path)
    assert SECRETS["OUTSMART_TOKEN"] not in done.stdout + done.stderr
    assert "***" in done.stdout, done.stdout
