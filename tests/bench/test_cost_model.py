"""The cost model of an epoch (scratchnet.bench.measures.cost_model) and the report's rule built on it.

* the fit recovers a known fixed cost and per-step cost from synthetic timings (exact through
  two lengths, within noise through several);
* the measurement drives a trainer through epochs of the planned lengths at the case's batch
  size, keeps the median of the rounds, and says why when a trainer cannot be timed that way;
* a real run records both columns, and they predict the run's own epoch time;
* the headline's step-dominated rule, on both sides of its boundary.
"""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scratchnet.bench.measures import cost_model
from scratchnet.bench.cases import CASES
from scratchnet.bench.measures.cost_model import (epoch_rows, fit_cost_model, measure_cost_model,
                                                  plan_lengths, plan_rounds)
from scratchnet.bench.running.runner import run_case

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"


def test_two_lengths_give_the_line_exactly():
    model = fit_cost_model([1, 6700], [0.040 + 1.5e-5, 0.040 + 6700 * 1.5e-5])
    assert model.epoch_overhead_seconds == pytest.approx(0.040, rel=1e-9)
    assert model.seconds_per_step == pytest.approx(1.5e-5, rel=1e-9)
    assert model.predict(100) == pytest.approx(0.040 + 100 * 1.5e-5, rel=1e-9)


def test_noisy_timings_recover_overhead_and_slope():
    rng = np.random.default_rng(7)
    steps = np.repeat([1, 4, 128], 20)
    overhead, per_step = 0.030, 2.0e-4
    seconds = (overhead + steps * per_step) * (1 + 0.03 * rng.standard_normal(steps.size))
    model = fit_cost_model(steps, seconds)
    assert model.epoch_overhead_seconds == pytest.approx(overhead, rel=0.03)
    assert model.seconds_per_step == pytest.approx(per_step, rel=0.05)


def test_relative_residuals_keep_a_tiny_epoch_from_being_swamped():
    # a 1-step epoch of 20 us beside a 128-step one of 2.6 ms: the fit must still pass near 20 us
    model = fit_cost_model([1, 4, 128], [20e-6, 50e-6, 2.6e-3])
    assert abs(model.predict(1) / 20e-6 - 1) < 0.3 and abs(model.predict(4) / 50e-6 - 1) < 0.3


@pytest.mark.parametrize("steps, seconds, message", [
    ([4, 4], [0.1, 0.2], "at least two distinct epoch lengths"),
    ([1, 2], [0.1, 0.0], "must be positive"),
    ([1, 2], [0.1, math.nan], "must be finite"),
    ([1, 2, 3], [0.1, 0.2], "1-d of one length"),
])
def test_unusable_timings_are_refused(steps, seconds, message):
    with pytest.raises(ValueError, match=message):
        fit_cost_model(steps, seconds)


def test_lengths_plan():
    assert plan_lengths(1, 20e-6) == (1, cost_model.LONG_MIN_STEPS)          # tiny: stretched to 128 steps
    assert plan_lengths(4, 80e-6) == (1, 4, cost_model.LONG_MIN_STEPS)       # the case's own length kept
    assert plan_lengths(6700, 0.15) == (1, 6700)                             # the full epoch
    # an epoch of 6700 steps of 1 ms: (rounds + warm-up) x 6.7 s exceeds the budget. The long epoch stays
    # the case's own (a shorter one extrapolated the line 3x: keras-default, california-2-3-1) and the
    # rounds shrink to what the budget pays, never under MIN_ROUNDS
    assert plan_lengths(6700, 6.7) == (1, 6700)
    assert plan_rounds(6700, 6.7) == cost_model.MIN_ROUNDS
    assert plan_rounds(6700, 2.5) == 3 and plan_rounds(6700, 0.15) == cost_model.ROUNDS
    assert plan_rounds(6700, 6.7, rounds=2, budget=3.0, min_rounds=1) == 1  # the quick start's effort
    # however costly an epoch, the long one keeps LONG_MIN_STEPS: a fixed cost of 60 ms on a 1-step case
    # would otherwise leave 10 / (6 x 0.06) = 27 steps, too few to see a 0.6 ms step beside it; and the
    # rounds are not cut for the fixed cost of a tiny case
    assert plan_lengths(1, 0.06) == (1, cost_model.LONG_MIN_STEPS)
    assert plan_rounds(1, 0.06) == plan_rounds(128, 6.0) == cost_model.ROUNDS
    assert plan_lengths(300, 60.0) == (1, 300)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        plan_lengths(0, 1.0)


