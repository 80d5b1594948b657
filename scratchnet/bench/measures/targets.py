"""Shared convergence targets over recorded runs, and the figures that depend on them.

A run alone cannot know its case's derived target: the rule (``metrics.TARGET_RULE``,
computed by :func:`scratchnet.bench.measures.metrics.shared_target`) needs every framework's runs
of that case and mode. This module applies the rule to the result tables; the suite (after
a run, :func:`update_results`), the asv ``track_*`` figures (which read what the suite
wrote) and the report (:func:`evaluate` on the tables it loads) all go through it, so the
same curves give the same epochs everywhere.

Contract
--------
* ``case_targets(runs, declared)`` -> one row per (case, mode), ``schema.TARGET_COLUMNS``:
  the declared target when the case has one, else the rule over the *eligible* runs: status
  ``ok`` and trained for the full budget (``epochs == epochs_run ==`` the largest ``epochs``
  asked by an ok run of that case and mode), so a capped run (e.g. a framework that runs
  only a few epochs for timing) never sets the yardstick. Generic over frameworks: every
  framework label with eligible runs takes part.
* ``apply_targets(runs, epochs, targets)`` -> a copy of ``runs`` whose ``target_loss``,
  ``target_rule``, ``convergence_epoch``, ``seconds_to_target`` and ``still_improving`` are
  recomputed from each run's test-loss curve in ``epochs`` (empty when the run has no
  curve, or no target exists, or it never reached the target).
* ``evaluate(runs, epochs, declared=None)`` -> ``Evaluated(runs, targets)``: both steps.
* ``remeasure(runs, epochs, cases=None)`` -> ``evaluate(...).runs`` with the declared targets
  of ``cases`` (a ``cases.csv`` frame); ``runs`` unchanged when ``epochs`` holds no row (the
  recorded columns are all there is). The report's loader calls it.
* ``update_results(results_dir or store)`` -> the targets frame; writes ``targets.csv`` and
  rewrites those columns of ``runs.csv`` (under the directory's lock, through
  :class:`scratchnet.bench.store.ResultStore`).
* ``converged_fraction(runs)`` -> the time-to-event table: for each (case, mode, framework)
  and epoch 1..budget, the fraction of its ok runs that had reached the target.
* ``convergence_text(epochs, budget)`` -> the censored cell, e.g. ``"61 (5/5)"``,
  ``"> 200 epochs (0/5)"``, ``"median not reached (2/5 by 200)"``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scratchnet.bench.measures import metrics
from scratchnet.bench.store.schema import RUN_COLUMNS, RUN_KEY, TARGET_COLUMNS

_RESULT_COLUMNS = ("target_loss", "target_rule", "convergence_epoch", "seconds_to_target", "still_improving")
_NEEDED_RUN_COLUMNS = (*RUN_KEY, "status", "epochs", "epochs_run", "test_loss")
_NEEDED_EPOCH_COLUMNS = (*RUN_KEY, "epoch", "test_loss", "epoch_seconds")


@dataclass
class Evaluated:
    """``runs`` with the shared-target columns recomputed, and the ``targets`` used."""

    runs: pd.DataFrame
    targets: pd.DataFrame


def declared_targets(cases: pd.DataFrame | None = None) -> dict[str, float]:
    """Declared target losses by case name: ``cases`` (a ``cases.csv`` frame) when given,
    completed from the case registry for names it does not list."""
    from scratchnet.bench.cases.registry import CASES

    out = {name: float(c.target_loss) for name, c in CASES.items() if c.target_loss is not None}
    if cases is not None and not cases.empty and {"case", "target_loss"} <= set(cases.columns):
        for name, value in zip(cases["case"], pd.to_numeric(cases["target_loss"], errors="coerce")):
            if math.isfinite(value):
                out[str(name)] = float(value)
            else:
                out.pop(str(name), None)
    return out


def _check_columns(frame: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing} needed for the shared convergence targets")


def _eligible(group: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    ok = group[group["status"] == "ok"]
    asked = pd.to_numeric(ok["epochs"], errors="coerce")
    if not asked.notna().any():
        return ok.iloc[0:0], math.nan
    budget = float(asked.max())
    ran = pd.to_numeric(ok["epochs_run"], errors="coerce")
    return ok[(asked == budget) & (ran == budget)], budget


def case_targets(runs: pd.DataFrame, declared: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One shared target per (case, mode) of ``runs`` (see the module contract)."""
    _check_columns(runs, _NEEDED_RUN_COLUMNS, "the runs table")
    declared = declared_targets() if declared is None else dict(declared)
    rows = []
    for (case, mode), group in runs.groupby(["case", "mode"], sort=False):
        eligible, budget = _eligible(group)
        finals = {str(fw): pd.to_numeric(g["test_loss"], errors="coerce").tolist()
                  for fw, g in eligible.groupby("framework", sort=True)}
        described = "; ".join(
            f"{fw}: median {np.median([v for v in vals if math.isfinite(v)]):.6g} of "
            f"{sum(math.isfinite(v) for v in vals)}"
            for fw, vals in finals.items() if any(math.isfinite(v) for v in vals))
        if str(case) in declared:
            target, rule = declared[str(case)], "declared"
        else:
            target, rule = metrics.shared_target(finals), "derived"
        rows.append({"case": case, "mode": mode,
                     "target_loss": target if target is not None else math.nan,
                     "target_rule": rule if target is not None else "",
                     "budget_epochs": budget, "from_runs": described})
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS))


