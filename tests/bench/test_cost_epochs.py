"""The cost-model epochs of a looped run (scratchnet.bench.running.cost_epochs): timed on a twin
trainer between the run's recorded epochs, without touching the recorded model.

* the twin is built before the run's first epoch;
* the recorded model trains exactly its epochs, and its rows are identical to a run whose gaps
  are empty;
* the twin's epochs are spread over several gaps and the end, each gap ending on an epoch of the
  case's own length;
* the rounds due per gap: the base rounds spread evenly, none before the second epoch, fewer gaps
  expected under a timing budget;
* time spent in a gap is taken off the run's time-limit clock.
"""
from __future__ import annotations

import numpy as np
import pytest

from scratchnet.bench import frameworks
from scratchnet.bench.cases import CASES
from scratchnet.bench.measures import cost_model
from scratchnet.bench.running import runner
from scratchnet.bench.running.cost_epochs import InterleavedCosts
from scratchnet.bench.running.runner import run_case


class _Logged:
    """A trainer whose ``train_epoch`` calls are logged as (who, steps)."""

    def __init__(self, trainer, who: str, log: list) -> None:
        self._trainer, self._who, self._log = trainer, who, log

    def __getattr__(self, name):
        return getattr(self._trainer, name)

    def train_epoch(self, X, Y, batch_size=None):
        self._log.append((self._who, X.shape[0] // (batch_size or X.shape[0])))
        return self._trainer.train_epoch(X, Y, batch_size=batch_size)


class _LoggingAdapter:
    """scratchnet's adapter; the first trainer it prepares is the run's, the next the twin."""

    def __init__(self, base, log: list) -> None:
        self._base, self._log, self.name = base, log, "scratchnet"

    def supports(self, case):
        return self._base.supports(case)

    def prepare(self, *args, **kwargs):
        who = "twin" if any(w == "prepare main" for w in self._log) else "main"
        self._log.append(f"prepare {who}")
        return _Logged(self._base.prepare(*args, **kwargs), who, self._log)


def test_the_twin_trains_between_recorded_epochs_and_the_recorded_model_is_untouched(monkeypatch):
    case = CASES["moons-2-4-4-1"]
    seed = case.seeds(1)[0]
    log: list = []
    adapter = _LoggingAdapter(frameworks.get_adapter("scratchnet"), log)
    monkeypatch.setattr(runner.frameworks, "get_adapter", lambda name: adapter)
    record = run_case(case, "scratchnet", seed, epochs=40)
    row = record.run
    assert row["status"] == "ok" and row["cost_model_note"] == "" and row["seconds_per_step"] > 0
    own = int(row["steps_per_epoch"])
    # the twin is built before the first recorded epoch (building a Keras model clears TF's kernel cache)
    assert log[:2] == ["prepare main", "prepare twin"]
    del log[:2]
    main = [i for i, (who, _) in enumerate(log) if who == "main"]
    twin = [i for i, (who, _) in enumerate(log) if who == "twin"]
    assert len(main) == 40 and twin
    # spread: twin epochs in several gaps between recorded epochs, none before the second, some after the last
    gaps = {sum(1 for m in main if m < t) for t in twin}
    assert min(gaps) >= 2 and len(gaps - {40}) >= 3 and 40 in gaps
    # each gap ends on an epoch of the case's own length: a recorded epoch follows one of its length
    for i in main[1:]:
        assert log[i - 1][0] == "main" or log[i - 1][1] == own
    assert sum(log[i - 1][0] == "twin" for i in main[1:]) >= 3
    # the recorded rows are those of a run whose gaps are empty
    log.clear()
    monkeypatch.setattr(InterleavedCosts, "gap", lambda self, recorded, seconds: None)
    plain = run_case(case, "scratchnet", seed, epochs=40)
    del log[:2]
    assert [r["test_loss"] for r in plain.epochs] == [r["test_loss"] for r in record.epochs]
    assert plain.run["test_mse"] == row["test_mse"]
    assert [w for w, _ in log[:40]] == ["main"] * 40  # all twin epochs after training


class _FakeTrainer:
    def __init__(self):
        self.steps = []

    def train_epoch(self, X, Y, batch_size=None):
        self.steps.append(X.shape[0] // batch_size)
        return 0.01 + 1e-3 * self.steps[-1]


def _costs(epochs: int, budget=None, pauses=None) -> InterleavedCosts:
    return InterleavedCosts(_FakeTrainer, np.zeros((8, 2)), np.zeros((8, 1)), batch_size=2, steps_per_epoch=4,
                            epochs=epochs, effort=cost_model.PROFILE_EFFORT["full"], between=lambda: None,
                            pause=(pauses.append if pauses is not None else lambda s: None), timing_budget=budget)


def test_rounds_are_spread_evenly_over_the_expected_gaps_and_the_end():
    costs = _costs(100)
    costs.gap(1, [0.5])
    assert costs.probe is None  # the first epoch's time includes tracing: no plan before the second
    seconds = [0.5, 0.014]
    for k in range(2, 100):
        costs.gap(k, seconds)
    base = costs.probe.base_rounds
    assert base == cost_model.ROUNDS + 1
    assert sum(n for _, n in costs.gap_rounds) == (base * 97) // 98 and len(costs.gap_rounds) >= base - 1
    at = [k for k, _ in costs.gap_rounds]
    assert at[0] > 10 and at[-1] < 99  # spread, not bunched at the start
    columns = costs.finish(seconds)
    assert columns["seconds_per_step"] == pytest.approx(1e-3) and columns["epoch_overhead_seconds"] == pytest.approx(0.01)


def test_a_timing_budget_shortens_the_expected_run():
    costs = _costs(300, budget=(3, 0.2))
    costs.gap(2, [0.5, 0.014])
    # at least 3 epochs, then until 0.2 s of training: 0.514 s are already spent -> 3 epochs, one gap
    assert costs.due(2) == costs.probe.base_rounds // 2


def test_gap_time_is_taken_off_the_time_limit_clock():
    pauses: list = []
    costs = _costs(10, pauses=pauses)
    for k in range(2, 10):
        costs.gap(k, [0.5, 0.014])
    assert len(pauses) == 8 and all(p >= 0 for p in pauses) and sum(pauses) > 0
