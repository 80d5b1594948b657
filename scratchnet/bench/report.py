"""Render a recorded results directory into a human-readable report.

Contract
--------
``build_report(results_dir, out_dir=None) -> ReportPaths``

* Reads the tables described in :mod:`scratchnet.bench.schema` from
  ``results_dir``: ``runs.csv`` (required), ``epochs.csv``, ``parity.csv``,
  ``parity_epochs.csv``, ``cases.csv`` and ``environment.json`` (all optional,
  any of them may be partial: missing columns are treated as NaN / empty).
* Raises ``FileNotFoundError`` when ``runs.csv`` is absent and ``ValueError``
  when it holds no row; both messages name the directory and the file.
  Anything else (a framework never run, every run diverged, NaN everywhere, a
  single seed, a missing or malformed optional file) is rendered, never raised.
* Writes into ``out_dir`` (default: ``results_dir``): ``REPORT.md``
  (GitHub-flavoured markdown, pipe tables), ``report.html`` (one self-contained
  file: inline CSS, figures embedded as base64 PNG data URIs) and
  ``figures/*.png``. Every file is written atomically (temp file in the same
  directory, then ``os.replace``). PNGs in ``figures/`` that follow this
  module's naming scheme but were not produced by this call are removed, so the
  folder always matches the report.
* Every number in the report is computed here from the tables; only the
  definitions are text. Only runs with ``status == "ok"`` enter medians,
  intervals, tests and curves; the others are counted and listed.

Statistics
----------
* Median CI: 95 % percentile bootstrap of the median over seeds
  (``scipy.stats.bootstrap``, 2000 resamples, generator seed 0); "n/a" with
  fewer than two values.
* Speed ratio CI: seeds of each framework resampled independently
  (``numpy.random.default_rng(0)``, 2000 resamples), 95 % percentile interval
  of the ratio of medians.
* MSE comparison: two-sided Mann-Whitney U (verdict) and Welch's t (shown),
  needing at least three successful runs per framework.

Figures are drawn on ``matplotlib.figure.Figure`` objects (Agg canvas, never
registered with pyplot), so no global figure state is created or leaked.
"""
from __future__ import annotations

import base64
import html
import inspect
import io
import json
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from .metrics import CONVERGENCE_DEFINITION
from .store import atomic_write_bytes
from .schema import (
    CASE_COLUMNS,
    EPOCH_COLUMNS,
    FRAMEWORKS,
    MODES,
    PARITY_COLUMNS,
    PARITY_EPOCH_COLUMNS,
    RUN_COLUMNS,
    RUN_KEY,
    STATUSES,
)

__all__ = ["ReportPaths", "build_report"]

CI_LEVEL = 0.95
N_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
ALPHA = 0.05
MIN_RUNS_FOR_TEST = 3
CLAIM_REL_TOL = 0.05
DPI = 100
NA = "n/a"
DASH = "—"

MSE_DEFINITION = (
    "mean((y_pred - y_true)**2) over every row and output, in float64, computed by the "
    "harness from predictions (never from a framework's training logs)"
)
TIMING_BOUNDARIES = (
    "fit time excludes import, dataset load, model build and compile; Keras' first epoch "
    "(graph tracing) is reported separately; evaluation between epochs is not counted"
)

RUN_TEXT = ("case", "framework", "mode", "dtype", "dataset", "fingerprint", "status",
            "message", "started_at")
EPOCH_TEXT = ("case", "framework", "mode", "dtype", "fingerprint")
PARITY_TEXT = ("case", "dtype", "worst_layer", "message")
PARITY_EPOCH_TEXT = ("case", "dtype")
CASE_TEXT = ("case", "description", "dataset", "architecture", "loss", "optimizer", "dtype",
             "source", "claim", "tutorial_of")

FRAMEWORK_COLORS = {"scratchnet": "tab:blue", "keras": "tab:orange"}
MODE_STYLES = {"native": "-", "parity": "--"}
FIGURE_PATTERNS = ("loss_*.png", "seconds_per_epoch.png", "parity_drift.png")


@dataclass(frozen=True)
class ReportPaths:
    """Where :func:`build_report` wrote its output."""

    markdown: Path
    html: Path
    figures: list[Path] = field(default_factory=list)


# --------------------------------------------------------------------------- loading


@dataclass
class _Results:
    directory: Path
    runs: pd.DataFrame
    epochs: pd.DataFrame
    parity: pd.DataFrame
    parity_epochs: pd.DataFrame
    cases: pd.DataFrame
    env: dict[str, Any]
    problems: list[str]


def _flag(value: Any) -> bool | None:
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
            df[col] = pd.Series([_flag(v) for v in df[col]], index=df.index, dtype=object)
        else:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    return df


def _read_table(path: Path, columns: Sequence[str], text: Iterable[str],
                flags: Iterable[str], problems: list[str]) -> pd.DataFrame:
    """Read one CSV; a missing or unreadable file yields an empty table and a note."""
    frame = pd.DataFrame(columns=list(columns))
    if not path.is_file():
        problems.append(f"{path.name}: missing")
    else:
        try:
            frame = pd.read_csv(path, dtype=str, on_bad_lines="skip")
        except pd.errors.EmptyDataError:
            problems.append(f"{path.name}: empty")
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            problems.append(f"{path.name}: unreadable ({exc})")
    return _conform(frame, columns, text, flags)


def _load_environment(path: Path, problems: list[str]) -> dict[str, Any]:
    """Parse environment.json; anything unusable becomes ``{}`` plus a note."""
    if not path.is_file():
        problems.append(f"{path.name}: missing")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
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
    try:
        frame = pd.read_csv(path, dtype=str, on_bad_lines="skip")
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    if frame.empty:
        raise ValueError(f"{directory}: runs.csv ({path}) holds no run; nothing to report")
    runs = _conform(frame, RUN_COLUMNS, RUN_TEXT)
    runs["status"] = runs["status"].replace("", "unknown")
    return runs.drop_duplicates(subset=list(RUN_KEY), keep="last").reset_index(drop=True)


