"""The plan document's JSON Schema, and the plan as text, coloured terminal output, Markdown and HTML."""

from __future__ import annotations

import base64
import copy
import hashlib
import html as htmllib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from rich.console import Console

from relmap.report import plan_values
from relmap.report.plan_compact import COMPACT, compact
from relmap.report.plan_html import SCRIPT, html
from relmap.report.plan_markdown import LISTED, markdown
from relmap.report.plan_text import show, text

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
PUBLISHED = ROOT / "schemas" / "plan.schema.json"
PACKAGED = ROOT / "relmap" / "schemas" / "plan.schema.json"
SAMPLES = ("plan-sample.json", "plan-sample-masked.json")
SCRIPT_NAME = "<script>alert(1)</script>"
IMG_NAME = "<img src=x onerror=\"document.title='pwned'\">"
MARKDOWN_NAME = "a|b *c* [d](e) `x`"


def load(name: str = "plan-sample.json") -> dict[str, Any]:
    return json.loads((CASES / name).read_text(encoding="utf-8"))


def validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(PUBLISHED.read_text(encoding="utf-8")))


def relation(doc: dict[str, Any], debtor: str | None) -> dict[str, Any]:
    return next(r for r in doc["relations"] if r["debtor_number"] == debtor)


# --- the schema -------------------------------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12_with_a_stable_id() -> None:
    schema = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "urn:relmap:schema:plan:2"
    assert schema["properties"]["format_version"]["const"] == 2


def test_packaged_schema_is_the_published_one() -> None:
    assert PACKAGED.read_bytes() == PUBLISHED.read_bytes(), "copy schemas/plan.schema.json to relmap/schemas/"


