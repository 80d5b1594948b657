"""The sklearn contender: weight copy, parity with the Keras twin, unsupported cases."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("sklearn")

from scratchnet.bench.cases import CASES, build_model  # noqa: E402
from scratchnet.bench.frameworks import get_adapter  # noqa: E402
from scratchnet.bench.frameworks.sklearn import unsupported_reason  # noqa: E402
from scratchnet.bench.running.runner import dataset_for, run_case  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _regression(optimizer: str, params: tuple, dtype: str = "float64"):
    """A 10-6-4-1 tanh net on the diabetes data (353 training rows)."""
    return dataclasses.replace(CASES["diabetes-10-32-1"], name=f"diabetes-tanh-{optimizer}", units=(6, 4, 1),
                               activations=("tanh", "tanh", "linear"), optimizer=optimizer,
                               optimizer_params=params, batch_size=16, dtype=dtype)


def _trainers(case, frameworks, mode="parity", seed=3):
    ds = dataset_for(case)
    initial = build_model(case, seed, n_features=ds.n_features).get_weights()
    out = [get_adapter(fw).prepare(case, ds, initial, mode, seed, keras_steps_per_execution=8)
           for fw in frameworks]
    return ds, initial, out


def _rel(a, b) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def test_weight_copy_is_exact_and_training_starts_from_it():
    case = _regression("sgd", (("learning_rate", 0.01),))
    ds, initial, (sk, sn) = _trainers(case, ("sklearn", "scratchnet"))
    got = sk.get_weights()
    assert [w.shape for w in got] == [w.shape for w in initial]
    for a, b in zip(got, initial):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    np.testing.assert_allclose(sk.predict(ds.X_test), sn.predict(ds.X_test), rtol=1e-13, atol=1e-15)
    # the priming step left no optimizer state: first epochs agree with scratchnet to rounding
    sk.train_epoch(ds.X_train, ds.y_train)
    sn.train_epoch(ds.X_train, ds.y_train)
    for a, b in zip(sk.get_weights(), sn.get_weights()):
        assert _rel(a, b) <= 1e-12


@pytest.mark.tf
@pytest.mark.parametrize("optimizer,params,tol", [
    ("sgd", (("learning_rate", 0.02), ("momentum", 0.9)), 1e-12),
    ("sgd", (("learning_rate", 0.02), ("momentum", 0.5), ("nesterov", True)), 1e-12),
    ("adam", (("learning_rate", 0.005),), 1e-4),
])
def test_regression_parity_with_keras(optimizer, params, tol):
    case = _regression(optimizer, params)
    ds, _, (sk, ke) = _trainers(case, ("sklearn", "keras"))
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(5):
        order = rng.permutation(ds.n_train)
        sk.train_epoch(ds.X_train[order], ds.y_train[order])
        ke.train_epoch(ds.X_train[order], ds.y_train[order])
        worst = max(worst, *(_rel(a, b) for a, b in zip(sk.get_weights(), ke.get_weights())))
    assert worst <= tol
    if optimizer == "adam":
        assert worst > 1e-12  # the documented bias-correction difference is real, not zero


@pytest.mark.tf
def test_multiclass_softmax_parity_with_keras():
    case = dataclasses.replace(CASES["digits-64-32-10"], dtype="float64")
    ds, _, (sk, ke) = _trainers(case, ("sklearn", "keras"))
    for _ in range(2):
        sk.train_epoch(ds.X_train, ds.y_train)
        ke.train_epoch(ds.X_train, ds.y_train)
    for a, b in zip(sk.get_weights(), ke.get_weights()):
        assert _rel(a, b) <= 1e-12
    p = sk.predict(ds.X_test)
    assert p.shape == ds.y_test.shape
    np.testing.assert_allclose(p, ke.predict(ds.X_test), rtol=1e-10, atol=1e-12)


@pytest.mark.tf
def test_binary_sigmoid_parity_with_keras():
    case = dataclasses.replace(CASES["breast-cancer-30-16-1"], dtype="float64",
                               optimizer="sgd", optimizer_params=(("learning_rate", 0.05),))
    ds, _, (sk, ke) = _trainers(case, ("sklearn", "keras"))
    for _ in range(2):
        sk.train_epoch(ds.X_train, ds.y_train)
        ke.train_epoch(ds.X_train, ds.y_train)
    for a, b in zip(sk.get_weights(), ke.get_weights()):
        assert _rel(a, b) <= 1e-12
    assert sk.predict(ds.X_test).shape == ds.y_test.shape


@pytest.mark.parametrize("name,change,words", [
    ("california-2-3-1", {}, "sigmoid output with squared error"),
    ("nobias-2-3-1", {}, "biases"),
    ("perceptron", {}, "hidden layer"),
    ("california-8-64-64-1", {"activations": ("relu", "tanh", "linear")}, "mixes relu/tanh"),
    ("california-8-64-64-1", {"optimizer": "rmsprop"}, "rmsprop"),
    ("california-8-64-64-1", {"activations": ("leaky_relu", "leaky_relu", "linear")}, "leaky_relu"),
    ("california-8-64-64-1", {"loss": "mae"}, "mae"),
])
def test_unsupported_cases_are_recorded_with_a_reason(name, change, words):
    case = dataclasses.replace(CASES[name], **change)
    assert words in unsupported_reason(case)
    rec = run_case(case, "sklearn", 1, epochs=2)
    assert rec.status == "unsupported" and words in rec.run["message"]
    assert rec.epochs == []


def test_native_mode_uses_sklearns_init_and_reshuffles_each_epoch():
    case = _regression("sgd", (("learning_rate", 0.01),))
    ds, initial, (sk,) = _trainers(case, ("sklearn",), mode="native")
    sk.train_epoch(ds.X_train, ds.y_train)
    assert not any(w.shape == i.shape and np.allclose(w, i) for w, i in zip(sk.get_weights(), initial))
    orders = []
    est = sk.est
    state = est.random_state.get_state()
    from sklearn.utils import shuffle
    for _ in range(2):
        orders.append(shuffle(np.arange(ds.n_train), random_state=est.random_state))
    est.random_state.set_state(state)
    assert not np.array_equal(orders[0], orders[1])


def test_cli_records_unsupported_and_resume_skips_it(tmp_path, capsys):
    import pandas as pd

    from scratchnet.bench import cli

    args = ["run", "--cases", "california-2-3-1", "--frameworks", "sklearn", "--seeds", "1", "--epochs", "1",
            "--results", str(tmp_path), "--no-parity", "--no-progress"]
    assert cli.main(args) == 0
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert list(runs["status"]) == ["unsupported"]
    assert "sigmoid output with squared error" in runs["message"].iloc[0]
    capsys.readouterr()
    assert cli.main(args) == 0
    assert "0 tasks run, 1 already recorded" in capsys.readouterr().out


def test_native_mode_starts_from_sklearns_own_untrained_init():
    """The runner evaluates every model before its first epoch: native mode must be usable then,
    from scikit-learn's own draw (seeded), not from a weight set one training step in."""
    case = _regression("sgd", (("learning_rate", 0.01),))
    ds, initial, (a,) = _trainers(case, ("sklearn",), mode="native", seed=3)
    _, _, (b,) = _trainers(case, ("sklearn",), mode="native", seed=3)
    _, _, (c,) = _trainers(case, ("sklearn",), mode="native", seed=4)
    assert a.predict(ds.X_test).shape[0] == ds.n_test  # no NotFittedError before training
    for wa, wb, wc in zip(a.get_weights(), b.get_weights(), c.get_weights()):
        assert np.array_equal(wa, wb) and not np.array_equal(wa, wc)
    # scikit-learn draws its kernels from U(-bound, bound), bound = sqrt(6 / (fan_in + fan_out))
    # (2 instead of 6 for a logistic net); no training step has moved them out of that range
    for w in a.get_weights()[0::2]:
        assert np.abs(w).max() <= np.sqrt(6 / sum(w.shape)) and np.abs(w).max() > 0
    assert a.est.t_ == 0 and a.est.n_iter_ == 0
    rec = run_case(case, "sklearn", 3, mode="native", epochs=2)
    assert rec.status == "ok", rec.run["message"]
