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
from scratchnet.bench.report.tables import Results, finite_values, parse_flag, select


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


def _parity_row(row: pd.Series) -> tuple[str, ...]:
    flag = parse_flag(row["passed"])
    result = "pass" if flag is True else ("fail" if flag is False else "unknown")
    return (row["case"], row["dtype"], fmt_int(row["epochs"]), fmt_int(row["batch_size"]),
            fmt_int(row["n_rows"]), fmt_sci(row["grad_error"]),
            fmt_sci(row["max_abs_weight_drift"]), fmt_sci(row["max_rel_weight_drift"]),
            fmt_sci(row["max_loss_diff"]), fmt_sci(row["grad_tol"]),
            fmt_sci(row["weight_tol"]), result, row["worst_layer"] or DASH,
            row["message"] or DASH)


def parity_blocks(res: Results) -> list[Block]:
    from scratchnet.bench.report.tables import main_cases

    states = [parity_state(res, c)[0] for c in main_cases(res)]
    drift = finite_values(res.parity["max_rel_weight_drift"])
    answer = (f"{states.count('pass')} of {len(states)} cases pass the parity gate against Keras"
              + (f"; largest relative weight drift {fmt_sci(float(drift.max()))}." if drift.size else "."))
    if res.parity.empty:
        return section("Parity", answer, para("No parity check recorded (parity.csv missing or empty)."))
    headers = ("Case", "dtype", "Epochs", "Batch size", "Rows", "Gradient error",
               "Max abs weight drift", "Max rel weight drift", "Max loss diff", "Gradient tol",
               "Weight tol", "Result", "Worst layer", "Message")
    rows = [_parity_row(r) for _, r in res.parity.iterrows()]
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


def _formula_note(fw: str, optimizer: str) -> str:
    return FORMULA_NOTES.get((fw, optimizer)) or FORMULA_NOTES.get((fw, ""), "")


def agreement_rows(res: Results) -> list[tuple[str, str, int, int, float]]:
    """(framework, optimizer, cases, seed pairs, max |test MSE / scratchnet's - 1|) over the main
    cases' ok parity-mode runs, pairing each framework's run with scratchnet's of the same seed AT THE
    SAME EPOCH (``epochs.csv``): a timing contender capped at 3 epochs is compared at those 3."""
    from scratchnet.bench.report.tables import REFERENCE_FRAMEWORK, main_cases, ok_runs, run_frameworks

    runs = ok_runs(select(res.runs, mode="parity"))
    optimizer = {c: str(o).split("(")[0].lower() for c, o in zip(res.cases["case"], res.cases["optimizer"])}
    epochs = select(res.epochs, mode="parity")[["case", "framework", "seed", "epoch", "test_mse"]]
    epochs = epochs.assign(seed=epochs["seed"].astype(str), test_mse=pd.to_numeric(epochs["test_mse"], errors="coerce"))
    out: dict[tuple[str, str], list] = {}
    for case in main_cases(res):
        mine = epochs[epochs["case"] == case]
        ref = mine[mine["framework"] == REFERENCE_FRAMEWORK]
        ok = select(runs, case=case)
        for fw in run_frameworks(res):
            if fw == REFERENCE_FRAMEWORK:
                continue
            seeds = set(select(ok, framework=fw)["seed"].astype(str)) & set(
                select(ok, framework=REFERENCE_FRAMEWORK)["seed"].astype(str))
            other = mine[(mine["framework"] == fw) & mine["seed"].isin(seeds)]
            pairs = other.merge(ref, on=["seed", "epoch"], suffixes=("", "_ref"))
            if pairs.empty:
                continue
            rel = np.abs(pairs["test_mse"].to_numpy(dtype=float) / pairs["test_mse_ref"].to_numpy(dtype=float) - 1.0)
            entry = out.setdefault((fw, optimizer.get(case, "")), [set(), 0, 0.0])
            entry[0].add(case)
            entry[1] += pairs["seed"].nunique()
            entry[2] = max(entry[2], float(np.nanmax(rel)) if np.isfinite(rel).any() else math.nan)
    return [(fw, opt, len(v[0]), v[1], v[2]) for (fw, opt), v in out.items()]


def agreement_blocks(res: Results) -> list[Block]:
    """Every contender's parity-mode test MSE against scratchnet's, seed by seed, with the formula reason."""
    rows = agreement_rows(res)
    if not rows:
        return []
    table = [(fw, opt or DASH, str(n_cases), str(n_pairs), fmt_sci(worst), _formula_note(fw, opt) or DASH)
             for fw, opt, n_cases, n_pairs, worst in rows]
    return [Heading(3, "Every contender against scratchnet in parity mode"),
            para("Same initial weights and batch order; the largest relative difference of the test MSE from "
                 "scratchnet's run of the same seed after the same epoch, per framework and optimizer. Where a framework's "
                 "formula differs from Keras', the difference is measured here, not hidden by a tolerance."),
            table_block(("Framework", "Optimizer", "Cases", "Seed pairs", "Max |test MSE / scratchnet - 1|",
                         "Why they can differ"), table)]
