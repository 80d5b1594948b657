"""The foreign-network protocol (scratchnet.bench.parity.foreign) and `check` (scratchnet.bench.parity.check).

The three examples in examples/ must pass against Keras in float64; planted bugs must fail at
the first step, naming the layer where the mistake enters and the pattern.
"""
from __future__ import annotations

import math

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from scratchnet.bench import cli
from scratchnet.bench.parity.foreign import (ForeignError, ForeignNet, case_mismatches, default_label,
    load_foreign, load_target, parse_description, twin_model)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CAL = EXAMPLES / "california_2_3_1.py"

GOOD = {"input_dim": 2, "layers": [{"units": 3, "activation": "sigmoid"}, {"units": 1, "activation": "linear"}],
        "loss": "mse", "optimizer": {"name": "sgd", "learning_rate": 0.1}, "dtype": "float64"}


class Toy:
    """A minimal protocol object (linear maths not needed: only the checks are tested)."""

    def __init__(self, desc=GOOD, weights=None):
        self.desc = desc
        self.w = weights if weights is not None else [np.zeros((2, 3)), np.zeros(3), np.zeros((3, 1)), np.zeros(1)]

    def describe(self):
        return self.desc

    def get_weights(self):
        return [w.copy() for w in self.w]

    def set_weights(self, weights):
        self.w = [np.array(w) for w in weights]

    def train_on_batch(self, x, y):
        pass

    def predict(self, x):
        return np.zeros((len(x), 1))


# -- describe() and the wrapper -------------------------------------------------------------------
def test_parse_description_defaults_and_label():
    d = parse_description(GOOD)
    assert d.units == (3, 1) and d.activations == ("sigmoid", "linear")
    assert all(layer.use_bias for layer in d.layers)
    assert d.weight_shapes() == [("layer 1 kernel", (2, 3)), ("layer 1 bias", (3,)),
                                 ("layer 2 kernel", (3, 1)), ("layer 2 bias", (1,))]
    assert d.label() == "2-3-1 sigmoid/linear, mse, sgd(learning_rate=0.1), float64"


@pytest.mark.parametrize("change, message", [
    ({"loss": "hinge"}, "describe()['loss'] = 'hinge' has no Keras twin"),
    ({"dtype": "float16"}, "describe()['dtype'] must be one of"),
    ({"input_dim": 0}, "describe()['input_dim'] must be an integer >= 1"),
    ({"layers": []}, "describe()['layers'] must be a non-empty list"),
    ({"layers": [{"units": 3, "activation": "swish"}]}, "describe()['layers'][0]['activation'] = 'swish'"),
    ({"layers": [{"units": 3, "activation": "relu", "dropout": 0.5}]}, "unknown key(s) ['dropout']"),
    ({"optimizer": {"name": "adagrad"}}, "describe()['optimizer']['name'] = 'adagrad' has no Keras twin"),
    ({"optimizer": {"name": "sgd", "lr": 0.1}}, "sgd has no hyper-parameter 'lr'"),
    ({"optimizer": {"name": "adam", "beta_1": 1.5}}, "describe()['optimizer']: "),
    ({"extra": 1}, "unknown key(s) ['extra']"),
])
def test_bad_descriptions_are_named(change, message):
    with pytest.raises(ForeignError) as info:
        parse_description({**GOOD, **change})
    assert message in str(info.value)


def test_missing_describe_key_is_named():
    desc = dict(GOOD)
    del desc["optimizer"]
    with pytest.raises(ForeignError, match=r"missing key\(s\) \['optimizer'\]"):
        parse_description(desc)


def test_missing_methods_are_listed():
    class Half:
        def describe(self):
            return GOOD

    with pytest.raises(ForeignError, match=r"lacks method\(s\) \['get_weights', 'set_weights', "
                                           r"'train_on_batch', 'predict'\]"):
        ForeignNet(Half(), "half")


def test_wrong_weight_count_and_transposed_kernel_are_named():
    with pytest.raises(ForeignError, match=r"returned 2 array\(s\).*implies 4"):
        ForeignNet(Toy(weights=[np.zeros((2, 3)), np.zeros((3, 1))]))
    with pytest.raises(ForeignError, match=r"layer 1 kernel has shape \(3, 2\), describe\(\) implies \(2, 3\) "
                                           r"\(transposed\?"):
        ForeignNet(Toy(weights=[np.zeros((3, 2)), np.zeros(3), np.zeros((3, 1)), np.zeros(1)]))


def test_set_weights_must_store_values():
    class Forgetful(Toy):
        def set_weights(self, weights):
            pass

    net = ForeignNet(Forgetful())
    with pytest.raises(ForeignError, match="set_weights must store the values"):
        net.set_weights([np.ones_like(w) for w in net.get_weights()])


