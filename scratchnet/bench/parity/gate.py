"""Parity gate: does scratchnet compute the same training maths as the equivalent Keras model?

Contract of :func:`check_parity` (``model``, ``x``, ``y`` -> :class:`ParityReport`):

1. The caller's model is never touched. The check runs on a **copy**: the same layers
   (same activation functions, names, initializers), the same dtype and weights, the same
   loss, and a *fresh* optimizer of the same class and hyper-parameters. An unbuilt model
   is built (the copy only) with ``x``'s width from its seed. A model that Keras cannot
   mirror (see :mod:`scratchnet.bench.parity.keras_twin`), or whose optimizer has already
   stepped, is refused with :class:`~scratchnet.bench.parity.keras_twin.TwinError`.
2. The Keras twin is built from the copy's weights (:func:`~scratchnet.bench.parity.keras_twin.to_keras`).
3. **Gradients** on the first training batch (the first ``batch_size`` rows of epoch 1's
   order): ``model.gradients(xb, yb)`` against ``tf.GradientTape`` gradients of the twin's
   compiled loss (``compute_loss`` on ``twin(x, training=True)``, traced with
   ``tf.function`` exactly as Keras' ``train_step`` does, so a sigmoid/softmax output is
   fused with its cross-entropy the same way). Per weight array
   ``err = max|g_s - g_k| / max(max|g_k|, tiny)`` (``tiny`` = smallest normal number of the
   dtype, so exact zeros on both sides give 0); ``grad_error`` is the max over arrays.
4. **Training in lockstep** for ``epochs`` epochs: each epoch draws one permutation from
   ``numpy.random.default_rng(seed)`` (epoch 1 draws first), and both frameworks get the
   same permuted arrays through ``fit(..., epochs=1, shuffle=False, batch_size=bs,
   verbose=0)`` (``batch_size=None`` means all rows, for both). After each epoch we record
   the full-data loss of each model by its own forward pass (``model.evaluate`` and the
   twin's ``compute_loss`` on ``twin(x)``), the max absolute weight difference
   ``max|w_s - w_k|`` and the max **relative** weight difference, defined per array as
   ``max|w_s - w_k| / max(max|w_k|, tiny)`` -- the error relative to the array's scale,
   robust to individual weights near zero -- and the weight whose relative drift is largest.
5. **Pass** when every figure is finite and within tolerance:
   ``grad_error <= grad_tol``; the relative weight drift of *every* epoch ``<= weight_tol``;
   every epoch's ``|loss_s - loss_k| <= loss_tol * max(1, |loss_k|)``. On failure
   ``message`` says which check failed and names the weight, with both sides labelled
   (``dense_1/kernel[0, 2]: scratchnet=... keras=... |diff|=...``).

Default tolerances (``None`` picks them from the model's dtype). They were set from a
measurement of the full cross product -- 5 optimizers (SGD, SGD momentum 0.9, Nesterov, Adam,
RMSprop) x 5 losses (mse, mae, binary/categorical/sparse-categorical cross-entropy with a
sigmoid/softmax output) x hidden sigmoid/tanh/relu x batch sizes 1, 4 (partial last batch)
and full, on a 3-4-k net, 10 rows, 3 epochs, learning rates up to 0.1 -- and leave about one
decade of headroom over the worst figure measured:

* **float64**: ``grad_tol = 1e-12``, ``weight_tol = 1e-10``, ``loss_tol = 1e-12``. Both
  frameworks evaluate the same formulas in the same order, so they agree to a few ulps.
  Measured worst over the 224 non-diverging float64 cases: gradient error 1.3e-15, relative
  weight drift 3.8e-14, relative loss difference 3.3e-14 (the last two from a near-chaotic
  run, SGD momentum 0.9 at lr 0.1 with batch size 1). A real mistake (a wrong derivative, a
  wrong update rule) gives errors of order 1e-3..1.
* **float32**: ``grad_tol = 1e-5``, ``weight_tol = 1e-4``, ``loss_tol = 1e-4``. The two
  frameworks round differently (BLAS vs Eigen summation order, fused kernels), so they
  agree to ~1e-7 per operation and the difference grows with training. Measured worst over
  the 150 float32 sigmoid/tanh cases: gradient error 9.8e-7, relative weight drift 1.2e-5,
  relative loss difference 1.1e-5 (the last two from the same near-chaotic momentum runs;
  ordinary runs stay near 1e-6).
* **ReLU (and leaky ReLU) nets must be judged in float64.** In float32 a pre-activation
  within rounding distance of 0 can fall on different sides of the kink in the two
  frameworks; the unit's gradient then switches on in one and off in the other and the
  runs diverge legitimately. float32 ReLU checks are informative only, not a gate.
* **leaky_relu**: TensorFlow's LeakyRelu op keeps its slope in a float32 attribute, so Keras
  multiplies by float32(0.2) = 0.20000000298 even in float64; scratchnet does the same
  (``activations.LEAKY_RELU_SLOPE``), and float64 leaky_relu nets pass the float64 gate.
* A run that diverges (a NaN/inf loss on either side) fails: parity cannot be judged on it.
* Other contenders (:mod:`scratchnet.bench.frameworks`): ``keras`` is checked here with its
  calibrated ``steps_per_execution``/``jit_compile`` (XLA included). ``sklearn`` is checked in
  tests/bench/test_frameworks_sklearn.py: float64 SGD <= 1e-12; Adam <= 1e-4 only, because Keras
  rounds beta_1/beta_2 to float32 in the bias-correction powers and scikit-learn does not (6.7e-6
  on the first step; ReLU nets amplify it over many steps -- see that adapter's docstring).

:func:`parity_table` renders reports as a plain-text table. ``ParityReport.summary_row()``
and ``ParityReport.epoch_rows()`` give rows with exactly the
:data:`~scratchnet.bench.store.schema.PARITY_COLUMNS` / ``PARITY_EPOCH_COLUMNS`` keys.

TensorFlow/Keras are imported lazily inside the functions; importing this module imports
neither.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scratchnet import layers as _layers
from scratchnet.model import Sequential
from scratchnet.bench.parity.keras_twin import (TwinError, check_mirrorable, import_tensorflow, keras_floatx,
    to_keras, weight_names)
from scratchnet.bench.store.schema import PARITY_COLUMNS, PARITY_EPOCH_COLUMNS

__all__ = ["ParityReport", "check_parity", "parity_table", "copy_model", "DEFAULT_TOLERANCES",
           "TwinError"]

# dtype -> (grad_tol, weight_tol, loss_tol); justification in the module docstring.
DEFAULT_TOLERANCES: dict[str, tuple[float, float, float]] = {
    "float64": (1e-12, 1e-10, 1e-12),
    "float32": (1e-5, 1e-4, 1e-4),
}


@dataclass
class ParityReport:
    """Outcome of one parity check (see the module docstring for every definition)."""

    case: str
    dtype: str
    epochs: int
    batch_size: int                    # effective batch size (n_rows for full batch)
    n_rows: int
    grad_error: float                  # max over weights of the relative gradient error
    grad_errors_per_weight: dict[str, float]
    epoch_records: list[dict[str, Any]]  # one dict per epoch, PARITY_EPOCH_COLUMNS keys
    max_abs_weight_drift: float        # after the last epoch
    max_rel_weight_drift: float        # after the last epoch
    max_loss_diff: float               # max |loss_scratchnet - loss_keras| over epochs
    worst_layer: str                   # weight with the largest relative drift at the end
    grad_tol: float
    weight_tol: float
    loss_tol: float
    passed: bool
    message: str = ""

    def summary_row(self) -> dict[str, Any]:
        """One row for ``parity.csv``: exactly the PARITY_COLUMNS keys."""
        row = {name: getattr(self, name) for name in PARITY_COLUMNS}
        row["passed"] = bool(self.passed)
        return row

    def epoch_rows(self) -> list[dict[str, Any]]:
        """Rows for ``parity_epochs.csv``: exactly the PARITY_EPOCH_COLUMNS keys, epoch from 1."""
        return [{name: rec[name] for name in PARITY_EPOCH_COLUMNS} for rec in self.epoch_records]


# -- copying the model -------------------------------------------------------------------
def _copy_layer(layer: _layers.Layer) -> _layers.Layer:
    if type(layer) is _layers.Dense:
        new = _layers.Dense(layer.units, activation=layer.activation, use_bias=layer.use_bias,
                            kernel_initializer=layer.kernel_initializer,
                            bias_initializer=layer.bias_initializer, name=layer.name)
        # the functions the original actually runs (Dense captures them when constructed)
        for attr in ("_act_forward", "_act_backward"):
            if hasattr(layer, attr):
                setattr(new, attr, getattr(layer, attr))
        return new
    if type(layer) is _layers.Activation:
        return _layers.Activation(layer.activation, name=layer.name)
    raise TwinError(f"layer {layer.name!r} is a {type(layer).__name__}: it cannot be copied or mirrored")


def copy_model(model: Sequential, input_dim: int | None = None) -> Sequential:
    """An independent copy of a compiled ``model``: same layers, dtype, weights and loss, and
    a fresh optimizer (same class and hyper-parameters, zero state). Metrics are dropped.

    An unbuilt model's copy is built with ``input_dim`` (initialised from the model's seed).
    """
    check_mirrorable(model, require_built=False)
    new = Sequential(dtype=str(model.dtype), seed=model.seed, name=model.name)
    if model.input_dim is not None:
        new.add(_layers.Input((model.input_dim,)))
    for layer in model.layers:
        new.add(_copy_layer(layer))
    new.build(None if model.input_dim is not None else input_dim)
    if model.built:
        new.set_weights(model.get_weights())
    opt = model.optimizer
    fresh = type(opt)(**{k: v for k, v in opt.get_config().items() if k != "name"})
    loss = type(model.loss)(from_logits=model.loss.from_logits)
    new.compile(fresh, loss)
    return new


# -- helpers -------------------------------------------------------------------------------
def _tiny(dtype: np.dtype) -> float:
    return float(np.finfo(dtype).tiny)


def relative_difference(a: np.ndarray, b: np.ndarray, tiny: float) -> float:
    """max|a - b| / max(max|b|, tiny), computed in float64; NaN if either holds a NaN/inf."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not (np.isfinite(a64).all() and np.isfinite(b64).all()):
        return math.nan
    if a64.size == 0:
        return 0.0
    return float(np.max(np.abs(a64 - b64)) / max(float(np.max(np.abs(b64))), tiny))


