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

Layout (one module per family): :mod:`.base` (the container, checks, fingerprints, shared
split/scaling helpers), :mod:`.california` (the shipped CSV and its two views),
:mod:`.sklearn_sets`, :mod:`.synthetic` (tutorial and generated sets), :mod:`.user_csv` (your own
CSV) and :mod:`.registry` (names -> loaders). Imports nothing from the rest of
``scratchnet.bench``; everything imports it.
"""

from __future__ import annotations

from scratchnet.bench.datasets.base import (CALIFORNIA_FEATURES, CALIFORNIA_FILE, CALIFORNIA_ROWS,
    CALIFORNIA_SOURCES, CALIFORNIA_TARGET, Dataset, DatasetError, TASKS, fingerprint_arrays)
from scratchnet.bench.datasets.california import load_california, load_california_tutorial
from scratchnet.bench.datasets.sklearn_sets import (load_breast_cancer, load_diabetes, load_digits,
    load_iris, load_wine)
from scratchnet.bench.datasets.synthetic import (load_blobs, load_friedman1, load_moons, load_random_784,
    load_sleep_study, load_three_feature)
from scratchnet.bench.datasets.user_csv import CSV_SCALINGS, load_csv
from scratchnet.bench.datasets.registry import LOADERS, list_datasets, load_dataset

__all__ = ['CALIFORNIA_FEATURES', 'CALIFORNIA_FILE', 'CALIFORNIA_ROWS', 'CALIFORNIA_SOURCES', 'CALIFORNIA_TARGET', 'Dataset', 'DatasetError', 'TASKS', 'fingerprint_arrays', 'load_california', 'load_california_tutorial', 'load_breast_cancer', 'load_diabetes', 'load_digits', 'load_iris', 'load_wine', 'load_blobs', 'load_friedman1', 'load_moons', 'load_random_784', 'load_sleep_study', 'load_three_feature', 'CSV_SCALINGS', 'load_csv', 'LOADERS', 'list_datasets', 'load_dataset']
