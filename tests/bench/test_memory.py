"""Memory figures: the exact fit window, the analytic floor, tracemalloc, the fresh-process probe."""
import math
import time
import tracemalloc

import numpy as np
import pytest

from scratchnet.bench.running import memory
from scratchnet.bench.cases import CASES, build_model
from scratchnet.bench.parity.keras_twin import keras_available

needs_vmhwm = pytest.mark.skipif(not memory.vmhwm_available(), reason="no resettable VmHWM (/proc/self/clear_refs)")


def _touch(mib: int) -> None:
    """Allocate, fill and free ``mib`` MiB: a brief peak and no lasting growth."""
    block = np.ones(mib * memory.MIB // 8)
    del block


@needs_vmhwm
def test_window_catches_a_brief_allocation_exactly():
    mem = memory.FitMemory()
    with mem:
        _touch(64)
    assert mem.method == "vmhwm"
    assert 63 <= mem.peak_growth_mb < 72
    assert mem.peak_rss_mb >= mem.rss_before_mb + 63
    assert mem.columns() == {"peak_memory_mb": mem.peak_growth_mb, "memory_method": "vmhwm"}


@needs_vmhwm
def test_each_window_starts_from_its_own_baseline():
    """Memory allocated between windows (the harness's row permutation) is not charged to fit."""
    mem = memory.FitMemory()
    with mem:
        _touch(8)
    kept = np.ones(48 * memory.MIB // 8)  # harness work between the windows, still alive
    with mem:
        _touch(16)
    assert mem.windows == 2
    assert 15 <= mem.peak_growth_mb < 24  # the largest window, not 16 + 48
    assert kept.size


@needs_vmhwm
def test_pages_freed_before_the_window_do_not_hide_the_fit():
    """glibc keeps freed heap blocks resident (its mmap threshold rises to 32 MiB after a large
    free); the window trims the heap first, so a fit reusing them still shows its growth."""
    for _ in range(3):
        _touch(12)  # leaves the heap grown and free, as an evaluation between epochs would
    mem = memory.FitMemory()
    with mem:
        _touch(12)
    assert mem.peak_growth_mb >= 11


def test_sampler_fallback_names_its_method():
    mem = memory.FitMemory(force_sampler=True)
    with mem:
        block = np.ones(40 * memory.MIB // 8)
        time.sleep(0.05)  # long enough for a 5 ms sampler to see it
        del block
    assert mem.method == "rss-sampler-5ms"
    assert mem.peak_growth_mb >= 38


def test_no_window_gives_nan():
    mem = memory.FitMemory()
    assert math.isnan(mem.peak_growth_mb) and mem.columns()["memory_method"] in ("vmhwm", "rss-sampler-5ms")


def test_floor_of_the_784_mlp_by_hand():
    case = CASES["mlp-784-512-512-10"]  # float32, Adam, batch 128
    floor = memory.memory_floor(case, n_features=784, n_train=8192)
    params = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
    assert floor.weights == floor.weight_gradients == params * 4
    assert floor.optimizer_state == 2 * params * 4  # Adam: m and v
    assert floor.activations == 128 * (784 + 512 + 512 + 10) * 4
    assert floor.activation_gradients == 128 * (512 + 512 + 10) * 4
    assert floor.total == (4 * params + 128 * (784 + 2 * 1034)) * 4
    assert floor.mb == pytest.approx(floor.total / 2**20)


def test_floor_batch_is_capped_by_the_rows_and_full_batch_uses_them_all():
    case = CASES["perceptron"]  # full batch, no momentum: no optimizer state
    floor = memory.memory_floor(case, n_features=2, n_train=100)
    assert floor.optimizer_state == 0
    assert floor.activations == 100 * (2 + 1) * np.dtype(case.dtype).itemsize
    small = memory.memory_floor(CASES["mlp-784-512-512-10"], n_features=784, n_train=10)
    assert small.activations == 10 * (784 + 1034) * 4


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_slots_match_the_optimizer_scratchnet_builds(name):
    case = CASES[name]
    model = build_model(case, 0, n_features=3)
    assert memory.optimizer_state_slots(case) == len(model.optimizer._state)


def test_tracemalloc_sees_numpy_buffers_and_refuses_nesting():
    assert memory.tracemalloc_peak_mb(lambda: _touch(10)) >= 10  # traced whether heap or mmap
    tracemalloc.start()
    try:
        with pytest.raises(RuntimeError, match="already tracing"):
            memory.tracemalloc_peak_mb(lambda: None)
    finally:
        tracemalloc.stop()


def test_scratchnet_trace_holds_at_least_weights_gradients_and_state():
    case = CASES["california-8-64-64-1"]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((512, 8)).astype(case.dtype)
    Y = rng.standard_normal((512, 1)).astype(case.dtype)
    floor = memory.memory_floor(case, 8, 512)
    traced = memory.scratchnet_tracemalloc_mb(case, 1, X, Y)
    assert traced * memory.MIB >= floor.weights + floor.weight_gradients + floor.optimizer_state
    assert traced < 2 * floor.mb + 1  # nothing the size of the data is copied per batch
    cols = memory.network_columns(case, "keras", 1, X, Y)
    assert math.isnan(cols["tracemalloc_peak_mb"]) and cols["memory_floor_mb"] == pytest.approx(floor.mb)


@needs_vmhwm
def test_probe_charges_scratchnet_only_for_itself():
    result = memory.probe("perceptron", "scratchnet")
    assert result.method == "vmhwm" and not result.tensorflow_imported
    assert result.peak_rss_mb < 100  # numpy + scratchnet + data + fit; no TensorFlow
    assert 0 < result.fit_growth_mb < result.peak_rss_mb
    assert result.tracemalloc_peak_mb > 0 and result.memory_floor_mb > 0


@pytest.mark.tf
@pytest.mark.slow
@needs_vmhwm
@pytest.mark.skipif(not keras_available(), reason="Keras is not installed")
def test_probe_charges_keras_for_its_runtime():
    scratch = memory.probe("perceptron", "scratchnet")
    keras = memory.probe("perceptron", "keras")
    assert keras.tensorflow_imported and keras.method == scratch.method == "vmhwm"
    assert keras.peak_rss_mb > scratch.peak_rss_mb + 200  # TensorFlow's runtime is Keras' own
    assert math.isnan(keras.tracemalloc_peak_mb)
    assert keras.memory_floor_mb == scratch.memory_floor_mb


def test_probe_refuses_unknown_names():
    with pytest.raises(ValueError, match="unknown case"):
        memory.probe("no-such-case", "scratchnet")
    with pytest.raises(ValueError, match="framework must be one of"):
        memory.probe("perceptron", "jax")


def test_child_side_fits_the_given_rows_and_prints_one_json_line(tmp_path, capsys):
    import json

    rng = np.random.default_rng(0)
    data = tmp_path / "train.npz"
    np.savez(data, X=rng.standard_normal((64, 2)), Y=rng.integers(0, 2, (64, 1)).astype(float))
    assert memory.main(["--case", "perceptron", "--framework", "scratchnet", "--data", str(data), "--seed", "3"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    floor = memory.memory_floor(CASES["perceptron"], 2, 64)
    assert result["case"] == "perceptron" and result["epochs"] == 1
    assert result["memory_floor_mb"] == pytest.approx(floor.mb)
    assert result["tracemalloc_peak_mb"] * memory.MIB >= floor.weights
    with pytest.raises(SystemExit):
        memory.main(["--case", "perceptron", "--framework", "scratchnet", "--data", str(data)])  # no --seed


def test_runner_measures_each_train_epoch_and_records_the_memory_columns(monkeypatch):
    from scratchnet.bench.running import runner

    made = []

    class Recording(memory.FitMemory):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(memory, "FitMemory", Recording)
    case = CASES["california-8-64-64-1"]
    record = runner.run_case(case, "scratchnet", seed=5, epochs=2)
    row = record.run
    assert row["status"] == "ok", row["message"]
    # one window per epoch, evaluation outside; the second FitMemory is the cost model's own
    assert len(made) == 2 and made[0].windows == 2
    assert row["memory_method"] == made[0].method and row["peak_memory_mb"] == made[0].peak_growth_mb
    ds = runner.dataset_for(case)
    floor = memory.memory_floor(case, ds.n_features, ds.n_train)
    assert row["memory_floor_mb"] == pytest.approx(floor.mb)
    assert row["tracemalloc_peak_mb"] * memory.MIB >= floor.weights + floor.weight_gradients + floor.optimizer_state
