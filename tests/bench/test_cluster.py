"""Tests of grids on a real Dask ``LocalCluster`` (2 worker processes, one thread each):
a 2x2 grid runs to completion with the right rows and the same numbers as the serial path,
a driver killed mid-run resumes, and a worker killed mid-task loses nothing.

Only scratchnet runs (no TensorFlow). One cluster serves the module; the driver-kill test
starts its own ``local:2`` cluster inside the killed ``scratchnet-bench run`` process.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from scratchnet.bench import store
from scratchnet.bench.cases import CASES
from scratchnet.bench.running.cluster import parse_scheduler
from scratchnet.bench.store.schema import RUN_KEY
from scratchnet.bench.running.suite import run_suite
from scratchnet.bench.cases.sweep import expand

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.filterwarnings("ignore")

ROOT = str(Path(__file__).resolve().parents[2])
NUMBERS = ["train_loss", "test_loss", "train_mse", "test_mse"]


@pytest.fixture(scope="module")
def cluster():
    env = {"PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]), "TF_CPP_MIN_LOG_LEVEL": "2"}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  env=env) as lc, distributed.Client(lc) as client:
        yield lc.scheduler_address, client


def _suite(results, cases, scheduler=None, n_seeds=1, epochs=3):
    return run_suite(cases, frameworks=("scratchnet",), modes=("parity",), n_seeds=n_seeds, results_dir=results,
                     parity=False, epochs=epochs, progress=False, profile="full", scheduler=scheduler)


def _sorted(frame, extra=()):
    return frame.sort_values([*RUN_KEY, *extra]).reset_index(drop=True)


def _assert_whole(results: Path, expected: set) -> pd.DataFrame:
    """Every expected run once, with exactly epochs_run epoch rows, nothing else."""
    st = store.ResultStore(results)
    assert st.check() == []
    runs, epochs = st.read("runs.csv"), st.read("epochs.csv")
    keys = [tuple(map(str, r)) for r in runs[list(RUN_KEY)].itertuples(index=False)]
    assert sorted(keys) == sorted(expected)
    assert len(epochs) == runs["epochs_run"].sum()
    return runs


def test_scheduler_argument_is_checked():
    assert parse_scheduler("local:2") == ("local", 2)
    assert parse_scheduler("tcp://10.0.0.5:8786") == ("address", "tcp://10.0.0.5:8786")
    for bad in ("local:0", "local", "local:two", "not an address"):
        with pytest.raises(ValueError, match="--scheduler"):
            parse_scheduler(bad)


def test_grid_runs_on_dask_with_the_serial_numbers(cluster, tmp_path):
    address, _ = cluster
    base = CASES["neuron3-batch-tanh"]
    variants = expand([base], {"learning_rate": ["0.05", "0.5"], "batch_size": ["1", "2"]})
    names = sorted(v.name for v in variants)
    assert names == [f"{base.name}[batch_size={b},learning_rate={lr}]" for b in (1, 2) for lr in ("0.05", "0.5")]
    seeds = base.seeds(1)
    summary = _suite(tmp_path / "dask", variants, scheduler=address)
    assert (summary.done, summary.statuses) == (4, {"ok": 4})
    expected = {(n, "scratchnet", "parity", str(seeds[0])) for n in names}
    runs = _sorted(_assert_whole(tmp_path / "dask", expected))
    assert (runs["epochs_run"] == 3).all() and (runs["base_case"] == base.name).all()
    assert sorted(map(str, runs["grid_learning_rate"])) == ["0.05", "0.05", "0.5", "0.5"]
    assert sorted(runs["grid_batch_size"].astype(int)) == [1, 1, 2, 2]
    assert sorted(runs["batch_size"].astype(int)) == [1, 1, 2, 2]
    assert runs["host"].astype(str).str.len().gt(0).all() and runs["cpu_model"].notna().all()
    pools = runs["threads"].str.replace(r"^cpus=[^,]+,", "", regex=True)  # the CPU set first, then the pools
    assert pools.str.contains("=1").all()  # BLAS pinned to one thread on the workers
    cases_tab = store.ResultStore(tmp_path / "dask").read("cases.csv")
    assert set(names) <= set(cases_tab["case"])

    serial = _suite(tmp_path / "serial", variants)
    assert serial.done == 4
    a = store.ResultStore(tmp_path / "serial")
    b = store.ResultStore(tmp_path / "dask")
    pd.testing.assert_frame_equal(_sorted(a.read("runs.csv"))[[*RUN_KEY, *NUMBERS, "convergence_epoch"]],
                                  runs[[*RUN_KEY, *NUMBERS, "convergence_epoch"]])
    ea, eb = _sorted(a.read("epochs.csv"), ["epoch"]), _sorted(b.read("epochs.csv"), ["epoch"])
    assert len(ea) == 12
    pd.testing.assert_frame_equal(ea[[*RUN_KEY, "epoch", *NUMBERS]], eb[[*RUN_KEY, "epoch", *NUMBERS]],
                                  check_exact=True)
    again = _suite(tmp_path / "dask", variants, scheduler=address)  # resume: nothing left to do
    assert (again.done, again.skipped) == (0, 4)


def test_a_worker_killed_mid_task_loses_nothing(cluster, tmp_path):
    address, client = cluster
    case = CASES["california-2-3-1"]
    pids = client.run(os.getpid)
    killed: list[str] = []

    def kill_one_running() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                time.sleep(0.5)  # well inside the task (each runs for seconds)
                if client.processing().get(busy[0]):  # still running a task: kill it mid-task
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.append(busy[0])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_running, daemon=True)
    killer.start()
    summary = _suite(tmp_path, [case], scheduler=address, n_seeds=3, epochs=4)
    killer.join(5)
    assert killed, "no worker was killed: the test did not test anything"
    expected = {(case.name, "scratchnet", "parity", str(s)) for s in case.seeds(3)}
    runs = _assert_whole(tmp_path, expected)
    # the lost task was rerun on another worker (or, at worst, recorded as an error with the reason)
    ok = runs["status"] == "ok"
    assert ok.sum() + (runs["status"] == "error").sum() == 3
    assert runs.loc[~ok, "message"].astype(str).str.contains("worker died").all()
    print(f"killed worker {killed[0]}: statuses {runs['status'].value_counts().to_dict()}")
    assert summary.done == 3
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker


def test_a_killed_driver_resumes(cluster, tmp_path):
    address, _ = cluster
    case = CASES["california-2-3-1"]
    results = tmp_path / "res"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get(
        "PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "scratchnet.bench.cli", "run", "--cases", case.name, "--frameworks", "scratchnet",
           "--seeds", "6", "--epochs", "2", "--no-parity", "--no-progress", "--results", str(results),
           "--scheduler", "local:2"]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if len(store.ResultStore(results).read("runs.csv")) >= 1:
                    break
            except (store.DamagedTable, OSError):
                pass
            if proc.poll() is not None:
                pytest.fail(f"the run ended before it could be killed:\n{proc.communicate()[1].decode()}")
            assert time.monotonic() < deadline, "no run recorded within 180 s"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its LocalCluster's workers
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    partial = store.ResultStore(results).read("runs.csv")
    k = len(partial)
    assert 1 <= k < 6, "the kill must interrupt the run"
    summary = _suite(results, [case], scheduler=address, n_seeds=6, epochs=2)
    assert (summary.done, summary.skipped, summary.left) == (6 - k, k, [])
    expected = {(case.name, "scratchnet", "parity", str(s)) for s in case.seeds(6)}
    final = _assert_whole(results, expected)
    assert (final["status"] == "ok").all()
