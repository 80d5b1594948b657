"""The headline: the report's main numbers in a few clauses, computed from the tables only.

``headline(results_dir) -> str`` (what the README quotes: one sentence) and ``headline_blocks(res)``
(the report's Headline section: the Keras comparison as a paragraph, then one bullet per further
topic) share the clauses of ``_headline_parts(res)``.

Speed leads with the cost PER STEP (``report.costs``): the median Keras/scratchnet ratio of the
cost of one optimizer step over the step-dominated cases (``costs.STEP_DOMINATED_SHARE``), then
each framework's fixed cost per epoch in its own clause -- the reason per-epoch ratios on tiny
cases are large -- and only then the per-epoch ratio over all comparable cases, with the per-step
median beside it. "Faster per step" counts the cases whose per-step ratio's 95 % bootstrap interval
lies above 1x (:func:`step_verdicts`); a ratio near 1x whose interval includes it is said to be no
clear difference, not a win or a loss. Comparable: the case is equivalent and its parity check passed; each case in
its primary mode. Tables without a cost model (older runs) get the per-epoch sentence alone.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scratchnet.bench.report.blocks import Block, Bullets, Heading, para
from scratchnet.bench.report.comparison import ok_test_mse
from scratchnet.bench.report.costs import STEP_DOMINATED_SHARE, case_costs, step_ratios
from scratchnet.bench.report.formatting import fmt_mse, fmt_ratio, fmt_time
from scratchnet.bench.report.missing import FAILED_STATUSES, MISSING_TITLE
from scratchnet.bench.report.parity_table import parity_state
from scratchnet.bench.report.stats import ratio_of_medians
from scratchnet.bench.report.tables import (REFERENCE_FRAMEWORK, Results, by_host, case_meta, case_order,
    finite_values, is_equivalent, load_results, main_cases, keras_setting, main_host, median_of, modes_of,
    ok_runs, run_frameworks, select, setting_text)


def _comparable(res: Results, case: str) -> bool:
    return is_equivalent(res, case) is not False and parity_state(res, case)[0] == "pass"


def _span(values: np.ndarray) -> str:
    if values.size == 1:
        return fmt_ratio(float(values[0]))
    return (f"median {fmt_ratio(float(np.median(values)))}, range {fmt_ratio(float(values.min()))} to "
            f"{fmt_ratio(float(values.max()))}")


def step_verdicts(rows: pd.DataFrame) -> tuple[int, int, int]:
    """(faster, slower, level): how many of ``rows`` (``costs.step_ratios`` rows, other/scratchnet)
    show scratchnet faster per step -- the ratio's 95 % bootstrap interval above 1x -- slower (below
    1x), or no clear difference (the interval includes 1x). Without an interval (one seed a side)
    the point estimate decides."""
    r, lo, hi = (rows[c].to_numpy(dtype=float) for c in ("step_ratio", "ci_low", "ci_high"))
    known = np.isfinite(lo) & np.isfinite(hi)
    faster = np.where(known, lo > 1, r > 1)
    slower = np.where(known, hi < 1, r < 1)
    return int(faster.sum()), int(slower.sum()), int(r.size - faster.sum() - slower.sum())


def _verdict_detail(slower: int, level: int) -> str:
    """The cases that are not 'faster' (:func:`step_verdicts`), as the start of a parenthesis."""
    parts = ([f"slower in {slower}"] if slower else []) + (
        [f"within noise in {level}: the 95 % interval of the ratio includes 1×"] if level else [])
    return "; ".join(parts) + "; " if parts else ""


def _cost_clauses(res: Results) -> list[str]:
    """Per-step ratio first, then the fixed costs, then the per-epoch ratio (module docstring)."""
    costs = case_costs(res)
    ratios = step_ratios(res)
    if ratios.empty:
        return []
    keras = ratios[(ratios["framework"] == "keras") & ratios["case"].map(lambda c: _comparable(res, c))]
    if keras.empty:
        return []
    parts = []
    dom = keras[keras["step_dominated"]]
    if len(dom):
        r = dom["step_ratio"].to_numpy(dtype=float)
        faster, slower, level = step_verdicts(dom)
        parts.append(f"per optimizer step, scratchnet is faster than its parity-checked Keras twin in "
                     f"{faster} of {r.size} step-dominated cases ({_verdict_detail(slower, level)}"
                     f"Keras/scratchnet cost per step: {_span(r)}; step-dominated: steps take at least "
                     f"{STEP_DOMINATED_SHARE:.0%} of both frameworks' epoch time)")
    overhead = {fw: median_of(finite_values(costs.loc[costs["framework"] == fw, "epoch_overhead_seconds"]))
                for fw in ("keras", REFERENCE_FRAMEWORK)}
    fixed = keras[~keras["step_dominated"]]
    text = (f"Keras also pays a fixed {fmt_time(overhead['keras'])} per epoch whatever the epoch's length "
            f"(median over cases; scratchnet {fmt_time(overhead[REFERENCE_FRAMEWORK])})")
    if len(fixed):
        e = fixed["epoch_ratio"].to_numpy(dtype=float)
        s = fixed["step_ratio"].to_numpy(dtype=float)
        text += (f", which is why it is {fmt_ratio(float(e.min()))} to {fmt_ratio(float(e.max()))} slower per "
                 f"epoch on the {e.size} cases where that fixed cost dominates (median "
                 f"{fmt_ratio(float(np.median(e)))}; per step there: median {fmt_ratio(float(np.median(s)))})")
    parts.append(text)
    e = keras["epoch_ratio"].to_numpy(dtype=float)
    s = keras["step_ratio"].to_numpy(dtype=float)
    parts.append(f"per epoch, over all {e.size} comparable cases: Keras/scratchnet {_span(e)} "
                 f"(per step: median {fmt_ratio(float(np.median(s)))})")
    return parts


def _other_cost_clauses(res: Results) -> list[str]:
    """Per framework besides scratchnet and keras: per step on its step-dominated cases, its
    fixed cost per epoch, and per epoch over every case it timed."""
    costs = case_costs(res)
    ratios = step_ratios(res)
    clauses = []
    for fw in run_frameworks(res):
        if fw in (REFERENCE_FRAMEWORK, "keras"):
            continue
        mine = ratios[ratios["framework"] == fw]
        if mine.empty:
            continue
        rows = mine[mine["step_dominated"]]
        dom = rows["step_ratio"].to_numpy(dtype=float)
        e = mine["epoch_ratio"].to_numpy(dtype=float)
        overhead = median_of(finite_values(costs.loc[costs["framework"] == fw, "epoch_overhead_seconds"]))
        faster, slower, level = step_verdicts(rows)
        step = (f"faster per step in {faster} of {dom.size} step-dominated cases "
                f"({_verdict_detail(slower, level)}{fw}/scratchnet median {fmt_ratio(float(np.median(dom)))})"
                if dom.size else "no case is step-dominated for the pair")
        clauses.append(f"against {fw}, scratchnet is {step}; {fw} pays a fixed {fmt_time(overhead)} per epoch, "
                       f"and is slower per epoch in {int(np.sum(e > 1))} of {e.size} cases (median "
                       f"{fmt_ratio(float(np.median(e)))})")
    return clauses


def _headline_parts(res: Results) -> tuple[list[str], list[str]]:
    """(lead, rest): the Keras comparison's clauses, then one clause per further topic (Keras'
    calibrated settings, each other framework, each tutorial claim, the failures)."""
    lead = _cost_clauses(res)
    if lead:
        lead[0] = lead[0][0].upper() + lead[0][1:]
        rest = [c for c in [_keras_settings_clause(res)] if c] + _other_cost_clauses(res)
    else:
        epoch = _epoch_clauses(res)
        lead, rest = epoch[:1], epoch[1:]
    rest += _claim_clauses(res)
    failed = res.runs[res.runs["status"].isin(FAILED_STATUSES)]
    if len(failed):  # real failures are said in the headline (unsupported is by design: the header)
        detail = ", ".join(f"{n} {s}" for s, n in failed["status"].value_counts().items())
        rest.append(f"{len(failed)} runs failed ({detail}: see {MISSING_TITLE})")
    return lead, rest


def _headline_text(res: Results) -> str:
    """The report's main numbers, computed from the tables, in one sentence (the README's)."""
    lead, rest = _headline_parts(res)
    parts = lead + rest
    return ("; ".join(parts) + ".") if parts else "No comparable runs recorded yet."


def _epoch_clauses(res: Results) -> list[str]:
    """Tables without a cost model: the per-epoch ratios alone."""
    parts = []
    ratios, comparable = [], []
    for case in main_cases(res):
        if is_equivalent(res, case) is False or parity_state(res, case)[0] != "pass":
            continue
        for mode in modes_of(res, case):
            for _, runs in by_host(select(res.runs, case=case, mode=mode)):  # one host's runs per ratio
                sn = finite_values(ok_runs(select(runs, framework="scratchnet"))["seconds_per_epoch"])
                kr = finite_values(ok_runs(select(runs, framework="keras"))["seconds_per_epoch"])
                if sn.size and kr.size:
                    ratios.append(ratio_of_medians(kr, sn))
                    comparable.append(case)
    if ratios:
        r = np.asarray(ratios)
        faster = int(np.sum(r > 1))
        parts.append(f"scratchnet trains faster per epoch than its parity-checked Keras twin in {faster} of "
                     f"{r.size} comparable case/mode pairs (Keras/scratchnet time per epoch: median "
                     f"{fmt_ratio(float(np.median(r)))}, range {fmt_ratio(float(r.min()))} to "
                     f"{fmt_ratio(float(r.max()))}; no cost model recorded, so per step is unknown)")
    settings = _keras_settings_clause(res)
    if settings:
        parts.append(settings)
    return parts + _other_framework_clauses(res)


def _claim_clauses(res: Results) -> list[str]:
    parts = []
    for case in main_cases(res):
        meta = case_meta(res, case)
        if meta is None or not str(meta.get("claim", "") or "").strip() or str(meta["claim"]) == "nan":
            continue
        sn = ok_test_mse(res, case, "parity", "scratchnet")
        kr = ok_test_mse(res, case, "parity", "keras")
        pub = [c for c in case_order(res)
               if (m := case_meta(res, c)) is not None and str(m.get("tutorial_of", "")) == case]
        pk = ok_test_mse(res, pub[0], "parity", "keras") if pub else np.array([])
        if not (sn.size or kr.size):
            continue
        text = f"{case}: test MSE {fmt_mse(median_of(sn))} (scratchnet) vs {fmt_mse(median_of(kr))} (equivalent Keras)"
        if pk.size:
            text += f" vs {fmt_mse(median_of(pk))} (the tutorial's published Keras model)"
        text += f", claimed {fmt_mse(float(meta['claim_test_mse']))}"
        parts.append(text)
    return parts


def _seconds(runs) -> np.ndarray:
    return finite_values(ok_runs(runs)["seconds_per_epoch"])


def _keras_settings_clause(res: Results) -> str:
    """Which calibrated Keras setting won, counted over the cases (per case: the Speed section)."""
    counts: dict[tuple[str, bool], list[str]] = {}
    for case in main_cases(res):
        for mode in modes_of(res, case):
            setting = keras_setting(select(res.runs, case=case, mode=mode, framework="keras"))
            if setting is not None:
                counts.setdefault(setting, []).append(case)
                break
    if not counts:
        return ""
    ranked = sorted(counts.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    items = [f"{setting_text(s)} ({cases[0] if len(cases) == 1 else f'{len(cases)} cases'})"
             for s, cases in ranked]
    return "Keras' fastest setting, calibrated per case (each in the Speed section): " + ", ".join(items)


def _other_framework_clauses(res: Results) -> list[str]:
    """Per framework besides scratchnet and keras: in how many cases scratchnet is faster
    per epoch (each case in the first of its modes, parity first, where both have timings)."""
    clauses = []
    for fw in run_frameworks(res):
        if fw in ("scratchnet", "keras"):
            continue
        ratios = []
        for case in main_cases(res):
            for mode in modes_of(res, case):
                runs = main_host(select(res.runs, case=case, mode=mode))  # one host's runs per ratio
                sn = _seconds(select(runs, framework="scratchnet"))
                other = _seconds(select(runs, framework=fw))
                if sn.size and other.size:
                    ratios.append(ratio_of_medians(other, sn))
                    break
        if ratios:
            r = np.asarray(ratios)
            clauses.append(f"against {fw}, scratchnet is faster per epoch in {int(np.sum(r > 1))} "
                           f"of {r.size} cases ({fw}/scratchnet median "
                           f"{fmt_ratio(float(np.median(r)))})")
    return clauses


def headline(results_dir: str | Path = "results") -> str:
    """The report's headline sentence for ``results_dir`` (what the README quotes)."""
    return _headline_text(load_results(Path(results_dir)))


def _sentence(clause: str, names: set[str]) -> str:
    """The clause as a sentence: capitalised, unless it opens with a case name (kept as spelled)."""
    first = clause.split(":")[0].split(" ")[0]
    return (clause if first in names else clause[0].upper() + clause[1:]) + "."


def headline_blocks(res: Results) -> list[Block]:
    """The Headline section: the Keras comparison as a paragraph, then one bullet per further
    topic (the same clauses as ``headline``, laid out to be scanned)."""
    lead, rest = _headline_parts(res)
    if not (lead or rest):
        return [Heading(2, "Headline"), para("No comparable runs recorded yet.")]
    blocks: list[Block] = [Heading(2, "Headline")]
    if lead:
        blocks.append(para("; ".join(lead) + "."))
    if rest:
        names = set(case_order(res))
        blocks.append(Bullets(tuple((_sentence(c, names),) for c in rest)))
    return blocks
