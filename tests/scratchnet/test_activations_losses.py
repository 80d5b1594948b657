"""Activations and losses: values by hand, derivatives by central differences, numerical safety."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import activations, losses
from scratchnet.activations import ACTIVATIONS

EPS = 1e-7  # Keras' backend.epsilon()


# ---------------------------------------------------------------------------------------
# activations: values
# ---------------------------------------------------------------------------------------
def test_activation_values_by_hand():
    z = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    assert ACTIVATIONS["linear"].forward(z).tolist() == z.tolist()
    assert ACTIVATIONS["relu"].forward(z).tolist() == [[0.0, 0.0, 0.0, 0.5, 3.0]]
    slope = float(np.float32(0.2))  # TensorFlow's LeakyRelu holds its slope as float32
    np.testing.assert_allclose(ACTIVATIONS["leaky_relu"].forward(z), [[-2.0 * slope, -0.5 * slope, 0.0, 0.5, 3.0]],
                               rtol=1e-15)
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"].forward(z),
                               [[1 / (1 + math.exp(2.0)), 1 / (1 + math.exp(0.5)), 0.5,
                                 1 / (1 + math.exp(-0.5)), 1 / (1 + math.exp(-3.0))]], rtol=1e-15)
    np.testing.assert_allclose(ACTIVATIONS["tanh"].forward(z), [[math.tanh(v) for v in z[0]]], rtol=1e-15)
    s = ACTIVATIONS["softmax"].forward(np.array([[1.0, 2.0, 3.0]]))
    e = [math.exp(1), math.exp(2), math.exp(3)]
    np.testing.assert_allclose(s, [[v / sum(e) for v in e]], rtol=1e-15)


def test_none_means_linear_and_instances_pass_through():
    assert activations.get(None).name == "linear"
    relu = ACTIVATIONS["relu"]
    assert activations.get(relu) is relu
    assert sn.Dense(2).activation.name == "linear"


@pytest.mark.parametrize("name", ["linear", "sigmoid", "tanh", "relu", "leaky_relu"])
def test_elementwise_derivatives_match_central_difference(name):
    act = ACTIVATIONS[name]
    z = np.array([[-3.0, -1.2, -0.3, 0.2, 0.9, 2.5]])
    a = act.forward(z)
    grad_a = np.array([[0.7, -1.1, 2.0, 0.4, -0.3, 1.5]])
    h = 1e-6
    numeric = (act.forward(z + h) - act.forward(z - h)) / (2 * h) * grad_a
    np.testing.assert_allclose(act.backward(z, a, grad_a), numeric, rtol=1e-8, atol=1e-10)


def test_softmax_jacobian_vector_product_matches_central_difference():
    act = ACTIVATIONS["softmax"]
    z = np.array([[0.3, -1.0, 2.0, 0.5], [5.0, 5.0, -2.0, 0.0]])
    a = act.forward(z)
    g = np.array([[1.0, -2.0, 0.5, 0.3], [0.0, 1.0, -1.0, 2.0]])
    h = 1e-6
    numeric = np.zeros_like(z)
    for i, j in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[i, j] += h
        zm[i, j] -= h
        # d(sum_k g_k a_k)/dz_j
        numeric[i, j] = (np.sum(g[i] * act.forward(zp)[i]) - np.sum(g[i] * act.forward(zm)[i])) / (2 * h)
    np.testing.assert_allclose(act.backward(z, a, g), numeric, rtol=1e-8, atol=1e-10)


def test_relu_derivative_at_zero_is_zero_and_leaky_is_slope():
    z = np.array([[0.0, 0.0]])
    g = np.array([[1.0, -3.0]])
    assert ACTIVATIONS["relu"].backward(z, ACTIVATIONS["relu"].forward(z), g).tolist() == [[0.0, 0.0]]
    out = ACTIVATIONS["leaky_relu"].backward(z, ACTIVATIONS["leaky_relu"].forward(z), g)
    slope = float(np.float32(0.2))  # TensorFlow's LeakyRelu holds its slope as float32
    np.testing.assert_allclose(out, [[slope, -3.0 * slope]], rtol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_is_stable_for_huge_logits(dtype):
    # one input of 1, kernel [1000, -1000]: z = [1000, -1000]
    model = sn.Sequential([sn.Input((1,)), sn.Dense(2, "sigmoid", use_bias=False)], dtype=dtype)
    model.set_weights([np.array([[1000.0, -1000.0]])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no overflow warning may leak out of predict
        with np.errstate(all="warn"):
            p = model.predict(np.array([[1.0], [0.0]]))
    assert p.dtype == np.dtype(dtype)
    assert not np.isnan(p).any()
    assert p[0].tolist() == [1.0, 0.0]          # exact limits
    assert p[1].tolist() == [0.5, 0.5]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_huge_logits_through_the_fused_binary_crossentropy(dtype):
    # z = +-1000 with y = 1: loss per unit = softplus(-z) = [0, 1000] -> mean 500 (exact, finite)
    model = sn.Sequential([sn.Input((1,)), sn.Dense(2, "sigmoid", use_bias=False)], dtype=dtype)
    model.compile(sn.SGD(0.01), "binary_crossentropy")
    model.set_weights([np.array([[1000.0, -1000.0]])])
    x, y = np.array([[1.0]]), np.array([[1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="warn"):
            assert model.evaluate(x, y) == pytest.approx(500.0, rel=1e-6)
            g = model.gradients(x, y)[0]
            loss = model.train_on_batch(x, y)
    # dL/dz = (sigmoid(z) - y) / 2 = [0, -0.5] ; dL/dW = x * dL/dz
    np.testing.assert_allclose(g, [[0.0, -0.5]], atol=1e-7)
    assert loss == pytest.approx(500.0, rel=1e-6)


def test_softmax_rows_sum_to_one_and_large_logits_do_not_overflow():
    model = sn.Sequential([sn.Input((3,)), sn.Dense(3, "softmax", use_bias=False)], dtype="float64")
    model.set_weights([np.eye(3)])
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0], [1e5, 1e5, 1e5], [0.1, 0.2, 0.3]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="warn"):
            p = model.predict(x)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    e = np.array([math.exp(-2), math.exp(-1), 1.0])
    np.testing.assert_allclose(p[0], e / e.sum(), rtol=1e-14)
    assert p[1].tolist() == [0.0, 0.0, 1.0]
    np.testing.assert_allclose(p[2], [1 / 3] * 3, rtol=1e-15)
    rng = np.random.default_rng(0)
    q = ACTIVATIONS["softmax"].forward(rng.normal(0, 30, size=(50, 7)))
    np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=1e-14)
    assert (q >= 0).all()


# ---------------------------------------------------------------------------------------
# losses: values by hand
# ---------------------------------------------------------------------------------------
Y2 = np.array([[1.0, 2.0], [3.0, 4.0]])
P2 = np.array([[1.5, 2.0], [2.0, 4.0]])


def test_mse_and_mae_values():
    # differences [0.5, 0, -1, 0]: squares sum 1.25 / 4 = 0.3125 ; abs sum 1.5 / 4 = 0.375
    assert losses.get("mse").value(Y2, P2) == 0.3125
    assert losses.get("mean_squared_error").value(Y2, P2) == 0.3125
    assert losses.get("mae").value(Y2, P2) == 0.375
    assert losses.get("mean_absolute_error").value(Y2, P2) == 0.375


def test_mse_mae_gradients_by_hand():
    # mse: 2 (p - y) / (N k) = 2 * [0.5, 0, -1, 0] / 4 ; mae: sign / 4 (0 where p == y)
    np.testing.assert_array_equal(losses.get("mse").grad(Y2, P2), [[0.25, 0.0], [-0.5, 0.0]])
    value, grad = losses.get("mse").value_and_grad(Y2, P2)
    assert value == 0.3125
    np.testing.assert_array_equal(grad, [[0.25, 0.0], [-0.5, 0.0]])
    np.testing.assert_array_equal(losses.get("mae").grad(Y2, P2), [[0.25, 0.0], [-0.25, 0.0]])


def test_binary_crossentropy_value():
    y = np.array([[1.0], [0.0]])
    p = np.array([[0.8], [0.4]])
    expected = -(math.log(0.8) + math.log(0.6)) / 2
    assert losses.get("binary_crossentropy").value(y, p) == pytest.approx(expected, rel=1e-15)


def test_binary_crossentropy_clips_probabilities():
    y = np.array([[1.0], [0.0], [1.0]])
    p = np.array([[0.0], [1.0], [1.0]])
    # -log(eps), -log(1 - (1 - eps)), -log(1 - eps)
    expected = (-math.log(EPS) - math.log(1 - (1 - EPS)) - math.log(1 - EPS)) / 3
    bce = losses.get("binary_crossentropy")
    assert bce.value(y, p) == pytest.approx(expected, rel=1e-12)
    # outside the clip range the gradient is 0 (as tf.clip_by_value passes none)
    np.testing.assert_array_equal(bce.grad(y, p), [[0.0], [0.0], [0.0]])


def test_categorical_crossentropy_renormalises_then_clips():
    y = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    p = np.array([[0.2, 0.2, 0.4], [0.0, 0.0, 1.0]])
    # row 1: p / sum = [0.25, 0.25, 0.5] -> -log 0.5 ; row 2: true class has p 0 -> -log(eps)
    expected = (math.log(2) - math.log(EPS)) / 2
    assert losses.get("categorical_crossentropy").value(y, p) == pytest.approx(expected, rel=1e-12)


def test_sparse_categorical_crossentropy_equals_one_hot():
    p = np.array([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]])
    labels = np.array([1, 0])
    scce = losses.get("sparse_categorical_crossentropy")
    onehot = scce.prepare_targets(labels, 3)
    assert onehot.tolist() == [[0, 1, 0], [1, 0, 0]]
    assert scce.value(onehot, p) == pytest.approx(-(math.log(0.7) + math.log(0.5)) / 2, rel=1e-15)


def test_from_logits_values():
    z = np.array([[2.0], [-1.0]])
    y = np.array([[1.0], [0.0]])
    # -log sigmoid(2) = log(1 + e^-2) ; -log(1 - sigmoid(-1)) = log(1 + e^-1)
    expected = (math.log1p(math.exp(-2)) + math.log1p(math.exp(-1))) / 2
    assert losses.BinaryCrossentropy(from_logits=True).value(y, z) == pytest.approx(expected, rel=1e-15)
    zc = np.array([[1.0, 2.0, 3.0]])
    yc = np.array([[0.0, 1.0, 0.0]])
    lse = math.log(math.exp(1) + math.exp(2) + math.exp(3))
    assert losses.CategoricalCrossentropy(from_logits=True).value(yc, zc) == pytest.approx(lse - 2, rel=1e-15)
    assert losses.SparseCategoricalCrossentropy(from_logits=True).value(yc, zc) == pytest.approx(lse - 2, rel=1e-15)


@pytest.mark.parametrize("loss", [
    losses.MeanSquaredError(), losses.MeanAbsoluteError(), losses.BinaryCrossentropy(),
    losses.BinaryCrossentropy(from_logits=True), losses.CategoricalCrossentropy(),
    losses.CategoricalCrossentropy(from_logits=True),
], ids=repr)
def test_loss_gradient_matches_central_difference(loss):
    p = np.array([[0.3, 0.15, 0.55], [0.6, 0.3, 0.1]])
    if loss.name == "binary_crossentropy":
        y = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    elif loss.name == "categorical_crossentropy":
        y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
        if not loss.from_logits:
            p = p * np.array([[1.3], [0.8]])   # not normalised: exercises the renormalisation
    else:
        y = np.array([[0.1, 0.5, 0.2], [0.9, 0.0, 0.4]])
    h = 1e-6
    numeric = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        pp, pm = p.copy(), p.copy()
        pp[idx] += h
        pm[idx] -= h
        numeric[idx] = (loss.value(y, pp) - loss.value(y, pm)) / (2 * h)
    np.testing.assert_allclose(loss.grad(y, p), numeric, rtol=1e-7, atol=1e-9)


def test_fused_loss_uses_logits_like_keras():
    # sigmoid output with z = -50 and y = 1: from logits the loss is softplus(50) ~= 50;
    # the clipped probability form would give -log(1e-7) ~= 16.1
    for layers in ([sn.Dense(1, "sigmoid", use_bias=False)],
                   [sn.Dense(1, use_bias=False), sn.Activation("sigmoid")]):
        model = sn.Sequential([sn.Input((1,)), *layers], dtype="float64")
        model.compile("sgd", "binary_crossentropy")
        model.set_weights([np.array([[-50.0]])])
        assert model.evaluate(np.array([[1.0]]), np.array([[1.0]])) == pytest.approx(50 + math.log1p(math.exp(-50)))
    # softmax output, true class logit 0 vs 60: loss = logsumexp([0, 60]) - 0 ~= 60
    model = sn.Sequential([sn.Input((2,)), sn.Dense(2, "softmax", use_bias=False)], dtype="float64")
    model.compile("sgd", "categorical_crossentropy")
    model.set_weights([np.eye(2)])
    assert model.evaluate(np.array([[0.0, 60.0]]), np.array([[1.0, 0.0]])) == pytest.approx(
        60 + math.log1p(math.exp(-60)))


def test_from_logits_on_a_sigmoid_output_treats_the_output_as_logits():
    # Keras: from_logits=True applies the loss to the model output as it is, even a sigmoid's
    model = sn.Sequential([sn.Input((1,)), sn.Dense(1, "sigmoid", use_bias=False)], dtype="float64")
    model.compile("sgd", losses.BinaryCrossentropy(from_logits=True))
    model.set_weights([np.array([[2.0]])])
    s = 1 / (1 + math.exp(-2.0))             # the output, used as a logit
    expected = math.log1p(math.exp(-s))      # y = 1: -log sigmoid(s)
    assert model.evaluate(np.array([[1.0]]), np.array([[1.0]])) == pytest.approx(expected, rel=1e-14)
    # gradient: dL/ds = sigmoid(s) - 1 ; ds/dz = s (1 - s) ; dz/dw = x = 1
    (g,) = model.gradients(np.array([[1.0]]), np.array([[1.0]]))
    assert g[0, 0] == pytest.approx((1 / (1 + math.exp(-s)) - 1) * s * (1 - s), rel=1e-12)


def test_loss_config_round_trip_and_aliases():
    for name, cls in [("mse", losses.MeanSquaredError), ("mae", losses.MeanAbsoluteError),
                      ("binary_crossentropy", losses.BinaryCrossentropy),
                      ("categorical_crossentropy", losses.CategoricalCrossentropy),
                      ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy)]:
        assert type(losses.get(name)) is cls
    loss = losses.from_config(losses.CategoricalCrossentropy(from_logits=True).get_config())
    assert type(loss) is losses.CategoricalCrossentropy and loss.from_logits is True
    inst = losses.BinaryCrossentropy()
    assert losses.get(inst) is inst
