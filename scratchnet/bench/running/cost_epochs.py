"""The cost-model epochs of a run trained one ``train_epoch`` call at a time, spread between its recorded epochs.

Why: on a shared machine an epoch's time drifts with what the neighbours do. With the cost-model
epochs timed seconds after training, 3 of 26 Keras cases missed the report's 25 % check in the
reference run at ab2217c (digits-64-32-10 +64 %, breast-cancer-30-16-1 -46 %, diabetes-10-32-1
-31 %): per seed, Keras' fixed cost per ``fit`` call sat near ~25 ms or near ~55 ms, and the
cost-model epochs could land in the other mode than the run's. Timed between the run's own epochs,
they sample the same conditions.

Contract (:class:`InterleavedCosts`, used by the runner's epoch loop):

* The extra epochs train a TWIN: a second trainer from the same ``adapter.prepare`` with the same
  initial weights, so the recorded model's trajectory is exactly what it is without them (its
  losses, MSE, parity). The twin is built when this object is made -- by the runner, before the
  run's first epoch, outside every clock. Not later: building a Keras model calls
  ``keras.utils.set_random_seed``, and TensorFlow's ``set_seed`` clears the eager kernel cache
  (``TFE_ContextClearCaches``), so the recorded Keras epoch after a twin built between epochs ran
  +50 ms (digits-64-32-10, keras: 85-93 ms against 32-38 ms before and after, the same slowdown
  with the build alone as with the build and a round of twin epochs; the reference run at 3ab50c0
  had the median shuffled Keras case's third epoch 2.5x its run's median).
* ``gap(k)`` after recorded epoch ``k``: from ``k = 2`` (the first epoch's time includes Keras'
  tracing, so the plan's epoch-time estimate is the median of epochs 2..k) it runs the
  :class:`~scratchnet.bench.measures.cost_model.CostProbe` rounds that are due, spreading the
  warm-up and the planned rounds evenly over the gaps the run is expected to have (the adapter's
  timing budget shortens that) and after its last epoch; the time spent is taken off the run's
  time-limit clock.
* ``finish()`` after training (ok runs only) runs the rounds left, then the extra rounds that
  ``min_seconds`` asks for, and returns the cost-model columns.
* Each twin epoch runs as a recorded one does: after the harness' evaluation of the recorded
  model (``between``) and inside a memory window of its own (the run's memory columns never see
  it). A round ends with the case's own length, so the recorded epoch after a gap follows an
  epoch of its length, as without the gap.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from scratchnet.bench.measures import cost_model
from scratchnet.bench.running import memory


class InterleavedCosts:
    """The cost model of one looped run, measured on a twin between the recorded epochs (module docstring)."""

    def __init__(self, make_twin: Callable[[], object], X: np.ndarray, Y: np.ndarray, *, batch_size: int,
                 steps_per_epoch: int, epochs: int, effort: dict, between: Callable[[], object],
                 pause: Callable[[float], None], timing_budget: tuple[int, float] | None = None) -> None:
        self._X, self._Y = X, Y
        self._batch, self._steps, self._epochs = batch_size, int(steps_per_epoch), int(epochs)
        self._effort, self._between, self._pause, self._budget = effort, between, pause, timing_budget
        self.twin = make_twin()  # before the run's first epoch (module docstring)
        self._window = memory.FitMemory()
        self.probe: cost_model.CostProbe | None = None
        self._expected_epochs = self._epochs
        self.gap_rounds: list[tuple[int, int]] = []  # (after recorded epoch k, rounds run there)
        self._latest: list[float] = []  # the run's recorded epoch times, as last seen

    def _train_epoch(self, X: np.ndarray, Y: np.ndarray, batch_size: int) -> float:
        with self._window:
            return self.twin.train_epoch(X, Y, batch_size=batch_size)

    def _start(self, epoch_seconds: list[float]) -> None:
        later = epoch_seconds[1:] or epoch_seconds
        estimate = float(np.median(later))
        self._latest = epoch_seconds
        self.probe = cost_model.CostProbe(self._train_epoch, self._X, self._Y, batch_size=self._batch,
                                          steps_per_epoch=self._steps, seconds_per_epoch=estimate,
                                          between=self._between, recorded=lambda: list(self._latest),
                                          **self._effort)
        if self._budget is not None and estimate > 0:  # a timing contender stops after budget[1] seconds
            left = max(self._budget[1] - sum(epoch_seconds), 0.0)
            self._expected_epochs = min(self._epochs, max(self._budget[0],
                                                          len(epoch_seconds) + math.ceil(left / estimate)))

    def due(self, recorded: int) -> int:
        """Rounds that should have run by the gap after recorded epoch ``recorded``: the base rounds
        spread evenly over the gaps after epochs 2 .. expected - 1 and the end of training."""
        gaps = self._expected_epochs - 2
        if self.probe is None or gaps < 1:
            return 0
        g = min(recorded - 1, gaps)
        return (self.probe.base_rounds * g) // (gaps + 1)

    def gap(self, recorded: int, epoch_seconds: list[float]) -> None:
        """After recorded epoch ``recorded`` (1-based), whose times so far are ``epoch_seconds``."""
        if recorded < 2 or recorded >= self._epochs:
            return
        t0 = time.perf_counter()
        self._latest = epoch_seconds
        if self.probe is None:
            self._start(epoch_seconds)
        before = self.probe.rounds_run
        while self.probe.rounds_run < min(self.due(recorded), self.probe.base_rounds) and not self.probe.note:
            self.probe.run_round()
        if self.probe.rounds_run > before:
            self.gap_rounds.append((recorded, self.probe.rounds_run - before))
        self._pause(time.perf_counter() - t0)

    def finish(self, epoch_seconds: list[float]) -> dict:
        """The cost-model columns, after the rounds left (module docstring)."""
        self._latest = epoch_seconds
        if self.probe is None:
            self._start(epoch_seconds)
        return self.probe.finish(lambda: bool(getattr(self.twin, "diverged", False)))
