"""Train one case with one framework, measure it, and record the result.

``run_case(case, framework, seed, mode)`` returns a :class:`RunRecord`: one row for the run
(``schema.RUN_COLUMNS``) and one per epoch (``schema.EPOCH_COLUMNS``). It never raises for a
failing run: errors, divergence, time-outs and cases the framework cannot express become the
row's ``status``.

Every framework goes through the same code: the runner asks :mod:`scratchnet.bench.frameworks`
for the adapter, records ``unsupported`` (with the adapter's reason) when it cannot express
the case, otherwise ``prepare``s a Trainer and runs ONE loop over epochs -- hand the epoch's
rows to ``trainer.train_epoch``, record the seconds it reports, evaluate with the harness'
metrics, check divergence and the time limit. Hooks for other measurements belong in that
loop (:func:`_run`), not in a framework branch. Memory: each ``train_epoch`` call is one
:class:`~scratchnet.bench.running.memory.FitMemory` window (the harness's permutation and evaluation
stay outside); the floor and scratchnet's tracemalloc pass are recorded after the timed work.

One framework call for all epochs: when the harness does not re-order rows between epochs
(native mode, or parity on a case that does not shuffle) and the trainer has the optional
``train_epochs`` (Keras: one ``fit(epochs=N)`` instead of N ``fit(epochs=1)`` calls, each
costing ~50 ms of set-up), the runner hands it all epochs at once with two hooks:
``begin_epoch()`` opens the epoch's FitMemory window, ``end_epoch(seconds)`` closes it and
then does exactly what the loop does after ``train_epoch`` (evaluation, divergence, time
limit, the framework's own ``diverged``), returning True to stop training after that epoch.
Rows, statuses, caps and settings are the same as with the loop; trainers without
``train_epochs`` (scratchnet, sklearn, foreign networks) always go through the loop.

Modes:

* ``parity`` -- every framework starts from the same weights (scratchnet's, drawn with
  ``seed``, copied by the adapter) and sees the same batch order: when the case shuffles,
  the harness draws one permutation per epoch from ``default_rng(seed)`` and feeds every
  framework the permuted rows with its own shuffling off.
* ``native`` -- each framework's idiomatic fit: its own initial weights and its own
  shuffling (the adapter's docstring says how).

Cost model: every ok run measures its fixed cost per epoch and its cost per optimizer step
(``epoch_overhead_seconds``, ``seconds_per_step``) from extra epochs of two or three lengths
through the same ``train_epoch`` (:mod:`scratchnet.bench.measures.cost_model`). In the loop they
train a twin trainer (a second ``adapter.prepare`` from the same weights, built before the first
epoch) between the recorded epochs, their rounds spread over the run and its end
(:mod:`scratchnet.bench.running.cost_epochs`),
so they see the machine the run saw and leave the recorded model untouched; their time is not
counted against the time limit. A run trained in one ``train_epochs`` call measures them after its
figures are recorded (predict time included), on the trained model. The memory floor and
scratchnet's tracemalloc pass build their own networks, so the extra training changes no recorded
figure.

Timing boundaries: imports, dataset loading, model build and compile (and the ``keras``
contender's cached calibration) happen before the clock starts. Each epoch's training time
is what the trainer reports: from the framework's epoch-begin to its epoch-end hook where it
has them, so evaluation between epochs and per-``fit``-call set-up are excluded. Keras' first
epoch includes graph tracing; it is kept as ``first_epoch_seconds`` and ``seconds_per_epoch``
is the median of epochs 2 onwards (epoch 1 when only one ran). Losses and MSE are computed by
the harness from each model's predictions (:mod:`scratchnet.bench.measures.metrics`), never read from a
framework's logs. An adapter with ``max_epochs`` trains at most that many
epochs; one with ``timing_budget = (n, s)`` (``keras-default``) trains at least ``n`` epochs, then
stops after the first epoch at which its training time reaches ``s`` seconds (enough epochs for a
steady median on cheap epochs, few on costly ones); the row's ``epoch_cap`` and ``message`` say so.

A run is ``diverged`` when a loss or prediction becomes NaN/inf or the training loss grows
beyond ``EXPLODE_FACTOR`` times its value before training; ``timeout`` when its wall time
passes the case's ``time_limit``; ``error`` (with the message) when anything raises.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from scratchnet.bench.measures import cost_model, metrics
from scratchnet.bench import frameworks
from scratchnet.bench.running import memory
from scratchnet.bench.running.cost_epochs import InterleavedCosts
from scratchnet.bench.cases import probes
from scratchnet.bench.cases.registry import Case, build_model
from scratchnet.bench.datasets.base import Dataset
from scratchnet.bench.cases.data import dataset_for  # noqa: F401 - dataset_for is part of this API
from scratchnet.bench.store.schema import MODES, RUN_COLUMNS

EXPLODE_FACTOR = 1e6


@dataclass
class RunRecord:
    """The outcome of one run: ``run`` (RUN_COLUMNS) and ``epochs`` (EPOCH_COLUMNS rows)."""

    run: dict
    epochs: list[dict] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.run["status"]


class _EpochRecorder:
    """Framework-neutral per-epoch bookkeeping: evaluation, divergence and time-out checks."""

    def __init__(self, case: Case, ds: Dataset, predict, base: dict, time_limit: float) -> None:
        self.case, self.ds, self.predict, self.base = case, ds, predict, base
        self.time_limit = time_limit
        self.rows: list[dict] = []
        self.epoch_seconds: list[float] = []
        self.status, self.message = "ok", ""
        self.stop = False
        self._started = time.perf_counter()
        self.initial_train_loss = metrics.loss_value(case.loss, ds.y_train, predict(ds.X_train))
        self.probes = probes.probe_columns(case, None)  # after the last recorded epoch

    def pause(self, seconds: float) -> None:
        """Take ``seconds`` (work between epochs that is not the run's: cost-model epochs) off the time-limit clock."""
        self._started += seconds

    def evaluate(self) -> tuple[dict, dict]:
        """The harness' evaluation of the model as it is now: (loss/MSE columns, probe columns)."""
        ds, loss = self.ds, self.case.loss
        p_train, p_test = self.predict(ds.X_train), self.predict(ds.X_test)
        values = {
            "train_loss": metrics.loss_value(loss, ds.y_train, p_train),
            "test_loss": metrics.loss_value(loss, ds.y_test, p_test),
            "train_mse": metrics.mse(ds.y_train, p_train),
            "test_mse": metrics.mse(ds.y_test, p_test),
        }
        return values, probes.probe_columns(self.case, probes.predict_probes(self.case, self.predict))

    def end(self, seconds: float) -> bool:
        """Record an epoch that trained for ``seconds``; returns True when training must stop."""
        seconds = float(seconds)
        self.epoch_seconds.append(seconds)
        values, self.probes = self.evaluate()
        row = {**self.base, "epoch": len(self.rows) + 1, **values, "epoch_seconds": seconds}
        row["probe_prediction"] = self.probes["probe_prediction"]
        self.rows.append(row)
        values = (row["train_loss"], row["test_loss"], row["train_mse"], row["test_mse"])
        if not all(math.isfinite(v) for v in values):
            self.status, self.message = "diverged", f"non-finite loss at epoch {row['epoch']}"
        elif row["train_loss"] > EXPLODE_FACTOR * max(self.initial_train_loss, 1e-12):
            self.status = "diverged"
            self.message = (f"training loss {row['train_loss']:.3g} at epoch {row['epoch']} exceeds "
                            f"{EXPLODE_FACTOR:g} x its initial value {self.initial_train_loss:.3g}")
        elif time.perf_counter() - self._started > self.time_limit:
            self.status = "timeout"
            self.message = f"stopped after epoch {row['epoch']}: time limit {self.time_limit:g} s reached"
        self.stop = self.status != "ok"
        return self.stop


def _epoch_orders(case: Case, n: int, seed: int, epochs: int) -> list[np.ndarray] | None:
    """Per-epoch row permutations for parity mode (None when the case does not shuffle)."""
    if not case.shuffle:
        return None
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(epochs)]


