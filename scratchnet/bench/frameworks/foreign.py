"""The foreign adapter: your own hand-written network as a contender, under its own label.

``scratchnet-bench run --frameworks scratchnet,keras,path/to/net.py:factory [--label NAME]``
registers one :class:`ForeignAdapter` per target (:func:`register_target`); the runner then
trains it like any framework and records it under the label (default: the file's stem).

* ``supports(case)``: the network must *be* the case's model -- its ``describe()`` gives the
  case's layers, activations, bias, loss, optimizer with the same hyper-parameters, and dtype
  (:func:`scratchnet.bench.parity.foreign.case_mismatches`); otherwise the run is "unsupported" with
  the differences named, because its figures would not compare like with like.
* ``prepare``: a fresh network from the factory (``factory()`` is called once per run). In
  parity mode it gets ``initial_weights`` (scratchnet's, drawn with the run's seed) through
  ``set_weights``; in native mode it keeps its own initial weights. Before training, outside
  every timed region, :func:`scratchnet.bench.parity.check.check_foreign` runs a short lockstep
  check of another fresh instance against the Keras twin (the suite's parity-gate rows and
  epochs) and its verdict is recorded in the run row (``foreign_parity_passed``,
  ``foreign_parity_drift``, ``foreign_parity_message``), with the target (``foreign_target``).
* ``train_epoch``: the harness hands over the epoch's rows (already permuted in parity
  mode); the trainer cuts them into the case's batches (``None``: one full batch) and calls
  ``train_on_batch`` on each, in order. In native mode a shuffling case is shuffled with one
  permutation per epoch from ``numpy.random.default_rng(seed)``. The epoch time is measured
  around that loop (the network has no epoch hooks), so it includes the harness' slicing --
  a few microseconds a step.
* ``predict``/``get_weights``: the network's own, checked (shape ``(rows, outputs)``; weights
  in Keras' layout, returned in the case's dtype).

Registered adapters live in this process only: ``run --jobs N`` (N > 1) refuses foreign
frameworks (the CLI says so).
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from scratchnet.bench.cases.registry import Case
from scratchnet.bench.datasets.base import Dataset
from scratchnet.bench.parity.foreign import (ForeignError, ForeignNet, case_mismatches, default_label,
    load_foreign)

__all__ = ["ForeignAdapter", "ForeignTrainer", "register_target", "CHECK_ROWS", "CHECK_EPOCHS"]

CHECK_ROWS = 64     # the suite's PARITY_ROWS
CHECK_EPOCHS = 3    # the suite's PARITY_EPOCHS


class ForeignTrainer:
    def __init__(self, net: ForeignNet, case: Case, mode: str, seed: int, checked: dict) -> None:
        self.net, self.case, self.dtype = net, case, case.dtype
        self._rng = np.random.default_rng(seed) if mode == "native" and case.shuffle else None
        self._settings = checked

    def train_epoch(self, X: np.ndarray, Y: np.ndarray, batch_size: int | None = None) -> float:
        if self._rng is not None:
            order = self._rng.permutation(X.shape[0])
            X, Y = X[order], Y[order]
        if self.net.description.loss == "sparse_categorical_crossentropy" and Y.ndim == 2 and Y.shape[1] == 1:
            Y = Y.reshape(-1)
        n = X.shape[0]
        bs = batch_size or self.case.batch_size or n
        train = self.net.obj.train_on_batch  # unwrapped in the timed loop: no per-step checks
        start = time.perf_counter()
        try:
            for lo in range(0, n, bs):
                train(X[lo:lo + bs], Y[lo:lo + bs])
        except Exception as exc:
            raise ForeignError(f"{self.net.target}: train_on_batch() raised {type(exc).__name__}: {exc}") from exc
        return time.perf_counter() - start

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.net.predict(X)

    def get_weights(self) -> list[np.ndarray]:
        return [w.astype(self.dtype) for w in self.net.get_weights()]

    def settings(self) -> dict:
        return dict(self._settings)


class ForeignAdapter:
    """A foreign network (``file.py:factory`` or ``package.module:factory``) under ``name``."""

    def __init__(self, target: str, name: str | None = None) -> None:
        self.target = target
        self.name = name or default_label(target)
        self.description = load_foreign(target).description  # fails early on a bad target

    def supports(self, case: Case) -> str | None:
        differ = case_mismatches(self.description, case)
        if differ:
            return f"{self.target} is not the case's model: " + "; ".join(differ)
        return None

    def _check(self, case: Case, dataset: Dataset, initial: list[np.ndarray] | None) -> dict[str, Any]:
        from scratchnet.bench.parity.check import check_foreign

        net = load_foreign(self.target)
        if initial is not None:
            net.set_weights(initial, case.dtype)
        n = min(CHECK_ROWS, dataset.n_train)
        batch = case.batch_size if case.batch_size is not None and case.batch_size < n else None
        result = check_foreign(net, dataset.X_train[:n], dataset.y_train[:n], batch_size=batch,
                               epochs=CHECK_EPOCHS, shuffle=case.shuffle, seed=0, dtype=case.dtype, case=case.name)
        message = "" if result.passed else result.verdict().splitlines()[0]
        drift = result.max_drift if result.passed else result.divergence.drift
        # written as text: a bool column beside other frameworks' NaN would be stored as 1.0/0.0
        return {"foreign_target": self.target, "foreign_parity_passed": str(bool(result.passed)),
                "foreign_parity_drift": drift if drift is not None else math.nan,
                "foreign_parity_message": message}

    def prepare(self, case: Case, dataset: Dataset, initial_weights: list[np.ndarray], mode: str, seed: int,
                **options: Any) -> ForeignTrainer:
        initial = initial_weights if mode == "parity" else None
        checked = self._check(case, dataset, initial)
        net = load_foreign(self.target)
        if net.description.input_dim != dataset.n_features:
            raise ForeignError(f"{self.target}: describe()['input_dim'] is {net.description.input_dim} but the "
                               f"case's data has {dataset.n_features} feature column(s)")
        if initial is not None:
            net.set_weights(initial_weights, case.dtype)
        return ForeignTrainer(net, case, mode, seed, checked)


def register_target(target: str, label: str | None = None) -> ForeignAdapter:
    """Load ``target``, build its adapter and register it under ``label`` (or the default label)."""
    from scratchnet.bench.frameworks import register

    adapter = ForeignAdapter(target, label)
    register(adapter)
    return adapter
