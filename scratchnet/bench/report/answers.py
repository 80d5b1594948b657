"""Each section's one-line answer: the question its heading asks, answered from the tables.

``ANSWERS`` maps a section's title to a function ``(Results, section) -> str`` returning one sentence
(at most ``MAX_ANSWER`` characters); ``section`` is the section's own blocks, so an answer read from
its table (claims, significance) does not compute that table twice (called alone, it builds it). ``content.answered`` puts
it right under the heading: the first line a reader sees, before the figure or the table -- and in
the HTML report, on the folded section's summary line, so the answer shows without unfolding.
Every number is computed here from the same tables the section shows.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from scratchnet.bench.cases import claims as cl
from scratchnet.bench.report.blocks import Block, Table
from scratchnet.bench.report.claim_verdicts import MARKS, verdict_table
from scratchnet.bench.report.claims import recorded_claims
from scratchnet.bench.report.costs import MODEL_TOLERANCE, case_costs
from scratchnet.bench.report.formatting import fmt_ratio, fmt_sci, fmt_time
from scratchnet.bench.report.header import machine_line
from scratchnet.bench.report.headline_text import AGREE_TOL, agreeing_cases, fastest_per_epoch
from scratchnet.bench.report.memory import fmt_bytes_mib
from scratchnet.bench.report.missing import FAILED_STATUSES
from scratchnet.bench.report.parity_table import parity_state
from scratchnet.bench.report.tables import (REFERENCE_FRAMEWORK, Results, finite_values, is_variant, main_cases,
                                            median_of, ok_runs, primary_mode, run_frameworks, same_host_runs,
                                            select, timing_only)

MAX_ANSWER = 240


def _first_table(section: Sequence[Block], anchor: str) -> Table | None:
    """The section's table with that HTML id, when the section was built (the report passes it)."""
    return next((b for b in section if isinstance(b, Table) and b.anchor == anchor), None)


def _per_framework(values: dict[str, float], fmt: Callable[[float], str]) -> str:
    return ", ".join(f"{fw} {fmt(v)}" for fw, v in values.items() if np.isfinite(v))


def results_answer(res: Results, section: Sequence[Block] = ()) -> str:
    wins = fastest_per_epoch(res)
    ranked = sorted(((won, fw) for fw, (won, _) in wins.items() if won), key=lambda t: -t[0])
    if not ranked:
        return "No case has ok timings yet."
    parts = ", ".join(f"{fw} in {won}" for won, fw in ranked)
    return f"Fastest per epoch, of {len(main_cases(res))} cases: {parts}."


def costs_answer(res: Results, section: Sequence[Block] = ()) -> str:
    costs = case_costs(res)
    if costs.empty:
        return "No run recorded the cost model (fixed cost per epoch, cost per step)."
    fixed = {fw: median_of(finite_values(g["epoch_overhead_seconds"])) for fw, g in costs.groupby("framework")}
    fixed = {fw: v for fw, v in fixed.items() if np.isfinite(v)}
    checked = case_costs(res, every_mode=True)
    errors = np.abs(checked["model_error"].to_numpy(dtype=float))
    within = int(np.sum(errors <= MODEL_TOLERANCE))
    span = ""
    if fixed:
        lo, hi = min(fixed, key=fixed.get), max(fixed, key=fixed.get)
        span = f"Fixed cost per epoch from {fmt_time(fixed[lo])} ({lo}) to {fmt_time(fixed[hi])} ({hi}); "
    return (f"{span}fixed cost + steps × cost per step predicts {within} of {errors.size} measured epoch "
            f"times within {MODEL_TOLERANCE:.0%}.")


def claims_answer(res: Results, section: Sequence[Block] = ()) -> str:
    table = _first_table(section, "claims-table") or verdict_table(res, (*cl.CLAIMS, *recorded_claims(res)))
    claims = table.rows  # one row per claim, its verdict mark in the fourth column
    marks = Counter(row[3] for row in claims)
    within, in_range, missed, unmeasured = (marks[m] for m in MARKS.values())
    return (f"Of {len(claims)} claims, {within} reproduced, {in_range} within the seeds' range only, "
            f"{missed} not reproduced, {unmeasured} not measured.")


