"""Benchmark datasets: deterministic, fingerprinted train/test splits.

Contract
--------
``load_dataset(name, **params)`` returns a frozen :class:`Dataset` whose four arrays
(``X_train``, ``X_test``, ``y_train``, ``y_test``) are float64, C-contiguous and 2-D:

* ``X_*`` has shape ``(n_rows, n_features)``;
* ``y_*`` has shape ``(n_rows, n_outputs)``: ``(N, 1)`` for ``"regression"`` and
  ``"binary"`` (values 0/1) tasks, one-hot ``(N, n_classes)`` for ``"multiclass"``.

Every loader is deterministic: splits and synthetic data use fixed random states,
independent of any training seed, so two loads give identical arrays and the same
``fingerprint`` (sha256 over dtype, shape and bytes of the four arrays, in the order
X_train, X_test, y_train, y_test; see :func:`fingerprint_arrays`).

Scalers (scikit-learn) are fitted on the training rows only, except for
``california-tutorial``, which reproduces a blog tutorial exactly, including its
min-max scaling over the full table; its ``description`` says so.

Nothing in the default path needs the network: the California housing table ships
as package data (``data/california_housing.csv.gz``) and is verified against
``data/SHA256SUMS`` on every load. ``source="sklearn"`` (optional, online) fetches it
with scikit-learn instead.

Errors: an unknown dataset name or parameter, a bad parameter value, a corrupted
data file or a failed download raise :class:`DatasetError` (a ``ValueError``).
"""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import importlib.resources
import inspect
import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from numpy.typing import DTypeLike
import pandas as pd
from sklearn import datasets as skdatasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler, StandardScaler

TASKS = ("regression", "binary", "multiclass")

CALIFORNIA_FILE = "california_housing.csv.gz"
CALIFORNIA_FEATURES = (
    "MedInc", "HouseAge", "AveRooms", "AveBedrms",
    "Population", "AveOccup", "Latitude", "Longitude",
)
CALIFORNIA_TARGET = "MedHouseVal"
CALIFORNIA_ROWS = 20_640
CALIFORNIA_SOURCES = ("package", "sklearn")

_ARRAY_ORDER = ("X_train", "X_test", "y_train", "y_test")


class DatasetError(ValueError):
    """A dataset could not be provided: unknown name/parameter, bad file, failed download."""


# --------------------------------------------------------------------------- Dataset


