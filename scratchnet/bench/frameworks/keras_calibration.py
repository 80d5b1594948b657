"""Calibration of the ``keras`` contender: which Keras execution setting is fastest here.

The grid is ``steps_per_execution`` in {1, 32, steps per epoch} x ``jit_compile`` in
{False, True} (duplicates dropped: a case with 4 steps an epoch has {1, 4}). The best setting
differs per case (XLA loses on tiny nets and wins on big ones), so it is measured, per
(case, dtype), never assumed.

Measurement (:func:`measure_candidate`), cheap by design: a twin of the case (weights of
``case.seeds(1)[0]``) trains on the first rows of the training set, in order. A warm-up call on
one batch traces the train function (and XLA-compiles it when ``jit_compile``; Keras' multi-step
loop stops when the data runs out, so this trains one step); then timed epochs of
``timed_steps(spe)`` steps (two executions, at least 16 steps, at most ``CALIBRATION_STEPS``), each from a callback's epoch-begin to its
epoch-end: at least ``CALIBRATION_REPEATS`` of them, more (up to ``CALIBRATION_MAX_REPEATS``)
while they total less than ``CALIBRATION_TIMED_SECONDS``, since short epochs are the noisiest.
The candidate's figure is the fastest epoch divided by its steps.
The "steps per epoch" candidate runs all its timed steps in one execution (at most
``CALIBRATION_STEPS``), the regime of a whole epoch per call in the real run. A candidate that
raises gets ``inf`` and its error is kept. In a process's first calibration the first candidate
is measured again after the others and keeps the faster figure (the first Keras training in a
process pays TensorFlow's start-up). :func:`choose` takes the smallest per-step time
(ties: the earlier candidate in grid order, i.e. the simpler setting). Tracing and XLA
compilation dominate the cost (seconds per candidate); the timed steps are a fraction of it.

Cache: ``<results_dir>/keras_calibration.json`` (:data:`CACHE_FILE`), one entry per
``"case|dtype"`` with the chosen setting, every candidate's seconds per step (and error), the
calibration's wall seconds, the steps timed and when. It is read-modify-written under a lock
file and replaced atomically, so parallel workers (``--jobs``) share it; an entry is reused
for as long as the file exists (delete it to recalibrate). Without a results directory the
choice is cached in this process only.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


from scratchnet.bench.cases.registry import Case, build_model
from scratchnet.bench.datasets.base import Dataset

CACHE_FILE = "keras_calibration.json"
CALIBRATION_STEPS = 128   # steps timed per candidate (fewer when the epoch is shorter)
CALIBRATION_REPEATS = 2   # timed epochs per candidate after the warm-up (at least); the fastest counts
CALIBRATION_MAX_REPEATS = 8        # ... and more, up to this, while they add up to less than
CALIBRATION_TIMED_SECONDS = 0.3    # this many seconds (short epochs are noisy: more of them)
SPE_GRID = (1, 32)        # plus the steps per epoch
JIT_GRID = (False, True)

Candidate = tuple[int, bool]  # (steps_per_execution, jit_compile)


@dataclass
class Calibration:
    steps_per_execution: int
    jit_compile: bool
    seconds: float                       # wall time the calibration took
    candidates: list[dict] = field(default_factory=list)  # one per candidate, timings included
    steps: int = 0                       # most steps timed per candidate epoch


def candidates(steps_per_epoch: int) -> list[Candidate]:
    """The grid for an epoch of ``steps_per_epoch`` steps, in order, without duplicates."""
    spes = sorted({min(s, steps_per_epoch) for s in SPE_GRID} | {steps_per_epoch})
    return [(s, j) for s in spes for j in JIT_GRID]


def choose(timings: dict[Candidate, float], order: Sequence[Candidate] | None = None) -> Candidate:
    """The candidate with the smallest finite per-step time (ties go to the earlier one)."""
    order = list(order) if order is not None else list(timings)
    finite = [c for c in order if math.isfinite(timings.get(c, math.inf))]
    if not finite:
        raise RuntimeError(f"no Keras setting could be calibrated: {timings}")
    return min(finite, key=lambda c: (timings[c], order.index(c)))


def timed_steps(spe: int, steps_per_epoch: int) -> tuple[int, int]:
    """(steps_per_execution used, steps timed per epoch) for a candidate's calibration."""
    steps = min(steps_per_epoch, CALIBRATION_STEPS, max(16, 2 * spe))
    eff = min(spe, steps)
    return eff, max(eff, steps - steps % eff)  # whole executions only: no second trace


