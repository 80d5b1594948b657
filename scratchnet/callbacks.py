"""Callbacks with Keras' hook names and semantics: ``Callback``, ``History``, ``EarlyStopping``.

Contract: ``fit`` calls ``set_model`` and ``set_params`` once, then
``on_train_begin``, per epoch ``on_epoch_begin(epoch)`` / ``on_epoch_end(epoch, logs)``
(epoch counted from 0, logs holding ``loss``, metrics and ``val_*`` entries), per
batch ``on_train_batch_begin/end(batch, logs)`` -- only for callbacks that override
them, to keep the per-step path cheap -- and ``on_train_end``. Setting
``model.stop_training = True`` ends training after the current epoch.
"""
from __future__ import annotations

import warnings

import numpy as np


class Callback:
    """Base class; override the hooks you need."""

    def __init__(self) -> None:
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        """Bind the model being trained (``fit`` calls this before training)."""
        self.model = model

    def set_params(self, params: dict) -> None:
        """Receive ``fit``'s parameters: epochs, steps per epoch, verbose, batch_size."""
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once before the first epoch."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once after the last epoch (or after an early stop)."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the start of each epoch (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the end of each epoch with its logs (``loss``, metrics, ``val_*``)."""

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each training batch (only when a subclass overrides a batch hook)."""

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each training batch with ``{"loss": batch loss before the update}``."""

    @property
    def wants_batch_hooks(self) -> bool:
        """True when a subclass overrides a batch hook (``fit`` then takes the per-batch path)."""
        cls = type(self)
        return (
            cls.on_train_batch_begin is not Callback.on_train_batch_begin
            or cls.on_train_batch_end is not Callback.on_train_batch_end
        )


class History(Callback):
    """Records ``logs`` per epoch: ``history.history["loss"]``, ``["val_loss"]``, metrics; ``epoch``."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        """Start a new epoch list (the history of earlier ``fit`` calls is kept)."""
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        """Append the epoch number and every log value."""
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Keras' counting: each epoch increments ``wait``; an improvement (``current - min_delta <
    best`` in "min" mode) resets it to 0; training stops at the first epoch > 0 where
    ``wait >= patience``. With ``restore_best_weights`` the weights of the best epoch are put
    back when training ends (if it never improved, those of the first monitored epoch).
    ``mode="auto"`` means "max" for accuracy-like names and "min" otherwise.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping mode must be 'auto', 'min' or 'max', got {mode!r}")
        if patience < 0:
            raise ValueError(f"EarlyStopping patience must be >= 0, got {patience}")
        self.monitor = monitor
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        name = monitor.removeprefix("val_")
        if mode == "auto":
            mode = "max" if name in ("acc", "accuracy", "auc") or name.endswith("accuracy") else "min"
        self.mode = mode
        self.min_delta = abs(min_delta) * (-1 if mode == "min" else 1)
        self._better = np.less if mode == "min" else np.greater
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_weights = None
        self.best_epoch = 0

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        return reference is None or bool(self._better(value - self.min_delta, reference))

    def on_train_begin(self, logs=None):
        """Reset the patience counter and the best value."""
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best, self.best_weights = None, None

    def on_epoch_end(self, epoch, logs=None):
        """Count epochs without improvement of ``monitor`` (by more than ``min_delta``); stop after ``patience``."""
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"EarlyStopping monitors {self.monitor!r}, which is not in the logs; "
                f"available: {sorted(logs or {})}",
                stacklevel=2,
            )
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        """Report the early stop and restore the best weights when asked to."""
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