def fingerprint_arrays(
    X_train: np.ndarray, X_test: np.ndarray, y_train: np.ndarray, y_test: np.ndarray
) -> str:
    """Return the sha256 hex digest over dtype, shape and bytes of the four arrays, in order."""
    digest = hashlib.sha256()
    for label, array in zip(_ARRAY_ORDER, (X_train, X_test, y_train, y_test)):
        contiguous = np.ascontiguousarray(array)
        header = f"{label}|{contiguous.dtype.str}|{contiguous.shape}|"
        digest.update(header.encode("ascii"))
        digest.update(contiguous.tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Dataset:
    """A train/test split ready for a model; see the module docstring for the contract."""

    name: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    task: str
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    description: str
    fingerprint: str

    def __post_init__(self) -> None:
        _check_task(self.task)
        _check_matrix_pair("X", self.X_train, self.X_test)
        _check_matrix_pair("y", self.y_train, self.y_test)
        _check_rows("train", self.X_train, self.y_train)
        _check_rows("test", self.X_test, self.y_test)
        _check_names("feature_names", self.feature_names, self.X_train.shape[1])
        _check_names("target_names", self.target_names, self.y_train.shape[1])

    @property
    def n_features(self) -> int:
        """Number of input columns."""
        return int(self.X_train.shape[1])

    @property
    def n_outputs(self) -> int:
        """Number of target columns (1, or the number of classes when multiclass)."""
        return int(self.y_train.shape[1])

    @property
    def n_train(self) -> int:
        """Number of training rows."""
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        """Number of test rows."""
        return int(self.X_test.shape[0])

    def compute_fingerprint(self) -> str:
        """Recompute the fingerprint from the arrays (equals ``fingerprint`` unless tampered)."""
        return fingerprint_arrays(self.X_train, self.X_test, self.y_train, self.y_test)

    def astype(self, dtype: DTypeLike) -> Dataset:
        """Return a copy with all four arrays cast to ``dtype`` and the fingerprint recomputed."""
        arrays = {
            label: np.ascontiguousarray(getattr(self, label), dtype=dtype)
            for label in _ARRAY_ORDER
        }
        return dataclasses.replace(self, **arrays, fingerprint=fingerprint_arrays(**arrays))


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise DatasetError(f"task must be one of {TASKS}, got {task!r}")


def _check_matrix_pair(kind: str, train: np.ndarray, test: np.ndarray) -> None:
    for label, array in ((f"{kind}_train", train), (f"{kind}_test", test)):
        if not isinstance(array, np.ndarray) or array.ndim != 2:
            raise DatasetError(f"{label} must be a 2-D numpy array")
    if train.shape[1] != test.shape[1]:
        raise DatasetError(
            f"{kind}_train has {train.shape[1]} columns but {kind}_test has {test.shape[1]}"
        )


def _check_rows(split: str, X: np.ndarray, y: np.ndarray) -> None:
    if X.shape[0] != y.shape[0]:
        raise DatasetError(f"X_{split} has {X.shape[0]} rows but y_{split} has {y.shape[0]}")


def _check_names(label: str, names: tuple[str, ...], expected: int) -> None:
    if not isinstance(names, tuple) or len(names) != expected:
        raise DatasetError(f"{label} must be a tuple of {expected} names, got {names!r}")


def _make_dataset(
    name: str,
    task: str,
    splits: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    feature_names: tuple[str, ...],
    target_names: tuple[str, ...],
    description: str,
) -> Dataset:
    """Cast the (X_train, X_test, y_train, y_test) splits to 2-D float64 and fingerprint them."""
    X_train, X_test, y_train, y_test = (_as_matrix(a) for a in splits)
    return Dataset(
        name=name,
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        task=task,
        feature_names=tuple(feature_names),
        target_names=tuple(target_names),
        description=description,
        fingerprint=fingerprint_arrays(X_train, X_test, y_train, y_test),
    )


def _as_matrix(array: np.ndarray) -> np.ndarray:
    """Return ``array`` as a C-contiguous float64 matrix (a vector becomes one column)."""
    matrix = np.ascontiguousarray(array, dtype=np.float64)
    return matrix.reshape(-1, 1) if matrix.ndim == 1 else matrix


def _one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    return np.eye(n_classes, dtype=np.float64)[np.asarray(labels, dtype=np.int64)]


def _sizes(X_train: np.ndarray, X_test: np.ndarray) -> str:
    return f"{len(X_train)} train / {len(X_test)} test rows"


# --------------------------------------------------------------- parameter checks


def _check_positive_int(label: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise DatasetError(f"{label} must be a positive int, got {value!r}")
    return int(value)


def _check_source(source: object) -> str:
    if source not in CALIFORNIA_SOURCES:
        raise DatasetError(f"source must be one of {CALIFORNIA_SOURCES}, got {source!r}")
    return str(source)


# ------------------------------------------------------------- California housing


def _package_data_file(filename: str) -> bytes:
    return (importlib.resources.files("scratchnet.bench") / "data" / filename).read_bytes()


def _expected_california_sha256() -> str:
    """Read the sha256 of the packaged .gz from ``data/SHA256SUMS``."""
    for line in _package_data_file("SHA256SUMS").decode("ascii").splitlines():
        fields = line.split()
        if len(fields) == 2 and not line.startswith("#") and fields[1] == CALIFORNIA_FILE:
            return fields[0].lower()
    raise DatasetError(f"data/SHA256SUMS has no checksum line for {CALIFORNIA_FILE}")


def _verify_sha256(data: bytes, expected: str, where: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected.lower():
        raise DatasetError(
            f"sha256 checksum mismatch for {where}: expected {expected.lower()}, got {actual}"
        )


def _validate_california(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Check columns and row count; return the columns in the canonical order."""
    columns = (*CALIFORNIA_FEATURES, CALIFORNIA_TARGET)
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DatasetError(f"{where} is missing column(s): {', '.join(missing)}")
    if len(frame) != CALIFORNIA_ROWS:
        raise DatasetError(f"{where} has {len(frame)} rows, expected {CALIFORNIA_ROWS}")
    return frame.loc[:, list(columns)].astype(np.float64)


def _read_california(path: Path | None = None, expected_sha256: str | None = None) -> pd.DataFrame:
    """Read the California table from ``path`` (default: package data), verifying its sha256.

    ``expected_sha256`` defaults to the checksum listed in ``data/SHA256SUMS``.
    """
    where = str(path) if path is not None else f"package data file data/{CALIFORNIA_FILE}"
    data = Path(path).read_bytes() if path is not None else _package_data_file(CALIFORNIA_FILE)
    _verify_sha256(data, expected_sha256 or _expected_california_sha256(), where)
    try:
        frame = pd.read_csv(io.BytesIO(gzip.decompress(data)))
    except (OSError, EOFError, ValueError, zlib.error) as error:
        raise DatasetError(f"cannot parse {where}: {error}") from error
    return _validate_california(frame, where)


def _fetch_california_sklearn() -> pd.DataFrame:
    """Fetch the table with scikit-learn (network on first use); errors become DatasetError."""
    try:
        frame = skdatasets.fetch_california_housing(as_frame=True).frame
    except Exception as error:  # sklearn/urllib raise many kinds, including bare Exception
        raise DatasetError(
            f"downloading California housing with scikit-learn failed ({error!r}); "
            'the default source="package" works offline'
        ) from error
    return _validate_california(frame, "sklearn.datasets.fetch_california_housing()")


def _california_table(source: str) -> pd.DataFrame:
    if _check_source(source) == "sklearn":
        return _fetch_california_sklearn()
    return _read_california()


def _min_max_full_table(values: np.ndarray) -> np.ndarray:
    """Min-max scale each column over all rows: ``(x - min) / (max - min)``."""
    low, high = values.min(axis=0), values.max(axis=0)
    return (values - low) / (high - low)


def load_california_tutorial(source: str = "package") -> Dataset:
    """MedInc, AveRooms -> MedHouseVal, scaled over the full table as the tutorial did."""
    table = _california_table(source)
    features = ("MedInc", "AveRooms")
    scaled = _min_max_full_table(table.loc[:, [*features, CALIFORNIA_TARGET]].to_numpy())
    head = scaled[:10_000]
    X_train, X_test, y_train, y_test = train_test_split(
        head[:, :2], head[:, 2:], test_size=0.33, random_state=42
    )
    description = (
        f"California housing ({source} source, sklearn row order); X = MedInc, AveRooms; "
        "y = MedHouseVal. Reproduces a blog tutorial exactly: each of the three columns is "
        f"min-max scaled as (x - min) / (max - min) over the FULL {CALIFORNIA_ROWS}-row table "
        "(this leaks test rows into the scaling, on purpose, to match the tutorial), then the "
        "first 10000 rows are kept and split with train_test_split(test_size=0.33, "
        f"random_state=42): {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "california-tutorial", "regression", (X_train, X_test, y_train, y_test),
        features, (CALIFORNIA_TARGET,), description,
    )


def load_california(source: str = "package") -> Dataset:
    """All 8 features -> MedHouseVal ($100,000 units); X standardised on the training rows."""
    table = _california_table(source)
    X_train, X_test, y_train, y_test = train_test_split(
        table.loc[:, list(CALIFORNIA_FEATURES)].to_numpy(),
        table.loc[:, [CALIFORNIA_TARGET]].to_numpy(),
        test_size=0.2, random_state=0,
    )
    X_train, X_test = _standardise(X_train, X_test)
    description = (
        f"California housing ({source} source, {CALIFORNIA_ROWS} rows); X = all 8 features; "
        "y = MedHouseVal, unscaled (units of $100,000). Split train_test_split(test_size=0.2, "
        "random_state=0); X standardised with StandardScaler fitted on the training rows only: "
        f"{_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "california", "regression", (X_train, X_test, y_train, y_test),
        CALIFORNIA_FEATURES, (CALIFORNIA_TARGET,), description,
    )


# -------------------------------------------------------------- scikit-learn sets


def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """StandardScaler fitted on ``train`` only, applied to both."""
    scaler = StandardScaler().fit(train)
    return scaler.transform(train), scaler.transform(test)


def _split(X: np.ndarray, y: np.ndarray, test_size: float, stratify: bool) -> list[np.ndarray]:
    return train_test_split(
        X, y, test_size=test_size, random_state=0, stratify=y if stratify else None
    )


def load_diabetes() -> Dataset:
    """sklearn diabetes (raw features); X and y standardised on the training rows."""
    bunch = skdatasets.load_diabetes(scaled=False)
    X_train, X_test, y_train, y_test = _split(bunch.data, bunch.target.reshape(-1, 1), 0.2, False)
    X_train, X_test = _standardise(X_train, X_test)
    y_train, y_test = _standardise(y_train, y_test)
    description = (
        "sklearn load_diabetes(scaled=False): 10 raw features -> disease progression "
        "(raw targets 25..346). Split train_test_split(test_size=0.2, random_state=0); "
        "X and y each standardised with a StandardScaler fitted on the training rows only "
        f"(y is in standard units): {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "diabetes", "regression", (X_train, X_test, y_train, y_test),
        tuple(bunch.feature_names), ("progression",), description,
    )


def load_breast_cancer() -> Dataset:
    """sklearn breast cancer, binary (1 = benign); X standardised on the training rows."""
    bunch = skdatasets.load_breast_cancer()
    X_train, X_test, y_train, y_test = _split(bunch.data, bunch.target, 0.2, True)
    X_train, X_test = _standardise(X_train, X_test)
    description = (
        "sklearn load_breast_cancer: 30 features -> y = 1 benign, 0 malignant. Stratified "
        "train_test_split(test_size=0.2, random_state=0); X standardised with StandardScaler "
        f"fitted on the training rows only: {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "breast_cancer", "binary", (X_train, X_test, y_train, y_test),
        tuple(bunch.feature_names), ("benign",), description,
    )


def load_digits() -> Dataset:
    """sklearn 8x8 digits, 10 classes one-hot; pixels divided by 16 (no fitted scaler)."""
    bunch = skdatasets.load_digits()
    X_train, X_test, labels_train, labels_test = _split(bunch.data / 16.0, bunch.target, 0.2, True)
    description = (
        "sklearn load_digits: 64 pixel intensities 0..16 divided by 16.0 (a fixed scale, "
        "nothing fitted) -> 10 classes, one-hot. Stratified train_test_split(test_size=0.2, "
        f"random_state=0): {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "digits", "multiclass",
        (X_train, X_test, _one_hot(labels_train, 10), _one_hot(labels_test, 10)),
        tuple(bunch.feature_names), tuple(str(c) for c in bunch.target_names), description,
    )


def _load_standardised_multiclass(name: str, loader: Callable[[], object]) -> Dataset:
    """A small sklearn classification table: stratified split, standardised X, one-hot y."""
    bunch = loader()
    n_classes = len(bunch.target_names)
    X_train, X_test, labels_train, labels_test = _split(bunch.data, bunch.target, 0.2, True)
    X_train, X_test = _standardise(X_train, X_test)
    description = (
        f"sklearn load_{name}: {bunch.data.shape[1]} features -> {n_classes} classes, one-hot. "
        "Stratified train_test_split(test_size=0.2, random_state=0); X standardised with "
        f"StandardScaler fitted on the training rows only: {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        name, "multiclass",
        (X_train, X_test, _one_hot(labels_train, n_classes), _one_hot(labels_test, n_classes)),
        tuple(bunch.feature_names), tuple(str(c) for c in bunch.target_names), description,
    )


def load_wine() -> Dataset:
    """sklearn wine, 3 classes one-hot; X standardised on the training rows."""
    return _load_standardised_multiclass("wine", skdatasets.load_wine)


def load_iris() -> Dataset:
    """sklearn iris, 3 classes one-hot; X standardised on the training rows."""
    return _load_standardised_multiclass("iris", skdatasets.load_iris)


# ------------------------------------------------------------------ synthetic sets


def load_moons() -> Dataset:
    """Two interleaving half-moons, binary, unscaled."""
    X, y = skdatasets.make_moons(n_samples=1000, noise=0.2, random_state=0)
    X_train, X_test, y_train, y_test = _split(X, y, 0.2, False)
    description = (
        "sklearn make_moons(n_samples=1000, noise=0.2, random_state=0): 2 features -> binary "
        "label. Split train_test_split(test_size=0.2, random_state=0); no scaling (features "
        f"are already about unit range): {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "moons", "binary", (X_train, X_test, y_train, y_test), ("x0", "x1"), ("label",),
        description,
    )


def load_friedman1() -> Dataset:
    """Friedman #1 regression; X and y standardised on the training rows."""
    X, y = skdatasets.make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=0)
    X_train, X_test, y_train, y_test = _split(X, y.reshape(-1, 1), 0.2, False)
    X_train, X_test = _standardise(X_train, X_test)
    y_train, y_test = _standardise(y_train, y_test)
    description = (
        "sklearn make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=0) "
        "(only the first 5 features matter). Split train_test_split(test_size=0.2, "
        "random_state=0); X and y each standardised with a StandardScaler fitted on the "
        f"training rows only: {_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "friedman1", "regression", (X_train, X_test, y_train, y_test),
        tuple(f"x{i}" for i in range(10)), ("y",), description,
    )


def load_three_feature() -> Dataset:
    """The 'single neuron' tutorial: 3 bits in, target = the first bit."""
    X_train = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], dtype=np.float64)
    X_test = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], dtype=np.float64)
    description = (
        "The classic single-neuron tutorial: train X = [[0,0,1],[1,1,1],[1,0,1],[0,1,1]], "
        "y = [[0],[1],[1],[0]]; test X = the other four 3-bit vectors [[0,0,0],[1,0,0],"
        "[0,1,0],[1,1,0]]; the target equals the first feature. No scaling: 4 train / 4 test rows."
    )
    return _make_dataset(
        "three-feature", "binary", (X_train, X_test, X_train[:, :1], X_test[:, :1]),
        ("x0", "x1", "x2"), ("x0",), description,
    )


