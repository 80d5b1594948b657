"""The parity section and the per-case parity state other sections rely on.

``parity_state(res, case)`` -> ("pass" | "fail" | "not checked", cell text);
``parity_blocks(res)`` renders ``parity.csv`` as one row per case and dtype.
"""
from __future__ import annotations


import pandas as pd
from .blocks import Block, Heading, para, table_block
from .formatting import DASH, NA, fmt_int, fmt_sci
from .tables import Results, finite_values, parse_flag, select


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
    head: list[Block] = [Heading(2, "Parity")]
    if res.parity.empty:
        return [*head, para("No parity check recorded (parity.csv missing or empty).")]
    headers = ("Case", "dtype", "Epochs", "Batch size", "Rows", "Gradient error",
               "Max abs weight drift", "Max rel weight drift", "Max loss diff", "Gradient tol",
               "Weight tol", "Result", "Worst layer", "Message")
    rows = [_parity_row(r) for _, r in res.parity.iterrows()]
    note = para("Same initial weights and batch order in both frameworks; gradient error before "
                 "training, weight drift after the last epoch.")
    return [*head, note, table_block(headers, rows)]