def _key(frame: pd.DataFrame) -> list[tuple]:
    return list(frame[list(RUN_KEY)].astype(str).itertuples(index=False, name=None))


def apply_targets(runs: pd.DataFrame, epochs: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``runs`` with the shared-target columns recomputed from the curves."""
    _check_columns(runs, RUN_KEY, "the runs table")
    _check_columns(epochs, _NEEDED_EPOCH_COLUMNS, "the epochs table")
    out = runs.copy()
    lookup = {(str(c), str(m)): (t, r) for c, m, t, r in
              zip(targets["case"], targets["mode"], targets["target_loss"], targets["target_rule"])}
    curves: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    if not epochs.empty:
        ordered = epochs.assign(_epoch=pd.to_numeric(epochs["epoch"], errors="coerce")).sort_values("_epoch")
        keys = pd.Series(_key(ordered), index=ordered.index)
        for key, idx in ordered.groupby(keys, sort=False).groups.items():
            g = ordered.loc[idx]
            curves[key] = (pd.to_numeric(g["test_loss"], errors="coerce").to_numpy(dtype=float),
                           pd.to_numeric(g["epoch_seconds"], errors="coerce").to_numpy(dtype=float))
    values: dict[str, list] = {c: [] for c in _RESULT_COLUMNS}
    for key, case, mode in zip(_key(out), out["case"].astype(str), out["mode"].astype(str)):
        target, rule = lookup.get((case, mode), (math.nan, ""))
        curve = curves.get(key)
        has_target = target is not None and math.isfinite(float(target))
        conv = stt = None
        improving: object = ""
        if curve is not None and curve[0].size:
            improving = metrics.still_improving(curve[0])
            if has_target:
                conv = metrics.convergence_epoch(curve[0], float(target))
                if conv is not None:
                    stt = float(np.nansum(curve[1][:conv]))
        values["target_loss"].append(float(target) if has_target else math.nan)
        values["target_rule"].append(rule if has_target else "")
        values["convergence_epoch"].append(conv if conv is not None else math.nan)
        values["seconds_to_target"].append(stt if stt is not None else math.nan)
        values["still_improving"].append(improving)
    for column, vals in values.items():
        out[column] = pd.Series(vals, index=out.index, dtype=object if column in
                                ("target_rule", "still_improving") else float)
    return out


def evaluate(runs: pd.DataFrame, epochs: pd.DataFrame,
             declared: Mapping[str, float] | None = None) -> Evaluated:
    """Shared targets of ``runs`` and the runs re-measured against them."""
    targets = case_targets(runs, declared)
    return Evaluated(apply_targets(runs, epochs, targets), targets)


def remeasure(runs: pd.DataFrame, epochs: pd.DataFrame, cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """``runs`` re-measured against the shared targets (see the module contract)."""
    if epochs is None or epochs.empty or runs.empty:
        return runs
    return evaluate(runs, epochs, declared_targets(cases)).runs


def update_results(results) -> pd.DataFrame:
    """Recompute the shared targets of a results directory (a path or an open
    ``store.ResultStore``); write ``targets.csv`` and the shared-target columns of
    ``runs.csv``, all under the directory's lock. Returns the targets (empty without runs)."""
    from scratchnet.bench import store

    st = results if isinstance(results, store.ResultStore) else store.ResultStore(results)
    with st.lock:
        runs = st.read("runs.csv")
        if runs.empty:
            return pd.DataFrame(columns=list(TARGET_COLUMNS))
        cases = st.read("cases.csv")
        result = evaluate(runs, st.read("epochs.csv"), declared_targets(cases if len(cases) else None))
        columns = [*RUN_COLUMNS, *[c for c in result.runs.columns if c not in RUN_COLUMNS]]
        frame = result.runs.reindex(columns=columns)
        st.replace("runs.csv", frame)
        st.replace("targets.csv", result.targets)
    return result.targets


def converged_fraction(runs: pd.DataFrame, by: Sequence[str] = ("case", "mode", "framework")) -> pd.DataFrame:
    """Time-to-event table: per group of ok runs and epoch 1..budget, the fraction converged.

    Columns: ``*by, epoch, converged, runs, fraction``. A censored run counts in ``runs``
    at every epoch and never in ``converged``.
    """
    ok = runs[runs["status"] == "ok"]
    rows = []
    for key, group in ok.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        budget = pd.to_numeric(group["epochs"], errors="coerce").max()
        if not math.isfinite(budget):
            continue
        conv = pd.to_numeric(group["convergence_epoch"], errors="coerce").to_numpy(dtype=float)
        n = len(conv)
        for epoch in range(1, int(budget) + 1):
            k = int(np.sum(conv <= epoch))
            rows.append((*key, epoch, k, n, k / n))
    return pd.DataFrame(rows, columns=[*by, "epoch", "converged", "runs", "fraction"])


def convergence_text(epochs: Iterable[float | None], budget: float | None) -> str:
    """The censored cell for one group of ok runs (see the module contract)."""
    values = [None if v is None or not math.isfinite(float(v)) else float(v) for v in epochs]
    n = len(values)
    if n == 0:
        return "n/a"
    k = sum(v is not None for v in values)
    by = f" by {int(budget)}" if budget is not None and math.isfinite(float(budget)) else ""
    median = metrics.censored_median(values)
    if k == 0:
        return f"> {int(budget)} epochs (0/{n})" if by else f"not reached (0/{n})"
    if median is None:
        return f"median not reached ({k}/{n}{by})"
    return f"{median:g} ({k}/{n})"
