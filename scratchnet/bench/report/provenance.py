"""Where the numbers come from, stated without leaking the recording machine's paths.

* ``scrub_paths(text)``: every absolute POSIX path (two or more components) replaced
  by its last component, e.g. a BLAS library's ``filepath`` becomes its file name.
* ``results_label(directory)``: the results directory as the reader should see it:
  a relative path as given, an absolute one relative to the working directory when
  inside it, else just its name.
* ``recorded_at(res)``: the newest ``started_at`` of runs.csv (ISO 8601 UTC), else
  environment.json's ``created_at``, else "unknown" -- never the time the report was
  rendered, so re-rendering unchanged tables gives identical bytes.
* ``seeds_text(res)``: "5 seeds per case, framework and mode" (or a range when the
  groups differ).
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


def recorded_at(res: Results) -> str:
    stamps = pd.to_datetime(res.runs["started_at"].replace("", None), utc=True, errors="coerce",
                            format="ISO8601")
    stamps = stamps.dropna()
    if len(stamps):
        return stamps.max().isoformat(timespec="seconds")
    return str(env_get(res.env, "created_at") or "unknown")


def git_text(res: Results) -> str:
    return str(env_get(res.env, "git_commit") or "unknown")


def seeds_text(res: Results) -> str:
    runs = res.runs[np.isfinite(res.runs["seed"].to_numpy(dtype=float))]
    counts = runs.groupby(["case", "framework", "mode"], sort=False)["seed"].nunique()
    if counts.empty:
        return "no seed recorded"
    low, high = int(counts.min()), int(counts.max())
    n = f"{low}" if low == high else f"{low}–{high}"
    return f"{n} seed{'s' if high != 1 else ''} per case, framework and mode"
