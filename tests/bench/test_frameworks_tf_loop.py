"""The tf-loop contender: Keras' maths in a hand-written TensorFlow loop, step for step."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scratchnet.bench.cases import CASES, build_model
from scratchnet.bench.frameworks import calibration, get_adapter
from scratchnet.bench.frameworks.case_maths import case_maths, keras_constants
from scratchnet.bench.running.runner import dataset_for, run_case

from lockstep import lockstep_drift  # tests/bench/lockstep.py (pytest puts tests/bench on sys.path)

pytestmark = pytest.mark.tf


def _variant(base: str, **changes):
    return dataclasses.replace(CASES[base], name=f"{base}-tl-test", **changes)


def _lockstep(case, epochs=2, jit=False, seed=3):
    """Worst relative weight difference tf-loop vs Keras after each of ``epochs`` shuffled epochs."""
    ds = dataset_for(case)
    initial = build_model(case, seed, n_features=ds.n_features).get_weights()
    tl = get_adapter("tf-loop").prepare(case, ds, initial, "parity", seed, tf_loop_jit_compile=jit)
    ke = get_adapter("keras").prepare(case, ds, initial, "parity", seed, keras_steps_per_execution=8)
    assert all(np.array_equal(a, b) for a, b in zip(tl.get_weights(), initial))
    return lockstep_drift(tl, ke, ds, epochs), tl, ke, ds


@pytest.mark.parametrize("optimizer,params", [
    ("sgd", (("learning_rate", 0.01),)),
    ("sgd", (("learning_rate", 0.01), ("momentum", 0.9))),
    ("sgd", (("learning_rate", 0.01), ("momentum", 0.5), ("nesterov", True))),
    ("rmsprop", (("learning_rate", 0.001), ("momentum", 0.5))),
    ("adam", (("learning_rate", 0.005),)),
])
def test_float64_regression_agrees_with_keras_step_for_step(optimizer, params):
    # 353 rows in batches of 16: 22 full batches and a partial one (the second step kind)
    case = _variant("diabetes-10-32-1", units=(6, 4, 1), activations=("tanh", "relu", "linear"),
                    optimizer=optimizer, optimizer_params=params, dtype="float64")
    worst, *_ = _lockstep(case)
    assert worst <= 1e-12


@pytest.mark.parametrize("base", ["digits-64-32-10", "breast-cancer-30-16-1"])
def test_fused_cross_entropy_agrees_with_keras(base):
    worst, tl, ke, ds = _lockstep(_variant(base, dtype="float64"))
    assert worst <= 1e-12
    np.testing.assert_allclose(tl.predict(ds.X_test), ke.predict(ds.X_test), rtol=1e-12, atol=1e-15)


def test_xla_epoch_agrees_with_keras():
    case = _variant("california-2-3-1", dtype="float64")
    worst, *_ = _lockstep(case, epochs=1, jit=True)
    assert worst <= 1e-12


def test_constants_follow_keras_rounding():
    adam = keras_constants(case_maths(CASES["california-8-64-64-1"]))
    assert adam["beta_2_power_base"] == float(np.float32(0.999)) != 0.999
    assert adam["one_minus_beta_2"] == 1.0 - 0.999
    sgd = keras_constants(case_maths(CASES["digits-64-32-10"]))
    assert sgd["momentum"] == float(np.float32(0.9)) != 0.9


def test_run_records_calibration_and_parity_mse(tmp_path):
    case = CASES["neuron3-sgd-sigmoid"]
    rec = run_case(case, "tf-loop", case.seeds(1)[0], "parity", epochs=5, results_dir=tmp_path)
    sn = run_case(case, "scratchnet", case.seeds(1)[0], "parity", epochs=5)
    assert rec.status == "ok", rec.run["message"]
    assert rec.run["test_mse"] == pytest.approx(sn.run["test_mse"], rel=1e-12)
    assert "jit_compile=False=" in rec.run["calibration_timings"] and "jit_compile=True=" in rec.run["calibration_timings"]
    assert rec.run["execution"].startswith("tf.function epoch, jit_compile=")
    assert np.isfinite(rec.run["seconds_per_step"]) and np.isfinite(rec.run["epoch_overhead_seconds"])
    assert (tmp_path / "tf-loop_calibration.json").exists()


def test_choose_needs_the_margin():
    cands = [calibration.Candidate("eager"), calibration.Candidate("compile", margin=0.1)]
    assert calibration.choose({"eager": 1.0, "compile": 0.95}, cands) == "eager"
    assert calibration.choose({"eager": 1.0, "compile": 0.85}, cands) == "compile"
    assert calibration.choose({"eager": float("inf"), "compile": 2.0}, cands) == "compile"
    with pytest.raises(RuntimeError):
        calibration.choose({"eager": float("inf")}, cands)
