"""Shared pieces of the asv suite: profiles, parameters from the case registry, base classes.

Profile (environment variable ``SCRATCHNET_BENCH_PROFILE``):

* ``fast`` (default) -- a representative subset of cases, 2 seeds, each case's quick_epochs;
* ``full`` -- every registered case, 5 seeds, full epochs.

``SCRATCHNET_RESULTS`` names the directory where ``setup_cache`` records the runs it makes
(the same tables ``scratchnet-bench run`` writes, so ``scratchnet-bench report`` can turn
them into a report); without it they go to a temporary directory of their own per machine,
environment and commit (:func:`results_dir`): rows recorded by one commit are never read for another.

Every benchmark is parametrised by (case, framework), framework being each built-in adapter of
:mod:`scratchnet.bench.frameworks` (``keras`` with its calibrated setting); a case a framework
cannot express is skipped (``NotImplementedError`` in ``setup``). The ``track_*`` figures come from
runs made once per class in ``setup_cache`` through the harness runner; the ``time_*``
benchmarks build their own model in ``setup`` (the Keras twin is traced by a warm-up epoch
there, so graph tracing stays outside the timings). Memory is not measured here: a process
forked from the forkserver carries everything the suite imported (TensorFlow included), so
``bench_memory`` measures each framework in a fresh process of its own.

TensorFlow: the library never imports it; in the full profile this module imports Keras once at
import time (when installed) because asv's ``--launch-method=forkserver`` imports the benchmark suite
once and forks every benchmark process from it -- without this, each Keras benchmark would
pay the 7-9 s TensorFlow import again. Set ``SCRATCHNET_BENCH_PREIMPORT_TF=0`` to skip it.
"""
from __future__ import annotations

import os
import statistics
import tempfile

from scratchnet.bench.cases import CASES
from scratchnet.bench.store.schema import FRAMEWORKS

from scratchnet.bench.cases.profiles import FAST_TIME_CASES, check_profile, profile_cases
from scratchnet.bench.cases.profiles import SEEDS as _SEEDS

PROFILE = check_profile(os.environ.get("SCRATCHNET_BENCH_PROFILE", "fast"))
# only a profile with time_ benchmarks trains anything in asv's processes: the fast profile has none
# (its track_ figures read the runs), so it does not pay TensorFlow's import (asv's discovery and its
# forkserver: ~8 s each, measured)
TIMES_ANYTHING = PROFILE == "full" or bool(FAST_TIME_CASES)

if TIMES_ANYTHING and os.environ.get("SCRATCHNET_BENCH_PREIMPORT_TF", "1") != "0":
    from scratchnet.bench.parity.keras_twin import import_keras, keras_available

    if keras_available():
        import_keras()

SEEDS = _SEEDS[PROFILE]
def _commit_key() -> str:
    """The code being benchmarked: asv's ASV_COMMIT (set for the commit it built), else the quick
    start's SCRATCHNET_GIT_COMMIT, else the working tree's HEAD ("+dirty" when tracked files differ)."""
    for name in ("ASV_COMMIT", "SCRATCHNET_GIT_COMMIT"):
        if os.environ.get(name):
            return os.environ[name]
    from scratchnet.bench.running.environment import git_commit

    return git_commit() or "unknown"


def results_dir() -> str:
    """Where ``setup_cache`` records its runs: ``SCRATCHNET_RESULTS`` (the quick start's directory),
    else one directory per machine, environment and commit -- so a run never reuses rows recorded by
    another commit (``asv continuous A B`` measures each side anew)."""
    if os.environ.get("SCRATCHNET_RESULTS"):
        return os.environ["SCRATCHNET_RESULTS"]
    import hashlib
    import platform
    import sys

    env = os.environ.get("ASV_ENV_NAME") or sys.executable
    key = hashlib.sha256(f"{platform.node()}|{env}|{_commit_key()}".encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), "scratchnet-asv-runs", f"{PROFILE}-{key}")


RESULTS_DIR = results_dir()


def cases_with(tag: str) -> list[str]:
    """Names of the profile's cases carrying ``tag``, in registry order."""
    return [name for name in profile_cases(PROFILE) if tag in CASES[name].tags]


def cases_timed(tag: str) -> list[str]:
    """The cases the ``time_`` benchmarks of ``tag`` time: in the fast profile only FAST_TIME_CASES
    (none: the runs already recorded every case's epoch times and cost model, which the ``track_``
    figures read), in the full profile every case."""
    return [n for n in cases_with(tag) if PROFILE == "full" or n in FAST_TIME_CASES]


