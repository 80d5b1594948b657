"""Tests of the framework seam (scratchnet.bench.frameworks), the runner's one loop driving it,
and the keras contender's calibration (with injected timings: no real timing is judged here)."""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from scratchnet.bench import frameworks
from scratchnet.bench.cases import CASES, build_model
from scratchnet.bench.frameworks import keras_calibration as kc
from scratchnet.bench.running.runner import dataset_for, run_case
from scratchnet.bench.store.schema import FRAMEWORKS, RUN_COLUMNS, STATUSES
from scratchnet.bench.running.suite import plan, run_suite


def test_registry_names_and_errors():
    assert frameworks.names()[:len(FRAMEWORKS)] == FRAMEWORKS == frameworks.BUILTINS
    assert frameworks.is_builtin("keras-default") and not frameworks.is_builtin("mine")
    assert frameworks.get_adapter("scratchnet").name == "scratchnet"
    with pytest.raises(ValueError, match="unknown framework 'jax'.*keras-default"):
        frameworks.get_adapter("jax")
    with pytest.raises(ValueError, match="built in"):
        frameworks.register(frameworks.get_adapter("scratchnet"))
    assert "unsupported" in STATUSES
    for col in ("keras_jit_compile", "keras_calibration_seconds", "epoch_cap"):
        assert col in RUN_COLUMNS


class _Unsupporting:
    name = "never"

    def supports(self, case):
        return "never supports anything"

    def prepare(self, *a, **k):  # pragma: no cover - must not be called
        raise AssertionError("prepare called for an unsupported case")


class _Capped:
    """Wraps scratchnet: same maths, at most 2 epochs, a setting column recorded."""

    name = "capped"
    max_epochs = 2

    def supports(self, case):
        return None

    def prepare(self, case, dataset, initial_weights, mode, seed, **options):
        inner = frameworks.get_adapter("scratchnet").prepare(case, dataset, initial_weights, mode, seed)
        inner.settings = lambda: {"keras_steps_per_execution": 7}
        return inner


@pytest.fixture
def registered():
    for a in (_Unsupporting(), _Capped()):
        frameworks.register(a)
    yield
    for name in ("never", "capped"):
        frameworks.unregister(name)


def test_unsupported_row_is_recorded_and_resume_skips_it(registered, tmp_path):
    case = CASES["neuron3-batch-sigmoid"]
    rec = run_case(case, "never", 1, epochs=2)
    assert rec.status == "unsupported" and rec.run["message"] == "never supports anything"
    assert rec.epochs == [] and math.isnan(rec.run["test_mse"])
    summary = run_suite([case], frameworks=("never",), n_seeds=1, results_dir=tmp_path, parity=False,
                        epochs=2, progress=False)
    assert summary.statuses == {"unsupported": 1}
    tasks, skipped = plan([case], ("never",), ("parity",), 1, False, tmp_path)
    assert tasks == [] and skipped == 1


def test_epoch_cap_and_settings_are_recorded(registered):
    case = CASES["neuron3-batch-sigmoid"]
    rec = run_case(case, "capped", 1, epochs=5)
    assert rec.status == "ok"
    assert rec.run["epochs"] == 5 and rec.run["epochs_run"] == 2 and rec.run["epoch_cap"] == 2
    assert "capped at 2 of 5" in rec.run["message"]
    assert rec.run["keras_steps_per_execution"] == 7
    # same maths as scratchnet: identical first two epochs
    ref = run_case(case, "scratchnet", 1, epochs=2)
    assert [r["test_mse"] for r in rec.epochs] == [r["test_mse"] for r in ref.epochs]


def test_settings_must_be_run_columns(registered):
    class Bad(_Capped):
        name = "bad-settings"

        def prepare(self, *a, **k):
            t = super().prepare(*a, **k)
            t.settings = lambda: {"not_a_column": 1}
            return t

    frameworks.register(Bad())
    try:
        rec = run_case(CASES["neuron3-batch-sigmoid"], "bad-settings", 1, epochs=1)
    finally:
        frameworks.unregister("bad-settings")
    assert rec.status == "error" and "not_a_column" in rec.run["message"]


# --------------------------------------------------------------------------- calibration


def test_candidates_grid():
    assert kc.candidates(6700) == [(1, False), (1, True), (32, False), (32, True), (6700, False), (6700, True)]
    assert kc.candidates(4) == [(1, False), (1, True), (4, False), (4, True)]
    assert kc.candidates(1) == [(1, False), (1, True)]


def test_choose_picks_fastest_and_breaks_ties_by_grid_order():
    grid = kc.candidates(64)
    timings = dict(zip(grid, [5.0, 4.0, 3.0, 2.5, 2.5, 9.0]))
    assert kc.choose(timings, grid) == (32, True)  # 2.5 first reached at (32, True)
    timings[(64, True)] = 1.0
    assert kc.choose(timings, grid) == (64, True)
    timings = {c: math.inf for c in grid} | {(1, True): 3.0}
    assert kc.choose(timings, grid) == (1, True)
    with pytest.raises(RuntimeError, match="no Keras setting"):
        kc.choose({c: math.inf for c in grid}, grid)


