"""Tests of scratchnet.bench.running.suite and .store: recorded tables, resume, crash safety,
profile guard, upsert, and failing runs.

Only scratchnet runs here (no TensorFlow), on tiny cases with a small epochs override.
The crash test kills a real ``scratchnet-bench run`` subprocess with SIGKILL mid-suite.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from scratchnet.bench import store
from scratchnet.bench.cases import CASES
from scratchnet.bench.running.runner import dataset_for
from scratchnet.bench.store.schema import CASE_COLUMNS, EPOCH_COLUMNS, RUN_COLUMNS, RUN_KEY
from scratchnet.bench.running.suite import run_suite

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

TABLES = ("runs.csv", "epochs.csv", "cases.csv", "environment.json", "targets.csv")
STORE_FILES = (".lock", ".claims")  # the store's lock and task claims
TMP_NAME = re.compile(r"^\.(runs|epochs|cases|environment|parity|parity_epochs|targets)\.(csv|json)\..+\.tmp$")


def _suite(results_dir, cases, n_seeds=2, epochs=3, **kw):
    kw.setdefault("profile", "full")
    return run_suite(cases, frameworks=("scratchnet",), modes=("parity",), n_seeds=n_seeds,
                     results_dir=results_dir, parity=False, epochs=epochs, progress=False, **kw)


def _keys(frame):
    return [tuple(map(str, r)) for r in frame[list(RUN_KEY)].itertuples(index=False)]


# Re-measured by the suite against the shared target of each case and mode whenever runs are
# added (scratchnet.bench.measures.targets): every other column of a recorded row stays as it was.
SHARED_TARGET_COLUMNS = ["target_loss", "target_rule", "convergence_epoch", "seconds_to_target",
                         "still_improving"]


def _measured(frame):
    return frame.drop(columns=SHARED_TARGET_COLUMNS)


def _expected_keys(cases, n_seeds):
    return {(c.name, "scratchnet", "parity", str(s)) for c in cases for s in c.seeds(n_seeds)}


# --------------------------------------------------------------------------- tables and resume


def test_suite_writes_schema_tables_and_resume_skips_everything(tmp_path):
    cases = [CASES["neuron3-batch-sigmoid"], CASES["nobias-2-3-1"]]
    summary = _suite(tmp_path, cases, n_seeds=2, epochs=3)
    assert (summary.done, summary.skipped) == (4, 0)
    assert summary.statuses == {"ok": 4}
    assert summary.parity_failed == []
    assert Path(summary.results_dir) == tmp_path
    for name in TABLES:
        assert (tmp_path / name).is_file(), name
    assert not (tmp_path / "parity.csv").exists()  # parity=False: no parity task ran

    runs = pd.read_csv(tmp_path / "runs.csv")
    epochs = pd.read_csv(tmp_path / "epochs.csv")
    cases_tab = pd.read_csv(tmp_path / "cases.csv")
    assert list(runs.columns) == list(RUN_COLUMNS)
    assert list(epochs.columns) == list(EPOCH_COLUMNS)
    # registered grid variants (e.g. claims' sensitivity variants) add their grid_<key> columns
    assert list(cases_tab.columns)[:len(CASE_COLUMNS)] == list(CASE_COLUMNS)
    assert all(c.startswith("grid_") for c in list(cases_tab.columns)[len(CASE_COLUMNS):])
    assert len(runs) == 4 and len(epochs) == 4 * 3
    assert set(_keys(runs)) == _expected_keys(cases, 2) and len(set(_keys(runs))) == 4
    assert (runs["status"] == "ok").all() and (runs["epochs_run"] == 3).all()
    for key, group in epochs.groupby(list(RUN_KEY)):
        assert sorted(group["epoch"]) == [1, 2, 3]
        run = runs[(runs["case"] == key[0]) & (runs["seed"] == key[3])].iloc[0]
        assert run["test_mse"] == group.loc[group["epoch"].idxmax(), "test_mse"]
    assert list(cases_tab["case"]) == list(CASES)
    for c in cases:
        assert (runs.loc[runs["case"] == c.name, "fingerprint"] == dataset_for(c).fingerprint).all()

    env = json.loads((tmp_path / "environment.json").read_text())
    assert env["profile"] == "full" and env["epochs_override"] == 3 and env["seeds"] == 2
    assert env["frameworks"] == ["scratchnet"] and env["modes"] == ["parity"]
    assert env["datasets"] == {c.dataset: dataset_for(c).fingerprint for c in cases}

    before = {n: (tmp_path / n).read_bytes() for n in ("runs.csv", "epochs.csv", "cases.csv")}
    again = _suite(tmp_path, cases, n_seeds=2, epochs=3)
    assert (again.done, again.skipped) == (0, 4)
    assert again.statuses == {}
    for name, data in before.items():
        assert (tmp_path / name).read_bytes() == data, name
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

    # more seeds later: only the new ones run, the old rows stay as they were
    more = _suite(tmp_path, cases, n_seeds=3, epochs=3)
    assert (more.done, more.skipped) == (2, 4)
    runs3 = pd.read_csv(tmp_path / "runs.csv")
    assert set(_keys(runs3)) == _expected_keys(cases, 3) and len(runs3) == 6
    pd.testing.assert_frame_equal(_measured(runs3.iloc[:4].reset_index(drop=True)), _measured(runs))
    # ... and the shared-target columns are the ones computed from all six runs' curves
    from scratchnet.bench.measures import targets

    again3 = targets.evaluate(runs3, pd.read_csv(tmp_path / "epochs.csv")).runs
    pd.testing.assert_frame_equal(runs3[SHARED_TARGET_COLUMNS], again3[SHARED_TARGET_COLUMNS], check_dtype=False)
    assert (runs3["target_rule"] == "derived").all()


def test_profile_mismatch_is_refused(tmp_path):
    cases = [CASES["neuron3-batch-sigmoid"]]
    fast = _suite(tmp_path, cases, n_seeds=1, epochs=None, profile="fast")
    assert fast.statuses == {"ok": 1}
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert runs["epochs"].tolist() == [cases[0].quick_epochs]
    snapshot = (tmp_path / "runs.csv").read_bytes()
    with pytest.raises(ValueError, match=re.escape(str(tmp_path))) as info:
        _suite(tmp_path, cases, n_seeds=1, epochs=None, profile="full")
    assert "'fast'" in str(info.value) and "'full'" in str(info.value)
    # an epochs override is a different profile too
    with pytest.raises(ValueError, match=re.escape(str(tmp_path))):
        _suite(tmp_path, cases, n_seeds=1, epochs=7, profile="fast")
    assert (tmp_path / "runs.csv").read_bytes() == snapshot


def test_failing_run_is_recorded_and_the_suite_goes_on(tmp_path, monkeypatch):
    broken = dataclasses.replace(CASES["neuron3-batch-sigmoid"], name="broken-dataset",
                                 dataset="no-such-dataset")
    monkeypatch.setitem(CASES, "broken-dataset", broken)
    good = CASES["neuron3-batch-tanh"]
    summary = _suite(tmp_path, [broken, good], n_seeds=1, epochs=2)
    assert summary.done == 2
    assert summary.statuses == {"error": 1, "ok": 1}
    runs = pd.read_csv(tmp_path / "runs.csv", keep_default_na=False)
    assert len(runs) == 2
    bad = runs[runs["case"] == "broken-dataset"].iloc[0]
    assert bad["status"] == "error" and "no-such-dataset" in bad["message"]
    assert runs[runs["case"] == good.name].iloc[0]["status"] == "ok"
    epochs = pd.read_csv(tmp_path / "epochs.csv")
    assert set(epochs["case"]) == {good.name} and len(epochs) == 2
    env = json.loads((tmp_path / "environment.json").read_text())
    assert env["datasets"] == {good.dataset: dataset_for(good).fingerprint}
    # on resume the errored run is retried, the finished one skipped
    again = _suite(tmp_path, [broken, good], n_seeds=1, epochs=2)
    assert (again.done, again.skipped) == (1, 1)
    assert again.statuses == {"error": 1}
    assert len(pd.read_csv(tmp_path / "runs.csv")) == 2


def test_run_suite_validates_arguments(tmp_path):
    case = [CASES["perceptron"]]
    for kwargs, pattern in [({"frameworks": ("jax",)}, "unknown framework 'jax'"),
                            ({"modes": ("fast",)}, "unknown mode 'fast'"),
                            ({"n_seeds": 0}, "seeds must be >= 1"),
                            ({"jobs": 0}, "jobs must be >= 1")]:
        base = {"frameworks": ("scratchnet",), "modes": ("parity",), "n_seeds": 1, "jobs": 1}
        base.update(kwargs)
        with pytest.raises(ValueError, match=re.escape(pattern)):
            run_suite(case, results_dir=tmp_path / "r", parity=False, progress=False, **base)
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------------- crash safety


def _bench_command(results: Path, n_seeds: int) -> list[str]:
    script = Path(sys.executable).with_name("scratchnet-bench")
    prefix = [str(script)] if script.exists() else [sys.executable, "-m", "scratchnet.bench.cli"]
    return [*prefix, "run", "--cases", "california-2-3-1", "--frameworks", "scratchnet", "--modes", "parity",
            "--seeds", str(n_seeds), "--epochs", "1", "--no-parity", "--no-progress", "--results", str(results)]


def _check_dir_is_sane(results: Path) -> pd.DataFrame:
    """No truncated table: every file is a real table (parses, has its columns) or a .*.tmp."""
    names = sorted(p.name for p in results.iterdir())
    for name in names:
        assert name in TABLES or name in STORE_FILES or TMP_NAME.match(name), f"unexpected file {name}"
    runs = store.read_table(results / "runs.csv", RUN_COLUMNS)
    epochs = store.read_table(results / "epochs.csv", EPOCH_COLUMNS)
    cases = store.read_table(results / "cases.csv", CASE_COLUMNS)
    assert len(cases) == len(CASES)
    json.loads((results / "environment.json").read_text())
    assert len(set(_keys(runs))) == len(runs)
    # epochs.csv is merged before runs.csv: every recorded run has its epoch rows
    assert set(_keys(runs)) <= set(_keys(epochs))
    return runs


def test_killed_suite_leaves_whole_tables_and_resumes(tmp_path):
    case = CASES["california-2-3-1"]
    n_seeds = 6
    results = tmp_path / "res"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(_bench_command(results, n_seeds), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            runs_path = results / "runs.csv"
            if runs_path.exists():
                try:
                    if len(pd.read_csv(runs_path)) >= 1:
                        break
                except (pd.errors.EmptyDataError, pd.errors.ParserError):
                    pass
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"suite ended before it could be killed (rc {proc.returncode}):\n{err.decode()}")
            assert time.monotonic() < deadline, "no run recorded within 120 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    partial = _check_dir_is_sane(results)
    k = len(partial)
    assert 1 <= k < n_seeds, "the kill must interrupt the suite"
    assert set(_keys(partial)) <= _expected_keys([case], n_seeds)

    summary = _suite(results, [case], n_seeds=n_seeds, epochs=1)
    assert (summary.done, summary.skipped) == (n_seeds - k, k)
    assert summary.statuses == {"ok": n_seeds - k}
    final = _check_dir_is_sane(results)
    assert sorted(_keys(final)) == sorted(_expected_keys([case], n_seeds))
    assert len(final) == n_seeds
    epochs = pd.read_csv(results / "epochs.csv")
    assert len(epochs) == n_seeds and not epochs.duplicated(list(RUN_KEY) + ["epoch"]).any()
    # the rows recorded before the kill are untouched
    key = list(RUN_KEY)
    earlier = final.merge(partial[key], on=key).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(_measured(earlier),
                                  _measured(partial.sort_values(key).reset_index(drop=True)))


# --------------------------------------------------------------------------- store


def test_upsert_replaces_same_key_and_keeps_others(tmp_path):
    path = tmp_path / "t.csv"
    cols, key = ("case", "seed", "value"), ("case", "seed")
    first = store.upsert_rows(path, [{"case": "a", "seed": 1, "value": 1.0},
                                     {"case": "a", "seed": 2, "value": 2.0},
                                     {"case": "b", "seed": 1, "value": 3.0}], cols, key)
    assert len(first) == 3
    merged = store.upsert_rows(path, [{"case": "a", "seed": 2, "value": 20.0},
                                      {"case": "c", "seed": 1, "value": 4.0}], cols, key)
    on_disk = pd.read_csv(path)
    assert list(on_disk.columns) == list(cols)
    got = {(r.case, r.seed): r.value for r in on_disk.itertuples()}
    assert got == {("a", 1): 1.0, ("a", 2): 20.0, ("b", 1): 3.0, ("c", 1): 4.0}
    assert len(merged) == 4
    # nothing new: the table is returned as it is, the file untouched
    snapshot = path.read_bytes()
    assert len(store.upsert_rows(path, [], cols, key)) == 4
    assert path.read_bytes() == snapshot
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "t.csv"]  # no temp file left behind
    assert (tmp_path / ".lock").read_text() == ""  # the lock was released cleanly


def test_read_table_absent_and_missing_columns(tmp_path):
    empty = store.read_table(tmp_path / "absent.csv", RUN_COLUMNS)
    assert empty.empty and list(empty.columns) == list(RUN_COLUMNS)
    bad = tmp_path / "runs.csv"
    bad.write_text("case,framework\nx,scratchnet\n")
    with pytest.raises(ValueError, match=re.escape(str(bad))) as info:
        store.read_table(bad, RUN_COLUMNS)
    assert "'mode'" in str(info.value) and "'seed'" in str(info.value)
    assert "'case'" not in str(info.value).split("missing columns", 1)[1]


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "sub" / "x.json"
    store.write_json({"b": 1, "a": [1, 2]}, path)
    assert json.loads(path.read_text()) == {"a": [1, 2], "b": 1}
    store.write_json({"c": 3}, path)
    assert json.loads(path.read_text()) == {"c": 3}
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]
    mode = path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_environment_keeps_modes_of_earlier_invocations(tmp_path):
    case = [CASES["neuron3-batch-sigmoid"]]
    _suite(tmp_path, case, n_seeds=1, epochs=2)
    run_suite(case, frameworks=("scratchnet",), modes=("native",), n_seeds=1, results_dir=tmp_path,
              parity=False, epochs=2, progress=False, profile="full")
    env = json.loads((tmp_path / "environment.json").read_text())
    assert env["modes"] == ["parity", "native"]
    assert env["frameworks"] == ["scratchnet"]
    assert env["datasets"] == {"three-feature": dataset_for(case[0]).fingerprint}
    runs = store.read_table(tmp_path / "runs.csv", RUN_COLUMNS)
    assert sorted(runs["mode"]) == ["native", "parity"]


def test_nothing_to_run_starts_no_worker_pool(monkeypatch):
    """A resumed suite with every task recorded starts no joblib pool (nor its resource tracker,
    which would outlive the command)."""
    import joblib

    from scratchnet.bench.running import suite as suite_module

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started with nothing to run")

    monkeypatch.setattr(joblib, "Parallel", no_pool)
    assert list(suite_module._iterate(iter(()), {}, "fast", None, None, 2, lambda task: None)) == []
