"""Tests of scratchnet.bench.running.cores: one core per worker, claimed through a lock that ends
with its process, and the CPU set a run records."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from scratchnet.bench.cases import CASES
from scratchnet.bench.running import cores
from scratchnet.bench.running.suite import run_suite

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity (Linux)")

# A process that claims a core, prints it and the CPU set its threads run on, then holds the claim
# until its standard input closes. The thread it starts BEFORE the claim must end up pinned too.
HOLDER = textwrap.dedent("""
    import os, sys, threading
    from scratchnet.bench.running import cores
    seen = {}
    started, claimed = threading.Event(), threading.Event()
    def worker():
        started.set(); claimed.wait()
        seen["thread"] = sorted(os.sched_getaffinity(0))
    t = threading.Thread(target=worker); t.start(); started.wait()
    core = cores.claim_core(sys.argv[1])
    claimed.set(); t.join()
    again = cores.claim_core(sys.argv[1])
    print(core, sorted(os.sched_getaffinity(0)), seen["thread"], again, cores.affinity_label(), flush=True)
    sys.stdin.read()
""")


def _holder(lock_dir):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_dir)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    return (proc, *_parse(proc.stdout.readline()))


def _parse(line: str):
    core, rest = line.split(" ", 1)
    mine, rest = rest.split("] ", 1)
    thread, rest = rest.split("] ", 1)
    again, label = rest.split()
    as_list = lambda s: [int(x) for x in s.strip("[").split(",") if x.strip()]  # noqa: E731
    return (None if core == "None" else int(core)), as_list(mine), as_list(thread), \
        (None if again == "None" else int(again)), label


def test_each_process_gets_a_core_of_its_own_until_none_is_left(tmp_path):
    allowed = cores.allowed_cores()
    holders = []
    try:
        for _ in allowed:
            holders.append(_holder(tmp_path))
        got = [h[1] for h in holders]
        assert sorted(got) == allowed  # every core once: no two processes share one
        for _, core, mine, thread, again, label in holders:
            assert mine == [core] and thread == [core]  # the process and its earlier thread
            assert again == core and label == f"cpus={core}"
        extra = _holder(tmp_path)
        holders.append(extra)
        assert extra[1] is None and extra[2] == allowed  # every core held: runs unpinned, says so
        # the claim ends with its process: the freed core goes to the next one
        freed = holders.pop(0)
        freed[0].stdin.close()
        freed[0].wait(timeout=30)
        late = _holder(tmp_path)
        holders.append(late)
        assert late[1] == freed[1]
    finally:
        for proc, *_ in holders:
            proc.stdin.close()
            proc.wait(timeout=30)


def test_affinity_label_writes_ranges(monkeypatch):
    for allowed, label in (([1], "cpus=1"), ([0, 1], "cpus=0-1"), ([0, 2, 3], "cpus=0,2-3"),
                           ([0, 1, 2, 5, 7, 8], "cpus=0-2,5,7-8")):
        monkeypatch.setattr(cores, "allowed_cores", lambda a=allowed: a)
        assert cores.affinity_label() == label


def test_parallel_suite_pins_its_workers_and_records_it(tmp_path, monkeypatch):
    monkeypatch.setenv(cores.LOCK_DIR_VARIABLE, str(tmp_path / "locks"))
    before = sorted(os.sched_getaffinity(0))
    run_suite([CASES["perceptron"]], frameworks=("scratchnet",), modes=("parity",), n_seeds=4,
              results_dir=tmp_path / "res", parity=False, epochs=2, progress=False, jobs=2)
    runs = pd.read_csv(tmp_path / "res" / "runs.csv")
    cpus = runs["threads"].str.extract(r"^cpus=([^,]+),")[0]
    assert cpus.notna().all(), runs["threads"].tolist()
    if len(before) >= 2:  # a worker per core: every run on ONE core, one the machine allows
        assert set(cpus) <= {str(c) for c in before}, cpus.tolist()
    assert set(os.listdir(tmp_path / "locks")) <= {f"cpu-{c}.lock" for c in before}
    assert sorted(os.sched_getaffinity(0)) == before  # the suite's own process ran no task: not pinned


def test_one_job_runs_where_it_is_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(cores.LOCK_DIR_VARIABLE, str(tmp_path / "locks"))
    run_suite([CASES["perceptron"]], frameworks=("scratchnet",), modes=("parity",), n_seeds=1,
              results_dir=tmp_path / "res", parity=False, epochs=2, progress=False, jobs=1)
    runs = pd.read_csv(tmp_path / "res" / "runs.csv")
    assert runs["threads"].str.startswith(cores.affinity_label() + ",").all()
    assert not (tmp_path / "locks").exists()
