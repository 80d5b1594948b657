"""A user's own CSV file as a dataset (``load_dataset("csv", path=..., target=...)``): column checks
naming the file and column, a fixed split, optional scaling fitted on the training rows."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler, StandardScaler


from scratchnet.bench.datasets.base import Dataset, DatasetError, _check_task, _make_dataset, _sizes


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
