"""Where the numbers come from, stated without leaking the recording machine's paths.

``scrub_paths`` (absolute paths reduced to their last component), ``results_label`` (the results
directory as the reader should see it), ``recorded_at`` (the newest ``started_at``, never the clock, so
re-rendering gives identical bytes), ``run_commits`` / ``git_text`` (the commits the runs ran from, each
with its run count when a resumed table mixes several), ``seeds_text`` ("5 seeds per case, framework
and mode").
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scratchnet.bench.report.tables import Results

ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:[^\s/\"',;=\]\)\[(]+/)+([^\s/\"',;=\]\)\[(]+)")


def scrub_paths(text: str) -> str:
    """``text`` with every absolute path reduced to its file name."""
    return ABSOLUTE_PATH.sub(lambda m: m.group(1), text)


def results_label(directory: Path) -> str:
    if not directory.is_absolute():
        return directory.as_posix()
    try:
        return directory.resolve().relative_to(Path(os.getcwd()).resolve()).as_posix() or "."
    except ValueError:
        return directory.name


def env_get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def _started(runs: pd.DataFrame) -> pd.Series:
    """The runs' ``started_at`` as UTC timestamps (NaT where absent or unreadable)."""
    return pd.to_datetime(runs["started_at"].replace("", None), utc=True, errors="coerce", format="ISO8601")


def recorded_at(res: Results) -> str:
    stamps = _started(res.runs).dropna()
    if len(stamps):
        return stamps.max().isoformat(timespec="seconds")
    return str(env_get(res.env, "created_at") or "unknown")


def _short(commit: str) -> str:
    return commit[:12] + ("+dirty" if commit.endswith("+dirty") else "") if commit != "unknown" else commit


def run_commits(res: Results) -> tuple[list[tuple[str, int]], int]:
    """([(commit, runs)], runs without one): the runs' ``git_commit`` column, oldest commit first
    (by its first ``started_at``); ([], n) when no run records one (tables older than the column)."""
    given = res.runs["git_commit"]
    known = given != ""
    first = _started(res.runs)[known].groupby(given[known], sort=False).min().sort_values(na_position="last",
                                                                                          kind="stable")
    counts = given[known].value_counts()
    return [(c, int(counts[c])) for c in first.index], int((~known).sum())


def git_text(res: Results, *, short: bool = False) -> str:
    """The code the runs ran (:func:`run_commits`): one commit, or each with its run count when a
    resumed table holds several, and the runs without one; tables without the column:
    environment.json's commit (the latest session's)."""
    fmt = _short if short else str
    commits, missing = run_commits(res)
    if not commits:
        return fmt(str(env_get(res.env, "git_commit") or "unknown"))
    if len(commits) == 1 and not missing:
        return fmt(commits[0][0])
    parts = [f"{fmt(c)} ({n} runs)" for c, n in commits]
    return ", ".join(parts + ([f"{missing} runs without a recorded commit"] if missing else []))


def seeds_text(res: Results) -> str:
    runs = res.runs[np.isfinite(res.runs["seed"].to_numpy(dtype=float))]
    counts = runs.groupby(["case", "framework", "mode"], sort=False)["seed"].nunique()
    if counts.empty:
        return "no seed recorded"
    low, high = int(counts.min()), int(counts.max())
    n = f"{low}" if low == high else f"{low}–{high}"
    return f"{n} seed{'s' if high != 1 else ''} per case, framework and mode"