_rel = relative_difference


def _worst_element(name: str, a: np.ndarray, b: np.ndarray) -> str:
    """``name[i, j]: scratchnet=... keras=... |diff|=...`` for the element that differs most."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    diff = np.abs(a64 - b64)
    bad = ~(np.isfinite(a64) & np.isfinite(b64))
    if bad.any():
        diff = np.where(bad, np.inf, diff)
    idx = np.unravel_index(int(np.argmax(diff)), a64.shape)
    where = ", ".join(str(int(i)) for i in idx)
    return (f"{name}[{where}]: scratchnet={a64[idx]:.17g} keras={b64[idx]:.17g} "
            f"|diff|={abs(a64[idx] - b64[idx]):.3g}")


def _ok(value: float, tol: float) -> bool:
    return math.isfinite(value) and value <= tol


def _keras_arrays(x: np.ndarray, y: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """What both frameworks see: x in the model dtype, float targets in the model dtype,
    integer labels unchanged."""
    xk = np.ascontiguousarray(x, dtype=dtype)
    yk = np.ascontiguousarray(y, dtype=dtype) if y.dtype.kind in "fb" else np.ascontiguousarray(y)
    return xk, yk


class _KerasProbe:
    """Gradient and loss of the twin's compiled loss, traced like Keras' train/test step."""

    def __init__(self, twin) -> None:
        tf = import_tensorflow()
        self._tf = tf
        variables = twin.trainable_variables

        @tf.function(autograph=False, reduce_retracing=True)
        def grads(x, y):
            with tf.GradientTape() as tape:
                y_pred = twin(x, training=True)
                loss = twin.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
            return loss, tape.gradient(loss, variables)

        @tf.function(autograph=False, reduce_retracing=True)
        def loss(x, y):
            y_pred = twin(x, training=False)
            return twin.compute_loss(x=x, y=y, y_pred=y_pred, training=False)

        self._grads, self._loss = grads, loss

    def gradients(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        _, g = self._grads(self._tf.constant(x), self._tf.constant(y))
        return [np.asarray(t) for t in g]

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.asarray(self._loss(self._tf.constant(x), self._tf.constant(y))))


# -- the check -----------------------------------------------------------------------------
def check_parity(model: Sequential, x, y, *, epochs: int = 5, batch_size: int | None = 32,
                 seed: int = 0, grad_tol: float | None = None, weight_tol: float | None = None,
                 loss_tol: float | None = None, case: str = "custom",
                 steps_per_execution: int = 1, jit_compile: bool | str = False) -> ParityReport:
    """Compare gradients, weights and losses of ``model`` and its Keras twin (module docstring).

    Args:
        model: a compiled scratchnet ``Sequential`` (not modified).
        x, y: training rows; ``y`` as ``model.fit`` takes it (labels for sparse losses).
        epochs: lockstep epochs (>= 1).
        batch_size: rows per step, ``None`` for full batch.
        seed: seeds the per-epoch permutations.
        grad_tol, weight_tol, loss_tol: ``None`` for the dtype's :data:`DEFAULT_TOLERANCES`.
        case: label for the report rows.
        steps_per_execution, jit_compile: passed to the twin's ``compile`` (the ``keras``
            contender's calibrated setting is checked this way).

    Raises:
        TwinError: the model has no exact Keras twin. ImportError: no TensorFlow/Keras.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must be a non-empty 2-D array (rows, features), got shape {x.shape}")
    if y.shape[:1] != x.shape[:1]:
        raise ValueError(f"x and y must have the same number of rows, got {x.shape[0]} and {y.shape[0]}")
    n = int(x.shape[0])
    if batch_size is None:
        bs = n
    elif isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1 or None, got {batch_size!r}")
    else:
        bs = min(int(batch_size), n)

    local = copy_model(model, input_dim=int(x.shape[1]))
    if local.input_dim != x.shape[1]:
        raise ValueError(f"x has {x.shape[1]} features (columns) but the model expects {local.input_dim}")
    dtype = local.dtype
    defaults = DEFAULT_TOLERANCES[str(dtype)]
    grad_tol = defaults[0] if grad_tol is None else float(grad_tol)
    weight_tol = defaults[1] if weight_tol is None else float(weight_tol)
    loss_tol = defaults[2] if loss_tol is None else float(loss_tol)
    tiny = _tiny(dtype)
    names = weight_names(local)

    twin = to_keras(local, steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    probe = _KerasProbe(twin)
    xk, yk = _keras_arrays(x, y, dtype)
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(n) for _ in range(epochs)]
    failures: list[str] = []

    # 1. gradients on the first batch of epoch 1
    first = orders[0][:bs]
    with keras_floatx(str(dtype)):
        g_keras = probe.gradients(xk[first], yk[first])
    g_scratch = local.gradients(x[first], y[first])
    grad_errors = {name: _rel(a, b, tiny) for name, a, b in zip(names, g_scratch, g_keras)}
    grad_error = _max(grad_errors.values())
    if not _ok(grad_error, grad_tol):
        name = _argmax(grad_errors)
        i = names.index(name)
        failures.append(f"gradient mismatch before training: {name} relative error "
                        f"{grad_errors[name]:.3g} > grad_tol {grad_tol:.3g}; "
                        + _worst_element(name, g_scratch[i], g_keras[i]))

    # 2. lockstep training
    records: list[dict[str, Any]] = []
    weight_failure = loss_failure = None
    rel_drift: dict[str, float] = {}
    for epoch, order in enumerate(orders, start=1):
        xe, ye = x[order], y[order]
        local.fit(xe, ye, batch_size=bs, epochs=1, shuffle=False, verbose=0)
        with keras_floatx(str(dtype)):
            twin.fit(xk[order], yk[order], batch_size=bs, epochs=1, shuffle=False, verbose=0)
            loss_k = probe.loss(xk, yk)
        loss_s = float(local.evaluate(x, y, batch_size=n, verbose=0))
        w_s, w_k = local.get_weights(), twin.get_weights()
        abs_drift = {nm: _abs(a, b) for nm, a, b in zip(names, w_s, w_k)}
        rel_drift = {nm: _rel(a, b, tiny) for nm, a, b in zip(names, w_s, w_k)}
        max_rel = _max(rel_drift.values())
        records.append({
            "case": case, "dtype": str(dtype), "epoch": epoch,
            "scratchnet_loss": loss_s, "keras_loss": loss_k,
            "max_abs_weight_diff": _max(abs_drift.values()), "max_rel_weight_diff": max_rel,
        })
        if not (math.isfinite(loss_s) and math.isfinite(loss_k)):
            failures.append(f"training diverged by epoch {epoch} (scratchnet loss={loss_s:.6g}, "
                            f"keras loss={loss_k:.6g}): parity cannot be judged on a diverging "
                            "run; lower the learning rate")
            break
        if weight_failure is None and not _ok(max_rel, weight_tol):
            name = _argmax(rel_drift)
            i = names.index(name)
            weight_failure = (f"weights drift at epoch {epoch}: {name} relative drift "
                              f"{rel_drift[name]:.3g} > weight_tol {weight_tol:.3g}; "
                              + _worst_element(name, w_s[i], w_k[i]))
        loss_diff = abs(loss_s - loss_k)
        if loss_failure is None and not (math.isfinite(loss_k)
                                         and _ok(loss_diff, loss_tol * max(1.0, abs(loss_k)))):
            loss_failure = (f"loss differs at epoch {epoch}: scratchnet={loss_s:.17g} "
                            f"keras={loss_k:.17g} |diff|={loss_diff:.3g} > loss_tol {loss_tol:.3g}"
                            f" (x max(1, |keras loss|))")
    failures += [f for f in (weight_failure, loss_failure) if f]

    last = records[-1]
    worst = _argmax(rel_drift)
    return ParityReport(
        case=case, dtype=str(dtype), epochs=int(epochs), batch_size=bs, n_rows=n,
        grad_error=grad_error, grad_errors_per_weight=grad_errors, epoch_records=records,
        max_abs_weight_drift=last["max_abs_weight_diff"],
        max_rel_weight_drift=last["max_rel_weight_diff"],
        max_loss_diff=_max(abs(r["scratchnet_loss"] - r["keras_loss"]) for r in records),
        worst_layer=worst, grad_tol=grad_tol, weight_tol=weight_tol, loss_tol=loss_tol,
        passed=not failures, message="; ".join(failures),
    )


