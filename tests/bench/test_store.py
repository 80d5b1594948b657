"""Tests of the results store (scratchnet.bench.store, .lock, .validate): two concurrent
writers, damaged tables (refused, or repaired with --repair), runs whose epoch rows are
missing, and a lock or a claim left by a killed process.

Only scratchnet runs here (no TensorFlow), on tiny cases. The concurrency test starts two
real ``scratchnet-bench run`` processes on overlapping cases.
"""
from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from scratchnet.bench import cli, store
from scratchnet.bench.cases import CASES
from scratchnet.bench.store.lock import DirectoryLock, Session
from scratchnet.bench.store.schema import EPOCH_COLUMNS, RUN_COLUMNS, RUN_KEY
from scratchnet.bench.running.suite import run_suite

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
       "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")])}


def _suite(results, cases, n_seeds=1, epochs=3, **kw):
    return run_suite(cases, frameworks=("scratchnet",), modes=("parity",), n_seeds=n_seeds, results_dir=results,
                     parity=False, epochs=epochs, progress=False, profile="full", **kw)


def _keys(frame):
    return {tuple(map(str, r)) for r in frame[list(RUN_KEY)].itertuples(index=False)}


def _bench(*args: str) -> list[str]:
    return [sys.executable, "-m", "scratchnet.bench.cli", "run", "--frameworks", "scratchnet", "--no-parity",
            "--no-progress", *args]


# --------------------------------------------------------------------------- two writers


