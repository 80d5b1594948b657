"""The Convergence section: shared targets, still-improving cases and the time-to-event figure,
and the convergence cells of the per-case tables.

The runs arrive re-measured against the shared target of their case and mode (``tables.load_results``
calls :func:`scratchnet.bench.measures.targets.remeasure`). Cells: ``compact_convergence_cell`` (the
per-case table: ``"61"``, ``"61 (3/5)"``, ``"> 200 (2/5)"``), ``convergence_cell`` (the Summary table:
``"61 (5/5)"``, a seed that never reached the target counting as later than any epoch; ``"> 200 epochs
(0/5)"``; ``"median not reached (2/5 by 200)"``). ``convergence_blocks`` is the section: the rule, the
targets (one row per case and mode, how each was set), the cases still improving for most seeds, those
converging in the last 5 % of their budget without that flag (``late_unflagged_cases``), and
``convergence_fraction.png`` (fraction of seeds converged by each epoch, one panel per case).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scratchnet.bench.measures import metrics, targets
from scratchnet.bench.report.blocks import Block, Bullets, Heading, Image, kv, para, section, table_block
from scratchnet.bench.report.plotting import MODE_STYLES, framework_color, png
from scratchnet.bench.report.formatting import NA, fmt_mse, fmt_time, mode_label
from scratchnet.bench.report.tables import Results, case_order, finite_values, main_cases, ok_runs, select, timing_only

FIGURE_NAME = "convergence_fraction.png"
TARGET_HEADERS = ("Case", "Mode", "Target loss", "How it was set", "Epoch budget")


def _budget(ok: pd.DataFrame) -> float:
    values = finite_values(ok["epochs"])
    return float(values.max()) if values.size else math.nan


def convergence_cell(ok: pd.DataFrame) -> str:
    """Censored convergence epochs of one group's ok runs (module docstring); "timing only (k of n epochs)"
    for runs that stopped before their budget on purpose."""
    if ok.empty:
        return NA
    if timing_only(ok):
        return f"timing only ({ok['epochs_run'].max():g} of {ok['epochs'].max():g} epochs)"
    return targets.convergence_text(ok["convergence_epoch"], _budget(ok))


def compact_convergence_cell(ok: pd.DataFrame) -> str:
    """The one-row-per-case table's cell: the censored median alone when every seed converged,
    ``"61 (3/5)"`` when only some did, ``"> 200 (2/5)"`` when the median is beyond the budget
    (at most half the seeds reached the target within it)."""
    if ok.empty:
        return NA
    conv = ok["convergence_epoch"]
    k, n = int(np.isfinite(conv).sum()), len(ok)
    median = metrics.censored_median(conv.tolist())
    if median is None:
        budget = _budget(ok)
        return f"> {budget:g} ({k}/{n})" if math.isfinite(budget) else f"not reached ({k}/{n})"
    return f"{median:g}" if k == n else f"{median:g} ({k}/{n})"


def time_to_target_cell(ok: pd.DataFrame) -> str:
    """Censored median seconds to the shared target of one group's ok runs."""
    if ok.empty:
        return NA
    median = metrics.censored_median(ok["seconds_to_target"].tolist())
    return fmt_time(median) if median is not None else "not reached by half"


def improving(ok: pd.DataFrame) -> tuple[int, int]:
    flags = [v for v in ok["still_improving"] if isinstance(v, (bool, np.bool_))]
    return sum(bool(v) for v in flags), len(flags)


def _target_rows(res: Results) -> list[tuple[str, ...]]:
    table = targets.case_targets(res.runs, targets.declared_targets(res.cases))
    order = {case: i for i, case in enumerate(case_order(res))}
    table = table.assign(_o=table["case"].map(order)).sort_values(["_o", "mode"], kind="stable")
    how = {"declared": "declared by the case", "derived": "derived: largest framework median final test loss"}
    return [(r["case"], mode_label(r["mode"]), fmt_mse(r["target_loss"]), how.get(r["target_rule"], "none: no ok run "
             "over the full budget") + (f" ({r['from_runs']})" if r["target_rule"] == "derived" else ""),
             f"{r['budget_epochs']:g}" if math.isfinite(r["budget_epochs"]) else NA)
            for _, r in table.iterrows()]


def _full_length_groups(res: Results):
    """(case, mode, ok runs) per recorded case and mode, without the runs a timing contender capped below the
    case's epochs (``epoch_cap``): they stop by design, so neither their flag nor their convergence says anything."""
    for case in case_order(res):
        for mode in dict.fromkeys(select(res.runs, case=case)["mode"]):
            ok = ok_runs(select(res.runs, case=case, mode=mode))
            yield case, mode, ok[~(ok["epoch_cap"] < ok["epochs"])]