def _abs(a: np.ndarray, b: np.ndarray) -> float:
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not (np.isfinite(a64).all() and np.isfinite(b64).all()):
        return math.nan
    return float(np.max(np.abs(a64 - b64))) if a64.size else 0.0


def _max(values) -> float:
    """Max that propagates NaN (a NaN anywhere means the comparison failed)."""
    values = [float(v) for v in values]
    if not values:
        return 0.0
    if any(math.isnan(v) for v in values):
        return math.nan
    return max(values)


def _argmax(errors: dict[str, float]) -> str:
    """Name with the largest error (a NaN counts as the largest)."""
    if not errors:
        return ""
    return max(errors, key=lambda k: math.inf if math.isnan(errors[k]) else errors[k])


# -- table ---------------------------------------------------------------------------------
def parity_table(reports: Sequence[ParityReport]) -> str:
    """Plain-text table: case, dtype, gradient error, max weight drift (abs and rel), result."""
    headers = ("case", "dtype", "grad error", "max abs drift", "max rel drift", "result")
    rows = [(r.case, r.dtype, f"{r.grad_error:.2e}", f"{r.max_abs_weight_drift:.2e}",
             f"{r.max_rel_weight_drift:.2e}", "pass" if r.passed else "FAIL") for r in reports]
    widths = [max(len(str(row[i])) for row in (headers, *rows)) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)), line]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(out)