def test_epoch_rows_repeat_the_data_in_order():
    X = np.arange(10.0).reshape(5, 2)
    Y = np.arange(5.0).reshape(5, 1)
    Xm, Ym = epoch_rows(X, Y, 3, 4)
    assert Xm.shape == (12, 2) and Ym[:, 0].tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]


class _SyntheticTrainer:
    """An epoch of m batches 'takes' overhead + m * per_step seconds (two calls 3x slower)."""

    def __init__(self, overhead, per_step, batch):
        self.overhead, self.per_step, self.batch = overhead, per_step, batch
        self.calls, self.between = [], 0

    def train_epoch(self, X, Y, batch_size=None):
        assert batch_size == self.batch and X.shape[0] % batch_size == 0
        steps = X.shape[0] // batch_size
        self.calls.append(steps)
        slow = 3.0 if len(self.calls) in (5, 11) else 1.0  # outliers (timed, lengths 1 and 128) the median ignores
        return slow * (self.overhead + steps * self.per_step)


def test_measurement_recovers_synthetic_costs_and_ignores_outliers():
    trainer = _SyntheticTrainer(0.045, 1e-4, batch=32)
    X, Y = np.zeros((100, 3)), np.zeros((100, 1))
    columns = measure_cost_model(trainer.train_epoch, X, Y, batch_size=32, steps_per_epoch=4,
                                 seconds_per_epoch=0.0454, min_seconds=0.0,  # exactly ROUNDS rounds
                                 between=lambda: setattr(trainer, "between", trainer.between + 1))
    assert columns["epoch_overhead_seconds"] == pytest.approx(0.045, rel=1e-9)
    assert columns["seconds_per_step"] == pytest.approx(1e-4, rel=1e-9)
    assert columns["cost_model_steps"] == "1/4/128" and columns["cost_model_note"] == ""
    # a warm-up round, then ROUNDS rounds in which each epoch under LEAD_IN_BELOW steps has a lead-in;
    # the case's own length (4) last in each round, so an epoch after a round follows one of its length
    assert trainer.calls == [1, 128, 4] + [1, 1, 128, 4, 4] * cost_model.ROUNDS
    assert trainer.between == len(trainer.calls)  # the harness' evaluation before every epoch


class _AfterEffectTrainer(_SyntheticTrainer):
    """As :class:`_SyntheticTrainer`, and an epoch right after one of ANOTHER length pays ``penalty``
    (a framework whose caches the long epoch left cold)."""

    def __init__(self, overhead, per_step, batch, penalty):
        super().__init__(overhead, per_step, batch)
        self.penalty = penalty

    def train_epoch(self, X, Y, batch_size=None):
        steps = X.shape[0] // batch_size
        after_other = bool(self.calls) and self.calls[-1] != steps
        self.calls.append(steps)
        return self.overhead + steps * self.per_step + (self.penalty if after_other else 0.0)


@pytest.mark.parametrize("lead_in_below, exact", [(cost_model.LEAD_IN_BELOW, True), (0, False)])
def test_a_lead_in_epoch_times_short_epochs_as_the_run_found_them(lead_in_below, exact):
    # the run's own epochs (1 step each) follow epochs of their own length: 20 us + 10 us
    trainer = _AfterEffectTrainer(20e-6, 10e-6, batch=1, penalty=15e-6)
    columns = measure_cost_model(trainer.train_epoch, np.zeros((1, 3)), np.zeros((1, 1)), batch_size=1,
                                 steps_per_epoch=1, seconds_per_epoch=30e-6, lead_in_below=lead_in_below)
    predicted = columns["epoch_overhead_seconds"] + columns["seconds_per_step"]
    if exact:
        assert predicted == pytest.approx(30e-6, rel=1e-9)
    else:  # without the lead-in every timed epoch follows another length: 50 % too slow
        assert predicted == pytest.approx(45e-6, rel=1e-9)