def run_cases(names: list[str]) -> dict:
    """Run (or resume) the profile's runs of ``names`` and summarise them per (case, framework)."""
    from scratchnet.bench import store
    from scratchnet.bench.store.schema import RUN_COLUMNS
    from scratchnet.bench.running.suite import run_suite

    run_suite([CASES[n] for n in names], FRAMEWORKS, ("parity",), SEEDS, PROFILE, RESULTS_DIR, progress=False)
    runs = store.read_table(os.path.join(RESULTS_DIR, "runs.csv"), RUN_COLUMNS)
    summary = {}
    for name in names:
        for fw in FRAMEWORKS:
            rows = runs[(runs["case"] == name) & (runs["framework"] == fw) & (runs["mode"] == "parity")
                        & (runs["status"] == "ok")]
            summary[(name, fw)] = {key: _median(rows[key]) for key in (
                "test_mse", "train_mse", "seconds_per_step", "epoch_overhead_seconds", "framework_tax",
                "gemm_share")}
            # run_suite re-measured the runs against the case's shared target; a run that never
            # reached it is censored, and the median counts it (NaN when half never got there).
            for key in ("convergence_epoch", "seconds_to_target"):
                summary[(name, fw)][key] = _censored_median(rows[key])
            summary[(name, fw)]["probe_prediction"] = _median(rows["probe_prediction"])
    return summary


def _median(values) -> float:
    finite = [float(v) for v in values if v == v]
    return statistics.median(finite) if finite else float("nan")


def _censored_median(values) -> float:
    from scratchnet.bench.measures.metrics import censored_median

    median = censored_median([float(v) for v in values])
    return float("nan") if median is None else median


# Base classes start with "_" so that asv does not collect them as benchmarks themselves.
class _CaseBenchmark:
    """Base: ``params`` = (case, framework); subclasses set ``tag`` via ``params``."""

    param_names = ["case", "framework"]
    timeout = 1800


class _TrackBase(_CaseBenchmark):
    """Convergence and accuracy figures from the harness runs (medians over the seeds).

    Each topic class defines its own ``setup_cache`` (calling :func:`run_cases`): asv keys the
    cache by where ``setup_cache`` is defined, so one shared definition would be run once and
    its result handed to every topic.
    """

    def track_test_mse(self, summary, case, framework):
        return summary[(case, framework)]["test_mse"]

    track_test_mse.unit = "mse"

    def track_train_mse(self, summary, case, framework):
        return summary[(case, framework)]["train_mse"]

    track_train_mse.unit = "mse"

    def track_convergence_epochs(self, summary, case, framework):
        """Median epochs to the case's shared target over the seeds, a seed that never got
        there counting as later than any epoch (NaN when half the seeds never did)."""
        return summary[(case, framework)]["convergence_epoch"]

    track_convergence_epochs.unit = "epochs"

    def track_seconds_to_target(self, summary, case, framework):
        return summary[(case, framework)]["seconds_to_target"]

    track_seconds_to_target.unit = "seconds"

    def track_probe_prediction(self, summary, case, framework):
        """Prediction on the case's first probe input (the tutorial's unseen sample); NaN if none."""
        return summary[(case, framework)]["probe_prediction"]

    track_probe_prediction.unit = "prediction"


class _TimeBase(_CaseBenchmark):
    """One training epoch and one predict over the test rows."""

    number = 1
    repeat = (1, 3, 10.0)  # (min, max repeats, max seconds): one epoch of a slow case is seconds
    warmup_time = 0
    min_run_count = 1

    def setup(self, case, framework):
        from scratchnet.bench import frameworks
        from scratchnet.bench.cases import build_model
        from scratchnet.bench.running.runner import dataset_for

        c = CASES[case]
        adapter = frameworks.get_adapter(framework)
        reason = adapter.supports(c)
        if reason:
            raise NotImplementedError(f"{framework} cannot run {case}: {reason}")  # asv skips it
        self.case, self.ds = c, dataset_for(c)
        seed = c.seeds(1)[0]
        initial = build_model(c, seed, n_features=self.ds.n_features).get_weights()
        # the keras contender runs with its calibrated setting (cached beside the runs)
        trainer = adapter.prepare(c, self.ds, initial, "parity", seed, results_dir=RESULTS_DIR)
        self._fit = lambda: trainer.train_epoch(self.ds.X_train, self.ds.y_train)
        predict = getattr(trainer, "timed_predict", trainer.predict)
        self._predict = lambda: predict(self.ds.X_test)
        self._fit()  # warm-up: Keras traces its train function here, outside the timings
        self._predict()

    def time_train_epoch(self, case, framework):
        self._fit()

    def time_predict(self, case, framework):
        self._predict()
