"""The asv suite stays in step with the case registry (without running asv)."""
import importlib
import sys
from pathlib import Path

import pytest

from scratchnet.bench.cases import CASES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def bench(monkeypatch):
    def load(profile: str):
        monkeypatch.setenv("SCRATCHNET_BENCH_PROFILE", profile)
        monkeypatch.setenv("SCRATCHNET_BENCH_PREIMPORT_TF", "0")
        monkeypatch.syspath_prepend(str(ROOT))
        for name in [m for m in sys.modules if m == "benchmarks" or m.startswith("benchmarks.")]:
            monkeypatch.delitem(sys.modules, name)
        modules = {n: importlib.import_module(f"benchmarks.{n}") for n in
                   ("common", "bench_tutorials", "bench_realdata", "bench_throughput", "bench_memory")}
        return modules

    return load


def _param_cases(modules, kind: str = "Track") -> list[str]:
    names = {"bench_tutorials": "Tutorial", "bench_realdata": "RealData", "bench_throughput": "Throughput"}
    classes = [getattr(modules[m], f"{prefix}{kind}") for m, prefix in names.items()
               if hasattr(modules[m], f"{prefix}{kind}")]
    return [case for cls in classes for case in cls.params[0]]


def test_full_profile_covers_every_case_exactly_once(bench):
    modules = bench("full")
    assert sorted(_param_cases(modules)) == sorted(_param_cases(modules, "Time")) == sorted(CASES)
    assert modules["common"].SEEDS == 5


def test_fast_profile_is_the_documented_subset(bench):
    from scratchnet.bench.cases import profiles

    modules = bench("fast")
    cases = _param_cases(modules)
    assert sorted(cases) == sorted(profiles.FAST_CASES)
    assert set(cases) <= set(CASES)
    # asv re-times nothing in the fast profile: the runs recorded every case's epochs and cost model
    assert _param_cases(modules, "Time") == list(profiles.FAST_TIME_CASES)
    assert modules["bench_memory"].Memory.params[0] == list(profiles.FAST_MEMORY_CASES)
    assert modules["common"].SEEDS == 2
    # every framework runs at least one fast case (sklearn cannot express the tutorial ones); an
    # optional framework that is not installed says so on every case, with its install command
    from scratchnet.bench.frameworks import get_adapter
    from scratchnet.bench.store.schema import NOT_INSTALLED_PHRASE
    for fw in modules["common"].FRAMEWORKS:
        reasons = [get_adapter(fw).supports(CASES[c]) for c in cases]
        if any(r and NOT_INSTALLED_PHRASE in r for r in reasons):
            assert all(r and NOT_INSTALLED_PHRASE in r and "pip install" in r for r in reasons), (fw, reasons)
        else:
            assert any(r is None for r in reasons), (fw, reasons)


def test_unknown_profile_is_refused(bench):
    with pytest.raises(ValueError, match="SCRATCHNET_BENCH_PROFILE must be 'fast' or 'full'"):
        bench("medium")


def test_track_and_time_benchmarks_share_parameters(bench):
    modules = bench("full")
    for track, time in ((modules["bench_tutorials"].TutorialTrack, modules["bench_tutorials"].TutorialTime),
                        (modules["bench_realdata"].RealDataTrack, modules["bench_realdata"].RealDataTime)):
        assert track.params == time.params
        assert track.params[1] == ["scratchnet", "scratchnet-jit", "keras", "tf-loop", "torch", "keras-default", "sklearn"]
        for name in ("track_test_mse", "track_train_mse", "track_convergence_epochs", "track_seconds_to_target",
                     "track_probe_prediction"):
            assert callable(getattr(track, name))
    assert modules["bench_tutorials"].TutorialTrack.track_convergence_epochs.unit == "epochs"


def test_asv_collects_only_the_topic_classes(bench):
    """asv collects every public class with time_/track_/peakmem_ methods in each module it imports:
    the shared bases must stay private ("_") so they are not run as benchmarks without parameters."""
    modules = bench("fast")
    prefixes = ("time_", "track_", "peakmem_")
    collected = {
        (name, cls.__name__)
        for name, module in modules.items()
        for attr, cls in vars(module).items()
        if not attr.startswith("_") and isinstance(cls, type)
        and any(a.startswith(prefixes) for a in dir(cls))
    }
    # the fast profile re-times nothing: no TutorialTime / RealDataTime / ThroughputTime
    assert collected == {
        ("bench_tutorials", "TutorialTrack"),
        ("bench_realdata", "RealDataTrack"), ("bench_throughput", "ThroughputTrack"),
        ("bench_memory", "Memory"),
    }
    # asv also collects module-level functions with those prefixes (a helper imported into a module
    # counts): none may exist
    functions = [f"{name}.{attr}" for name, module in modules.items() for attr, obj in vars(module).items()
                 if callable(obj) and not isinstance(obj, type) and attr.startswith(prefixes)]
    assert functions == []
    # no peakmem_: a process forked from asv's forkserver carries TensorFlow for every framework
    assert not any(a.startswith("peakmem_") for module in modules.values() for cls in vars(module).values()
                   if isinstance(cls, type) for a in dir(cls))