def figures_answer(res: Results, section: Sequence[Block] = ()) -> str:
    counts = [agreeing_cases(res, fw) for fw in run_frameworks(res) if fw != REFERENCE_FRAMEWORK]
    agree, compared = sum(a for a, _ in counts), sum(c for _, c in counts)
    if not compared:
        return "Test loss per epoch of each case; no contender's parity-mode epochs to set beside scratchnet's."
    return (f"In parity mode the curves lie on scratchnet's: every seed's epoch-1 test MSE within "
            f"{fmt_sci(AGREE_TOL)} of it in {agree} of {compared} (case, framework) pairs.")


def grid_answer(res: Results, section: Sequence[Block] = ()) -> str:
    variants = sorted({c for c in res.runs["case"] if is_variant(c)})
    if not variants:
        return ""
    bases = {c.split("[", 1)[0] for c in variants}
    keys = sorted({part.split("=", 1)[0] for c in variants for part in c.split("[", 1)[1].rstrip("]").split(",")})
    return (f"{len(variants)} variants of {len(bases)} cases vary {', '.join(keys)}: "
            f"test MSE per setting in the table, a figure where a setting has three values or more.")


def summary_answer(res: Results, section: Sequence[Block] = ()) -> str:
    status = res.runs["status"].astype(str)
    return (f"{int((status == 'ok').sum())} ok runs of {res.runs['case'].nunique()} cases and "
            f"{len(run_frameworks(res))} frameworks ({int((status == 'unsupported').sum())} unsupported, "
            f"{int(status.isin(FAILED_STATUSES).sum())} failed); medians per case, mode and framework.")


def _median_epoch(ok: pd.DataFrame) -> float:
    epochs = pd.to_numeric(ok["convergence_epoch"], errors="coerce").fillna(np.inf).to_numpy(dtype=float)
    return float(np.median(epochs)) if epochs.size else float("nan")


def convergence_answer(res: Results, section: Sequence[Block] = ()) -> str:
    same = cases = 0
    for case in main_cases(res):
        runs = ok_runs(select(res.runs, case=case, mode="parity"))
        medians = {_median_epoch(g) for _, g in runs.groupby("framework") if not timing_only(g)}
        if len(medians) > 0:
            cases += 1
            same += len(medians) == 1
    if not cases:
        return "No parity-mode run to compare convergence epochs across frameworks."
    return (f"In parity mode every framework reaches the shared target loss at the same median epoch "
            f"in {same} of {cases} cases.")


def speed_answer(res: Results, section: Sequence[Block] = ()) -> str:
    timed = same_host_runs(res)
    faster: dict[str, list[int]] = {}
    for case in main_cases(res):
        runs = ok_runs(select(timed.runs, case=case, mode=primary_mode(res, case)))
        mine = median_of(finite_values(select(runs, framework=REFERENCE_FRAMEWORK)["seconds_per_epoch"]))
        for fw in run_frameworks(res):
            other = median_of(finite_values(select(runs, framework=fw)["seconds_per_epoch"]))
            if fw != REFERENCE_FRAMEWORK and np.isfinite(mine) and np.isfinite(other):
                tally = faster.setdefault(fw, [0, 0])
                tally[0] += mine < other
                tally[1] += 1
    if not faster:
        return f"No case has ok timings of {REFERENCE_FRAMEWORK} and another framework."
    parts = ", ".join(f"{fw} in {won} of {n}" for fw, (won, n) in faster.items())
    return f"Per epoch, {REFERENCE_FRAMEWORK} is faster than {parts} cases."


def memory_answer(res: Results, section: Sequence[Block] = ()) -> str:
    ok = ok_runs(res.runs)
    peaks = {fw: median_of(finite_values(select(ok, framework=fw)["peak_memory_mb"])) for fw in run_frameworks(res)}
    text = _per_framework(peaks, fmt_bytes_mib)
    return f"Median peak memory during fit: {text}." if text else "No run recorded its peak memory."


