"""The folders show the pipeline: the arrows run one way, and README's tree names every folder of relmap/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "relmap"
EDGE = {"cli.py", "__main__.py"}  # with commands/, the only code that may import the commands


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _library() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "commands" and not (path.parent == PACKAGE and path.name in EDGE)
    ]


@pytest.mark.parametrize("path", _library(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_never_imports_the_command_line(path: Path) -> None:
    wrong = sorted(
        name
        for name in _imports(path)
        if name in ("relmap.cli", "relmap.commands") or name.startswith(("relmap.cli.", "relmap.commands."))
    )
    assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}: only cli.py and commands/ may"


def test_commands_never_import_cli() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((PACKAGE / "commands").rglob("*.py"))
        if any(name == "relmap.cli" or name.startswith("relmap.cli.") for name in _imports(path))
    ]
    assert offenders == []


def test_only_cross_cutting_modules_are_loose() -> None:
    loose = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert loose == [
        "__init__.py",
        "__main__.py",
        "cli.py",
        "envfile.py",
        "errors.py",
        "exits.py",
        "http.py",
        "secrets.py",
    ]


def test_readme_tree_names_every_folder() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tree = readme.split("## How relmap is built", 1)[1].split("```", 2)[1]
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__")
    folders += sorted(p.name for p in (PACKAGE / "mapping").iterdir() if p.is_dir() and p.name != "__pycache__")
    missing = [name for name in folders if f"{name}/" not in tree]
    assert missing == [], f"README's tree does not name {missing}"


def test_plan_means_the_dry_run_plan() -> None:
    assert not (PACKAGE / "plan.py").exists()
    compiled = (PACKAGE / "mapping" / "compiled.py").read_text(encoding="utf-8")
    assert "class CompiledMapping" in compiled and "class Plan:" not in compiled