def test_predict_shape_and_exceptions_are_named():
    class Flat(Toy):
        def predict(self, x):
            return np.zeros(len(x))

        def train_on_batch(self, x, y):
            raise ZeroDivisionError("oops")

    net = ForeignNet(Flat(), "flat")
    with pytest.raises(ForeignError, match=r"predict\(\) returned shape \(4,\), expected \(4, 1\)"):
        net.predict(np.zeros((4, 2)))
    with pytest.raises(ForeignError, match=r"flat: train_on_batch\(\) raised ZeroDivisionError: oops"):
        net.train_on_batch(np.zeros((1, 2)), np.zeros((1, 1)))


def test_targets_load_by_file_and_module_and_errors_name_them(tmp_path):
    assert callable(load_target(f"{CAL}:make_net"))
    assert load_target("scratchnet.bench.parity.foreign:parse_description") is parse_description
    assert default_label(f"{CAL}:make_net") == "california_2_3_1"
    assert default_label("pkg.mod.nets:make") == "nets"
    with pytest.raises(ForeignError, match="must look like path/to/file.py:factory"):
        load_target("examples/net.py")
    with pytest.raises(ForeignError, match="no such file"):
        load_target(f"{tmp_path}/none.py:f")
    with pytest.raises(ForeignError, match="cannot import module"):
        load_target("no_such_module_xyz:f")
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('bad import')\n")
    with pytest.raises(ForeignError, match="importing .*broken.py raised RuntimeError: bad import"):
        load_target(f"{broken}:f")


def test_twin_model_and_case_mismatches():
    from scratchnet.bench.cases import get_case

    net = load_foreign(f"{CAL}:make_net")
    model = twin_model(net.description)
    assert [w.shape for w in model.get_weights()] == [(2, 3), (3,), (3, 1), (1,)]
    assert case_mismatches(net.description, get_case("california-2-3-1"), 2) == []
    diff = case_mismatches(net.description, get_case("moons-2-4-4-1"), 2)
    assert any(d.startswith("layer units [3, 1]") for d in diff)
    assert any("learning_rate" in d for d in diff)