@pytest.mark.parametrize("profile", ["fast", "full"])
def test_memory_benchmarks_cover_the_issue_cases_and_only_profile_cases(bench, profile):
    modules = bench(profile)
    memory_cls = modules["bench_memory"].Memory
    cases, frameworks = memory_cls.params
    assert frameworks == ["scratchnet", "keras"]
    assert {"perceptron", "california-2-3-1", "mlp-784-512-512-10"} <= set(cases)
    assert set(cases) <= set(_param_cases(modules))
    if profile == "full":
        assert sorted(cases) == sorted(CASES)
    assert "setup_cache" in vars(memory_cls)
    assert {m for m in dir(memory_cls) if m.startswith("track_")} == {
        "track_peak_rss", "track_fit_growth", "track_tracemalloc_peak", "track_memory_floor"}


def test_each_track_class_has_its_own_setup_cache(bench):
    """asv keys setup_cache by where it is defined: a shared one would run once for all topics."""
    modules = bench("fast")
    tracks = [modules["bench_tutorials"].TutorialTrack, modules["bench_realdata"].RealDataTrack,
              modules["bench_throughput"].ThroughputTrack]
    for cls in tracks:
        assert "setup_cache" in vars(cls), cls.__name__
    sites = {(cls.setup_cache.__code__.co_filename, cls.setup_cache.__code__.co_firstlineno) for cls in tracks}
    assert len(sites) == len(tracks)  # three definition sites, hence three asv cache keys


def test_cost_model_benchmarks_read_the_recorded_parts(bench, monkeypatch):
    bench("fast")  # loads the benchmark modules under the fast profile
    cost = importlib.import_module("benchmarks.bench_cost_model")
    cases, fws = cost.CostModel.params
    from scratchnet.bench.cases import profiles

    assert cases == ["perceptron", "california-2-3-1"] and set(cases) <= set(profiles.FAST_CASES)
    assert fws == ["scratchnet", "scratchnet-jit", "keras", "tf-loop", "torch", "keras-default", "sklearn"]
    summary = {("perceptron", "keras"): {"seconds_per_step": 2e-4, "epoch_overhead_seconds": 0.04}}
    bench_obj = cost.CostModel()
    assert bench_obj.track_seconds_per_step(summary, "perceptron", "keras") == 2e-4
    assert bench_obj.track_epoch_overhead_seconds(summary, "perceptron", "keras") == 0.04


def test_each_commit_records_its_own_runs(bench, monkeypatch, tmp_path):
    """Rows recorded under commit X are not reused under commit Y: asv continuous measures both sides."""
    monkeypatch.delenv("SCRATCHNET_RESULTS", raising=False)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setenv("ASV_ENV_NAME", "virtualenv-py3.11")
    dirs = {}
    for commit in ("a" * 40, "b" * 40):
        monkeypatch.setenv("ASV_COMMIT", commit)
        common = bench("fast")["common"]
        dirs[commit] = common.RESULTS_DIR
        from scratchnet.bench.running.suite import run_suite

        summary = run_suite([common.CASES["perceptron"]], ["scratchnet"], ("parity",), 1, "fast", common.RESULTS_DIR,
                            parity=False, progress=False, epochs=2)
        assert summary.done == 1 and summary.skipped == 0  # nothing of the other commit was reused
        import pandas as pd
        assert set(pd.read_csv(f"{common.RESULTS_DIR}/runs.csv")["git_commit"]) == {commit}
    assert len(set(dirs.values())) == 2
    monkeypatch.setenv("SCRATCHNET_RESULTS", str(tmp_path / "quick"))  # the quick start names its own directory
    assert bench("fast")["common"].RESULTS_DIR == str(tmp_path / "quick")


def test_regression_benchmarks_time_one_step_of_the_library(bench):
    modules = bench("fast")
    steps = importlib.import_module("benchmarks.bench_steps")
    cases, fws = steps.StepTime.params
    assert cases == ["perceptron", "california-2-3-1"] and fws == list(modules["common"].FRAMEWORKS)
    bench_obj = steps.StepTime()
    with pytest.raises(NotImplementedError, match="report figure"):
        bench_obj.setup("perceptron", "keras")
    bench_obj.setup("perceptron", "scratchnet")
    model_step = bench_obj.step
    assert model_step() is not None  # the model's training step returns its batch loss
    assert callable(getattr(steps.StepTime, "time_seconds_per_step"))
