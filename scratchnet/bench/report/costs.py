"""The speed story in two parts: each framework's fixed cost per epoch and its cost per step.

Every ok run records ``epoch_overhead_seconds`` and ``seconds_per_step`` (the cost model of
:mod:`scratchnet.bench.measures.cost_model`: ``time = overhead + steps x per-step``).

* :func:`case_costs` -- one row per main case and framework (its first mode with a cost model, parity
  first; one machine per case): medians over ok seeds of steps per epoch, measured and predicted epoch
  time, per-step cost, overhead, step share, and the model's error (predicted / measured - 1).
* :func:`step_ratios` -- per case and framework, its median cost per step over scratchnet's with the
  bootstrap CI, and whether the case is *step-dominated* for the pair: for BOTH frameworks the steps
  take at least ``STEP_DOMINATED_SHARE`` of a modelled epoch. Only there does a per-epoch ratio measure
  training; elsewhere it measures the larger fixed cost.
* :func:`cost_blocks` -- the section: a log-log figure of time per epoch against steps per epoch (each
  framework's line from its median overhead and per-step cost) and one row per framework, with how well
  the model predicts the measured epochs (its worst case named).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scratchnet.bench.measures.cost_model import predicted_epoch_seconds, step_share
from scratchnet.bench.report.blocks import Block, Image, para, section, table_block
from scratchnet.bench.report.formatting import BELOW_NOISE, NA, fmt_cost, fmt_ratio, fmt_time
from scratchnet.bench.report.plotting import framework_color, framework_marker, png
from scratchnet.bench.report.stats import ratio_ci, ratio_of_medians
from scratchnet.bench.report.tables import (REFERENCE_FRAMEWORK, Results, main_cases, median_of, modes_of, ok_runs,
                                            once_per_results, run_frameworks, same_host_runs, select)

STEP_DOMINATED_SHARE = 0.5
MODEL_TOLERANCE = 0.25  # the model's epoch time within 25 % of the measured median: "fits"
COST_FIGURE = "cost_model.png"
CASE_COST_COLUMNS = ("case", "mode", "framework", "runs", "steps_per_epoch", "seconds_per_epoch",
                     "predicted_seconds_per_epoch", "model_error", "seconds_per_step",
                     "epoch_overhead_seconds", "step_share")


COST_INPUTS = ["epoch_overhead_seconds", "seconds_per_step", "steps_per_epoch", "seconds_per_epoch"]


def _modelled(res: Results) -> pd.DataFrame:
    """The main cases' ok runs with a finite cost model and epoch time, one machine per case, with each run's
    predicted epoch time and step share."""
    runs = ok_runs(same_host_runs(res).runs)  # one host's runs per case
    runs = runs[runs["case"].isin(main_cases(res)) & np.isfinite(runs[COST_INPUTS].to_numpy(dtype=float)).all(axis=1)]
    o, s, n = (runs[c].to_numpy(dtype=float) for c in COST_INPUTS[:3])
    return runs.assign(predicted=predicted_epoch_seconds(o, s, n), share=step_share(o, s, n))


@once_per_results
def case_costs(res: Results, every_mode: bool = False) -> pd.DataFrame:
    """One row per main case and framework with a cost model (module docstring); with
    ``every_mode``, one per (case, framework, mode): the groups the model's check covers."""
    runs = _modelled(res)
    table = runs.groupby(["case", "mode", "framework"], sort=False).agg(
        runs=("seed", "size"), steps_per_epoch=("steps_per_epoch", "median"),
        seconds_per_epoch=("seconds_per_epoch", "median"), predicted_seconds_per_epoch=("predicted", "median"),
        seconds_per_step=("seconds_per_step", "median"), epoch_overhead_seconds=("epoch_overhead_seconds", "median"),
        step_share=("share", "median")).reset_index()
    table["model_error"] = table["predicted_seconds_per_epoch"] / table["seconds_per_epoch"] - 1.0
    # case, framework and mode order; one mode per case and framework: the first (primary) one it has runs in
    pairs = {pair: i for i, pair in enumerate((c, f) for c in main_cases(res) for f in run_frameworks(res))}
    order = [(pairs[c, f], modes_of(res, c).index(m))
             for c, f, m in zip(table["case"], table["framework"], table["mode"])]
    table = table.iloc[sorted(range(len(table)), key=order.__getitem__)]
    table = table if every_mode else table.drop_duplicates(["case", "framework"])
    return table[list(CASE_COST_COLUMNS)].reset_index(drop=True)


