"""Sections comparing scratchnet with Keras: speed ratios and the test-MSE test.

``speed_blocks(res)``: per case and mode, median seconds per epoch of both
frameworks, their ratio with a bootstrap CI, the parity state and whether the
ratio is comparable (only when parity passed and the case is equivalent).
``significance_blocks(res)``: Mann-Whitney U and Welch's t on the ok seeds'
test MSE of both frameworks.
"""
from __future__ import annotations


import numpy as np
from .blocks import Block, Heading, para, table_block
from .formatting import fmt_interval, fmt_mse, fmt_p, fmt_ratio, fmt_time, mode_label
from .parity_table import parity_state
from .stats import MIN_RUNS_FOR_TEST, N_RESAMPLES, compare_mse, ratio_ci, ratio_of_medians
from .tables import (
    Results, case_order, finite_values, is_equivalent, median_of, modes_of, ok_runs, select,
)


def _comparability(res: Results, case: str, state: str, sizes: dict[str, int]) -> str:
    if is_equivalent(res, case) is False:
        return "not equivalent by design"
    missing = [fw for fw, n in sizes.items() if n == 0]
    if missing:
        return f"n/a (no ok {' / '.join(missing)} timing)"
    if state == "pass":
        return "comparable"
    reason = "parity failed" if state == "fail" else "parity not checked"
    return f"not comparable ({reason})"


def _speed_row(res: Results, case: str, mode: str) -> tuple[str, ...]:
    runs = select(res.runs, case=case, mode=mode)
    sn = finite_values(ok_runs(select(runs, framework="scratchnet"))["seconds_per_epoch"])
    kr = finite_values(ok_runs(select(runs, framework="keras"))["seconds_per_epoch"])
    lo, hi = ratio_ci(kr, sn)
    state, parity_cell = parity_state(res, case)
    return (case, mode_label(mode), fmt_time(median_of(sn)), fmt_time(median_of(kr)),
            fmt_ratio(ratio_of_medians(kr, sn)), fmt_interval(lo, hi, fmt_ratio), parity_cell,
            _comparability(res, case, state, {"scratchnet": sn.size, "keras": kr.size}))


def speed_blocks(res: Results) -> list[Block]:
    headers = ("Case", "Mode", "scratchnet time per epoch", "Keras time per epoch",
               "Keras/scratchnet", "95% CI", "Parity", "Comparison")
    rows = [_speed_row(res, case, mode) for case in case_order(res) for mode in modes_of(res, case)]
    note = para("Ratio of median seconds per epoch (above 1: scratchnet is faster). CI: seeds "
                 f"of each framework resampled independently, {N_RESAMPLES} resamples, "
                 "percentile interval. A ratio is called comparable only when the case's "
                 "parity check passed.")
    return [Heading(2, "Speed"), note, table_block(headers, rows)]


def ok_test_mse(res: Results, case: str, mode: str, fw: str) -> np.ndarray:
    return finite_values(ok_runs(select(res.runs, case=case, mode=mode, framework=fw))["test_mse"])


def _significance_row(res: Results, case: str, mode: str) -> tuple[str, ...]:
    sn = ok_test_mse(res, case, mode, "scratchnet")
    kr = ok_test_mse(res, case, mode, "keras")
    p_mwu, p_welch, verdict = compare_mse(sn, kr)
    label = case if is_equivalent(res, case) is not False else f"{case} (not equivalent by design)"
    return (label, mode_label(mode), str(sn.size), str(kr.size), fmt_mse(median_of(sn)),
            fmt_mse(median_of(kr)), fmt_p(p_mwu), fmt_p(p_welch), verdict)


def significance_blocks(res: Results) -> list[Block]:
    headers = ("Case", "Mode", "ok runs scratchnet", "ok runs Keras", "scratchnet median test MSE",
               "Keras median test MSE", "Mann-Whitney U p", "Welch t p", "Verdict")
    rows = [_significance_row(res, c, m) for c in case_order(res) for m in modes_of(res, c)]
    note = para("Test MSE of the ok seeds of both frameworks; two-sided Mann-Whitney U gives the "
                 "verdict, Welch's t is shown alongside. \"too few runs\": fewer than "
                 f"{MIN_RUNS_FOR_TEST} per side; \"identical\": every value equal (both tests "
                 "undefined).")
    return [Heading(2, "Test MSE: scratchnet vs Keras"), note, table_block(headers, rows)]
