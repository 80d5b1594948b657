"""The report's overhead section: framework tax and GEMM share recomputed from runs.csv."""
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from scratchnet.bench.report import build_report
from scratchnet.bench.report.overhead import overhead_blocks, overhead_rows
from scratchnet.bench.report.tables import load_results

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "run"
    shutil.copytree(FIXTURE, d)
    return d


def test_without_overhead_columns_the_section_says_not_measured(tmp_path):
    res = load_results(_copy(tmp_path))
    rows, missing = overhead_rows(res)
    assert rows == [] and missing  # the fixture's scratchnet runs predate the columns
    text = " ".join(str(b) for b in overhead_blocks(res))
    assert "Not measured" in text


def test_rows_are_medians_over_the_scratchnet_runs(tmp_path):
    d = _copy(tmp_path)
    runs = pd.read_csv(d / "runs.csv", dtype=str)
    sn = (runs["framework"] == "scratchnet") & (runs["status"] == "ok")
    case = runs.loc[sn, "case"].iloc[0]
    mine = sn & (runs["case"] == case)
    n = int(mine.sum())
    rng = np.random.default_rng(0)
    taxes = rng.uniform(0.7, 1.3, n)
    runs["framework_tax"] = ""
    runs["tax_seconds_per_epoch"] = ""
    runs["reference_seconds_per_epoch"] = ""
    runs["gemm_share"] = ""
    runs.loc[mine, "framework_tax"] = [repr(float(t)) for t in taxes]
    runs.loc[mine, "tax_seconds_per_epoch"] = "0.5"
    runs.loc[mine, "reference_seconds_per_epoch"] = "0.25"
    runs.loc[mine, "gemm_share"] = "0.6"
    runs.to_csv(d / "runs.csv", index=False)
    res = load_results(d)
    rows, missing = overhead_rows(res)
    assert len(rows) == 1 and case not in missing
    row = rows[0]
    assert row[0] == case and row[1] == str(n)
    assert row[2] == "500 ms" and row[3] == "250 ms"
    assert row[4] == f"{np.median(taxes):.3g}×"
    assert row[5] == f"{taxes.min():.3g}×–{taxes.max():.3g}×"
    assert row[6] == "60%"
    paths = build_report(d, tmp_path / "out")
    report = Path(paths.markdown).read_text(encoding="utf-8")
    assert "framework tax and GEMM share" in report and f"{np.median(taxes):.3g}×" in report