@once_per_results
def step_ratios(res: Results) -> pd.DataFrame:
    """Per main case and framework other than scratchnet (in the framework's mode of
    :func:`case_costs`): median per-step cost over scratchnet's, its 95 % CI, the per-epoch
    ratio, and whether the case is step-dominated for the pair (the two run sets compared)."""
    runs = _modelled(res)
    rows = []
    for r in case_costs(res).itertuples():
        mine = select(runs, case=r.case, mode=r.mode, framework=r.framework)
        sn = select(runs, case=r.case, mode=r.mode, framework=REFERENCE_FRAMEWORK)
        if r.framework == REFERENCE_FRAMEWORK or sn.empty:
            continue
        a, b = mine["seconds_per_step"].to_numpy(dtype=float), sn["seconds_per_step"].to_numpy(dtype=float)
        rows.append((r.case, r.mode, r.framework, ratio_of_medians(a, b), *ratio_ci(a, b),
                     ratio_of_medians(mine["seconds_per_epoch"].to_numpy(dtype=float),
                                      sn["seconds_per_epoch"].to_numpy(dtype=float)),
                     bool(min(sn["share"].median(), r.step_share) >= STEP_DOMINATED_SHARE)))
    return pd.DataFrame(rows, columns=["case", "mode", "framework", "step_ratio", "ci_low", "ci_high",
                                       "epoch_ratio", "step_dominated"])


