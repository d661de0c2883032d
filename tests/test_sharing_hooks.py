"""The pre-commit hooks in .pre-commit-hooks.yaml, run by ``pre-commit try-repo`` on this checkout.

pre-commit installs relmap from the checkout into a new virtual environment with pip (the package index pip is
configured with; nothing else), so this test costs about 15-20 s; it needs git.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import MAPPINGS, ROOT

GIT = shutil.which("git")


def test_the_hooks_are_declared_for_pre_commit() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))}
    assert set(hooks) == {"relmap-validate", "relmap-test"}
    assert all(hook["language"] == "python" and hook["entry"].startswith("relmap ") for hook in hooks.values())


@pytest.mark.skipif(GIT is None or not (ROOT / ".git").exists(), reason="needs git and a git checkout of relmap")
def test_try_repo_validates_mappings_and_runs_their_tests(tmp_path: Path) -> None:
    assert GIT is not None
    project = tmp_path / "project"
    (project / "mappings").mkdir(parents=True)
    for name in ("business-routing.yaml", "business-routing.tests.yaml"):
        shutil.copy(MAPPINGS / name, project / "mappings" / name)
    shutil.copytree(MAPPINGS / "samples", project / "mappings" / "samples")
    (project / "mappings" / "broken.yaml").write_text("relmap: 1\nsource: {file: {path: x.json}}\nroutes: []\n")
    (project / "notes.yaml").write_text("not: a mapping\n")  # outside mappings/: no hook looks at it
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "GIT_AUTHOR_NAME": "relmap tests",
        "GIT_AUTHOR_EMAIL": "tests@relmap.invalid",
        "GIT_COMMITTER_NAME": "relmap tests",
        "GIT_COMMITTER_EMAIL": "tests@relmap.invalid",
    }
    subprocess.run([GIT, "init", "-q"], cwd=project, check=True, env=env)
    subprocess.run([GIT, "add", "-A"], cwd=project, check=True, env=env)
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--all-files"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert _result(output, "relmap test") == "Passed", output
    assert _result(output, "relmap validate") == "Failed", output
    assert "mappings/broken.yaml:3:9: error: routes: [] should be non-empty [schema]" in output
    assert "mappings/business-routing.yaml: ok" in output and "notes.yaml" not in output


def _result(output: str, name: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith(name + "."))
    return line.rstrip(".").rsplit(".", 1)[-1]
