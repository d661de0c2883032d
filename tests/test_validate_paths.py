"""`relmap validate PATH...`: mappings, test files checked as test files, folders, and PATHs that are not there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import MAPPINGS, MINIMAL_MAPPING

CLEAN = MINIMAL_MAPPING  # the smallest mapping that compiles: one route, a contact's name
CASES = (
    "cases:\n  - name: one\n    input: {debtor_number: '1', name: Jansen}\n    expect: {endpoint: addprivaterelation}\n"
)


def test_the_shipped_folder_validates_clean_test_files_included(run_cli) -> None:
    result = run_cli("validate", "mappings")
    shipped = sorted(p.name for p in MAPPINGS.glob("*.yaml"))
    assert result.code == 0
    assert result.out == "".join(f"mappings/{name}: ok\n" for name in shipped)
    assert any(name.endswith(".tests.yaml") for name in shipped)


def test_a_test_file_named_among_mappings_is_checked_as_a_test_file(run_cli) -> None:
    names = sorted(str(p.relative_to(MAPPINGS.parent)) for p in MAPPINGS.glob("*.yaml"))
    result = run_cli("validate", *names)
    assert (result.code, result.out.count(": ok\n")) == (0, len(names))
    assert "the top level needs" not in result.out


def test_a_test_file_gets_the_test_schema_s_errors(run_cli, tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "m.tests.yaml").write_text(CASES.replace("expect: {endpoint", "expect: {endpont"), encoding="utf-8")
    (tmp_path / "lost.tests.yaml").write_text(CASES, encoding="utf-8")
    result = run_cli("validate", ".", cwd=tmp_path)
    assert result.code == 1
    assert result.out.splitlines() == [
        "lost.tests.yaml: error: no mapping to test: lost.yaml does not exist (name the test file after its mapping "
        "(NAME.tests.yaml beside NAME.yaml), or set mapping: at the top) [file-not-found]",
        "lost.tests.yaml: 1 error",
        "m.tests.yaml:4:14: error: unknown key 'endpont' in cases[0].expect (did you mean 'endpoint'?) [unknown-key]",
        "m.tests.yaml: 1 error",
        "m.yaml: ok",
    ]


def test_a_folder_is_walked_sorted_without_hidden_folders_or_other_files(run_cli, tmp_path: Path) -> None:
    for folder in ("b", "a/deep", ".relmap"):
        (tmp_path / "maps" / folder).mkdir(parents=True)
        (tmp_path / "maps" / folder / "input.json").write_text("[]", encoding="utf-8")
        (tmp_path / "maps" / folder / "m.yml").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "maps" / "b" / "notes.txt").write_text("not yaml", encoding="utf-8")
    result = run_cli("validate", "maps", "maps/b/m.yml", cwd=tmp_path)  # named twice: checked once
    assert (result.code, result.out) == (0, "maps/a/deep/m.yml: ok\nmaps/b/m.yml: ok\n")


def test_a_path_that_is_not_there_is_exit_2_and_the_others_are_still_checked(run_cli, tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("[]", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(CLEAN + "      Address_City: citty\n", encoding="utf-8")
    result = run_cli("validate", "nope.yaml", "m.yaml", cwd=tmp_path)
    assert result.code == 2
    assert result.out.splitlines() == [
        "nope.yaml: error: no such file or folder [file-not-found]",
        "nope.yaml: 1 error",
        "m.yaml:10:21: error: unknown OutSmart field 'citty' (did you mean 'city'?) [unknown-field]",
        "m.yaml: 1 error",
    ]
    as_json = run_cli("validate", "nope.yaml", "m.yaml", "--format", "json", cwd=tmp_path)
    files = json.loads(as_json.out)["files"]
    assert as_json.code == 2 and [(f["file"], f["valid"]) for f in files] == [("nope.yaml", False), ("m.yaml", False)]


def test_a_folder_with_nothing_to_check_is_exit_2(run_cli, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_cli("validate", "empty", cwd=tmp_path)
    assert (result.code, result.out) == (
        2,
        "empty: error: no mappings or test files (*.yaml) in this folder [no-mappings]\nempty: 1 error\n",
    )


def test_an_unreadable_file_is_exit_2(run_cli, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").symlink_to(tmp_path / "gone.yaml")  # a link to nothing: named, but cannot be read
    result = run_cli("validate", "m.yaml", cwd=tmp_path)
    assert result.code == 2 and "m.yaml: error: file not found [file-not-found]" in result.out


def test_coverage_is_measured_for_the_mappings_of_a_folder_only(run_cli, tmp_path: Path) -> None:
    shutil.copytree(MAPPINGS, tmp_path / "mappings")
    result = run_cli("validate", "--verbose", "mappings", cwd=tmp_path)
    assert result.code == 0
    assert result.out.count("  coverage:") == len(list(MAPPINGS.glob("*.tests.yaml")))
    for test_file in MAPPINGS.glob("*.tests.yaml"):
        line = f"mappings/{test_file.name}: ok\n"
        assert line in result.out and "coverage" not in result.out.split(line, 1)[1].split("\n", 1)[0]


def test_the_shipped_folder_and_a_missing_path_golden(run_cli, golden) -> None:
    result = run_cli("validate", "mappings", "mappings/nope.yaml")
    assert result.code == 2
    golden("validate-paths.txt", result.out)


def test_a_fifo_a_device_or_a_huge_file_is_refused_without_reading_it(run_cli, tmp_path: Path) -> None:
    import os

    shutil.copy(MAPPINGS / "private-relations.yaml", tmp_path / "good.yaml")
    os.mkfifo(tmp_path / "fifo.yaml")  # opening it would block for ever
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")  # reading it would never end
    (tmp_path / "huge.yaml").write_bytes(b"# " + b"x" * 5_000_000 + b"\n")
    result = run_cli("validate", str(tmp_path), cwd=tmp_path)
    assert result.code == 2, result.out
    assert "fifo.yaml: error: not a regular file (a FIFO, a device or a folder)" in result.out
    assert "zero.yaml: error: not a regular file" in result.out
    assert "huge.yaml: error: the file is over 5,000,000 bytes: too large for a mapping [yaml-too-large]" in result.out
    assert "good.yaml: ok" in result.out
    assert run_cli("test", str(tmp_path / "fifo.yaml"), cwd=tmp_path).code == 2
