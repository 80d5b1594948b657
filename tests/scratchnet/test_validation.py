"""Every bad input gets an error of the right type whose message names the argument and problem."""
from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import activations, initializers, losses

X = np.arange(12, dtype=float).reshape(4, 3) / 10
Y1 = np.array([[0.0], [1.0], [1.0], [0.0]])


def model(units=1, act="sigmoid", loss="mse", compiled=True, **kw):
    m = sn.Sequential([sn.Input((3,)), sn.Dense(units, act)], dtype="float64", seed=0)
    if compiled:
        m.compile(sn.SGD(0.1), loss, **kw)
    return m


# ---------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------
ENTRY_POINTS = {
    "fit": lambda m, x, y: m.fit(x, y, epochs=1, verbose=0),
    "evaluate": lambda m, x, y: m.evaluate(x, y),
    "train_on_batch": lambda m, x, y: m.train_on_batch(x, y),
    "gradients": lambda m, x, y: m.gradients(x, y),
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_x(entry, bad):
    x = X.copy()
    x[1, 2] = bad
    with pytest.raises(ValueError, match=r"^x contains \d NaN and \d inf values"):
        ENTRY_POINTS[entry](model(), x, Y1)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_y(entry, bad):
    y = Y1.copy()
    y[3, 0] = bad
    with pytest.raises(ValueError, match=r"^y contains \d NaN and \d inf values"):
        ENTRY_POINTS[entry](model(), X, y)


def test_non_finite_counts_are_reported():
    x = X.copy()
    x[0, 0], x[1, 1], x[2, 2] = np.nan, np.nan, np.inf
    with pytest.raises(ValueError, match="x contains 2 NaN and 1 inf values"):
        model().fit(x, Y1, verbose=0)


def test_non_finite_predict_input():
    x = X.copy()
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        model().predict(x)


def test_non_finite_validation_data():
    xv = X.copy()
    xv[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"validation_data\[0\] contains 0 NaN and 1 inf"):
        model().fit(X, Y1, verbose=0, validation_data=(xv, Y1))
    with pytest.raises(ValueError, match="validation_data must be a tuple"):
        model().fit(X, Y1, verbose=0, validation_data=(X, Y1, Y1))


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_row_count_mismatch(entry):
    with pytest.raises(ValueError, match="x and y must have the same number of rows, got 4 and 3"):
        ENTRY_POINTS[entry](model(), X, Y1[:3])


@pytest.mark.parametrize("entry", list(ENTRY_POINTS) + ["predict"])
def test_wrong_number_of_features(entry):
    m = model()
    x = np.ones((4, 2))
    with pytest.raises(ValueError, match="x has 2 features .* the model expects 3"):
        if entry == "predict":
            m.predict(x)
        else:
            ENTRY_POINTS[entry](m, x, Y1)


def test_feature_count_fixed_by_first_data_without_input():
    m = sn.Sequential([sn.Dense(1)])
    m.compile("sgd", "mse")
    m.fit(np.ones((2, 3)), np.ones(2), verbose=0)
    with pytest.raises(ValueError, match="x has 4 features .* expects 3"):
        m.predict(np.ones((2, 4)))


@pytest.mark.parametrize("x, msg", [
    (np.zeros((0, 3)), r"x is empty \(shape \(0, 3\)\)"),
    (np.zeros((4, 0)), r"x is empty \(shape \(4, 0\)\)"),
    (np.zeros(3), r"x must be 2-D \(samples, features\), got shape \(3,\)"),
    (np.zeros((2, 3, 1)), "x must be 2-D"),
    ([], "x must be 2-D"),
])
def test_empty_or_misshapen_x(x, msg):
    with pytest.raises(ValueError, match=msg):
        model().fit(x, Y1, verbose=0)


def test_empty_y():
    with pytest.raises(ValueError, match=r"y is empty \(shape \(0,\)\)"):
        model().fit(X, np.zeros(0), verbose=0)
    with pytest.raises(ValueError, match="y must be 1-D .* or 2-D"):
        model().fit(X, np.zeros((4, 1, 1)), verbose=0)


@pytest.mark.parametrize("x", [
    np.array([["a", "b", "c"]] * 4),
    np.array([[1, 2, None]] * 4, dtype=object),
    np.array([[1.0, 2.0, 3.0]] * 4, dtype=object),   # object dtype even if the values are numbers
    np.ones((4, 3), dtype=complex),
    np.array([["2020-01-01"] * 3] * 4, dtype="datetime64[D]"),
])
def test_non_numeric_x(x):
    with pytest.raises(TypeError, match=r"x must hold numbers \(bool, int or float\), got dtype"):
        model().fit(x, Y1, verbose=0)


@pytest.mark.parametrize("y", [np.array(["0", "1", "1", "0"]), np.array([0, 1, None, 0], dtype=object)])
def test_non_numeric_y(y):
    with pytest.raises(TypeError, match="y must hold numbers"):
        model().fit(X, y, verbose=0)


def test_ragged_x():
    with pytest.raises(TypeError, match="x could not be converted to a numeric array"):
        model().fit([[1.0, 2.0, 3.0], [1.0, 2.0]], [0.0, 1.0], verbose=0)


def test_bool_and_int_data_are_accepted():
    m = model()
    xb = X > 0.5
    assert m.evaluate(xb, Y1.astype(int)) == pytest.approx(
        float(np.mean((m.predict(xb.astype(float)) - Y1) ** 2)), rel=1e-12)


# ---------------------------------------------------------------------------------------
# targets shaped (N,)
# ---------------------------------------------------------------------------------------
def test_1d_y_for_one_output_is_reshaped_not_broadcast():
    m = model(act="linear")
    m.set_weights([np.array([[1.0], [-2.0], [0.5]]), np.array([0.1])])
    y_flat = np.array([0.0, 1.0, 2.0, 3.0])
    p = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1          # (4, 1)
    expected = float(np.mean((p[:, 0] - y_flat) ** 2))      # row i against y_i
    broadcast = float(np.mean((p - y_flat) ** 2))           # (4,1) - (4,) -> (4,4): wrong
    assert abs(expected - broadcast) > 1e-3
    assert m.evaluate(X, y_flat) == pytest.approx(expected, rel=1e-12)
    assert m.evaluate(X, y_flat.reshape(-1, 1)) == pytest.approx(expected, rel=1e-12)
    g_flat = m.gradients(X, y_flat)
    g_col = m.gradients(X, y_flat.reshape(-1, 1))
    assert all(np.array_equal(a, b) for a, b in zip(g_flat, g_col))
    # gradient of the reshaped loss, by hand: dL/dW = 2/N X^T (p - y)
    np.testing.assert_allclose(g_flat[0], 2 / 4 * X.T @ (p - y_flat.reshape(-1, 1)), rtol=1e-12)


def test_1d_y_for_three_outputs_is_an_error():
    m = model(units=3, act="linear")
    with pytest.raises(ValueError, match=r"y has shape \(4,\) but the model outputs \(N, 3\)"):
        m.fit(X, np.zeros(4), verbose=0)
    with pytest.raises(ValueError, match=r"y has shape \(4, 2\) but the model outputs \(N, 3\)"):
        m.evaluate(X, np.zeros((4, 2)))


def test_1d_labels_for_sparse_crossentropy_are_fine():
    m = model(units=3, act="softmax", loss="sparse_categorical_crossentropy")
    labels = np.array([0, 2, 1, 2])
    p = m.predict(X)
    expected = float(np.mean(-np.log(p[np.arange(4), labels])))
    assert m.evaluate(X, labels) == pytest.approx(expected, rel=1e-10)
    assert m.evaluate(X, labels.reshape(-1, 1)) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("labels, msg", [
    (np.array([0, 3, 1, 2]), r"labels must lie in \[0, 2\]"),
    (np.array([0, -1, 1, 2]), r"labels must lie in \[0, 2\]"),
    (np.array([0.0, 1.5, 1.0, 2.0]), "integer class labels"),
    (np.eye(3)[[0, 1, 2, 0]], "integer class labels of shape"),
])
def test_bad_sparse_labels(labels, msg):
    m = model(units=3, act="softmax", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=msg):
        m.fit(X, labels, verbose=0)


# ---------------------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------------------
def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown activation 'swish'; valid names: \[.*'leaky_relu'.*'relu'"):
        sn.Dense(2, "swish")
    with pytest.raises(ValueError, match="Unknown activation"):
        sn.Activation("gelu")
    with pytest.raises(TypeError, match="activation must be a name"):
        activations.get(3)


def test_unknown_loss_lists_valid_names():
    m = model(compiled=False)
    with pytest.raises(ValueError, match=r"Unknown loss 'hinge'; valid names: \[.*'binary_crossentropy'.*'mse'"):
        m.compile("sgd", "hinge")
    with pytest.raises(TypeError, match="loss must be a name"):
        losses.get(None)


def test_unknown_optimizer_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adadelta'; valid names: \['adam', 'rmsprop', 'sgd'\]"):
        model(compiled=False).compile("adadelta", "mse")


def test_unknown_initializer_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown initializer 'lecun_normal'; valid names: \[.*'glorot_uniform'.*'he_normal'"):
        sn.Dense(2, kernel_initializer="lecun_normal")
    with pytest.raises(TypeError, match="initializer must be a name"):
        initializers.get(0.5)


def test_unknown_metric_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown metric 'f1'; valid names: \[.*'accuracy'.*'mse'"):
        model(compiled=False).compile("sgd", "mse", metrics=["f1"])


# ---------------------------------------------------------------------------------------
# hyper-parameters
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("lr", [0, -1e-3])
def test_learning_rate_not_positive(lr):
    for cls in (sn.SGD, sn.Adam, sn.RMSprop):
        with pytest.raises(ValueError, match=f"learning_rate must be a finite number > 0, got {float(lr)}"):
            cls(learning_rate=lr)


@pytest.mark.parametrize("bs, exc, msg", [
    (0, ValueError, "batch_size must be >= 1, got 0"),
    (-3, ValueError, "batch_size must be >= 1, got -3"),
    (2.0, TypeError, "batch_size must be an integer, got 2.0"),
    (2.5, TypeError, "batch_size must be an integer"),
    ("8", TypeError, "batch_size must be an integer"),
    (True, TypeError, "batch_size must be an integer, got True"),
])
def test_bad_batch_size(bs, exc, msg):
    with pytest.raises(exc, match=msg):
        model().fit(X, Y1, batch_size=bs, verbose=0)


def test_bad_batch_size_predict_evaluate():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        model().predict(X, batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        model().evaluate(X, Y1, batch_size=1.5)


def test_numpy_integer_batch_size_is_accepted():
    m = model()
    m.fit(X, Y1, batch_size=np.int64(2), epochs=np.int32(1), verbose=0)
    assert len(m.history.epoch) == 1


@pytest.mark.parametrize("epochs, exc, msg", [
    (0, ValueError, "epochs must be >= 1, got 0"),
    (-1, ValueError, "epochs must be >= 1"),
    (1.0, TypeError, "epochs must be an integer"),
    (None, TypeError, "epochs must be an integer"),
])
def test_bad_epochs(epochs, exc, msg):
    with pytest.raises(exc, match=msg):
        model().fit(X, Y1, epochs=epochs, verbose=0)


def test_bad_layer_arguments():
    with pytest.raises(ValueError, match="Dense units must be a positive integer"):
        sn.Dense(0)
    with pytest.raises(ValueError, match="Dense units must be a positive integer"):
        sn.Dense(2.0)
    with pytest.raises(ValueError, match="Input shape must be"):
        sn.Input((0,))
    with pytest.raises(ValueError, match="Input shape must be"):
        sn.Input((2, 3))
    with pytest.raises(ValueError, match="Input must be the first entry"):
        sn.Sequential([sn.Dense(2), sn.Input((3,))])
    with pytest.raises(TypeError, match="Sequential accepts Input, Dense and Activation"):
        sn.Sequential(["dense"])
    with pytest.raises(ValueError, match="'a' is used twice"):
        sn.Sequential([sn.Dense(2, name="a"), sn.Dense(1, name="a")])
    with pytest.raises(ValueError, match="without a Dense layer"):
        sn.Sequential([sn.Input((2,)), sn.Activation("relu")]).build()


# ---------------------------------------------------------------------------------------
# order of calls
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_before_compile(entry):
    with pytest.raises(RuntimeError, match=rf"You must call compile\(\) before {entry}\(\)"):
        ENTRY_POINTS[entry](model(compiled=False), X, Y1)


def test_predict_does_not_need_compile():
    m = model(compiled=False)
    k, b = m.get_weights()
    np.testing.assert_allclose(m.predict(X), 1 / (1 + np.exp(-(X @ k + b))), rtol=1e-12)


def test_set_weights_wrong_count_and_shape():
    m = model(units=2)
    k, b = m.get_weights()
    with pytest.raises(ValueError, match="set_weights expects 2 arrays, got 1"):
        m.set_weights([k])
    with pytest.raises(ValueError, match="set_weights expects 2 arrays, got 3"):
        m.set_weights([k, b, b])
    with pytest.raises(ValueError, match=r"array 0 should have shape \(3, 2\), got \(2, 3\)"):
        m.set_weights([k.T, b])
    with pytest.raises(ValueError, match=r"array 1 should have shape \(2,\), got \(1, 2\)"):
        m.set_weights([k, b.reshape(1, 2)])
    with pytest.raises(ValueError, match="array 1 must be finite numbers"):
        m.set_weights([k, np.array([np.nan, 0.0])])
    # nothing was changed by the failed calls
    assert all(np.array_equal(u, v) for u, v in zip(m.get_weights(), [k, b]))


def test_kernel_and_bias_setters():
    m = sn.Sequential([sn.Input((2,)), sn.Dense(1, use_bias=False, name="d")], dtype="float64")
    m.build()
    layer = m.layers[0]
    layer.kernel = [[1.0], [2.0]]
    assert m.get_weights()[0].tolist() == [[1.0], [2.0]]
    with pytest.raises(ValueError, match=r"d.kernel has shape \(2, 1\)"):
        layer.kernel = [[1.0, 2.0]]
    with pytest.raises(ValueError, match="use_bias=False"):
        layer.bias = [0.0]
    unbuilt = sn.Dense(1, name="u")
    with pytest.raises(ValueError, match="u.kernel does not exist yet"):
        unbuilt.kernel = [[1.0]]
