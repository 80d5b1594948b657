"""Input checks shared by the model's public methods.

Each check raises ``TypeError`` (wrong kind of thing) or ``ValueError`` (wrong value)
naming the argument and the problem, before any training work starts.
"""
from __future__ import annotations

import math

import numpy as np


def as_2d_array(value, name: str, n_features: int | None = None) -> np.ndarray:
    """Return ``value`` as a finite, numeric, non-empty 2-D array (rows, features)."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged lists and the like
        raise TypeError(f"{name} could not be converted to a numeric array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers (bool, int or float), got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples, features), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); at least one row and one column are needed")
    check_finite(arr, name)
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features (columns) but the model expects {n_features}"
        )
    return arr


def as_target_array(value, name: str = "y") -> np.ndarray:
    """Return ``value`` as a finite, numeric, non-empty array of 1 or 2 dimensions."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} could not be converted to a numeric array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers (bool, int or float), got dtype {arr.dtype}")
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D (samples,) or 2-D (samples, outputs), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    # a NaN or inf anywhere makes the sum non-finite: one pass and no (N, features) mask;
    # only a non-finite sum (data, or an overflowing sum of finite data) is checked element-wise
    """Raise ValueError naming ``name`` and the NaN/inf counts when a float array holds a non-finite value."""
    if arr.dtype.kind != "f":
        return
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(arr, axis=None)
    if not np.isfinite(total) and not np.isfinite(arr).all():
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        raise ValueError(f"{name} contains {n_nan} NaN and {n_inf} inf values; clean the data first")


def check_same_rows(x: np.ndarray, y: np.ndarray, x_name: str = "x", y_name: str = "y") -> None:
    """Raise ValueError when ``x`` and ``y`` differ in their number of rows (axis 0)."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{x_name} and {y_name} must have the same number of rows, got {x.shape[0]} and {y.shape[0]}"
        )


def positive_int(value, name: str) -> int:
    """``value`` as an int >= 1 (TypeError for a non-integer or bool, ValueError below 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def batch_size_for(value, n_rows: int, name: str = "batch_size") -> int:
    """``None`` means one batch of all rows; otherwise an integer >= 1, capped at ``n_rows``."""
    if value is None:
        return n_rows
    return min(positive_int(value, name), n_rows)


def is_finite_number(value: float) -> bool:
    """True for a finite float (not NaN, not +-inf)."""
    return math.isfinite(value)
