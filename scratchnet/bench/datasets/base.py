"""The dataset container and its checks: :class:`Dataset`, :func:`fingerprint_arrays`, :class:`DatasetError`.

Every loader of this package builds its result through :func:`_make_dataset`, which checks the
arrays (2-D, float64, matching rows, the task's target layout) and fingerprints them.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


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

def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """StandardScaler fitted on ``train`` only, applied to both."""
    scaler = StandardScaler().fit(train)
    return scaler.transform(train), scaler.transform(test)


def _split(X: np.ndarray, y: np.ndarray, test_size: float, stratify: bool) -> list[np.ndarray]:
    return train_test_split(
        X, y, test_size=test_size, random_state=0, stratify=y if stratify else None
    )