def test_short_epochs_get_more_rounds_up_to_the_cap():
    fast = _SyntheticTrainer(20e-6, 10e-6, batch=1)  # rounds of ~1.4 ms: far below MIN_SECONDS
    measure_cost_model(fast.train_epoch, np.zeros((4, 3)), np.zeros((4, 1)), batch_size=1, steps_per_epoch=4,
                       seconds_per_epoch=60e-6)
    assert len(fast.calls) == 3 + 5 * cost_model.MAX_ROUNDS  # lead-ins before the 1- and 4-step epochs
    slow = _SyntheticTrainer(0.3, 1e-4, batch=32)  # rounds of ~0.9 s: ROUNDS rounds already pass MIN_SECONDS
    measure_cost_model(slow.train_epoch, np.zeros((100, 3)), np.zeros((100, 1)), batch_size=32,
                       steps_per_epoch=4, seconds_per_epoch=0.3)
    assert len(slow.calls) == 3 + 5 * cost_model.ROUNDS  # 1/4/128 steps: lead-ins before the 1 and the 4


def test_a_trainer_without_batch_size_is_named_not_guessed():
    def train_epoch(X, Y):
        return 0.1

    columns = measure_cost_model(train_epoch, np.zeros((4, 1)), np.zeros((4, 1)), batch_size=1,
                                 steps_per_epoch=4, seconds_per_epoch=0.1)
    assert math.isnan(columns["seconds_per_step"]) and math.isnan(columns["epoch_overhead_seconds"])
    assert "takes no batch_size" in columns["cost_model_note"]


def test_a_run_records_a_cost_model_that_predicts_its_epochs():
    case = CASES["moons-2-4-4-1"]
    record = run_case(case, "scratchnet", case.seeds(1)[0], epochs=20)
    row = record.run
    assert row["status"] == "ok" and row["cost_model_note"] == ""
    assert row["cost_model_steps"] == f"1/{row['steps_per_epoch']}/{cost_model.LONG_MIN_STEPS}"
    assert 0 < row["seconds_per_step"] < row["seconds_per_epoch"]
    predicted = row["epoch_overhead_seconds"] + row["steps_per_epoch"] * row["seconds_per_step"]
    # a loose bound: one run on a shared machine (the report checks medians over seeds)
    assert 0.33 < predicted / row["seconds_per_epoch"] < 3.0
    # the extra epochs trained the model further, but after every recorded figure
    assert len(record.epochs) == 20 and record.epochs[-1]["test_loss"] == row["test_loss"]


def test_report_check_names_the_worst_case_and_counts_the_fits(tmp_path):
    from scratchnet.bench.report.costs import case_costs, cost_blocks
    from scratchnet.bench.report.blocks import Table
    from scratchnet.bench.report.tables import load_results

    d = tmp_path / "run"
    shutil.copytree(FIXTURE, d)
    runs = pd.read_csv(d / "runs.csv")
    # keras' fixed cost +40 % of its epoch on housing_sgd_published only: its prediction overshoots
    sel = (runs["framework"] == "keras") & (runs["case"] == "housing_sgd_published")
    runs.loc[sel, "epoch_overhead_seconds"] += 0.4 * runs.loc[sel, "seconds_per_epoch"]
    runs.to_csv(d / "runs.csv", index=False)
    res = load_results(d)
    costs = case_costs(res)
    keras = costs[costs["framework"] == "keras"].set_index("case")
    assert keras.loc["housing_sgd", "model_error"] == pytest.approx(0, abs=1e-9)  # the fixture's model is exact
    assert keras.loc["housing_sgd_published", "model_error"] == pytest.approx(0.4, rel=0.05)
    table = next(b for b in cost_blocks(res) if isinstance(b, Table))
    row = next(r for r in table.rows if r[0] == "keras")
    assert row[5].endswith("within 25%: 2 of 3")  # the case/mode groups: housing_sgd in both modes, published in one
    assert row[6].startswith("housing_sgd_published") and row[6].endswith("(+40%)")


