"""The top of the report: the answer first.

``lead_blocks(res)`` is a section builder giving, in this order, the summary figure
(per case: every framework's cost per optimizer step relative to scratchnet's -- the cost
model's ``seconds_per_step``, see ``report.costs`` -- median ratio with its 95 % bootstrap
CI, log scale; cases whose parity check passed drawn with filled markers, cases where the
fixed cost per epoch dominates marked) beside one compact table with one row per case:
scratchnet's test MSE, convergence epoch and time per epoch and every other framework's
per-step ratio to scratchnet; then, folded, the same figures for every framework.

Each case is summarised in its primary mode (``tables.primary_mode``: parity when
the case has parity runs). Every framework label present in runs.csv gets a column,
in ``tables.PREFERRED_FRAMEWORKS`` order. A cell of a framework without an ok run
says why: "not run", or the runs' status ("unsupported", "diverged", ...). A
framework whose ok runs stopped before the asked epochs (timing-only runs, e.g.
keras-default) shows "timing only" instead of MSE and convergence.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scratchnet.bench.report.blocks import Block, Collapsed, Columns, Heading, Image, para, table_block
from scratchnet.bench.report.formatting import NA, fmt_mse, fmt_ratio, fmt_time, mode_label
from scratchnet.bench.report.convergence import compact_convergence_cell
from scratchnet.bench.report.parity_table import parity_state
from scratchnet.bench.report.costs import step_ratios
from scratchnet.bench.report.plotting import framework_color, framework_marker, png
from scratchnet.bench.report.stats import ratio_ci, ratio_of_medians
from scratchnet.bench.report.tables import (REFERENCE_FRAMEWORK, Results, main_cases, finite_values,
    median_of, modes_of, ok_runs, primary_mode, run_frameworks, same_host_runs, select, timing_only)

SUMMARY_FIGURE = "summary_speed.png"
SHORT_NAMES = {"scratchnet": "sn", "keras": "keras", "tf-loop": "tf-loop", "torch": "torch", "keras-default": "k-def",
               "sklearn": "skl"}


def _short(fw: str) -> str:
    return SHORT_NAMES.get(fw, fw)


def _seconds(runs: pd.DataFrame, column: str = "seconds_per_epoch") -> np.ndarray:
    values = finite_values(ok_runs(runs)[column])
    return values[values > 0]


def _per_step(runs: pd.DataFrame) -> np.ndarray:
    return _seconds(runs, "seconds_per_step")


def _why_empty(runs: pd.DataFrame) -> str:
    """Cell text for a group without an ok run: "not run" or its most frequent status."""
    if runs.empty:
        return "not run"
    counts = runs["status"].value_counts()
    return str(counts.index[0])


def _mse_cell(runs: pd.DataFrame) -> str:
    ok = ok_runs(runs)
    if ok.empty:
        return _why_empty(runs)
    if timing_only(ok):
        return "timing only"
    return fmt_mse(median_of(finite_values(ok["test_mse"])))


def _convergence_cell(runs: pd.DataFrame) -> str:
    ok = ok_runs(runs)
    if ok.empty:
        return _why_empty(runs)
    if timing_only(ok):
        return "timing only"
    return compact_convergence_cell(ok)


def _time_cell(runs: pd.DataFrame) -> str:
    values = _seconds(runs)
    return fmt_time(median_of(values)) if values.size else _why_empty(runs) if ok_runs(
        runs).empty else NA


def _ratio_cell(runs: pd.DataFrame, reference: np.ndarray) -> str:
    values = _per_step(runs)
    if not values.size:
        return _why_empty(runs) if ok_runs(runs).empty else NA
    return fmt_ratio(ratio_of_medians(values, reference)) if reference.size else NA


def _group(res: Results, case: str, mode: str, fw: str) -> tuple[pd.DataFrame, str]:
    """The runs of ``fw`` on ``case`` in ``mode``, or, when it has none there, in its first
    mode that has runs; the second value is that other mode ("" when ``mode`` was used)."""
    runs = select(res.runs, case=case, mode=mode, framework=fw)
    if len(runs):
        return runs, ""
    for other in modes_of(res, case):
        runs = select(res.runs, case=case, mode=other, framework=fw)
        if len(runs):
            return runs, other
    return runs, ""


def _noted(cell: str, other_mode: str) -> str:
    return f"{cell} ({other_mode})" if other_mode else cell


def _mode_cell(res: Results, case: str, mode: str) -> str:
    state = parity_state(res, case)[0]
    mark = {"pass": " ✓", "fail": " ✗"}.get(state, "")
    return f"{mode_label(mode)}{mark}"


def _rows(res: Results, per_framework: bool) -> list[tuple[str, ...]]:
    """One row per main case: the compact row (scratchnet's figures, every other framework's
    per-step ratio) or, with ``per_framework``, every framework's MSE, convergence and time."""
    fws = run_frameworks(res)
    others = [fw for fw in fws if fw != REFERENCE_FRAMEWORK]
    shown = fws if per_framework else [REFERENCE_FRAMEWORK]
    rows = []
    timed_res = same_host_runs(res)  # times and ratios pair runs of one host only
    for case in main_cases(res):
        mode = primary_mode(res, case)
        runs = {fw: _group(res, case, mode, fw) for fw in shown}
        timed = {fw: _group(timed_res, case, mode, fw) for fw in fws}  # times: one host's runs
        cells = [case, _mode_cell(res, case, mode),
                 *(_noted(_mse_cell(r), m) for r, m in (runs[fw] for fw in shown)),
                 *(_noted(_convergence_cell(r), m) for r, m in (runs[fw] for fw in shown)),
                 *(_noted(_time_cell(r), m) for r, m in (timed[fw] for fw in shown))]
        if not per_framework:
            reference = {m: _per_step(select(timed_res.runs, case=case, mode=m or mode,
                                             framework=REFERENCE_FRAMEWORK))
                         for m in {other for _, other in timed.values()}}
            cells += [_noted(_ratio_cell(r, reference[m]), m) for r, m in (timed[fw] for fw in others)]
        rows.append(tuple(cells))
    return rows


