"""The report's view of a results directory: the tables loaded, and selections of runs from them.

``load_results(directory) -> Results``: the tables as :func:`scratchnet.bench.store.frames.read_results`
reads them (every schema column present, a missing optional file an empty table and a note in
``Results.problems``), the runs re-measured against their case's shared convergence target. The selection
helpers (``select``, ``ok_runs``, ``groups``, ``same_host_runs``, ...) never mutate the tables.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scratchnet.bench.measures.targets import remeasure
from scratchnet.bench.store.frames import Results, parse_flag, read_results
from scratchnet.bench.store.schema import MODES, RUN_KEY


def load_results(directory: Path) -> Results:
    """:func:`~scratchnet.bench.store.frames.read_results` with the runs re-measured against their case's shared
    convergence target (``measures.targets.remeasure``)."""
    res = read_results(directory)
    return dataclasses.replace(res, runs=remeasure(res.runs, res.epochs, res.cases))


def once_per_results(compute: Callable[..., Any]) -> Callable[..., Any]:
    """``compute(res, ...)`` computed once per loaded ``Results`` and arguments (the tables are never mutated)."""
    @functools.wraps(compute)
    def cached(res: Results, *args: Any, **kwargs: Any) -> Any:
        key = (compute.__qualname__, args, tuple(sorted(kwargs.items())))
        if key not in res.derived:
            res.derived[key] = compute(res, *args, **kwargs)
        return res.derived[key]
    return cached


def ordered(present: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """``preferred`` first (in order), then the other non-empty values as first seen."""
    seen = [v for v in dict.fromkeys(present) if v]
    return [v for v in preferred if v in seen] + [v for v in seen if v not in preferred]


def case_order(res: Results) -> list[str]:
    return ordered([*res.cases["case"], *res.runs["case"]], [])


def is_variant(case: str) -> bool:
    """A grid or claim-sensitivity variant (``base[key=value,...]``, see ``scratchnet.bench.cases.grid``)."""
    return "[" in str(case)


def main_cases(res: Results) -> list[str]:
    """Registered cases with recorded runs, variants left out: the rows of the headline, the
    summary table and figure. Variants have their own sections (tutorial claims, grids);
    cases never run (e.g. outside the fast profile) are listed only under Missing."""
    ran = set(res.runs["case"])
    return [c for c in case_order(res) if c in ran and not is_variant(c)]


# Column order of every per-framework table and figure; other labels follow alphabetically.
PREFERRED_FRAMEWORKS = ("scratchnet", "keras", "tf-loop", "torch", "keras-default", "sklearn")
# Always listed (as "not run" where absent): the pair the suite exists to compare.
BASELINE_FRAMEWORKS = ("scratchnet", "keras")
REFERENCE_FRAMEWORK = "scratchnet"
PARITY_TWINS = ("keras", "tf-loop", "keras-default")  # Keras' arithmetic in Keras' order: same numbers in parity mode


def framework_order(names: Iterable[str]) -> list[str]:
    """``names`` deduplicated: PREFERRED_FRAMEWORKS first, then the others alphabetically."""
    present = {n for n in names if n}
    return ([n for n in PREFERRED_FRAMEWORKS if n in present]
            + sorted(present - set(PREFERRED_FRAMEWORKS)))


def run_frameworks(res: Results) -> list[str]:
    """Only the framework labels present in runs.csv, in column order."""
    return framework_order(res.runs["framework"])


def primary_mode(res: Results, case: str) -> str:
    """The mode a case is summarised in: "parity" when it has parity runs, else its first mode."""
    return (modes_of(res, case) or [""])[0]


def modes_of(res: Results, case: str) -> list[str]:
    return ordered(res.runs.loc[res.runs["case"] == case, "mode"], MODES)


def select(df: pd.DataFrame, **equal: str) -> pd.DataFrame:
    mask = np.ones(len(df), dtype=bool)
    for col, value in equal.items():
        mask &= (df[col] == value).to_numpy()
    return df[mask]


def main_host(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of the host (machine) with the most ok runs: timings are compared only within one."""
    hosts = runs["host"].fillna("").astype(str)
    ok = (runs["status"] == "ok").groupby(hosts, sort=False).sum()
    return runs if len(ok) <= 1 else runs[hosts == ok.idxmax()]