def measure_candidate(case: Case, dataset: Dataset, spe: int, jit: bool) -> float:
    """Seconds per step of one candidate (see the module docstring)."""
    from scratchnet.bench.parity.keras_twin import import_keras, keras_floatx, to_keras

    keras = import_keras()
    bs = case.batch_size or dataset.n_train
    eff, steps = timed_steps(spe, math.ceil(dataset.n_train / bs))
    n = min(dataset.n_train, steps * bs)
    X, Y = dataset.X_train[:n], dataset.y_train[:n]
    model = build_model(case, case.seeds(1)[0], n_features=dataset.n_features)
    twin = to_keras(model, steps_per_execution=eff, jit_compile=jit)
    times: list[float] = []

    class _Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t0)
            if len(times) >= CALIBRATION_REPEATS and sum(times) >= CALIBRATION_TIMED_SECONDS:
                self.model.stop_training = True

    with keras_floatx(case.dtype):
        # one batch traces (and XLA-compiles) the whole execution: Keras' multi-step loop stops
        # when the data runs out, so the warm-up trains one step, not steps_per_execution
        twin.fit(X[:bs], Y[:bs], batch_size=bs, epochs=1, shuffle=False, verbose=0)
        twin.fit(X, Y, batch_size=bs, epochs=CALIBRATION_MAX_REPEATS, shuffle=False, callbacks=[_Clock()],
                 verbose=0)
    return min(times) / steps


_MEMORY: dict[tuple[str, str, str], Calibration] = {}
_WARM = False  # True once this process has calibrated (TensorFlow's start-up is paid)


def _key(case: Case) -> str:
    return f"{case.name}|{case.dtype}"


def calibrate(case: Case, dataset: Dataset, results_dir: str | os.PathLike | None = None,
              measure: Callable[[Case, Dataset, int, bool], float] | None = None) -> Calibration:
    """The chosen setting for ``case`` (cached; measured with ``measure`` -- default
    :func:`measure_candidate` -- when not cached)."""
    measure = measure or measure_candidate
    mem_key = (str(results_dir or ""), case.name, case.dtype)
    if mem_key in _MEMORY:
        return _MEMORY[mem_key]
    path = Path(results_dir) / CACHE_FILE if results_dir is not None else None
    if path is not None:
        cached = _read(path).get(_key(case))
        if cached is not None:
            cal = _from_entry(cached)
            _MEMORY[mem_key] = cal
            return cal
    steps_per_epoch = math.ceil(dataset.n_train / (case.batch_size or dataset.n_train))
    grid = candidates(steps_per_epoch)
    t0 = time.perf_counter()
    timings: dict[Candidate, float] = {}
    rows: list[dict] = []
    for spe, jit in grid:
        error = ""
        try:
            timings[(spe, jit)] = float(measure(case, dataset, spe, jit))
        except Exception as exc:  # a setting Keras cannot run is not a contender
            timings[(spe, jit)] = math.inf
            error = f"{type(exc).__name__}: {exc}"[:300]
        rows.append({"steps_per_execution": spe, "jit_compile": jit,
                     "seconds_per_step": timings[(spe, jit)], "error": error})
    global _WARM
    if not _WARM:
        # the first measurement in a process pays TensorFlow's start-up: measure it again, keep the faster
        first = grid[0]
        try:
            again = float(measure(case, dataset, *first))
            if again < timings[first]:
                timings[first] = rows[0]["seconds_per_step"] = again
                rows[0]["error"] = ""
        except Exception:  # noqa: BLE001 - the first figure (or its error) stands
            pass
        _WARM = True
    spe, jit = choose(timings, grid)
    most = max(timed_steps(s, steps_per_epoch)[1] for s, _ in grid)
    for row in rows:
        row["steps_timed"] = timed_steps(row["steps_per_execution"], steps_per_epoch)[1]
    cal = Calibration(spe, jit, time.perf_counter() - t0, rows, most)
    if path is not None:
        _store(path, _key(case), cal, steps_per_epoch)
    _MEMORY[mem_key] = cal
    return cal


def _from_entry(entry: dict) -> Calibration:
    chosen = entry["chosen"]
    return Calibration(int(chosen["steps_per_execution"]), bool(chosen["jit_compile"]),
                       float(entry["calibration_seconds"]), list(entry.get("candidates", [])),
                       int(entry.get("steps_timed", 0)))


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); delete it to recalibrate") from None
    return data.get("entries", {})


def _store(path: Path, key: str, cal: Calibration, steps_per_epoch: int) -> None:
    import fcntl

    from scratchnet.bench import store

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.stem}.lock"), "a") as lock:  # hidden, like the store's DIR/.lock
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries = _read(path)
        entries[key] = {
            "chosen": {"steps_per_execution": cal.steps_per_execution, "jit_compile": cal.jit_compile},
            "candidates": [{**c, "seconds_per_step": c["seconds_per_step"] if math.isfinite(c["seconds_per_step"])
                            else None} for c in cal.candidates],
            "calibration_seconds": cal.seconds,
            "steps_timed": cal.steps,
            "steps_per_epoch": steps_per_epoch,
            "measured_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        store.write_json({"version": 1, "entries": entries}, path)