# -- check against Keras -------------------------------------------------------------------------------
EXAMPLE_RUNS = [
    ("california_2_3_1.py", "california-2-3-1", 300),
    ("moons_2_4_4_1.py", "moons-2-4-4-1", None),
    ("nobias_2_3_1.py", "nobias-2-3-1", None),
]


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("file, case, rows", EXAMPLE_RUNS)
def test_examples_pass_check_in_float64(file, case, rows, capsys):
    pytest.importorskip("tensorflow")
    argv = ["check", f"{EXAMPLES / file}:make_net", "--case", case, "--epochs", "3"]
    if rows:
        argv += ["--rows", str(rows)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("PASS")
    drift = float(re.search(r"max relative weight drift (\S+) ", out).group(1))
    assert drift <= 1e-10


def _planted(tmp_path: Path, old: str, new: str) -> str:
    text = CAL.read_text()
    assert old in text
    path = tmp_path / "planted.py"
    path.write_text(text.replace(old, new))
    return f"{path}:make_net"


@pytest.mark.tf
@pytest.mark.parametrize("old, new, layer, pattern", [
    ("d_z2 = d_a2 * sigmoid_derivative(a2)", "d_z2 = d_a2",
     "layer 2", "the derivative of the output activation (sigmoid) is missing"),
    ("d_a2 = 2.0 * (a2 - y) / n", "d_a2 = (a2 - y) / n", "layer 2", "0.5 x Keras'"),
    ("d_a2 = 2.0 * (a2 - y) / n", "d_a2 = 2.0 * (y - a2) / n", "layer 2", "a wrong sign"),
    ("d_z1 = d_a1 * sigmoid_derivative(a1)", "d_z1 = d_a1 * a1",
     "layer 1", "the layers above layer 1 agree"),
    ('"b2": d_z2.sum(axis=0)', '"b2": 0.0 * d_z2.sum(axis=0)', "layer 2",
     "your network did not change layer 2 bias"),
    ('"b1": d_z1.sum(axis=0)', '"b1": d_z1.sum(axis=0) + 1e-7', "layer 1", "only bias updates differ"),
])
def test_planted_bug_fails_naming_the_layer(tmp_path, capsys, old, new, layer, pattern):
    pytest.importorskip("tensorflow")
    code = cli.main(["check", _planted(tmp_path, old, new), "--case", "california-2-3-1", "--epochs", "1",
                     "--rows", "20"])
    out = capsys.readouterr().out
    assert code == 1, out
    first = out.splitlines()[0]
    assert first.startswith("FAIL") and f": {layer} " in first and "after step 1 of epoch 1" in first
    assert pattern in out


@pytest.mark.tf
def test_stale_activation_fails_at_a_later_step(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    # backprop with the hidden activation of the previous row: right on step 1 only
    target = _planted(tmp_path, "    a1, a2 = cache[\"a1\"], cache[\"a2\"]\n",
                      "    a1, a2 = cache[\"a1\"], cache[\"a2\"]\n"
                      "    a1, backward.last = getattr(backward, 'last', a1), a1\n")
    code = cli.main(["check", target, "--case", "california-2-3-1", "--epochs", "1", "--rows", "20"])
    out = capsys.readouterr().out
    assert code == 1
    assert "after step 2 of epoch 1" in out.splitlines()[0]
    assert "state carried between steps" in out


@pytest.mark.tf
def test_forward_mismatch_is_reported_before_training(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    target = _planted(tmp_path, '{"units": 1, "activation": "sigmoid", "use_bias": True}',
                      '{"units": 1, "activation": "tanh", "use_bias": True}')
    assert cli.main(["check", target, "--case", "california-2-3-1", "--rows", "5", "--epochs", "1"]) == 1
    out = capsys.readouterr().out
    assert "before training (forward pass" in out and "describe() does not match" in out


def test_bad_input_exits_2(tmp_path, capsys):
    bad = _planted(tmp_path, '"input_dim": 2', '"input_dim": 3')
    assert cli.main(["check", bad, "--case", "california-2-3-1", "--rows", "5"]) == 2
    err = capsys.readouterr().err
    assert "layer 1 kernel has shape (2, 3), describe() implies (3, 3)" in err
    assert cli.main(["check", f"{CAL}:missing", "--case", "california-2-3-1"]) == 2
    assert cli.main(["check", f"{CAL}:make_net", "--case", "no-such-case"]) == 2


def test_example_files_are_self_contained(tmp_path):
    # each example imports only numpy: copying it elsewhere keeps it loadable
    for name in ("california_2_3_1.py", "moons_2_4_4_1.py", "nobias_2_3_1.py"):
        copy = tmp_path / name
        shutil.copy(EXAMPLES / name, copy)
        net = load_foreign(f"{copy}:make_net")
        assert net.description.dtype == "float64"
        imports = [line for line in copy.read_text().splitlines() if line.startswith(("import ", "from "))]
        assert imports == ["import numpy as np"]


# -- run --frameworks ...,file.py:factory -----------------------------------------------------------
@pytest.fixture
def _fresh_frameworks():
    from scratchnet.bench import frameworks

    before = set(frameworks.names())
    yield
    for name in set(frameworks.names()) - before:
        frameworks.unregister(name)


@pytest.mark.tf
@pytest.mark.slow
def test_run_records_a_foreign_network_under_its_label(tmp_path, capsys, _fresh_frameworks):
    pytest.importorskip("tensorflow")
    import pandas as pd

    out = tmp_path / "results"
    code = cli.main(["run", "--cases", "nobias-2-3-1,california-2-3-1", "--frameworks",
                     f"scratchnet,{EXAMPLES / 'nobias_2_3_1.py'}:make_net", "--label", "mine", "--seeds", "1",
                     "--epochs", "2", "--no-parity", "--results", str(out), "--no-progress"])
    assert code == 0, capsys.readouterr()
    runs = pd.read_csv(out / "runs.csv").set_index(["case", "framework"])
    mine = runs.loc[("nobias-2-3-1", "mine")]
    assert mine["status"] == "ok" and str(mine["foreign_parity_passed"]) == "True"
    assert mine["foreign_parity_drift"] <= 1e-10 and mine["foreign_target"].endswith("nobias_2_3_1.py:make_net")
    # parity mode: same initial weights and order as scratchnet -> the same test MSE
    assert mine["test_mse"] == pytest.approx(runs.loc[("nobias-2-3-1", "scratchnet"), "test_mse"], rel=1e-10)
    # the cost model covers foreign networks too: a full-batch case (1 step an epoch), timed at 1 step
    # and at up to 128 (fewer when the time budget says so: bench.cost_model.plan_lengths)
    assert mine["seconds_per_step"] > 0 and math.isfinite(mine["epoch_overhead_seconds"])
    short, long = map(int, mine["cost_model_steps"].split("/"))
    assert short == 1 and 16 <= long <= 128 and not isinstance(mine["cost_model_note"], str)
    other = runs.loc[("california-2-3-1", "mine")]
    assert other["status"] == "unsupported" and "not the case's model" in other["message"]
    assert "use_bias" in other["message"]


def test_run_refuses_bad_foreign_arguments(tmp_path, capsys, _fresh_frameworks):
    out = tmp_path / "results"
    target = f"{EXAMPLES / 'nobias_2_3_1.py'}:make_net"
    base = ["run", "--cases", "nobias-2-3-1", "--seeds", "1", "--results", str(out), "--no-progress"]
    assert cli.main(base + ["--frameworks", f"scratchnet,{target}", "--jobs", "2"]) == 2
    assert "--jobs > 1 cannot carry a foreign network" in capsys.readouterr().err
    assert cli.main(base + ["--frameworks", f"{target}", "--label", "a", "--label", "b"]) == 2
    assert "--label given 2 time(s)" in capsys.readouterr().err
    assert cli.main(base + ["--frameworks", f"{target}", "--label", "keras"]) == 2
    assert "built in" in capsys.readouterr().err
    assert cli.main(base + ["--frameworks", f"{EXAMPLES / 'nobias_2_3_1.py'}:nope"]) == 2
    assert "has no 'nope'" in capsys.readouterr().err
    assert not out.exists()
