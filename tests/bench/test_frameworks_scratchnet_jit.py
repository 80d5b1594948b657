"""scratchnet-jit: the library's formulas compiled (numba) agree with the library and with Keras."""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.bench.cases import CASES, build_model
from scratchnet.bench.frameworks import get_adapter, scratchnet_jit
from scratchnet.bench.running.runner import dataset_for, run_case

from lockstep import lockstep_drift, relative  # tests/bench/lockstep.py

pytestmark = pytest.mark.jit

BASE = [name for name in CASES if "[" not in name]
ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax")
OPTIMIZERS = {"sgd": lambda: sn.SGD(0.05), "momentum": lambda: sn.SGD(0.05, momentum=0.9),
              "nesterov": lambda: sn.SGD(0.05, momentum=0.9, nesterov=True), "adam": lambda: sn.Adam(0.01),
              "rmsprop": lambda: sn.RMSprop(0.005), "rmsprop-momentum": lambda: sn.RMSprop(0.005, momentum=0.5)}


def _random_net(rng, dtype="float64"):
    """A random Dense net, loss and optimizer the compiled path supports, with data for it."""
    n_in, depth = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    units = [int(rng.integers(1, 7)) for _ in range(depth)]
    acts = [str(rng.choice(ACTIVATIONS)) for _ in range(depth)]
    loss = str(rng.choice(["mse", "mae", "binary_crossentropy", "categorical_crossentropy"]))
    if loss == "binary_crossentropy":
        acts[-1] = "sigmoid"
    if loss == "categorical_crossentropy":
        acts[-1], units[-1] = "softmax", max(units[-1], 2)
    opt = str(rng.choice(sorted(OPTIMIZERS)))
    x = rng.normal(size=(int(rng.integers(5, 40)), n_in))
    if loss == "categorical_crossentropy":
        y = np.eye(units[-1])[rng.integers(0, units[-1], x.shape[0])]
    elif loss == "binary_crossentropy":
        y = rng.integers(0, 2, (x.shape[0], units[-1])).astype(float)
    else:
        y = rng.normal(size=(x.shape[0], units[-1]))
    use_bias = bool(rng.integers(0, 4))  # mostly with biases
    seed = int(rng.integers(0, 2**31))

    def make():
        m = sn.Sequential([sn.Input((n_in,)), *(sn.Dense(u, a, use_bias=use_bias) for u, a in zip(units, acts))],
                          dtype=dtype, seed=seed)
        m.compile(OPTIMIZERS[opt](), loss)
        m.build()
        return m

    return make, x, y, int(rng.integers(1, x.shape[0] + 1)), f"{n_in}-{units} {acts} {loss} {opt}"


@pytest.mark.parametrize("draw", range(40))
def test_compiled_epochs_match_the_library_on_random_nets(draw):
    from scratchnet.jit import compile_model

    rng = np.random.default_rng(draw)
    make, x, y, batch, label = _random_net(rng)
    library, compiled = make(), make()
    trainer = compile_model(compiled)
    for epoch in range(3):
        order = rng.permutation(x.shape[0])
        library.fit(x[order], y[order], batch_size=batch, epochs=1, shuffle=False, verbose=0)
        trainer.train_epoch(x, y, batch, order)
        worst = max(relative(a, b) for a, b in zip(compiled.get_weights(), library.get_weights()))
        assert worst <= 1e-13, f"{label}, batch {batch}, epoch {epoch + 1}: {worst:.2e}"
    assert compiled.optimizer.iterations == library.optimizer.iterations


def test_float32_matches_the_library_to_float32_rounding():
    from scratchnet.jit import compile_model

    rng = np.random.default_rng(7)
    for _ in range(5):
        make, x, y, batch, label = _random_net(rng, "float32")
        library, compiled = make(), make()
        trainer = compile_model(compiled)
        library.fit(x, y, batch_size=batch, epochs=2, shuffle=False, verbose=0)
        trainer.train_epoch(x, y, batch)
        trainer.train_epoch(x, y, batch)
        worst = max(relative(a, b) for a, b in zip(compiled.get_weights(), library.get_weights()))
        assert compiled.get_weights()[0].dtype == np.float32 and worst <= 1e-5, (label, worst)


