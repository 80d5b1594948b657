"""The headline: one small table and at most three short sentences, computed from the tables only.

One generator for the README (between its markers, :func:`update_readme`), the end of ``bash
scripts/bench.sh`` and the report's Headline section. :func:`headline_table`: one row per framework --
its cost per optimizer step against scratchnet (median over the step-dominated comparable cases, "3.1×
faster" / "2.8× slower"), its fixed cost per epoch, its parity (Keras: the gate; the others: cases whose
every seed's epoch-1 test MSE is within ``AGREE_TOL`` of scratchnet's) and the cases it is fastest per
epoch in. :func:`headline_sentences`: Keras against scratchnet per step, Keras' fixed cost and what it
does to the per-epoch ratio, and the fastest contender per step.

Rules the tests hold: each sentence at most ``MAX_SENTENCE`` characters, the faster side its subject,
never a ratio below 1×, 2-3 significant digits. "Faster in k of n cases" counts a case only when the
95 % bootstrap interval of its ratio lies on that side of 1× (:func:`step_verdicts`). Comparable: the
case is equivalent and its parity check passed; step-dominated: ``costs.STEP_DOMINATED_SHARE``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scratchnet.bench.report.blocks import Block, Heading, para, table_block
from scratchnet.bench.report.render import render_markdown
from scratchnet.bench.store.results import atomic_write_bytes
from scratchnet.bench.report.costs import case_costs, step_ratios
from scratchnet.bench.report.formatting import DASH, fmt_ratio, fmt_time
from scratchnet.bench.report.missing import FAILED_STATUSES, MISSING_TITLE
from scratchnet.bench.report.parity_table import parity_mse_pairs, parity_state
from scratchnet.bench.report.tables import (REFERENCE_FRAMEWORK, Results, is_equivalent, load_results, main_cases,
                                            ok_runs, primary_mode, run_frameworks, same_host_runs)

MAX_SENTENCE = 200
NO_RESULT = "No comparable runs recorded yet."
TABLE_COLUMNS = ("framework", "per step vs scratchnet", "fixed cost per epoch", "parity", "fastest per epoch")


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


def _compared(res: Results) -> pd.DataFrame:
    """``step_ratios`` on the comparable cases: equivalent, parity check passed."""
    ratios = step_ratios(res)
    comparable = {c for c in main_cases(res)
                  if is_equivalent(res, c) is not False and parity_state(res, c)[0] == "pass"}
    return ratios[ratios["case"].isin(comparable)]


def _cases(n: int) -> str:
    return f"{n} case{'s' * (n != 1)}"


def _versus(ratio: float) -> str:
    """A ratio other/scratchnet as the other side's speed: "3.1× faster" or "2.8× slower" (never < 1×)."""
    if not np.isfinite(ratio):
        return DASH
    if abs(ratio - 1) < 0.005:
        return "same"
    return f"{fmt_ratio(1 / ratio)} faster" if ratio < 1 else f"{fmt_ratio(ratio)} slower"


def fastest_per_epoch(res: Results) -> dict[str, tuple[int, int]]:
    """framework -> (cases where its median epoch is the shortest, cases it ran), primary mode."""
    runs = ok_runs(same_host_runs(res).runs)  # one machine's runs per case
    runs = runs[runs["mode"] == runs["case"].map({case: primary_mode(res, case) for case in main_cases(res)})]
    medians = runs.groupby(["case", "framework"], sort=False)["seconds_per_epoch"].median().dropna().unstack()
    won, ran = medians.idxmin(axis=1).value_counts(), medians.notna().sum()
    return {fw: (int(won.get(fw, 0)), int(ran[fw])) for fw in run_frameworks(res) if ran.get(fw, 0)}


AGREE_TOL = 1e-6  # a case "agrees" when every seed's test MSE after epoch 1 is within this of scratchnet's


def agreeing_cases(res: Results, fw: str) -> tuple[int, int]:
    """(cases whose epoch-1 test MSE agrees with scratchnet's for every seed, cases compared): the
    first epoch, before a float32 or ReLU net's rounding differences can grow into other minima."""
    pairs = parity_mse_pairs(res)
    first = pairs[(pairs["framework"] == fw) & (pairs["epoch"] == 1)]
    agree = first.groupby("case")["rel"].agg(lambda rel: bool((rel <= AGREE_TOL).all()))
    return int(agree.sum()), len(agree)


def _parity_cell(res: Results, fw: str) -> str:
    if fw == REFERENCE_FRAMEWORK:
        return "reference"
    if fw == "keras":
        states = [parity_state(res, c)[0] for c in main_cases(res)]
        checked = [s for s in states if s != "not checked"]
        return f"gate passed: {checked.count('pass')} of {len(checked)}" if checked else "not checked"
    agree, compared = agreeing_cases(res, fw)
    return f"same MSE: {agree} of {compared}" if compared else DASH


