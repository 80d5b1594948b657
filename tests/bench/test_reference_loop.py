"""The reference loop trains like scratchnet (float64, same weights after an epoch), and the
overhead ratios are well-formed (no absolute time is asserted)."""
import dataclasses
import importlib
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from scratchnet.bench import cases, datasets
from scratchnet.bench.measures.overhead import Ratio, framework_tax, gemm_shapes, gemm_share, interleaved_best
from scratchnet.bench.measures.reference_loop import ReferenceLoop, unsupported_reason

EXPRESSIBLE = [name for name, case in cases.CASES.items() if unsupported_reason(case) is None]


def _rows(case, n=256):
    ds = datasets.load_dataset(case.dataset, **dict(case.dataset_params))
    return ds.X_train[:n].astype("float64"), ds.y_train[:n].astype("float64")


def test_every_registered_case_is_expressible():
    assert EXPRESSIBLE == list(cases.CASES)


@pytest.mark.parametrize("name", EXPRESSIBLE)
def test_reference_loop_matches_scratchnet_after_an_epoch(name):
    case = cases.get_case(name)
    X, Y = _rows(case)
    model = cases.build_model(case, seed=7, dtype="float64", n_features=X.shape[1])
    ref = ReferenceLoop.from_model(model)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), ref.weights()))
    for _ in range(2):
        model.fit(X, Y, batch_size=case.batch_size, epochs=1, shuffle=False, verbose=0)
        ref.train_epoch(X, Y, case.batch_size)
    for got, want in zip(ref.weights(), model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert any(not np.array_equal(w0, w1) for w0, w1 in
               zip(cases.build_model(case, seed=7, dtype="float64", n_features=X.shape[1]).get_weights(),
                   model.get_weights()))  # training moved the weights


def test_reference_loop_detects_a_wrong_update():
    case = cases.get_case("california-2-3-1")
    X, Y = _rows(case, 64)
    model = cases.build_model(case, seed=1, dtype="float64", n_features=2)
    ref = ReferenceLoop.from_model(model)
    ref.lr = ref.lr * 1.001
    model.fit(X, Y, batch_size=1, epochs=1, shuffle=False, verbose=0)
    ref.train_epoch(X, Y, 1)
    assert not all(np.allclose(a, b, rtol=1e-12, atol=1e-14) for a, b in zip(ref.weights(), model.get_weights()))


@pytest.mark.parametrize("change, reason", [
    ({"loss": "binary_crossentropy", "activations": ("relu", "linear")}, "without a sigmoid output"),
    ({"activations": ("softmax", "linear")}, "are not all in the reference loop"),
    ({"loss": "huber"}, "loss 'huber'"),
    ({"optimizer": "adagrad"}, "optimizer 'adagrad'"),
])
def test_unsupported_reasons(change, reason):
    case = dataclasses.replace(cases.get_case("diabetes-10-32-1"), **change)
    assert reason in unsupported_reason(case)
    with pytest.raises(ValueError, match="diabetes-10-32-1"):
        framework_tax(case, np.zeros((4, 10)), np.zeros((4, 1)), rounds=1)


def test_interleaved_best_keeps_each_sides_minimum_and_alternates():
    calls, times = [], {"a": iter([3.0, 1.0, 2.0]), "b": iter([5.0, 6.0, 4.0])}

    def side(key):
        def run():
            calls.append(key)
            return next(times[key])
        return run

    assert interleaved_best([side("a"), side("b")], rounds=3) == [1.0, 4.0]
    assert calls == ["a", "b"] * 3
    with pytest.raises(ValueError, match="rounds"):
        interleaved_best([side("a")], rounds=0)


def test_framework_tax_and_gemm_share_are_finite_ratios_on_capped_steps():
    case = cases.get_case("moons-2-4-4-1")
    X, Y = _rows(case, 200)
    tax = framework_tax(case, X, Y, rounds=2, max_steps=3)
    assert (tax.steps_per_epoch, tax.steps_timed, tax.rounds) == (7, 3, 2)
    assert math.isfinite(tax.ratio) and tax.ratio > 0
    share = gemm_share(case, X, Y, rounds=2, max_steps=3)
    assert math.isfinite(share.ratio) and share.ratio > 0


def test_gemm_shapes_of_the_784_net():
    case = cases.get_case("mlp-784-512-512-10")
    model = cases.build_model(case, seed=0, n_features=784)
    shapes = gemm_shapes(model, 128)
    assert len(shapes) == 8
    assert shapes[0] == ((128, 784), (784, 512), False)
    assert ((128, 10), (10, 512), True) in shapes


def test_ratio_scales_capped_steps_to_an_epoch():
    r = Ratio(2.0, 4.0, steps_per_epoch=10, steps_timed=5, rounds=3)
    assert r.ratio == 0.5 and r.per_step(r.numerator_seconds) == 0.2


def test_asv_overhead_benchmarks_are_collected(monkeypatch):
    monkeypatch.setenv("SCRATCHNET_BENCH_PREIMPORT_TF", "0")
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    sys.modules.pop("benchmarks.bench_overhead", None)
    module = importlib.import_module("benchmarks.bench_overhead")
    figures = {"tax_2_3_1": 0.9, "us_per_step_2_3_1": 18.0, "gemm_share_784": 0.86}
    bench = module.Overhead()
    assert bench.track_framework_tax_2_3_1(figures) == 0.9
    assert bench.track_gemm_share_784(figures) == 0.86
    assert "setup_cache" in vars(module.Overhead)


@pytest.mark.parametrize("optimizer, params", [
    ("sgd", (("learning_rate", 0.01), ("momentum", 0.9), ("nesterov", True))),
    ("rmsprop", (("learning_rate", 0.001), ("momentum", 0.5))),
    ("adam", (("learning_rate", 0.01), ("beta_1", 0.8))),
])
def test_reference_loop_optimizer_variants(optimizer, params):
    case = dataclasses.replace(cases.get_case("diabetes-10-32-1"), optimizer=optimizer, optimizer_params=params,
                               activations=("tanh", "linear"), loss="mae")
    X, Y = _rows(case, 128)
    model = cases.build_model(case, seed=2, dtype="float64", n_features=X.shape[1])
    ref = ReferenceLoop.from_model(model)
    model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    ref.train_epoch(X, Y, 16)
    for got, want in zip(ref.weights(), model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_overhead_columns_are_the_schema_columns_and_nan_when_not_expressible():
    from scratchnet.bench.measures.overhead import OVERHEAD_COLUMNS, overhead_columns
    from scratchnet.bench.store.schema import NUMERIC_COLUMNS, RUN_COLUMNS

    assert set(OVERHEAD_COLUMNS) <= set(RUN_COLUMNS) and set(OVERHEAD_COLUMNS) <= NUMERIC_COLUMNS
    case = cases.get_case("moons-2-4-4-1")
    X, Y = _rows(case, 200)
    figures = overhead_columns(case, X, Y, seed=1, rounds=2)
    assert set(figures) == set(OVERHEAD_COLUMNS)
    assert all(math.isfinite(v) and v > 0 for v in figures.values())
    assert figures["framework_tax"] == pytest.approx(
        figures["tax_seconds_per_epoch"] / figures["reference_seconds_per_epoch"])
    odd = dataclasses.replace(case, activations=("softmax", "softmax", "sigmoid"))
    assert all(math.isnan(v) for v in overhead_columns(odd, X, Y, rounds=1).values())