def still_improving_cases(res: Results) -> list[str]:
    """Case (mode) labels whose ok runs, all frameworks together, are still improving at the
    last epoch for more than half the seeds."""
    return [f"{case} ({mode_label(mode)}): {still}/{known} runs" for case, mode, ok in _full_length_groups(res)
            for still, known in [improving(ok)] if known and still * 2 > known]


def late_unflagged_cases(res: Results, tail: float = 0.05) -> list[str]:
    """Case (mode) labels where most ok runs converged within the last ``tail`` of their epoch
    budget although most are *not* flagged still improving: a budget that should be checked."""
    out = []
    for case, mode, ok in _full_length_groups(res):
        conv, budget = ok["convergence_epoch"].to_numpy(dtype=float), ok["epochs"].to_numpy(dtype=float)
        late = int(np.sum(np.isfinite(conv) & (conv > budget * (1 - tail))))
        still, known = improving(ok)
        if len(ok) and late * 2 > len(ok) and not (known and still * 2 > known):
            out.append(f"{case} ({mode_label(mode)}): {late}/{len(ok)} runs")
    return out


def _fraction_figure(res: Results) -> bytes | None:
    ok = ok_runs(res.runs)
    if ok.empty:
        return None
    curves = targets.converged_fraction(ok)
    cases = [c for c in case_order(res) if c in set(curves["case"])]
    if not cases:
        return None
    cols = min(4, len(cases))
    rows = math.ceil(len(cases) / cols)
    fig = Figure(figsize=(3.2 * cols, 2.4 * rows), layout="constrained")
    frameworks = sorted(set(curves["framework"]))
    for i, case in enumerate(cases):
        ax = fig.add_subplot(rows, cols, i + 1)
        for (mode, fw), g in curves[curves["case"] == case].groupby(["mode", "framework"], sort=False):
            ax.step(g["epoch"], g["fraction"], where="post", color=framework_color(fw, frameworks),
                    linestyle=MODE_STYLES.get(mode, ":"), label=f"{fw} ({mode_label(mode)})")
        ax.set_ylim(-0.05, 1.05)
        ax.set_title(case, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=6, loc="lower right")
    fig.suptitle("Fraction of seeds that reached the case's shared target, by epoch", fontsize=10)
    fig.supxlabel("epoch", fontsize=8)
    return png(fig)


def _answer(res: Results) -> str:
    """In how many main cases every framework's parity-mode runs reach the target at the same median epoch."""
    same = cases = 0
    for case in main_cases(res):
        runs = ok_runs(select(res.runs, case=case, mode="parity"))
        medians = {metrics.censored_median(pd.to_numeric(g["convergence_epoch"], errors="coerce").tolist())
                   for _, g in runs.groupby("framework") if not timing_only(g)}
        cases, same = cases + bool(medians), same + (len(medians) == 1)
    return (f"In parity mode every framework reaches the shared target loss at the same median epoch in {same} of "
            f"{cases} cases." if cases else "No parity-mode run to compare convergence epochs across frameworks.")


def convergence_blocks(res: Results) -> list[Block]:
    """The Convergence section (a section builder)."""
    blocks: list[Block] = [
        *section("Convergence", _answer(res)),
        Bullets((kv("Target", metrics.TARGET_RULE), kv("Convergence epoch", metrics.CONVERGENCE_DEFINITION),
                 kv("Medians", "over every ok seed, a seed that never reached the target counting as "
                               "later than any epoch; 'median not reached' when half the seeds never got "
                               "there (medians of only the converged seeds are not shown)"),
                 kv("Still improving", metrics.STILL_IMPROVING_DEFINITION))),
    ]
    if res.runs.empty:
        return [*blocks, para("No run recorded.")]
    blocks += [Heading(3, "Targets"), table_block(TARGET_HEADERS, _target_rows(res), csv="targets.csv"),
               para("Epochs and time to target, converged k of n and still improving per case, mode and framework: "
                    "the Summary table.")]
    improving = still_improving_cases(res)
    if improving:
        blocks += [para("Still improving at the last epoch for most seeds (the epoch budget, not "
                        "convergence, ended these runs; their convergence epochs measure the budget):"),
                   Bullets(tuple((item,) for item in improving))]
    else:
        blocks.append(para("No case is still improving at the last epoch for most seeds."))
    late = late_unflagged_cases(res)
    if late:
        blocks += [para("Converged within the last 5% of the epoch budget for most seeds without being "
                        "flagged still improving (check the budget):"),
                   Bullets(tuple((item,) for item in late))]
    png = _fraction_figure(res)
    if png is not None:
        blocks.append(Image(FIGURE_NAME, "Fraction of seeds converged by each epoch (time to target)", png))
    return blocks