def _headers(fws: list[str], others: list[str]) -> tuple[list[str], list[str], list[tuple[str, int]]]:
    headers = ["Case", "Mode (parity check)"]
    short = ["case", "mode"]
    groups: list[tuple[str, int]] = [("", 1), ("", 1)]
    for label in ("Test MSE", "Convergence epoch", "Time per epoch"):
        headers += [f"{label}: {fw}" for fw in fws]
        short += [_short(fw) for fw in fws] if len(fws) > 1 else [label.split()[0].lower()]
        groups.append((label if len(fws) > 1 else "", len(fws)))
    if others:
        headers += [f"Time per step {fw}/{REFERENCE_FRAMEWORK}" for fw in others]
        short += [_short(fw) for fw in others]
        groups.append(("× scratchnet time per step", len(others)))
    if len(fws) == 1:
        groups = [("", 1)] * (2 + 3) + groups[5:]
        short[2:5] = ["test MSE", "conv. epoch", "time / epoch"]
    return headers, short, groups


def _names(fws: list[str]) -> str:
    names = ", ".join(f"{_short(fw)} = {fw}" for fw in fws if _short(fw) != fw)
    return f" Columns: {names}." if names else ""


def summary_table(res: Results) -> list[Block]:
    """The compact per-case table: scratchnet's test MSE, convergence epoch and time per
    epoch, and every other framework's cost per step relative to scratchnet's."""
    fws = run_frameworks(res)
    others = [fw for fw in fws if fw != REFERENCE_FRAMEWORK]
    headers, short, groups = _headers([REFERENCE_FRAMEWORK], others)
    note = para("One row per case in its primary mode (parity when run; ✓ parity check passed, "
                "✗ failed: every contender's weights, loss and test MSE against scratchnet's, see "
                "Parity); a framework not run in that mode shows its other mode, named in "
                "brackets (ratios then against scratchnet in that mode). Test MSE, convergence "
                "epoch and time per epoch are scratchnet's (every framework's are in the table "
                "below). Medians over ok seeds; convergence epoch: to the case's shared target "
                "loss, a seed that never reached it counting as later than any epoch; \"(k/n)\": "
                "k of n ok seeds converged; \"> N\": half or more did not reach it within N "
                "epochs; \"× scratchnet time per step\": median cost of one optimizer step (the "
                "cost model's, without the fixed cost per epoch) divided by scratchnet's (above "
                "1: scratchnet is faster)." + _names(others))
    return [table_block(headers, _rows(res, per_framework=False), groups, short,
                        anchor="summary-table"), note]


def framework_table(res: Results) -> list[Block]:
    """Every framework's test MSE, convergence epoch and time per epoch, one row per case."""
    fws = run_frameworks(res)
    headers, short, groups = _headers(fws, [])
    note = para("Medians over ok seeds, in the row's mode (another mode in brackets); "
                "\"timing only\": the framework trained a timing budget, not the asked epochs "
                "(keras-default), so it has no comparable MSE or convergence." + _names(fws))
    return [table_block(headers, _rows(res, per_framework=True), groups, short,
                        anchor="framework-table"), note]