def load_sleep_study() -> Dataset:
    """'Neural Networks Demystified': (hours sleep, hours study) -> test score."""
    X_train = np.array([[3, 5], [5, 1], [10, 2], [6, 1.5]], dtype=np.float64)
    y_train = np.array([[75], [82], [93], [70]], dtype=np.float64)
    X_test = np.array([[4, 5.5], [4.5, 1], [9, 2.5], [6, 2]], dtype=np.float64)
    y_test = np.array([[70], [89], [85], [75]], dtype=np.float64)
    column_max = X_train.max(axis=0)
    description = (
        "The 'Neural Networks Demystified' 2-3-1 tutorial data: X = (hours of sleep, hours "
        "of study), y = test score. X (train and test) divided by the column max of the "
        "TRAIN X; y divided by 100. Fixed split: 4 train / 4 test rows."
    )
    return _make_dataset(
        "sleep-study", "regression",
        (X_train / column_max, X_test / column_max, y_train / 100.0, y_test / 100.0),
        ("sleep", "study"), ("score",), description,
    )


def load_blobs() -> Dataset:
    """Two Gaussian blobs for a perceptron; X min-max scaled on the training rows."""
    X, y = skdatasets.make_blobs(n_samples=200, centers=2, n_features=2, random_state=0)
    X_train, X_test, y_train, y_test = _split(X, y, 0.25, False)
    scaler = MinMaxScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    description = (
        "sklearn make_blobs(n_samples=200, centers=2, n_features=2, random_state=0) -> binary "
        "label. Split train_test_split(test_size=0.25, random_state=0); X min-max scaled with "
        "MinMaxScaler fitted on the training rows only (test values may fall outside [0, 1]): "
        f"{_sizes(X_train, X_test)}."
    )
    return _make_dataset(
        "blobs", "binary", (X_train, X_test, y_train, y_test), ("x0", "x1"), ("label",),
        description,
    )


