"""Initializers: Keras' formulas (limits, truncation, stddevs), defaults, seeding, dtype."""
from __future__ import annotations

import math

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import initializers

TRUNC = 0.87962566103423978   # stddev of a unit normal truncated to [-2, 2]


def test_truncation_constant_is_the_truncated_normal_stddev():
    # Var of N(0,1) truncated to [-2, 2] = 1 - 2*2*phi(2) / (2 Phi(2) - 1)
    phi2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    assert math.sqrt(1 - 4 * phi2 / mass) == pytest.approx(TRUNC, rel=1e-12)


@pytest.mark.parametrize("cls, limit", [
    (sn.GlorotUniform, math.sqrt(6 / (200 + 300))),
    (sn.HeUniform, math.sqrt(6 / 200)),
])
def test_uniform_variance_scaling_limits(cls, limit):
    w = cls(seed=0)((200, 300), "float64")
    assert w.shape == (200, 300) and w.dtype == np.float64
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.995 * limit                  # the range is actually used
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.02)
    assert abs(w.mean()) < 0.01 * limit


@pytest.mark.parametrize("cls, std", [
    (sn.HeNormal, math.sqrt(2 / 400)),
    (sn.GlorotNormal, math.sqrt(2 / (400 + 250))),
])
def test_truncated_normal_initializers(cls, std):
    w = cls(seed=1)((400, 250), "float64")
    param = std / TRUNC                                      # the stddev before truncation
    assert np.abs(w).max() <= 2 * param                      # truncated at 2 stddev
    assert np.abs(w).max() > 0.99 * 2 * param
    assert w.std() == pytest.approx(std, rel=0.02)           # final stddev = the target
    assert abs(w.mean()) < 0.02 * std


def test_vector_shape_uses_length_as_both_fans():
    w = sn.GlorotUniform(seed=0)((1000,), "float64")
    assert np.abs(w).max() <= math.sqrt(6 / 2000) and np.abs(w).max() > 0.99 * math.sqrt(6 / 2000)


def test_random_uniform_zero_one_and_defaults():
    w = sn.RandomUniform(0.0, 1.0, seed=2)((100, 100), "float64")
    assert w.min() >= 0.0 and w.max() < 1.0
    assert w.mean() == pytest.approx(0.5, abs=0.01)
    default = sn.RandomUniform()
    assert (default.minval, default.maxval) == (-0.05, 0.05)   # Keras' defaults
    d = default((50, 50), "float64", np.random.default_rng(0))
    assert d.min() >= -0.05 and d.max() < 0.05
    normal = sn.RandomNormal()
    assert (normal.mean, normal.stddev) == (0.0, 0.05)
    assert normal((300, 300), "float64", np.random.default_rng(0)).std() == pytest.approx(0.05, rel=0.01)


def test_zeros_ones():
    assert sn.Zeros()((2, 3)).tolist() == [[0.0] * 3] * 2
    assert sn.Ones()((2,), "float64").tolist() == [1.0, 1.0]


def test_dense_defaults_are_glorot_uniform_and_zeros():
    layer = sn.Dense(7)
    assert layer.kernel_initializer.name == "glorot_uniform"
    assert layer.bias_initializer.name == "zeros"
    model = sn.Sequential([sn.Input((5,)), layer], seed=0)
    k, b = model.get_weights()
    assert np.all(b == 0)
    assert np.abs(k).max() <= math.sqrt(6 / 12)


def test_seeded_initializer_is_reproducible():
    a = sn.GlorotUniform(seed=3)((4, 5))
    b = sn.GlorotUniform(seed=3)((4, 5))
    c = sn.GlorotUniform(seed=4)((4, 5))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # an initializer's own seed overrides the model's generator
    m1 = sn.Sequential([sn.Input((3,)), sn.Dense(2, kernel_initializer=sn.HeNormal(seed=9))], seed=1)
    m2 = sn.Sequential([sn.Input((3,)), sn.Dense(2, kernel_initializer=sn.HeNormal(seed=9))], seed=2)
    assert np.array_equal(m1.get_weights()[0], m2.get_weights()[0])


def test_model_generator_is_used_in_layer_order():
    # the model draws kernel then bias per layer from default_rng(seed)
    model = sn.Sequential([sn.Input((3,)), sn.Dense(2, kernel_initializer=sn.RandomUniform(0, 1),
                                                    bias_initializer=sn.RandomUniform(0, 1))],
                          dtype="float64", seed=5)
    rng = np.random.default_rng(5)
    k = rng.uniform(0, 1, (3, 2))
    b = rng.uniform(0, 1, (2,))
    got_k, got_b = model.get_weights()
    assert np.array_equal(got_k, k) and np.array_equal(got_b, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_initializer_dtype(dtype):
    for name in initializers.INITIALIZERS:
        assert initializers.get(name)((3, 2), dtype, np.random.default_rng(0)).dtype == np.dtype(dtype)


def test_config_round_trip():
    init = sn.RandomUniform(0.0, 1.0, seed=7)
    again = initializers.from_config(init.get_config())
    assert type(again) is sn.RandomUniform
    assert np.array_equal(again((3, 3)), init((3, 3)))


def test_bad_initializer_arguments():
    with pytest.raises(ValueError, match="maxval > minval"):
        sn.RandomUniform(1.0, 0.0)
    with pytest.raises(ValueError, match="stddev > 0"):
        sn.RandomNormal(stddev=0.0)
    with pytest.raises(ValueError, match="1-D and 2-D shapes"):
        sn.GlorotUniform()((2, 2, 2))
