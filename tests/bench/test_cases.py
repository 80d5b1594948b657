"""Tests of the case registry (scratchnet.bench.cases): integrity, the tutorial specs, lookup.

Expectations come from the datasets (n_outputs, task), from the tutorials the cases
re-create (written out here), and from the documented seed rule (sha256 of "name:i").
The last test (tf) builds every case's Keras twin and runs the parity gate on it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math

import numpy as np
import pytest

from scratchnet.bench.cases import registry
from scratchnet.bench.cases import CASES, Case, build_model, get_case, select_cases
from scratchnet.bench.datasets import LOADERS
from scratchnet.bench.running.runner import dataset_for

ALL = list(CASES)

REQUIRED = [
    "perceptron",
    *[f"neuron3-{m}-{a}" for m in ("batch", "sgd", "minibatch") for a in ("sigmoid", "tanh", "relu")],
    "deep-3-feature",
    "nobias-2-3-1",
    "moons-2-4-4-1",
    "california-2-3-1",
    "california-2-3-1-published-keras",
]


def _expected_seed(name: str, i: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{name}:{i}".encode()).digest()[:4], "big")


# --------------------------------------------------------------------------- integrity


def test_names_unique_and_keys_match():
    names = [c.name for c in registry._cases()]
    assert len(names) == len(set(names))
    assert list(CASES) == names
    for key, case in CASES.items():
        assert isinstance(case, Case)
        assert case.name == key


def test_required_cases_present():
    missing = [n for n in REQUIRED if n not in CASES]
    assert not missing


@pytest.mark.parametrize("name", ALL)
def test_case_builds_and_matches_its_dataset(name):
    case = CASES[name]
    assert case.dataset in LOADERS, f"{name}: no loader for dataset {case.dataset!r}"
    ds = dataset_for(case)
    assert ds.X_train.dtype == np.dtype(case.dtype)
    model = build_model(case, case.seeds(1)[0], n_features=ds.n_features)
    assert model.dtype == np.dtype(case.dtype)
    assert case.units[-1] == ds.n_outputs
    assert model.output_dim == ds.n_outputs
    out = model.predict(ds.X_test[:3])
    assert out.shape == (min(3, ds.n_test), ds.n_outputs)
    assert np.isfinite(out).all()
    # one (kernel, bias) pair per Dense layer, kernel shapes chaining n_features -> units
    weights = model.get_weights()
    per_layer = 2 if case.use_bias else 1
    assert len(weights) == per_layer * len(case.units)
    fan_in = ds.n_features
    for i, units in enumerate(case.units):
        assert weights[i * per_layer].shape == (fan_in, units)
        if case.use_bias:
            assert weights[i * per_layer + 1].shape == (units,)
        fan_in = units


@pytest.mark.parametrize("name", ALL)
def test_loss_and_output_suit_the_task(name):
    case = CASES[name]
    task = dataset_for(case).task
    out_act = case.activations[-1]
    if case.loss == "binary_crossentropy":
        assert task == "binary" and out_act == "sigmoid"
    elif case.loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        assert task == "multiclass" and out_act == "softmax"
    if task == "multiclass":
        assert out_act == "softmax" and case.loss == "categorical_crossentropy"
    elif task == "regression":
        assert case.loss in ("mse", "mae", "mean_squared_error", "mean_absolute_error")
        assert out_act != "softmax"
    else:  # binary
        assert task == "binary"
        if case.loss != "binary_crossentropy":
            # the tutorials train single neurons / small nets on 0/1 targets with MSE
            assert case.loss == "mse" and "tutorial" in case.tags, name
        # "linear": the single-neuron tutorial's neuron without activation (a = w.x + b)
        assert out_act in ("sigmoid", "tanh", "relu", "linear"), name


def test_seeds_deterministic_per_name_and_distinct_across_cases():
    for case in CASES.values():
        seeds = case.seeds(3)
        # grid variants (seed_key = their base case's name) share the base case's seeds
        assert case.seed_key in ("", case.name.split("[")[0])
        assert seeds == [_expected_seed(case.seed_key or case.name, i) for i in range(3)]
        assert seeds == case.seeds(3)
        assert case.seeds(1) == seeds[:1]
        assert len(set(seeds)) == 3
    firsts = [c.seeds(1)[0] for c in CASES.values() if not c.seed_key]
    assert len(set(firsts)) == len(firsts)


def test_seed_gives_reproducible_initial_weights():
    case = CASES["moons-2-4-4-1"]
    ds = dataset_for(case)
    s0, s1 = case.seeds(2)
    a = build_model(case, s0, n_features=ds.n_features).get_weights()
    b = build_model(case, s0, n_features=ds.n_features).get_weights()
    c = build_model(case, s1, n_features=ds.n_features).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_build_model_needs_n_features():
    with pytest.raises(ValueError, match="n_features"):
        build_model(CASES["perceptron"], 0)


# --------------------------------------------------------------------------- tutorial specs


def test_published_keras_case_is_marked_not_equivalent():
    pub = CASES["california-2-3-1-published-keras"]
    tut = CASES["california-2-3-1"]
    assert pub.equivalent is False
    assert pub.tutorial_of == "california-2-3-1"
    assert pub.tutorial_of in CASES
    # same data and layers as the tutorial network, different training set-up
    assert (pub.dataset, pub.units, pub.activations) == (tut.dataset, tut.units, tut.activations)
    assert (pub.optimizer, pub.batch_size) != (tut.optimizer, tut.batch_size)
    assert tut.equivalent is True and tut.tutorial_of == ""
    # every other case is equivalent and belongs to no tutorial
    others = [c for c in CASES.values() if c.name != pub.name]
    assert all(c.equivalent and c.tutorial_of == "" for c in others)


def test_california_case_matches_the_tutorial():
    case = CASES["california-2-3-1"]
    assert case.dataset == "california-tutorial"
    assert case.units == (3, 1)
    assert case.activations == ("sigmoid", "sigmoid")
    assert case.use_bias is True
    assert case.loss == "mse"
    assert case.optimizer == "sgd"
    assert dict(case.optimizer_params) == {"learning_rate": 0.05}
    assert case.batch_size == 1
    assert case.shuffle is False
    assert case.epochs == 100
    assert case.dtype == "float64"
    assert case.claim_test_mse == 0.028 and case.claim_epochs == 6

    ds = dataset_for(case)
    assert ds.n_features == 2 and ds.n_outputs == 1
    assert (ds.n_train, ds.n_test) == (6700, 3300)  # first 10,000 rows, 67/33 split
    model = build_model(case, case.seeds(1)[0], n_features=ds.n_features)
    assert model.optimizer.learning_rate == 0.05
    k1, b1, k2, b2 = model.get_weights()
    assert (k1.shape, b1.shape, k2.shape, b2.shape) == ((2, 3), (3,), (3, 1), (1,))
    for w in (k1, b1, k2, b2):
        assert w.dtype == np.float64
        assert (w >= 0.0).all() and (w < 1.0).all()
    # drawn, not constant: the kernels and the hidden biases hold distinct values, and the
    # biases are U[0,1) too (not Keras' default zeros)
    for w in (k1, b1, k2):
        assert np.unique(w).size == w.size
    assert b1.min() > 0.0 and b2[0] > 0.0
    everything = np.concatenate([w.ravel() for w in (k1, b1, k2, b2)])
    assert np.unique(everything).size == everything.size
    # another seed draws other weights from the same distribution
    other = build_model(case, case.seeds(2)[1], n_features=2).get_weights()
    assert not np.array_equal(other[1], b1)


def test_neuron3_cases_follow_their_names():
    batch = {"batch": None, "sgd": 1, "minibatch": 2}
    for mode, bs in batch.items():
        for act in ("sigmoid", "tanh", "relu"):
            case = CASES[f"neuron3-{mode}-{act}"]
            assert case.batch_size == bs
            assert case.activations == (act,) and case.units == (1,)
            assert case.dataset == "three-feature"


# --------------------------------------------------------------------------- lookup


def test_select_cases_globbing():
    relu = select_cases("neuron3-*-relu")
    assert [c.name for c in relu] == ["neuron3-batch-relu", "neuron3-sgd-relu", "neuron3-minibatch-relu",
                                      "neuron3-minibatch-random-relu"]
    mixed = select_cases(" perceptron , deep-3-* ,")
    # a glob also matches grid variants (registered after the base cases)
    assert [c.name for c in mixed] == ["perceptron", "deep-3-feature", "deep-3-feature[learning_rate=0.05]"]
    # registry order, no duplicates when patterns overlap
    overlap = select_cases(["california-*", "california-2-3-1"])
    assert [c.name for c in overlap] == [n for n in CASES if n.startswith("california-")]
    assert [c.name for c in select_cases(None)] == ALL
    assert [c.name for c in select_cases("*")] == ALL
    assert select_cases("neuron3-sgd-?anh")[0].name == "neuron3-sgd-tanh"
    # globs are case-sensitive
    with pytest.raises(ValueError):
        select_cases("PERCEPTRON")


def test_select_cases_error_names_pattern_and_valid_names():
    with pytest.raises(ValueError, match=r"no case matches \['nothing-\*'\]") as info:
        select_cases("nothing-*")
    assert "perceptron" in str(info.value)
    with pytest.raises(ValueError, match="no case matches"):
        select_cases(" , ")


def test_get_case():
    assert get_case("perceptron") is CASES["perceptron"]
    with pytest.raises(ValueError, match="Unknown case 'nope'") as info:
        get_case("nope")
    assert "california-2-3-1" in str(info.value)


def test_case_validation():
    base = CASES["perceptron"]
    with pytest.raises(ValueError, match="2 layers but 1 activations"):
        dataclasses.replace(base, units=(3, 1))
    with pytest.raises(ValueError, match="batch_size"):
        dataclasses.replace(base, batch_size=0)
    with pytest.raises(ValueError, match="profile"):
        base.epochs_for("medium")
    assert base.epochs_for("full") == 1500 and base.epochs_for("fast") == 30
    assert math.isclose(dict(base.optimizer_params)["learning_rate"], 2.0)


# --------------------------------------------------------------------------- Keras twins (tf)


@pytest.mark.tf
@pytest.mark.parametrize("name", ALL)
def test_every_case_has_a_keras_twin_that_passes_parity(name):
    from scratchnet.bench.parity.keras_twin import to_keras
    from scratchnet.bench.running.suite import run_parity_for_case

    case = CASES[name]
    ds = dataset_for(case)
    model = build_model(case, case.seeds(1)[0], n_features=ds.n_features)
    twin = to_keras(model)
    ours, theirs = model.get_weights(), twin.get_weights()
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == tuple(b.shape)
        assert np.array_equal(a, np.asarray(b))
    report = run_parity_for_case(case, "float64", epochs=2, rows=16)
    assert report.passed, report.message
    assert report.dtype == "float64" and report.epochs == 2
    assert report.n_rows == min(16, ds.n_train)
    assert len(report.epoch_records) == 2
    assert report.grad_error <= 1e-12 and report.max_rel_weight_drift <= 1e-10
