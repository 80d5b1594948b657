"""Pick a contender's fastest execution setting per (case, dtype), measured and cached.

Used by ``tf-loop`` (``jit_compile`` False/True) and ``torch`` (eager / ``torch.compile``);
``keras`` has its own grid (:mod:`.keras_calibration`) but the same rules:

* each candidate is measured by the adapter's ``measure(candidate) -> seconds per step`` (a
  short run on the case's first rows, warm-up excluded, fastest of a few timed epochs); one that
  raises gets ``inf`` and its error is kept;
* :func:`choose`: the smallest per-step time wins; a candidate later in the list must beat the
  earlier ones by more than its ``margin`` (a fraction) -- for a setting that costs much more to
  prepare (``torch.compile`` compiles for ~30 s in every run), a win within timing noise is
  not a win;
* the result is cached in ``<results_dir>/<name>_calibration.json``, one entry per
  ``"case|dtype"`` with the winner, every candidate's seconds per step (and error), the
  calibration's wall seconds and when; read-modify-written under a lock file and replaced
  atomically, so parallel workers share it. Delete the file to recalibrate. Without a results
  directory the choice is cached in this process only.

:func:`timings_text` renders the candidates for the run row's ``calibration_timings`` column,
e.g. ``"eager=212us; compile=190us"``.
"""
from __future__ import annotations

import datetime as _dt
import fcntl
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scratchnet.bench.cases.registry import Case

CALIBRATION_REPEATS = 2          # timed epochs per candidate (at least); the fastest counts
CALIBRATION_MAX_REPEATS = 8      # ... and more, up to this, while they total less than
CALIBRATION_TIMED_SECONDS = 0.3  # this many seconds
CALIBRATION_STEPS = 128          # steps per timed epoch (fewer when the case's epoch is shorter)


@dataclass(frozen=True)
class Candidate:
    label: str           # e.g. "jit_compile=True", "eager", "compile"
    margin: float = 0.0  # fraction it must beat the earlier candidates by to be chosen


@dataclass
class Choice:
    label: str
    seconds: float                                   # wall time of the calibration
    candidates: list[dict] = field(default_factory=list)

    def timings(self) -> str:
        return timings_text(self.candidates)


def choose(timings: dict[str, float], candidates: Sequence[Candidate]) -> str:
    """The winner's label (module docstring); RuntimeError when no candidate ran."""
    best: Candidate | None = None
    for cand in candidates:
        t = timings.get(cand.label, math.inf)
        if not math.isfinite(t):
            continue
        if best is None or t < timings[best.label] * (1.0 - cand.margin):
            best = cand
    if best is None:
        raise RuntimeError(f"no execution setting could be calibrated: {timings}")
    return best.label


def timed_seconds_per_step(run_epoch: Callable[[], None], steps: int) -> float:
    """Fastest of ``run_epoch()`` calls (>= CALIBRATION_REPEATS, more while short) / ``steps``."""
    times: list[float] = []
    while len(times) < CALIBRATION_MAX_REPEATS:
        t0 = time.perf_counter()
        run_epoch()
        times.append(time.perf_counter() - t0)
        if len(times) >= CALIBRATION_REPEATS and sum(times) >= CALIBRATION_TIMED_SECONDS:
            break
    return min(times) / steps


def rows_and_steps(case: Case, n_train: int) -> tuple[int, int]:
    """(rows, steps) a calibration epoch trains on: the first CALIBRATION_STEPS batches at most."""
    bs = case.batch_size or n_train
    steps = min(math.ceil(n_train / bs), CALIBRATION_STEPS)
    return min(n_train, steps * bs), steps


def measure_on_first_rows(case: Case, dataset, make_trainer: Callable[[list], object]) -> float:
    """Seconds per step of ``make_trainer(weights)`` (a Trainer started from the weights of
    ``case.seeds(1)[0]``) on the case's first rows (:func:`rows_and_steps`): one warm-up epoch
    (tracing, compilation), then :func:`timed_seconds_per_step`."""
    from scratchnet.bench.cases.registry import build_model

    n, steps = rows_and_steps(case, dataset.n_train)
    X, Y = dataset.X_train[:n], dataset.y_train[:n]
    trainer = make_trainer(build_model(case, case.seeds(1)[0], n_features=dataset.n_features).get_weights())
    trainer.train_epoch(X, Y)
    return timed_seconds_per_step(lambda: trainer.train_epoch(X, Y), steps)


_MEMORY: dict[tuple[str, str, str], Choice] = {}


def calibrate(name: str, case: Case, candidates: Sequence[Candidate], measure: Callable[[str], float],
              results_dir: str | os.PathLike | None = None) -> Choice:
    """The cached or newly measured :class:`Choice` of contender ``name`` for ``case``."""
    key = f"{case.name}|{case.dtype}"
    mem_key = (name, str(results_dir or ""), key)
    if mem_key in _MEMORY:
        return _MEMORY[mem_key]
    path = Path(results_dir) / f"{name}_calibration.json" if results_dir is not None else None
    if path is not None:
        entry = _read(path).get(key)
        if entry is not None:
            choice = Choice(entry["chosen"], float(entry["calibration_seconds"]), list(entry["candidates"]))
            _MEMORY[mem_key] = choice
            return choice
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    rows = []
    for cand in candidates:
        error = ""
        try:
            timings[cand.label] = float(measure(cand.label))
        except Exception as exc:  # noqa: BLE001 - a setting that cannot run is not a contender
            timings[cand.label] = math.inf
            error = f"{type(exc).__name__}: {exc}"[:300]
        rows.append({"label": cand.label, "seconds_per_step": timings[cand.label], "margin": cand.margin,
                     "error": error})
    choice = Choice(choose(timings, candidates), time.perf_counter() - t0, rows)
    if path is not None:
        _store(path, key, choice)
    _MEMORY[mem_key] = choice
    return choice


def timings_text(rows: Sequence[dict]) -> str:
    parts = []
    for row in rows:
        t = row.get("seconds_per_step")
        t = math.inf if t is None else float(t)
        parts.append(f"{row['label']}={t * 1e6:.4g}us" if math.isfinite(t) else f"{row['label']}=failed")
    return "; ".join(parts)


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text()).get("entries", {})
    except ValueError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); delete it to recalibrate") from None


def _store(path: Path, key: str, choice: Choice) -> None:
    from scratchnet.bench import store

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.stem}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries = _read(path)
        entries[key] = {
            "chosen": choice.label,
            "candidates": [{**c, "seconds_per_step": c["seconds_per_step"]
                            if math.isfinite(c["seconds_per_step"]) else None} for c in choice.candidates],
            "calibration_seconds": choice.seconds,
            "measured_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        store.write_json({"version": 1, "entries": entries}, path)
