"""A results directory that cannot be written ends a command with one line, and loses nothing.

The full disk is simulated: ``os.fsync`` (which every table write calls) raises ``ENOSPC`` from the
N-th call on, as a file system does once it fills up mid-run. A real one was tried too: a 300 KiB
tmpfs (README's measurement notes).
"""
from __future__ import annotations

import errno
import os

import pandas as pd
import pytest

from scratchnet.bench import cli
from scratchnet.bench.store import atomic_write_bytes
from scratchnet.bench.store.write_errors import is_write_error, write_error_line

RUN = ["run", "--cases", "perceptron", "--frameworks", "scratchnet", "--seeds", "2", "--quick", "--no-parity"]


def _disk_full_after(monkeypatch, writes: int) -> None:
    real, calls = os.fsync, {"n": 0}

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] > writes:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def test_atomic_write_names_the_file_and_keeps_the_old_bytes(tmp_path, monkeypatch):
    table = tmp_path / "runs.csv"
    atomic_write_bytes(table, b"old\n")
    _disk_full_after(monkeypatch, 0)
    with pytest.raises(OSError) as caught:
        atomic_write_bytes(table, b"new\n")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(table)
    assert table.read_bytes() == b"old\n" and [p.name for p in tmp_path.iterdir()] == ["runs.csv"]


def test_full_disk_mid_run_is_one_line_and_the_same_command_resumes(tmp_path, monkeypatch, capsys):
    results = tmp_path / "results"
    args = [*RUN, "--results", str(results)]
    _disk_full_after(monkeypatch, 3)
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    mine = [line for line in err.splitlines() if line.startswith("scratchnet-bench")]
    assert len(mine) == 1 and "Traceback" not in err
    err = mine[0]
    assert f"results directory {results}" in err and "file system is full" in err
    assert err.endswith("resume with: scratchnet-bench " + " ".join(args))
    kept = {p.name: p.read_bytes() for p in results.glob("*.csv")}
    for name in kept:  # every table that was written is whole (it validates)
        pd.read_csv(results / name)

    monkeypatch.undo()  # space freed: the same command finishes
    assert cli.main(args) == 0
    runs = pd.read_csv(results / "runs.csv")
    assert sorted(runs["status"]) == ["ok", "ok"]


def test_read_only_results_directory_is_one_line(tmp_path, monkeypatch, capsys):
    results = tmp_path / "results"

    def refuse(self):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))  # as pwrite raises it: no file name

    monkeypatch.setattr("scratchnet.bench.store.lock.DirectoryLock._acquire_file", refuse)
    assert cli.main([*RUN, "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert "could not write .lock (the file system is read-only" in err and "choose a writable" in err


def test_other_os_errors_are_not_dressed_up():
    assert not is_write_error(OSError(errno.EIO, "I/O error")) and not is_write_error(ValueError("x"))
    line = write_error_line(OSError(errno.ENOENT, "No such file", "/nope/r/runs.csv"), "/nope/r", "cmd")
    assert "could not write runs.csv (a folder on the way does not exist" in line and line.endswith("cmd")
