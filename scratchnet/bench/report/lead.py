"""The top of the report: the answer first.

``lead_blocks(res)``: the summary figure (per case, every framework's cost per optimizer step over
scratchnet's -- ``costs.step_ratios``: median, 95 % bootstrap CI, log scale; filled markers where the
parity check passed; cases where the fixed cost per epoch dominates marked) beside one row per case:
scratchnet's test MSE, convergence epoch and time per epoch and every other framework's per-step ratio
(every framework's figures: the Summary section). Each case in its primary mode (parity when run); a
ratio from the framework's other mode names it; a framework without an ok run shows why ("not run",
"unsupported", ...).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scratchnet.bench.report.blocks import Block, Collapsed, Columns, Image, para, section, table_block
from scratchnet.bench.report.formatting import NA, fmt_mse, fmt_ratio, fmt_time, mode_label
from scratchnet.bench.report.convergence import compact_convergence_cell
from scratchnet.bench.report.parity_table import parity_state
from scratchnet.bench.report.costs import step_ratios
from scratchnet.bench.report.headline_text import fastest_per_epoch
from scratchnet.bench.report.plotting import framework_color, framework_marker, png
from scratchnet.bench.report.tables import (REFERENCE_FRAMEWORK, Results, main_cases, finite_values, median_of,
                                            ok_runs, primary_mode, run_frameworks, same_host_runs, select)

SUMMARY_FIGURE = "summary_speed.png"
SHORT_NAMES = {"scratchnet": "sn", "keras": "keras", "tf-loop": "tf-loop", "torch": "torch", "keras-default": "k-def",
               "sklearn": "skl"}


def _short(fw: str) -> str:
    return SHORT_NAMES.get(fw, fw)


def _status(runs: pd.DataFrame) -> str:
    """Why a group has no figure: "not run", or its runs' most frequent status ("" when some run was ok)."""
    if runs.empty:
        return "not run"
    return "" if len(ok_runs(runs)) else str(runs["status"].value_counts().index[0])


def _scratchnet_cells(ok: pd.DataFrame, runs: pd.DataFrame) -> list[str]:
    """scratchnet's test MSE, convergence epoch and time per epoch (medians over ok seeds)."""
    if _status(runs):
        return [_status(runs)] * 3
    return [fmt_mse(median_of(finite_values(ok["test_mse"]))), compact_convergence_cell(ok),
            fmt_time(median_of(finite_values(ok["seconds_per_epoch"])))]


def _ratio_cell(res: Results, ratios: pd.DataFrame, case: str, mode: str, fw: str) -> str:
    """``fw``'s cost per step over scratchnet's (``costs.step_ratios``), its mode named when not the case's."""
    row = ratios[(ratios["case"] == case) & (ratios["framework"] == fw)]
    if row.empty:
        return _status(select(res.runs, case=case, framework=fw)) or NA
    cell, other = fmt_ratio(float(row["step_ratio"].iloc[0])), row["mode"].iloc[0]
    return f"{cell} ({other})" if other != mode else cell


def _rows(res: Results) -> list[tuple[str, ...]]:
    """One row per main case: scratchnet's figures and every other framework's per-step ratio."""
    others = [fw for fw in run_frameworks(res) if fw != REFERENCE_FRAMEWORK]
    ratios, timed = step_ratios(res), same_host_runs(res)  # times and ratios pair runs of one host only
    rows = []
    for case in main_cases(res):
        mode = primary_mode(res, case)
        mine = select(timed.runs, case=case, mode=mode, framework=REFERENCE_FRAMEWORK)
        state = {"pass": " ✓", "fail": " ✗"}.get(parity_state(res, case)[0], "")
        rows.append((case, f"{mode_label(mode)}{state}", *_scratchnet_cells(ok_runs(mine), mine),
                     *(_ratio_cell(res, ratios, case, mode, fw) for fw in others)))
    return rows