def same_host_runs(res: "Results") -> "Results":
    """``res`` with each case's runs cut to its main host: one ratio per case then compares
    runs of one host only."""
    if res.runs["host"].nunique() <= 1:
        return res
    parts = [main_host(group) for _, group in res.runs.groupby("case", sort=False)]
    return dataclasses.replace(res, runs=pd.concat(parts) if parts else res.runs)


def ok_runs(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["status"] == "ok"]


def finite_values(values: Iterable[Any]) -> np.ndarray:
    arr = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)
    return arr[np.isfinite(arr)]


def median_of(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else math.nan


def epoch_table(res: Results, case: str, fw: str, mode: str, column: str) -> pd.DataFrame:
    """epoch x seed table of ``column`` (epochs.csv) over the ok runs of one group; empty when nothing is finite."""
    ok = ok_runs(select(res.runs, case=case, framework=fw, mode=mode))[list(RUN_KEY)]
    rows = res.epochs.merge(ok, on=list(RUN_KEY), how="inner")
    rows = rows[np.isfinite(rows["epoch"]) & np.isfinite(rows[column].to_numpy(dtype=float))]
    return rows.pivot_table(index="epoch", columns="seed", values=column, aggfunc="median").sort_index()


def groups(res: Results) -> list[tuple[str, str, str, pd.DataFrame]]:
    """(case, mode, framework, runs) for every recorded group, plus the baseline frameworks
    of every case and mode with an empty frame where they were not run."""
    out = []
    for case in case_order(res):
        for mode in modes_of(res, case) or [""]:
            for fw in framework_order([*BASELINE_FRAMEWORKS, *res.runs["framework"]]):
                runs = select(res.runs, case=case, mode=mode, framework=fw)
                if len(runs) or fw in BASELINE_FRAMEWORKS:
                    out.append((case, mode, fw, runs))
    return out


def timing_only(ok: pd.DataFrame) -> bool:
    """Every run of ``ok`` stopped before the epochs asked for: it measured time only
    (e.g. keras-default), so its MSE and convergence say nothing about the case."""
    asked, done = ok["epochs"].to_numpy(dtype=float), ok["epochs_run"].to_numpy(dtype=float)
    known = np.isfinite(asked) & np.isfinite(done)
    return bool(len(ok) and known.all() and (done < asked).all())


def is_equivalent(res: Results, case: str) -> bool | None:
    """cases.csv's ``equivalent`` flag of ``case`` (None when unknown)."""
    rows = select(res.cases, case=case)
    return parse_flag(rows["equivalent"].iloc[-1]) if len(rows) else None


def keras_setting(runs: pd.DataFrame) -> tuple[str, bool] | None:
    """The execution setting a framework's ok runs used, as (steps_per_execution label, XLA on),
    or None when they recorded none. The label is "epoch" when one call ran a whole epoch."""
    ok = ok_runs(runs)
    spe, steps = finite_values(ok["keras_steps_per_execution"]), finite_values(ok["steps_per_epoch"])
    if not spe.size:
        return None
    value = int(pd.Series(spe).mode().iloc[0])
    jit = ok["keras_jit_compile"].map(parse_flag).dropna()
    return "epoch" if steps.size and value >= steps.max() else str(value), bool(len(jit) and jit.mode().iloc[0])


def execution_text(runs: pd.DataFrame) -> str:
    """How a framework's ok runs executed: Keras' setting (:func:`setting_text`), else the most
    common ``execution`` a calibrated contender recorded (tf-loop, torch), else ""."""
    if (keras := keras_setting(runs)) is not None:
        return setting_text(keras)
    values = ok_runs(runs)["execution"]
    values = values[values != ""]
    return str(values.mode().iloc[0]) if len(values) else ""


def setting_text(setting: tuple[str, bool] | None) -> str:
    """``("epoch", True)`` -> "whole epoch per call with XLA"; None -> ""."""
    if setting is None:
        return ""
    label, jit = setting
    calls = "whole epoch per call" if label == "epoch" else f"steps_per_execution {label}"
    return f"{calls} {'with' if jit else 'without'} XLA"
