"""report.html in a real browser: headless Chromium at a laptop width.

Skipped where ``/usr/bin/chromium`` (or ``$SCRATCHNET_CHROMIUM``) is absent; ``.ci/run``
installs Debian's ``chromium`` package when it can. A copy of the fixture report gets a
small script that writes the page's measurements into the DOM (``--dump-dom`` after a
virtual-time budget), plus a screenshot of the first viewport. Asserted at 1280x800:
no horizontal overflow (also with every ``<details>`` open), and the headline, the summary figure and the summary table all
start inside the first viewport (the figure and the fixture's short table end inside it).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scratchnet.bench.report import build_report

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"
CHROMIUM = os.environ.get("SCRATCHNET_CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 800

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)),
                       reason=f"no Chromium at {CHROMIUM}"),
]

MEASURE = """
<script>
window.addEventListener('load', function () {
  function box(el) {
    if (!el) return null;
    var r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
  }
  var heading = document.getElementById('headline');
  var out = {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    headline: box(heading),
    headlineText: box(heading && heading.nextElementSibling),
    figure: box(document.querySelector('#summary-figure img')),
    figureLoaded: !!(document.querySelector('#summary-figure img') || {}).naturalWidth,
    table: box(document.getElementById('summary-table'))
  };
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  out.scrollWidthOpen = document.documentElement.scrollWidth;
  out.details = document.querySelectorAll('details').length;
  out.scrollingTables = [];
  document.querySelectorAll('table').forEach(function (t) {
    if (t.scrollWidth > t.clientWidth + 1) out.scrollingTables.push(t.id || t.rows[0].textContent);
  });
  var pre = document.createElement('pre');
  pre.id = 'measurements';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("browser")
    html = build_report(FIXTURE, out).html
    probe = out / "probe.html"
    probe.write_text(html.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"),
                     encoding="utf-8")
    done = _chromium("--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="measurements">(.*?)</pre>', done.stdout, flags=re.S)
    assert found, f"no measurements from Chromium (rc {done.returncode}): {done.stderr[-2000:]}"
    text = found.group(1).replace("&quot;", '"').replace("&amp;", "&")
    return html, json.loads(text)


def test_no_horizontal_overflow_at_1280(page):
    _, m = page
    assert m["innerWidth"] == WIDTH
    assert m["scrollWidth"] <= WIDTH, m
    assert m["details"] >= 5 and m["scrollWidthOpen"] <= WIDTH, m  # every detail unfolded
    assert m["scrollingTables"] == [], m  # every table fits the page, none scrolls sideways


def test_first_viewport_holds_headline_figure_and_table(page):
    _, m = page
    for name in ("headline", "headlineText", "figure", "table"):
        assert m[name] is not None, f"{name} not found: {m}"
        assert 0 <= m[name]["top"] < HEIGHT, (name, m)
        assert m[name]["right"] <= WIDTH, (name, m)
    assert m["figureLoaded"], m
    assert m["headlineText"]["bottom"] <= HEIGHT and m["figure"]["bottom"] <= HEIGHT, m
    assert m["table"]["bottom"] <= HEIGHT, m  # the fixture's table is short


def test_screenshot_of_first_viewport(page, tmp_path):
    html, _ = page
    shot = tmp_path / "first_viewport.png"
    done = _chromium(f"--screenshot={shot}", html.as_uri())
    assert shot.is_file(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000  # a page, not a blank
    keep = os.environ.get("SCRATCHNET_BROWSER_SHOTS")
    if keep:
        shutil.copy(shot, Path(keep) / "first_viewport.png")


SECTION_MAX_PX = 1600  # a top-level section, its folded details closed, fits about one screen at 1280 px
SECTIONS = """
<script>
window.addEventListener('load', function () {
  // a section starts at an h1/h2 or a folded section (<details> that is not a .more block inside one)
  var out = [], cur = null;
  Array.prototype.forEach.call(document.body.children, function (el) {
    var starts = el.tagName === 'H1' || el.tagName === 'H2' ||
                 (el.tagName === 'DETAILS' && !el.classList.contains('more'));
    if (starts) {
      cur = {title: el.tagName === 'DETAILS' ? el.querySelector('summary').textContent : el.textContent,
             top: el.getBoundingClientRect().top + window.scrollY, bottom: 0};
      out.push(cur);
    }
    if (cur) cur.bottom = Math.max(cur.bottom, el.getBoundingClientRect().bottom + window.scrollY);
  });
  var pre = document.createElement('pre');
  pre.id = 'sections';
  pre.textContent = JSON.stringify(out.map(function (s) { return [s.title, s.bottom - s.top]; }));
  document.body.appendChild(pre);
});
</script>
"""
COMMITTED_REPORT = Path(__file__).resolve().parents[2] / "results" / "report.html"


def section_heights(html_path: Path, out: Path) -> list[tuple[str, float]]:
    """(title, height in px) of every top-level section of ``html_path`` at 1280 px, details closed."""
    probe = out / f"sections-{html_path.parent.name}.html"
    probe.write_text(html_path.read_text(encoding="utf-8").replace("</body>", SECTIONS + "</body>"),
                     encoding="utf-8")
    done = _chromium("--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="sections">(.*?)</pre>', done.stdout, flags=re.S)
    assert found, f"no section heights from Chromium (rc {done.returncode}): {done.stderr[-2000:]}"
    return [tuple(x) for x in json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))]


@pytest.mark.parametrize("which", ["fixture", "committed reference report"])
def test_every_section_fits_about_one_screen(which, page, tmp_path):
    html = page[0] if which == "fixture" else COMMITTED_REPORT
    if not html.is_file():
        pytest.skip(f"no {html}")
    heights = section_heights(html, tmp_path)
    assert len(heights) >= 10, heights  # title, headline, the answer-first sections, the folded details
    tall = [(title, round(h)) for title, h in heights if h > SECTION_MAX_PX]
    assert tall == [], f"sections taller than {SECTION_MAX_PX} px at {WIDTH} px wide: {tall}"
    claims = [h for title, h in heights if title == "Tutorial claims"]
    if which != "fixture":
        assert claims and claims[0] <= 650, heights  # the verdict table, its details folded