def _properties(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}.{name}", sub
        if isinstance(node.get("additionalProperties"), dict):
            yield f"{path}.*", node["additionalProperties"]
        for key, sub in node.items():
            if key != "if":  # a condition only selects; the branches describe
                yield from _properties(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for index, sub in enumerate(node):
            yield from _properties(sub, f"{path}[{index}]")


def test_every_property_has_a_description() -> None:
    found = list(_properties(json.loads(PUBLISHED.read_text(encoding="utf-8"))))
    assert len(found) > 60
    assert [path for path, sub in found if "description" not in sub] == []


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_validate(name: str) -> None:
    assert [e.message for e in validator().iter_errors(load(name))] == []


def _set(doc: dict[str, Any], path: str, item: Any) -> None:
    *parents, last = path.split(".")
    node: Any = doc
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = item


ADD_NAME = {"parameter": "Name", "before": None, "after": "x", "synced": None, "silvasoft": None, "change": "add"}
BROKEN = {
    "a newer format": ("format_version", 3),
    "the older format": ("format_version", 1),
    "another kind": ("kind", "relmap-render"),
    "an unknown key": ("surprise", True),
    "a short digest": ("mapping.digest", "abc"),
    "an account that is no fingerprint": ("target.account", "not-hex-at-all!!"),
    "a time without zone": ("created_at", "2026-11-22 10:15:00"),
    "a negative count": ("summary.create", -1),
    "a symbol for another action": ("relations.0.symbol", "~"),
    "an unknown action": ("relations.0.action", "delete"),
    "a create that updates": ("relations.0.fields.0.change", "update"),
    "a nested value": ("relations.1.fields.0.after", {"nested": "no"}),
    "a kept field without drift": ("relations.1.fields.2.drift", False),
    "a field without drift flag": ("relations.1.fields.1", {k: v for k, v in ADD_NAME.items() if k != "drift"}),
    "a skip with fields": ("relations.6.fields", [{**ADD_NAME, "drift": False}]),
    "an unknown match": ("relations.0.matched_by", "guess"),
    "an unknown relation key": ("relations.0.extra", 1),
    "a lookup rule without line": ("coverage.lookup_values_unseen.0.rule", "no line"),
}


@pytest.mark.parametrize(("path", "item"), BROKEN.values(), ids=BROKEN.keys())
def test_schema_rejects_a_broken_plan(path: str, item: Any) -> None:
    doc = load()
    _set(doc, path, item)
    assert list(validator().iter_errors(doc))


def test_the_rejection_cases_point_where_they_mean_to() -> None:
    """The cases above index into the sample; this fails when the sample moves under them."""
    doc = load()
    assert doc["relations"][0]["action"] == "create"
    assert doc["relations"][1]["fields"][1]["change"] == "update"
    assert doc["relations"][1]["fields"][2]["change"] == "keep"
    assert doc["relations"][6]["action"] == "skip"


# --- the samples ------------------------------------------------------------------------------------------------


def test_sample_covers_every_case_the_reports_handle() -> None:
    doc, masked = load(), load("plan-sample-masked.json")
    relations = doc["relations"]
    fields = [f for r in relations for f in r["fields"]]
    assert {r["action"] for r in relations} == set(plan_values.ACTIONS)
    assert {f["change"] for f in fields} == set(plan_values.FIELD_SYMBOLS)
    assert {(f["change"], f["drift"]) for f in fields} >= {("overwrite", True), ("keep", True)}
    assert {r["matched_by"] for r in relations} >= set(plan_values.MATCHED)
    assert {r["name"] for r in relations} >= {SCRIPT_NAME, IMG_NAME, MARKDOWN_NAME, "Café Zoë"}
    assert any(r["debtor_number"] is None for r in relations)
    assert doc["coverage"] and doc["warnings"] and not doc["masked"]
    assert masked["masked"] and {r["name"] for r in masked["relations"]} == {"•••"}


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_summary_counts_its_relations(name: str) -> None:
    doc = load(name)
    counts = Counter(r["action"] for r in doc["relations"])
    drift = sum(1 for r in doc["relations"] if any(f["drift"] for f in r["fields"]))
    assert doc["summary"] == {**{a: counts[a] for a in plan_values.ACTIONS}, "drift": drift}


# --- golden files -----------------------------------------------------------------------------------------------


def test_text_golden(golden: Callable[[str, str], None]) -> None:
    golden("plan-sample.txt", text(load()))


def test_markdown_golden(golden: Callable[[str, str], None]) -> None:
    golden("plan-sample.md", markdown(load()))


def test_show_unchanged_goldens(golden: Callable[[str, str], None]) -> None:
    golden("plan-sample-all.txt", text(load(), show_unchanged=True))
    golden("plan-sample-all.md", markdown(load(), show_unchanged=True))


def test_html_golden(golden: Callable[[str, str], None]) -> None:
    golden("plan-sample.html", html(load()))


def test_masked_goldens(golden: Callable[[str, str], None]) -> None:
    doc = load("plan-sample-masked.json")
    golden("plan-sample-masked.txt", text(doc))
    golden("plan-sample-masked.md", markdown(doc))


# --- text and terminal ------------------------------------------------------------------------------------------


def test_text_has_one_line_per_relation_and_the_summary() -> None:
    doc = load()
    lines = text(doc, show_unchanged=True).splitlines()
    heads = [line for line in lines if line[:1] in plan_values.SYMBOLS.values()]
    assert [line.split()[1] for line in heads] == [r["debtor_number"] or "?" for r in doc["relations"]]
    assert (
        "Plan: 1 to create, 1 to update, 2 to link, 2 unchanged, 1 skipped, 2 errors (2 with drift in Silvasoft)"
        in lines
    )
    assert "Cost: needs 3 Silvasoft requests; 1,158 left this hour (plan: 1,200 per hour)" in lines


def test_text_folds_unchanged_parameters() -> None:
    out = text(load(), show_unchanged=True)
    assert "      (7 unchanged parameters)" in out.splitlines()
    assert "Address_PostalCode" not in out  # one of Bakker's unchanged parameters
    assert '    ~ Address_Street: "Dorpsstraat 1" → "Dorpsstraat\\u00a01 "' in out  # the hidden space shows
    assert "= 10004  Jansen Installatie  unchanged" in out
    assert "(4 unchanged parameters)" not in out.split("= 10004")[1].split("\n= ")[0]  # unchanged: nothing to fold


def test_text_folds_unchanged_relations_into_one_counted_line() -> None:
    doc = load()
    lines = text(doc).splitlines()
    assert not [line for line in lines if line.startswith("= 10004")]  # in step, nothing to review: folded
    assert lines.count("= 1 other unchanged relation (--show-unchanged lists it)") == 1
    kept = [line for line in lines if line.startswith("= 10008")]  # unchanged, but it drifted: shown
    assert kept and "drift: 1 parameter changed in Silvasoft" in kept[0]
    assert [line for line in lines if line[:1] in "+~&-!"] == [
        line for line in text(doc, show_unchanged=True).splitlines() if line[:1] in "+~&-!"
    ]  # changes, skips and errors as before


def test_text_counts_many_unchanged_relations_on_one_line() -> None:
    doc = load()
    quiet = relation(doc, "10004")
    doc["relations"] = [r for r in doc["relations"] if r["action"] != "unchanged"]
    doc["relations"] += [{**quiet, "debtor_number": str(20000 + n)} for n in range(29)]
    doc["summary"]["unchanged"] = 29
    out = text(doc)
    assert "\n= 29 unchanged relations (--show-unchanged lists them)\n\nPlan: " in out
    assert "20000" not in out
    listed = text(doc, show_unchanged=True)
    assert "= 29 unchanged" not in listed
    assert sum(line.startswith("= 200") for line in listed.splitlines()) == 29


def test_a_warning_or_a_note_keeps_an_unchanged_relation_shown() -> None:
    doc = load()
    quiet = relation(doc, "10004")
    warning = {"parameter": "Relation_Contact[0].Phone", "message": "not a valid phone number", "rule": "m.yaml:4"}
    doc["relations"] += [
        {**quiet, "debtor_number": "20001", "warnings": [warning]},
        {**quiet, "debtor_number": "20002", "reason": "the last update was not confirmed; Silvasoft holds these"},
    ]
    doc["summary"]["unchanged"] += 2
    out = text(doc)
    assert "= 20001  Jansen Installatie  unchanged" in out and "    warning: Relation_Contact[0].Phone" in out
    assert "= 20002  Jansen Installatie  unchanged" in out and "note: the last update was not confirmed" in out
    assert "= 1 other unchanged relation (--show-unchanged lists it)" in out
    md = markdown(doc)
    assert "<details><summary>3 unchanged relations with drift, record warnings or notes</summary>" in md
    assert "| 20002 | Jansen Installatie |" in md and "10004" not in md
    assert "<code>=</code> 1 other unchanged relation (--show-unchanged lists it)" in md
    assert [r["debtor_number"] for r in compact(doc)["relations"] if "fields" not in r] == ["10004"]


def test_text_shows_drift_both_ways() -> None:
    out = text(load())
    assert (
        '    ! Relation_Contact[0].Phone: drifted in Silvasoft: "0201234567" (last synced "0201111111"); '
        'OutSmart wins → "0201111111"'
    ) in out
    assert (
        '    ! Address_City: drifted in Silvasoft: "Utrecht" (last synced "Amsterdam"); '
        "kept (the mapping keeps Silvasoft's value)"
    ) in out


def test_text_keeps_hostile_data_on_one_line_without_escape_codes() -> None:
    doc = load()
    doc["relations"][0]["name"] = "Evil\x1b[31m BV\nPlan: 0 to create"
    doc["relations"][0]["fields"][0]["after"] = "line\u2028break\u202e"
    doc["warnings"] = ["two\nlines"]
    out = text(doc)
    assert "\x1b" not in out
    assert "+ 10001  Evil\\u001b[31m BV\\nPlan: 0 to create  create" in out
    assert '+ Name: "line\\u2028break\\u202e"' in out
    assert "  - two\\nlines" in out
    assert sum(line.startswith("Plan:") for line in out.splitlines()) == 1


def test_show_prints_the_text_in_colour() -> None:
    doc = load()
    console = Console(record=True, force_terminal=True, color_system="standard", width=60)
    show(doc, console)
    assert console.export_text(styles=False, clear=False) == text(doc)  # same lines, not wrapped at 60 columns
    show(doc, console, show_unchanged=True)
    assert console.export_text(styles=False, clear=False).endswith(text(doc, show_unchanged=True))
    coloured = console.export_text(styles=True)
    for sequence in (
        "\x1b[32m+ 10001",  # green create
        "\x1b[33m~ 10002",  # yellow update
        "\x1b[36m& 10003",  # cyan link
        "\x1b[2m= 1 other unchanged relation",  # dim, the folded ones
        "\x1b[2m= 10004",  # dim unchanged, listed
        "\x1b[2m- 10005",  # dim skip
        "\x1b[31m! 10006",  # red error
        "\x1b[35m    ! ",  # magenta drift
    ):
        assert sequence in coloured


def test_show_does_not_read_markup_in_data() -> None:
    doc = load()
    doc["relations"][0]["name"] = "[bold red]Acme[/bold red] :smile:"
    console = Console(record=True, force_terminal=True, color_system="standard", width=200)
    show(doc, console)
    assert "[bold red]Acme[/bold red] :smile:" in console.export_text(styles=False)


def test_silvasoft_not_read_is_said_in_every_format() -> None:
    doc = load()
    doc["read"].update(full=False, since="2026-11-22 09:00:00", silvasoft_listed=False)
    assert "(read relations changed since 2026-11-22 09:00:00; Silvasoft not read)" in text(doc)
    for out in (text(doc), markdown(doc), html(doc)):
        assert "Silvasoft not read: drift not checked; --full compares every relation" in out


def test_coverage_without_data_says_what_was_not_measured() -> None:
    doc = load()
    doc["coverage"].update(records=None, lookup_values_unseen=[], routes_unmatched=[])
    scope = "from the mapping alone; --full also checks lookup values and routes"
    assert f"Coverage ({scope}):" in text(doc)
    assert f"#### Coverage ({scope})" in markdown(doc)
    assert f"<small>({scope})</small>" in html(doc)
    assert "Routes no relation took" not in text(doc)


def test_an_empty_plan_renders() -> None:
    doc = load()
    doc.update(relations=[], coverage=None, warnings=[])
    doc["summary"] = dict.fromkeys(doc["summary"], 0)
    assert "(no relations)" in text(doc)
    assert "#### Changes" not in markdown(doc)
    assert "No relations." in html(doc)
    assert "Coverage" not in text(doc) + markdown(doc) + html(doc)


# --- Markdown ---------------------------------------------------------------------------------------------------


def _tables(md: str) -> list[list[str]]:
    tables: list[list[str]] = []
    previous = False
    for line in md.splitlines():
        row = line.startswith("|")
        if row and not previous:
            tables.append([])
        if row:
            tables[-1].append(line)
        previous = row
    return tables


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def test_markdown_puts_summary_and_cost_first_and_errors_before_changes() -> None:
    md = markdown(load())
    head = md.split("\n\n")[1]
    assert head.startswith("**Plan:** 1 to create, 1 to update")
    assert "**Cost:** needs 3 Silvasoft requests" in head
    assert "> [!CAUTION]" in md
    assert md.index("#### Errors (2)") < md.index("#### Changes (4)") < md.index("#### Parameters")


def test_markdown_tables_keep_their_shape() -> None:
    tables = _tables(markdown(load()))
    assert len(tables) >= 6
    for table in tables:
        assert {line.count("|") for line in table} == {table[0].count("|")}, table


def test_markdown_escapes_relation_data() -> None:
    md = markdown(load())
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert set(re.findall(r"</?([A-Za-z][\w-]*)", md)) == {"details", "summary", "code", "b", "sub"}
    changes = next(t for t in _tables(md) if _cells(t[0])[3] == "Action")
    row = next(_cells(line) for line in changes if _cells(line)[1] == "10003")
    assert row[2] == "a&#124;b &#42;c&#42; &#91;d&#93;(e) &#96;x&#96;"
    assert htmllib.unescape(row[2]) == MARKDOWN_NAME
    assert "| <code>!</code> | ? | &lt;img src=x onerror=" in md


def test_markdown_survives_hostile_data() -> None:
    doc = load()
    doc["relations"][0]["name"] = "x\n| injected | row |\n@org/team ~~gone~~ $x$"
    doc["relations"][0]["fields"][0]["after"] = "a|b`c`</code><b>"
    doc["warnings"] = ["1. not a list", "- not an item", "> not a quote"]
    md = markdown(doc)
    assert not any(line.startswith("| injected") for line in md.splitlines())
    assert (
        "x&#92;n&#124; injected &#124; row &#124;&#92;n@\u2060org/team &#126;&#126;gone&#126;&#126; &#36;x&#36;" in md
    )
    assert '<code>"a&#124;b&#96;c&#96;&lt;/code&gt;&lt;b&gt;"</code>' in md
    assert "- 1&#46; not a list\n- &#45; not an item\n- &#62; not a quote\n" in md
    for table in _tables(md):
        assert {line.count("|") for line in table} == {table[0].count("|")}


def test_markdown_folds_unchanged_relations_and_parameters() -> None:
    doc = load()
    md = markdown(doc)
    assert "| *7 unchanged parameters* |" in md
    assert "<details><summary>1 unchanged relation with drift</summary>" in md  # 10008, whose phone drifted
    assert "<code>=</code> 1 other unchanged relation (--show-unchanged lists it)" in md
    assert "| 10004 |" not in md
    assert "<details><summary>2 unchanged relations</summary>" in markdown(doc, show_unchanged=True)
    template = relation(doc, "10004")
    doc["relations"] += [{**template, "debtor_number": str(20000 + n)} for n in range(LISTED + 50)]
    doc["summary"]["unchanged"] += LISTED + 50
    md = markdown(doc)
    assert "<code>=</code> 151 other unchanged relations (--show-unchanged lists them)" in md
    assert "20000" not in md and "more rows" not in md
    md = markdown(doc, show_unchanged=True)
    assert "… and 52 more rows; the HTML report has them all." in md
    assert "20149" not in md


def test_markdown_fits_in_a_comment() -> None:
    doc = load()
    creates = [{**relation(doc, "10001"), "debtor_number": str(30000 + n)} for n in range(3000)]
    doc["relations"] = [*doc["relations"], *creates]
    md = markdown(doc)
    assert len(md) <= 60_000
    assert "#### Coverage" in md and "#### Warnings" in md and "**Cost:**" in md
    assert "<details><summary>1 skipped relation</summary>" in md
    assert re.search(r"\n… and [\d,]+ more rows; the HTML report has them all\.\n", md)
    assert re.search(r"\n… and [\d,]+ more relations; the HTML report has them all\.\n", md)
    for table in _tables(md):
        assert {line.count("|") for line in table} == {table[0].count("|")}
    assert len(markdown(doc, limit=20_000)) <= 20_000


# --- the compact JSON plan -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_the_compact_plan_validates_and_keeps_what_run_plan_checks(name: str) -> None:
    doc = load(name)
    before = copy.deepcopy(doc)
    small = compact(doc)
    assert doc == before  # the whole plan is left as it was
    assert [e.message for e in validator().iter_errors(small)] == []
    assert small["show_unchanged"] is False and doc["show_unchanged"] is True
    quiet = relation(small, "10004")
    assert tuple(quiet) == COMPACT
    assert {k: quiet[k] for k in COMPACT} == {k: relation(doc, "10004")[k] for k in COMPACT}
    for full, entry in zip(doc["relations"], small["relations"], strict=True):
        if entry is quiet:
            continue
        assert (entry["send"], entry["fingerprint"], entry["guid"], entry["action"]) == (
            full["send"], full["fingerprint"], full["guid"], full["action"])  # fmt: skip
        assert entry["fields"] == [f for f in full["fields"] if f["change"] != "same" or f["drift"]]
        assert entry["fields_omitted"] == len(full["fields"]) - len(entry["fields"])
    assert relation(small, "10002")["fields_omitted"] == 7
    assert relation(small, "10008")["fields"] == [f for f in relation(doc, "10008")["fields"] if f["drift"]]
    assert compact(small) == small


def test_the_compact_plan_golden(golden: Callable[[str, str], None]) -> None:
    golden("plan-sample-compact.json", json.dumps(compact(load()), ensure_ascii=False, indent=2) + "\n")


def test_the_reports_say_the_same_from_either_form() -> None:
    doc = load()
    small = compact(doc)
    for show_unchanged in (False, True):
        assert text(small, show_unchanged) == text(doc, show_unchanged)
        assert markdown(small, show_unchanged=show_unchanged) == markdown(doc, show_unchanged=show_unchanged)
    page = _Page(html(small))
    assert "7 unchanged parameters not in this plan (--show-unchanged)" in "".join(page.text)
    assert page.raw["script"] == [SCRIPT]


BROKEN_COMPACT = {
    "a compact entry with a key of the full form": ("reason", None),
    "a compact entry that is not unchanged": ("action", "update"),
    "a compact entry without fingerprints": ("fingerprint", None),
    "a compact entry without a GUID": ("guid", None),
}


@pytest.mark.parametrize(("key", "item"), BROKEN_COMPACT.values(), ids=BROKEN_COMPACT.keys())
def test_schema_rejects_a_broken_compact_entry(key: str, item: Any) -> None:
    small = compact(load())
    relation(small, "10004")[key] = item
    assert list(validator().iter_errors(small))


def test_schema_wants_a_full_entry_to_count_what_it_left_out() -> None:
    small = compact(load())
    del relation(small, "10002")["fields_omitted"]
    assert list(validator().iter_errors(small))


# --- HTML -------------------------------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Elements, attributes, text and the contents of <style> and <script> of an HTML page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.raw: dict[str, list[str]] = {"style": [], "script": []}
        self._open: str | None = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag if tag in self.raw else None

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self.raw[self._open].append(data)
        else:
            self.text.append(data)


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def test_html_is_one_self_contained_file() -> None:
    page = html(load())
    parsed = _Page(page)
    assert "://" not in page and "url(" not in page and "@import" not in page
    names = [tag for tag, _ in parsed.tags]
    assert not {"link", "img", "iframe", "object", "embed", "base", "form"} & set(names)
    assert not [attrs for _, attrs in parsed.tags if {"src", "href", "action", "srcset"} & set(attrs)]
    assert ("meta", {"charset": "utf-8"}) in parsed.tags
    assert names.count("script") == 1 and names.count("style") == 1


def test_html_csp_allows_only_the_inline_style_and_script() -> None:
    parsed = _Page(html(load()))
    csp = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert csp is not None
    rules = {rule.split()[0]: rule.split()[1:] for rule in csp.split(";")}
    assert rules["default-src"] == ["'none'"]
    assert rules["style-src"] == [_sha256(parsed.raw["style"][0])]
    assert rules["script-src"] == [_sha256(parsed.raw["script"][0])]
    assert parsed.raw["script"] == [SCRIPT]


def test_html_escapes_relation_data() -> None:
    page = html(load())
    parsed = _Page(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    shown = "".join(parsed.text)
    assert SCRIPT_NAME in shown and IMG_NAME in shown and MARKDOWN_NAME in shown
    assert not any("alert(1)" in source for source in parsed.raw["script"])
    assert "Café Zoë" in page
    title = page.split("<title>")[1].split("</title>")[0]
    assert title == "relmap plan: mappings/business-routing.yaml"


def test_html_escapes_attribute_and_value_data() -> None:
    doc = load()
    doc["mapping"]["path"] = 'x"><script>alert(2)</script>'
    doc["relmap_version"] = '1" onload="alert(3)'
    doc["relations"][0]["fields"][0]["after"] = "</code></details><script>alert(4)</script>"
    doc["coverage"]["fields_unread"] = ["<b>bold</b>"]
    parsed = _Page(html(doc))
    assert [tag for tag, _ in parsed.tags].count("script") == 1
    assert not [attrs for _, attrs in parsed.tags if "onload" in attrs]
    assert "<b>bold</b>" in "".join(parsed.text)


def test_html_shows_cards_drift_folds_and_coverage() -> None:
    page = html(load())
    text_content = "".join(_Page(page).text)
    for card in ("to create", "to update", "to link", "unchanged", "skipped", "errors", "with drift"):
        assert f"<span>{card}</span>" in page
    assert page.count('class="r-') == len(load()["relations"])
    assert len(re.findall(r'<tbody class="r-\w+ has-drift"', page)) == 2
    assert page.count('class="f-drift"') == 3
    assert "7 unchanged parameters" in text_content
    assert "Lookup values no relation had" in text_content and "Routes no relation took" in text_content
    assert "2 relations share CustomerNumber 10011; both skipped" in text_content


def test_html_folds_quiet_unchanged_relations_behind_a_toggle_and_opens_updates() -> None:
    doc = load()
    page = html(doc)
    bodies = re.findall(r'<tbody class="([^"]+)" data-action="\w+">(.*?)</tbody>', page)
    assert [kind for kind, _ in bodies if "quiet" in kind] == ["r-unchanged quiet"]  # 10004, not the drifted 10008
    assert (
        '<label class="unchanged"><input type="checkbox" id="show-unchanged"> show 1 unchanged relation</label>' in page
    )
    opened = {re.findall(r'<td class="num">(\d+)</td>', body)[0] for _, body in bodies if "<details open>" in body}
    assert opened == {"10002", "10008"}  # the update and the drifted relation; not the create or the links
    assert 'id="filters" hidden' in page  # without the script, the filters and the toggle stay hidden: all rows show
    doc["relations"] = [r for r in doc["relations"] if r["action"] != "unchanged"]
    assert 'show-unchanged"' not in html(doc).split("<script>")[0]  # nothing to fold, no toggle


def test_html_masked_says_so() -> None:
    doc = load("plan-sample-masked.json")
    page = html(doc)
    assert "Personal data is masked" in page
    assert "Bakker" not in page and "acme.nl" not in page


def test_reports_do_not_change_the_document() -> None:
    doc = load()
    before = copy.deepcopy(doc)
    outputs = [text(doc), markdown(doc), html(doc)]
    assert doc == before
    assert all(outputs)
