"""Tests of the ``scratchnet-bench`` command line (scratchnet.bench.cli).

Exit codes per the module docstring: 0 success, 1 a failed parity check or errored run,
2 bad arguments (argparse's own errors included).
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from scratchnet.bench import cli
from scratchnet.bench.cases import CASES

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _listed_names(text: str) -> list[str]:
    lines = text.strip().splitlines()
    assert lines[0].split()[:2] == ["case", "dataset"]
    return [line.split()[0] for line in lines[1:]]


def test_list_in_process(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert _listed_names(out) == list(CASES)
    for line in out.strip().splitlines()[1:]:
        name = line.split()[0]
        case = CASES[name]
        assert case.dataset in line and case.optimizer_label in line and case.dtype in line
        assert ("(published, not equivalent)" in line) == (not case.equivalent)


def test_list_console_script():
    sibling = Path(sys.executable).with_name("scratchnet-bench")
    script = str(sibling) if sibling.exists() else shutil.which("scratchnet-bench")
    assert script, f"console script scratchnet-bench not installed (looked next to {sys.executable} and on PATH)"
    done = subprocess.run([script, "list"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert done.returncode == 0, done.stderr
    assert _listed_names(done.stdout) == list(CASES)


@pytest.mark.parametrize("args,words", [
    (["--frameworks", "scratchnet,jax"], ["--frameworks", "'jax'"]),
    (["--modes", "parity,sideways"], ["--modes", "'sideways'"]),
    (["--cases", "no-such-case*"], ["no-such-case*", "no case matches"]),
])
def test_run_bad_arguments_exit_2_without_running(tmp_path, capsys, args, words):
    results = tmp_path / "res"
    code = cli.main(["run", *args, "--seeds", "1", "--no-parity", "--no-progress", "--results", str(results)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("scratchnet-bench run: error:")
    for word in words:
        assert word in err
    assert not results.exists()


@pytest.mark.parametrize("value", ["0", "-3"])
def test_run_seeds_must_be_positive(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as info:
        cli.main(["run", "--seeds", value, "--results", str(tmp_path / "res")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--seeds" in err and "must be >= 1" in err
    assert not (tmp_path / "res").exists()


def test_unknown_command_is_argparse_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["launch"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_run_records_and_exits_1_when_a_run_errors(tmp_path, capsys, monkeypatch):
    broken = dataclasses.replace(CASES["neuron3-batch-sigmoid"], name="cli-broken", dataset="no-such-dataset")
    monkeypatch.setitem(CASES, "cli-broken", broken)
    results = tmp_path / "res"
    common = ["--frameworks", "scratchnet", "--seeds", "1", "--epochs", "2", "--no-parity", "--no-progress",
              "--results", str(results)]
    assert cli.main(["run", "--cases", "neuron3-batch-tanh", *common]) == 0
    out = capsys.readouterr().out
    assert "1 tasks run, 0 already recorded (skipped); runs: 1 ok" in out
    assert cli.main(["run", "--cases", "cli-broken,neuron3-batch-tanh", *common]) == 1
    out = capsys.readouterr().out
    assert "1 tasks run, 1 already recorded (skipped); runs: 1 error" in out
    runs = pd.read_csv(results / "runs.csv")
    assert sorted(runs["status"]) == ["error", "ok"]


@pytest.mark.tf
def test_parity_custom_model_passes(capsys):
    code = cli.main(["parity", "--layers", "2,3,1", "--dtype", "float64", "--epochs", "2", "--rows", "12"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    lines = captured.out.strip().splitlines()
    header = lines[0].split()
    assert header[:2] == ["case", "dtype"] and header[-1] == "result"
    assert set(lines[1]) == {"-", " "}
    rows = [line.split() for line in lines[2:]]
    assert len(rows) == 1
    row = rows[0]
    assert row[0] == "custom" and row[1] == "float64" and row[-1] == "pass"
    grad_error, abs_drift, rel_drift = (float(v) for v in row[2:5])
    assert grad_error <= 1e-12 and rel_drift <= 1e-10 and abs_drift >= 0
    assert "FAIL" not in captured.out


def test_report_on_empty_dir_exits_2(tmp_path, capsys):
    code = cli.main(["report", "--results", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("scratchnet-bench report: error:")
    assert "runs.csv" in err and str(tmp_path) in err
    assert list(tmp_path.iterdir()) == []
