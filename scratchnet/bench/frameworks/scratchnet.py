"""The scratchnet adapter: the library under test, trained with its own ``fit``.

* parity mode: the model starts from ``initial_weights`` (drawn by :func:`cases.build_model`
  with the run's seed) and each epoch is one ``fit(X, Y, epochs=1, shuffle=False)`` on the
  rows the harness hands over, in that order.
* native mode: the same initialisation (scratchnet's own); when the case shuffles, the
  trainer draws one permutation per epoch from ``numpy.random.default_rng(seed)`` -- exactly
  the stream ``fit(..., epochs=N, shuffle=True, seed=seed)`` would draw.

Epoch time: from ``on_epoch_begin`` to ``on_epoch_end`` of a scratchnet callback, so the
checks at the start of each ``fit`` call are not counted.

Settings: after training, the run's overhead columns (framework tax against the hand-written
reference loop, GEMM share) from one bounded measurement on the rows trained on
(:func:`scratchnet.bench.measures.overhead.overhead_columns`, about two epochs' worth; NaN when the
reference loop cannot express the case).
"""
from __future__ import annotations

import time

import numpy as np

from scratchnet.bench.cases.registry import Case, build_model
from scratchnet.bench.datasets.base import Dataset


class ScratchnetTrainer:
    def __init__(self, model, case: Case, mode: str, seed: int) -> None:
        from scratchnet.callbacks import Callback

        self.model, self.case, self.seed = model, case, seed
        self._rows: tuple[np.ndarray, np.ndarray] | None = None
        self._overhead: dict | None = None
        self._rng = np.random.default_rng(seed) if mode == "native" and case.shuffle else None
        self._begin = self._end = 0.0
        trainer = self

        class _Clock(Callback):
            def on_epoch_begin(self, epoch, logs=None):
                trainer._begin = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                trainer._end = time.perf_counter()

        self._clock = _Clock()

    @property
    def diverged(self) -> bool:
        return bool(self.model.diverged)

    def train_epoch(self, X: np.ndarray, Y: np.ndarray, batch_size: int | None = None) -> float:
        if self._rng is not None:
            order = self._rng.permutation(X.shape[0])
            X, Y = X[order], Y[order]
        self._rows = (X, Y)
        self._begin = self._end = time.perf_counter()
        self.model.fit(X, Y, batch_size=batch_size or self.case.batch_size, epochs=1, shuffle=False,
                       callbacks=[self._clock], verbose=0)
        return self._end - self._begin

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict(X)

    def get_weights(self) -> list[np.ndarray]:
        return self.model.get_weights()

    def settings(self) -> dict:
        if self._rows is not None and self._overhead is None:  # once, after training
            from scratchnet.bench.measures.overhead import overhead_columns

            self._overhead = overhead_columns(self.case, *self._rows, seed=self.seed)
        return dict(self._overhead or {})


class ScratchnetAdapter:
    name = "scratchnet"

    def supports(self, case: Case) -> str | None:
        return None

    def prepare(self, case: Case, dataset: Dataset, initial_weights: list[np.ndarray], mode: str, seed: int,
                **options) -> ScratchnetTrainer:
        model = build_model(case, seed, n_features=dataset.n_features)
        model.set_weights(initial_weights)
        return ScratchnetTrainer(model, case, mode, seed)


ADAPTER = ScratchnetAdapter()
