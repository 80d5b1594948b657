"""Sections comparing scratchnet with every other framework: speed ratios, MSE tests.

``speed_blocks(res)``: per case, mode and framework, median seconds per epoch of
scratchnet and the framework, their ratio with a bootstrap CI, the two parts of the
cost model (cost per step and its ratio, fixed cost per epoch; ``report.costs``), the
parity state and whether the ratio is comparable (only when parity passed and the case
is equivalent). ``significance_blocks(res)``: Mann-Whitney U and Welch's t on the ok
seeds' test MSE, only for pairs whose runs can differ (``runs_differ``).
"""
from __future__ import annotations


import numpy as np
import pandas as pd
from scratchnet.bench.report.blocks import Block, Heading, para, table_block
from scratchnet.bench.report.formatting import fmt_interval, fmt_mse, fmt_p, fmt_ratio, fmt_time, mode_label
from scratchnet.bench.report.parity_table import parity_state
from scratchnet.bench.report.stats import (MIN_RUNS_FOR_TEST, N_RESAMPLES, compare_mse, ratio_ci,
    ratio_of_medians)
from scratchnet.bench.report.tables import (REFERENCE_FRAMEWORK, Results, by_host, case_order, finite_values,
    frameworks_of, is_equivalent, execution_text, median_of, modes_of, ok_runs, select, timing_only)

# Frameworks whose parity-mode runs repeat scratchnet's numbers by construction.
PARITY_TWINS = ("keras", "tf-loop", "keras-default")  # Keras' arithmetic, Keras' order: same numbers


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


def _seconds(runs: pd.DataFrame, column: str = "seconds_per_epoch") -> np.ndarray:
    return finite_values(ok_runs(runs)[column])


def _speed_row(res: Results, case: str, mode: str, fw: str, host: str = "", runs=None) -> tuple[str, ...]:
    runs = select(res.runs, case=case, mode=mode) if runs is None else runs
    sn = _seconds(select(runs, framework=REFERENCE_FRAMEWORK))
    other_runs = select(runs, framework=fw)
    other = _seconds(other_runs)
    lo, hi = ratio_ci(other, sn)
    state, parity_cell = parity_state(res, case)
    if other_runs.empty:
        other_time = "not run"
    elif not len(ok_runs(other_runs)):
        other_time = str(other_runs["status"].value_counts().index[0])
    else:
        other_time = fmt_time(median_of(other))
    reference_runs = select(runs, framework=REFERENCE_FRAMEWORK)
    step = {name: _seconds(r, "seconds_per_step") for name, r in (("sn", reference_runs), ("fw", other_runs))}
    fixed = {name: _seconds(r, "epoch_overhead_seconds") for name, r in (("sn", reference_runs), ("fw", other_runs))}
    return (f"{case} @ {host}" if host else case, mode_label(mode), fw, execution_text(other_runs),
            fmt_time(median_of(sn)), other_time,
            f"{fmt_ratio(ratio_of_medians(other, sn))} {fmt_interval(lo, hi, fmt_ratio)}",
            fmt_time(median_of(step["sn"])), fmt_time(median_of(step["fw"])),
            fmt_ratio(ratio_of_medians(step["fw"], step["sn"])),
            fmt_time(median_of(fixed["sn"])), fmt_time(median_of(fixed["fw"])),
            f"{parity_cell}: {_comparability(res, case, state, {REFERENCE_FRAMEWORK: sn.size, fw: other.size})}")