def _time_predict(fn, X: np.ndarray, repeats: int = 3) -> float:
    fn(X)  # warm-up (Keras traces its predict function on first use)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(X)
        best = min(best, time.perf_counter() - t0)
    return best


def _empty_run_row(case: Case, framework: str, mode: str, seed: int, epochs: int) -> dict:
    row = {c: math.nan for c in RUN_COLUMNS}
    row.update(case=case.name, framework=framework, mode=mode, seed=seed, dtype=case.dtype,
               dataset=case.dataset, fingerprint="", batch_size=case.batch_size or "full", epochs=epochs,
               epochs_run=0, status="error", message="",
               target_loss=case.target_loss if case.target_loss is not None else math.nan,
               started_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    return row


def run_case(case: Case, framework: str, seed: int, mode: str = "parity", *, profile: str = "full",
             epochs: int | None = None, keras_steps_per_execution: int | None = None,
             time_limit: float | None = None, results_dir: str | os.PathLike | None = None) -> RunRecord:
    """Train ``case`` with ``framework`` from ``seed`` and measure it (see the module docstring).

    ``keras_steps_per_execution`` forces that setting on the ``keras`` contender (no calibration);
    ``results_dir`` is where the ``keras`` contender caches its calibration.
    """
    adapter = frameworks.get_adapter(framework)  # ValueError naming the valid frameworks
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    if profile not in cost_model.PROFILE_EFFORT:
        raise ValueError(f"profile must be one of {list(cost_model.PROFILE_EFFORT)}, got {profile!r}")
    n_epochs = epochs if epochs is not None else case.epochs_for(profile)
    if n_epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {n_epochs}")
    row = _empty_run_row(case, framework, mode, seed, n_epochs)
    record = RunRecord(row)
    options = {"results_dir": results_dir, "keras_steps_per_execution": keras_steps_per_execution}
    effort = cost_model.PROFILE_EFFORT[profile]
    try:
        reason = adapter.supports(case)
        if reason:
            row.update(status="unsupported", message=reason)
            return record
        _run(case, adapter, seed, mode, n_epochs, time_limit if time_limit is not None else case.time_limit,
             options, record, effort)
    except Exception as exc:  # a failing run is recorded, the suite goes on
        row["status"] = "error"
        where = traceback.extract_tb(exc.__traceback__)[-1]
        row["message"] = f"{type(exc).__name__}: {exc} (at {os.path.basename(where.filename)}:{where.lineno})"
    return record


def _record_settings(row: dict, trainer) -> None:
    settings = trainer.settings()
    unknown = sorted(set(settings) - set(RUN_COLUMNS))
    if unknown:
        raise ValueError(f"trainer settings {unknown} are not run columns (schema.RUN_COLUMNS)")
    row.update(settings)


def _epoch_done(trainer, rec: _EpochRecorder, seconds: float, budget=None) -> bool:
    """Record an epoch (evaluation, divergence, time limit, the adapter's timing budget); True
    when training must stop."""
    if rec.end(seconds):
        return True
    if getattr(trainer, "diverged", False):
        rec.status = "diverged"
        rec.message = f"the framework stopped on a non-finite loss at epoch {len(rec.rows)}"
        return True
    return budget is not None and len(rec.rows) >= budget[0] and sum(rec.epoch_seconds) >= budget[1]


def _train_in_one_call(trainer, ds: Dataset, epochs: int, fit_memory, rec: _EpochRecorder, budget=None) -> None:
    """``trainer.train_epochs``: the same per-epoch window, recording and stop as the loop in :func:`_run`."""
    window_open = False

    def begin_epoch() -> None:
        nonlocal window_open
        fit_memory.__enter__()
        window_open = True

    def end_epoch(seconds: float) -> bool:
        nonlocal window_open
        if window_open:  # close the epoch's memory window before evaluating
            window_open = False
            fit_memory.__exit__(None, None, None)
        return _epoch_done(trainer, rec, seconds, budget)

    try:
        trainer.train_epochs(ds.X_train, ds.y_train, epochs, begin_epoch, end_epoch)
    finally:
        if window_open:  # the framework raised inside an epoch
            fit_memory.__exit__(None, None, None)
    if rec.status == "ok" and len(rec.rows) < epochs and not _budget_spent(rec, budget):
        raise RuntimeError(f"train_epochs trained {len(rec.rows)} of {epochs} epochs without being stopped")


def _budget_spent(rec: _EpochRecorder, budget) -> bool:
    return budget is not None and len(rec.rows) >= budget[0] and sum(rec.epoch_seconds) >= budget[1]


def _cost_model(case: Case, trainer, ds: Dataset, row: dict, rec: _EpochRecorder, effort: dict) -> dict:
    """The fixed cost per epoch and cost per step (:mod:`.cost_model`) of a run that trained all its
    epochs in one ``train_epochs`` call, measured after everything recorded: its extra epochs train
    the model further, outside the run's figures. Each runs as a recorded one did: after the harness'
    evaluation, inside a memory window, as the second epoch of a two-epoch ``train_epochs`` call
    (Keras' first epoch of a ``fit`` call costs more). (Looped runs time theirs on a twin between
    their recorded epochs: :mod:`.cost_epochs`.)"""
    window = memory.FitMemory()  # its own: the run's memory columns are already recorded

    def train_epoch(X: np.ndarray, Y: np.ndarray, batch_size: int) -> float:
        seconds: list[float] = []

        def end_epoch(s: float) -> bool:
            window.__exit__(None, None, None)
            seconds.append(s)
            rec.evaluate()
            return False

        trainer.train_epochs(X, Y, 2, window.__enter__, end_epoch, batch_size=batch_size)
        return seconds[-1]

    batch = min(case.batch_size or ds.n_train, ds.n_train)
    return cost_model.measure_cost_model(
        train_epoch, ds.X_train, ds.y_train, batch_size=batch, steps_per_epoch=row["steps_per_epoch"],
        seconds_per_epoch=row["seconds_per_epoch"], diverged=lambda: bool(getattr(trainer, "diverged", False)),
        between=rec.evaluate, recorded=lambda: list(rec.epoch_seconds), **effort)


def _run(case: Case, adapter, seed: int, mode: str, epochs: int, time_limit: float, options: dict,
         record: RunRecord, effort: dict) -> None:
    row = record.run
    ds = dataset_for(case)
    row.update(fingerprint=ds.fingerprint, n_train=ds.n_train, n_test=ds.n_test,
               steps_per_epoch=math.ceil(ds.n_train / (case.batch_size or ds.n_train)))
    cap = getattr(adapter, "max_epochs", None)
    if cap is not None and cap < epochs:
        row["epoch_cap"] = cap
        epochs = cap
    budget = getattr(adapter, "timing_budget", None)  # (at least these epochs, then until these seconds)
    initial = build_model(case, seed, n_features=ds.n_features).get_weights()
    trainer = adapter.prepare(case, ds, initial, mode, seed, **options)
    _record_settings(row, trainer)
    base = {"case": case.name, "framework": row["framework"], "mode": mode, "seed": seed, "dtype": case.dtype,
            "fingerprint": ds.fingerprint}
    rec = _EpochRecorder(case, ds, trainer.predict, base, time_limit)
    orders = _epoch_orders(case, ds.n_train, seed, epochs) if mode == "parity" else None
    fit_memory = memory.FitMemory()  # one window per epoch: permutation and evaluation stay outside
    in_one_call = orders is None and callable(getattr(trainer, "train_epochs", None))
    costs = None
    if in_one_call:
        _train_in_one_call(trainer, ds, epochs, fit_memory, rec, budget)
    else:
        built = time.perf_counter()  # the twin is built now, before the first epoch: not the run's time
        costs = InterleavedCosts(lambda: adapter.prepare(case, ds, initial, mode, seed, **options),
                                 ds.X_train, ds.y_train, batch_size=min(case.batch_size or ds.n_train, ds.n_train),
                                 steps_per_epoch=row["steps_per_epoch"], epochs=epochs, effort=effort,
                                 between=rec.evaluate, pause=rec.pause, timing_budget=budget)
        rec.pause(time.perf_counter() - built)
        for epoch in range(epochs):
            X, Y = (ds.X_train, ds.y_train) if orders is None else (ds.X_train[orders[epoch]], ds.y_train[orders[epoch]])
            with fit_memory:
                seconds = trainer.train_epoch(X, Y)
            if _epoch_done(trainer, rec, seconds, budget):
                break
            costs.gap(epoch + 1, rec.epoch_seconds)
    _record_settings(row, trainer)
    record.epochs = rec.rows
    secs = rec.epoch_seconds
    message = rec.message
    if rec.status == "ok" and len(rec.rows) < epochs and _budget_spent(rec, budget):
        row["epoch_cap"] = len(rec.rows)
        note = (f"epochs capped at {len(rec.rows)} of {row['epochs']} ({row['framework']} is a timing "
                f"contender: at least {budget[0]} epochs, then until {budget[1]:g} s of training; its maths "
                "is that of another contender)")
        message = f"{message}; {note}" if message else note
    elif cap is not None and cap < row["epochs"]:
        note = (f"epochs capped at {row['epoch_cap']} of {row['epochs']} ({row['framework']} is a timing "
                "contender: its maths is that of another contender)")
        message = f"{message}; {note}" if message else note
    row.update(status=rec.status, message=message, epochs_run=len(rec.rows), **fit_memory.columns())
    if secs:
        later = secs[1:] or secs
        row.update(fit_seconds=float(np.sum(secs)), first_epoch_seconds=secs[0],
                   seconds_per_epoch=float(np.median(later)))
    if rec.rows:
        last = rec.rows[-1]
        row.update({k: last[k] for k in ("train_loss", "test_loss", "train_mse", "test_mse")})
        row.update(rec.probes)
        row.update(metrics.run_convergence([r["test_loss"] for r in rec.rows], secs, case.target_loss))
    if rec.status == "ok":
        row["predict_seconds"] = _time_predict(getattr(trainer, "timed_predict", trainer.predict), ds.X_test)
        row.update(costs.finish(rec.epoch_seconds) if costs is not None else
                   _cost_model(case, trainer, ds, row, rec, effort))
    # floor; scratchnet's tracemalloc pass runs after everything timed (it slows allocation)
    row.update(memory.network_columns(case, row["framework"], seed, ds.X_train, ds.y_train, trace=rec.status == "ok"))
