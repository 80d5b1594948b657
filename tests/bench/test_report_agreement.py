"""The parity section's table of every contender against scratchnet, seed by seed."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from scratchnet.bench.report.blocks import Table
from scratchnet.bench.report.parity_table import agreement_blocks, agreement_rows
from scratchnet.bench.report.tables import load_results

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"


def _with_contenders(res, factor_by_framework):
    """Copies of scratchnet's parity runs and their epochs under other names, test MSE scaled."""
    sn = res.runs[(res.runs["framework"] == "scratchnet") & (res.runs["mode"] == "parity")]
    sn_epochs = res.epochs[(res.epochs["framework"] == "scratchnet") & (res.epochs["mode"] == "parity")]
    runs, epochs = [res.runs], [res.epochs]
    for fw, factor in factor_by_framework.items():
        for frame, out in ((sn, runs), (sn_epochs, epochs)):
            rows = frame.copy()
            rows["framework"] = fw
            rows["test_mse"] = pd.to_numeric(rows["test_mse"]) * factor
            out.append(rows)
    return dataclasses.replace(res, runs=pd.concat(runs, ignore_index=True), epochs=pd.concat(epochs, ignore_index=True))


def test_each_contender_is_paired_seed_by_seed_with_its_formula_note():
    res = _with_contenders(load_results(FIXTURE), {"tf-loop": 1.0, "torch": 1.0 + 2e-3})
    rows = {(fw, opt): (cases, pairs, worst) for fw, opt, cases, pairs, worst in agreement_rows(res)}
    assert rows[("tf-loop", "sgd")][2] == 0.0
    assert rows[("torch", "sgd")][2] == pytest.approx(2e-3, rel=1e-9)
    assert rows[("torch", "sgd")][1] == 5  # five seeds of the one parity case
    table = next(b for b in agreement_blocks(res) if isinstance(b, Table))
    notes = {r[0]: r[-1] for r in table.rows}
    assert "rounding only" in notes["torch"] and "Keras' order" in notes["tf-loop"]


def test_no_contender_no_table():
    res = load_results(FIXTURE)
    res = dataclasses.replace(res, runs=res.runs[res.runs["framework"] == "scratchnet"])
    assert agreement_blocks(res) == []
