"""The Summary section: one row per case, mode and framework, every per-run figure in one table.

``summary_blocks(res)`` gives, as medians over the ok seeds: runs ok, test MSE with its 95 % CI,
train MSE, epochs and time to the shared target (censored, ``report.convergence``), how many runs
were still improving, time per epoch and its ratio to scratchnet's (bootstrap CI, runs of the
case's main machine only), the cost model's two parts (cost per step and its ratio, fixed cost per
epoch; ``report.costs``), first epoch, peak memory, how the framework executed, the parity state
and whether a ratio is comparable (parity passed, case equivalent), and the test MSE against
scratchnet's (Mann-Whitney U for the verdict, Welch's t shown) where the two runs can differ (not the
Keras twins in parity mode: the same numbers by construction). A detail table: ``tables/summary.csv``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from scratchnet.bench.report.blocks import Block, para, section, table_block
from scratchnet.bench.report.convergence import convergence_cell, improving, time_to_target_cell
from scratchnet.bench.report.formatting import (DASH, NA, fmt_cost, fmt_interval, fmt_mib, fmt_mse,
                                                fmt_ratio, fmt_sci, fmt_time, mode_label)
from scratchnet.bench.report.missing import FAILED_STATUSES
from scratchnet.bench.report.parity_table import parity_state
from scratchnet.bench.report.stats import (MIN_RUNS_FOR_TEST, N_RESAMPLES, compare_mse, median_ci, ratio_ci,
                                           ratio_of_medians)
from scratchnet.bench.report.tables import (PARITY_TWINS, REFERENCE_FRAMEWORK, Results, execution_text,
                                            finite_values, groups, is_equivalent, median_of, ok_runs, ordered,
                                            run_frameworks, same_host_runs, select, timing_only)
from scratchnet.bench.store.schema import STATUSES

SUMMARY_HEADERS = (
    "Case", "Mode", "Framework", "Runs ok", "Test MSE median [95% CI]", "Train MSE median",
    "Epochs to target (converged/ok)", "Time to target", "Still improving", "Time per epoch",
    "Time per epoch ÷ scratchnet [95% CI]", "Time per step", "Time per step ÷ scratchnet", "Fixed cost per epoch",
    "First epoch", "Peak memory", "Execution", "Parity: comparison", "Mann-Whitney U p", "Welch t p",
    "Test MSE vs scratchnet", "Status")


def median_ci_cell(values: np.ndarray) -> str:
    if values.size == 0:
        return NA
    if values.size == 1:
        return f"{fmt_mse(values[0])} (CI n/a)"
    lo, hi = median_ci(values)
    return f"{fmt_mse(median_of(values))} {fmt_interval(lo, hi, fmt_mse)}"


def _comparability(res: Results, case: str, state: str, fw: str, sizes: tuple[int, int]) -> str:
    if fw == REFERENCE_FRAMEWORK:
        return "reference"
    if is_equivalent(res, case) is False:
        return "not equivalent by design"
    if not all(sizes):
        return f"n/a (no ok {REFERENCE_FRAMEWORK if not sizes[0] else fw} timing)"
    if state == "pass":
        return "comparable"
    return f"not comparable ({'parity failed' if state == 'fail' else 'parity not checked'})"


def _speed_cells(res: Results, timed: Results, case: str, mode: str, fw: str) -> list[str]:
    """Ratios to scratchnet (time per epoch with CI, per step) on the case's main machine, and the parity cell."""
    of = lambda f, col: finite_values(ok_runs(select(timed.runs, case=case, mode=mode, framework=f))[col])  # noqa: E731
    sn, other = of(REFERENCE_FRAMEWORK, "seconds_per_epoch"), of(fw, "seconds_per_epoch")
    state, parity_cell = parity_state(res, case)
    parity = f"{parity_cell}: {_comparability(res, case, state, fw, (sn.size, other.size))}"
    if fw == REFERENCE_FRAMEWORK:
        return [DASH, DASH, parity]
    lo, hi = ratio_ci(other, sn)
    step = ratio_of_medians(of(fw, "seconds_per_step"), of(REFERENCE_FRAMEWORK, "seconds_per_step"))
    return [f"{fmt_ratio(ratio_of_medians(other, sn))} {fmt_interval(lo, hi, fmt_ratio)}", fmt_ratio(step), parity]


