"""Case files (scratchnet.bench.cases.casefile) and the csv dataset source (datasets.load_csv).

A malformed file gives an error naming the file, the case and the field, and writes nothing.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from scratchnet.bench import cases as cases_mod
from scratchnet.bench import cli
from scratchnet.bench.cases.casefile import CaseFileError, load_case_file, load_user_cases, register
from scratchnet.bench.datasets import DatasetError, load_csv

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

CASE = '''
[[case]]
name = "mine-2-3-1"
description = "my data"
units = [3, 1]
activations = ["sigmoid", "sigmoid"]
loss = "mse"
optimizer = "sgd"
optimizer_params = {{ learning_rate = 0.05 }}
batch_size = 2
epochs = 2
{extra}
[case.dataset]
source = "csv"
path = "data.csv"
features = ["a", "b"]
targets = ["{target}"]
scaling = "minmax"
test_size = 0.25
seed = 1
'''


@pytest.fixture(autouse=True)
def _restore_registry():
    saved = dict(cases_mod.CASES)
    yield
    cases_mod.CASES.clear()
    cases_mod.CASES.update(saved)


def _write(tmp_path: Path, text: str, csv: str | None = None) -> Path:
    rows = csv or "a,b,name,y\n" + "".join(f"{i},{i * 2 % 7},r{i},{i % 3}\n" for i in range(12))
    (tmp_path / "data.csv").write_text(rows)
    path = tmp_path / "cases.toml"
    path.write_text(text)
    return path


def test_valid_case_file_parses_and_fingerprints(tmp_path):
    path = _write(tmp_path, CASE.format(extra='kernel_initializer = { name = "random_uniform", minval = 0.0 }',
                                        target="y"))
    (case,) = load_case_file(path)
    assert case.name == "mine-2-3-1" and case.units == (3, 1) and case.batch_size == 2
    assert case.dataset == "csv" and dict(case.dataset_params)["path"] == str(tmp_path / "data.csv")
    assert case.kernel_initializer == ("random_uniform", (("minval", 0.0),))
    ds = load_csv(**dict(case.dataset_params))
    assert (ds.n_train, ds.n_test, ds.n_features) == (9, 3, 2)
    assert ds.X_train.min() >= 0 and ds.X_train.max() <= 1  # min-max fitted on the training rows
    assert ds.fingerprint == ds.compute_fingerprint() == load_csv(**dict(case.dataset_params)).fingerprint


def test_csv_fingerprint_follows_the_data(tmp_path):
    path = _write(tmp_path, CASE.format(extra="", target="y"))
    before = load_csv(**dict(load_case_file(path)[0].dataset_params)).fingerprint
    (tmp_path / "data.csv").write_text("a,b,y\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(12)))
    assert load_csv(**dict(load_case_file(path)[0].dataset_params)).fingerprint != before


@pytest.mark.parametrize("edit, csv, message", [
    (lambda t: t.replace('loss = "mse"\n', ""), None, "case 'mine-2-3-1': missing field(s) ['loss']"),
    (lambda t: t.replace('"sigmoid", "sigmoid"', '"sigmoid", "sigmod"'), None,
     "case 'mine-2-3-1' field 'activations'[1]: unknown activation 'sigmod'"),
    (lambda t: t.replace('targets = ["y"]', 'targets = ["price"]'), None,
     "case 'mine-2-3-1' field 'dataset': "),
    (lambda t: t, "a,b,y\n1,2,3\n4,x,6\n7,8,9\n1,1,1\n", "column 'b' is not numeric at data row 2 (line 3): 'x'"),
    (lambda t: t.replace("epochs = 2", "epochs = \"two\""), None,
     "case 'mine-2-3-1' field 'epochs' must be an integer, got str 'two'"),
    (lambda t: t.replace("epochs = 2", "epochs = 2\nlayers = 3"), None, "unknown field(s) ['layers']"),
    (lambda t: t.replace('optimizer = "sgd"', 'optimizer = "adagrad"'), None, "unknown optimizer 'adagrad'"),
    (lambda t: t.replace('features = ["a", "b"]', 'features = ["a", "b"]\ncolumns = 2'), None,
     "field 'dataset': unknown field 'columns'"),
    (lambda t: t.replace('path = "data.csv"', 'path = "nope.csv"'), None, "nope.csv: no such file"),
    (lambda t: t.replace("units = [3, 1]", "units = [3, 2]"), None,
     "field 'units': the output layer has 2 unit(s) but the dataset has 1 target column(s)"),
    (lambda t: t + "\n[extras]\nx = 1\n", None, "unknown top-level key(s) ['extras']"),
    (lambda t: t.replace("[[case]]", "[[case]"), None, "not valid TOML"),
])
def test_malformed_case_files_name_file_case_field_and_write_nothing(tmp_path, capsys, edit, csv, message):
    path = _write(tmp_path, edit(CASE.format(extra="", target="y")), csv)
    with pytest.raises(CaseFileError) as info:
        load_case_file(path)
    assert str(path) in str(info.value) and message in str(info.value)
    out = tmp_path / "results"
    assert cli.main(["run", "--case-file", str(path), "--cases", "mine-2-3-1", "--seeds", "1",
                     "--results", str(out), "--no-progress"]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
    assert "mine-2-3-1" not in cases_mod.CASES


def test_column_missing_from_csv_lists_its_columns(tmp_path):
    path = _write(tmp_path, CASE.format(extra="", target="price"))
    with pytest.raises(CaseFileError, match=r"column\(s\) \['price'\] not in the CSV; its columns are "
                                           r"\['a', 'b', 'name', 'y'\]"):
        load_case_file(path)


def test_name_clash_with_the_registry_is_refused(tmp_path):
    path = _write(tmp_path, CASE.format(extra="", target="y").replace("mine-2-3-1", "california-2-3-1"))
    with pytest.raises(CaseFileError, match="'california-2-3-1' is already registered"):
        load_user_cases([path], plugins=False)
    assert cases_mod.CASES["california-2-3-1"].dataset == "california-tutorial"


def test_registered_cases_are_found_and_listed(tmp_path, capsys):
    path = _write(tmp_path, CASE.format(extra="", target="y"))
    assert cli.main(["list", "--case-file", str(path)]) == 0
    assert "mine-2-3-1" in capsys.readouterr().out
    (case,) = register(load_case_file(path), str(path))
    assert cases_mod.get_case("mine-2-3-1") is case


def test_plugin_entry_points(monkeypatch):
    import importlib.metadata as md

    from scratchnet.bench.cases import casefile

    good = cases_mod.Case(**{**cases_mod.get_case("perceptron").__dict__, "name": "plugin-perceptron"})

    class EP:
        name, value = "mine", "pkg:cases"

        def __init__(self, obj):
            self.obj = obj

        def load(self):
            return self.obj

    monkeypatch.setattr(md, "entry_points", lambda group: [EP(lambda: [good])] if group == casefile.ENTRY_POINT_GROUP
                        else [])
    assert casefile.plugin_cases() == [good]
    monkeypatch.setattr(md, "entry_points", lambda group: [EP(["not a case"])])
    with pytest.raises(CaseFileError, match="yielded a str, not a scratchnet.bench.cases.Case"):
        casefile.plugin_cases()


@pytest.mark.tf
@pytest.mark.slow
def test_example_case_file_runs_end_to_end(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    work = tmp_path / "ex"
    work.mkdir()
    for name in ("cases.toml", "study_hours.csv"):
        shutil.copy(EXAMPLES / name, work / name)
    out = tmp_path / "results"
    code = cli.main(["run", "--case-file", str(work / "cases.toml"), "--cases", "study-2-3-1",
                     "--frameworks", "scratchnet,keras", "--seeds", "1", "--epochs", "2", "--results", str(out), "--no-progress"])
    assert code == 0, capsys.readouterr()
    import pandas as pd

    runs = pd.read_csv(out / "runs.csv")
    assert set(runs["framework"]) == {"scratchnet", "keras"} and (runs["status"] == "ok").all()
    assert runs["fingerprint"].nunique() == 1
    assert np.isfinite(runs["test_mse"]).all()
    parity = pd.read_csv(out / "parity.csv")
    assert parity["passed"].all()


def test_csv_errors_directly(tmp_path):
    (tmp_path / "d.csv").write_text("a,y\n1,2\n")
    with pytest.raises(DatasetError, match="needs at least 2 data rows"):
        load_csv(str(tmp_path / "d.csv"), ("a",), ("y",))
    with pytest.raises(DatasetError, match="scaling must be one of"):
        load_csv(str(tmp_path / "d.csv"), ("a",), ("y",), scaling="log")