def load_random_784(n_train: int = 8192, n_test: int = 2048) -> Dataset:
    """Throughput set: 784 standard-normal features, 10 classes from a fixed linear teacher."""
    n_train = _check_positive_int("n_train", n_train)
    n_test = _check_positive_int("n_test", n_test)
    rng = np.random.default_rng(0)
    teacher = rng.standard_normal((784, 10))
    X = rng.standard_normal((n_train + n_test, 784))
    labels = np.argmax(X @ teacher, axis=1)
    description = (
        "Synthetic throughput set: np.random.default_rng(0) draws a fixed 784x10 'teacher' "
        "matrix, then X ~ N(0, 1) with 784 features; label = argmax(X @ teacher) (learnable), "
        f"one-hot over 10 classes. First {n_train} rows train, next {n_test} test; no scaling; "
        "float64 (cases cast as they need)."
    )
    return _make_dataset(
        "random-784", "multiclass",
        (X[:n_train], X[n_train:], _one_hot(labels[:n_train], 10), _one_hot(labels[n_train:], 10)),
        tuple(f"x{i}" for i in range(784)), tuple(f"class_{i}" for i in range(10)), description,
    )


# ------------------------------------------------------------------- your own CSV

CSV_SCALINGS = ("none", "minmax", "standard")


