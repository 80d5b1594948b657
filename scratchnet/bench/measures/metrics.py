"""One definition of every figure the suite reports, applied to every framework.

The harness computes these from predictions and recorded epoch times, never from
a framework's own training logs (Keras' ``history['loss']`` averages the batch
losses *before* each update, so it is not the loss of the model at epoch end).

Definitions (also printed in the report):

* **MSE** -- ``mean((y_pred - y_true)**2)`` over every row and output, in float64.
* **Target loss** -- one per case and mode, shared by every framework and seed: the
  case's declared ``target_loss`` when it has one, else :func:`shared_target` over the
  recorded runs (``TARGET_RULE``: the largest of the frameworks' median final test
  losses, counting only ``ok`` runs that trained for the full epoch budget). Changing
  the rule means changing :func:`shared_target` and ``TARGET_RULE`` together.
* **Convergence epoch** -- the first epoch (1-based) whose test loss is within
  ``rel_tol`` (1 %) of the target. ``None`` (censored: "> N epochs") when the run never
  gets there. A single run's own figure, before the suite knows every framework's runs,
  uses the rule on that run alone (its own final loss): provisional, replaced by
  :mod:`scratchnet.bench.measures.targets` once the suite has all runs.
* **Seconds to target** -- the summed training seconds of epochs
  ``1..convergence_epoch`` (evaluation between epochs excluded); ``None`` when censored.
* **Still improving at the last epoch** -- the lowest test loss of the last 10 % of
  the epochs (at least one) is more than 1 % below the lowest before them
  (:func:`still_improving`): the budget, not convergence, ended the run.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

REL_TOL = 0.01
IMPROVING_REL = 0.01   # "still improving": more than 1 % better ...
IMPROVING_TAIL = 0.10  # ... over the last 10 % of the epochs

TARGET_RULE = (
    "the case's declared target loss; otherwise the largest of the frameworks' median final "
    "test losses in that mode (ok runs over the full epoch budget only), so every framework's "
    "typical run reaches it"
)
CONVERGENCE_DEFINITION = (
    "first epoch (1-based) whose test loss is within 1% of the case's target loss (one per "
    "case and mode, shared by every framework and seed); a run that never gets there is not "
    "converged (censored: shown as '> N epochs')"
)
STILL_IMPROVING_DEFINITION = (
    "the lowest test loss of the last 10% of the epochs is more than 1% below the lowest "
    "before them"
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


def shared_target(final_losses: Mapping[str, Sequence[float]]) -> float | None:
    """The derived target of one case and mode (``TARGET_RULE``).

    ``final_losses`` maps each framework to the final test losses of its eligible runs
    (``ok``, full epoch budget). The target is the largest of the frameworks' medians of
    the finite values; frameworks without one are skipped; ``None`` when none is left.
    """
    medians = []
    for values in final_losses.values():
        finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
        if finite:
            medians.append(float(np.median(finite)))
    return max(medians) if medians else None


def run_target(test_losses: Sequence[float], declared: float | None = None) -> float | None:
    """The target one run can know on its own: ``declared``, else the rule over this run
    alone (its final finite test loss). Provisional until the suite has every framework."""
    if declared is not None and math.isfinite(float(declared)):
        return float(declared)
    finite = [float(v) for v in test_losses if math.isfinite(float(v))]
    return shared_target({"this run": finite[-1:]}) if finite else None


def convergence_epoch(
    test_losses: Sequence[float], target: float | None = None, rel_tol: float = REL_TOL
) -> int | None:
    """First epoch (1-based) whose loss is within ``rel_tol`` of ``target``.

    Without ``target`` the reference is :func:`run_target` (this run's own final finite
    loss). Returns ``None`` (censored) if the reference is never reached or the curve
    holds no finite value.
    """
    losses = np.asarray(list(test_losses), dtype=np.float64)
    finite = np.isfinite(losses)
    if not finite.any():
        return None
    reference = float(target) if target is not None else run_target(losses)
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


def run_convergence(test_losses: Sequence[float], epoch_seconds: Sequence[float],
                    declared: float | None = None) -> dict:
    """The shared-target columns of one run row as the runner can fill them alone:
    ``target_loss``, ``target_rule`` ("declared" or "provisional"), ``convergence_epoch``,
    ``seconds_to_target`` (NaN when censored) and ``still_improving``."""
    target = run_target(test_losses, declared)
    provisional = declared is None or not math.isfinite(float(declared))
    conv = convergence_epoch(test_losses, target) if target is not None else None
    stt = seconds_to_target(test_losses, epoch_seconds, target) if conv is not None else None
    return {
        "target_loss": target if target is not None else math.nan,
        "target_rule": ("provisional" if provisional else "declared") if target is not None else "",
        "convergence_epoch": conv if conv is not None else math.nan,
        "seconds_to_target": stt if stt is not None else math.nan,
        "still_improving": still_improving(test_losses),
    }


def still_improving(test_losses: Sequence[float], rel: float = IMPROVING_REL,
                    tail: float = IMPROVING_TAIL) -> bool:
    """True when the lowest loss of the last ``ceil(tail * n)`` epochs (at least one) is more
    than ``rel`` below the lowest loss before them (non-finite values ignored).

    Comparing the best values rather than two single epochs keeps a noisy plateau from
    counting as progress. A curve too short to have a "before", or without finite values on
    either side, is not flagged.
    """
    losses = np.asarray(list(test_losses), dtype=np.float64)
    n = losses.size
    k = max(1, math.ceil(tail * n - 1e-9))
    if n <= k:
        return False
    before, last = losses[: n - k], losses[n - k:]
    before, last = before[np.isfinite(before)], last[np.isfinite(last)]
    if not before.size or not last.size:
        return False
    best_before, best_last = float(before.min()), float(last.min())
    return best_last < best_before - abs(best_before) * rel


def censored_median(epochs: Sequence[float | None]) -> float | None:
    """Median over *all* runs of a group, a censored run (``None``/NaN: never reached the
    target) counting as later than any epoch. ``None`` when that median is not reached, i.e.
    when at most half the runs converged (for an even count, when either middle value is
    censored). Medians of only the converged runs are never reported: they would flatter a
    framework that often fails to get there."""
    values = [math.inf if v is None or not math.isfinite(float(v)) else float(v) for v in epochs]
    if not values:
        return None
    middle = float(np.median(values)) if math.inf not in values else _median_with_inf(values)
    return middle if math.isfinite(middle) else None


def _median_with_inf(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    lo, hi = ordered[(n - 1) // 2], ordered[n // 2]
    return math.inf if math.inf in (lo, hi) else (lo + hi) / 2


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