def overhead_answer(res: Results, section: Sequence[Block] = ()) -> str:
    runs = ok_runs(select(res.runs, framework=REFERENCE_FRAMEWORK))
    taxes = [median_of(finite_values(g["framework_tax"])) for _, g in runs.groupby("case")]
    taxes = np.array([t for t in taxes if np.isfinite(t)])
    if not taxes.size:
        return f"Not measured: no {REFERENCE_FRAMEWORK} run recorded the framework tax."
    return (f"{REFERENCE_FRAMEWORK}'s epoch takes {fmt_ratio(float(np.median(taxes)))} the time of a bare NumPy "
            f"loop of the same maths (median of {taxes.size} cases; {fmt_ratio(taxes.min())} to "
            f"{fmt_ratio(taxes.max())}).")


def significance_answer(res: Results, section: Sequence[Block] = ()) -> str:
    if not section:
        from scratchnet.bench.report.comparison import significance_blocks
        section = significance_blocks(res)
    verdicts = [row[-1] for t in section if isinstance(t, Table) for row in t.rows]
    if not verdicts:
        return "No pair of frameworks whose runs can differ was recorded."
    differ = sum(v.startswith("significant") for v in verdicts)
    tested = sum(v.startswith(("significant", "no significant")) for v in verdicts)
    return (f"Test MSE differs from {REFERENCE_FRAMEWORK}'s (Mann-Whitney U, p < 0.05) in {differ} of "
            f"{tested} tested comparisons ({len(verdicts) - tested} identical or too few runs).")


def parity_answer(res: Results, section: Sequence[Block] = ()) -> str:
    cases = main_cases(res)
    states = [parity_state(res, c)[0] for c in cases]
    drift = finite_values(res.parity["max_rel_weight_drift"]) if "max_rel_weight_drift" in res.parity else np.array([])
    worst = f"; largest relative weight drift {fmt_sci(float(drift.max()))}" if drift.size else ""
    return f"{states.count('pass')} of {len(cases)} cases pass the parity gate against Keras{worst}."


def cases_answer(res: Results, section: Sequence[Block] = ()) -> str:
    if res.cases.empty:
        return f"{len(main_cases(res))} cases (cases.csv not recorded)."
    optimizers = ", ".join(sorted({o.split("(")[0] for o in res.cases["optimizer"].astype(str) if o}))
    return (f"{len(main_cases(res))} cases (and {sum(is_variant(c) for c in res.cases['case'])} variants) on "
            f"{res.cases['dataset'].nunique()} datasets, optimizers {optimizers}.")


def environment_answer(res: Results, section: Sequence[Block] = ()) -> str:
    return f"{machine_line(res.env)}." if res.env else "environment.json not recorded: machine unknown."


def missing_answer(res: Results, section: Sequence[Block] = ()) -> str:
    status = res.runs["status"].astype(str)
    unsupported = res.runs[status == "unsupported"]
    fws = ", ".join(dict.fromkeys(unsupported["framework"]))
    return (f"{int(status.isin(FAILED_STATUSES).sum())} runs failed; {len(unsupported)} unsupported by design"
            f"{f' ({fws})' if fws else ''}; {len(res.problems)} file problems.")


def definitions_answer(res: Results, section: Sequence[Block] = ()) -> str:  # noqa: ARG001
    return "What each figure above measures, in one line each."


ANSWERS: dict[str, Callable[[Results, Sequence[Block]], str]] = {
    "Results per case": results_answer,
    "Fixed cost per epoch and cost per step": costs_answer,
    "Tutorial claims": claims_answer,
    "Figures": figures_answer,
    "Grids": grid_answer,
    "Summary": summary_answer,
    "Convergence": convergence_answer,
    "Speed": speed_answer,
    "Memory": memory_answer,
    "scratchnet's overhead: framework tax and GEMM share": overhead_answer,
    "Test MSE significance": significance_answer,
    "Parity": parity_answer,
    "Cases": cases_answer,
    "Definitions": definitions_answer,
    "Environment": environment_answer,
    "Missing, failed and unsupported": missing_answer,
}
