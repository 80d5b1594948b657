"""The per-mode summary section: one row per case, mode and framework.

``summary_blocks(res)`` lists runs ok, test MSE median with its 95 % CI, train
MSE, convergence, time to target, time per epoch and step, first epoch, peak
memory and the status counts, all medians over ok seeds. The cell helpers
(``median_ci_cell``, ``convergence_cell``) are reused by other sections.
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from scratchnet.bench.store.schema import STATUSES
from scratchnet.bench.report.blocks import Block, Heading, para, table_block
from scratchnet.bench.report.formatting import (DASH, NA, fmt_cost, fmt_interval, fmt_mib, fmt_mse, fmt_num, fmt_time,
    mode_label)
from scratchnet.bench.report.convergence import convergence_cell as censored_convergence_cell
from scratchnet.bench.report.convergence import time_to_target_cell
from scratchnet.bench.report.stats import median_ci
from scratchnet.bench.report.tables import (Results, finite_values, groups, median_of, ok_runs, ordered,
    timing_only)


SUMMARY_HEADERS = (
    "Case", "Mode", "Framework", "Runs ok", "Test MSE median [95% CI]", "Train MSE median",
    "Epochs to target (converged/ok)", "Time to target", "Time per epoch",
    "Time per step", "First epoch", "Peak memory", "Status",
)


def median_ci_cell(values: np.ndarray) -> str:
    if values.size == 0:
        return NA
    if values.size == 1:
        return f"{fmt_mse(values[0])} (CI n/a)"
    lo, hi = median_ci(values)
    return f"{fmt_mse(median_of(values))} {fmt_interval(lo, hi, fmt_mse)}"


def convergence_cell(ok: pd.DataFrame) -> str:
    """Censored epochs to the shared target (``report.convergence``); "timing only" for runs
    that stopped before their epoch budget on purpose."""
    if not ok.empty and timing_only(ok):
        done = ok["epochs_run"].to_numpy(dtype=float)
        return f"timing only ({fmt_num(done.max())} of {fmt_num(ok['epochs'].max())} epochs)"
    return censored_convergence_cell(ok)


def _status_cell(runs: pd.DataFrame) -> str:
    counts = runs.loc[runs["status"] != "ok", "status"].value_counts()
    if counts.empty:
        return "ok"
    order = ordered(counts.index, STATUSES)
    return ", ".join(f"{counts[s]} {s}" for s in order)


def _summary_row(case: str, mode: str, fw: str, runs: pd.DataFrame) -> tuple[str, ...]:
    key = (case, mode_label(mode), fw)
    if runs.empty:
        return (*key, "not run", *([DASH] * (len(SUMMARY_HEADERS) - 5)), "not run")
    ok = ok_runs(runs)
    med = lambda col: median_of(finite_values(ok[col]))  # noqa: E731
    return (
        *key,
        f"{len(ok)}/{len(runs)}",
        median_ci_cell(finite_values(ok["test_mse"])),
        fmt_mse(med("train_mse")),
        convergence_cell(ok),
        NA if not ok.empty and timing_only(ok) else time_to_target_cell(ok),
        fmt_time(med("seconds_per_epoch")),
        fmt_cost(med("seconds_per_step")),
        fmt_time(med("first_epoch_seconds")),
        fmt_mib(med("peak_memory_mb")),
        _status_cell(runs),
    )


def summary_blocks(res: Results) -> list[Block]:
    rows = [_summary_row(*group) for group in groups(res)]
    note = para("One row per case, mode and framework. Medians over the seeds whose run "
                 "finished ok; \"First epoch\" includes Keras' graph tracing.")
    return [Heading(2, "Summary"), note, table_block(SUMMARY_HEADERS, rows, csv="summary.csv")]