def _ratio_points(res: Results) -> list[tuple[str, str, float, float, float, bool, bool]]:
    """(case, framework, per-step ratio, ci low, ci high, parity passed, step-dominated) for
    every drawable pair."""
    points = []
    others = [fw for fw in run_frameworks(res) if fw != REFERENCE_FRAMEWORK]
    timed_res = same_host_runs(res)  # ratios pair runs of one host only
    dominated = {(r.case, r.framework): r.step_dominated for r in step_ratios(res).itertuples()}
    for case in main_cases(res):
        mode = primary_mode(res, case)
        reference = _per_step(select(timed_res.runs, case=case, mode=mode, framework=REFERENCE_FRAMEWORK))
        passed = parity_state(res, case)[0] == "pass"
        for fw in others:
            runs, other_mode = _group(timed_res, case, mode, fw)
            values = _per_step(runs)
            base = reference if not other_mode else _per_step(select(
                timed_res.runs, case=case, mode=other_mode, framework=REFERENCE_FRAMEWORK))
            ratio = ratio_of_medians(values, base) if base.size else float("nan")
            if values.size and np.isfinite(ratio) and ratio > 0:
                lo, hi = ratio_ci(values, base)
                points.append((case, fw, ratio, lo, hi, passed, dominated.get((case, fw), True)))
    return points


def summary_figure(res: Results) -> Image | None:
    """Per case: each framework's cost per step relative to scratchnet's (log scale, 95% CI)."""
    points = _ratio_points(res)
    if not points:
        return None
    cases = list(dict.fromkeys(p[0] for p in points))
    fws = list(dict.fromkeys(p[1] for p in points))
    # narrow and about as tall as the table beside it (one row per case), so the two sit side by side
    fig = Figure(figsize=(2.9, 1.2 + 0.13 * len(cases) * max(1, len(fws)) ** 0.5))
    ax = fig.add_subplot()
    step = 0.6 / max(1, len(fws))
    fixed_cost = {case for case, *_, dominated in points if not dominated}
    for case, fw, ratio, lo, hi, passed, _ in points:
        y = cases.index(case) + (fws.index(fw) - (len(fws) - 1) / 2) * step
        color = framework_color(fw, fws)
        if np.isfinite(lo) and np.isfinite(hi) and lo > 0:
            ax.hlines(y, lo, hi, color=color, linewidth=1.6)
        ax.plot(ratio, y, framework_marker(fw), color=color, markersize=6,
                markerfacecolor=color if passed else "white", markeredgewidth=1.4)
    for fw in fws:
        ax.plot([], [], framework_marker(fw), color=framework_color(fw, fws),
                label=f"{fw} / {REFERENCE_FRAMEWORK}")
    ax.plot([], [], "o", color="gray", markerfacecolor="white",
            label="hollow: no passed parity check")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(range(len(cases)), [f"{c} *" if c in fixed_cost else c for c in cases], fontsize=7)
    ax.set_ylim(len(cases) - 0.5, -0.5)
    ax.set_xlabel("cost per optimizer step ÷ scratchnet's (×, log scale)\n"
                  "right of 1: scratchnet faster; *: fixed cost per epoch dominates", fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    ax.legend(fontsize=6.5, loc="lower center", bbox_to_anchor=(0.5, 1.02), ncol=2,
              frameon=False)
    caption = ("Cost per optimizer step ÷ scratchnet's, per case (fixed cost per epoch excluded; "
               "median, 95% bootstrap CI; filled: parity passed; *: a fixed cost dominates the epoch)")
    return Image(SUMMARY_FIGURE, caption, png(fig), anchor="summary-figure")


def lead_blocks(res: Results) -> list[Block]:
    """Section builder: the summary figure beside the compact per-case table, then its notes."""
    table, note = summary_table(res)
    figure = summary_figure(res)
    if figure is None:
        return [Heading(2, "Results per case"), table, note, *framework_table(res),
                para(f"No speed ratio to draw: no case has ok timings of "
                     f"{REFERENCE_FRAMEWORK} and another framework.")]
    return [Heading(2, "Results per case"), Columns((figure, table)),
            Collapsed("How to read this table: modes, medians, convergence, ratios", (note,)),
            Collapsed("Every framework per case: test MSE, convergence epoch, time per epoch",
                      tuple(framework_table(res)))]
