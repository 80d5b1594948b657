"""The tutorial-claims section: each claimed test MSE against the measured runs.

``claims_blocks(res)`` renders, for every case of ``cases.csv`` with a
non-empty ``claim``, the claim, measured medians for scratchnet, the Keras twin
and the tutorial's published model (cases whose ``tutorial_of`` names it), and
a verdict: the claim holds when it lies inside the 95 % CI of the scratchnet
median or within ``CLAIM_REL_TOL`` of it.
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from ..schema import MODES, RUN_KEY
from .blocks import Block, Bullets, Heading, kv, para, table_block
from .formatting import DASH, fmt_int, fmt_interval, fmt_mse
from .stats import median_ci
from .summary import convergence_cell, median_ci_cell
from .tables import Results, finite_values, median_of, ok_runs, ordered, select


CLAIM_REL_TOL = 0.05


def _mse_at_epoch(res: Results, ok: pd.DataFrame, epoch: float) -> str:
    if not np.isfinite(epoch):
        return DASH
    keys = ok[list(RUN_KEY)]
    rows = res.epochs.merge(keys, on=list(RUN_KEY), how="inner")
    values = finite_values(rows.loc[rows["epoch"] == epoch, "test_mse"])
    return fmt_mse(median_of(values))


def _claim_rows(res: Results, label: str, case: str, fw: str, epoch: float,
                note: str) -> list[tuple[str, ...]]:
    modes = ordered(select(res.runs, case=case, framework=fw)["mode"], MODES)
    if not modes:
        return [(label, case, DASH, "not run", DASH, DASH, DASH, note)]
    rows = []
    for mode in modes:
        runs = select(res.runs, case=case, framework=fw, mode=mode)
        ok = ok_runs(runs)
        rows.append((label, case, mode, f"{len(ok)}/{len(runs)}",
                     median_ci_cell(finite_values(ok["test_mse"])), _mse_at_epoch(res, ok, epoch),
                     convergence_cell(ok), note))
    return rows


def _claim_verdict(res: Results, case: str, claimed: float) -> str:
    if not np.isfinite(claimed):
        return "no numeric claim to check"
    runs = select(res.runs, case=case, framework="scratchnet")
    modes = [m for m in ordered(runs["mode"], ("native", "parity"))
             if finite_values(ok_runs(select(runs, mode=m))["test_mse"]).size]
    if not modes:
        return "cannot be checked: no successful scratchnet run"
    values = finite_values(ok_runs(select(runs, mode=modes[0]))["test_mse"])
    med = median_of(values)
    lo, hi = median_ci(values)
    within_ci = np.isfinite(lo) and lo <= claimed <= hi
    within_tol = abs(claimed - med) <= CLAIM_REL_TOL * abs(med)
    measured = (f"measured scratchnet median {fmt_mse(med)} (95% CI "
                f"{fmt_interval(lo, hi, fmt_mse)}, {modes[0]} mode, n={values.size})")
    if within_ci:
        return f"holds: claimed {fmt_mse(claimed)} lies inside the 95% CI of the {measured}"
    if within_tol:
        return f"holds: claimed {fmt_mse(claimed)} is within 5% of the {measured}"
    off = f"; off by {(claimed - med) / med:+.1%}" if med else ""
    return f"does not hold: claimed {fmt_mse(claimed)} vs {measured}{off}"


def _claim_blocks_for(res: Results, meta: pd.Series) -> list[Block]:
    case, epoch, claimed = meta["case"], meta["claim_epochs"], meta["claim_test_mse"]
    companions = [c for c in select(res.cases, tutorial_of=case)["case"] if c and c != case]
    rows = _claim_rows(res, "scratchnet", case, "scratchnet", epoch, "")
    rows += _claim_rows(res, "Keras twin", case, "keras", epoch, "equivalent model")
    for other in companions:
        rows += _claim_rows(res, "published model (Keras)", other, "keras", epoch,
                            "not equivalent: the tutorial's own model")
    epoch_label = f"epoch {fmt_int(epoch)}" if np.isfinite(epoch) else "claimed epoch"
    headers = ("Model", "Case", "Mode", "Runs ok", "Median test MSE [95% CI]",
               f"Median test MSE at {epoch_label}", "Convergence epoch", "Note")
    return [
        Heading(3, case),
        Bullets((
            kv("Claim", f"“{meta['claim']}”"),
            kv("Source", meta["source"] or "unknown"),
            kv("Claimed test MSE", fmt_mse(claimed)),
            kv("Claimed epochs", fmt_int(epoch)),
        )),
        table_block(headers, rows),
        para(("b", "Verdict:"), f" {_claim_verdict(res, case, claimed)}"),
    ]


def claims_blocks(res: Results) -> list[Block]:
    claimed = res.cases[res.cases["claim"] != ""]
    if claimed.empty:
        return []
    blocks: list[Block] = [
        Heading(2, "Tutorial claims"),
        para("A claim holds when the claimed test MSE lies within the 95% CI of the measured "
              "scratchnet median, or within 5% of that median."),
    ]
    for _, meta in claimed.iterrows():
        blocks += _claim_blocks_for(res, meta)
    return blocks
