"""The dataset registry: every loader by name, :func:`load_dataset` and :func:`list_datasets`."""
from __future__ import annotations

import inspect
from typing import Callable


from scratchnet.bench.datasets.base import Dataset, DatasetError
from scratchnet.bench.datasets.california import load_california, load_california_tutorial
from scratchnet.bench.datasets.sklearn_sets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from scratchnet.bench.datasets.synthetic import (load_blobs, load_friedman1, load_moons, load_random_784,
    load_sleep_study, load_three_feature)
from scratchnet.bench.datasets.user_csv import load_csv


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
