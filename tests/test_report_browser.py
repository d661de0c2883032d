"""The HTML plan report in a real browser: Debian's headless Chromium renders it, runs its one inline script under
the page's Content-Security-Policy, and shows hostile relation names as text, never as markup.

Chromium must be installed (``apt-get install chromium``; CI installs it); without it these tests fail, unless
RELMAP_SKIP_BROWSER=1 says to skip them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from relmap.report import plan_values
from relmap.report.plan_html import html

CHROMIUM = Path("/usr/bin/chromium")
SAMPLE = Path(__file__).resolve().parent / "cases" / "plan-sample.json"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TIMEOUT = 60
# Read when the module is imported: the conftest clears every RELMAP_* variable before each test runs.
SKIP_BROWSER = os.environ.get("RELMAP_SKIP_BROWSER") == "1"
SCRIPT_NAME = "<script>alert(1)</script>"
IMG_NAME = "<img src=x onerror=\"document.title='pwned'\">"


@dataclass(frozen=True)
class Browser:
    path: Path
    root: Path

    def run(self, *args: str) -> str:
        """Run Chromium with the fixed flags and a new empty profile; its standard output."""
        profile = self.root / f"profile-{len(list(self.root.glob('profile-*')))}"
        profile.mkdir()
        command = [str(self.path), *FLAGS, f"--user-data-dir={profile}", *args]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            out, err = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # Chromium's helper processes share its new session
            process.communicate()
            pytest.fail(f"Chromium did not finish within {TIMEOUT} s: {' '.join(command)}", pytrace=False)
        assert process.returncode == 0, f"Chromium exited with {process.returncode}:\n{err[-2000:]}"
        return out

    def dom(self, page: Path) -> str:
        return self.run("--dump-dom", page.as_uri())


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Browser:
    if SKIP_BROWSER:
        pytest.skip("RELMAP_SKIP_BROWSER=1: not opening the HTML report in Chromium")
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} not found: the HTML report test needs Debian's Chromium; run `apt-get install chromium` "
            "(or set RELMAP_SKIP_BROWSER=1 to skip the browser tests)",
            pytrace=False,
        )
    return Browser(CHROMIUM, tmp_path_factory.mktemp("chromium"))


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report(browser: Browser, doc: dict[str, Any]) -> Path:
    path = browser.root / "plan.html"
    path.write_text(html(doc), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dom(browser: Browser, report: Path) -> str:
    return browser.dom(report)


def _title(dom: str) -> str:
    match = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert match, dom[:500]
    return match[1]


def _scripts(dom: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>(.*?)</script>", dom, re.S | re.I)


def test_the_report_renders_every_relation(dom: str, doc: dict[str, Any]) -> None:
    assert plan_values.summary_text(doc) in dom
    numbers = [r["debtor_number"] for r in doc["relations"] if r["debtor_number"] is not None]
    assert len(numbers) == len(doc["relations"]) - 1
    for number in numbers:
        assert f'<td class="num">{number}</td>' in dom


def test_the_inline_script_runs_under_the_policy(dom: str, doc: dict[str, Any]) -> None:
    # The script marks the page and shows the filters; if the CSP hash were wrong, neither would happen.
    assert re.search(r'<html lang="en" class="js">', dom)
    quiet = sum(1 for r in doc["relations"] if plan_values.folds(r))
    assert quiet == 1
    total = len(doc["relations"])
    assert f"{total - quiet} of {total} relations shown; {quiet} unchanged hidden" in dom
    assert '<div class="filters" id="filters">' in dom


def test_unchanged_relations_start_hidden_and_updates_open(dom: str) -> None:
    bodies = re.findall(r'<tbody class="([^"]+)" data-action="\w+" data-order="\d+"( hidden="")?>', dom)
    hidden = [kind for kind, flag in bodies if flag]
    assert len(bodies) == 9 and hidden == ["r-unchanged quiet"]  # 10004; 10008 drifted, so it stays in view
    opened = {n for n, body in re.findall(r'<td class="num">(\d+)</td>(.*?)</tbody>', dom) if "<details open" in body}
    assert opened == {"10002", "10008"}  # the update, and the unchanged relation whose phone drifted


# The report in an iframe of a page that clicks its toggle: the click runs the report's own script, under its own
# policy, and the page copies what each row then shows into <pre id="out">, before and after.
TOGGLER = """<!DOCTYPE html><html><head><title>toggle</title></head><body>
<iframe id="report" src="plan.html"></iframe><pre id="out"></pre>
<script>
document.getElementById("report").addEventListener("load", () => {
  const page = document.getElementById("report").contentDocument;
  const rows = () => Array.from(page.querySelectorAll("#relations > tbody"),
    (body) => body.rows[0].cells[1].textContent + "=" + (body.hidden ? "hidden" : "shown")).join(" ");
  const state = () => rows() + " | " + page.getElementById("shown").textContent;
  const before = state();
  page.getElementById("show-unchanged").click();
  const shown = state();
  page.getElementById("show-unchanged").click();
  document.getElementById("out").textContent = [before, shown, state()].join("\\n");
});
</script></body></html>
"""


def test_the_toggle_shows_and_hides_the_unchanged_relations(browser: Browser, report: Path) -> None:
    page = report.parent / "toggle.html"
    page.write_text(TOGGLER, encoding="utf-8")
    dom = browser.run("--allow-file-access-from-files", "--dump-dom", page.as_uri())
    match = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert match and match[1], dom[-1500:]
    before, shown, again = match[1].split("\n")
    everything = (
        "10001=shown 10002=shown 10003=shown 10009=shown 10004=shown 10008=shown 10005=shown 10006=shown ?=shown"
    )
    assert shown == f"{everything} | 9 of 9 relations shown"
    hidden = everything.replace("10004=shown", "10004=hidden")
    assert before == again == f"{hidden} | 8 of 9 relations shown; 1 unchanged hidden"


def test_hostile_names_are_text(dom: str) -> None:
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in dom
    assert "&lt;img src=x onerror=\"document.title='pwned'\"&gt;" in dom
    scripts = _scripts(dom)
    assert len(scripts) == 1
    assert not [s for s in scripts if "alert(1)" in s]
    assert "<img" not in dom
    assert _title(dom) == "relmap plan: mappings/business-routing.yaml"


def test_an_unescaped_name_would_have_shown(browser: Browser) -> None:
    """The check above can fail: the same markup, unescaped and without a policy, does retitle the page."""
    page = browser.root / "unescaped.html"
    page.write_text(f"<!DOCTYPE html><title>safe</title><p>{IMG_NAME}</p>", encoding="utf-8")
    assert _title(browser.dom(page)) == "pwned"


def test_the_policy_stops_markup_that_escaped_escaping(browser: Browser, doc: dict[str, Any]) -> None:
    """A second line of defence: had escaping failed, the page's CSP still blocks the injected handler."""
    escaped = html(doc)
    broken = escaped.replace("&lt;img src=x onerror=&quot;document.title=&#x27;pwned&#x27;&quot;&gt;", IMG_NAME)
    assert broken != escaped
    page = browser.root / "broken.html"
    page.write_text(broken, encoding="utf-8")
    dom = browser.dom(page)
    assert "<img" in dom  # the injected element is there...
    assert _title(dom) == "relmap plan: mappings/business-routing.yaml"  # ...and its handler did not run


def _png_pixels(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and the unfiltered rows of an 8-bit, non-interlaced RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                corner = previous[i - bpp] if i >= bpp else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
        if len(rows) >= 400:  # enough for the header and the summary cards
            break
    return width, height, bpp, rows


def test_the_screenshot_is_not_blank(browser: Browser, report: Path) -> None:
    shot = browser.root / "shot.png"
    browser.run(f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri())
    assert shot.is_file(), "Chromium wrote no screenshot"
    width, height, bpp, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 2000)
    colours = {row[i : i + bpp] for row in rows for i in range(0, len(row), bpp * 7)}
    assert len(colours) > 20, f"the screenshot's top is nearly one colour: {len(colours)} colours"
