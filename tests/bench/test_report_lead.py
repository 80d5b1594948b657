"""Tests of the report's reading order, determinism and provenance.

Against the recorded fixture (fixtures/report_run: scratchnet, keras, keras-default
timing-only runs, sklearn with unsupported rows): the answer comes first (headline,
summary figure, per-case table, claims) and the details after it, folded in HTML;
every framework gets a column in the preferred order; "unsupported" shows as such;
two builds from the same tables are byte-identical; no absolute path is printed.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scratchnet.bench.report import build_report
from scratchnet.bench.report.formatting import fmt_time
from scratchnet.bench.report.provenance import scrub_paths
from scratchnet.bench.report.stats import ratio_ci

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"
CLAIM_CASE = "housing_sgd"
PUBLISHED_CASE = "housing_sgd_published"


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _table(md: str, first_header: str, nth: int = 0) -> list[dict[str, str]]:
    """Rows of the ``nth`` pipe table whose first header is ``first_header``."""
    lines = md.splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.startswith(f"| {first_header} |")]
    start = starts[nth]
    block = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        block.append(ln)
    split = lambda ln: [_unescape(c.strip()) for c in re.split(r"(?<!\\)\|", ln)[1:-1]]  # noqa: E731
    headers = split(block[0])
    return [dict(zip(headers, split(ln))) for ln in block[2:]]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("lead")
    paths = build_report(FIXTURE, out)
    return paths, paths.markdown.read_text(encoding="utf-8"), paths.html.read_text(encoding="utf-8")


def test_answer_first_then_details(built):
    _, md, html = built
    order = ["# ", "## Headline", "## Results per case", "## Tutorial claims", "## Figures",
             "## Summary", "## Speed", "## Test MSE significance", "## Parity", "## Cases",
             "## Definitions", "## Environment", "## Missing, failed and unsupported"]
    positions = [md.index(("\n" if h != "# " else "") + h) for h in order]
    assert positions == sorted(positions)
    assert md.index("figures/summary_speed.png") < md.index("| Case | Mode (parity check) |")
    for title in ("Summary", "Speed", "Test MSE significance", "Parity", "Environment"):
        # folded, with the section's one-line answer on the summary line
        assert re.search(rf'<details id="[^"]+"><summary>{re.escape(title)}<span class="answer">[^<]+</span>'
                         r'</summary>', html)
    for title in ("Headline", "Results per case", "Tutorial claims"):
        assert f"<summary>{title}</summary>" not in html


def _framework_rows(md: str) -> list[dict[str, str]]:
    """The folded table of every framework's MSE, convergence and time, one row per case."""
    return _table(md, "Case", nth=1)


def test_summary_table_has_every_framework_in_order(built):
    _, md, _ = built
    compact = _table(md, "Case")
    rows = _framework_rows(md)
    runs = pd.read_csv(FIXTURE / "runs.csv")
    fws = ["scratchnet", "keras", "keras-default", "sklearn"]
    assert set(runs["framework"]) == set(fws)
    header = list(rows[0])
    assert [h.split(": ")[1] for h in header if h.startswith("Test MSE: ")] == fws
    assert [h.split(": ")[1] for h in header if h.startswith("Time per epoch: ")] == fws
    # the compact table beside the figure: scratchnet's figures, then a ratio per other framework
    assert list(compact[0])[:5] == ["Case", "Mode (parity check)", "Test MSE: scratchnet",
                                    "Convergence epoch: scratchnet", "Time per epoch: scratchnet"]
    assert [h.split()[3].split("/")[0] for h in compact[0] if h.startswith("Time per step ")
            and "/" in h] == fws[1:]
    assert [r["Case"] for r in compact] == [r["Case"] for r in rows]
    for short, full in zip(compact, rows):
        for key in ("Mode (parity check)", "Test MSE: scratchnet", "Convergence epoch: scratchnet",
                    "Time per epoch: scratchnet"):
            assert short[key] == full[key], key
    ratios = {r["Case"]: r for r in compact}
    assert [r["Case"] for r in rows] == [CLAIM_CASE, PUBLISHED_CASE]
    claim, published = rows
    assert claim["Mode (parity check)"] == "parity ✓"
    ok = runs[(runs["case"] == CLAIM_CASE) & (runs["mode"] == "parity")]
    for fw in ("scratchnet", "keras", "sklearn"):
        assert claim[f"Test MSE: {fw}"] == f"{ok[ok['framework'] == fw]['test_mse'].median():.4g}"
    # keras-default ran in native mode only, for timing: the parity row shows its native runs
    assert claim["Test MSE: keras-default"] == "timing only (native)"
    kd = runs[(runs["case"] == CLAIM_CASE) & (runs["framework"] == "keras-default")]
    sn = runs[(runs["case"] == CLAIM_CASE) & (runs["framework"] == "scratchnet")
              & (runs["mode"] == "native")]
    ratio = kd["seconds_per_step"].median() / sn["seconds_per_step"].median()
    assert ratios[CLAIM_CASE]["Time per step keras-default/scratchnet"] == f"{ratio:.3g}× (native)"
    assert published["Test MSE: keras-default"] == "not run"
    assert published["Test MSE: sklearn"] == "unsupported"
    assert published["Convergence epoch: sklearn"] == "unsupported"
    assert ratios[PUBLISHED_CASE]["Time per step sklearn/scratchnet"] == "unsupported"
    assert all(cell for row in rows + compact for cell in row.values())


