"""The allocation-free training path computes exactly what the allocating path computes."""
import tracemalloc

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import _validation
from scratchnet._constants import const
from scratchnet.activations import ACTIVATIONS, Activation


@pytest.mark.parametrize("shape", [(5, 4), (1, 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_out_and_scratch_paths_are_bit_identical_to_the_allocating_path(name, dtype, shape):
    act = ACTIVATIONS[name]
    assert act.takes_out
    rng = np.random.default_rng(0)
    z = (rng.normal(0, 3, size=shape) * (rng.random(shape) > 0.2)).astype(dtype)  # some exact zeros
    g = rng.normal(size=shape).astype(dtype)
    a = act.forward(z)
    want = act.backward(z, a, g)
    for use_scratch in (False, True):
        scratch = np.full_like(z, np.nan) if use_scratch else None
        out = np.full_like(z, np.nan)
        a_out = act.forward(z, out, scratch)
        assert a_out.dtype == a.dtype and np.array_equal(a_out, a)
        assert a_out is out or (name == "linear" and a_out is z)
        out = np.full_like(z, np.nan)
        got = act.backward(z, a, g, out, scratch)
        assert got.dtype == want.dtype and np.array_equal(got, want)
        assert got is out or (name == "linear" and got is g)


def _model(act, dtype="float64", seed=3, units=4, n_out=1, loss="mse", opt=None):
    model = sn.Sequential([sn.Input((3,)), sn.Dense(units, act), sn.Dense(n_out, act if n_out == 1 else "softmax")],
                          dtype=dtype, seed=seed)
    model.compile(opt or sn.Adam(0.01), loss)
    return model


def test_an_activation_without_out_is_wrapped_and_trains_the_same():
    real = ACTIVATIONS["tanh"]
    plain = Activation("tanh", lambda z: real.forward(z), lambda z, a, g: real.backward(z, a, g))
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))
    a, b = _model("tanh"), _model(plain)
    for m in (a, b):
        m.fit(X, Y, batch_size=8, epochs=2, shuffle=True, seed=4, verbose=0)
    assert all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


@pytest.mark.parametrize("batch_size", [1, 7, 16, None])
def test_shuffled_batches_gathered_per_batch_equal_training_on_permuted_rows(batch_size):
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(50, 3)), np.eye(3)[rng.integers(0, 3, 50)]
    a = _model("relu", n_out=3, loss="categorical_crossentropy", opt=sn.SGD(0.1, momentum=0.9))
    b = _model("relu", n_out=3, loss="categorical_crossentropy", opt=sn.SGD(0.1, momentum=0.9))
    ha = a.fit(X, Y, batch_size=batch_size, epochs=1, shuffle=True, seed=9, verbose=0)
    order = np.random.default_rng(9).permutation(50)
    hb = b.fit(X[order], Y[order], batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    assert ha.history["loss"] == hb.history["loss"]
    assert all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


def test_training_buffers_do_not_leak_into_predict_or_metrics():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 1))
    m = _model("sigmoid")
    p = m.predict(X)
    m.compile(m.optimizer, "mse", metrics=["mse"])
    h = m.fit(X, Y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    assert np.array_equal(p, _model("sigmoid").predict(X))  # predict's array is its own
    # the metric is computed from each batch's own pre-update outputs, not a reused buffer
    assert h.history["mse"][0] == pytest.approx(h.history["loss"][0], rel=1e-12)


def test_an_epoch_allocates_less_than_a_batch_of_activations():
    rng = np.random.default_rng(4)
    n, bs, dims = 2048, 64, (200, 128, 128, 10)
    X = rng.normal(size=(n, dims[0])).astype("float32")
    Y = np.eye(10, dtype="float32")[rng.integers(0, 10, n)]
    m = sn.Sequential([sn.Input((dims[0],)), sn.Dense(dims[1], "relu"), sn.Dense(dims[2], "relu"),
                       sn.Dense(dims[3], "softmax")], seed=0)
    m.compile(sn.Adam(), "categorical_crossentropy")
    m.fit(X[:bs], Y[:bs], batch_size=bs, epochs=1, verbose=0)  # buffers for this batch size
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        m.fit(X, Y, batch_size=bs, epochs=1, shuffle=True, verbose=0)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    one_batch_of_activations = bs * sum(dims) * 4
    assert peak < one_batch_of_activations + n * 8 + 64 * 1024  # + the permutation and small arrays
    assert peak < X.nbytes / 8  # far from a copy of the data


def test_check_finite_still_catches_nan_and_inf_and_passes_an_overflowing_sum():
    _validation.check_finite(np.array([1e308, 1e308, -1.0]), "x")  # the sum overflows, the data is finite
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match="x contains"):
            _validation.check_finite(np.array([[1.0, bad], [2.0, 3.0]]), "x")


def test_constants_are_read_only_zero_d_arrays_of_their_dtype():
    c = const(0.05, "float32")
    assert c.shape == () and c.dtype == np.float32 and c == np.float32(0.05)
    assert const(0.05, "float32") is c
    with pytest.raises(ValueError):
        c[...] = 1.0
