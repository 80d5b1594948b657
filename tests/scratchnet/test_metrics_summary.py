"""Compiled metrics (history and evaluate) against values computed by hand, and ``summary()``."""
from __future__ import annotations

import re

import numpy as np
import pytest

import scratchnet as sn

X = np.array([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8], [1.0, 1.0], [-1.2, -0.4]])
Y = np.array([[1.0], [1.0], [0.0], [1.0], [0.0]])
K0 = np.array([[0.8], [-0.6]])
B0 = np.array([-0.1])


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def binary_model(metrics=("mse", "accuracy"), lr=0.5):
    model = sn.Sequential([sn.Input((2,)), sn.Dense(1, "sigmoid")], dtype="float64")
    model.compile(sn.SGD(lr), "binary_crossentropy", metrics=list(metrics))
    model.set_weights([K0, B0])
    return model


def test_evaluate_returns_loss_then_metrics_by_hand():
    model = binary_model()
    p = sigmoid(X @ K0 + B0)[:, 0]
    # p ~= [0.7311, 0.7503, 0.3318, 0.5250, 0.2497]  -> predicted classes 1, 1, 0, 1, 0
    y = Y[:, 0]
    bce = float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
    mse = float(np.mean((p - y) ** 2))
    acc = float(np.mean((p > 0.5) == (y == 1)))
    assert acc == 1.0
    result = model.evaluate(X, Y)
    assert isinstance(result, list) and len(result) == 3
    assert result == pytest.approx([bce, mse, acc], rel=1e-12)


def test_evaluate_accuracy_counts_mistakes():
    model = binary_model()
    y_flipped = Y.copy()
    y_flipped[[0, 2]] = 1 - y_flipped[[0, 2]]   # two of five now wrong
    _, _, acc = model.evaluate(X, y_flipped)
    assert acc == pytest.approx(3 / 5)


def test_evaluate_without_metrics_returns_a_float():
    model = binary_model(metrics=())
    assert isinstance(model.evaluate(X, Y), float)


def test_evaluate_in_batches_equals_one_batch():
    model = binary_model()
    np.testing.assert_allclose(model.evaluate(X, Y, batch_size=2), model.evaluate(X, Y), rtol=1e-12)


def test_history_metrics_full_batch_are_pre_update_values():
    # one full-batch epoch: Keras reports the metrics of the outputs the step saw (initial weights)
    model = binary_model()
    p0 = sigmoid(X @ K0 + B0)
    mse0 = float(np.mean((p0 - Y) ** 2))
    acc0 = float(np.mean((p0 > 0.5) == (Y == 1)))
    hist = model.fit(X, Y, epochs=1, batch_size=None, verbose=0)
    assert list(hist.history) == ["loss", "mse", "accuracy"]
    assert hist.history["mse"][0] == pytest.approx(mse0, rel=1e-12)
    assert hist.history["accuracy"][0] == acc0
    # and not the end-of-epoch figure, which evaluate() gives
    _, mse_end, _ = model.evaluate(X, Y)
    assert abs(mse_end - mse0) > 1e-4


def test_history_metrics_mini_batches_by_hand():
    # batches of 2, 2, 1 in row order; for each: outputs before the step, then the step
    model = binary_model(lr=2.0)
    manual = binary_model(lr=2.0)
    sq_sum, hits = 0.0, 0
    for a, b in [(0, 2), (2, 4), (4, 5)]:
        p = manual.predict(X[a:b])
        sq_sum += float(np.sum((p - Y[a:b]) ** 2))
        hits += int(np.sum((p > 0.5) == (Y[a:b] == 1)))
        manual.train_on_batch(X[a:b], Y[a:b])
    hist = model.fit(X, Y, epochs=1, batch_size=2, shuffle=False, verbose=0)
    assert hist.history["mse"][0] == pytest.approx(sq_sum / 5, rel=1e-12)
    assert hist.history["accuracy"][0] == pytest.approx(hits / 5)