def test_calibrate_uses_injected_timings_and_caches_atomically(tmp_path, monkeypatch):
    monkeypatch.setattr(kc, "_MEMORY", {})
    monkeypatch.setattr(kc, "_WARM", False)
    case = CASES["moons-2-4-4-1"]  # 800 rows, batch 32 -> 25 steps an epoch
    ds = dataset_for(case)
    fake = {(1, False): 3e-3, (1, True): 4e-3, (25, False): 1e-3, (25, True): 2e-3}
    calls = []

    def measure(c, d, spe, jit):
        calls.append((spe, jit))
        if (spe, jit) == (25, True):
            raise RuntimeError("XLA refused")
        return fake[(spe, jit)]

    cal = kc.calibrate(case, ds, tmp_path, measure=measure)
    assert (cal.steps_per_execution, cal.jit_compile) == (25, False)
    assert calls == [*kc.candidates(25), (1, False)]  # first calibration: the first one again (start-up)
    assert kc._WARM is True
    data = json.loads((tmp_path / kc.CACHE_FILE).read_text())
    entry = data["entries"][f"{case.name}|{case.dtype}"]
    assert entry["chosen"] == {"steps_per_execution": 25, "jit_compile": False}
    by = {(c["steps_per_execution"], c["jit_compile"]): c for c in entry["candidates"]}
    assert by[(1, False)]["seconds_per_step"] == 3e-3
    assert by[(25, True)]["seconds_per_step"] is None and "XLA refused" in by[(25, True)]["error"]
    assert entry["steps_per_epoch"] == 25 and entry["calibration_seconds"] >= 0
    # a new process (empty memory) reads the file instead of measuring again
    monkeypatch.setattr(kc, "_MEMORY", {})
    again = kc.calibrate(case, ds, tmp_path, measure=lambda *a: pytest.fail("measured again"))
    assert (again.steps_per_execution, again.jit_compile) == (25, False)
    assert again.seconds == pytest.approx(entry["calibration_seconds"])
    # a warm process measures each candidate once; the faster re-measure would have won otherwise
    monkeypatch.setattr(kc, "_MEMORY", {})
    calls.clear()
    fake[(1, False)] = 5e-4
    third = kc.calibrate(case, ds, None, measure=measure)
    assert calls == kc.candidates(25) and (third.steps_per_execution, third.jit_compile) == (1, False)


def test_keras_adapter_records_the_calibrated_setting(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    monkeypatch.setattr(kc, "_MEMORY", {})
    monkeypatch.setattr(kc, "measure_candidate",
                        lambda c, d, spe, jit: {(1, False): 2.0, (1, True): 3.0}.get((spe, jit), 1.0 + spe))
    case = CASES["neuron3-batch-tanh"]  # full batch: 1 step an epoch
    rec = run_case(case, "keras", 1, epochs=2, results_dir=tmp_path)
    assert rec.status == "ok", rec.run["message"]
    assert rec.run["keras_steps_per_execution"] == 1 and rec.run["keras_jit_compile"] is False
    assert rec.run["keras_calibration_seconds"] >= 0
    entry = json.loads((tmp_path / kc.CACHE_FILE).read_text())["entries"][f"{case.name}|{case.dtype}"]
    assert [c["seconds_per_step"] for c in entry["candidates"]] == [2.0, 3.0]  # the injected figures


@pytest.mark.tf
def test_keras_default_trains_its_budget_and_has_the_maths_of_keras(monkeypatch):
    from scratchnet.bench.frameworks import keras as kmod

    case = CASES["neuron3-sgd-tanh"]
    seed = case.seeds(1)[0]
    monkeypatch.setattr(kmod.DEFAULT_ADAPTER, "timing_budget", (3, 0.0))  # the minimum, then stop
    d = run_case(case, "keras-default", seed, epochs=5)
    k = run_case(case, "keras", seed, epochs=3, keras_steps_per_execution=4)
    assert d.status == "ok", d.run["message"]
    assert d.run["epochs_run"] == 3 == d.run["epoch_cap"]
    assert "capped at 3 of 5" in d.run["message"] and "at least 3 epochs" in d.run["message"]
    assert d.run["keras_steps_per_execution"] == 1 and d.run["keras_jit_compile"] is False
    assert [r["test_mse"] for r in d.epochs] == pytest.approx([r["test_mse"] for r in k.epochs], rel=1e-12)
    monkeypatch.setattr(kmod.DEFAULT_ADAPTER, "timing_budget", (3, 1e9))  # never spent: every epoch
    full = run_case(case, "keras-default", seed, epochs=5)
    assert full.run["epochs_run"] == 5 and not np.isfinite(float(full.run["epoch_cap"]))


@pytest.mark.tf
def test_jit_compiled_twin_keeps_float64_parity():
    """The parity gate with the calibrated setting: XLA must not change the float64 maths."""
    from scratchnet.bench.parity.keras_twin import to_keras
    from scratchnet.bench.running.suite import run_parity_for_case

    case = dataclasses.replace(CASES["moons-2-4-4-1"])
    ds = dataset_for(case)
    # XLA really is on (Keras alone drops jit_compile=True while op determinism is enabled)
    assert to_keras(build_model(case, 1, n_features=ds.n_features), jit_compile=True).jit_compile is True
    report = run_parity_for_case(case, "float64", steps_per_execution=2, jit_compile=True)
    assert report.passed, report.message