def _test_cells(res: Results, case: str, mode: str, fw: str, ok: pd.DataFrame) -> list[str]:
    """Mann-Whitney U p, Welch p and the verdict of the test MSE against scratchnet's, where runs can differ."""
    if fw == REFERENCE_FRAMEWORK or ok.empty or timing_only(ok):
        return [DASH, DASH, DASH]
    if mode == "parity" and fw in PARITY_TWINS:  # same weights, batch order and maths: the parity check's subject
        return [DASH, DASH, "not tested: the same maths (parity twin)"]
    sn = finite_values(ok_runs(select(res.runs, case=case, mode=mode, framework=REFERENCE_FRAMEWORK))["test_mse"])
    p_mwu, p_welch, verdict = compare_mse(sn, finite_values(ok["test_mse"]))
    return [fmt_sci(p_mwu), fmt_sci(p_welch), verdict]


def _summary_row(res: Results, timed: Results, case: str, mode: str, fw: str, runs: pd.DataFrame) -> tuple[str, ...]:
    key = (case, mode_label(mode), fw)
    if runs.empty:
        return (*key, "not run", *([DASH] * (len(SUMMARY_HEADERS) - 5)), "not run")
    ok = ok_runs(runs)
    med = lambda col: median_of(finite_values(ok[col]))  # noqa: E731
    still, known = improving(ok)
    speed = _speed_cells(res, timed, case, mode, fw)
    failed = runs.loc[runs["status"] != "ok", "status"].value_counts()
    capped = not ok.empty and timing_only(ok)  # stopped early on purpose: no comparable MSE or convergence
    mse = ["timing only"] * 2 if capped else [median_ci_cell(finite_values(ok["test_mse"])), fmt_mse(med("train_mse"))]
    return (*key, f"{len(ok)}/{len(runs)}", *mse, convergence_cell(ok), NA if capped else time_to_target_cell(ok),
            f"{still}/{known}" if known else NA, fmt_time(med("seconds_per_epoch")), speed[0],
            fmt_cost(med("seconds_per_step")), speed[1], fmt_cost(med("epoch_overhead_seconds")),
            fmt_time(med("first_epoch_seconds")), fmt_mib(med("peak_memory_mb")), execution_text(runs) or DASH,
            speed[2], *_test_cells(res, case, mode, fw, ok), ", ".join(f"{failed[s]} {s}" for s in ordered(
                failed.index, STATUSES)) or "ok")


def _answer(res: Results, rows: list[tuple[str, ...]]) -> str:
    status = res.runs["status"].astype(str)
    verdicts = [row[-2] for row in rows]
    differ = sum(v.startswith("significant") for v in verdicts)
    tested = sum(v.startswith(("significant", "no significant")) for v in verdicts)
    return (f"{int((status == 'ok').sum())} ok runs of {res.runs['case'].nunique()} cases and "
            f"{len(run_frameworks(res))} frameworks ({int((status == 'unsupported').sum())} unsupported, "
            f"{int(status.isin(FAILED_STATUSES).sum())} failed); test MSE differs from {REFERENCE_FRAMEWORK}'s "
            f"(Mann-Whitney U, p < 0.05) in {differ} of {tested} tested pairs.")


def summary_blocks(res: Results) -> list[Block]:
    """Section builder: the per case, mode and framework table (module docstring)."""
    timed = same_host_runs(res)  # ratios pair runs of one machine only
    rows = [_summary_row(res, timed, *group) for group in groups(res)]
    note = para(
        "One row per case, mode and framework; medians over the seeds whose run finished ok. \"First epoch\" "
        "includes Keras' graph tracing; time per step and fixed cost per epoch are the cost model's two parts "
        "(section Fixed cost per epoch and cost per step). Ratios above 1: scratchnet is faster; CI: seeds of each "
        f"framework resampled independently, {N_RESAMPLES} resamples, percentile interval; a ratio is comparable "
        "only when the case's parity check passed. Execution: the steps_per_execution and jit_compile the runs "
        "used (keras: the fastest in its calibration, keras_calibration.json; keras-default: compile()'s "
        "defaults). Test MSE against scratchnet's: two-sided Mann-Whitney U gives the verdict, Welch's t is "
        f"shown; not tested where the runs cannot differ (the Keras twins in parity mode); \"too few runs\": "
        f"fewer than {MIN_RUNS_FOR_TEST} a side; \"identical\": every value equal.")
    return section("Summary", _answer(res, rows), note, table_block(SUMMARY_HEADERS, rows, csv="summary.csv"))
