"""The headline: one sentence with the report's main numbers.

``headline(results_dir) -> str`` (what the README quotes) and
``headline_blocks(res)`` (the report's Headline section) share
``headline_text(res)``, computed from the tables only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from .blocks import Block, Heading, para
from .comparison import ok_test_mse
from .formatting import fmt_mse, fmt_ratio
from .parity_table import parity_state
from .stats import ratio_of_medians
from .tables import (
    Results, by_host, case_meta, case_order, finite_values, is_equivalent, load_results, main_cases,
    keras_setting, main_host, median_of, modes_of, ok_runs, run_frameworks, select, setting_text,
)


def _headline_text(res: Results) -> str:
    """One sentence with the report's main numbers, computed from the tables."""
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
                     f"{fmt_ratio(float(r.max()))})")
    settings = _keras_settings_clause(res)
    if settings:
        parts.append(settings)
    parts += _other_framework_clauses(res)
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
    return ("; ".join(parts) + ".") if parts else "No comparable runs recorded yet."


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


def headline_blocks(res: Results) -> list[Block]:
    return [Heading(2, "Headline"), para(_headline_text(res))]
