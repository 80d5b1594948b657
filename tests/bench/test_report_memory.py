"""The report's memory section and its Definitions line (scratchnet.bench.report.memory)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scratchnet.bench.report.blocks import Heading, Table
from scratchnet.bench.report.content import SECTIONS, compose
from scratchnet.bench.report.header import definition_blocks
from scratchnet.bench.report.formatting import fmt_mib
from scratchnet.bench.report.memory import MEMORY_DEFINITION, memory_blocks
from scratchnet.bench.report.tables import load_results

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"


@pytest.fixture()
def run_dir(tmp_path):
    """The report fixture with memory columns: a case's runs get known figures."""
    directory = tmp_path / "run"
    shutil.copytree(FIXTURE, directory)
    runs = pd.read_csv(directory / "runs.csv")
    runs["memory_method"] = "vmhwm"
    runs["peak_memory_mb"] = np.where(runs["framework"] == "scratchnet", 3.0, 60.0)
    runs["memory_floor_mb"] = 2.0
    runs["tracemalloc_peak_mb"] = np.where(runs["framework"] == "scratchnet", 4.0, np.nan)
    runs.to_csv(directory / "runs.csv", index=False)
    return directory


def _table(blocks) -> Table:
    tables = [b for b in blocks if isinstance(b, Table)]
    assert len(tables) == 1
    return tables[0]


def test_rows_show_medians_method_and_ratios(run_dir):
    res = load_results(run_dir)
    blocks = memory_blocks(res)
    assert blocks[0] == Heading(2, "Memory")
    table = _table(blocks)
    rows = {(r[0], r[1], r[2]): dict(zip(table.headers, r)) for r in table.rows}
    ok = res.runs[res.runs["status"] == "ok"]
    case, mode = ok.iloc[0]["case"], ok.iloc[0]["mode"]
    scratch = rows[(case, mode, "scratchnet")]
    assert scratch["Peak during fit"] == "3 MiB" and scratch["Floor"] == "2 MiB"
    assert scratch["Method"] == "vmhwm" and scratch["Traced (NumPy)"] == "4 MiB"
    assert scratch["Memory vs floor"] == "1.5×" and scratch["Traced vs floor"] == "2×"
    keras = rows[(case, mode, "keras")]
    assert keras["Memory vs floor"] == "30×" and keras["Traced (NumPy)"] == "n/a" and keras["Traced vs floor"] == "n/a"
    # one row per recorded (case, mode, framework) group
    assert len(rows) == len(res.runs.groupby(["case", "mode", "framework"]))


def test_runs_recorded_before_the_memory_columns_show_na(tmp_path):
    directory = tmp_path / "old"
    shutil.copytree(FIXTURE, directory)
    table = _table(memory_blocks(load_results(directory)))
    for row in table.rows:
        cells = dict(zip(table.headers, row))
        assert cells["Method"] == cells["Floor"] == cells["Memory vs floor"] == "n/a"


def test_definitions_say_what_each_figure_includes(run_dir):
    text = repr(definition_blocks(load_results(run_dir)))
    assert MEMORY_DEFINITION in text
    for phrase in ("VmHWM", "clear_refs", "rss-sampler-5ms", "tracemalloc", "optimizer state",
                   "excludes the interpreter", "Memory vs floor = peak during fit / floor"):
        assert phrase in MEMORY_DEFINITION


def test_the_section_is_in_the_report(run_dir):
    assert any("memory_blocks" in s.__name__ for s in SECTIONS)
    titles = [getattr(b, "title", None) for b in compose(load_results(run_dir))]
    assert "Memory" in titles


@pytest.mark.parametrize("mib, text", [(0.0, "0 B"), (100 / 2**20, "100 B"), (3.5 / 1024, "3.5 KiB"),
                                       (0.5, "512 KiB"), (11.6123, "11.6 MiB"), (636.2, "636 MiB"),
                                       (float("nan"), "n/a")])
def test_sizes_read_in_a_fitting_unit(mib, text):
    assert fmt_mib(mib) == text
