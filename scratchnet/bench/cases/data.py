"""A case's dataset, loaded once per process and cast to the case's dtype.

``dataset_for(case)`` is what every contender trains on (the runner, the memory probes, the
calibrations); ``case_dataset`` is its cache (8 entries, keyed by name, parameters and dtype).
"""
from __future__ import annotations

from functools import lru_cache

from scratchnet.bench.cases.registry import Case
from scratchnet.bench.datasets.base import Dataset
from scratchnet.bench.datasets.registry import load_dataset


@lru_cache(maxsize=8)
def case_dataset(name: str, params: tuple, dtype: str) -> Dataset:
    """The case's dataset cast to its dtype (cached per process)."""
    return load_dataset(name, **dict(params)).astype(dtype)


def dataset_for(case: Case, dtype: str | None = None) -> Dataset:
    return case_dataset(case.dataset, case.dataset_params, dtype or case.dtype)