def _cost_figure(costs: pd.DataFrame) -> Image | None:
    if costs.empty:
        return None
    fws = list(dict.fromkeys(costs["framework"]))
    fig = Figure(figsize=(5.2, 3.4))
    ax = fig.add_subplot()
    steps = costs["steps_per_epoch"].to_numpy(dtype=float)
    grid = np.geomspace(max(1.0, steps.min() / 1.5), steps.max() * 1.5, 200)
    for fw in fws:
        rows = costs[costs["framework"] == fw]
        color = framework_color(fw, fws)
        ax.plot(rows["steps_per_epoch"], rows["seconds_per_epoch"], framework_marker(fw), color=color,
                markersize=5, alpha=0.85, label=fw, linestyle="none")
        o = max(float(np.median(rows["epoch_overhead_seconds"])), 0.0)
        s = float(np.median(rows["seconds_per_step"]))
        ax.plot(grid, o + grid * s, color=color, linewidth=1.2, alpha=0.9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("optimizer steps per epoch (log)", fontsize=8)
    ax.set_ylabel("seconds per epoch (log)", fontsize=8)
    ax.tick_params(which="both", labelsize=7)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    caption = ("Median time per epoch against steps per epoch, one marker per case and framework; "
               "each line is that framework's median fixed cost per epoch + steps × its median cost "
               "per step over the cases (cases differ in network size, so markers scatter around it). "
               "Where a line is flat, the fixed cost dominates the epoch.")
    return Image(COST_FIGURE, caption, png(fig), anchor="cost-model-figure")


def _framework_row(fw: str, rows: pd.DataFrame, ratios: pd.DataFrame, checked: pd.DataFrame) -> tuple[str, ...]:
    """The framework's costs over ``rows`` (a case each) and the model's check over ``checked``
    (a (case, mode) group each)."""
    worst = checked.iloc[int(np.argmax(np.abs(checked["model_error"].to_numpy(dtype=float))))]
    mine = ratios[(ratios["framework"] == fw) & ratios["step_dominated"]]["step_ratio"].to_numpy(dtype=float)
    errors = np.abs(checked["model_error"].to_numpy(dtype=float))
    return (fw, str(len(rows)),
            f"{fmt_cost(median_of(rows['epoch_overhead_seconds'].to_numpy(dtype=float)))} "
            f"({fmt_cost(rows['epoch_overhead_seconds'].min())} to {fmt_cost(rows['epoch_overhead_seconds'].max())})",
            f"{fmt_cost(rows['seconds_per_step'].min())} to {fmt_cost(rows['seconds_per_step'].max())}",
            fmt_ratio(median_of(mine)) + f" ({mine.size} cases)" if mine.size else NA,
            f"{median_of(errors):.0%}; within {MODEL_TOLERANCE:.0%}: {int(np.sum(errors <= MODEL_TOLERANCE))} "
            f"of {errors.size}",
            f"{worst['case']}{'' if worst['mode'] == 'parity' else ' (' + worst['mode'] + ')'}: "
            f"{fmt_time(worst['predicted_seconds_per_epoch'])} predicted, "
            f"{fmt_time(worst['seconds_per_epoch'])} measured ({worst['model_error']:+.0%})")


def cost_blocks(res: Results) -> list[Block]:
    """Section builder: fixed cost per epoch and cost per step per framework, the figure, the check."""
    costs = case_costs(res)
    title = "Fixed cost per epoch and cost per step"
    if costs.empty:
        return section(title, "No run recorded the cost model (fixed cost per epoch, cost per step).")
    ratios = step_ratios(res)
    headers = ("Framework", "Cases", "Fixed cost per epoch: median (range)", "Cost per step (range)",
               "Per step ÷ scratchnet, step-dominated cases (median)", "Model error: median |e|; case/mode groups within",
               "Worst case of the model check")
    checked = case_costs(res, every_mode=True)  # the model's check: every (case, framework, mode) group
    table = table_block(headers, [_framework_row(fw, costs[costs["framework"] == fw], ratios,
                                                 checked[checked["framework"] == fw])
                                  for fw in dict.fromkeys(costs["framework"])], anchor="cost-model-table")
    note = para("Each run's epoch time is modelled as a fixed cost per epoch plus a cost per optimizer step, "
                "both measured after training from extra epochs of several lengths timed as the run's own "
                "epochs were (definitions: scratchnet/bench/measures/cost_model.py); "
                f"{BELOW_NOISE}: a part whose fit came out negative, below the timing noise. "
                "The check: the model's epoch time, "
                "overhead + steps per epoch × per step, against the median epoch time the runs recorded "
                "(medians over seeds, per case and mode: native mode included). A case is step-dominated for a pair when "
                f"steps take at least {STEP_DOMINATED_SHARE:.0%} of both frameworks' modelled epochs.")
    figure = _cost_figure(costs)
    compiled = _compile_note(res)
    fixed = costs.groupby("framework")["epoch_overhead_seconds"].median().dropna()
    errors = np.abs(checked["model_error"].to_numpy(dtype=float))
    answer = (f"Fixed cost per epoch from {fmt_time(fixed.min())} ({fixed.idxmin()}) to {fmt_time(fixed.max())} "
              f"({fixed.idxmax()}); " if len(fixed) else "") + (
        f"fixed cost + steps × cost per step predicts {int(np.sum(errors <= MODEL_TOLERANCE))} of {errors.size} "
        f"measured epoch times within {MODEL_TOLERANCE:.0%}.")
    return section(title, answer, *([figure] if figure else []), table, note, *([compiled] if compiled else []))


def _compile_note(res: Results):
    """scratchnet-jit's compile time, a fixed cost outside every figure above, said apart."""
    runs = ok_runs(select(res.runs, framework="scratchnet-jit"))
    seconds = runs["compile_seconds"].dropna()
    if not len(seconds):
        return None
    return para(f"scratchnet-jit compiles before its run (numba, {len(seconds)} runs): the first compile of a dtype "
                f"took {fmt_time(float(seconds.max()))}; later processes load the machine code numba cached on disk "
                f"(median {fmt_time(float(seconds.median()))}). Outside every timed figure (compile_seconds).")
