"""Read a results directory into typed tables for analysis, tolerating what is missing or partial.

``read_results(directory) -> Results`` reads the tables of :mod:`.schema`: ``runs.csv``
(``FileNotFoundError`` when absent, ``ValueError`` when it holds no row, both naming the directory and
the file) and the optional ``epochs.csv``, ``parity.csv``, ``parity_epochs.csv``, ``cases.csv`` and
``environment.json`` (missing, empty or unreadable: an empty table and a note in ``Results.problems``).
Every schema column is present: text stripped ("" when absent), flags parsed by :func:`parse_flag`, the
rest numeric (NaN when absent); duplicate run keys keep the last row. The writers' reads go through
:func:`.results.read_table`, which refuses a damaged table; this reader renders whatever is there.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .schema import CASE_COLUMNS, EPOCH_COLUMNS, PARITY_COLUMNS, PARITY_EPOCH_COLUMNS, RUN_COLUMNS, RUN_KEY

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
    # tables derived from these by their readers, computed once (init=False: a copy made with
    # dataclasses.replace, e.g. other runs, starts with an empty one)
    derived: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)


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


def read_results(directory: Path) -> Results:
    """The results directory's tables (module docstring)."""
    runs, problems = _load_runs(directory), []

    def table(name: str, columns: Sequence[str], text: Iterable[str], flags: Iterable[str] = ()) -> pd.DataFrame:
        return _conform(_read(directory / name, problems), columns, text, flags)

    epochs = table("epochs.csv", EPOCH_COLUMNS, EPOCH_TEXT).drop_duplicates(subset=[*RUN_KEY, "epoch"], keep="last")
    cases = table("cases.csv", CASE_COLUMNS, CASE_TEXT, ("equivalent",))
    return Results(directory=directory, runs=runs, epochs=epochs,
                   parity=table("parity.csv", PARITY_COLUMNS, PARITY_TEXT, ("passed",)),
                   parity_epochs=table("parity_epochs.csv", PARITY_EPOCH_COLUMNS, PARITY_EPOCH_TEXT),
                   cases=cases, env=_load_environment(directory / "environment.json", problems), problems=problems)
