"""Parity gate tests: scratchnet against its Keras twin (``scratchnet.bench.parity``).

Every test needs TensorFlow/Keras (marker ``tf``). Data are tiny (10 rows, 3 features),
nets small (3-4-k), runs 2-3 epochs, and the twins use ``steps_per_execution=32``, so the
whole file takes well under a minute after the one TensorFlow import.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import scratchnet as sn  # noqa: E402
from scratchnet import activations as sn_activations  # noqa: E402
from scratchnet import losses as sn_losses  # noqa: E402
from scratchnet.bench.parity.keras_twin import TwinError, keras_available, to_keras  # noqa: E402
from scratchnet.bench.parity import (DEFAULT_TOLERANCES, ParityReport, check_parity,  # noqa: E402
                                     parity_table)
from scratchnet.bench.store.schema import PARITY_COLUMNS, PARITY_EPOCH_COLUMNS  # noqa: E402

pytestmark = pytest.mark.tf

N_ROWS, N_FEATURES = 10, 3
SPE = 32  # steps_per_execution for the twins: same maths, far less per-step overhead

OPTIMIZERS = {
    "sgd": lambda: sn.SGD(0.1),
    "momentum": lambda: sn.SGD(0.05, momentum=0.9),
    "nesterov": lambda: sn.SGD(0.05, momentum=0.9, nesterov=True),
    "adam": lambda: sn.Adam(0.01),
    "rmsprop": lambda: sn.RMSprop(0.01),
}
# loss name -> (output units, output activation, target key in the `data` fixture)
LOSSES = {
    "mse": (1, None, "regression"),
    "mae": (1, None, "regression"),
    "binary_crossentropy": (1, "sigmoid", "binary"),
    "categorical_crossentropy": (3, "softmax", "onehot"),
    "sparse_categorical_crossentropy": (3, "softmax", "labels"),
}
HIDDEN = ("sigmoid", "tanh", "relu")
BATCHES = (1, 4, None)  # per-sample; 4 on 10 rows (partial last batch of 2); full batch

# Covering design for the float64 matrix (25 cases instead of 5 x 5 x 3 x 3 = 225):
# optimizer i and loss j (every optimizer x loss pair once) get hidden activation
# HIDDEN[(i + j) % 3] and batch mode BATCHES[(i + 2j) % 3]. For a fixed i, j = 0..4 runs
# through all three residues of both (i + j) and (i + 2j), so every optimizer meets every
# activation and every batch mode; for a fixed j the same holds over i, so every loss meets
# every activation and batch mode too. Softmax is the output of both categorical losses,
# sigmoid the output of binary cross-entropy. (The full 225-case cross product was run
# once while choosing the tolerances; see scratchnet/bench/parity.py.)
MATRIX = [
    (opt, loss, HIDDEN[(i + j) % 3], BATCHES[(i + 2 * j) % 3])
    for i, opt in enumerate(OPTIMIZERS)
    for j, loss in enumerate(LOSSES)
]


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(N_ROWS, N_FEATURES))
    labels = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.3)
    return {
        "x": x,
        "regression": x @ np.array([0.5, -1.0, 0.3]) + 0.1,
        "binary": (x[:, 0] + 0.5 * x[:, 2] > 0).astype(np.float64),
        "onehot": np.eye(3)[labels],
        "labels": labels,
    }


def make_model(hidden: str, loss: str, optimizer: str, dtype: str = "float64", seed: int = 1,
               hidden_units: int = 4) -> sn.Sequential:
    units, out_act, _ = LOSSES[loss]
    model = sn.Sequential([sn.Input((N_FEATURES,)), sn.Dense(hidden_units, hidden),
                           sn.Dense(units, out_act)], dtype=dtype, seed=seed)
    model.compile(OPTIMIZERS[optimizer](), loss)
    return model


def assert_passed(report: ParityReport) -> None:
    assert report.passed, f"{report.case}: {report.message}"
    assert report.message == ""


# -- float64: the full gate --------------------------------------------------------------
@pytest.mark.parametrize("optimizer,loss,hidden,batch_size", MATRIX,
                         ids=[f"{o}-{lo}-{h}-bs{b}" for o, lo, h, b in MATRIX])
def test_float64_parity_matrix(data, optimizer, loss, hidden, batch_size):
    model = make_model(hidden, loss, optimizer)
    report = check_parity(model, data["x"], data[LOSSES[loss][2]], epochs=3, batch_size=batch_size,
                          case=f"{optimizer}-{loss}-{hidden}-bs{batch_size}", steps_per_execution=SPE)
    assert_passed(report)
    assert report.dtype == "float64"
    assert (report.grad_tol, report.weight_tol, report.loss_tol) == DEFAULT_TOLERANCES["float64"]
    assert report.batch_size == (N_ROWS if batch_size is None else batch_size)
    assert len(report.epoch_records) == 3
    assert all(r["max_rel_weight_diff"] <= report.weight_tol for r in report.epoch_records)
    # the models really trained: the loss moved
    assert report.epoch_records[0]["keras_loss"] != report.epoch_records[-1]["keras_loss"]


@pytest.mark.parametrize("loss_obj,units,target", [
    (sn_losses.BinaryCrossentropy(from_logits=True), 1, "binary"),
    (sn_losses.CategoricalCrossentropy(from_logits=True), 3, "onehot"),
    (sn_losses.SparseCategoricalCrossentropy(from_logits=True), 3, "labels"),
], ids=["bce", "cce", "sparse_cce"])
def test_float64_parity_from_logits(data, loss_obj, units, target):
    model = sn.Sequential([sn.Input((N_FEATURES,)), sn.Dense(4, "tanh"), sn.Dense(units)],
                          dtype="float64", seed=3)
    model.compile(sn.Adam(0.01), loss_obj)
    assert_passed(check_parity(model, data["x"], data[target], epochs=2, batch_size=4,
                               steps_per_execution=SPE))


def test_float64_parity_separate_activation_layers_and_no_bias(data):
    model = sn.Sequential([sn.Input((N_FEATURES,)), sn.Dense(4, use_bias=False, name="hidden"),
                           sn.Activation("relu", name="act"), sn.Dense(3, name="logits"),
                           sn.Activation("softmax", name="probs")], dtype="float64", seed=5)
    model.compile(sn.RMSprop(0.01, momentum=0.5), "categorical_crossentropy")
    report = check_parity(model, data["x"], data["onehot"], epochs=2, batch_size=3,
                          steps_per_execution=SPE)
    assert_passed(report)
    assert set(report.grad_errors_per_weight) == {"hidden/kernel", "logits/kernel", "logits/bias"}


# TensorFlow's LeakyRelu op keeps its slope in a float32 attribute, so Keras multiplies by
# float32(0.2) = 0.20000000298 even in float64; scratchnet does the same (activations.LEAKY_RELU_SLOPE).
def test_float64_parity_leaky_relu(data):
    model = sn.Sequential([sn.Input((N_FEATURES,)), sn.Dense(4, "leaky_relu"), sn.Dense(1)],
                          dtype="float64", seed=5)
    model.compile(sn.SGD(0.05), "mse")
    assert_passed(check_parity(model, data["x"], data["regression"], epochs=1, batch_size=None,
                               steps_per_execution=SPE))


def test_float32_parity_leaky_relu(data):
    # in float32 both sides multiply by float32(0.2): no discrepancy there
    model = sn.Sequential([sn.Input((N_FEATURES,)), sn.Dense(4, "leaky_relu"), sn.Dense(1)],
                          dtype="float32", seed=5)
    model.compile(sn.SGD(0.05), "mse")
    assert_passed(check_parity(model, data["x"], data["regression"], epochs=1, batch_size=None,
                               steps_per_execution=SPE))


# -- float32: sigmoid / tanh nets within the documented float32 tolerances ---------------------
@pytest.mark.parametrize("optimizer,loss,hidden,batch_size", [
    ("sgd", "mse", "sigmoid", 4),
    ("momentum", "binary_crossentropy", "tanh", 1),
    ("nesterov", "mae", "sigmoid", None),
    ("adam", "categorical_crossentropy", "tanh", 4),
    ("rmsprop", "sparse_categorical_crossentropy", "sigmoid", 1),
], ids=lambda v: str(v))
def test_float32_sigmoid_tanh_parity(data, optimizer, loss, hidden, batch_size):
    model = make_model(hidden, loss, optimizer, dtype="float32")
    report = check_parity(model, data["x"], data[LOSSES[loss][2]], epochs=3, batch_size=batch_size,
                          steps_per_execution=SPE)
    assert_passed(report)
    assert report.dtype == "float32"
    assert (report.grad_tol, report.weight_tol, report.loss_tol) == DEFAULT_TOLERANCES["float32"]


# -- the gate can fail -----------------------------------------------------------------------
def test_wrong_activation_derivative_is_caught(data, monkeypatch):
    real = sn_activations.ACTIVATIONS["sigmoid"]
    wrong = sn_activations.Activation("sigmoid", real.forward,
                                      lambda z, a, g: 2.0 * real.backward(z, a, g))
    monkeypatch.setitem(sn_activations.ACTIVATIONS, "sigmoid", wrong)  # before building
    model = sn.Sequential([sn.Input((N_FEATURES,)), sn.Dense(4, "sigmoid", name="hidden"),
                           sn.Dense(1, name="out")], dtype="float64", seed=1)
    model.compile(sn.SGD(0.1), "mse")
    report = check_parity(model, data["x"], data["regression"], epochs=2, batch_size=4,
                          steps_per_execution=SPE)
    assert not report.passed
    # only the hidden layer's gradients are wrong, and the message names them, both sides labelled
    assert report.grad_errors_per_weight["out/kernel"] <= report.grad_tol
    assert report.grad_errors_per_weight["hidden/kernel"] > 0.1
    assert "gradient mismatch" in report.message and "hidden/" in report.message
    assert "scratchnet=" in report.message and "keras=" in report.message
    assert report.worst_layer.startswith("hidden/")
    assert report.summary_row()["passed"] is False


def test_wrong_loss_gradient_sign_is_caught(data, monkeypatch):
    real = sn_losses.MeanSquaredError.value_and_grad

    def flipped(self, y, p):
        value, grad = real(self, y, p)
        return value, -grad

    monkeypatch.setattr(sn_losses.MeanSquaredError, "value_and_grad", flipped)
    model = make_model("tanh", "mse", "sgd")
    report = check_parity(model, data["x"], data["regression"], epochs=2, batch_size=None,
                          steps_per_execution=SPE)
    assert not report.passed
    assert report.grad_error > 1.0  # -g against g: relative error 2
    assert "dense" in report.message and "weights drift" in report.message
    assert "loss differs" in report.message


# -- refusals ----------------------------------------------------------------------------------
class Doubler(sn.layers.Layer):
    """A custom layer Keras has no twin for."""

    def forward(self, x, training=False):
        return 2.0 * x

    def backward(self, grad, wrt_logits=False, need_input_grad=True):
        return 2.0 * grad


class Huber(sn_losses.MeanSquaredError):
    """A custom loss (a subclass: it may change the maths, so it is refused too)."""

    name = "huber"


def test_custom_layer_is_refused(data):
    model = sn.Sequential([sn.Input((N_FEATURES,)), sn.Dense(2, "tanh"), Doubler(), sn.Dense(1)],
                          dtype="float64", seed=0)
    model.compile("sgd", "mse")
    with pytest.raises(TwinError, match="Doubler"):
        check_parity(model, data["x"], data["regression"], epochs=1)
    model.build()
    with pytest.raises(TwinError, match="only scratchnet's own Dense and Activation"):
        to_keras(model)


def test_custom_loss_is_refused(data):
    model = sn.Sequential([sn.Input((N_FEATURES,)), sn.Dense(1)], dtype="float64", seed=0)
    model.compile("sgd", Huber())
    with pytest.raises(TwinError, match="loss Huber has no exact Keras equivalent"):
        check_parity(model, data["x"], data["regression"], epochs=1)


def test_optimizer_that_already_stepped_is_refused(data):
    model = make_model("tanh", "mse", "adam")
    model.fit(data["x"], data["regression"], epochs=1, batch_size=5, verbose=0)
    assert model.optimizer.iterations == 2
    with pytest.raises(TwinError, match="already taken 2 step"):
        to_keras(model)
    with pytest.raises(TwinError, match="compile the model again"):
        check_parity(model, data["x"], data["regression"], epochs=1)


def test_uncompiled_and_unbuilt_models_are_refused():
    model = sn.Sequential([sn.Dense(1)], dtype="float64")  # no Input: not built until fit/build
    with pytest.raises(TwinError, match="not compiled"):
        to_keras(model)
    model.compile("sgd", "mse")
    assert not model.built
    with pytest.raises(TwinError, match="not built"):
        to_keras(model)


# -- the twin itself and the report -------------------------------------------------------------
def test_twin_mirrors_structure_dtype_and_optimizer():
    model = sn.Sequential([sn.Input((N_FEATURES,)), sn.Dense(4, "relu", use_bias=False, name="h"),
                           sn.Activation("tanh", name="t"), sn.Dense(2, "softmax", name="o")],
                          dtype="float64", seed=2)
    model.build()
    model.compile(sn.SGD(0.05, momentum=0.8, nesterov=True),
                  sn_losses.CategoricalCrossentropy(), metrics=["accuracy"])
    before = keras.config.floatx()
    twin = to_keras(model)
    assert keras.config.floatx() == before  # restored
    assert [layer.name for layer in twin.layers] == ["h", "t", "o"]
    h, t, o = twin.layers
    assert (h.units, h.use_bias, h.activation.__name__) == (4, False, "relu")
    assert t.activation.__name__ == "tanh" and o.activation.__name__ == "softmax"
    assert all(w.dtype == "float64" for w in twin.weights)
    for mine, theirs in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    opt = twin.optimizer
    assert isinstance(opt, keras.optimizers.SGD) and opt.nesterov
    assert float(opt.learning_rate) == 0.05 and opt.momentum == 0.8
    assert isinstance(twin.loss, keras.losses.CategoricalCrossentropy)
    assert all(v.dtype == "float64" for v in opt.variables if "iteration" not in v.name)


def test_caller_model_is_untouched_and_rows_match_schema(data):
    model = make_model("sigmoid", "binary_crossentropy", "adam")
    model.build()
    before = model.get_weights()
    report = check_parity(model, data["x"], data["binary"], epochs=2, batch_size=4, case="bce_adam",
                          steps_per_execution=SPE)
    assert_passed(report)
    assert model.optimizer.iterations == 0
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    row = report.summary_row()
    assert tuple(row) == PARITY_COLUMNS
    assert row["case"] == "bce_adam" and row["passed"] is True and row["n_rows"] == N_ROWS
    rows = report.epoch_rows()
    assert [tuple(r) for r in rows] == [PARITY_EPOCH_COLUMNS] * 2
    assert [r["epoch"] for r in rows] == [1, 2]
    assert report.max_loss_diff == max(abs(r["scratchnet_loss"] - r["keras_loss"]) for r in rows)
    # losses are each framework's own: they agree, and they changed from epoch 1 to epoch 2
    assert rows[0]["scratchnet_loss"] != rows[1]["scratchnet_loss"]
    table = parity_table([report])
    assert "bce_adam" in table and "pass" in table and "float64" in table


def test_import_keras_without_tensorflow_says_how_to_install():
    code = ("import sys; sys.modules['tensorflow'] = None\n"
            "from scratchnet.bench.parity.keras_twin import import_keras\n"
            "try:\n    import_keras()\nexcept ImportError as exc:\n    print(exc)\n"
            "else:\n    raise SystemExit('no ImportError')\n")
    done = subprocess.run([sys.executable, "-c", code], check=True, timeout=60,
                          capture_output=True, text=True)
    assert "pip install -e .[bench]" in done.stdout


def test_wrong_width_is_rejected(data):
    model = make_model("tanh", "mse", "sgd")
    with pytest.raises(ValueError, match="features"):
        check_parity(model, data["x"][:, :2], data["regression"], epochs=1)


def test_import_does_not_load_tensorflow():
    code = ("import sys, scratchnet.bench.parity, scratchnet.bench.parity.keras_twin; "
            "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert keras_available()
