"""The Keras adapters: ``keras`` (Keras at its calibrated best) and ``keras-default``.

Both train the Keras twin of the case's scratchnet model (:func:`keras_twin.to_keras`: same
layers, loss, optimizer and hyper-parameters, dtype), so in parity mode their maths is the
same as scratchnet's and as each other's; they differ only in how Keras executes it:

* ``keras`` -- ``compile(steps_per_execution=S, jit_compile=J)`` with the (S, J) that ran
  fastest for this case and dtype in a short calibration
  (:mod:`scratchnet.bench.frameworks.keras_calibration`), cached in the results directory.
  ``run_case(framework_options={"keras_steps_per_execution": S})`` forces S (with J False)
  and skips calibration.
* ``keras-default`` -- Keras exactly as a user calls it: ``compile()`` and ``fit()``
  defaults, ``steps_per_execution=1`` and ``jit_compile="auto"`` (which Keras resolves to
  False on a CPU-only machine, as for any user there, and also while op determinism is on;
  the resolved value is recorded in ``keras_jit_compile``). It costs ~2.5 ms a step, so it is a
  timing contender (its maths is that of ``keras``): it trains at least
  :data:`KERAS_DEFAULT_MIN_EPOCHS` epochs, then stops once its training time reaches
  :data:`KERAS_DEFAULT_BUDGET_SECONDS` -- dozens of epochs on a tutorial case (a steady median),
  three on a case whose epoch takes seconds.

Modes: parity copies ``initial_weights`` (scratchnet's) and keeps the harness' batch order
(``shuffle=False``); native draws the weights with Keras' own initializers under
``keras.utils.set_random_seed(seed)`` and lets ``fit`` shuffle (``shuffle=case.shuffle``).
Keras' array adapter then repeats one permutation every epoch under a fixed seed -- a Keras
property, the same in one ``fit(epochs=N)`` as in N ``fit(epochs=1)`` calls.

Epoch time: from a Keras callback's ``on_epoch_begin`` to its ``on_epoch_end``, so the data
adapter's set-up in each ``fit`` call is not counted. When the harness does not re-order the
rows between epochs, the runner calls :meth:`KerasTrainer.train_epochs`: ONE
``fit(epochs=N)`` call (as a Keras user writes it), its callback handing each epoch to the
runner and setting ``model.stop_training`` when the runner stops (divergence, time limit). Keras' first epoch includes graph
tracing (and XLA compilation when J is True); the runner reports it separately.
Every ``fit``/predict runs inside ``keras_floatx(case.dtype)`` (Keras casts inputs to floatx).
"""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from scratchnet.bench.cases.registry import Case, build_model
from scratchnet.bench.datasets.base import Dataset

KERAS_DEFAULT_MIN_EPOCHS = 3         # keras-default trains at least this many epochs (or the case's, if fewer),
KERAS_DEFAULT_BUDGET_SECONDS = 2.0   # then stops once its training time reaches this: a timing contender only
_PREDICT_CHUNK = 16384


def keras_initial_weights(keras, case: Case, shapes: list[tuple[tuple, tuple | None]], dtype: str,
                          seed: int) -> list[np.ndarray]:
    """Weights drawn by Keras' own initializers of ``case`` under ``keras.utils.set_random_seed(seed)``,
    layer by layer (kernel, then bias when ``shapes`` has one): Keras' native initialisation, also
    used by ``tf-loop`` in native mode."""
    def init(spec):
        if isinstance(spec, str):
            return keras.initializers.get(spec)
        name, params = spec
        return keras.initializers.get({"class_name": name, "config": dict(params)})

    keras.utils.set_random_seed(seed)
    values: list[np.ndarray] = []
    for kernel_shape, bias_shape in shapes:
        values.append(np.asarray(init(case.kernel_initializer)(kernel_shape, dtype=dtype)))
        if bias_shape is not None:
            values.append(np.asarray(init(case.bias_initializer)(bias_shape, dtype=dtype)))
    return values


def _native_weights(keras, case: Case, twin, seed: int) -> None:
    """Replace the twin's copied weights with ones drawn by Keras' own initializers."""
    dense = [layer for layer in twin.layers if layer.weights]
    shapes = [(tuple(layer.kernel.shape), tuple(layer.bias.shape) if layer.use_bias else None) for layer in dense]
    values = iter(keras_initial_weights(keras, case, shapes, dense[0].kernel.dtype if dense else case.dtype, seed))
    for layer in dense:
        layer.set_weights([next(values) for _ in range(2 if layer.use_bias else 1)])


def build_twin(case: Case, dataset: Dataset, initial_weights: list[np.ndarray], *, steps_per_execution: int,
               jit_compile: bool | str):
    """The case's compiled Keras twin starting from ``initial_weights``."""
    from scratchnet.bench.parity.keras_twin import to_keras

    model = build_model(case, 0, n_features=dataset.n_features)
    model.set_weights(initial_weights)
    return to_keras(model, steps_per_execution=steps_per_execution, jit_compile=jit_compile)


