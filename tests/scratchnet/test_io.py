"""save/load: exact round trip, optimizer state, and clear errors for bad files."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import scratchnet as sn

RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 3))
Y = np.tanh(X @ RNG.normal(size=(3, 2)))


def make(opt=None, dtype="float64"):
    model = sn.Sequential([sn.Input((3,)), sn.Dense(5, "relu", name="hidden"),
                           sn.Dense(2, "tanh", use_bias=False, kernel_initializer="he_normal")],
                          dtype=dtype, seed=4, name="roundtrip")
    model.compile(opt if opt is not None else sn.Adam(0.01), "mse", metrics=["mae"])
    return model


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_is_exact(tmp_path, dtype):
    model = make(dtype=dtype)
    model.fit(X, Y, epochs=3, batch_size=4, verbose=0, seed=1)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = sn.load_model(path)
    assert loaded.dtype == np.dtype(dtype)
    assert loaded.name == "roundtrip"
    assert [layer.name for layer in loaded.layers] == ["hidden", "dense"]
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()   # bit-identical
    assert np.array_equal(model.predict(X), loaded.predict(X))
    assert model.evaluate(X, Y) == loaded.evaluate(X, Y)
    assert loaded.metrics == ["mae"]
    assert isinstance(loaded.optimizer, sn.Adam) and loaded.optimizer.learning_rate == 0.01
    assert loaded.loss.name == "mean_squared_error"


def test_suffix_is_added(tmp_path):
    model = make()
    returned = sn.save_model(model, tmp_path / "noext")
    assert returned == tmp_path / "noext.npz"
    assert returned.exists()
    assert np.array_equal(sn.load_model(returned).predict(X), model.predict(X))


@pytest.mark.parametrize("opt", [
    lambda: sn.Adam(0.02), lambda: sn.SGD(0.05, momentum=0.9, nesterov=True),
    lambda: sn.RMSprop(0.01, momentum=0.5),
], ids=["adam", "sgd_nesterov", "rmsprop_momentum"])
def test_continued_training_matches_never_saved_model(tmp_path, opt):
    reference = make(opt())
    saved = make(opt())
    reference.fit(X, Y, epochs=2, batch_size=5, shuffle=False, verbose=0)
    saved.fit(X, Y, epochs=2, batch_size=5, shuffle=False, verbose=0)
    saved.save(tmp_path / "mid.npz")
    loaded = sn.load_model(tmp_path / "mid.npz")
    assert loaded.optimizer.iterations == reference.optimizer.iterations == 6
    for key, value in reference.optimizer.get_state().items():
        assert np.array_equal(loaded.optimizer.get_state()[key], value)
    for step in range(4):
        xb, yb = X[3 * step:3 * step + 3], Y[3 * step:3 * step + 3]
        assert reference.train_on_batch(xb, yb) == loaded.train_on_batch(xb, yb)
        for a, b in zip(reference.get_weights(), loaded.get_weights()):
            assert np.array_equal(a, b), f"step {step}"
    # and through fit, with shuffling
    h1 = reference.fit(X, Y, epochs=2, batch_size=4, seed=3, verbose=0)
    h2 = loaded.fit(X, Y, epochs=2, batch_size=4, seed=3, verbose=0)
    assert h1.history == h2.history
    for a, b in zip(reference.get_weights(), loaded.get_weights()):
        assert np.array_equal(a, b)


def test_state_matters_for_the_comparison_above(tmp_path):
    # a fresh optimizer on the same weights would train differently: the state is what we test
    reference = make(sn.Adam(0.02))
    reference.fit(X, Y, epochs=2, batch_size=5, shuffle=False, verbose=0)
    fresh = make(sn.Adam(0.02))
    fresh.set_weights(reference.get_weights())
    reference.train_on_batch(X, Y)
    fresh.train_on_batch(X, Y)
    assert not np.array_equal(reference.get_weights()[0], fresh.get_weights()[0])


def test_uncompiled_model_round_trip(tmp_path):
    model = sn.Sequential([sn.Input((2,)), sn.Dense(3)], seed=1)
    model.save(tmp_path / "raw.npz")
    loaded = sn.load_model(tmp_path / "raw.npz")
    assert loaded.optimizer is None and loaded.loss is None
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), loaded.get_weights()))


def _rewrite(path, change):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    change(arrays)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def test_tampered_weight_is_rejected(tmp_path):
    path = tmp_path / "m.npz"
    make().save(path)

    def bump(arrays):
        w = arrays["weight_000"].copy()
        w[0, 0] += 1e-3
        arrays["weight_000"] = w

    _rewrite(path, bump)
    with pytest.raises(sn.ModelFileError, match=r"checksum.*modified"):
        sn.load_model(path)


def test_untouched_rewrite_still_loads(tmp_path):
    # the rewrite helper itself keeps a valid file valid (so the tamper test tests the tamper)
    path = tmp_path / "m.npz"
    model = make()
    model.save(path)
    _rewrite(path, lambda arrays: None)
    assert np.array_equal(sn.load_model(path).predict(X), model.predict(X))


def test_weight_shape_change_is_rejected(tmp_path):
    path = tmp_path / "m.npz"
    make().save(path)
    _rewrite(path, lambda arrays: arrays.update(weight_000=arrays["weight_000"][:, :4]))
    with pytest.raises(sn.ModelFileError, match="checksum"):
        sn.load_model(path)


def test_config_with_wrong_architecture_is_rejected(tmp_path):
    # a config edited to 6 hidden units (checksum of the weights still fine) must not load
    path = tmp_path / "m.npz"
    make().save(path)

    def edit(arrays):
        config = json.loads(str(arrays["__config__"]))
        config["model"]["layers"][0]["units"] = 6
        arrays["__config__"] = np.array(json.dumps(config))

    _rewrite(path, edit)
    with pytest.raises(sn.ModelFileError, match="do not fit the architecture"):
        sn.load_model(path)


def test_foreign_npz(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, a=np.arange(3), b=np.ones((2, 2)))
    with pytest.raises(sn.ModelFileError, match="not a scratchnet model file"):
        sn.load_model(path)


def test_wrong_format_version(tmp_path):
    path = tmp_path / "m.npz"
    make().save(path)

    def edit(arrays):
        config = json.loads(str(arrays["__config__"]))
        config["format_version"] = 99
        arrays["__config__"] = np.array(json.dumps(config))

    _rewrite(path, edit)
    with pytest.raises(sn.ModelFileError, match="format version 99"):
        sn.load_model(path)


def test_non_zip_file(tmp_path):
    path = tmp_path / "text.npz"
    path.write_text("this is not a model\n" * 10)
    with pytest.raises(sn.ModelFileError, match="not a scratchnet model file"):
        sn.load_model(path)


def test_truncated_file(tmp_path):
    path = tmp_path / "m.npz"
    make().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(sn.ModelFileError, match=str(path.name)):
        sn.load_model(path)


def test_pickle_inside_npz_is_not_loaded(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, __format__=np.array("scratchnet-model"), obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(sn.ModelFileError):
        sn.load_model(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        sn.load_model(tmp_path / "nope.npz")


def test_unbuilt_model_cannot_be_saved(tmp_path):
    # no Input and no data yet: the number of input features is unknown
    with pytest.raises(ValueError, match="not built"):
        sn.Sequential([sn.Dense(1)]).save(tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def test_model_with_input_can_be_saved_before_any_data(tmp_path):
    model = sn.Sequential([sn.Input((2,)), sn.Dense(1)], seed=3)
    model.save(tmp_path / "fresh.npz")
    loaded = sn.load_model(tmp_path / "fresh.npz")
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), loaded.get_weights()))


def test_model_error_is_a_value_error():
    assert issubclass(sn.ModelFileError, ValueError)


def test_saved_file_is_a_plain_npz(tmp_path):
    path = tmp_path / "m.npz"
    make().save(path)
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
    assert {"__format__.npy", "__config__.npy", "weight_000.npy", "weight_001.npy", "weight_002.npy"} <= names
    assert "optimizer/m.npy" in names and "optimizer/iterations.npy" in names
    assert not any(name.endswith(".tmp") for name in (p.name for p in tmp_path.iterdir()))