def test_each_profile_sets_the_effort_and_full_is_the_default():
    from scratchnet.bench.cases.profiles import PROFILES

    assert set(cost_model.PROFILE_EFFORT) == set(PROFILES)
    calls = {}
    for profile, effort in [("default", {}), *cost_model.PROFILE_EFFORT.items()]:
        trainer = _SyntheticTrainer(0.3, 1e-4, batch=32)  # rounds of ~0.6 s: above both min_seconds
        measure_cost_model(trainer.train_epoch, np.zeros((100, 3)), np.zeros((100, 1)), batch_size=32,
                           steps_per_epoch=1000, seconds_per_epoch=5.0, **effort)
        calls[profile] = trainer.calls
    # 5 s epochs of 1000 steps: the case's own length is the long one, and the rounds are what the budget
    # pays after the warm-up -- full int(10 / 5) - 1 = 1, raised to MIN_ROUNDS (2); fast int(3 / 5) - 1 < 1,
    # raised to its min_rounds (1)
    assert calls["full"] == calls["default"] == [1, 1000] + [1, 1, 1000] * cost_model.MIN_ROUNDS
    assert calls["fast"] == [1, 1000] + [1, 1, 1000] * 1


def test_a_negative_fitted_cost_reads_as_below_noise_not_as_a_time():
    from scratchnet.bench.report.formatting import fmt_cost

    assert fmt_cost(-1.56e-8) == "≈0" and fmt_cost(-0.2) == "≈0"
    assert fmt_cost(2.0e-5) == "20 µs" and fmt_cost(0.0585) == "58.5 ms" and fmt_cost(0.0) == "0 s"
    assert fmt_cost(float("nan")) == "n/a"


class _SteadyTrainer(_SyntheticTrainer):
    """The synthetic trainer without its outliers."""

    def train_epoch(self, X, Y, batch_size=None):
        self.calls.append(X.shape[0] // batch_size)
        return self.overhead + self.calls[-1] * self.per_step


def test_fast_profile_reuses_the_runs_recorded_epochs_as_the_own_length():
    """The fast profile times the short epochs only when the run recorded two epochs or more of a long
    own length; the own length's figure is the median of the recorded epochs after the first."""
    effort = cost_model.PROFILE_EFFORT["fast"]
    recorded = [9.0, 0.3 + 1000 * 1e-4, 0.3 + 1000 * 1e-4 * 1.02, 0.3 + 1000 * 1e-4 * 0.98]  # epoch 1 traces
    trainer = _SteadyTrainer(0.3, 1e-4, batch=32)
    columns = measure_cost_model(trainer.train_epoch, np.zeros((100, 3)), np.zeros((100, 1)), batch_size=32,
                                 steps_per_epoch=1000, seconds_per_epoch=0.4, recorded=lambda: recorded, **effort)
    assert set(trainer.calls) == {1}  # no epoch of 1000 steps was trained again
    assert columns["seconds_per_step"] == pytest.approx(1e-4, rel=1e-6)  # through (1, 0.3001) and the median
    assert columns["cost_model_steps"] == "1/1000"
    # a run of one recorded epoch (its first: tracing) or a short own length still times every length
    for steps, seen in ((1000, recorded[:1]), (4, recorded)):
        trainer = _SteadyTrainer(0.3, 1e-4, batch=32)
        measure_cost_model(trainer.train_epoch, np.zeros((100, 3)), np.zeros((100, 1)), batch_size=32,
                           steps_per_epoch=steps, seconds_per_epoch=0.4, recorded=lambda: seen, **effort)
        assert steps in trainer.calls
    # the full profile never reuses
    trainer = _SteadyTrainer(0.3, 1e-4, batch=32)
    measure_cost_model(trainer.train_epoch, np.zeros((100, 3)), np.zeros((100, 1)), batch_size=32,
                       steps_per_epoch=1000, seconds_per_epoch=0.4, recorded=lambda: recorded,
                       **cost_model.PROFILE_EFFORT["full"])
    assert 1000 in trainer.calls
