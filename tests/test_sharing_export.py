"""``relmap export``: real HTTP round trips against the OutSmart emulator, read back by render and relmap test."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import MAPPINGS, SAMPLES, CliResult

from relmap.sandbox import Sandbox
from relmap.sources.export import write_relations
from relmap.sources.files import read_records
from relmap.sources.records import RecordProblem, SourceRecord

Run = Callable[..., CliResult]


def _render(run_cli: Run, mapping: Path, export: Path) -> dict[str, dict[str, object]]:
    result = run_cli("render", str(mapping), "--input", str(export), "--format", "jsonl")
    assert result.code in (0, 1), result.err
    return {line["debtor_number"]: line for line in map(json.loads, result.out.splitlines())}


def _copy(name: str, folder: Path) -> Path:
    target = folder / name
    target.write_text((MAPPINGS / name).read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_export_reads_outsmart_with_the_filters_and_renders_as_the_original(
    run_cli: Run, sandbox: Sandbox, tmp_path: Path
) -> None:
    mapping = _copy("freefields-custom-fields.yaml", tmp_path)
    out = tmp_path / "relations.jsonl"
    result = run_cli("export", str(mapping), "--out", str(out))
    assert result.code == 0, result.err
    # the filters went to OutSmart (active eq 1, debtor_type eq customer), and the freefields were checked
    assert sandbox.outsmart.count("relations", "GET", ok_only=True) == 1
    assert sandbox.outsmart.count("freefields", "GET", ok_only=True) == 1
    exported = _render(run_cli, mapping, out)
    original = _render(run_cli, mapping, SAMPLES / "relations.json")
    kept = {number: line for number, line in original.items() if "source filter" not in str(line.get("reason"))}
    assert set(exported) == set(kept) and len(exported) == 33
    for number, line in exported.items():
        assert (line["status"], line.get("payload"), line.get("errors")) == (
            kept[number]["status"],
            kept[number].get("payload"),
            kept[number].get("errors"),
        )
    assert result.out == f"exported 33 relations from OutSmart to {out}\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: readable by its owner only
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_no_secret_is_ever_written(run_cli: Run, sandbox: Sandbox, tmp_path: Path) -> None:
    mapping = _copy("business-routing.yaml", tmp_path)
    out = tmp_path / "relations.jsonl"
    result = run_cli("export", str(mapping), "--out", str(out), "--pseudonymise")
    assert result.code == 0, result.err
    text = out.read_text(encoding="utf-8") + result.out + result.err
    for secret in sandbox.credentials.values():
        assert secret not in text


def test_pseudonymised_export_routes_and_fails_as_the_real_data(run_cli: Run, sandbox: Sandbox, tmp_path: Path) -> None:
    mapping = _copy("business-routing.yaml", tmp_path)
    plain, fake = tmp_path / "plain.jsonl", tmp_path / "fake.jsonl"
    assert run_cli("export", str(mapping), "--out", str(plain)).code == 0
    result = run_cli("export", str(mapping), "--out", str(fake), "--pseudonymise")
    assert result.code == 0 and "pseudonymised with the default key (fakes can be reversed)" in result.out
    real, made = _render(run_cli, mapping, plain), _render(run_cli, mapping, fake)
    assert set(real) == set(made)
    for number in real:
        assert (made[number]["status"], made[number].get("route")) == (
            real[number]["status"],
            real[number].get("route"),
        )
        assert [e["parameter"] for e in made[number].get("errors") or []] == [
            e["parameter"] for e in real[number].get("errors") or []
        ]
    real_mail = {number: line["payload"]["Relation_Contact"][0].get("Email") for number, line in real.items()
                 if line["status"] == "ok" and line["payload"].get("Relation_Contact")}  # fmt: skip
    made_mail = {number: made[number]["payload"]["Relation_Contact"][0].get("Email") for number in real_mail}
    assert set(real_mail.values()).isdisjoint(made_mail.values())
    # relations that share an address in OutSmart share the fake one: identity matching behaves the same
    pairs = [(a, b) for a in real_mail for b in real_mail if a < b and real_mail[a] and real_mail[a] == real_mail[b]]
    assert pairs and all(made_mail[a] == made_mail[b] for a, b in pairs)
    again = tmp_path / "again.jsonl"
    assert run_cli("export", str(mapping), "--out", str(again), "--pseudonymise").code == 0
    assert again.read_bytes() == fake.read_bytes()


def test_the_key_comes_from_the_option_or_the_environment(
    run_cli: Run, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = _copy("private-relations.yaml", tmp_path)
    texts = {}
    for name, extra in (("default", ()), ("option", ("--pseudonymise-key", "s3cret")), ("env", ())):
        if name == "env":
            monkeypatch.setenv("RELMAP_PSEUDONYMISE_KEY", "s3cret")
        out = tmp_path / f"{name}.jsonl"
        result = run_cli("export", str(mapping), "--out", str(out), "--pseudonymise", *extra)
        assert result.code == 0, result.err
        texts[name] = out.read_text(encoding="utf-8")
        assert ("your key" in result.out) == (name != "default")
    assert texts["option"] == texts["env"] != texts["default"]
    assert "s3cret" not in texts["option"]


def test_relmap_test_reads_the_export(run_cli: Run, sandbox: Sandbox, tmp_path: Path) -> None:
    mapping = _copy("business-routing.yaml", tmp_path)
    assert run_cli("export", str(mapping), "--out", str(tmp_path / "export.jsonl"), "--pseudonymise").code == 0
    (tmp_path / "business-routing.tests.yaml").write_text(
        "cases:\n"
        "  - name: a company stays a company under its fake name\n"
        "    sample: export.jsonl#10002\n"
        "    expect: {route: companies, endpoint: addbusinessrelation}\n"
        "  - name: a debtor number with letters is still a record error\n"
        "    sample: export.jsonl#14233Aaa\n"
        "    expect: {error: {parameter: CustomerNumber, message: not a whole number}}\n",
        encoding="utf-8",
    )
    result = run_cli("test", str(tmp_path / "business-routing.tests.yaml"))
    assert result.code == 0, result.out + result.err


def test_export_with_sandbox_reads_the_built_in_emulator(run_cli: Run, tmp_path: Path) -> None:
    mapping = _copy("private-relations.yaml", tmp_path)
    result = run_cli("export", str(mapping), "--sandbox", "--out", "-", cwd=tmp_path)
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    seeded = json.loads((SAMPLES / "relations.json").read_text(encoding="utf-8"))["response"]
    active = [relation["debtor_number"] for relation in seeded if relation.get("active") == "1"]
    assert [line["debtor_number"] for line in lines] == active  # the mapping's filter: active eq 1
    assert f"exported {len(active)} relations from OutSmart (the sandbox) to standard output" in result.err


def test_a_mapping_over_a_file_applies_its_filters_and_names_a_broken_record(run_cli: Run, tmp_path: Path) -> None:
    raw = json.loads((SAMPLES / "relations.json").read_text(encoding="utf-8"))["response"]
    lines = [json.dumps(relation) for relation in raw]
    active = sum(relation.get("active") == "1" for relation in raw)
    (tmp_path / "in.jsonl").write_text("\n".join([*lines[:5], "{not json", *lines[5:]]) + "\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    text = (MAPPINGS / "private-relations.yaml").read_text(encoding="utf-8")
    start, end = text.index("  outsmart:"), text.index("target:")
    source = '  file:\n    path: in.jsonl\n    filters: [{key: active, operator: eq, value: "1"}]\n\n'
    mapping.write_text(text[:start] + source + text[end:], encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run_cli("export", str(mapping), "--out", str(out))
    assert result.code == 1
    assert f"relmap export: warning: {tmp_path / 'in.jsonl'}:6: invalid JSON" in result.err
    assert f"exported {active} relations from" in result.out
    assert f"{len(raw) - active} left out by the source filters" in result.out
    assert "1 could not be read" in result.out
    exported = [r for r in read_records(out) if isinstance(r, SourceRecord)]
    assert len(exported) == active and {r.fields["active"] for r in exported} == {"1"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--out", "missing/x.jsonl"), "the folder missing does not exist"),
        (("--out", "x.jsonl", "--pseudonymise-key", "k"), "--pseudonymise-key goes with --pseudonymise"),
        (("--out", "."), "is a folder"),
    ],
)
def test_usage_mistakes_stop_before_anything_is_read(
    run_cli: Run, tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    mapping = _copy("private-relations.yaml", tmp_path)
    result = run_cli("export", str(mapping), *extra, cwd=tmp_path)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_missing_credentials_are_named_and_leave_no_file(run_cli: Run, tmp_path: Path) -> None:
    mapping = _copy("private-relations.yaml", tmp_path)
    result = run_cli("export", str(mapping), "--out", str(tmp_path / "x.jsonl"))
    assert result.code == 2 and "OUTSMART_TOKEN" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["private-relations.yaml"]


def test_relations_are_written_as_they_are_read(tmp_path: Path) -> None:
    """The export never holds the relations: each line is in the file before the next relation is read."""
    sink = io.StringIO()
    source = [r for r in read_records(SAMPLES / "relations.jsonl")][:6]

    def one_by_one() -> Iterator[SourceRecord | RecordProblem]:
        for index, record in enumerate(source):
            assert sink.getvalue().count("\n") == index
            yield record

    done = write_relations(one_by_one(), sink)
    assert done.written == 6
    saved = tmp_path / "saved.jsonl"
    saved.write_text(sink.getvalue(), encoding="utf-8")
    back = [r for r in read_records(saved) if isinstance(r, SourceRecord)]
    assert [(r.fields, r.freefields) for r in back] == [(r.fields, r.freefields) for r in source]  # type: ignore[union-attr]


def test_an_out_that_is_no_regular_file_or_the_mapping_is_refused_and_left_as_it_was(
    run_cli: Run, tmp_path: Path
) -> None:
    mapping = _copy("private-relations.yaml", tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target, said in ((fifo, "is not a regular file"), (tmp_path, "is a folder")):
        result = run_cli("export", str(mapping), "--sandbox", "--out", str(target), cwd=tmp_path)
        assert result.code == 2 and said in result.err, result.err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    before = mapping.read_bytes()
    result = run_cli("export", str(mapping), "--sandbox", "--out", str(mapping), cwd=tmp_path)
    assert result.code == 2 and "is the mapping itself" in result.err
    assert mapping.read_bytes() == before
    assert not list(tmp_path.glob(".*.part"))


def test_an_export_stopped_by_sigterm_leaves_no_part_file(tmp_path: Path) -> None:
    import signal

    from relmap.commands.export import _sink

    mapping = _copy("private-relations.yaml", tmp_path)
    out = tmp_path / "out.jsonl"
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), _sink(str(out), io.StringIO(), private=True, mapping=str(mapping)) as sink:
        sink.write('{"debtor_number": "1"}\n')
        assert not list(tmp_path.glob(".out.jsonl*"))  # unnamed while it is written (O_TMPFILE)
        os.kill(os.getpid(), signal.SIGTERM)  # as systemd or a cron timeout stops it
    assert not list(tmp_path.glob(".*.part")) and not out.exists()
    assert signal.getsignal(signal.SIGTERM) == before  # put back as it was
