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
from scratchnet.bench.report.provenance import scrub_paths

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"
CLAIM_CASE = "housing_sgd"
PUBLISHED_CASE = "housing_sgd_published"


def find_row(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, f"expected one row matching {match}, got {found}"
    return found[0]


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
             "## Summary", "## Convergence", "## Memory", "## Parity", "## Cases",
             "## Definitions", "## Environment", "## Missing, failed and unsupported"]
    positions = [md.index(("\n" if h != "# " else "") + h) for h in order]
    assert positions == sorted(positions)
    assert md.index("figures/summary_speed.png") < md.index("| Case | Mode (parity check) |")
    for title in ("Summary", "Convergence", "Memory", "Parity", "Environment"):
        # folded, with the section's one-line answer on the summary line
        assert re.search(rf'<details id="[^"]+"><summary>{re.escape(title)}<span class="answer">[^<]+</span>'
                         r'</summary>', html)
    for title in ("Headline", "Results per case", "Tutorial claims"):
        assert f"<summary>{title}</summary>" not in html


def _summary_rows(paths) -> list[dict[str, str]]:
    """The Summary table (its CSV, as the report links it): every framework per case and mode."""
    from test_report import inline_detail_tables, sections, table_rows  # tests/bench is on sys.path

    md = inline_detail_tables(paths.markdown.read_text(encoding="utf-8"), paths.markdown.parent)
    return table_rows(sections(md)["Summary"])


def test_summary_table_has_every_framework_in_order(built):
    paths, md, _ = built
    compact = _table(md, "Case")
    runs = pd.read_csv(FIXTURE / "runs.csv")
    fws = ["scratchnet", "keras", "keras-default", "sklearn"]
    assert set(runs["framework"]) == set(fws)
    # the compact table beside the figure: scratchnet's figures, then a ratio per other framework
    assert list(compact[0])[:5] == ["Case", "Mode (parity check)", "Test MSE: scratchnet",
                                    "Convergence epoch: scratchnet", "Time per epoch: scratchnet"]
    assert [h.split()[3].split("/")[0] for h in compact[0] if h.startswith("Time per step ")] == fws[1:]
    assert [r["Case"] for r in compact] == [CLAIM_CASE, PUBLISHED_CASE]
    ratios = {r["Case"]: r for r in compact}
    claim = ratios[CLAIM_CASE]
    assert claim["Mode (parity check)"] == "parity ✓"
    ok = runs[(runs["case"] == CLAIM_CASE) & (runs["mode"] == "parity") & (runs["framework"] == "scratchnet")]
    assert claim["Test MSE: scratchnet"] == f"{ok['test_mse'].median():.4g}"
    # keras-default ran in native mode only, for timing: the ratio is against scratchnet's native runs, named
    kd = runs[(runs["case"] == CLAIM_CASE) & (runs["framework"] == "keras-default")]
    sn = runs[(runs["case"] == CLAIM_CASE) & (runs["framework"] == "scratchnet") & (runs["mode"] == "native")]
    ratio = kd["seconds_per_step"].median() / sn["seconds_per_step"].median()
    assert claim["Time per step keras-default/scratchnet"] == f"{ratio:.3g}× (native)"
    assert ratios[PUBLISHED_CASE]["Time per step keras-default/scratchnet"] == "not run"
    assert ratios[PUBLISHED_CASE]["Time per step sklearn/scratchnet"] == "unsupported"
    assert all(cell for row in compact for cell in row.values())
    # every framework's figures: the Summary table, frameworks in column order within each case and mode
    rows = _summary_rows(paths)
    for case, mode in {(r["Case"], r["Mode"]) for r in rows}:
        order = [r["Framework"] for r in rows if (r["Case"], r["Mode"]) == (case, mode)]
        assert order == [fw for fw in fws if fw in order], (case, mode, order)
    sklearn = find_row(rows, Case=PUBLISHED_CASE, Framework="sklearn")
    assert sklearn["Runs ok"].startswith("0/") and sklearn["Status"].endswith("unsupported")
    assert all(cell for row in rows for cell in row.values())


def test_timing_only_runs_show_no_mse(tmp_path):
    d = tmp_path / "run"
    shutil.copytree(FIXTURE, d)
    runs = pd.read_csv(d / "runs.csv")
    runs = runs[runs["mode"] == "native"]  # housing_sgd's primary mode becomes native
    runs.to_csv(d / "runs.csv", index=False)
    row = find_row(_summary_rows(build_report(d, tmp_path / "out")), Case=CLAIM_CASE, Framework="keras-default")
    assert row["Test MSE median [95% CI]"] == "timing only"
    assert row["Epochs to target (converged/ok)"].startswith("timing only")
    sec = runs[(runs["case"] == CLAIM_CASE) & (runs["framework"] == "keras-default")]
    assert row["Time per epoch"].endswith(" s")
    assert float(row["Time per epoch"][:-2]) == pytest.approx(sec["seconds_per_epoch"].median(), rel=5e-3)


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
    header = list(_table(md, "Case")[0])
    assert [h.split()[3].split("/")[0] for h in header if h.startswith("Time per step ")] == [
        "keras", "keras-default", "sklearn", "a_net", "my_net"]


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
