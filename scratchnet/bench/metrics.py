"""One definition of every figure the suite reports, applied to both frameworks.

The harness computes these from predictions and recorded epoch times, never from
a framework's own training logs (Keras' ``history['loss']`` averages the batch
losses *before* each update, so it is not the loss of the model at epoch end).

Definitions (also printed in the report):

* **MSE** -- ``mean((y_pred - y_true)**2)`` over every row and output, in float64.
* **Convergence epoch** -- the first epoch (1-based) whose test loss is within
  ``rel_tol`` (1 %) of the reference: the case's target loss when it has one,
  else the best (lowest) test loss that run reached. ``None`` when a target
  exists and is never reached, or when the curve holds no finite value.
* **Seconds to target** -- the summed training seconds of epochs
  ``1..convergence_epoch`` (evaluation between epochs excluded).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

REL_TOL = 0.01

CONVERGENCE_DEFINITION = (
    "first epoch (1-based) whose test loss is within 1% of the reference: the case's "
    "target loss when it has one, else the lowest test loss that run reached"
)


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error over all rows and outputs, computed in float64.

    ``y_true`` of shape (N,) is compared with ``y_pred`` of shape (N, 1) row by
    row (never broadcast to (N, N)).
    """
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.shape[0] != p.shape[0]:
        raise ValueError(f"mse: y_true has {t.shape[0]} rows but y_pred has {p.shape[0]}")
    t = t.reshape(t.shape[0], -1)
    p = p.reshape(p.shape[0], -1)
    if t.shape != p.shape:
        raise ValueError(f"mse: y_true shape {t.shape} does not match y_pred shape {p.shape}")
    return float(np.mean((p - t) ** 2))


def convergence_epoch(
    test_losses: Sequence[float], target: float | None = None, rel_tol: float = REL_TOL
) -> int | None:
    """First epoch (1-based) whose loss is within ``rel_tol`` of the reference.

    The reference is ``target`` when given, else ``min(test_losses)`` over the
    finite values. Returns ``None`` if the reference is never reached.
    """
    losses = np.asarray(list(test_losses), dtype=np.float64)
    finite = np.isfinite(losses)
    if not finite.any():
        return None
    reference = float(target) if target is not None else float(losses[finite].min())
    threshold = reference + abs(reference) * rel_tol
    hits = np.flatnonzero(finite & (losses <= threshold))
    return int(hits[0]) + 1 if hits.size else None


def seconds_to_target(
    test_losses: Sequence[float],
    epoch_seconds: Sequence[float],
    target: float | None = None,
    rel_tol: float = REL_TOL,
) -> float | None:
    """Training seconds summed over epochs ``1..convergence_epoch`` (``None`` if never)."""
    if len(test_losses) != len(epoch_seconds):
        raise ValueError(
            f"seconds_to_target: {len(test_losses)} losses but {len(epoch_seconds)} epoch times"
        )
    epoch = convergence_epoch(test_losses, target, rel_tol)
    if epoch is None:
        return None
    return float(np.sum(np.asarray(epoch_seconds, dtype=np.float64)[:epoch]))


def loss_value(loss: str, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The case's loss computed by the harness from predictions, in float64.

    Uses scratchnet's NumPy definition of the loss in its probability form (Keras'
    reduction; cross-entropies clip probabilities to [1e-7, 1 - 1e-7]) for both
    frameworks, so the two curves are measured with the same ruler.
    """
    from scratchnet import losses

    fn = losses.get(loss)
    p = np.asarray(y_pred, dtype=np.float64)
    t = fn.prepare_targets(np.asarray(y_true, dtype=np.float64), p.shape[1])
    with np.errstate(all="ignore"):
        return fn.value(t, p)
