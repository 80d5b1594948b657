"""Tests of scratchnet.bench.cases.grid: deterministic variant names, validation, seeds, selection."""
from __future__ import annotations

import pytest

from scratchnet.bench.cases import registry
from scratchnet.bench.cases import CASES, select_cases
from scratchnet.bench.cases.grid import VARIANT_TAG, format_value, parse_name, variant, variant_name

BASE = CASES["neuron3-sgd-tanh"]


def test_name_sorted_keys_independent_of_order():
    a = variant(BASE, learning_rate=0.05, epochs=30)
    b = variant(BASE, epochs=30, learning_rate=0.05)
    assert a.name == b.name == "neuron3-sgd-tanh[epochs=30,learning_rate=0.05]"
    assert a == b


def test_fields_and_optimizer_params_applied():
    v = variant(BASE, learning_rate=0.01, epochs=7, shuffle=True)
    assert dict(v.optimizer_params)["learning_rate"] == 0.01
    assert (v.epochs, v.quick_epochs, v.shuffle) == (7, None, True)
    assert v.epochs_for("fast") == 7
    assert VARIANT_TAG in v.tags and set(BASE.tags) <= set(v.tags)
    # untouched settings are the base case's
    assert (v.units, v.activations, v.loss, v.batch_size) == (BASE.units, BASE.activations, BASE.loss,
                                                               BASE.batch_size)
    # an optimizer parameter the case did not set is added
    m = variant(CASES["digits-64-32-10"], nesterov=True)
    assert dict(m.optimizer_params)["nesterov"] is True
    assert m.name == "digits-64-32-10[nesterov=True]"


def test_variant_keeps_base_seeds():
    v = variant(BASE, learning_rate=0.5)
    assert v.seeds(3) == BASE.seeds(3)
    assert variant(v, epochs=3).seeds(2) == BASE.seeds(2)


def test_variant_of_variant_merges_settings():
    v = variant(variant(BASE, learning_rate=0.5), epochs=3, learning_rate=0.2)
    assert v.name == "neuron3-sgd-tanh[epochs=3,learning_rate=0.2]"
    assert v == variant(BASE, epochs=3, learning_rate=0.2)
    assert v.tags.count(VARIANT_TAG) == 1


def test_parse_name_inverts_naming():
    assert parse_name("c[epochs=5,learning_rate=0.1]") == ("c", {"epochs": "5", "learning_rate": "0.1"})
    assert parse_name("plain") == ("plain", {})
    assert variant_name("c", {"b": 2, "a": (1, 2)}) == "c[a=1/2,b=2]"
    assert format_value(0.1) == "0.1" and format_value(None) == "None"
    for bad in ("c[epochs]", "c[=1]", "c]x[", "c[a=1"):
        with pytest.raises(ValueError, match="malformed"):
            parse_name(bad)


@pytest.mark.parametrize("params, message", [
    ({}, "at least one setting"),
    ({"lerning_rate": 0.1}, "unknown setting 'lerning_rate'"),
    ({"name": "x"}, "cannot be set"),
    ({"tags": ("a",)}, "cannot be set"),
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"epochs": 2.5}, "epochs needs an int"),
    ({"epochs": True}, "epochs needs an int"),
    ({"batch_size": 0}, "batch_size must be >= 1"),
    ({"shuffle": 1}, "shuffle needs a bool"),
    ({"learning_rate": "fast"}, "needs a number"),
    ({"activations": [1]}, "not a scalar"),
    ({"activations": ("tanh", "tanh")}, "1 layers but 2 activations"),
])
def test_invalid_settings_rejected(params, message):
    with pytest.raises(ValueError, match=message):
        variant(BASE, **params)


def test_full_batch_variant_allowed():
    assert variant(BASE, batch_size=None).batch_size is None


def test_select_cases_finds_variant_names_literally(monkeypatch):
    v = variant(BASE, epochs=3, learning_rate=0.2)
    monkeypatch.setitem(CASES, v.name, v)
    assert [c.name for c in select_cases(f"perceptron,{v.name}")] == ["perceptron", v.name]
    assert registry._split_patterns("a,b[x=1,y=2],c*") == ["a", "b[x=1,y=2]", "c*"]
