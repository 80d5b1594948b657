"""Tests of the report's grid section (report/grid.py) and of speed ratios paired within one machine
(report/tables.same_host_runs): a tiny scratchnet grid, with Keras rows derived from it."""
from __future__ import annotations

import re

import pandas as pd

from scratchnet.bench.cases import CASES
from scratchnet.bench.report import build_report
from scratchnet.bench.running.suite import run_suite
from scratchnet.bench.cases.sweep import expand


def test_grid_figure_and_same_host_ratios(tmp_path):
    from test_report import inline_detail_tables  # tests/bench is on sys.path

    results = tmp_path / "r"
    variants = expand([CASES["neuron3-batch-tanh"]], {"learning_rate": ["0.05", "0.2", "0.5"]})
    run_suite(variants, frameworks=("scratchnet",), n_seeds=2, results_dir=results, parity=False, epochs=3,
              progress=False)
    runs = pd.read_csv(results / "runs.csv")
    epochs = pd.read_csv(results / "epochs.csv")
    keras = runs.assign(framework="keras", seconds_per_epoch=runs["seconds_per_epoch"] * 4,
                        test_mse=runs["test_mse"] * 2)
    both = pd.concat([runs, keras], ignore_index=True)
    both["host"] = ["fast-box" if i % 2 == 0 else "slow-box" for i in range(len(both))]
    both.loc[(both["host"] == "slow-box") & (both["framework"] == "keras"), "seconds_per_epoch"] *= 100
    both.to_csv(results / "runs.csv", index=False)
    pd.concat([epochs, epochs.assign(framework="keras")]).to_csv(results / "epochs.csv", index=False)

    paths = build_report(results, tmp_path / "out")
    md = inline_detail_tables(paths.markdown.read_text(), tmp_path / "out")
    grid = md.split("## Grids", 1)[1].split("\n## ", 1)[0]
    names = [p.name for p in paths.figures]
    assert "grid_neuron3-batch-tanh-learning-rate.png" in names
    rows = [line for line in grid.splitlines() if line.startswith("| neuron3-batch-tanh")]
    assert len(rows) == 6  # 2 frameworks x 3 learning rates
    assert any("keras" in r and "learning\\_rate=0.5" in r for r in rows)
    summary = md.split("## Summary", 1)[1].split("\n## ", 1)[0]
    for name in (v.name for v in variants):
        escaped = name.replace("_", "\\_")
        keras = [line for line in summary.splitlines() if line.startswith(f"| {escaped} |") and "| keras |" in line]
        assert len(keras) == 1, summary
        # the ratio pairs runs of one machine (the case's with most ok runs: fast-box, first of a tie), never
        # a slow-box keras run against a fast-box scratchnet run (that would read 100x to 400x)
        assert re.search(r"\| 4× (\[|n/a)", keras[0]), keras[0]


def test_a_grid_of_two_settings_has_its_table_but_no_figure(tmp_path):
    """No figure with fewer than three points: two learning rates are a table row pair, not a line."""
    results = tmp_path / "r"
    variants = expand([CASES["neuron3-batch-tanh"]], {"learning_rate": ["0.05", "0.5"]})
    run_suite(variants, frameworks=("scratchnet",), n_seeds=1, results_dir=results, parity=False, epochs=2,
              progress=False)
    paths = build_report(results, tmp_path / "out")
    assert not [p for p in paths.figures if p.name.startswith("grid_")]
    assert (tmp_path / "out" / "tables" / "grid.csv").is_file()