def headline_table(res: Results) -> pd.DataFrame:
    """One row per framework (module docstring), as text, columns ``TABLE_COLUMNS``."""
    ratios, wins = _compared(res), fastest_per_epoch(res)
    fixed = case_costs(res).groupby("framework")["epoch_overhead_seconds"].median()
    rows = []
    for fw in run_frameworks(res):
        if fw not in wins:
            continue
        mine = ratios[(ratios["framework"] == fw) & ratios["step_dominated"]] if len(ratios) else ratios
        step = "—" if fw == REFERENCE_FRAMEWORK else (
            f"{_versus(float(np.median(mine['step_ratio'])))} ({_cases(len(mine))})" if len(mine) else DASH)
        won, ran = wins[fw]
        rows.append((fw, step, fmt_time(fixed.get(fw, np.nan)), _parity_cell(res, fw), f"{won} of {_cases(ran)}"))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _pair_sentence(fw: str, rows: pd.DataFrame) -> str:
    """``fw`` against scratchnet per step on ``rows`` (step-dominated), the faster side as subject."""
    r = float(np.median(rows["step_ratio"]))
    faster, slower, level = step_verdicts(rows)
    if r >= 1:
        subject, other, ratio, wins = REFERENCE_FRAMEWORK, fw, r, faster
    else:
        subject, other, ratio, wins = fw, REFERENCE_FRAMEWORK, 1 / r, slower
    tail = f"; {level} within noise" if level else ""
    return (f"{subject} is {fmt_ratio(ratio)} faster per step than {other} in {wins} of {len(rows)} "
            f"step-dominated cases{tail}.")


def headline_sentences(res: Results) -> list[str]:
    """At most three sentences (module docstring), each at most ``MAX_SENTENCE`` characters."""
    ratios = _compared(res)
    out = [] if ratios.empty else _speed_sentences(res, ratios)
    failed = res.runs[res.runs["status"].isin(FAILED_STATUSES)]
    if len(failed):  # real failures are said (unsupported is by design: the report's header)
        out = out[:2] + [f"{len(failed)} runs failed (see {MISSING_TITLE})."]
    return out


def _speed_sentences(res: Results, ratios: pd.DataFrame) -> list[str]:
    out = []
    dom = ratios[ratios["step_dominated"]]
    keras = dom[dom["framework"] == "keras"]
    if len(keras):
        out.append(_pair_sentence("keras", keras))
    fixed = case_costs(res).groupby("framework")["epoch_overhead_seconds"].median()
    tiny = ratios[(ratios["framework"] == "keras") & ~ratios["step_dominated"]]
    if len(tiny) and np.isfinite(fixed.get("keras", np.nan)):
        e = float(np.median(tiny["epoch_ratio"]))
        faster = f"{REFERENCE_FRAMEWORK} is {fmt_ratio(e)} faster" if e >= 1 else f"Keras is {fmt_ratio(1 / e)} faster"
        out.append(f"Keras pays {fmt_time(fixed['keras'])} per epoch before its first step "
                   f"({REFERENCE_FRAMEWORK} {fmt_time(fixed.get(REFERENCE_FRAMEWORK, np.nan))}): "
                   f"on the {_cases(len(tiny))} where "
                   f"that dominates, {faster} per epoch (median).")
    medians = {fw: float(np.median(g["step_ratio"])) for fw, g in dom.groupby("framework")}
    if medians:
        best = min(medians, key=medians.get)
        if best != "keras" or not len(keras):
            out.append(_pair_sentence(best, dom[dom["framework"] == best]))
    return out


def headline_markdown(res: Results) -> str:
    """The Headline section below its heading, as markdown (README, terminal)."""
    return render_markdown(headline_blocks(res)[1:]).strip()


def headline(results_dir: str | Path = "results") -> str:
    """:func:`headline_markdown` of ``results_dir`` (what the README and the quick start show)."""
    return headline_markdown(load_results(Path(results_dir)))


README_START, README_END = "<!-- headline:start", "<!-- headline:end -->"


def update_readme(readme: str | Path, results_dir: str | Path = "results") -> bool:
    """Rewrite the text between the README's ``<!-- headline:start ... -->`` and ``<!-- headline:end -->``
    markers with :func:`headline`; returns whether it changed. No markers: ValueError naming the file."""
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no '{README_START} ... -->' / '{README_END}' markers to fill")
    start = text.index("-->", start) + 3
    new = text[:start] + "\n" + headline(results_dir) + "\n" + text[end:]
    if new != text:
        atomic_write_bytes(path, new.encode("utf-8"))
    return new != text


def headline_blocks(res: Results) -> list[Block]:
    """The report's Headline section: the same table and sentences."""
    sentences = headline_sentences(res)
    if _compared(res).empty:
        return [Heading(2, "Headline"), para(" ".join([NO_RESULT, *sentences]))]
    table = headline_table(res)
    return [Heading(2, "Headline"), table_block(tuple(table.columns), table.itertuples(index=False)),
            para(" ".join(sentences))]
