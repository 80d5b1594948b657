"""The training half of :class:`~scratchnet.model.Sequential`: ``fit``, ``train_on_batch``, ``evaluate``.

A mixin: :class:`TrainingLoop` holds the epoch loop, the per-step update and the evaluation
(Keras' semantics, as the model module's docstring states); :class:`Sequential` inherits it and
owns the layers, the weight vector, the forward/backward passes and the optimizer these methods
drive. It has no state of its own and is not meant to be used alone.
"""
from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence

import numpy as np

from . import _validation as check
from .callbacks import Callback, History

Array = np.ndarray


class TrainingLoop:
    """Training and evaluation methods of :class:`~scratchnet.model.Sequential` (see the module docstring)."""

    def _train_step(self, xb: Array, yb: Array) -> float:
        """Forward, loss, backward and one optimizer update; returns the pre-update batch loss."""
        out = xb
        for layer in self.layers:
            out = layer.forward(out, True)
        if self._fused:
            z = self._logits()
            value, grad = self.loss.value_from_logits(yb, z), self.loss.grad_from_logits(yb, z, out)
        else:
            value, grad = self.loss.value_and_grad(yb, out)
        self._backward(grad)
        self.optimizer.apply(self._params, self._grads)
        return value

    # -- training -----------------------------------------------------------------------
    def fit(self, x, y, batch_size: int | None = 32, epochs: int = 1, verbose: int | str = "auto",
            callbacks: Sequence[Callback] | None = None, validation_data: tuple | None = None,
            shuffle: bool = True, seed: int | None = None, initial_epoch: int = 0) -> History:
        """Train for ``epochs`` passes over the rows; returns the History."""
        self._require_compiled("fit")
        X, Y = self._prepare_xy(x, y)
        n = X.shape[0]
        bs = check.batch_size_for(batch_size, n)
        epochs = check.positive_int(epochs, "epochs")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a tuple (x_val, y_val)")
            Xv, Yv = self._prepare_xy(*validation_data, x_name="validation_data[0]", y_name="validation_data[1]")
        verbose = 1 if verbose == "auto" else int(verbose)
        history = History()
        cbs: list[Callback] = [history, *(callbacks or [])]
        batch_cbs = [cb for cb in cbs if cb.wants_batch_hooks]
        steps = math.ceil(n / bs)
        for cb in cbs:
            cb.set_model(self)
            cb.set_params({"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": bs})
        rng = np.random.default_rng(seed)
        self.stop_training = False
        self.diverged = False
        self.history = history
        for cb in cbs:
            cb.on_train_begin()
        # overflow/invalid only arise on the way to a non-finite loss, which is reported below
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            for epoch in range(initial_epoch, epochs):
                for cb in cbs:
                    cb.on_epoch_begin(epoch)
                t0 = time.perf_counter()
                order = rng.permutation(n) if shuffle else None  # rows are gathered per batch
                outputs: list[Array] | None = [] if self.metrics else None
                total = self._run_epoch(X, Y, bs, batch_cbs, outputs, order)
                epoch_loss = total / n
                logs = {"loss": epoch_loss}
                if math.isfinite(epoch_loss):
                    if self.metrics:
                        # Keras' figure, like the loss: each batch's outputs *before* its update,
                        # averaged over the epoch's rows
                        Ye = Y if order is None else Y[order]
                        logs.update(self._metric_values(Ye, np.concatenate(outputs)))
                    if validation_data is not None:
                        logs.update({f"val_{k}": v for k, v in self._evaluate_logs(Xv, Yv).items()})
                for cb in cbs:
                    cb.on_epoch_end(epoch, logs)
                if verbose:
                    items = " - ".join(f"{k}: {v:.4g}" for k, v in logs.items())
                    print(f"Epoch {epoch + 1}/{epochs} - {time.perf_counter() - t0:.2f}s - {items}")
                if not math.isfinite(epoch_loss):
                    self.diverged = True
                    warnings.warn(
                        f"training stopped at epoch {epoch + 1}: the loss became {epoch_loss} "
                        "(diverged); history holds every epoch up to this one",
                        RuntimeWarning, stacklevel=2,
                    )
                    break
                if self.stop_training:
                    break
        for cb in cbs:
            cb.on_train_end()
        return history

    def _run_epoch(self, X: Array, Y: Array, bs: int, batch_cbs: list[Callback],
                   outputs: list[Array] | None = None, order: Array | None = None) -> float:
        """One pass over the rows (in ``order`` when given); returns the sum of batch losses
        weighted by batch size.

        With ``outputs`` (a list), each batch's pre-update model output is appended to it.
        Shuffled batches are gathered one at a time (``np.take`` into a reused buffer), so an
        epoch never copies the whole data set.
        """
        n = X.shape[0]
        total = 0.0
        step = self._train_step
        if bs == n and not batch_cbs and outputs is None:
            return (step(X, Y) if order is None else step(X[order], Y[order])) * n
        if batch_cbs or outputs is not None:
            for batch, start in enumerate(range(0, n, bs)):
                rows = slice(start, start + bs) if order is None else order[start:start + bs]
                xb, yb = X[rows], Y[rows]
                for cb in batch_cbs:
                    cb.on_train_batch_begin(batch)
                value = step(xb, yb)
                if outputs is not None:
                    outputs.append(self.layers[-1]._cache[-1].copy())  # this batch's output, pre-update
                total += value * xb.shape[0]
                for cb in batch_cbs:
                    cb.on_train_batch_end(batch, {"loss": value})
                if not math.isfinite(value):
                    return value
            return total
        isfinite = math.isfinite
        n_full = n // bs
        if n_full and order is None:  # full batches as views of a (n_full, bs, features) array
            Xb = X[: n_full * bs].reshape(n_full, bs, X.shape[1])
            Yb = Y[: n_full * bs].reshape(n_full, bs, Y.shape[1])
            for xb, yb in zip(Xb, Yb):
                value = step(xb, yb)
                if not isfinite(value):
                    return value
                total += value
            total *= bs
        elif n_full:  # shuffled full batches, each gathered into the same two buffers
            xb = np.empty((bs, X.shape[1]), dtype=X.dtype)
            yb = np.empty((bs, Y.shape[1]), dtype=Y.dtype)
            take = np.take
            for rows in order[: n_full * bs].reshape(n_full, bs):
                take(X, rows, axis=0, out=xb)
                take(Y, rows, axis=0, out=yb)
                value = step(xb, yb)
                if not isfinite(value):
                    return value
                total += value
            total *= bs
        if n_full * bs < n:  # the partial last batch
            rows = slice(n_full * bs, n) if order is None else order[n_full * bs:]
            value = step(X[rows], Y[rows])
            total += value * (n - n_full * bs)
        return total

    def train_on_batch(self, x, y) -> float:
        """One optimizer step on this batch; returns the batch loss before the update."""
        self._require_compiled("train_on_batch")
        X, Y = self._prepare_xy(x, y)
        with np.errstate(over="ignore", under="ignore"):
            return self._train_step(X, Y)

    def evaluate(self, x, y, batch_size: int | None = None, verbose: int = 0) -> float | list[float]:
        """Compiled loss over all rows (then the metrics, as a list, if any were compiled)."""
        self._require_compiled("evaluate")
        X, Y = self._prepare_xy(x, y)
        logs = self._evaluate_logs(X, Y, check.batch_size_for(batch_size, X.shape[0]))
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _evaluate_logs(self, X: Array, Y: Array, bs: int | None = None) -> dict[str, float]:
        n = X.shape[0]
        bs = n if bs is None else bs
        total, outputs = 0.0, []
        with np.errstate(over="ignore", under="ignore"):
            for start in range(0, n, bs):
                out, logits = self._output_and_logits(X[start:start + bs])
                yb = Y[start:start + bs]
                value = self.loss.value_from_logits(yb, logits) if self._fused else self.loss.value(yb, out)
                total += value * out.shape[0]
                outputs.append(out)
        out = outputs[0] if len(outputs) == 1 else np.concatenate(outputs)
        return {"loss": total / n, **self._metric_values(Y, out)}

    def _metric_values(self, Y: Array, out: Array) -> dict[str, float]:
        values = {}
        for metric in self.metrics:
            if metric in ("mse", "mean_squared_error"):
                values[metric] = float(np.mean((out - Y) ** 2))
            elif metric in ("mae", "mean_absolute_error"):
                values[metric] = float(np.mean(np.abs(out - Y)))
            elif metric == "binary_accuracy" or (metric in ("accuracy", "acc") and out.shape[1] == 1):
                values[metric] = float(np.mean((out > 0.5) == (Y > 0.5)))
            else:
                values[metric] = float(np.mean(out.argmax(axis=1) == Y.argmax(axis=1)))
        return values
