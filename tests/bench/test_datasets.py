"""Tests for scratchnet.bench.datasets: shapes, exact tutorial values, checksums, errors.

No test touches the network: the sklearn download path is exercised with a monkeypatched
``sklearn.datasets.fetch_california_housing``.
"""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import sklearn.datasets
from sklearn.model_selection import train_test_split

import scratchnet.bench
from scratchnet.bench import datasets as ds
from scratchnet.bench.datasets import california
from scratchnet.bench.datasets import (
    Dataset,
    DatasetError,
    fingerprint_arrays,
    list_datasets,
    load_dataset,
)

DATA_DIR = Path(scratchnet.bench.__file__).parent / "data"
GZ_PATH = DATA_DIR / "california_housing.csv.gz"

EXPECTED_SIZES = {  # name -> (n_train, n_test, n_features, n_outputs, task)
    "california-tutorial": (6700, 3300, 2, 1, "regression"),
    "california": (16512, 4128, 8, 1, "regression"),
    "diabetes": (353, 89, 10, 1, "regression"),
    "breast_cancer": (455, 114, 30, 1, "binary"),
    "digits": (1437, 360, 64, 10, "multiclass"),
    "wine": (142, 36, 13, 3, "multiclass"),
    "iris": (120, 30, 4, 3, "multiclass"),
    "moons": (800, 200, 2, 1, "binary"),
    "friedman1": (1600, 400, 10, 1, "regression"),
    "three-feature": (4, 4, 3, 1, "binary"),
    "sleep-study": (4, 4, 2, 1, "regression"),
    "blobs": (150, 50, 2, 1, "binary"),
    "random-784": (8192, 2048, 784, 10, "multiclass"),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sums_entry() -> str:
    first = (DATA_DIR / "SHA256SUMS").read_text().splitlines()[0].split()
    assert first[1] == "california_housing.csv.gz"
    return first[0]


def _write_gz_csv(frame: pd.DataFrame, path: Path) -> str:
    path.write_bytes(gzip.compress(frame.to_csv(index=False).encode()))
    return _sha256(path)


# ------------------------------------------------------------------- every dataset


def test_registry_names_are_exactly_the_specified_ones() -> None:
    # "csv" loads a user's own table and needs its parameters (tests/bench/test_casefile.py)
    assert list_datasets() == [*EXPECTED_SIZES, "csv"]
    assert set(ds.LOADERS) == {*EXPECTED_SIZES, "csv"}


@pytest.mark.parametrize("name", list(EXPECTED_SIZES))
def test_dataset_shapes_dtypes_and_task(name: str) -> None:
    data = load_dataset(name)
    n_train, n_test, n_features, n_outputs, task = EXPECTED_SIZES[name]
    assert (data.name, data.task) == (name, task)
    assert data.X_train.shape == (n_train, n_features)
    assert data.X_test.shape == (n_test, n_features)
    assert data.y_train.shape == (n_train, n_outputs)
    assert data.y_test.shape == (n_test, n_outputs)
    assert (data.n_train, data.n_test, data.n_features, data.n_outputs) == (
        n_train, n_test, n_features, n_outputs,
    )
    for array in (data.X_train, data.X_test, data.y_train, data.y_test):
        assert array.dtype == np.float64
        assert array.flags.c_contiguous
        assert np.isfinite(array).all()
    assert len(data.feature_names) == n_features
    assert len(data.target_names) == n_outputs
    assert str(n_train) in data.description and str(n_test) in data.description
    assert data.fingerprint == data.compute_fingerprint()
    _assert_targets_match_task(data)


def _assert_targets_match_task(data: Dataset) -> None:
    y = np.concatenate([data.y_train, data.y_test])
    if data.task == "binary":
        assert set(np.unique(y)) == {0.0, 1.0}
    elif data.task == "multiclass":
        assert set(np.unique(y)) == {0.0, 1.0}
        np.testing.assert_array_equal(y.sum(axis=1), np.ones(len(y)))
        assert (y.sum(axis=0) > 0).all(), "every class occurs"
    else:
        assert len(np.unique(y)) > 2


# ------------------------------------------------------------ california-tutorial


def test_california_tutorial_matches_independent_pandas_recomputation() -> None:
    data = load_dataset("california-tutorial")
    table = pd.read_csv(GZ_PATH)[["MedInc", "AveRooms", "MedHouseVal"]]
    scaled = (table - table.min()) / (table.max() - table.min())
    head = scaled.head(10000)
    X_train, X_test, y_train, y_test = train_test_split(
        head[["MedInc", "AveRooms"]].to_numpy(), head[["MedHouseVal"]].to_numpy(),
        test_size=0.33, random_state=42,
    )
    np.testing.assert_array_equal(data.X_train, X_train)
    np.testing.assert_array_equal(data.X_test, X_test)
    np.testing.assert_array_equal(data.y_train, y_train)
    np.testing.assert_array_equal(data.y_test, y_test)
    assert data.feature_names == ("MedInc", "AveRooms")
    assert data.target_names == ("MedHouseVal",)


def test_california_tutorial_values_in_unit_interval_and_first_row() -> None:
    data = load_dataset("california-tutorial")
    for array in (data.X_train, data.X_test, data.y_train, data.y_test):
        assert array.min() >= 0.0 and array.max() <= 1.0
    # First training row is table row 8371: MedInc 3.7067, AveRooms 4.8432..., value 1.366;
    # full-table ranges: MedInc 0.4999..15.0001, AveRooms 0.846..141.909, value 0.14999..5.00001.
    assert data.X_train[0, 0] == pytest.approx((3.7067 - 0.4999) / (15.0001 - 0.4999), rel=1e-12)
    assert data.X_train[0, 1] == pytest.approx(
        (4.843283582089552 - 0.8461538461538461) / (141.9090909090909 - 0.8461538461538461),
        rel=1e-12,
    )
    assert data.y_train[0, 0] == pytest.approx((1.366 - 0.14999) / (5.00001 - 0.14999), rel=1e-12)
    assert "FULL" in data.description and "leak" in data.description


# -------------------------------------------------------------------- california


def test_california_scaler_fitted_on_train_rows_only() -> None:
    data = load_dataset("california")
    assert np.abs(data.X_train.mean(axis=0)).max() < 1e-9
    np.testing.assert_allclose(data.X_train.std(axis=0), np.ones(8), rtol=1e-9)
    assert (data.X_test.mean(axis=0) != 0.0).all()
    table = pd.read_csv(GZ_PATH)
    features = list(table.columns[:8])
    raw_train, raw_test, y_train, y_test = train_test_split(
        table[features].to_numpy(), table[["MedHouseVal"]].to_numpy(), test_size=0.2,
        random_state=0,
    )
    expected_test = (raw_test - raw_train.mean(axis=0)) / raw_train.std(axis=0)
    np.testing.assert_allclose(data.X_test, expected_test, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(data.y_train, y_train)  # target left in $100,000 units
    np.testing.assert_array_equal(data.y_test, y_test)


def test_packaged_file_matches_sha256sums() -> None:
    assert _sha256(GZ_PATH) == _sums_entry()
    frame = california._read_california()
    assert frame.shape == (20640, 9)
    assert frame.columns[-1] == "MedHouseVal"


def test_checksum_mismatch_raises_naming_path_and_hashes(tmp_path: Path) -> None:
    tampered = tmp_path / "california_housing.csv.gz"
    payload = bytearray(GZ_PATH.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    tampered.write_bytes(bytes(payload))
    expected = _sums_entry()
    with pytest.raises(DatasetError) as info:
        california._read_california(tampered, expected_sha256=expected)
    message = str(info.value)
    assert "sha256" in message.lower()
    assert str(tampered) in message
    assert expected in message and _sha256(tampered) in message


def test_checksum_defaults_to_sha256sums_entry(tmp_path: Path) -> None:
    copy = tmp_path / "copy.csv.gz"
    shutil.copyfile(GZ_PATH, copy)
    assert california._read_california(copy).shape == (20640, 9)
    different = tmp_path / "different.csv.gz"
    _write_gz_csv(pd.read_csv(GZ_PATH), different)  # same table, different gzip bytes
    with pytest.raises(DatasetError, match="checksum"):
        california._read_california(different)


def test_missing_column_raises_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "no_averooms.csv.gz"
    digest = _write_gz_csv(pd.read_csv(GZ_PATH).drop(columns="AveRooms"), path)
    with pytest.raises(DatasetError, match="AveRooms"):
        california._read_california(path, expected_sha256=digest)


def test_wrong_row_count_raises(tmp_path: Path) -> None:
    path = tmp_path / "short.csv.gz"
    digest = _write_gz_csv(pd.read_csv(GZ_PATH).head(100), path)
    with pytest.raises(DatasetError, match="100 rows"):
        california._read_california(path, expected_sha256=digest)


@pytest.mark.parametrize("name", ["california", "california-tutorial"])
def test_sklearn_source_failure_points_to_package(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(*args: object, **kwargs: object) -> None:
        raise Exception("no network")

    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", offline)
    with pytest.raises(DatasetError) as info:
        load_dataset(name, source="sklearn")
    assert "package" in str(info.value) and "no network" in str(info.value)


def test_sklearn_source_uses_fetched_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    table = pd.read_csv(GZ_PATH)
    monkeypatch.setattr(
        sklearn.datasets, "fetch_california_housing",
        lambda **kwargs: SimpleNamespace(frame=table.copy()),
    )
    fetched = load_dataset("california", source="sklearn")
    assert fetched.fingerprint == load_dataset("california").fingerprint
    halved = table.assign(MedHouseVal=table["MedHouseVal"] / 2)
    monkeypatch.setattr(
        sklearn.datasets, "fetch_california_housing",
        lambda **kwargs: SimpleNamespace(frame=halved),
    )
    np.testing.assert_array_equal(
        load_dataset("california", source="sklearn").y_train, fetched.y_train / 2
    )


# ------------------------------------------------------------------- fingerprint


def test_fingerprint_is_stable_across_loads() -> None:
    for name in ("california-tutorial", "iris", "random-784"):
        assert load_dataset(name).fingerprint == load_dataset(name).fingerprint
    assert load_dataset("iris").fingerprint != load_dataset("wine").fingerprint


def test_fingerprint_changes_with_one_value() -> None:
    data = load_dataset("iris")
    X_train = data.X_train.copy()
    X_train[3, 2] = np.nextafter(X_train[3, 2], np.inf)
    changed = dataclasses.replace(data, X_train=X_train)
    assert changed.compute_fingerprint() != data.fingerprint
    assert fingerprint_arrays(data.X_train, data.X_test, data.y_train, data.y_test) == (
        data.fingerprint
    )


def test_fingerprint_depends_on_shape_order_and_dtype() -> None:
    data = load_dataset("sleep-study")
    arrays = (data.X_train, data.X_test, data.y_train, data.y_test)
    assert fingerprint_arrays(*arrays) == data.fingerprint
    assert fingerprint_arrays(data.X_test, data.X_train, data.y_train, data.y_test) != (
        data.fingerprint
    )
    assert fingerprint_arrays(data.X_train.reshape(2, 4), *arrays[1:]) != data.fingerprint
    assert fingerprint_arrays(data.X_train.view(np.int64), *arrays[1:]) != data.fingerprint


def test_astype_casts_copies_and_refingerprints() -> None:
    data = load_dataset("moons")
    single = data.astype(np.float32)
    for label in ("X_train", "X_test", "y_train", "y_test"):
        cast = getattr(single, label)
        assert cast.dtype == np.float32 and cast.flags.c_contiguous
        np.testing.assert_array_equal(cast, getattr(data, label).astype(np.float32))
    assert single.fingerprint == single.compute_fingerprint() != data.fingerprint
    assert data.X_train.dtype == np.float64  # the original is untouched
    assert single.astype(np.float64).fingerprint != data.fingerprint  # float32 rounding stays


def test_dataset_rejects_inconsistent_arrays() -> None:
    data = load_dataset("three-feature")
    with pytest.raises(DatasetError, match="2-D"):
        dataclasses.replace(data, y_train=data.y_train.ravel())
    with pytest.raises(DatasetError, match="rows"):
        dataclasses.replace(data, y_test=data.y_test[:3])
    with pytest.raises(DatasetError, match="task"):
        dataclasses.replace(data, task="ranking")


# ------------------------------------------------------------------------- errors


def test_unknown_dataset_lists_valid_names() -> None:
    with pytest.raises(DatasetError) as info:
        load_dataset("mnist")
    assert isinstance(info.value, ValueError)
    assert "mnist" in str(info.value)
    for name in EXPECTED_SIZES:
        assert name in str(info.value)


@pytest.mark.parametrize(
    ("name", "params", "named"),
    [
        ("iris", {"n_train": 10}, "n_train"),
        ("california", {"sorce": "package"}, "sorce"),
        ("random-784", {"n_train": 0}, "n_train"),
        ("random-784", {"n_test": -5}, "n_test"),
        ("random-784", {"n_train": 2.5}, "n_train"),
        ("random-784", {"n_test": True}, "n_test"),
        ("california", {"source": "web"}, "source"),
        ("california-tutorial", {"source": None}, "source"),
    ],
)
def test_bad_params_are_named(name: str, params: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        load_dataset(name, **params)


# ------------------------------------------------------------------ fixed values


def test_three_feature_values() -> None:
    data = load_dataset("three-feature")
    np.testing.assert_array_equal(data.X_train, [[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]])
    np.testing.assert_array_equal(data.y_train, [[0], [1], [1], [0]])
    np.testing.assert_array_equal(data.X_test, [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]])
    np.testing.assert_array_equal(data.y_test, [[0], [1], [0], [1]])


def test_sleep_study_values() -> None:
    data = load_dataset("sleep-study")
    np.testing.assert_allclose(
        data.X_train, [[0.3, 1.0], [0.5, 0.2], [1.0, 0.4], [0.6, 0.3]], rtol=1e-15
    )
    np.testing.assert_allclose(
        data.X_test, [[0.4, 1.1], [0.45, 0.2], [0.9, 0.5], [0.6, 0.4]], rtol=1e-15
    )
    np.testing.assert_allclose(data.y_train, [[0.75], [0.82], [0.93], [0.70]], rtol=1e-15)
    np.testing.assert_allclose(data.y_test, [[0.70], [0.89], [0.85], [0.75]], rtol=1e-15)


# ------------------------------------------------------------- other preprocessing


def test_diabetes_target_standardised_on_train() -> None:
    data = load_dataset("diabetes")
    assert abs(data.y_train.mean()) < 1e-12 and data.y_train.std() == pytest.approx(1.0)
    assert data.y_test.mean() != 0.0
    raw = sklearn.datasets.load_diabetes(scaled=False)
    _, _, raw_train, raw_test = train_test_split(
        raw.data, raw.target, test_size=0.2, random_state=0
    )
    expected = (raw_test - raw_train.mean()) / raw_train.std()
    np.testing.assert_allclose(data.y_test.ravel(), expected, rtol=1e-10)
    assert raw.target.min() == 25 and raw.target.max() == 346


def test_stratified_splits_keep_class_proportions() -> None:
    iris = load_dataset("iris")
    np.testing.assert_array_equal(iris.y_test.sum(axis=0), [10, 10, 10])
    cancer = load_dataset("breast_cancer")
    assert cancer.y_test.sum() == round(114 * 357 / 569)  # 357 of 569 samples are benign


def test_digits_and_blobs_scaling() -> None:
    digits = load_dataset("digits")
    raw = sklearn.datasets.load_digits()
    assert digits.X_train.min() == 0.0 and digits.X_train.max() == 1.0
    pixels = np.concatenate([digits.X_train, digits.X_test]) * 16.0
    np.testing.assert_array_equal(pixels, np.round(pixels))  # a fixed /16, nothing fitted
    assert pixels.sum() == raw.data.sum()
    blobs = load_dataset("blobs")
    np.testing.assert_allclose(blobs.X_train.min(axis=0), [0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(blobs.X_train.max(axis=0), [1.0, 1.0], rtol=1e-15)


def test_random_784_is_deterministic_teacher_labelled_and_sizable() -> None:
    small = load_dataset("random-784", n_train=64, n_test=16)
    assert small.X_train.shape == (64, 784) and small.y_test.shape == (16, 10)
    teacher = np.random.default_rng(0).standard_normal((784, 10))
    X = np.concatenate([small.X_train, small.X_test])
    y = np.concatenate([small.y_train, small.y_test])
    np.testing.assert_array_equal(y.argmax(axis=1), (X @ teacher).argmax(axis=1))
    assert small.fingerprint == load_dataset("random-784", n_train=64, n_test=16).fingerprint
    assert small.fingerprint != load_dataset("random-784", n_train=64, n_test=17).fingerprint
