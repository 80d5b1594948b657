"""Load a results directory into typed tables, and select runs from them.

``load_results(directory) -> Results`` reads the tables of :mod:`scratchnet.bench.store.schema`:
``runs.csv`` (``FileNotFoundError`` when absent, ``ValueError`` when it holds no row, both naming the
directory and the file) and the optional ``epochs.csv``, ``parity.csv``, ``parity_epochs.csv``,
``cases.csv``, ``environment.json`` (missing, empty or unreadable: an empty table and a note in
``Results.problems``). Missing columns become NaN or ""; duplicate run keys keep the last row; runs are
re-measured against their case's shared convergence target (``measures.targets.remeasure``). The
selection helpers never mutate the tables.
"""
from __future__ import annotations

import dataclasses

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scratchnet.bench.measures.targets import remeasure
from scratchnet.bench.store.schema import (CASE_COLUMNS, EPOCH_COLUMNS, MODES, PARITY_COLUMNS,
    PARITY_EPOCH_COLUMNS, RUN_COLUMNS, RUN_KEY)


RUN_TEXT = ("case", "framework", "mode", "dtype", "dataset", "fingerprint", "status",
            "message", "started_at", "memory_method",
            "foreign_target", "foreign_parity_passed", "foreign_parity_message",
            "host", "cpu_model", "threads", "git_commit", "base_case", "cost_model_steps", "cost_model_note",
            "execution", "calibration_timings", "probe_predictions")
EPOCH_TEXT = ("case", "framework", "mode", "dtype", "fingerprint")
PARITY_TEXT = ("case", "dtype", "worst_layer", "message")
PARITY_EPOCH_TEXT = ("case", "dtype")
CASE_TEXT = ("case", "description", "dataset", "architecture", "loss", "optimizer", "dtype",
             "source", "claim", "tutorial_of", "base_case")


@dataclass
class Results:
    directory: Path
    runs: pd.DataFrame
    epochs: pd.DataFrame
    parity: pd.DataFrame
    parity_epochs: pd.DataFrame
    cases: pd.DataFrame
    env: dict[str, Any]
    problems: list[str]


def parse_flag(value: Any) -> bool | None:
    """Parse a boolean cell ("True", "false", 1, 0, bool); ``None`` when unknown."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return None if not np.isfinite(value) else bool(value)
    text = str(value).strip().lower()
    if text in {"true", "1", "1.0", "yes", "pass", "passed"}:
        return True
    if text in {"false", "0", "0.0", "no", "fail", "failed"}:
        return False
    return None


def _conform(df: pd.DataFrame, columns: Sequence[str], text: Iterable[str],
             flags: Iterable[str] = ()) -> pd.DataFrame:
    """Give ``df`` every contract column: text stripped, flags parsed, the rest numeric."""
    df = df.copy()
    text, flags = set(text), set(flags)
    for col in columns:
        if col not in df.columns:
            df[col] = np.nan
        if col in text:
            df[col] = df[col].astype(object).fillna("").astype(str).str.strip()
        elif col in flags:
            df[col] = pd.Series([parse_flag(v) for v in df[col]], index=df.index, dtype=object)
        else:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    return df


def _read(path: Path, problems: list[str]) -> pd.DataFrame:
    """One CSV as text cells; a missing, empty or unreadable file is an empty table and a note in ``problems``."""
    try:
        return pd.read_csv(path, dtype=str, on_bad_lines="skip")
    except FileNotFoundError:
        problems.append(f"{path.name}: missing")
    except pd.errors.EmptyDataError:
        problems.append(f"{path.name}: empty")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        problems.append(f"{path.name}: unreadable ({exc})")
    return pd.DataFrame()


def _load_environment(path: Path, problems: list[str]) -> dict[str, Any]:
    """environment.json; anything unusable is ``{}`` and a note in ``problems``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path.name}: missing")
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{path.name}: unreadable ({exc})")
        return {}
    if not isinstance(data, dict):
        problems.append(f"{path.name}: not a JSON object")
        return {}
    return data


def _load_runs(directory: Path) -> pd.DataFrame:
    path = directory / "runs.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{directory}: runs.csv not found ({path}); nothing to report")
    problems: list[str] = []
    frame = _read(path, problems)
    if frame.empty:
        raise ValueError(f"{directory}: runs.csv ({path}) holds no run{f' ({problems[0]})' if problems else ''}; "
                         "nothing to report")
    runs = _conform(frame, RUN_COLUMNS, RUN_TEXT)
    runs["status"] = runs["status"].replace("", "unknown")
    # a machine is its host name AND its CPU: one name served by two CPUs (a re-provisioned VM) is two
    # machines, and timings are only ever compared within one (main_host, same_host_runs)
    host, cpu = runs["host"].fillna("").astype(str), runs["cpu_model"].fillna("").astype(str)
    several = cpu.groupby(host).transform("nunique") > 1
    runs.loc[several, "host"] = host[several] + " (" + cpu[several] + ")"
    return runs.drop_duplicates(subset=list(RUN_KEY), keep="last").reset_index(drop=True)


def load_results(directory: Path) -> Results:
    """The results directory's tables (module docstring)."""
    runs, problems = _load_runs(directory), []
    table = lambda name, columns, text, flags=(): _conform(_read(directory / name, problems), columns, text, flags)  # noqa: E731
    epochs = table("epochs.csv", EPOCH_COLUMNS, EPOCH_TEXT).drop_duplicates(subset=[*RUN_KEY, "epoch"], keep="last")
    cases = table("cases.csv", CASE_COLUMNS, CASE_TEXT, ("equivalent",))
    return Results(directory=directory, runs=remeasure(runs, epochs, cases),  # shared convergence targets
                   epochs=epochs, parity=table("parity.csv", PARITY_COLUMNS, PARITY_TEXT, ("passed",)),
                   parity_epochs=table("parity_epochs.csv", PARITY_EPOCH_COLUMNS, PARITY_EPOCH_TEXT),
                   cases=cases, env=_load_environment(directory / "environment.json", problems), problems=problems)


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