def _csv_numeric(frame: pd.DataFrame, column: str, where: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = int(bad[0])
        raise DatasetError(
            f"{where}: column {column!r} is not numeric at data row {row + 1} (line {row + 2}): "
            f"{frame[column].iloc[row]!r}"
        )
    return values


def load_csv(
    path: str,
    features: tuple[str, ...],
    targets: tuple[str, ...],
    scaling: str = "none",
    scale_targets: bool = False,
    test_size: float = 0.2,
    seed: int = 0,
    task: str = "regression",
) -> Dataset:
    """Your own table: ``features`` -> ``targets`` columns of the CSV at ``path``.

    Split with ``train_test_split(test_size=test_size, random_state=seed)``; ``scaling``
    ("none", "minmax" or "standard") is fitted on the training rows only and applied to X
    (and to y when ``scale_targets``). Every used cell must be a finite number; the
    fingerprint covers the resulting arrays like any shipped dataset's.
    """
    where = str(path)
    features, targets = tuple(features), tuple(targets)
    if not features or not targets:
        raise DatasetError(f"{where}: features and targets must each name at least one column")
    if scaling not in CSV_SCALINGS:
        raise DatasetError(f"{where}: scaling must be one of {CSV_SCALINGS}, got {scaling!r}")
    _check_task(task)
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)) or not 0 < test_size < 1:
        raise DatasetError(f"{where}: test_size must be a fraction strictly between 0 and 1, got {test_size!r}")
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise DatasetError(f"{where}: no such file") from None
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise DatasetError(f"cannot parse {where}: {error}") from error
    missing = [c for c in (*features, *targets) if c not in frame.columns]
    if missing:
        raise DatasetError(
            f"{where}: column(s) {missing} not in the CSV; its columns are {list(frame.columns)}"
        )
    X = np.column_stack([_csv_numeric(frame, c, where) for c in features])
    y = np.column_stack([_csv_numeric(frame, c, where) for c in targets])
    if len(frame) < 2:
        raise DatasetError(f"{where}: needs at least 2 data rows to split, got {len(frame)}")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=seed)
    if scaling != "none":
        scaler = MinMaxScaler if scaling == "minmax" else StandardScaler
        x_scaler = scaler().fit(X_train)
        X_train, X_test = x_scaler.transform(X_train), x_scaler.transform(X_test)
        if scale_targets:
            y_scaler = scaler().fit(y_train)
            y_train, y_test = y_scaler.transform(y_train), y_scaler.transform(y_test)
    sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    description = (
        f"CSV {Path(path).name} (sha256 {sha[:12]}): {', '.join(features)} -> {', '.join(targets)}. "
        f"Split train_test_split(test_size={test_size}, random_state={seed}); scaling {scaling!r} fitted "
        f"on the training rows only, applied to X{' and y' if scale_targets and scaling != 'none' else ''}: "
        f"{_sizes(X_train, X_test)}."
    )
    return _make_dataset("csv", task, (X_train, X_test, y_train, y_test), features, targets, description)