def test_timing_only_runs_show_no_mse(tmp_path):
    d = tmp_path / "run"
    shutil.copytree(FIXTURE, d)
    runs = pd.read_csv(d / "runs.csv")
    runs = runs[runs["mode"] == "native"]  # housing_sgd's primary mode becomes native
    runs.to_csv(d / "runs.csv", index=False)
    md = build_report(d, tmp_path / "out").markdown.read_text(encoding="utf-8")
    claim = _framework_rows(md)[0]
    assert claim["Test MSE: keras-default"] == "timing only"
    assert claim["Convergence epoch: keras-default"] == "timing only"
    sec = runs[(runs["case"] == CLAIM_CASE) & (runs["framework"] == "keras-default")]
    assert claim["Time per epoch: keras-default"].endswith(" s")
    assert float(claim["Time per epoch: keras-default"][:-2]) == pytest.approx(
        sec["seconds_per_epoch"].median(), rel=5e-3)


def test_foreign_label_sorts_after_known_frameworks(tmp_path):
    d = tmp_path / "run"
    shutil.copytree(FIXTURE, d)
    runs = pd.read_csv(d / "runs.csv")
    extra = runs[runs["framework"] == "keras"].copy()
    extra["framework"] = "my_net"
    extra2 = runs[runs["framework"] == "keras"].copy()
    extra2["framework"] = "a_net"
    pd.concat([extra, runs, extra2]).to_csv(d / "runs.csv", index=False)
    md = build_report(d, tmp_path / "out").markdown.read_text(encoding="utf-8")
    header = list(_framework_rows(md)[0])
    assert [h.split(": ")[1] for h in header if h.startswith("Test MSE: ")] == [
        "scratchnet", "keras", "keras-default", "sklearn", "a_net", "my_net"]


def test_two_builds_are_byte_identical(tmp_path):
    first = build_report(FIXTURE, tmp_path / "a")
    second = build_report(FIXTURE, tmp_path / "b")
    files = lambda root: sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())  # noqa: E731
    assert files(tmp_path / "a") == files(tmp_path / "b")
    for rel in files(tmp_path / "a"):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    assert len(first.figures) == len(second.figures) > 0
    for png in first.figures:
        assert b"tEXt" not in png.read_bytes()  # no PNG text metadata (software, date)


def test_no_absolute_path_in_report(tmp_path):
    d = tmp_path / "deep" / "results"
    shutil.copytree(FIXTURE, d)
    env = json.loads((d / "environment.json").read_text())
    env["blas"] = {"libraries": [{"internal_api": "openblas", "num_threads": 2,
                                  "filepath": "/opt/venv/lib/python3.11/site-packages/"
                                              "numpy.libs/libscipy_openblas64_-abc.so"}]}
    (d / "environment.json").write_text(json.dumps(env))
    paths = build_report(d.resolve())
    for path in (paths.markdown, paths.html):
        text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", path.read_text("utf-8"))
        assert str(tmp_path) not in text and "/opt/venv" not in text
        assert not re.search(r"(?<![\w.:/~-])/(?:[\w.+-]+/)+[\w.+-]+", _unescape(text)), path
        assert "libscipy\\_openblas64\\_-abc.so" in text or "libscipy_openblas64_-abc.so" in text
    assert "**Results directory:** results" in paths.markdown.read_text("utf-8")


def test_scrub_paths_keeps_ratios_and_urls():
    text = "x /usr/lib/a.so, 3/5 seeds, https://example.org/a/b, keras/scratchnet"
    assert scrub_paths(text) == "x a.so, 3/5 seeds, https://example.org/a/b, keras/scratchnet"


def test_summary_figure_is_drawn_for_every_pair(built):
    paths, _, html = built
    assert '<figure id="summary-figure">' in html and '<table id="summary-table">' in html
    runs = pd.read_csv(FIXTURE / "runs.csv")
    assert np.isfinite(runs["seconds_per_epoch"]).any()
    assert paths.figures[0].name == "summary_speed.png"


def test_runs_line_names_a_framework_that_is_not_installed_apart():
    from types import SimpleNamespace

    from scratchnet.bench.frameworks.pytorch import NOT_INSTALLED
    from scratchnet.bench.report.header import runs_line

    runs = pd.DataFrame({"framework": ["scratchnet", "torch", "torch", "sklearn"],
                         "status": ["ok", "unsupported", "unsupported", "unsupported"],
                         "message": ["", NOT_INSTALLED, NOT_INSTALLED, "MLPRegressor has an identity output"]})
    line = runs_line(SimpleNamespace(runs=runs))
    assert line.startswith("4 runs: 1 ok, 3 unsupported (torch not installed; sklearn cannot express the case: "), line
    only = runs_line(SimpleNamespace(runs=runs.iloc[:3]))
    assert "(torch not installed: reasons in" in only and "cannot express" not in only, only
