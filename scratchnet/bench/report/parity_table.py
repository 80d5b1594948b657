"""The parity section and the per-case parity state other sections rely on.

``parity_state(res, case)`` -> ("pass" | "fail" | "not checked", cell text);
``parity_blocks(res)`` renders ``parity.csv`` as one row per case and dtype.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from scratchnet.bench.report.blocks import Block, Heading, para, section, table_block
from scratchnet.bench.report.formatting import DASH, NA, fmt_int, fmt_sci
from scratchnet.bench.report.tables import (REFERENCE_FRAMEWORK, Results, finite_values, framework_order, main_cases,
                                            ok_runs, once_per_results, parse_flag, select)


def parity_state(res: Results, case: str) -> tuple[str, str]:
    """("pass" | "fail" | "not checked", cell text with worst gradient error and drift)."""
    rows = select(res.parity, case=case)
    if rows.empty:
        return "not checked", "not checked"
    flags = [parse_flag(v) for v in rows["passed"]]
    if any(f is False for f in flags):
        state = "fail"
    elif all(f is True for f in flags):
        state = "pass"
    else:
        state = "not checked"
    grad = finite_values(rows["grad_error"])
    drift = finite_values(rows["max_abs_weight_drift"])
    worst_grad = fmt_sci(grad.max()) if grad.size else NA
    worst_drift = fmt_sci(drift.max()) if drift.size else NA
    return state, f"{state} (grad error {worst_grad}, max abs drift {worst_drift})"


def parity_blocks(res: Results) -> list[Block]:
    states = [parity_state(res, c)[0] for c in main_cases(res)]
    drift = finite_values(res.parity["max_rel_weight_drift"])
    answer = (f"{states.count('pass')} of {len(states)} cases pass the parity gate against Keras"
              + (f"; largest relative weight drift {fmt_sci(float(drift.max()))}." if drift.size else "."))
    if res.parity.empty:
        return section("Parity", answer, para("No parity check recorded (parity.csv missing or empty)."))
    headers = ("Case", "dtype", "Epochs", "Batch size", "Rows", "Gradient error",
               "Max abs weight drift", "Max rel weight drift", "Max loss diff", "Gradient tol",
               "Weight tol", "Result", "Worst layer", "Message")
    result = {True: "pass", False: "fail"}
    rows = [(r.case, r.dtype, fmt_int(r.epochs), fmt_int(r.batch_size), fmt_int(r.n_rows),
             *(fmt_sci(x) for x in (r.grad_error, r.max_abs_weight_drift, r.max_rel_weight_drift, r.max_loss_diff,
                                    r.grad_tol, r.weight_tol)),
             result.get(parse_flag(r.passed), "unknown"), r.worst_layer or DASH, r.message or DASH)
            for r in res.parity.itertuples()]
    note = para("Same initial weights and batch order in both frameworks; gradient error before "
                 "training, weight drift after the last epoch.")
    return section("Parity", answer, note, table_block(headers, rows, csv="parity_gate.csv"), *agreement_blocks(res))


# Why a contender's parity-mode numbers may differ from scratchnet's (the formulas; the sizes are measured)
FORMULA_NOTES: dict[tuple[str, str], str] = {
    ("keras", ""): "Keras itself (the gate above)",
    ("keras-default", ""): "Keras itself, default execution",
    ("scratchnet-jit", ""): "scratchnet's formulas compiled with numba: exp/tanh and summation order are not "
                            "NumPy's, rounding only",
    ("tf-loop", ""): "Keras' arithmetic in Keras' order, hand-written in TensorFlow",
    ("torch", "sgd"): "same maths; PyTorch keeps b = m b + g and steps w -= lr b (Keras: v = m v - lr g, w += v): "
                      "rounding only",
    ("torch", "adam"): "PyTorch adds eps to sqrt(v)/sqrt(1-b2^t) (Keras: to sqrt(v)) and uses the exact betas "
                       "(Keras' powers: float32-rounded)",
    ("torch", "rmsprop"): "PyTorch divides by sqrt(v) + eps (Keras: sqrt(v + eps))",
    ("sklearn", "sgd"): "same maths; squared error halved, learning rate doubled to match",
    ("sklearn", "adam"): "scikit-learn's bias corrections use the exact betas (Keras: float32-rounded)",
}


@once_per_results
def parity_mse_pairs(res: Results) -> pd.DataFrame:
    """Every contender's parity-mode test MSE against scratchnet's run of the same seed AT THE SAME EPOCH
    (``epochs.csv``, ok runs of the main cases): case, framework, optimizer, seed, epoch and
    ``rel`` = |test MSE / scratchnet's - 1|. A timing contender capped at 3 epochs is compared at those 3."""
    ok = ok_runs(select(res.runs, mode="parity"))[["case", "framework", "seed"]]
    epochs = select(res.epochs, mode="parity").merge(ok, on=["case", "framework", "seed"])
    epochs = epochs[epochs["case"].isin(main_cases(res))][["case", "framework", "seed", "epoch", "test_mse"]]
    mine = epochs["framework"] == REFERENCE_FRAMEWORK
    pairs = epochs[~mine].merge(epochs[mine].drop(columns="framework"), on=["case", "seed", "epoch"],
                                suffixes=("", "_ref"))
    optimizer = {c: str(o).split("(")[0].lower() for c, o in zip(res.cases["case"], res.cases["optimizer"])}
    return pairs.assign(rel=np.abs(pairs["test_mse"] / pairs["test_mse_ref"] - 1.0),
                        optimizer=pairs["case"].map(optimizer).fillna(""))


def agreement_rows(res: Results) -> list[tuple[str, str, int, int, float]]:
    """(framework, optimizer, cases, seed pairs, max |test MSE / scratchnet's - 1|) over :func:`parity_mse_pairs`."""
    pairs = parity_mse_pairs(res)
    rows = []
    for (fw, opt), g in pairs.groupby(["framework", "optimizer"], sort=False):
        rel = g["rel"].to_numpy(dtype=float)
        rows.append((fw, opt, g["case"].nunique(), int(g.groupby("case")["seed"].nunique().sum()),
                     float(np.nanmax(rel)) if np.isfinite(rel).any() else math.nan))
    order = framework_order(pairs["framework"])
    return sorted(rows, key=lambda r: order.index(r[0]))


def agreement_blocks(res: Results) -> list[Block]:
    """Every contender's parity-mode test MSE against scratchnet's, seed by seed, with the formula reason."""
    rows = agreement_rows(res)
    if not rows:
        return []
    table = [(fw, opt or DASH, str(n_cases), str(n_pairs), fmt_sci(worst),
              FORMULA_NOTES.get((fw, opt)) or FORMULA_NOTES.get((fw, ""), DASH))
             for fw, opt, n_cases, n_pairs, worst in rows]
    return [Heading(3, "Every contender against scratchnet in parity mode"),
            para("Same initial weights and batch order; the largest relative difference of the test MSE from "
                 "scratchnet's run of the same seed after the same epoch, per framework and optimizer. Where a framework's "
                 "formula differs from Keras', the difference is measured here, not hidden by a tolerance."),
            table_block(("Framework", "Optimizer", "Cases", "Seed pairs", "Max |test MSE / scratchnet - 1|",
                         "Why they can differ"), table)]
