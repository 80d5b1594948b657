"""Convention helpers for hand-written networks, and check's reading of a convention mismatch."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from scratchnet.bench import cli
from scratchnet.bench.parity.conventions import (Conventions, gradient_factor, keras_optimizer, read_path, wrap,
                                                 write_path)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "check_your_network.py"


def test_gradient_factor_per_convention():
    assert gradient_factor(Conventions(), 3) == 1.0
    assert gradient_factor(Conventions(cost="half_sse"), 1) == 0.5   # the textbook's 1/2 ||a - y||^2, one output
    assert gradient_factor(Conventions(cost="half_sse"), 4) == 2.0   # ... over four outputs: k/2
    assert gradient_factor(Conventions(cost="sse"), 4) == 4.0
    assert gradient_factor(Conventions(cost="half_sse", batch_reduction="sum"), 1, batch_size=32) == 16.0
    with pytest.raises(ValueError, match="pass batch_size"):
        gradient_factor(Conventions(batch_reduction="sum"), 1)
    with pytest.raises(ValueError, match="Conventions.kernel must be one of"):
        Conventions(kernel="transposed")


def test_keras_optimizer_takes_the_same_step():
    assert keras_optimizer("sgd", {"learning_rate": 3.0, "momentum": 0.9}, 0.5) == {
        "name": "sgd", "learning_rate": 1.5, "momentum": 0.9}
    assert keras_optimizer("adam", {"learning_rate": 1e-3, "epsilon": 1e-7}, 2.0)["epsilon"] == 5e-8
    assert keras_optimizer("rmsprop", {"learning_rate": 1e-3, "epsilon": 1e-7}, 2.0)["epsilon"] == 2.5e-8


def test_weights_read_and_written_where_they_live():
    class Net:
        def __init__(self):
            self.W1 = np.zeros((2, 3))
            self.weights = [np.ones((3, 2))]
            self.params = {"b1": np.zeros((3, 1))}

    net = Net()
    assert read_path(net, "W1").shape == (2, 3) and read_path(net, "weights[0]").shape == (3, 2)
    write_path(net, "params['b1']", np.full((3, 1), 7.0))
    assert net.params["b1"][0, 0] == 7.0
    with pytest.raises(ValueError, match="weight path"):
        read_path(net, "W1.T")


def test_the_example_adapter_is_at_most_twenty_lines():
    text = EXAMPLE.read_text()
    adapter = text.split("# -- the adapter", 1)[1].splitlines()[1:]
    code = [line for line in adapter if line.strip() and not line.strip().startswith("#")]
    assert len(code) <= 20, len(code)


def _load():
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_your_network", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wrapped_network_round_trips_its_weights_in_keras_layout():
    module = _load()
    wrapped = module.make()
    desc = wrapped.describe()
    assert desc["optimizer"] == {"name": "sgd", "learning_rate": module.ETA * 0.5}
    weights = wrapped.get_weights()
    assert [w.shape for w in weights] == [(2, 4), (4,), (4, 4), (4,), (4, 1), (1,)]
    wrapped.set_weights([w + 1 for w in weights])
    assert wrapped.net.weights[0].shape == (4, 2) and wrapped.net.biases[0].shape == (4, 1)
    assert np.array_equal(wrapped.get_weights()[0], weights[0] + 1)
    x = np.random.default_rng(0).normal(size=(5, 2))
    assert wrapped.predict(x).shape == (5, 1)


@pytest.mark.tf
def test_the_example_passes_check(capsys):
    assert cli.main(["check", f"{EXAMPLE}:make", "--case", "moons-2-4-4-1", "--epochs", "2", "--rows", "128"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("PASS")
    assert "Keras learning_rate = 1 x 0.5 = 0.5" in captured.err
    assert float(re.search(r"max relative weight drift (\S+) ", captured.out).group(1)) <= 1e-12


def _planted(tmp_path: Path, old: str, new: str, count: int = 1) -> str:
    text = EXAMPLE.read_text()
    assert text.count(old) == count, old
    path = tmp_path / "planted.py"
    path.write_text(text.replace(old, new))
    return f"{path}:make"


@pytest.mark.tf
def test_a_wrong_hidden_derivative_is_diagnosed_at_that_layer(tmp_path, capsys):
    target = _planted(tmp_path, "* a * (1 - a)            # sigmoid'(z) = a (1 - a)", "* a * (1 + a)")
    assert cli.main(["check", target, "--case", "moons-2-4-4-1", "--epochs", "1", "--rows", "64"]) == 1
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("FAIL") and ": layer 2 " in first, first  # the hidden layer next to the output
    assert "the hidden layer 2 differs: the derivative of its activation (sigmoid)" in out


@pytest.mark.tf
def test_a_half_scaled_step_is_explained_as_a_convention(tmp_path, capsys):
    """The same network declared with Keras' conventions for its cost: every update is 0.5 x Keras'."""
    target = _planted(tmp_path, 'cost="half_sse"', 'cost="mean"')
    assert cli.main(["check", target, "--case", "moons-2-4-4-1", "--epochs", "1", "--rows", "64"]) == 1
    out = capsys.readouterr().out
    assert "your update is 0.5 x Keras' (exactly proportional): a convention, not necessarily a bug" in out
    assert "1/2 ||a - y||^2 per sample" in out
    assert "Keras takes your step with learning_rate = 1 x 0.5 = 0.5" in out
    assert "Conventions(cost='half_sse')" in out


def test_wrap_checks_its_arguments():
    module = _load()
    with pytest.raises(ValueError, match="3 layers but 2 activations"):
        wrap(module.Network([2, 4, 4, 1]), layers=[(f"weights[{i}]", f"biases[{i}]") for i in range(3)],
             activations=["sigmoid"] * 2, train=None, predict=None, learning_rate=1.0,
             conventions=Conventions(kernel="units_inputs"))
