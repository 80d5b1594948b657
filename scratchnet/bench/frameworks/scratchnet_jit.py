"""The ``scratchnet-jit`` contender: scratchnet's own formulas compiled with numba (:mod:`scratchnet.jit`).

The same model as the ``scratchnet`` contender -- built by :func:`cases.build_model`, the run's
initial weights copied in -- trained by :class:`scratchnet.jit.CompiledTrainer`: one compiled call
per epoch runs the whole batch loop, the batch order handed over as an index array.

* parity mode: the rows arrive permuted by the harness and are trained in that order;
* native mode: when the case shuffles, one permutation per epoch from
  ``numpy.random.default_rng(seed)`` -- the stream the ``scratchnet`` contender draws.

Epoch time: around the compiled call (there is no per-epoch set-up besides it). Compilation is
paid in :meth:`ScratchnetJitAdapter.prepare`, on a throwaway copy of the model trained on one
batch, and recorded as ``compile_seconds`` (numba compiles once per dtype and keeps the machine
code on disk, ``cache=True``: a later process loads it in ~1 s); no timed epoch includes it.
Predictions come from the NumPy model, whose weight vector the compiled code updates in place.

Optional: ``pip install -e .[jit]`` (numba, pinned); without it every case is recorded
``unsupported`` with that command.
"""
from __future__ import annotations

import importlib.util
import time

import numpy as np

from scratchnet.bench.cases.registry import Case, build_model
from scratchnet.bench.datasets.base import Dataset
from scratchnet.bench.store.schema import NOT_INSTALLED_PHRASE

NAME = "scratchnet-jit"
PINNED = "0.68.1"
NOT_INSTALLED = f"numba {NOT_INSTALLED_PHRASE} (optional: pip install -e .[jit], pinned numba=={PINNED})"


def numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


class ScratchnetJitTrainer:
    def __init__(self, model, case: Case, mode: str, seed: int, compile_seconds: float) -> None:
        from scratchnet.jit import compile_model

        self.model, self.case = model, case
        self.compiled = compile_model(model)
        self._rng = np.random.default_rng(seed) if mode == "native" and case.shuffle else None
        self._compile_seconds = compile_seconds

    @property
    def diverged(self) -> bool:
        return self.compiled.diverged

    def train_epoch(self, X: np.ndarray, Y: np.ndarray, batch_size: int | None = None) -> float:
        order = self._rng.permutation(X.shape[0]) if self._rng is not None else None
        batch = batch_size or self.case.batch_size
        t0 = time.perf_counter()
        self.compiled.train_epoch(X, Y, batch, order)
        return time.perf_counter() - t0

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict(X)

    def get_weights(self) -> list[np.ndarray]:
        return self.model.get_weights()

    def settings(self) -> dict:
        return {"execution": "numba, whole epoch per call", "compile_seconds": self._compile_seconds}


class ScratchnetJitAdapter:
    name = NAME

    def supports(self, case: Case) -> str | None:
        if not numba_available():
            return NOT_INSTALLED
        from scratchnet.jit import unsupported_reason

        return unsupported_reason(build_model(case, case.seeds(1)[0], n_features=1))  # the structure only

    def prepare(self, case: Case, dataset: Dataset, initial_weights: list[np.ndarray], mode: str, seed: int,
                **options) -> ScratchnetJitTrainer:
        from scratchnet.jit import compile_model

        # compile (or load numba's cache) on a throwaway copy, one batch: no run figure includes it
        scratch = build_model(case, seed, n_features=dataset.n_features)
        batch = min(case.batch_size or dataset.n_train, dataset.n_train)
        t0 = time.perf_counter()
        compile_model(scratch).train_epoch(dataset.X_train[:batch], dataset.y_train[:batch], batch)
        compile_seconds = time.perf_counter() - t0
        model = build_model(case, seed, n_features=dataset.n_features)
        model.set_weights(initial_weights)
        return ScratchnetJitTrainer(model, case, mode, seed, compile_seconds)


ADAPTER = ScratchnetJitAdapter()