def test_unsupported_models_say_why():
    from scratchnet.jit import unsupported_reason

    m = sn.Sequential([sn.Input((2,)), sn.Dense(2), sn.Activation("tanh")])
    m.compile("sgd", "mse")
    assert "Dense layers only" in unsupported_reason(m)
    m = sn.Sequential([sn.Input((2,)), sn.Dense(1, "linear")])
    m.compile("sgd", "binary_crossentropy")
    assert "only fused with its sigmoid output" in unsupported_reason(m)


def test_not_installed_names_the_install_command(monkeypatch):
    monkeypatch.setattr(scratchnet_jit, "numba_available", lambda: False)
    reason = get_adapter("scratchnet-jit").supports(CASES["perceptron"])
    assert "numba is not installed" in reason and "pip install -e .[jit]" in reason


def _first_rows(ds, rows=64):
    """The parity gate's data: the first rows of the training set (suite.PARITY_ROWS)."""
    n = min(rows, ds.n_train)
    return SimpleNamespace(n_train=n, X_train=ds.X_train[:n], y_train=ds.y_train[:n])


@pytest.mark.tf
@pytest.mark.parametrize("name", BASE)
def test_lockstep_with_keras_on_every_case(name):
    """The parity gate's lockstep, float64: every weight within 1e-12 of Keras' after each epoch."""
    case = dataclasses.replace(CASES[name], dtype="float64")
    assert get_adapter("scratchnet-jit").supports(case) is None
    full = dataset_for(case)
    ds = _first_rows(full)
    initial = build_model(case, 3, n_features=full.n_features).get_weights()
    if case.batch_size is not None and case.batch_size >= ds.n_train:
        case = dataclasses.replace(case, batch_size=None)
    jit = get_adapter("scratchnet-jit").prepare(case, full, initial, "parity", 3)
    keras = get_adapter("keras").prepare(case, full, initial, "parity", 3, keras_steps_per_execution=1)
    assert lockstep_drift(jit, keras, ds, epochs=2) <= 1e-12


def test_run_records_compile_seconds_and_matches_scratchnet(tmp_path):
    case = CASES["neuron3-sgd-sigmoid"]
    seed = case.seeds(1)[0]
    rec = run_case(case, "scratchnet-jit", seed, "parity", epochs=5, results_dir=tmp_path)
    ref = run_case(case, "scratchnet", seed, "parity", epochs=5)
    assert rec.status == "ok", rec.run["message"]
    assert rec.run["test_mse"] == pytest.approx(ref.run["test_mse"], rel=1e-12)
    assert rec.run["compile_seconds"] > 0 and rec.run["execution"] == "numba, whole epoch per call"
    assert np.isfinite(rec.run["seconds_per_step"]) and np.isfinite(rec.run["epoch_overhead_seconds"])


def test_native_mode_shuffles_as_the_scratchnet_contender():
    case = CASES["moons-2-4-4-1"]
    ds = dataset_for(case)
    initial = build_model(case, 5, n_features=ds.n_features).get_weights()
    jit = get_adapter("scratchnet-jit").prepare(case, ds, initial, "native", 5)
    ref = get_adapter("scratchnet").prepare(case, ds, initial, "native", 5)
    for _ in range(2):
        jit.train_epoch(ds.X_train, ds.y_train)
        ref.train_epoch(ds.X_train, ds.y_train)
    assert max(relative(a, b) for a, b in zip(jit.get_weights(), ref.get_weights())) <= 1e-12


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_adam_step_sizes_are_the_librarys_bit_for_bit(dtype):
    """The epoch's step sizes, computed at once, equal Adam._update's per-step expression exactly."""
    from scratchnet.jit import compile_model

    m = sn.Sequential([sn.Input((2,)), sn.Dense(1)], dtype=dtype)
    m.compile(sn.Adam(0.003), "mse")
    m.build()
    alphas = compile_model(m)._alphas(3000)
    t, opt = np.dtype(dtype).type, m.optimizer
    one, lr = t(1), t(opt._lr)
    b1, b2 = t(np.float32(opt.beta_1)), t(np.float32(opt.beta_2))
    expected = [lr * np.sqrt(one - np.power(b2, t(k))) / (one - np.power(b1, t(k))) for k in range(1, 3001)]
    assert alphas.dtype == np.dtype(dtype) and np.array_equal(alphas, np.array(expected, dtype=dtype))