class KerasTrainer:
    def __init__(self, twin, case: Case, mode: str, settings: dict) -> None:
        from scratchnet.bench.parity.keras_twin import import_keras

        keras = import_keras()
        self.twin, self.case, self._settings = twin, case, settings
        self._shuffle = mode == "native" and case.shuffle
        self._begin = self._end = 0.0
        trainer = self

        class _Clock(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                trainer._begin = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                trainer._end = time.perf_counter()

        self._clock = _Clock()

    def train_epoch(self, X: np.ndarray, Y: np.ndarray, batch_size: int | None = None) -> float:
        from scratchnet.bench.parity.keras_twin import keras_floatx

        self._begin = self._end = time.perf_counter()
        with keras_floatx(self.case.dtype):
            self.twin.fit(X, Y, batch_size=batch_size or self.case.batch_size or X.shape[0], epochs=1,
                          shuffle=self._shuffle,
                          callbacks=[self._clock], verbose=0)
        return self._end - self._begin

    def train_epochs(self, X: np.ndarray, Y: np.ndarray, epochs: int, begin_epoch: Callable[[], None],
                     end_epoch: Callable[[float], bool], batch_size: int | None = None) -> None:
        """Up to ``epochs`` epochs in ONE ``fit(epochs=epochs)`` call (no per-epoch ``fit`` set-up).

        A callback calls ``begin_epoch()`` just before starting each epoch's clock (in
        ``on_epoch_begin``) and ``end_epoch(seconds)`` just after stopping it (in
        ``on_epoch_end``), ``seconds`` measured exactly as :meth:`train_epoch` measures them;
        when ``end_epoch`` returns True, ``model.stop_training`` ends the fit after that epoch.
        """
        from scratchnet.bench.parity.keras_twin import import_keras, keras_floatx

        keras = import_keras()

        class _Epochs(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                begin_epoch()
                self._begin = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                seconds = time.perf_counter() - self._begin
                if end_epoch(seconds):
                    self.model.stop_training = True

        if epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {epochs}")
        with keras_floatx(self.case.dtype):
            self.twin.fit(X, Y, batch_size=batch_size or self.case.batch_size or X.shape[0], epochs=int(epochs),
                          shuffle=self._shuffle, callbacks=[_Epochs()], verbose=0)

    def predict(self, X: np.ndarray) -> np.ndarray:
        from scratchnet.bench.parity.keras_twin import keras_floatx

        with keras_floatx(self.case.dtype):
            chunks = [np.asarray(self.twin(X[i:i + _PREDICT_CHUNK], training=False))
                      for i in range(0, X.shape[0], _PREDICT_CHUNK)]
        return np.concatenate(chunks) if len(chunks) > 1 else chunks[0]

    def timed_predict(self, X: np.ndarray) -> np.ndarray:
        from scratchnet.bench.parity.keras_twin import keras_floatx

        with keras_floatx(self.case.dtype):
            return self.twin.predict(X, batch_size=X.shape[0], verbose=0)

    def get_weights(self) -> list[np.ndarray]:
        return self.twin.get_weights()

    def settings(self) -> dict:
        return dict(self._settings)


def _prepare(case: Case, dataset: Dataset, initial_weights, mode: str, seed: int, spe: int,
             jit: bool | str, settings: dict) -> KerasTrainer:
    from scratchnet.bench.parity.keras_twin import import_keras, keras_floatx

    twin = build_twin(case, dataset, initial_weights, steps_per_execution=spe, jit_compile=jit)
    if mode == "native":
        with keras_floatx(case.dtype):
            _native_weights(import_keras(), case, twin, seed)
    settings = {**settings, "keras_steps_per_execution": spe,
                "keras_jit_compile": bool(getattr(twin, "jit_compile", jit))}
    return KerasTrainer(twin, case, mode, settings)


class KerasAdapter:
    """``keras``: the fastest (steps_per_execution, jit_compile) of the calibration grid."""

    name = "keras"

    def supports(self, case: Case) -> str | None:
        from scratchnet.bench.parity.keras_twin import keras_missing

        return keras_missing()

    def setting_for(self, case: Case, dataset: Dataset, results_dir=None,
                    keras_steps_per_execution: int | None = None) -> tuple[int, bool, float]:
        """(steps_per_execution, jit_compile, calibration seconds) for ``case`` in its dtype."""
        if keras_steps_per_execution is not None:
            return int(keras_steps_per_execution), False, math.nan
        from scratchnet.bench.frameworks.keras_calibration import calibrate

        cal = calibrate(case, dataset, results_dir)
        return cal.steps_per_execution, cal.jit_compile, cal.seconds

    def prepare(self, case: Case, dataset: Dataset, initial_weights, mode: str, seed: int, *,
                results_dir=None, keras_steps_per_execution: int | None = None, **options) -> KerasTrainer:
        spe, jit, seconds = self.setting_for(case, dataset, results_dir, keras_steps_per_execution)
        return _prepare(case, dataset, initial_weights, mode, seed, spe, jit,
                        {"keras_calibration_seconds": seconds})


class KerasDefaultAdapter:
    """``keras-default``: compile()/fit() defaults, trained for a timing budget (module docstring)."""

    name = "keras-default"
    timing_budget = (KERAS_DEFAULT_MIN_EPOCHS, KERAS_DEFAULT_BUDGET_SECONDS)

    def supports(self, case: Case) -> str | None:
        from scratchnet.bench.parity.keras_twin import keras_missing

        return keras_missing()

    def prepare(self, case: Case, dataset: Dataset, initial_weights, mode: str, seed: int,
                **options) -> KerasTrainer:
        return _prepare(case, dataset, initial_weights, mode, seed, 1, "auto", {})


ADAPTER = KerasAdapter()
DEFAULT_ADAPTER = KerasDefaultAdapter()