def test_two_concurrent_runs_lose_nothing_and_train_nothing_twice(tmp_path):
    """The issue's two-terminal scenario: 'neuron3-batch-*' in one process while another runs
    'neuron3-batch-*,neuron3-sgd-*' into the same directory."""
    results = tmp_path / "R"
    common = ["--seeds", "3", "--epochs", "60", "--results", str(results)]
    first = subprocess.Popen(_bench("--cases", "neuron3-batch-*", *common), env=ENV, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    second = subprocess.Popen(_bench("--cases", "neuron3-batch-*,neuron3-sgd-*", *common), env=ENV, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    outs = [p.communicate(timeout=300) for p in (first, second)]
    for p, (out, err) in zip((first, second), outs):
        assert p.returncode == 0, out + err
    batch = [c for c in CASES if c.startswith("neuron3-batch-")]
    sgd = [c for c in CASES if c.startswith("neuron3-sgd-")]
    expected = {(c, "scratchnet", "parity", str(s)) for c in batch + sgd for s in CASES[c].seeds(3)}

    runs = pd.read_csv(results / "runs.csv")
    epochs = pd.read_csv(results / "epochs.csv")
    assert _keys(runs) == expected and len(runs) == len(expected)
    assert (runs["epochs_run"] == 60).all() and (runs["status"] == "ok").all()
    assert len(epochs) == 60 * len(expected), "epoch rows were lost"
    assert not epochs.duplicated([*RUN_KEY, "epoch"]).any()
    assert _keys(epochs) == expected

    counts = []
    for out, _ in outs:
        m = re.search(r"^(\d+) tasks run, (\d+) already recorded", out, re.M)
        counts.append((int(m.group(1)), int(m.group(2))))
    # every task trained exactly once, in one process or the other
    assert counts[0][0] + counts[1][0] == len(expected), outs
    # what a process did not run, it either found recorded or names as left to the other
    for (ran, skipped), (out, _), planned in zip(counts, outs, (len(batch) * 3, len(expected))):
        left = re.findall(r"^  (neuron3-\S+ scratchnet parity seed=\d+): ", out, re.M)
        assert ran + skipped + len(left) == planned, out
    store_files = sorted(p.name for p in (results / ".claims").iterdir())
    assert store_files == [], f"claims left behind: {store_files}"
    assert (results / ".lock").read_text() == ""


def test_claims_skip_a_task_another_live_process_holds(tmp_path):
    case = CASES["neuron3-batch-tanh"]
    seeds = case.seeds(2)
    holder = store.ResultStore(tmp_path)
    task_id = f"run|{case.name} scratchnet parity seed={seeds[0]}"
    assert holder.claim(task_id, lambda: False) is None
    summary = _suite(tmp_path, [case], n_seeds=2)
    assert summary.done == 1 and len(summary.left) == 1
    label, why = summary.left[0]
    assert label == f"{case.name} scratchnet parity seed={seeds[0]}"
    assert f"pid {os.getpid()}" in why
    assert _keys(pd.read_csv(tmp_path / "runs.csv")) == {(case.name, "scratchnet", "parity", str(seeds[1]))}
    holder.close()
    again = _suite(tmp_path, [case], n_seeds=2)  # the claim is gone: the task runs now
    assert (again.done, again.skipped, again.left) == (1, 1, [])


# --------------------------------------------------------------------------- damaged tables


@pytest.fixture()
def recorded(tmp_path):
    cases = [CASES["neuron3-batch-sigmoid"], CASES["neuron3-batch-tanh"]]
    _suite(tmp_path, cases, n_seeds=2, epochs=3)
    return tmp_path, cases


def test_truncated_runs_table_is_refused_naming_the_line(recorded, capsys):
    results, cases = recorded
    path = results / "runs.csv"
    text = path.read_text()
    assert text.count("\n") == 5
    path.write_text(text[:len(text) - 40])  # cut in the middle of the 4th run (line 5)
    snapshot = path.read_bytes()
    with pytest.raises(store.DamagedTable, match=re.escape(f"{path}: 1 damaged line(s): line 5: ")) as info:
        store.read_table(path, RUN_COLUMNS)
    assert "--repair" in str(info.value) and "3 valid row(s)" in str(info.value)
    args = ["run", "--cases", "neuron3-batch-sigmoid,neuron3-batch-tanh", "--frameworks", "scratchnet",
            "--seeds", "2", "--epochs", "3", "--no-parity", "--no-progress", "--results", str(results)]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "runs.csv" in err and "line 5" in err
    assert path.read_bytes() == snapshot, "a damaged table must never be overwritten"

    assert cli.main([*args, "--repair"]) == 0
    out, err = capsys.readouterr()
    aside = [p.name for p in results.iterdir() if p.name.startswith("runs.csv.damaged-")]
    assert len(aside) == 1 and (results / aside[0]).read_bytes() == snapshot
    assert aside[0] in err and "kept its 3 valid row(s)" in err
    assert "1 tasks run, 3 already recorded" in out  # the cut run ran again
    runs = store.read_table(path, RUN_COLUMNS)
    assert len(runs) == 4 and (runs["epochs_run"] == 3).all()
    assert len(store.read_table(results / "epochs.csv", EPOCH_COLUMNS)) == 12


def test_garbage_line_in_epochs_is_refused_then_repaired_and_rerun(recorded, capsys):
    results, cases = recorded
    path = results / "epochs.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[4] = "\x1b[Kgarbage, from a terminal paste\n"  # line 5: epoch 1 of the 2nd run
    path.write_text("".join(lines))
    with pytest.raises(store.DamagedTable, match=r"epochs\.csv: 1 damaged line\(s\): line 5: 2 fields"):
        store.ResultStore(results).check()
    st = store.ResultStore(results, repair=True)
    notes = st.check()
    assert len(notes) == 1 and "2 epoch row(s) recorded for epochs_run=3; it will run again" in notes[0]
    assert len([p for p in results.iterdir() if p.name.startswith("epochs.csv.damaged-")]) == 1
    summary = _suite(results, cases, n_seeds=2, epochs=3)
    assert (summary.done, summary.skipped) == (1, 3)
    epochs = store.read_table(path, EPOCH_COLUMNS)
    assert len(epochs) == 12 and not epochs.duplicated([*RUN_KEY, "epoch"]).any()


def _set(text: str, column: str, value: str) -> str:
    """``text`` (a CSV table) with ``column`` of its 2nd row set to ``value``."""
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame.loc[1, column] = value
    return frame.to_csv(index=False)


@pytest.mark.parametrize("edit, reason", [
    (lambda t: t.replace(",ok,", ",fine,", 1), "status 'fine' is not one of"),
    (lambda t: t + t.splitlines(keepends=True)[1], "duplicate key"),
    (lambda t: _set(t, "epochs", "three"), "column 'epochs' holds 'three', not an integer"),
    (lambda t: _set(t, "test_mse", "0.1.2"), "column 'test_mse' holds '0.1.2', not a number"),
    (lambda t: _set(t, "epoch_overhead_seconds", "40ms"), "column 'epoch_overhead_seconds' holds '40ms', not a number"),
    (lambda t: _set(t, "case", ""), "required field 'case' is empty"),
    (lambda t: "\n".join(t.split("\n")[:2]) + "\n\n" + "\n".join(t.split("\n")[2:]), "blank line"),
])
def test_each_kind_of_damage_is_named(recorded, edit, reason):
    results, _ = recorded
    path = results / "runs.csv"
    path.write_text(edit(path.read_text()))
    with pytest.raises(store.DamagedTable, match=re.escape(reason)):
        store.read_table(path, RUN_COLUMNS)


def test_missing_key_column_is_fatal_and_unknown_columns_are_kept(recorded):
    results, _ = recorded
    path = results / "runs.csv"
    frame = pd.read_csv(path)
    frame.drop(columns=["seed"]).to_csv(path, index=False)
    with pytest.raises(store.DamagedTable, match=r"line 1: missing columns \['seed'\]"):
        store.read_table(path, RUN_COLUMNS)
    # a column we do not know is kept through an upsert; a schema column the file predates reads empty
    frame.assign(gpu="none").drop(columns=["started_at"]).to_csv(path, index=False)
    st = store.ResultStore(results)
    read = st.read("runs.csv")
    assert "gpu" in read.columns and read["started_at"].isna().all()
    row = read.iloc[0].to_dict()
    row.update(seed=1, gpu=None)
    st.upsert("runs.csv", [row])
    again = pd.read_csv(path)
    assert list(again.columns) == [*RUN_COLUMNS, "gpu"] and len(again) == 5
    assert (again["gpu"].iloc[:4] == "none").all()


def test_run_without_its_epoch_rows_is_reported_and_rerun(recorded):
    results, cases = recorded
    epochs = pd.read_csv(results / "epochs.csv")
    gone = epochs.iloc[0][list(RUN_KEY)].tolist()
    keep = ~(epochs[list(RUN_KEY)].astype(str).apply(tuple, axis=1) == tuple(map(str, gone)))
    epochs[keep].to_csv(results / "epochs.csv", index=False)
    notes = store.ResultStore(results).check()
    assert notes == [f"{results}/runs.csv: run {' '.join(map(str, gone))}: 0 epoch row(s) recorded for "
                     "epochs_run=3; it will run again"]
    summary = _suite(results, cases, n_seeds=2, epochs=3)
    assert (summary.done, summary.skipped) == (1, 3)
    assert len(pd.read_csv(results / "epochs.csv")) == 12
    assert store.ResultStore(results).check() == []


# --------------------------------------------------------------------------- killed holders

_HOLD = textwrap.dedent("""
    import sys, time
    from scratchnet.bench.store.lock import DirectoryLock, Session
    directory, what = sys.argv[1], sys.argv[2]
    if what == "lock":
        lock = DirectoryLock(directory)
        lock.acquire()
        print("held", flush=True)
        time.sleep(float(sys.argv[3]))
        lock.release()
    else:
        with DirectoryLock(directory):
            Session(directory).claim("run|some task")
        print("held", flush=True)
        time.sleep(float(sys.argv[3]))
""")


def _holder(directory: Path, what: str, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(directory), what, str(seconds)], env=ENV,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    proc = _holder(tmp_path, "lock", 120)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert f"{proc.pid} " in (tmp_path / ".lock").read_text()  # it died holding the lock
    messages: list[str] = []
    lock = DirectoryLock(tmp_path, messages.append, quiet_wait=0)
    done = threading.Event()

    def take():
        with lock:
            done.set()

    taker = threading.Thread(target=take, daemon=True)
    taker.start()
    assert done.wait(10), "a dead holder's lock must not block"
    taker.join(10)
    assert lock.took_over is not None and lock.took_over.pid == proc.pid
    assert len(messages) == 1 and f"took over the results lock left by pid {proc.pid}" in messages[0]
    assert (tmp_path / ".lock").read_text() == ""


def test_a_live_holder_is_named_and_waited_for(tmp_path):
    proc = _holder(tmp_path, "lock", 1.0)
    messages: list[str] = []
    start = time.monotonic()
    with DirectoryLock(tmp_path, messages.append, quiet_wait=0.1) as lock:
        waited = time.monotonic() - start
        assert lock.took_over is None
    proc.wait(timeout=30)
    proc.stdout.close()
    assert waited > 0.2
    assert len(messages) == 1 and f"held by pid {proc.pid} on host" in messages[0]


def test_claim_left_by_a_killed_process_is_taken_over(tmp_path):
    proc = _holder(tmp_path, "claim", 120)
    session = Session(tmp_path)
    with DirectoryLock(tmp_path):
        holder = session.claim("run|some task")
    assert holder is not None and holder.pid == proc.pid  # alive: its claim stands
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    with DirectoryLock(tmp_path):
        assert session.claim("run|some task") is None  # dead: taken over
    session.close()
    assert sorted(p.name for p in (tmp_path / ".claims").iterdir()) == []


def test_a_table_of_another_layout_is_checked_for_its_columns_and_key(tmp_path):
    path = tmp_path / "t.csv"
    cols, key = ("case", "seed", "value"), ("case", "seed")
    store.upsert_rows(path, [{"case": "a", "seed": 1, "value": None}, {"case": "b", "seed": 1, "value": 2.0}],
                      cols, key)
    assert len(store.read_table(path, cols, key=key)) == 2  # an empty value is allowed
    with pytest.raises(store.DamagedTable, match=r"line 1: missing columns \['other'\]"):
        store.read_table(path, (*cols, "other"))
    path.write_text(path.read_text() + "a,1,3.0\n")
    with pytest.raises(store.DamagedTable, match=r"line 4: duplicate key \{'case': 'a', 'seed': '1'\} \(first on line 2\)"):
        store.read_table(path, cols, key=key)
