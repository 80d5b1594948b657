"""Tests of scratchnet.bench.running.runner.run_case: the recorded rows, divergence, errors,
time-outs, and parity between the two frameworks.

Expected figures are recomputed independently: a second model is built from the same
case and seed and trained by hand, one ``fit(..., epochs=1, shuffle=False)`` per epoch on
the documented batch order, and its MSE / loss are computed here with NumPy.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import statistics

import numpy as np
import pytest

from scratchnet.bench.cases import CASES, build_model
from scratchnet.bench.running.runner import EXPLODE_FACTOR, dataset_for, run_case
from scratchnet.bench.store.schema import EPOCH_COLUMNS, RUN_COLUMNS

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _hand_curve(case, seed, epochs, orders=None):
    """Train ``case`` by hand; per epoch: (train_mse, test_mse) computed with NumPy."""
    ds = dataset_for(case)
    model = build_model(case, seed, n_features=ds.n_features)
    out = []
    for e in range(epochs):
        X, y = (ds.X_train, ds.y_train) if orders is None else (ds.X_train[orders[e]], ds.y_train[orders[e]])
        model.fit(X, y, batch_size=case.batch_size, epochs=1, shuffle=False, verbose=0)
        p_train = np.asarray(model.predict(ds.X_train), dtype=np.float64)
        p_test = np.asarray(model.predict(ds.X_test), dtype=np.float64)
        out.append((float(np.mean((p_train - ds.y_train) ** 2)), float(np.mean((p_test - ds.y_test) ** 2))))
    return out


def _check_timing_fields(run, epochs):
    secs = [r["epoch_seconds"] for r in epochs]
    assert all(s >= 0 and math.isfinite(s) for s in secs)
    assert run["fit_seconds"] == pytest.approx(sum(secs), rel=1e-12)
    assert run["first_epoch_seconds"] == secs[0]
    later = secs[1:] or secs
    assert run["seconds_per_epoch"] == pytest.approx(statistics.median(later), rel=1e-12)
    # the cost model (bench.cost_model), measured after training: both parts finite, steps cost time
    assert run["seconds_per_step"] > 0 and math.isfinite(run["epoch_overhead_seconds"]), run["cost_model_note"]
    assert run["cost_model_note"] == "" and run["cost_model_steps"].startswith("1/")


# --------------------------------------------------------------------------- scratchnet rows


@pytest.fixture(scope="module")
def tiny_run():
    case = CASES["neuron3-minibatch-tanh"]
    seed = case.seeds(1)[0]
    return case, seed, run_case(case, "scratchnet", seed, "parity", epochs=3)


def test_run_row_has_every_column_and_consistent_figures(tiny_run):
    case, seed, rec = tiny_run
    run = rec.run
    assert set(run) == set(RUN_COLUMNS)
    assert rec.status == run["status"] == "ok", run["message"]
    assert run["message"] == ""
    assert (run["case"], run["framework"], run["mode"], run["seed"]) == (case.name, "scratchnet", "parity", seed)
    assert run["epochs"] == 3 and run["epochs_run"] == 3
    assert run["dtype"] == "float64" and run["dataset"] == "three-feature"
    ds = dataset_for(case)
    assert run["fingerprint"] == ds.fingerprint == ds.compute_fingerprint()
    assert (run["n_train"], run["n_test"]) == (4, 4)
    assert run["batch_size"] == 2 and run["steps_per_epoch"] == 2
    assert math.isnan(run["keras_steps_per_execution"])
    # no declared target: the runner's provisional target is the run's own final test loss
    assert run["target_rule"] == "provisional"
    assert run["target_loss"] == rec.epochs[-1]["test_loss"]
    started = dt.datetime.fromisoformat(run["started_at"])
    assert started.utcoffset() == dt.timedelta(0)

    assert [r["epoch"] for r in rec.epochs] == [1, 2, 3]
    for r in rec.epochs:
        assert set(r) == set(EPOCH_COLUMNS)
        assert (r["case"], r["framework"], r["mode"], r["seed"]) == (case.name, "scratchnet", "parity", seed)
        assert r["fingerprint"] == ds.fingerprint
    last = rec.epochs[-1]
    for key in ("train_loss", "test_loss", "train_mse", "test_mse"):
        assert run[key] == last[key]
    _check_timing_fields(run, rec.epochs)
    assert run["predict_seconds"] > 0 and math.isfinite(run["predict_seconds"])
    assert math.isfinite(run["peak_memory_mb"])

    # convergence by hand: no declared target -> first epoch within 1 % of the final test loss
    losses = [r["test_loss"] for r in rec.epochs]
    first = next(i + 1 for i, v in enumerate(losses) if v <= losses[-1] * 1.01)
    assert isinstance(run["still_improving"], bool)
    assert run["convergence_epoch"] == first
    assert run["seconds_to_target"] == pytest.approx(sum(r["epoch_seconds"] for r in rec.epochs[:first]))


def test_epoch_mse_matches_hand_training(tiny_run):
    case, seed, rec = tiny_run
    assert case.shuffle is False
    hand = _hand_curve(case, seed, 3)
    for row, (train_mse, test_mse) in zip(rec.epochs, hand, strict=True):
        assert row["train_mse"] == pytest.approx(train_mse, rel=1e-12, abs=1e-300)
        assert row["test_mse"] == pytest.approx(test_mse, rel=1e-12, abs=1e-300)
        # the case's loss is MSE: the harness' loss must equal the MSE
        assert row["train_loss"] == pytest.approx(train_mse, rel=1e-12)
        assert row["test_loss"] == pytest.approx(test_mse, rel=1e-12)
    # training did something: epoch 3 differs from epoch 1
    assert rec.epochs[0]["train_mse"] != rec.epochs[-1]["train_mse"]


def test_parity_mode_uses_documented_batch_order_when_shuffling():
    """moons shuffles: parity mode feeds default_rng(seed).permutation(n) per epoch."""
    case = CASES["moons-2-4-4-1"]
    assert case.shuffle is True
    seed = case.seeds(1)[0]
    rec = run_case(case, "scratchnet", seed, "parity", epochs=2)
    assert rec.status == "ok", rec.run["message"]
    ds = dataset_for(case)
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(ds.n_train) for _ in range(2)]
    hand = _hand_curve(case, seed, 2, orders)
    assert [r["test_mse"] for r in rec.epochs] == pytest.approx([h[1] for h in hand], rel=1e-12)
    assert [r["train_mse"] for r in rec.epochs] == pytest.approx([h[0] for h in hand], rel=1e-12)
    assert rec.run["steps_per_epoch"] == math.ceil(ds.n_train / 32)
    # row order matters: the unshuffled order gives other numbers
    unshuffled = _hand_curve(case, seed, 2)
    assert unshuffled[0][1] != pytest.approx(rec.epochs[0]["test_mse"], rel=1e-9)


def test_bad_arguments_raise():
    case = CASES["perceptron"]
    with pytest.raises(ValueError, match="framework"):
        run_case(case, "jax", 0)
    with pytest.raises(ValueError, match="mode"):
        run_case(case, "scratchnet", 0, "fast")
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        run_case(case, "scratchnet", 0, epochs=0)
    with pytest.raises(ValueError, match="profile must be one of \\['fast', 'full'\\], got 'medium'"):
        run_case(case, "scratchnet", 0, profile="medium", epochs=2)  # epochs given: the profile is still checked


def test_profile_selects_epochs():
    case = CASES["neuron3-batch-sigmoid"]
    rec = run_case(case, "scratchnet", 1, profile="fast")
    assert rec.run["epochs"] == rec.run["epochs_run"] == case.quick_epochs == len(rec.epochs)


# --------------------------------------------------------------------------- failure statuses


@pytest.mark.parametrize("lr,reason", [(5.0, "exceeds"), (1e300, "non-finite")])
def test_divergence_is_detected_and_recording_stops(lr, reason):
    case = dataclasses.replace(CASES["perceptron"], name="perceptron-explodes", activations=("linear",),
                               optimizer_params=(("learning_rate", lr),))
    seed = case.seeds(1)[0]
    rec = run_case(case, "scratchnet", seed, epochs=50)
    run = rec.run
    assert run["status"] == "diverged"
    assert reason in run["message"]
    assert f"epoch {run['epochs_run']}" in run["message"]
    assert run["epochs"] == 50
    assert 1 <= run["epochs_run"] < 50
    assert [r["epoch"] for r in rec.epochs] == list(range(1, run["epochs_run"] + 1))

    # by hand: the first epoch whose training loss is non-finite or > EXPLODE_FACTOR x initial
    ds = dataset_for(case)
    model = build_model(case, seed, n_features=ds.n_features)
    initial = float(np.mean((model.predict(ds.X_train) - ds.y_train) ** 2))
    stop = None
    for epoch in range(1, 51):
        model.fit(ds.X_train, ds.y_train, batch_size=None, epochs=1, shuffle=False, verbose=0)
        with np.errstate(all="ignore"):
            loss = float(np.mean((model.predict(ds.X_train) - ds.y_train) ** 2))
        if not math.isfinite(loss) or loss > EXPLODE_FACTOR * initial:
            stop = epoch
            break
    assert run["epochs_run"] == stop
    for r in rec.epochs[:-1]:
        assert math.isfinite(r["train_loss"]) and r["train_loss"] <= EXPLODE_FACTOR * initial
    assert run["train_loss"] == rec.epochs[-1]["train_loss"]
    assert math.isnan(run["predict_seconds"])  # not timed for a failed run


def test_unknown_dataset_is_an_error_row_not_an_exception():
    case = dataclasses.replace(CASES["neuron3-batch-sigmoid"], name="no-data", dataset="no-such-dataset")
    rec = run_case(case, "scratchnet", 7, epochs=2)
    run = rec.run
    assert run["status"] == "error"
    assert "no-such-dataset" in run["message"]
    assert "DatasetError" in run["message"]
    assert rec.epochs == []
    assert run["epochs_run"] == 0
    assert run["fingerprint"] == ""
    assert set(run) == set(RUN_COLUMNS)
    for key in ("test_mse", "train_loss", "fit_seconds", "seconds_per_epoch", "convergence_epoch"):
        assert math.isnan(run[key])


def test_time_limit_zero_times_out_after_first_epoch():
    case = CASES["neuron3-batch-sigmoid"]
    rec = run_case(case, "scratchnet", 3, epochs=5, time_limit=0)
    run = rec.run
    assert run["status"] == "timeout"
    assert "time limit" in run["message"] and "epoch 1" in run["message"]
    assert run["epochs_run"] == 1 and len(rec.epochs) == 1
    assert run["epochs"] == 5
    assert run["test_mse"] == rec.epochs[0]["test_mse"]


# --------------------------------------------------------------------------- keras (tf)


@pytest.mark.tf
@pytest.mark.parametrize("name,epochs", [("neuron3-sgd-sigmoid", 3), ("moons-2-4-4-1", 2)])
def test_parity_mode_frameworks_agree_per_epoch(name, epochs):
    case = CASES[name]
    seed = case.seeds(1)[0]
    sn = run_case(case, "scratchnet", seed, "parity", epochs=epochs)
    ke = run_case(case, "keras", seed, "parity", epochs=epochs, keras_steps_per_execution=32)
    assert sn.status == "ok", sn.run["message"]
    assert ke.status == "ok", ke.run["message"]
    assert ke.run["keras_steps_per_execution"] == 32 and ke.run["keras_jit_compile"] is False
    assert math.isnan(ke.run["keras_calibration_seconds"])  # forced: no calibration
    assert ke.run["fingerprint"] == sn.run["fingerprint"]
    assert len(sn.epochs) == len(ke.epochs) == epochs
    for a, b in zip(sn.epochs, ke.epochs):
        assert a["epoch"] == b["epoch"]
        for key in ("test_mse", "train_mse", "train_loss", "test_loss"):
            assert abs(a[key] - b[key]) <= 1e-12, (key, a["epoch"], a[key], b[key])
    _check_timing_fields(ke.run, ke.epochs)
    assert ke.run["predict_seconds"] > 0


@pytest.mark.tf
def test_native_mode_runs_both_frameworks():
    case = CASES["moons-2-4-4-1"]
    seed = case.seeds(1)[0]
    native = {fw: run_case(case, fw, seed, "native", epochs=2) for fw in ("scratchnet", "keras")}
    for fw, rec in native.items():
        assert rec.status == "ok", (fw, rec.run["message"])
        assert rec.run["mode"] == "native" and rec.run["epochs_run"] == 2
        assert all(math.isfinite(r["test_mse"]) for r in rec.epochs)
        assert 0.0 < rec.run["test_mse"] < 1.0
    # Keras' native run starts from its own initializers, not scratchnet's weights
    keras_parity = run_case(case, "keras", seed, "parity", epochs=1)
    assert native["keras"].epochs[0]["test_mse"] != pytest.approx(keras_parity.epochs[0]["test_mse"], rel=1e-6)


# --------------------------------------------------------------------------- California


@pytest.mark.slow
def test_california_tutorial_reproduces_published_mse():
    """The tutorial's 2-3-1 network reaches test MSE 0.027-0.030 (it claims 0.028 after ~6 epochs).

    The full case runs 100 epochs (~25-45 s) and ends at test MSE 0.02828 (seed
    ``case.seeds(1)[0]``). This test runs the same case, same seed and data, with the
    ``epochs=6`` override -- the epoch count the tutorial quotes -- which takes ~3 s: the
    curve is monotone after epoch 4 (measured: epoch 5 0.02936, 6 0.02908, 12 0.02896,
    100 0.02828), so the 6-epoch figure is already inside the band the full run ends in.
    The shortcut holds for this seed (the suite's first): at 6 epochs seeds 2 and 4 of
    ``case.seeds(5)`` still sit at 0.0314 / 0.0308, and reach 0.0282 / 0.0281 only by epoch
    100 -- change the seed and the epochs must go up. scratchnet only.
    """
    case = CASES["california-2-3-1"]
    rec = run_case(case, "scratchnet", case.seeds(1)[0], "parity", epochs=6)
    assert rec.status == "ok", rec.run["message"]
    assert rec.run["epochs_run"] == 6
    curve = [r["test_mse"] for r in rec.epochs]
    assert 0.027 <= rec.run["test_mse"] <= 0.030, curve
    # the MSE falls from epoch 1 to epoch 6 (training works, not a lucky initialisation)
    assert curve[0] > curve[-1]
    assert rec.epochs[0]["test_mse"] > 0.030


def test_scratchnet_run_records_its_framework_tax_and_gemm_share(tiny_run):
    from scratchnet.bench.measures.overhead import OVERHEAD_COLUMNS

    run = tiny_run[2].run
    for column in OVERHEAD_COLUMNS:
        assert math.isfinite(run[column]) and run[column] > 0, column
    assert run["framework_tax"] == pytest.approx(run["tax_seconds_per_epoch"] / run["reference_seconds_per_epoch"])
    assert run["gemm_share"] == pytest.approx(run["gemm_seconds_per_epoch"] / run["tax_seconds_per_epoch"])