def _load_results(directory: Path) -> _Results:
    runs = _load_runs(directory)
    problems: list[str] = []
    epochs = _read_table(directory / "epochs.csv", EPOCH_COLUMNS, EPOCH_TEXT, (), problems)
    epochs = epochs.drop_duplicates(subset=[*RUN_KEY, "epoch"], keep="last")
    return _Results(
        directory=directory,
        runs=runs,
        epochs=epochs,
        parity=_read_table(directory / "parity.csv", PARITY_COLUMNS, PARITY_TEXT,
                           ("passed",), problems),
        parity_epochs=_read_table(directory / "parity_epochs.csv", PARITY_EPOCH_COLUMNS,
                                  PARITY_EPOCH_TEXT, (), problems),
        cases=_read_table(directory / "cases.csv", CASE_COLUMNS, CASE_TEXT,
                          ("equivalent",), problems),
        env=_load_environment(directory / "environment.json", problems),
        problems=problems,
    )


# --------------------------------------------------------------------------- selection


def _ordered(present: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """``preferred`` first (in order), then the other non-empty values as first seen."""
    seen = [v for v in dict.fromkeys(present) if v]
    return [v for v in preferred if v in seen] + [v for v in seen if v not in preferred]


def _case_order(res: _Results) -> list[str]:
    return _ordered([*res.cases["case"], *res.runs["case"]], [])


def _frameworks(res: _Results) -> list[str]:
    return _ordered([*FRAMEWORKS, *res.runs["framework"]], FRAMEWORKS)


def _modes(res: _Results, case: str) -> list[str]:
    return _ordered(res.runs.loc[res.runs["case"] == case, "mode"], MODES)


def _select(df: pd.DataFrame, **equal: str) -> pd.DataFrame:
    mask = np.ones(len(df), dtype=bool)
    for col, value in equal.items():
        mask &= (df[col] == value).to_numpy()
    return df[mask]


def _ok(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["status"] == "ok"]


def _finite(values: Iterable[Any]) -> np.ndarray:
    arr = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
    arr = arr.to_numpy(dtype=float)
    return arr[np.isfinite(arr)]


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else math.nan


def _groups(res: _Results) -> list[tuple[str, str, str, pd.DataFrame]]:
    """(case, mode, framework, runs) for every combination, empty frame when not run."""
    out = []
    for case in _case_order(res):
        for mode in _modes(res, case) or [""]:
            for fw in _frameworks(res):
                out.append((case, mode, fw, _select(res.runs, case=case, mode=mode, framework=fw)))
    return out


def _case_meta(res: _Results, case: str) -> pd.Series | None:
    rows = _select(res.cases, case=case)
    return rows.iloc[-1] if len(rows) else None


def _equivalent(res: _Results, case: str) -> bool | None:
    meta = _case_meta(res, case)
    return None if meta is None else _flag(meta["equivalent"])


# --------------------------------------------------------------------------- formatting


def _fmt_mse(x: float) -> str:
    return NA if not np.isfinite(x) else f"{x:.4g}"


def _fmt_p(p: float) -> str:
    return NA if not np.isfinite(p) else f"{p:.3g}"


def _fmt_sci(x: float) -> str:
    return NA if not np.isfinite(x) else f"{x:.3g}"


def _fmt_num(x: float) -> str:
    return NA if not np.isfinite(x) else f"{x:g}"


def _fmt_int(x: float) -> str:
    return NA if not np.isfinite(x) else str(int(round(x)))


def _three_digits(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _fmt_time(seconds: float) -> str:
    """Seconds with a sensible unit: µs below 1 ms, ms below 1 s, else s."""
    if not np.isfinite(seconds):
        return NA
    magnitude = abs(seconds)
    if magnitude == 0 or magnitude >= 1:
        return f"{_three_digits(seconds)} s"
    if magnitude >= 1e-3:
        return f"{_three_digits(seconds * 1e3)} ms"
    return f"{_three_digits(seconds * 1e6)} µs"


def _fmt_mib(mib: float) -> str:
    return NA if not np.isfinite(mib) else f"{_three_digits(mib)} MiB"


def _fmt_ratio(x: float) -> str:
    return NA if not np.isfinite(x) else f"{_three_digits(x)}×"


def _fmt_interval(lo: float, hi: float, fmt: Any) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return NA
    return f"[{fmt(lo)}, {fmt(hi)}]"


def _mode_label(mode: str) -> str:
    return mode or DASH


# --------------------------------------------------------------------------- statistics


def _bootstrap_rng_kwargs() -> dict[str, Any]:
    """scipy >= 1.15 takes ``rng``; older versions take ``random_state``."""
    name = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"
    return {name: np.random.default_rng(BOOTSTRAP_SEED)}


def _median_ci(values: np.ndarray) -> tuple[float, float]:
    """95 % percentile-bootstrap CI of the median; NaNs with fewer than two values."""
    if values.size < 2:
        return math.nan, math.nan
    if np.all(values == values[0]):
        return float(values[0]), float(values[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.bootstrap((values,), np.median, n_resamples=N_RESAMPLES,
                                 confidence_level=CI_LEVEL, method="percentile",
                                 **_bootstrap_rng_kwargs())
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _ratio_ci(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """CI of median(num)/median(den), resampling both samples independently."""
    if num.size < 2 or den.size < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    top = np.median(rng.choice(num, size=(N_RESAMPLES, num.size)), axis=1)
    bottom = np.median(rng.choice(den, size=(N_RESAMPLES, den.size)), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = top / bottom
    ratios = ratios[np.isfinite(ratios)]
    if ratios.size == 0:
        return math.nan, math.nan
    tail = 100 * (1 - CI_LEVEL) / 2
    lo, hi = np.percentile(ratios, [tail, 100 - tail])
    return float(lo), float(hi)


def _ratio(num: np.ndarray, den: np.ndarray) -> float:
    top, bottom = _median(num), _median(den)
    return top / bottom if np.isfinite(bottom) and bottom != 0 else math.nan


def _compare_mse(a: np.ndarray, b: np.ndarray) -> tuple[float, float, str]:
    """(Mann-Whitney p, Welch p, verdict) for two samples of test MSE."""
    if a.size < MIN_RUNS_FOR_TEST or b.size < MIN_RUNS_FOR_TEST:
        return math.nan, math.nan, "too few runs"
    both = np.concatenate([a, b])
    if np.all(both == both[0]):
        return math.nan, math.nan, "identical"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p_mwu = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
        p_welch = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    if not np.isfinite(p_mwu):
        return p_mwu, p_welch, "undefined"
    word = "significant at 5%" if p_mwu < ALPHA else "no significant difference"
    return p_mwu, p_welch, f"{word} (p={_fmt_p(p_mwu)})"


# --------------------------------------------------------------------------- document model

Part = Union[str, tuple[str, str]]  # plain text, or (style, text) with style "code" / "b"


@dataclass(frozen=True)
class _Heading:
    level: int
    text: str


@dataclass(frozen=True)
class _Para:
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class _Bullets:
    items: tuple[tuple[Part, ...], ...]


@dataclass(frozen=True)
class _Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Image:
    name: str
    caption: str
    png: bytes


Block = Union[_Heading, _Para, _Bullets, _Table, _Image]


def _para(*parts: Part) -> _Para:
    return _Para(tuple(parts))


def _kv(label: str, value: str) -> tuple[Part, ...]:
    return (("b", f"{label}:"), f" {value}")


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> _Table:
    return _Table(tuple(headers), tuple(tuple(str(c) for c in r) for r in rows))


# --------------------------------------------------------------------------- header


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def _describe(value: Any) -> str:
    """Free-form environment value as one line; "unknown" when absent."""
    if value is None or value == "" or value == {}:
        return "unknown"
    if isinstance(value, dict):
        return "; ".join(f"{k}={_describe_leaf(v)}" for k, v in value.items())
    return _describe_leaf(value)


def _describe_leaf(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _machine_line(env: dict[str, Any]) -> str:
    cpu = _get(env, "machine", "cpu") or "unknown CPU"
    cores = _get(env, "machine", "cores")
    platform = _get(env, "machine", "platform") or "unknown platform"
    cores_text = f"{cores} cores" if cores is not None else "unknown cores"
    return f"{cpu}, {cores_text}, {platform}"


def _versions_line(env: dict[str, Any]) -> str:
    versions = _get(env, "versions")
    if not isinstance(versions, dict) or not versions:
        return "unknown"
    known = ("python", "numpy", "tensorflow", "keras", "scikit-learn", "scratchnet")
    keys = [k for k in known if k in versions] + [k for k in versions if k not in known]
    return ", ".join(f"{k} {versions[k]}" for k in keys)


def _datasets_line(env: dict[str, Any]) -> str:
    datasets = _get(env, "datasets")
    if not isinstance(datasets, dict) or not datasets:
        return "unknown"
    return ", ".join(f"{name} (sha256 {str(fp)[:16]}…)" for name, fp in datasets.items())


def _seeds_line(res: _Results) -> str:
    seeds = np.unique(_finite(res.runs["seed"]))
    setting = _get(res.env, "seeds")
    return (f"{seeds.size} distinct seeds present in runs.csv "
            f"(environment setting: {setting if setting is not None else 'unknown'})")


def _steps_line(res: _Results) -> str:
    setting = _get(res.env, "keras_steps_per_execution")
    keras_rows = _select(res.runs, framework="keras")
    recorded = sorted({int(v) for v in _finite(keras_rows["keras_steps_per_execution"])})
    recorded_text = ", ".join(map(str, recorded)) if recorded else "none recorded"
    return (f"{setting if setting is not None else 'unknown'} (environment); "
            f"in keras runs: {recorded_text}")


def _runs_line(res: _Results) -> str:
    total = len(res.runs)
    ok = len(_ok(res.runs))
    return f"{total} runs recorded, {ok} ok, {total - ok} not ok (see Missing and failed)"


def _header_blocks(res: _Results) -> list[Block]:
    env = res.env
    generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    items = (
        _kv("Generated", generated),
        _kv("Results directory", str(res.directory)),
        _kv("Results recorded at", str(_get(env, "created_at") or "unknown")),
        _kv("Git commit", str(_get(env, "git_commit") or "unknown")),
        _kv("Machine", _machine_line(env)),
        _kv("BLAS", _describe(_get(env, "blas"))),
        _kv("Threads", _describe(_get(env, "threads"))),
        _kv("Versions", _versions_line(env)),
        _kv("Datasets", _datasets_line(env)),
        _kv("Seeds", _seeds_line(res)),
        _kv("Profile", str(_get(env, "profile") or "unknown")),
        _kv("Keras steps_per_execution", _steps_line(res)),
        _kv("Runs", _runs_line(res)),
    )
    return [_Heading(1, "scratchnet vs Keras: benchmark report"), _Bullets(items)]


def _definition_blocks() -> list[Block]:
    ci = (f"{CI_LEVEL:.0%} percentile bootstrap of the median over seeds "
          f"({N_RESAMPLES} resamples, seed {BOOTSTRAP_SEED}); n/a with fewer than 2 ok seeds")
    items = (
        _kv("MSE", MSE_DEFINITION),
        _kv("Convergence epoch", CONVERGENCE_DEFINITION),
        _kv("Time to target", "summed training seconds of epochs 1..convergence epoch"),
        _kv("Time per epoch", "median training time of epochs 2.. (epoch 1 if only one); "
                              "time per step = time per epoch / steps per epoch"),
        _kv("Peak memory", "peak RSS growth during fit"),
        _kv("Timing boundaries", TIMING_BOUNDARIES),
        _kv("Confidence intervals", ci),
        _kv("Runs used", "medians, intervals, tests and curves use runs with status ok only"),
    )
    return [_Heading(2, "Definitions"), _Bullets(items)]


# --------------------------------------------------------------------------- cases


def _case_blocks(res: _Results) -> list[Block]:
    if res.cases.empty:
        return []
    headers = ("Case", "Description", "Dataset", "Architecture", "Loss", "Optimizer",
               "Batch", "Epochs", "dtype", "Target loss", "Equivalent", "Source")
    rows = []
    for _, c in res.cases.iterrows():
        eq = _flag(c["equivalent"])
        rows.append((c["case"], c["description"], c["dataset"], c["architecture"], c["loss"],
                     c["optimizer"], _fmt_int(c["batch_size"]), _fmt_int(c["epochs"]),
                     c["dtype"], _fmt_mse(c["target_loss"]),
                     "unknown" if eq is None else ("yes" if eq else "no (by design)"),
                     c["source"]))
    return [_Heading(2, "Cases"), _table(headers, rows)]


# --------------------------------------------------------------------------- summary

SUMMARY_HEADERS = (
    "Case", "Mode", "Framework", "Runs ok", "Test MSE median [95% CI]", "Train MSE median",
    "Convergence epoch median (range), converged/ok", "Time to target", "Time per epoch",
    "Time per step", "First epoch", "Peak memory", "Status",
)


def _median_ci_cell(values: np.ndarray) -> str:
    if values.size == 0:
        return NA
    if values.size == 1:
        return f"{_fmt_mse(values[0])} (CI n/a)"
    lo, hi = _median_ci(values)
    return f"{_fmt_mse(_median(values))} {_fmt_interval(lo, hi, _fmt_mse)}"


def _convergence_cell(ok: pd.DataFrame) -> str:
    if ok.empty:
        return NA
    epochs = _finite(ok["convergence_epoch"])
    if epochs.size == 0:
        return f"did not converge, 0/{len(ok)}"
    spread = f"{_fmt_num(epochs.min())}–{_fmt_num(epochs.max())}"
    return f"{_fmt_num(_median(epochs))} ({spread}), {epochs.size}/{len(ok)}"


def _status_cell(runs: pd.DataFrame) -> str:
    counts = runs.loc[runs["status"] != "ok", "status"].value_counts()
    if counts.empty:
        return "ok"
    order = _ordered(counts.index, STATUSES)
    return ", ".join(f"{counts[s]} {s}" for s in order)


def _summary_row(case: str, mode: str, fw: str, runs: pd.DataFrame) -> tuple[str, ...]:
    key = (case, _mode_label(mode), fw)
    if runs.empty:
        return (*key, "not run", *([DASH] * (len(SUMMARY_HEADERS) - 5)), "not run")
    ok = _ok(runs)
    med = lambda col: _median(_finite(ok[col]))  # noqa: E731
    return (
        *key,
        f"{len(ok)}/{len(runs)}",
        _median_ci_cell(_finite(ok["test_mse"])),
        _fmt_mse(med("train_mse")),
        _convergence_cell(ok),
        _fmt_time(med("seconds_to_target")),
        _fmt_time(med("seconds_per_epoch")),
        _fmt_time(med("seconds_per_step")),
        _fmt_time(med("first_epoch_seconds")),
        _fmt_mib(med("peak_memory_mb")),
        _status_cell(runs),
    )


def _summary_blocks(res: _Results) -> list[Block]:
    rows = [_summary_row(*group) for group in _groups(res)]
    note = _para("One row per case, mode and framework. Medians over the seeds whose run "
                 "finished ok; \"First epoch\" includes Keras' graph tracing.")
    return [_Heading(2, "Summary"), note, _table(SUMMARY_HEADERS, rows)]


# --------------------------------------------------------------------------- speed


def _parity_state(res: _Results, case: str) -> tuple[str, str]:
    """("pass" | "fail" | "not checked", cell text with worst gradient error and drift)."""
    rows = _select(res.parity, case=case)
    if rows.empty:
        return "not checked", "not checked"
    flags = [_flag(v) for v in rows["passed"]]
    if any(f is False for f in flags):
        state = "fail"
    elif all(f is True for f in flags):
        state = "pass"
    else:
        state = "not checked"
    grad = _finite(rows["grad_error"])
    drift = _finite(rows["max_abs_weight_drift"])
    worst_grad = _fmt_sci(grad.max()) if grad.size else NA
    worst_drift = _fmt_sci(drift.max()) if drift.size else NA
    return state, f"{state} (grad error {worst_grad}, max abs drift {worst_drift})"


def _comparability(res: _Results, case: str, state: str, sizes: dict[str, int]) -> str:
    if _equivalent(res, case) is False:
        return "not equivalent by design"
    missing = [fw for fw, n in sizes.items() if n == 0]
    if missing:
        return f"n/a (no ok {' / '.join(missing)} timing)"
    if state == "pass":
        return "comparable"
    reason = "parity failed" if state == "fail" else "parity not checked"
    return f"not comparable ({reason})"


def _speed_row(res: _Results, case: str, mode: str) -> tuple[str, ...]:
    runs = _select(res.runs, case=case, mode=mode)
    sn = _finite(_ok(_select(runs, framework="scratchnet"))["seconds_per_epoch"])
    kr = _finite(_ok(_select(runs, framework="keras"))["seconds_per_epoch"])
    lo, hi = _ratio_ci(kr, sn)
    state, parity_cell = _parity_state(res, case)
    return (case, _mode_label(mode), _fmt_time(_median(sn)), _fmt_time(_median(kr)),
            _fmt_ratio(_ratio(kr, sn)), _fmt_interval(lo, hi, _fmt_ratio), parity_cell,
            _comparability(res, case, state, {"scratchnet": sn.size, "keras": kr.size}))


def _speed_blocks(res: _Results) -> list[Block]:
    headers = ("Case", "Mode", "scratchnet time per epoch", "Keras time per epoch",
               "Keras/scratchnet", "95% CI", "Parity", "Comparison")
    rows = [_speed_row(res, case, mode) for case in _case_order(res) for mode in _modes(res, case)]
    note = _para("Ratio of median seconds per epoch (above 1: scratchnet is faster). CI: seeds "
                 f"of each framework resampled independently, {N_RESAMPLES} resamples, "
                 "percentile interval. A ratio is called comparable only when the case's "
                 "parity check passed.")
    return [_Heading(2, "Speed"), note, _table(headers, rows)]


# --------------------------------------------------------------------------- significance


def _ok_test_mse(res: _Results, case: str, mode: str, fw: str) -> np.ndarray:
    return _finite(_ok(_select(res.runs, case=case, mode=mode, framework=fw))["test_mse"])


def _significance_row(res: _Results, case: str, mode: str) -> tuple[str, ...]:
    sn = _ok_test_mse(res, case, mode, "scratchnet")
    kr = _ok_test_mse(res, case, mode, "keras")
    p_mwu, p_welch, verdict = _compare_mse(sn, kr)
    label = case if _equivalent(res, case) is not False else f"{case} (not equivalent by design)"
    return (label, _mode_label(mode), str(sn.size), str(kr.size), _fmt_mse(_median(sn)),
            _fmt_mse(_median(kr)), _fmt_p(p_mwu), _fmt_p(p_welch), verdict)


def _significance_blocks(res: _Results) -> list[Block]:
    headers = ("Case", "Mode", "ok runs scratchnet", "ok runs Keras", "scratchnet median test MSE",
               "Keras median test MSE", "Mann-Whitney U p", "Welch t p", "Verdict")
    rows = [_significance_row(res, c, m) for c in _case_order(res) for m in _modes(res, c)]
    note = _para("Test MSE of the ok seeds of both frameworks; two-sided Mann-Whitney U gives the "
                 "verdict, Welch's t is shown alongside. \"too few runs\": fewer than "
                 f"{MIN_RUNS_FOR_TEST} per side; \"identical\": every value equal (both tests "
                 "undefined).")
    return [_Heading(2, "Test MSE: scratchnet vs Keras"), note, _table(headers, rows)]


# --------------------------------------------------------------------------- parity


def _parity_row(row: pd.Series) -> tuple[str, ...]:
    flag = _flag(row["passed"])
    result = "pass" if flag is True else ("fail" if flag is False else "unknown")
    return (row["case"], row["dtype"], _fmt_int(row["epochs"]), _fmt_int(row["batch_size"]),
            _fmt_int(row["n_rows"]), _fmt_sci(row["grad_error"]),
            _fmt_sci(row["max_abs_weight_drift"]), _fmt_sci(row["max_rel_weight_drift"]),
            _fmt_sci(row["max_loss_diff"]), _fmt_sci(row["grad_tol"]),
            _fmt_sci(row["weight_tol"]), result, row["worst_layer"] or DASH,
            row["message"] or DASH)


def _parity_blocks(res: _Results) -> list[Block]:
    head: list[Block] = [_Heading(2, "Parity")]
    if res.parity.empty:
        return [*head, _para("No parity check recorded (parity.csv missing or empty).")]
    headers = ("Case", "dtype", "Epochs", "Batch size", "Rows", "Gradient error",
               "Max abs weight drift", "Max rel weight drift", "Max loss diff", "Gradient tol",
               "Weight tol", "Result", "Worst layer", "Message")
    rows = [_parity_row(r) for _, r in res.parity.iterrows()]
    note = _para("Same initial weights and batch order in both frameworks; gradient error before "
                 "training, weight drift after the last epoch.")
    return [*head, note, _table(headers, rows)]


# --------------------------------------------------------------------------- claims


def _mse_at_epoch(res: _Results, ok: pd.DataFrame, epoch: float) -> str:
    if not np.isfinite(epoch):
        return DASH
    keys = ok[list(RUN_KEY)]
    rows = res.epochs.merge(keys, on=list(RUN_KEY), how="inner")
    values = _finite(rows.loc[rows["epoch"] == epoch, "test_mse"])
    return _fmt_mse(_median(values))


def _claim_rows(res: _Results, label: str, case: str, fw: str, epoch: float,
                note: str) -> list[tuple[str, ...]]:
    modes = _ordered(_select(res.runs, case=case, framework=fw)["mode"], MODES)
    if not modes:
        return [(label, case, DASH, "not run", DASH, DASH, DASH, note)]
    rows = []
    for mode in modes:
        runs = _select(res.runs, case=case, framework=fw, mode=mode)
        ok = _ok(runs)
        rows.append((label, case, mode, f"{len(ok)}/{len(runs)}",
                     _median_ci_cell(_finite(ok["test_mse"])), _mse_at_epoch(res, ok, epoch),
                     _convergence_cell(ok), note))
    return rows


def _claim_verdict(res: _Results, case: str, claimed: float) -> str:
    if not np.isfinite(claimed):
        return "no numeric claim to check"
    runs = _select(res.runs, case=case, framework="scratchnet")
    modes = [m for m in _ordered(runs["mode"], ("native", "parity"))
             if _finite(_ok(_select(runs, mode=m))["test_mse"]).size]
    if not modes:
        return "cannot be checked: no successful scratchnet run"
    values = _finite(_ok(_select(runs, mode=modes[0]))["test_mse"])
    med = _median(values)
    lo, hi = _median_ci(values)
    within_ci = np.isfinite(lo) and lo <= claimed <= hi
    within_tol = abs(claimed - med) <= CLAIM_REL_TOL * abs(med)
    measured = (f"measured scratchnet median {_fmt_mse(med)} (95% CI "
                f"{_fmt_interval(lo, hi, _fmt_mse)}, {modes[0]} mode, n={values.size})")
    if within_ci:
        return f"holds: claimed {_fmt_mse(claimed)} lies inside the 95% CI of the {measured}"
    if within_tol:
        return f"holds: claimed {_fmt_mse(claimed)} is within 5% of the {measured}"
    off = f"; off by {(claimed - med) / med:+.1%}" if med else ""
    return f"does not hold: claimed {_fmt_mse(claimed)} vs {measured}{off}"


def _claim_blocks_for(res: _Results, meta: pd.Series) -> list[Block]:
    case, epoch, claimed = meta["case"], meta["claim_epochs"], meta["claim_test_mse"]
    companions = [c for c in _select(res.cases, tutorial_of=case)["case"] if c and c != case]
    rows = _claim_rows(res, "scratchnet", case, "scratchnet", epoch, "")
    rows += _claim_rows(res, "Keras twin", case, "keras", epoch, "equivalent model")
    for other in companions:
        rows += _claim_rows(res, "published model (Keras)", other, "keras", epoch,
                            "not equivalent: the tutorial's own model")
    epoch_label = f"epoch {_fmt_int(epoch)}" if np.isfinite(epoch) else "claimed epoch"
    headers = ("Model", "Case", "Mode", "Runs ok", "Median test MSE [95% CI]",
               f"Median test MSE at {epoch_label}", "Convergence epoch", "Note")
    return [
        _Heading(3, case),
        _Bullets((
            _kv("Claim", f"“{meta['claim']}”"),
            _kv("Source", meta["source"] or "unknown"),
            _kv("Claimed test MSE", _fmt_mse(claimed)),
            _kv("Claimed epochs", _fmt_int(epoch)),
        )),
        _table(headers, rows),
        _para(("b", "Verdict:"), f" {_claim_verdict(res, case, claimed)}"),
    ]


def _claims_blocks(res: _Results) -> list[Block]:
    claimed = res.cases[res.cases["claim"] != ""]
    if claimed.empty:
        return []
    blocks: list[Block] = [
        _Heading(2, "Tutorial claims"),
        _para("A claim holds when the claimed test MSE lies within the 95% CI of the measured "
              "scratchnet median, or within 5% of that median."),
    ]
    for _, meta in claimed.iterrows():
        blocks += _claim_blocks_for(res, meta)
    return blocks


# --------------------------------------------------------------------------- missing


def _missing_blocks(res: _Results) -> list[Block]:
    blocks: list[Block] = [_Heading(2, "Missing and failed")]
    not_run = [f"{case} / {fw} / {_mode_label(mode)}: not run"
               for case, mode, fw, runs in _groups(res) if runs.empty]
    failed = res.runs[res.runs["status"] != "ok"]
    if not (res.problems or not_run or len(failed)):
        return [*blocks, _para("Nothing missing: every file present and every run ok.")]
    if res.problems:
        blocks += [_para(("b", "Files")), _Bullets(tuple((p,) for p in res.problems))]
    if not_run:
        blocks += [_para(("b", "Not run")), _Bullets(tuple((n,) for n in not_run))]
    if len(failed):
        headers = ("Case", "Framework", "Mode", "Seed", "Status", "Epochs run", "Message")
        rows = [(r["case"], r["framework"], _mode_label(r["mode"]), _fmt_int(r["seed"]),
                 r["status"], _fmt_int(r["epochs_run"]), r["message"] or DASH)
                for _, r in failed.iterrows()]
        blocks += [_para(("b", "Runs not ok")), _table(headers, rows)]
    return blocks


# --------------------------------------------------------------------------- figures


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "case"


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    fig.clear()
    return buffer.getvalue()


def _curve_table(res: _Results, case: str, fw: str, mode: str) -> pd.DataFrame:
    """epoch x seed table of test loss over the ok runs of one group."""
    ok = _ok(_select(res.runs, case=case, framework=fw, mode=mode))[list(RUN_KEY)]
    rows = res.epochs.merge(ok, on=list(RUN_KEY), how="inner")
    rows = rows[np.isfinite(rows["epoch"])]
    if rows.empty:
        return pd.DataFrame()
    return rows.pivot_table(index="epoch", columns="seed", values="test_loss", aggfunc="median",
                            dropna=False).sort_index()


def _use_log(values: np.ndarray) -> bool:
    values = values[np.isfinite(values)]
    return bool(values.size and values.min() > 0 and values.max() / values.min() > 10)


def _loss_figure(res: _Results, case: str) -> bytes | None:
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    drawn: list[np.ndarray] = []
    for mode in _modes(res, case):
        for fw in _frameworks(res):
            curves = _curve_table(res, case, fw, mode)
            if curves.empty or not np.isfinite(curves.to_numpy(dtype=float)).any():
                continue
            med, lo, hi = curves.median(axis=1), curves.min(axis=1), curves.max(axis=1)
            color = FRAMEWORK_COLORS.get(fw, "tab:gray")
            ax.plot(med.index, med.to_numpy(), color=color, linestyle=MODE_STYLES.get(mode, ":"),
                    label=f"{fw} ({_mode_label(mode)}, n={curves.shape[1]})")
            ax.fill_between(med.index, lo.to_numpy(), hi.to_numpy(), color=color, alpha=0.15)
            drawn.append(np.concatenate([lo.to_numpy(), hi.to_numpy()]))
    if not drawn:
        return None
    if _use_log(np.concatenate(drawn)):
        ax.set_yscale("log")
    ax.set(title=f"{case}: test loss per epoch (median, min–max band over seeds)",
           xlabel="epoch", ylabel="test loss")
    ax.title.set_fontsize(10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def _speed_points(res: _Results) -> list[tuple[str, str, np.ndarray]]:
    points = []
    for case, mode, fw, runs in _groups(res):
        values = _finite(_ok(runs)["seconds_per_epoch"])
        values = values[values > 0]
        if values.size:
            points.append((f"{case} · {fw} · {_mode_label(mode)}", fw, values))
    return points


def _speed_figure(res: _Results) -> bytes | None:
    points = _speed_points(res)
    if not points:
        return None
    fig = Figure(figsize=(6.4, min(1.2 + 0.35 * len(points), 12)))
    ax = fig.add_subplot()
    for y, (_, fw, values) in enumerate(points):
        color = FRAMEWORK_COLORS.get(fw, "tab:gray")
        ax.hlines(y, values.min(), values.max(), color=color, linewidth=2, alpha=0.5)
        ax.plot(np.median(values), y, "o", color=color)
    ax.set_xscale("log")
    ax.set_yticks(range(len(points)), [label for label, _, _ in points], fontsize=8)
    ax.invert_yaxis()
    ax.set(title="Seconds per epoch (median dot, min–max line over ok seeds)",
           xlabel="seconds per epoch (log scale)")
    ax.title.set_fontsize(10)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    return _png(fig)


def _parity_figure(res: _Results) -> bytes | None:
    table = res.parity_epochs
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    drawn = False
    for (case, dtype), rows in table.groupby(["case", "dtype"], sort=False):
        rows = rows.sort_values("epoch")
        y = rows["max_abs_weight_diff"].to_numpy(dtype=float)
        keep = np.isfinite(y) & (y > 0) & np.isfinite(rows["epoch"].to_numpy(dtype=float))
        if keep.any():
            ax.plot(rows["epoch"].to_numpy()[keep], y[keep], marker=".",
                    label=f"{case} ({dtype or DASH})")
            drawn = True
    if not drawn:
        return None
    ax.set_yscale("log")
    ax.set(title="Parity: max |weight difference| per epoch", xlabel="epoch",
           ylabel="max abs weight diff (log scale)")
    ax.title.set_fontsize(10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def _make_figures(res: _Results) -> list[_Image]:
    images: list[_Image] = []
    used: set[str] = set()
    for case in _case_order(res):
        png = _loss_figure(res, case)
        if png is None:
            continue
        slug, n = _slug(case), 2
        while slug in used:
            slug, n = f"{_slug(case)}-{n}", n + 1
        used.add(slug)
        images.append(_Image(f"loss_{slug}.png", f"{case}: test loss per epoch", png))
    speed = _speed_figure(res)
    if speed is not None:
        images.append(_Image("seconds_per_epoch.png", "Seconds per epoch", speed))
    drift = _parity_figure(res)
    if drift is not None:
        images.append(_Image("parity_drift.png", "Parity weight drift per epoch", drift))
    return images


def _figure_blocks(images: list[_Image]) -> list[Block]:
    if not images:
        return [_Heading(2, "Figures"), _para("No figure: no finite value to draw.")]
    return [_Heading(2, "Figures"), *images]


# --------------------------------------------------------------------------- rendering

MD_SPECIAL = re.compile(r"([\\`*_<>|])")


def _md_escape(text: str) -> str:
    return MD_SPECIAL.sub(r"\\\1", str(text).replace("\r", " ").replace("\n", " "))


def _md_parts(parts: Iterable[Part]) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(_md_escape(part))
        elif part[0] == "code":
            out.append(f"`{part[1]}`")
        else:
            out.append(f"**{_md_escape(part[1])}**")
    return "".join(out)


def _md_table(table: _Table) -> str:
    line = lambda cells: "| " + " | ".join(_md_escape(c) for c in cells) + " |"  # noqa: E731
    sep = "|" + "|".join(" --- " for _ in table.headers) + "|"
    return "\n".join([line(table.headers), sep, *(line(r) for r in table.rows)])


def _md_block(block: Block) -> str:
    if isinstance(block, _Heading):
        return f"{'#' * block.level} {_md_escape(block.text)}"
    if isinstance(block, _Para):
        return _md_parts(block.parts)
    if isinstance(block, _Bullets):
        return "\n".join(f"- {_md_parts(item)}" for item in block.items)
    if isinstance(block, _Table):
        return _md_table(block)
    return f"![{_md_escape(block.caption)}](figures/{block.name})"


def _render_markdown(blocks: list[Block]) -> str:
    return "\n\n".join(_md_block(b) for b in blocks) + "\n"


HTML_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1200px;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:1px solid #ddd;padding-bottom:.2em;
margin-top:1.6em}h3{font-size:1.1em}
table{border-collapse:collapse;margin:.6em 0;font-size:.85em;display:block;overflow-x:auto}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}tr:nth-child(even) td{background:#fafafa}
code{background:#f4f4f4;padding:0 .2em}figure{margin:1em 0}img{max-width:100%}
figcaption{font-size:.85em;color:#555}
"""


def _html_parts(parts: Iterable[Part]) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(html.escape(part))
        else:
            tag = "code" if part[0] == "code" else "strong"
            out.append(f"<{tag}>{html.escape(part[1])}</{tag}>")
    return "".join(out)


def _html_table(table: _Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                     for row in table.rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _html_block(block: Block) -> str:
    if isinstance(block, _Heading):
        return f"<h{block.level}>{html.escape(block.text)}</h{block.level}>"
    if isinstance(block, _Para):
        return f"<p>{_html_parts(block.parts)}</p>"
    if isinstance(block, _Bullets):
        items = "".join(f"<li>{_html_parts(item)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    if isinstance(block, _Table):
        return _html_table(block)
    data = base64.b64encode(block.png).decode("ascii")
    caption = html.escape(block.caption)
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{caption}">'
            f"<figcaption>{caption}</figcaption></figure>")


def _render_html(blocks: list[Block], title: str) -> str:
    body = "\n".join(_html_block(b) for b in blocks)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>{HTML_CSS}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


# --------------------------------------------------------------------------- writing


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` through a temp file next to ``path`` and a rename (see ``store``)."""
    atomic_write_bytes(path, data)


def _write_figures(directory: Path, images: list[_Image]) -> list[Path]:
    paths = []
    for image in images:
        path = directory / image.name
        _write_atomic(path, image.png)
        paths.append(path)
    keep = {p.name for p in paths}
    if directory.is_dir():
        for pattern in FIGURE_PATTERNS:
            for stale in directory.glob(pattern):
                if stale.name not in keep and stale.is_file():
                    stale.unlink()
    return paths


def _headline_text(res: _Results) -> str:
    """One sentence with the report's main numbers, computed from the tables."""
    parts = []
    ratios, comparable = [], []
    for case in _case_order(res):
        if _equivalent(res, case) is False or _parity_state(res, case)[0] != "pass":
            continue
        for mode in _modes(res, case):
            runs = _select(res.runs, case=case, mode=mode)
            sn = _finite(_ok(_select(runs, framework="scratchnet"))["seconds_per_epoch"])
            kr = _finite(_ok(_select(runs, framework="keras"))["seconds_per_epoch"])
            if sn.size and kr.size:
                ratios.append(_ratio(kr, sn))
                comparable.append(case)
    if ratios:
        r = np.asarray(ratios)
        faster = int(np.sum(r > 1))
        parts.append(f"scratchnet trains faster per epoch than its parity-checked Keras twin in {faster} of "
                     f"{r.size} comparable case/mode pairs (Keras/scratchnet time per epoch: median "
                     f"{_fmt_ratio(float(np.median(r)))}, range {_fmt_ratio(float(r.min()))} to "
                     f"{_fmt_ratio(float(r.max()))})")
    for case in _case_order(res):
        meta = _case_meta(res, case)
        if meta is None or not str(meta.get("claim", "") or "").strip() or str(meta["claim"]) == "nan":
            continue
        sn = _ok_test_mse(res, case, "parity", "scratchnet")
        kr = _ok_test_mse(res, case, "parity", "keras")
        pub = [c for c in _case_order(res)
               if (m := _case_meta(res, c)) is not None and str(m.get("tutorial_of", "")) == case]
        pk = _ok_test_mse(res, pub[0], "parity", "keras") if pub else np.array([])
        if not (sn.size or kr.size):
            continue
        text = f"{case}: test MSE {_fmt_mse(_median(sn))} (scratchnet) vs {_fmt_mse(_median(kr))} (equivalent Keras)"
        if pk.size:
            text += f" vs {_fmt_mse(_median(pk))} (the tutorial's published Keras model)"
        text += f", claimed {_fmt_mse(float(meta['claim_test_mse']))}"
        parts.append(text)
    return ("; ".join(parts) + ".") if parts else "No comparable runs recorded yet."


def headline(results_dir: str | Path = "results") -> str:
    """The report's headline sentence for ``results_dir`` (what the README quotes)."""
    return _headline_text(_load_results(Path(results_dir)))


README_START = "<!-- headline:start"
README_END = "<!-- headline:end -->"


def update_readme(readme: str | Path, results_dir: str | Path = "results") -> bool:
    """Rewrite the text between the headline markers of ``readme``; returns whether it changed.

    The markers are ``<!-- headline:start ... -->`` and ``<!-- headline:end -->``; a README
    without them raises ValueError naming the file.
    """
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


def _headline_blocks(res: _Results) -> list[Block]:
    return [_Heading(2, "Headline"), _para(_headline_text(res))]


def _compose(res: _Results, images: list[_Image]) -> list[Block]:
    return [
        *_header_blocks(res),
        *_headline_blocks(res),
        *_definition_blocks(),
        *_case_blocks(res),
        *_summary_blocks(res),
        *_speed_blocks(res),
        *_significance_blocks(res),
        *_parity_blocks(res),
        *_claims_blocks(res),
        *_figure_blocks(images),
        *_missing_blocks(res),
    ]


def build_report(results_dir: str | Path = "results",
                 out_dir: str | Path | None = None) -> ReportPaths:
    """Render ``results_dir`` into REPORT.md, report.html and figures/*.png under ``out_dir``.

    ``out_dir`` defaults to ``results_dir``. Raises ``FileNotFoundError`` if
    ``runs.csv`` is missing and ``ValueError`` if it holds no row; renders any
    other partial result.
    """
    source = Path(results_dir)
    target = Path(out_dir) if out_dir is not None else source
    res = _load_results(source)
    images = _make_figures(res)
    blocks = _compose(res, images)
    figures = _write_figures(target / "figures", images)
    markdown_path, html_path = target / "REPORT.md", target / "report.html"
    _write_atomic(markdown_path, _render_markdown(blocks).encode("utf-8"))
    title = "scratchnet vs Keras: benchmark report"
    _write_atomic(html_path, _render_html(blocks, title).encode("utf-8"))
    return ReportPaths(markdown=markdown_path, html=html_path, figures=figures)