def test_mse_metric_equals_mse_loss_in_history():
    # with loss "mse" and metric "mse" Keras reports the same figure twice
    model = sn.Sequential([sn.Input((2,)), sn.Dense(3, "tanh"), sn.Dense(1)], dtype="float64", seed=0)
    model.compile(sn.SGD(0.1), "mse", metrics=["mse", "mae"])
    hist = model.fit(X, Y, epochs=3, batch_size=2, shuffle=True, seed=0, verbose=0)
    assert hist.history["mse"] == pytest.approx(hist.history["loss"], rel=1e-12)
    assert all(m > 0 for m in hist.history["mae"])


def test_history_metrics_with_shuffling_follow_the_shuffled_rows():
    # shuffled mini-batches: mse metric must still equal the (shuffled) loss
    model = sn.Sequential([sn.Input((2,)), sn.Dense(1)], dtype="float64", seed=0)
    model.compile(sn.SGD(0.3), "mse", metrics=["mean_squared_error"])
    hist = model.fit(X, Y, epochs=2, batch_size=3, shuffle=True, seed=5, verbose=0)
    assert hist.history["mean_squared_error"] == pytest.approx(hist.history["loss"], rel=1e-12)


def test_categorical_accuracy_and_sparse_labels():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 4))
    labels = np.array([0, 1, 2, 2, 1, 0, 0, 2])
    onehot = np.eye(3)[labels]
    model = sn.Sequential([sn.Input((4,)), sn.Dense(3, "softmax")], dtype="float64", seed=1)
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy", "categorical_accuracy", "mae"])
    p = model.predict(x)
    acc = float(np.mean(p.argmax(axis=1) == labels))
    cce = float(np.mean(-np.log(p[np.arange(8), labels])))
    mae = float(np.mean(np.abs(p - onehot)))
    assert model.evaluate(x, onehot) == pytest.approx([cce, acc, acc, mae], rel=1e-10)
    sparse = sn.Sequential([sn.Input((4,)), sn.Dense(3, "softmax")], dtype="float64", seed=1)
    sparse.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    assert sparse.evaluate(x, labels) == pytest.approx([cce, acc], rel=1e-10)


def test_validation_metrics_are_end_of_epoch_values():
    rng = np.random.default_rng(4)
    xv = rng.normal(size=(6, 2))
    yv = (xv[:, :1] > 0).astype(float)
    model = binary_model()
    hist = model.fit(X, Y, epochs=1, batch_size=None, verbose=0, validation_data=(xv, yv))
    p = model.predict(xv)
    assert hist.history["val_mse"][0] == pytest.approx(float(np.mean((p - yv) ** 2)), rel=1e-12)
    assert hist.history["val_accuracy"][0] == pytest.approx(float(np.mean((p > 0.5) == (yv == 1))))
    assert hist.history["val_loss"][0] == pytest.approx(model.evaluate(xv, yv)[0], rel=1e-12)


# ---------------------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------------------
def test_summary_lists_layers_and_total_params():
    model = sn.Sequential([sn.Input((3,)), sn.Dense(4, "relu", name="hidden"),
                           sn.Dense(2, use_bias=False), sn.Activation("softmax")], name="clf")
    printed = []
    text = model.summary(print_fn=printed.append)
    assert printed == [text]
    # 3*4 + 4 = 16 ; 4*2 = 8 ; activation 0  -> 24
    assert "Total params: 24" in text
    assert sum(w.size for w in model.get_weights()) == 24 == model.count_params()
    for name in ("hidden (Dense)", "dense (Dense)", "activation (Activation)", '"clf"'):
        assert name in text
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.split()}
    assert rows["hidden"][-1] == "16" and rows["dense"][-1] == "8" and rows["activation"][-1] == "0"
    assert "(None, 4)" in rows["hidden"][2] + " " + rows["hidden"][3]


def test_summary_prints_by_default(capsys):
    model = sn.Sequential([sn.Input((2,)), sn.Dense(1)])
    text = model.summary()
    assert capsys.readouterr().out.strip() == text.strip()
    assert re.search(r"Total params: 3\b", text)


def test_auto_names_are_unique():
    model = sn.Sequential([sn.Input((2,)), sn.Dense(3), sn.Dense(2), sn.Dense(1)])
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "dense_2"]
