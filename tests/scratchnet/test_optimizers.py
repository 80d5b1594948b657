"""Optimizers against Keras 3's update rules, written out here element by element in plain Python.

Keras casts SGD's momentum and Adam's beta_1/beta_2 (for the powers beta^t only) through
``ops.cast(python_float, dtype)``, which goes via a float32 tensor: ``f32(x)`` reproduces that.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import optimizers


def f32(x: float) -> float:
    return float(np.float32(x))


W0 = [1.0, -0.5, 0.25, 2.0]
GRADS = [
    [0.1, -0.2, 0.3, 0.0],
    [0.5, 0.25, -1.0, 2.0],
    [-0.3, 0.7, 0.05, -0.4],
]


# ---------------------------------------------------------------------------------------
# Hand-written rules (one element at a time; state passed explicitly)
# ---------------------------------------------------------------------------------------
def sgd_rule(lr, momentum=0.0, nesterov=False):
    m = f32(momentum)

    def run(w, grads):
        w, v, out = list(w), [0.0] * len(w), []
        for g in grads:
            for i in range(len(w)):
                if momentum == 0.0:
                    w[i] = w[i] - g[i] * lr
                else:
                    v[i] = v[i] * m - g[i] * lr
                    if nesterov:
                        w[i] = w[i] + (v[i] * m - g[i] * lr)
                    else:
                        w[i] = w[i] + v[i]
            out.append(list(w))
        return out
    return run


def rmsprop_rule(lr, rho=0.9, momentum=0.0, eps=1e-7):
    def run(w, grads):
        w, v, mom, out = list(w), [0.0] * len(w), [0.0] * len(w), []
        for g in grads:
            for i in range(len(w)):
                v[i] = rho * v[i] + (1 - rho) * (g[i] * g[i])
                inc = lr * g[i] / math.sqrt(v[i] + eps)
                if momentum:
                    mom[i] = momentum * mom[i] + inc
                    w[i] = w[i] - mom[i]
                else:
                    w[i] = w[i] - inc
            out.append(list(w))
        return out
    return run


def adam_rule(lr, b1=0.9, b2=0.999, eps=1e-7):
    def run(w, grads):
        w, m, v, out = list(w), [0.0] * len(w), [0.0] * len(w), []
        for t, g in enumerate(grads, start=1):
            alpha = lr * math.sqrt(1 - f32(b2) ** t) / (1 - f32(b1) ** t)
            for i in range(len(w)):
                m[i] = m[i] + (g[i] - m[i]) * (1 - b1)
                v[i] = v[i] + (g[i] * g[i] - v[i]) * (1 - b2)
                w[i] = w[i] - (m[i] * alpha) / (math.sqrt(v[i]) + eps)
            out.append(list(w))
        return out
    return run


CASES = {
    "sgd": (lambda: sn.SGD(0.1), sgd_rule(0.1)),
    "sgd_momentum": (lambda: sn.SGD(0.1, momentum=0.9), sgd_rule(0.1, 0.9)),
    "sgd_nesterov": (lambda: sn.SGD(0.05, momentum=0.7, nesterov=True), sgd_rule(0.05, 0.7, True)),
    "rmsprop": (lambda: sn.RMSprop(0.01), rmsprop_rule(0.01)),
    "rmsprop_rho": (lambda: sn.RMSprop(0.02, rho=0.8, epsilon=1e-6), rmsprop_rule(0.02, 0.8, eps=1e-6)),
    "rmsprop_momentum": (lambda: sn.RMSprop(0.01, momentum=0.5), rmsprop_rule(0.01, momentum=0.5)),
    "adam": (lambda: sn.Adam(0.01), adam_rule(0.01)),
    "adam_betas": (lambda: sn.Adam(0.03, beta_1=0.8, beta_2=0.99, epsilon=1e-5),
                   adam_rule(0.03, 0.8, 0.99, 1e-5)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_apply_matches_hand_rule_over_three_steps(name):
    make, rule = CASES[name]
    opt = make()
    opt.build(len(W0), "float64")
    w = np.array(W0)
    expected = rule(W0, GRADS)
    for step, g in enumerate(GRADS):
        opt.apply(w, np.array(g))
        np.testing.assert_allclose(w, expected[step], rtol=1e-15, atol=0,
                                   err_msg=f"{name}, step {step + 1}")
    assert opt.iterations == 3
    assert w.dtype == np.float64


def test_float32_rounding_of_momentum_and_betas_is_visible():
    # the expected values above depend on the float32 rounding: without it they differ
    plain_momentum = []
    w, v = list(W0), [0.0] * 4
    for g in GRADS:
        for i in range(4):
            v[i] = v[i] * 0.9 - g[i] * 0.1
            w[i] = w[i] + v[i]
        plain_momentum.append(list(w))
    rounded = sgd_rule(0.1, 0.9)(W0, GRADS)
    assert rounded[-1] != plain_momentum[-1]

    opt = sn.SGD(0.1, momentum=0.9)
    opt.build(4, "float64")
    x = np.array(W0)
    for g in GRADS:
        opt.apply(x, np.array(g))
    assert list(x) == pytest.approx(rounded[-1], rel=1e-15, abs=0)
    assert list(x) != plain_momentum[-1]

    # Adam: beta powers with float32 betas vs plain Python betas differ in the last digits
    opt = sn.Adam(0.01)
    opt.build(4, "float64")
    x = np.array(W0)
    for g in GRADS:
        opt.apply(x, np.array(g))
    w, m, v = list(W0), [0.0] * 4, [0.0] * 4
    for t, g in enumerate(GRADS, start=1):
        alpha = 0.01 * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        for i in range(4):
            m[i] += (g[i] - m[i]) * 0.1
            v[i] += (g[i] * g[i] - v[i]) * (1 - 0.999)
            w[i] -= m[i] * alpha / (math.sqrt(v[i]) + 1e-7)
    assert not np.array_equal(x, w)


def test_sgd_momentum_first_steps_by_hand():
    # one weight, lr 0.1, momentum m = f32(0.9) = 0.89999997615814208984375
    m = 0.89999997615814208984375
    assert f32(0.9) == m
    opt = sn.SGD(0.1, momentum=0.9)
    opt.build(1, "float64")
    w = np.array([1.0])
    opt.apply(w, np.array([1.0]))   # v = 0*m - 1*0.1 = -0.1 ; w = 1 - 0.1 = 0.9
    assert w[0] == pytest.approx(0.9, abs=1e-16)
    opt.apply(w, np.array([1.0]))   # v = -0.1 m - 0.1 = -0.18999999761581 ; w = 0.71000000238419
    assert w[0] == pytest.approx(0.9 + (-0.1 * m - 0.1), abs=1e-16)
    assert w[0] == pytest.approx(0.71000000238418579, abs=1e-15)


def test_adam_first_step_is_lr_times_sign():
    # t = 1: m = 0.1 g, v = 0.001 g^2, alpha = lr sqrt(1 - b2) / (1 - b1)
    # step = m alpha / (sqrt(v) + eps) ~= lr * sign(g)  (eps negligible)
    opt = sn.Adam(0.001)
    opt.build(3, "float64")
    w = np.zeros(3)
    opt.apply(w, np.array([3.0, -0.5, 0.2]))
    np.testing.assert_allclose(w, [-0.001, 0.001, -0.001], rtol=1e-4)


# ---------------------------------------------------------------------------------------
# Through a model: train_on_batch on a linear neuron whose gradient is written out here
# ---------------------------------------------------------------------------------------
X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]])
Y = np.array([[1.0], [0.0], [-0.5]])
K0 = np.array([[0.2], [-0.1]])
B0 = np.array([0.05])


def linear_mse_grad(k, b):
    """L = mean_i (x_i.k + b - y_i)^2 ;  dL/dk = 2/N X^T r ;  dL/db = 2/N sum(r)."""
    r = X @ k + b - Y
    n = X.shape[0]
    return np.concatenate([(2.0 / n) * (X.T @ r).ravel(), [(2.0 / n) * r.sum()]])


@pytest.mark.parametrize("name", list(CASES))
def test_train_on_batch_follows_hand_rule(name):
    make, _ = CASES[name]
    model = sn.Sequential([sn.Input((2,)), sn.Dense(1)], dtype="float64")
    model.compile(make(), "mse")
    model.set_weights([K0, B0])
    hand_opt_rule = CASES[name][1]

    w = np.concatenate([K0.ravel(), B0])
    grads = []
    # the rule consumes the gradient of each step at that step's weights, so run it step by step
    for step in range(3):
        g = linear_mse_grad(w[:2].reshape(2, 1), w[2:])
        grads.append(list(g))
        expected = hand_opt_rule(list(np.concatenate([K0.ravel(), B0])), grads)[-1]
        loss_before = float(np.mean((X @ w[:2].reshape(2, 1) + w[2] - Y) ** 2))
        loss = model.train_on_batch(X, Y)
        assert loss == pytest.approx(loss_before, rel=1e-14)
        k, b = model.get_weights()
        got = np.concatenate([k.ravel(), b])
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-16, err_msg=f"{name} step {step + 1}")
        w = np.array(expected)
    assert model.optimizer.iterations == 3


# ---------------------------------------------------------------------------------------
# Defaults, names, validation
# ---------------------------------------------------------------------------------------
def test_keras_defaults():
    sgd, adam, rms = optimizers.get("sgd"), optimizers.get("adam"), optimizers.get("RMSprop")
    assert (type(sgd), sgd.learning_rate, sgd.momentum, sgd.nesterov) == (sn.SGD, 0.01, 0.0, False)
    assert (type(adam), adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (
        sn.Adam, 0.001, 0.9, 0.999, 1e-7)
    assert (type(rms), rms.learning_rate, rms.rho, rms.momentum, rms.epsilon) == (
        sn.RMSprop, 0.001, 0.9, 0.0, 1e-7)
    model = sn.Sequential([sn.Input((1,)), sn.Dense(1)])
    model.compile()  # Keras' compile defaults: rmsprop, mean_squared_error
    assert isinstance(model.optimizer, sn.RMSprop)
    assert model.loss.name == "mean_squared_error"


def test_optimizer_instance_passes_through():
    opt = sn.Adam(0.5)
    assert optimizers.get(opt) is opt


@pytest.mark.parametrize("cls", [sn.SGD, sn.Adam, sn.RMSprop])
@pytest.mark.parametrize("lr", [0, 0.0, -0.1, float("nan"), float("inf")])
def test_learning_rate_must_be_positive_and_finite(cls, lr):
    with pytest.raises(ValueError, match="learning_rate"):
        cls(learning_rate=lr)


def test_learning_rate_must_be_a_number():
    with pytest.raises(TypeError, match="learning_rate"):
        sn.SGD(learning_rate="0.1")
    with pytest.raises(TypeError, match="learning_rate"):
        sn.Adam(learning_rate=True)


@pytest.mark.parametrize("kwargs, arg", [
    ({"momentum": -0.1}, "momentum"), ({"momentum": 1.0}, "momentum"),
])
def test_sgd_momentum_range(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        sn.SGD(0.1, **kwargs)


@pytest.mark.parametrize("kwargs, arg", [
    ({"beta_1": 1.0}, "beta_1"), ({"beta_1": 0.0}, "beta_1"), ({"beta_2": 1.5}, "beta_2"),
    ({"epsilon": 0.0}, "epsilon"),
])
def test_adam_hyperparameter_ranges(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        sn.Adam(0.1, **kwargs)


@pytest.mark.parametrize("kwargs, arg", [({"rho": 1.0}, "rho"), ({"momentum": 1.0}, "momentum")])
def test_rmsprop_hyperparameter_ranges(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        sn.RMSprop(0.1, **kwargs)


def test_unknown_optimizer_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adagrad'.*valid names.*adam.*rmsprop.*sgd"):
        optimizers.get("adagrad")
    model = sn.Sequential([sn.Input((1,)), sn.Dense(1)])
    with pytest.raises(ValueError, match="valid names"):
        model.compile("nadam", "mse")
    with pytest.raises(TypeError, match="optimizer"):
        model.compile(3, "mse")