# ----------------------------------------------------------------------- registry

LOADERS: dict[str, Callable[..., Dataset]] = {
    "california-tutorial": load_california_tutorial,
    "california": load_california,
    "diabetes": load_diabetes,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
    "wine": load_wine,
    "iris": load_iris,
    "moons": load_moons,
    "friedman1": load_friedman1,
    "three-feature": load_three_feature,
    "sleep-study": load_sleep_study,
    "blobs": load_blobs,
    "random-784": load_random_784,
    "csv": load_csv,
}


def list_datasets() -> list[str]:
    """Names accepted by :func:`load_dataset`, in registry order."""
    return list(LOADERS)


def _check_params(name: str, loader: Callable[..., Dataset], params: dict[str, object]) -> None:
    accepted = tuple(inspect.signature(loader).parameters)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise DatasetError(
            f"dataset {name!r} got unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"it accepts: {', '.join(accepted) or 'no parameters'}"
        )


def load_dataset(name: str, **params: object) -> Dataset:
    """Load the dataset registered under ``name``, passing ``params`` to its loader."""
    loader = LOADERS.get(name)
    if loader is None:
        raise DatasetError(
            f"unknown dataset {name!r}; valid names: {', '.join(list_datasets())}"
        )
    _check_params(name, loader, params)
    return loader(**params)
