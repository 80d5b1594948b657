"""The torch contender: PyTorch as a user writes it, mapped exactly where PyTorch allows."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scratchnet.bench.cases import CASES, build_model
from scratchnet.bench.frameworks import get_adapter, pytorch
from scratchnet.bench.running.runner import dataset_for, run_case

from lockstep import lockstep_drift  # tests/bench/lockstep.py (pytest puts tests/bench on sys.path)

pytestmark = pytest.mark.torch  # the CI step with the torch extra runs these (-m torch)

needs_torch = pytest.mark.skipif(not pytorch.torch_available(), reason=pytorch.NOT_INSTALLED)


def _variant(base: str, **changes):
    return dataclasses.replace(CASES[base], name=f"{base}-torch-test", **changes)


def _pair(case, other, seed=3, **options):
    ds = dataset_for(case)
    initial = build_model(case, seed, n_features=ds.n_features).get_weights()
    to = get_adapter("torch").prepare(case, ds, initial, "parity", seed, torch_execution="eager")
    ot = get_adapter(other).prepare(case, ds, initial, "parity", seed, **options)
    return ds, initial, to, ot


def _drift(case, other="scratchnet", epochs=2, **options):
    ds, _, to, ot = _pair(case, other, **options)
    return lockstep_drift(to, ot, ds, epochs), to, ot, ds


@needs_torch
def test_weights_copy_transposed_and_back_exactly():
    case = CASES["california-8-64-64-1"]
    ds, initial, to, sn = _pair(case, "scratchnet")
    for a, b in zip(to.get_weights(), initial):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    np.testing.assert_allclose(to.predict(ds.X_test), sn.predict(ds.X_test), rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("params", [
    (("learning_rate", 0.01),),
    (("learning_rate", 0.01), ("momentum", 0.9)),
    (("learning_rate", 0.01), ("momentum", 0.5), ("nesterov", True)),
])
def test_float64_sgd_agrees_with_scratchnet_to_rounding(params):
    case = _variant("diabetes-10-32-1", units=(6, 4, 1), activations=("tanh", "relu", "linear"),
                    optimizer="sgd", optimizer_params=params, dtype="float64")
    worst, *_ = _drift(case)
    assert worst <= 1e-12


@needs_torch
@pytest.mark.parametrize("base", ["digits-64-32-10", "breast-cancer-30-16-1"])
def test_fused_cross_entropy_sgd_agrees(base):
    case = _variant(base, dtype="float64", optimizer="sgd", optimizer_params=(("learning_rate", 0.05),))
    worst, to, sn, ds = _drift(case)
    assert worst <= 1e-12
    np.testing.assert_allclose(to.predict(ds.X_test), sn.predict(ds.X_test), rtol=1e-12, atol=1e-15)


@needs_torch
@pytest.mark.parametrize("optimizer,params,low,high", [
    # the documented formula differences are real (not zero) and of the stated size
    ("adam", (("learning_rate", 0.005),), 1e-8, 1e-2),
    ("rmsprop", (("learning_rate", 0.001),), 1e-6, 1e-1),
])
def test_adaptive_optimizers_drift_as_documented(optimizer, params, low, high):
    case = _variant("diabetes-10-32-1", units=(6, 4, 1), activations=("tanh", "tanh", "linear"),
                    optimizer=optimizer, optimizer_params=params, dtype="float64")
    worst, *_ = _drift(case)
    assert low < worst < high


@needs_torch
def test_native_order_is_dataloaders_order():
    import torch

    case = CASES["moons-2-4-4-1"]
    ds = dataset_for(case)
    seed = 11
    trainer = get_adapter("torch").prepare(case, ds, [], "native", seed, torch_execution="eager")
    g = torch.Generator().manual_seed(seed)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(ds.n_train)),
                                         batch_size=ds.n_train, shuffle=True, generator=g)
    expected = [next(iter(loader))[0].numpy() for _ in range(2)]
    got = [trainer.epoch_order(ds.n_train).numpy() for _ in range(2)]
    assert all(np.array_equal(a, b) for a, b in zip(got, expected))


@needs_torch
def test_run_records_execution_and_calibration(tmp_path):
    case = CASES["neuron3-sgd-tanh"]
    rec = run_case(case, "torch", case.seeds(1)[0], "parity", epochs=5, results_dir=tmp_path)
    sn = run_case(case, "scratchnet", case.seeds(1)[0], "parity", epochs=5)
    assert rec.status == "ok", rec.run["message"]
    assert rec.run["test_mse"] == pytest.approx(sn.run["test_mse"], rel=1e-12)
    assert "eager=" in rec.run["calibration_timings"] and "compile=" in rec.run["calibration_timings"]
    assert rec.run["execution"].split(",")[0] in ("eager", "compile")
    assert np.isfinite(rec.run["seconds_per_step"])


def test_without_torch_the_run_is_unsupported_with_the_reason(monkeypatch):
    monkeypatch.setattr(pytorch, "torch_available", lambda: False)
    case = CASES["perceptron"]
    rec = run_case(case, "torch", case.seeds(1)[0], "parity", epochs=2)
    assert rec.status == "unsupported"
    assert rec.run["message"] == pytorch.NOT_INSTALLED
