"""Tests of scratchnet.bench.cases.sweep: --grid parsing, expansion into named variants, typed
values, refusal of bad keys and values before anything runs, names that rebuild their case."""
from __future__ import annotations

import re

import pytest

from scratchnet.bench import cli
from scratchnet.bench.cases import CASES
from scratchnet.bench.cases.sweep import expand, grid_columns, parse_grid, resolve


def test_parse_grid_and_its_errors():
    assert parse_grid(["learning_rate=0.01,0.05", "batch_size=1, 8"]) == {
        "learning_rate": ["0.01", "0.05"], "batch_size": ["1", "8"]}
    assert parse_grid(None) == {}
    for bad, pattern in [(["learning_rate"], "expected KEY=VALUE"), (["=1"], "expected KEY=VALUE"),
                         (["epochs="], "expected KEY=VALUE"),
                         (["epochs=1", "epochs=2"], "--grid epochs: given twice"),
                         (["epochs=1,1"], "repeated value")]:
        with pytest.raises(ValueError, match=re.escape(pattern)):
            parse_grid(bad)


def test_expand_names_types_and_columns():
    case = CASES["california-2-3-1"]
    variants = expand([case], parse_grid(["learning_rate=0.01,0.5", "batch_size=8,full"]))
    assert [v.name for v in variants] == [
        "california-2-3-1[batch_size=8,learning_rate=0.01]", "california-2-3-1[batch_size=8,learning_rate=0.5]",
        "california-2-3-1[batch_size=None,learning_rate=0.01]", "california-2-3-1[batch_size=None,learning_rate=0.5]"]
    first = variants[0]
    assert first.batch_size == 8 and dict(first.optimizer_params)["learning_rate"] == 0.01
    assert variants[2].batch_size is None
    assert first.seeds(3) == case.seeds(3)  # variants share their base's seeds
    assert grid_columns(first) == {"base_case": case.name, "grid_batch_size": "8", "grid_learning_rate": "0.01"}
    assert grid_columns(case) == {"base_case": case.name}
    for v in variants:
        assert resolve(v.name) == v
    assert expand([case], {}) == [case]


@pytest.mark.parametrize("grid, pattern", [
    (["lr=0.1"], "unknown setting 'lr'"),
    (["learning_rate=fast"], "--grid learning_rate=fast: not a number"),
    (["batch_size=eight"], "--grid batch_size=eight: not an integer"),
    (["batch_size=0"], "batch_size must be >= 1"),
    (["shuffle=maybe"], "--grid shuffle=maybe: not true or false"),
])
def test_bad_grid_is_refused_by_name_before_anything_runs(tmp_path, capsys, grid, pattern):
    results = tmp_path / "r"
    argv = ["run", "--cases", "neuron3-batch-tanh", "--frameworks", "scratchnet", "--no-parity", "--results",
            str(results)]
    for g in grid:
        argv += ["--grid", g]
    assert cli.main(argv) == 2
    assert pattern in capsys.readouterr().err
    assert not results.exists()


def test_case_file_grid_table(tmp_path, capsys):
    from scratchnet.bench.cases.sweep import combined_grid

    toml = tmp_path / "grid.toml"
    toml.write_text("[grid]\nlearning_rate = [0.05, 0.5]\nbatch_size = [1, 2]\n")
    assert combined_grid(None, [str(toml)]) == {"learning_rate": ["0.05", "0.5"], "batch_size": ["1", "2"]}
    assert combined_grid(["batch_size=4"], [str(toml)])["batch_size"] == ["4"]  # --grid wins for its key
    results = tmp_path / "r"
    argv = ["run", "--case-file", str(toml), "--cases", "neuron3-batch-tanh", "--frameworks", "scratchnet",
            "--no-parity", "--no-progress", "--seeds", "1", "--epochs", "2", "--results", str(results)]
    assert cli.main(argv) == 0
    assert "4 tasks run" in capsys.readouterr().out
    runs = __import__("pandas").read_csv(results / "runs.csv")
    assert sorted(runs["case"]) == sorted(f"neuron3-batch-tanh[batch_size={b},learning_rate={lr}]"
                                          for b in (1, 2) for lr in ("0.05", "0.5"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid]\nlr = [0.1]\n")
    assert cli.main([*argv[:2], str(bad), *argv[3:]]) == 2
    assert "unknown setting 'lr'" in capsys.readouterr().err
