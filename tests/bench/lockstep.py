"""A shared test helper: train two trainers on the same shuffled epochs and track their weights apart."""
from __future__ import annotations

import numpy as np


def relative(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| relative to b's scale (the parity gate's per-array figure)."""
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def lockstep_drift(first, second, ds, epochs: int = 2) -> float:
    """Worst relative weight difference of ``first`` vs ``second`` after each of ``epochs``
    epochs on the same permutations (``default_rng(0)``) of ``ds``'s training rows."""
    rng, worst = np.random.default_rng(0), 0.0
    for _ in range(epochs):
        order = rng.permutation(ds.n_train)
        first.train_epoch(ds.X_train[order], ds.y_train[order])
        second.train_epoch(ds.X_train[order], ds.y_train[order])
        worst = max(worst, *(relative(a, b) for a, b in zip(first.get_weights(), second.get_weights())))
    return worst