def summary_table(res: Results) -> list[Block]:
    """The compact per-case table: scratchnet's test MSE, convergence epoch and time per
    epoch, and every other framework's cost per step relative to scratchnet's."""
    others = [fw for fw in run_frameworks(res) if fw != REFERENCE_FRAMEWORK]
    headers = ["Case", "Mode (parity check)", *(f"{h}: {REFERENCE_FRAMEWORK}" for h in
                                                ("Test MSE", "Convergence epoch", "Time per epoch")),
               *(f"Time per step {fw}/{REFERENCE_FRAMEWORK}" for fw in others)]
    short = ["case", "mode", "test MSE", "conv. epoch", "time / epoch", *(_short(fw) for fw in others)]
    groups = [("", 1)] * 5 + ([("× scratchnet time per step", len(others))] if others else [])
    names = ", ".join(f"{_short(fw)} = {fw}" for fw in others if _short(fw) != fw)
    note = para("One row per case in its primary mode (parity when run; ✓ parity check passed, "
                "✗ failed: every contender's weights, loss and test MSE against scratchnet's, see "
                "Parity); a framework not run in that mode shows its other mode, named in "
                "brackets (ratios then against scratchnet in that mode). Test MSE, convergence epoch and time "
                "per epoch are scratchnet's (every framework's are in the Summary table). Medians over ok "
                "seeds; convergence epoch: to the case's shared target loss, a seed that never reached it "
                "counting as later than any epoch; \"(k/n)\": k of n ok seeds converged; \"> N\": half or "
                "more did not reach it within N epochs; \"× scratchnet time per step\": median cost of one "
                "optimizer step (the cost model's, without the fixed cost per epoch) divided by scratchnet's "
                "(above 1: scratchnet is faster; ≈0: below the timing noise)."
                + (f" Columns: {names}." if names else ""))
    return [table_block(headers, _rows(res), groups, short, anchor="summary-table"), note]


def summary_figure(res: Results) -> Image | None:
    """Per case: each framework's cost per step relative to scratchnet's (log scale, 95% CI)."""
    ratios = step_ratios(res)
    ratios = ratios[ratios["step_ratio"] > 0]
    if ratios.empty:
        return None
    cases, fws = list(dict.fromkeys(ratios["case"])), list(dict.fromkeys(ratios["framework"]))
    # narrow and about as tall as the table beside it (one row per case), so the two sit side by side
    fig = Figure(figsize=(2.9, 1.2 + 0.13 * len(cases) * max(1, len(fws)) ** 0.5))
    ax = fig.add_subplot()
    step = 0.6 / max(1, len(fws))
    fixed_cost = set(ratios.loc[~ratios["step_dominated"], "case"])
    for r in ratios.itertuples():
        y = cases.index(r.case) + (fws.index(r.framework) - (len(fws) - 1) / 2) * step
        color = framework_color(r.framework, fws)
        if np.isfinite(r.ci_low) and np.isfinite(r.ci_high) and r.ci_low > 0:
            ax.hlines(y, r.ci_low, r.ci_high, color=color, linewidth=1.6)
        ax.plot(r.step_ratio, y, framework_marker(r.framework), color=color, markersize=6, markeredgewidth=1.4,
                markerfacecolor=color if parity_state(res, r.case)[0] == "pass" else "white")
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
    caption = ("Cost per optimizer step ÷ scratchnet's, per case (fixed cost per epoch excluded; median, 95% "
               "bootstrap CI; filled: parity passed; *: a fixed cost dominates the epoch; a cost below the timing "
               "noise, ≈0 in the table, has no point)")
    return Image(SUMMARY_FIGURE, caption, png(fig), anchor="summary-figure")


def _answer(res: Results) -> str:
    wins = fastest_per_epoch(res)
    ranked = sorted(((won, fw) for fw, (won, _) in wins.items() if won), key=lambda t: -t[0])
    if not ranked:
        return "No case has ok timings yet."
    return f"Fastest per epoch, of {len(main_cases(res))} cases: {', '.join(f'{fw} in {won}' for won, fw in ranked)}."


def lead_blocks(res: Results) -> list[Block]:
    """Section builder: the summary figure beside the compact per-case table, then its notes."""
    table, note = summary_table(res)
    figure = summary_figure(res)
    if figure is None:
        return section("Results per case", _answer(res), table, note,
                       para(f"No speed ratio to draw: no case has ok timings of "
                            f"{REFERENCE_FRAMEWORK} and another framework."))
    return section("Results per case", _answer(res), Columns((figure, table)),
                   Collapsed("How to read this table: modes, medians, convergence, ratios", (note,)))