def speed_blocks(res: Results) -> list[Block]:
    """Section builder: every framework's time per epoch against scratchnet's, per case and mode."""
    headers = ("Case", "Mode", "Framework", "Keras setting", "scratchnet time per epoch",
               "Framework time per epoch", "Framework/scratchnet [95% CI]", "scratchnet per step",
               "Framework per step", "Per step framework/scratchnet", "scratchnet fixed cost per epoch",
               "Framework fixed cost per epoch", "Parity: comparison")
    short = ("Case", "Mode", "Framework", "Keras setting", "scratchnet", "framework", "× [95% CI]",
             "scratchnet", "framework", "×", "scratchnet", "framework", "Parity: comparison")
    header_groups = (("", 4), ("Time per epoch", 3), ("Cost per step", 3), ("Fixed cost per epoch", 2), ("", 1))
    others = [fw for fw in frameworks_of(res) if fw != REFERENCE_FRAMEWORK]
    rows = []
    for case in case_order(res):
        for mode in modes_of(res, case):
            groups = by_host(select(res.runs, case=case, mode=mode))  # ratios pair runs of one host only
            rows += [_speed_row(res, case, mode, fw, host if len(groups) > 1 else "", runs)
                     for host, runs in groups for fw in others]
    note = para("Ratio of median seconds per epoch (above 1: scratchnet is faster); per step and fixed "
                "cost per epoch: the two parts of the cost model (see Fixed cost per epoch and cost per "
                "step), medians over ok seeds. CI: seeds "
                f"of each framework resampled independently, {N_RESAMPLES} resamples, "
                "percentile interval. A ratio is called comparable only when the case's "
                "parity check passed. Keras setting: the steps_per_execution and jit_compile "
                "the runs used (keras: the fastest in its calibration, see keras_calibration.json; "
                "keras-default: compile()'s defaults).")
    return [Heading(2, "Speed"), note, table_block(headers, rows, header_groups, short, csv="speed.csv")]


def ok_test_mse(res: Results, case: str, mode: str, fw: str) -> np.ndarray:
    return finite_values(ok_runs(select(res.runs, case=case, mode=mode, framework=fw))["test_mse"])


def runs_differ(mode: str, fw: str) -> bool:
    """Whether scratchnet's and ``fw``'s runs can differ in ``mode``.

    In parity mode the Keras twin starts from the same weights and batch order and
    computes the same numbers (that is what the parity check verifies), so a test of
    their MSE says nothing; every other pair, and every pair in native mode, is tested.
    """
    return not (mode == "parity" and fw in PARITY_TWINS)


def _significance_row(res: Results, case: str, mode: str, fw: str) -> tuple[str, ...]:
    sn = ok_test_mse(res, case, mode, REFERENCE_FRAMEWORK)
    other = ok_test_mse(res, case, mode, fw)
    p_mwu, p_welch, verdict = compare_mse(sn, other)
    label = case if is_equivalent(res, case) is not False else f"{case} (not equivalent by design)"
    return (label, mode_label(mode), fw, str(sn.size), str(other.size), fmt_mse(median_of(sn)),
            fmt_mse(median_of(other)), fmt_p(p_mwu), fmt_p(p_welch), verdict)


def _measures_mse(res: Results, case: str, mode: str, fw: str) -> bool:
    """Whether ``fw`` has ok runs of ``case`` that trained the case's epochs (a capped timing
    contender or an unsupported framework has no test MSE to compare)."""
    ok = ok_runs(select(res.runs, case=case, mode=mode, framework=fw))
    return len(ok) > 0 and not timing_only(ok)


def significance_blocks(res: Results) -> list[Block]:
    """Section builder: test MSE of scratchnet against each framework, where runs differ."""
    headers = ("Case", "Mode", "Framework", "ok runs scratchnet", "ok runs framework",
               "scratchnet median test MSE", "Framework median test MSE", "Mann-Whitney U p",
               "Welch t p", "Verdict")
    others = [fw for fw in frameworks_of(res) if fw != REFERENCE_FRAMEWORK]
    rows = [_significance_row(res, c, m, fw) for c in case_order(res) for m in modes_of(res, c)
            for fw in others if runs_differ(m, fw) and _measures_mse(res, c, m, fw)]
    note = para("Only where the runs can differ: native mode, and in parity mode every "
                "framework but the parity-checked Keras twins, keras and keras-default (identical "
                "by construction); frameworks with no full-length ok run (unsupported, or a "
                "timing contender capped at a few epochs) are left out. "
                "Test MSE of the ok seeds; two-sided Mann-Whitney U gives the verdict, Welch's "
                f"t is shown alongside. \"too few runs\": fewer than {MIN_RUNS_FOR_TEST} per "
                "side; \"identical\": every value equal (both tests undefined).")
    if not rows:
        return [Heading(2, "Test MSE significance"), note,
                para("No pair of frameworks whose runs can differ was recorded.")]
    return [Heading(2, "Test MSE significance"), note, table_block(headers, rows, csv="significance.csv")]
