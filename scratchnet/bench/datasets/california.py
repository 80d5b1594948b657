"""California housing, shipped as package data (``scratchnet/bench/data/california_housing.csv.gz``),
verified against ``data/SHA256SUMS`` on every load; ``source="sklearn"`` fetches it online instead.
Two views: ``california`` (8 features, standardised on the training rows) and ``california-tutorial``
(2 features, min-max scaled over the full table, as the blog tutorial it reproduces does).
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import io
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets as skdatasets
from sklearn.model_selection import train_test_split


from scratchnet.bench.datasets.base import (CALIFORNIA_FEATURES, CALIFORNIA_FILE, CALIFORNIA_ROWS, CALIFORNIA_TARGET,
    Dataset, DatasetError, _check_source, _make_dataset, _sizes, _standardise)


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
