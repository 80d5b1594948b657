"""Central-difference check of ``Sequential.gradients`` for every activation x every loss.

The reference is written here, independently of the library: a forward pass with the
activations spelled out, Keras' loss formulas (``logaddexp`` / log-softmax for the
from_logits forms, clipped probabilities for the others), and a central difference of
that reference loss with respect to every weight, in float64.

Error measure, per weight array: ``max|g - g_num| / max(max|g_num|, FLOOR)``.
With a step of 1e-6 in float64 the central difference itself carries rounding noise of
about ``eps * |L| / STEP`` ~ 1e-10 (measured: <= 6e-10 absolute), so an array whose whole
gradient is below FLOOR = 1e-3 is held to an absolute 1e-9 instead of a relative 1e-6 --
the finest figure a central difference at this step can resolve.
The worst figure over the whole run is printed at the end of the module (``pytest -s``).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import scratchnet as sn
from scratchnet import losses

STEP = 1e-6          # central-difference step
TOL = 1e-6           # required relative error
FLOOR = 1e-3         # denominator floor for arrays whose gradient is ~0 (see below)
KINK = 1e-4          # keep pre-activations / residuals this far from the kinks
EPS = 1e-7           # Keras' backend.epsilon(), the clip of probability cross-entropies

ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"]
KINKED = {"relu", "leaky_relu"}

WORST = {"error": 0.0, "case": None, "checked": 0, "abs": 0.0, "unfloored": 0.0}


# --------------------------------------------------------------------------------------
# Independent reference
# --------------------------------------------------------------------------------------
def ref_activation(name: str, z: np.ndarray) -> np.ndarray:
    if name == "linear":
        return z
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, float(np.float32(0.2)) * z)   # Keras 3's slope 0.2, held as float32 by TF
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise AssertionError(name)


def ref_forward(x, params, acts):
    """params: list of (W, b-or-None); returns (output, list of pre-activations)."""
    a, zs = x, []
    for (W, b), act in zip(params, acts):
        z = a @ W + (0.0 if b is None else b)
        zs.append(z)
        a = ref_activation(act, z)
    return a, zs


def ref_loss(kind: str, from_logits: bool, y: np.ndarray, p: np.ndarray) -> float:
    if kind == "mse":
        return float(np.mean((p - y) ** 2))
    if kind == "mae":
        return float(np.mean(np.abs(p - y)))
    if kind == "bce":
        if from_logits:  # -log sigmoid(p) = log(1 + e^-p), -log(1 - sigmoid(p)) = log(1 + e^p)
            return float(np.mean(y * np.logaddexp(0.0, -p) + (1 - y) * np.logaddexp(0.0, p)))
        q = np.clip(p, EPS, 1 - EPS)
        return float(np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q))))
    if kind in ("cce", "scce"):
        if kind == "scce":
            onehot = np.zeros_like(p)
            onehot[np.arange(len(y)), y.astype(int)] = 1.0
            y = onehot
        if from_logits:
            m = p.max(axis=1, keepdims=True)
            logq = p - (m + np.log(np.exp(p - m).sum(axis=1, keepdims=True)))
        else:
            logq = np.log(np.clip(p / p.sum(axis=1, keepdims=True), EPS, 1 - EPS))
        return float(np.mean(-np.sum(y * logq, axis=1)))
    raise AssertionError(kind)


def make_loss(kind: str, from_logits: bool):
    names = {"mse": "mse", "mae": "mae", "bce": "binary_crossentropy",
             "cce": "categorical_crossentropy", "scce": "sparse_categorical_crossentropy"}
    if not from_logits:
        return names[kind]
    return {"bce": losses.BinaryCrossentropy, "cce": losses.CategoricalCrossentropy,
            "scce": losses.SparseCategoricalCrossentropy}[kind](from_logits=True)


# (output activation, loss kind, from_logits): every activation with the losses that accept
# any real output; the probability cross-entropies need probabilities, so sigmoid/softmax.
CASES = (
    [(act, kind, False) for kind in ("mse", "mae") for act in ACTIVATIONS]
    + [(act, kind, True) for kind in ("bce", "cce", "scce") for act in ACTIVATIONS]
    + [(act, kind, False) for kind in ("bce", "cce", "scce") for act in ("sigmoid", "softmax")]
)


def _case_id(case):
    act, kind, logits = case
    return f"{act}-{kind}{'_logits' if logits else ''}"


@pytest.fixture(scope="module", autouse=True)
def report_worst():
    yield
    print(f"\n[gradient check] worst relative error over {WORST['checked']} models: "
          f"{WORST['error']:.3e} ({WORST['case']}); worst absolute error {WORST['abs']:.3e}; "
          f"worst plain relative error among arrays with max|g_num| >= FLOOR {WORST['unfloored']:.3e}")


# --------------------------------------------------------------------------------------
# The property
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("use_bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    hidden=st.lists(st.tuples(st.integers(1, 8), st.sampled_from(ACTIVATIONS)), min_size=0, max_size=3),
    out_units=st.integers(1, 8),
    n_features=st.integers(1, 5),
    n_rows=st.integers(1, 6),
    split_last=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_gradients_match_central_difference(case, use_bias, hidden, out_units, n_features, n_rows,
                                            split_last, seed):
    out_act, kind, from_logits = case
    if kind in ("cce", "scce") and not from_logits:
        out_units = max(out_units, 2)  # a 1-class renormalised probability is constant (clipped)
    rng = np.random.default_rng(seed)
    acts = [a for _, a in hidden] + [out_act]
    sizes = [n_features] + [u for u, _ in hidden] + [out_units]

    # model: Dense layers; optionally the last activation as a separate Activation layer
    layers = [sn.Input((n_features,))]
    for units, act in hidden:
        layers.append(sn.Dense(units, act, use_bias=use_bias))
    if split_last:
        layers += [sn.Dense(out_units, "linear", use_bias=use_bias), sn.Activation(out_act)]
    else:
        layers.append(sn.Dense(out_units, out_act, use_bias=use_bias))
    model = sn.Sequential(layers, dtype="float64", seed=0)
    model.build()
    model.compile(sn.SGD(0.1), make_loss(kind, from_logits))

    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = rng.normal(0.0, 1.0 / np.sqrt(fan_in), (fan_in, fan_out)) * 1.2
        b = rng.normal(0.0, 0.5, fan_out) if use_bias else None
        params.append((W, b))
    model.set_weights([w for W, b in params for w in ((W,) if b is None else (W, b))])

    x = rng.uniform(-1.5, 1.5, (n_rows, n_features))
    if kind in ("mse", "mae"):
        y = rng.uniform(-1.0, 1.0, (n_rows, out_units))
    elif kind == "bce":
        y = rng.integers(0, 2, (n_rows, out_units)).astype(float)
    elif kind == "cce":
        y = np.eye(out_units)[rng.integers(0, out_units, n_rows)]
    else:
        y = rng.integers(0, out_units, n_rows)

    # stay away from the kinks and the clip range
    p, zs = ref_forward(x, params, acts)
    for z, act in zip(zs, acts):
        if act in KINKED:
            assume(np.abs(z).min() > KINK)
    if kind == "mae":
        assume(np.abs(p - y).min() > KINK)
    if kind == "bce" and not from_logits:
        assume(p.min() > 1e-4 and p.max() < 1 - 1e-4)
    if kind in ("cce", "scce") and not from_logits:
        r = p / p.sum(axis=1, keepdims=True)
        assume(r.min() > 1e-4 and r.max() < 1 - 1e-4)

    def loss_at(ps):
        return ref_loss(kind, from_logits, y, ref_forward(x, ps, acts)[0])

    # the library's loss value agrees with the reference (Keras' formula)
    base = loss_at(params)
    assert model.evaluate(x, y) == pytest.approx(base, rel=1e-12, abs=1e-15)

    grads = model.gradients(x, y)
    flat_refs = [(i, j) for i, (W, b) in enumerate(params) for j in ((0,) if b is None else (0, 1))]
    assert len(grads) == len(flat_refs)

    worst = 0.0
    for g, (i, j) in zip(grads, flat_refs):
        arr = params[i][j]
        assert g.shape == arr.shape and g.dtype == np.float64
        g_num = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + STEP
            up = loss_at(params)
            arr[idx] = old - STEP
            down = loss_at(params)
            arr[idx] = old
            g_num[idx] = (up - down) / (2 * STEP)
        abs_err, scale = float(np.max(np.abs(g - g_num))), float(np.max(np.abs(g_num)))
        err = abs_err / max(scale, FLOOR)
        WORST["abs"] = max(WORST["abs"], abs_err)
        if scale >= FLOOR:
            WORST["unfloored"] = max(WORST["unfloored"], err)
        worst = max(worst, err)
    WORST["checked"] += 1
    if worst > WORST["error"]:
        WORST["error"] = worst
        WORST["case"] = (f"{_case_id(case)}, bias={use_bias}, layers={sizes}, "
                         f"acts={acts}, rows={n_rows}, split_last={split_last}")
    assert worst <= TOL, f"relative gradient error {worst:.3e} > {TOL:g}"


# --------------------------------------------------------------------------------------
# A few fixed cases whose gradients are known in closed form (no finite differences)
# --------------------------------------------------------------------------------------
def test_single_linear_neuron_mse_gradient_closed_form():
    # L = mean_i (x_i.w + b - y_i)^2 ; dL/dw = 2/N X^T r ; dL/db = 2/N sum r
    model = sn.Sequential([sn.Input((2,)), sn.Dense(1)], dtype="float64")
    model.compile("sgd", "mse")
    model.set_weights([np.array([[0.5], [-1.0]]), np.array([0.25])])
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    y = np.array([[0.0], [1.0]])
    # r = [0.5 - 2 + 0.25 - 0, 1.5 + 1 + 0.25 - 1] = [-1.25, 1.75]
    dw = [2 / 2 * (1.0 * -1.25 + 3.0 * 1.75), 2 / 2 * (2.0 * -1.25 + -1.0 * 1.75)]  # [4.0, -4.25]
    db = 2 / 2 * (-1.25 + 1.75)                                                        # 0.5
    gk, gb = model.gradients(x, y)
    np.testing.assert_allclose(gk[:, 0], dw, rtol=0, atol=1e-15)
    np.testing.assert_allclose(gb, [db], rtol=0, atol=1e-15)


def test_fused_softmax_crossentropy_gradient_is_softmax_minus_target_over_n():
    # softmax + categorical_crossentropy: dL/dz = (softmax(z) - y) / N ; with W = I, b = 0, z = x
    model = sn.Sequential([sn.Input((3,)), sn.Dense(3, "softmax", use_bias=False)], dtype="float64")
    model.compile("sgd", "categorical_crossentropy")
    model.set_weights([np.eye(3)])
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    e = np.exp([1.0, 2.0, 3.0])
    s1 = e / e.sum()
    s2 = np.array([1 / 3, 1 / 3, 1 / 3])
    dz = np.array([s1 - y[0], s2 - y[1]]) / 2
    (gk,) = model.gradients(x, y)
    np.testing.assert_allclose(gk, x.T @ dz, rtol=1e-13, atol=1e-16)


def test_relu_gradient_at_zero_is_zero():
    # relu'(0) = 0 (TensorFlow's convention): a unit whose pre-activation is exactly 0 passes no gradient
    model = sn.Sequential([sn.Input((1,)), sn.Dense(1, "relu", use_bias=False), sn.Dense(1, use_bias=False)],
                          dtype="float64")
    model.compile("sgd", "mse")
    model.set_weights([np.array([[2.0]]), np.array([[3.0]])])
    g1, g2 = model.gradients(np.array([[0.0]]), np.array([[1.0]]))
    assert g1[0, 0] == 0.0
    assert g2[0, 0] == 0.0  # hidden output is 0, so dL/dW2 = 0 * dL/dp
    # leaky_relu'(0) = slope (0.2): z = 0 -> a = 0, dL/dp = 2 (0 - 1) = -2, dL/dW1 = x * ... = 0 (x = 0)
    # so use x = 1 with a bias making z = 0: z = 2 * 1 - 2 = 0
    model = sn.Sequential([sn.Input((1,)), sn.Dense(1, "leaky_relu"), sn.Dense(1, use_bias=False)],
                          dtype="float64")
    model.compile("sgd", "mse")
    model.set_weights([np.array([[2.0]]), np.array([-2.0]), np.array([[3.0]])])
    g1, gb, g2 = model.gradients(np.array([[1.0]]), np.array([[1.0]]))
    # p = 3 * 0 = 0 ; dL/dp = 2 (p - y) = -2 ; dL/da = -2 * 3 = -6 ; dL/dz = -6 * slope ~ -1.2
    # (slope = float32(0.2) = 0.20000000298..., as TensorFlow holds it)
    assert g1[0, 0] == pytest.approx(-6.0 * float(np.float32(0.2)), abs=1e-15)
    assert gb[0] == pytest.approx(-6.0 * float(np.float32(0.2)), abs=1e-15)
    assert g2[0, 0] == 0.0
