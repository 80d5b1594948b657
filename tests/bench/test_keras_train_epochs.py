"""The optional ``Trainer.train_epochs`` (one ``fit(epochs=N)`` for Keras) and the runner's use of it.

Reference: the same case through the per-epoch loop (one ``fit(epochs=1)`` per epoch), forced
by hiding ``KerasTrainer.train_epochs``. The two must give bit-identical weights and epoch rows;
early stops (divergence, time limit) must end the single fit at the epoch the loop would.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from scratchnet.bench.running import memory
from scratchnet.bench.cases import CASES, build_model
from scratchnet.bench.frameworks import get_adapter
from scratchnet.bench.frameworks.keras import KerasTrainer
from scratchnet.bench.running.runner import dataset_for, run_case

pytestmark = [pytest.mark.tf, pytest.mark.filterwarnings("ignore::RuntimeWarning")]

LOSS_KEYS = ("train_loss", "test_loss", "train_mse", "test_mse", "probe_prediction")


def _per_epoch_weights(case, mode: str, seed: int, epochs: int, one_call: bool) -> list[list[np.ndarray]]:
    ds = dataset_for(case)
    initial = build_model(case, seed, n_features=ds.n_features).get_weights()
    trainer = get_adapter("keras").prepare(case, ds, initial, mode, seed, keras_steps_per_execution=1)
    out = []
    if one_call:
        def end(seconds):
            assert seconds > 0
            out.append(trainer.get_weights())
            return False
        trainer.train_epochs(ds.X_train, ds.y_train, epochs, lambda: None, end)
    else:
        for _ in range(epochs):
            trainer.train_epoch(ds.X_train, ds.y_train)
            out.append(trainer.get_weights())
    return out


@pytest.mark.parametrize("name,mode,epochs", [("neuron3-batch-tanh", "parity", 4),
                                              ("neuron3-minibatch-tanh", "parity", 3),
                                              ("neuron3-minibatch-random-tanh", "native", 3)])
def test_train_epochs_weights_are_bit_identical_to_one_fit_per_epoch(name, mode, epochs):
    case = CASES[name]
    assert case.dtype == "float64"
    seed = case.seeds(1)[0]
    one = _per_epoch_weights(case, mode, seed, epochs, one_call=True)
    loop = _per_epoch_weights(case, mode, seed, epochs, one_call=False)
    assert len(one) == len(loop) == epochs
    for e, (a, b) in enumerate(zip(one, loop)):
        for wa, wb in zip(a, b):
            assert wa.dtype == wb.dtype == np.float64
            np.testing.assert_array_equal(wa, wb, err_msg=f"epoch {e + 1}")
    assert not np.array_equal(one[0][0], one[-1][0])  # it trained


def _run(monkeypatch, case, mode, one_call: bool, **kwargs):
    """run_case with keras through train_epochs (train_epoch forbidden) or through the loop."""
    made = []

    class Recording(memory.FitMemory):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            made.append(self)

    with monkeypatch.context() as m:
        m.setattr(memory, "FitMemory", Recording)
        if one_call:
            def forbidden(self, X, Y):
                raise AssertionError("train_epoch called although train_epochs applies")
            m.setattr(KerasTrainer, "train_epoch", forbidden)
        else:
            m.delattr(KerasTrainer, "train_epochs")
        rec = run_case(case, "keras", case.seeds(1)[0], mode, keras_steps_per_execution=1, **kwargs)
    # the run's windows, then (an ok run only) the cost model's own (bench.cost_model); in the loop
    # the cost model's twin opens its own from the gap after epoch 2 (running.cost_epochs), ok or not
    assert len(made) == (2 if rec.status == "ok" else 1) or (not one_call and len(made) == 2)
    return rec, made[0]


@pytest.mark.parametrize("name,mode", [("neuron3-batch-tanh", "parity"), ("neuron3-minibatch-random-tanh", "native")])
def test_runner_rows_identical_with_one_fit_call(monkeypatch, name, mode):
    case = CASES[name]
    one, mem_one = _run(monkeypatch, case, mode, True, epochs=4)
    loop, mem_loop = _run(monkeypatch, case, mode, False, epochs=4)
    for rec, mem in ((one, mem_one), (loop, mem_loop)):
        assert rec.status == "ok", rec.run["message"]
        assert rec.run["epochs_run"] == len(rec.epochs) == 4
        assert mem.windows == 4  # one FitMemory window per epoch
        assert math.isfinite(rec.run["peak_memory_mb"]) and rec.run["memory_method"] == mem.method
        assert rec.run["peak_memory_mb"] == mem.peak_growth_mb
        assert math.isfinite(rec.run["memory_floor_mb"])
        assert all(r["epoch_seconds"] > 0 for r in rec.epochs)
    for a, b in zip(one.epochs, loop.epochs):
        assert a["epoch"] == b["epoch"]
        for key in LOSS_KEYS:
            assert a[key] == b[key], (key, a["epoch"])
    for key in LOSS_KEYS[:4] + ("keras_steps_per_execution", "keras_jit_compile"):
        assert one.run[key] == loop.run[key], key


def test_parity_on_a_shuffling_case_keeps_the_per_epoch_loop(monkeypatch):
    case = CASES["neuron3-minibatch-random-tanh"]
    assert case.shuffle

    def forbidden(self, *args):
        raise AssertionError("train_epochs used although the harness permutes rows every epoch")

    monkeypatch.setattr(KerasTrainer, "train_epochs", forbidden)
    rec = run_case(case, "keras", case.seeds(1)[0], "parity", epochs=2, keras_steps_per_execution=1)
    assert rec.status == "ok", rec.run["message"]
    assert rec.run["epochs_run"] == 2


@pytest.mark.parametrize("lr,reason", [(5.0, "exceeds"), (1e300, "non-finite")])
def test_divergence_stops_the_single_fit_at_the_same_epoch(monkeypatch, lr, reason):
    case = dataclasses.replace(CASES["perceptron"], name="perceptron-explodes", activations=("linear",),
                               optimizer_params=(("learning_rate", lr),))
    one, mem_one = _run(monkeypatch, case, "parity", True, epochs=50)
    loop, _ = _run(monkeypatch, case, "parity", False, epochs=50)
    assert one.status == loop.status == "diverged"
    assert reason in one.run["message"] and one.run["message"] == loop.run["message"]
    assert 1 <= one.run["epochs_run"] == loop.run["epochs_run"] < 50
    assert mem_one.windows == one.run["epochs_run"]  # fit stopped: no epoch began after the stop


def test_time_limit_stops_the_single_fit_after_the_first_epoch(monkeypatch):
    case = CASES["neuron3-batch-sigmoid"]
    rec, mem = _run(monkeypatch, case, "parity", True, epochs=5, time_limit=0)
    assert rec.status == "timeout"
    assert rec.run["epochs_run"] == len(rec.epochs) == 1 == mem.windows
    assert rec.run["epochs"] == 5


def test_keras_default_budget_stops_the_single_fit(monkeypatch):
    case = CASES["neuron3-batch-tanh"]
    calls = []
    original = KerasTrainer.train_epochs

    def counting(self, X, Y, epochs, begin, end, batch_size=None):
        calls.append(epochs)
        return original(self, X, Y, epochs, begin, end, batch_size=batch_size)

    monkeypatch.setattr(KerasTrainer, "train_epochs", counting)
    monkeypatch.setattr(get_adapter("keras-default"), "timing_budget", (4, 0.0))
    rec = run_case(case, "keras-default", case.seeds(1)[0], "parity", epochs=10)
    assert rec.status == "ok", rec.run["message"]
    # ONE fit(epochs=10) for the run, stopped by the budget after 4 epochs (then the cost model's calls)
    assert calls[0] == 10 and rec.run["epochs_run"] == 4 == rec.run["epoch_cap"]
