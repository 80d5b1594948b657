"""Check a foreign network against its Keras twin step for step, and say where they part.

Contract of :func:`check_foreign` (a :class:`~scratchnet.bench.parity.foreign.ForeignNet`, training
rows, batch size, epochs, shuffling, seed, dtype -> :class:`CheckResult`):

1. The twin: the scratchnet ``Sequential`` equivalent to ``describe()``
   (:func:`~scratchnet.bench.parity.foreign.twin_model`) turned into Keras by
   :func:`~scratchnet.bench.parity.keras_twin.to_keras` -- the same twin, dtype handling (floatx held
   during every Keras call, inputs cast to the dtype) and optimizer hyper-parameters as the
   parity gate. ``dtype`` defaults to the described one.
2. Same start: the network's own initial weights, rounded to ``dtype``, are given back to it
   with ``set_weights`` (checked by reading them again) and copied into the twin.
3. Forward pass: before any training, ``predict`` of the first rows must match the twin.
4. Lockstep: each epoch takes rows in order, or -- when ``shuffle`` -- in one permutation per
   epoch drawn from ``numpy.random.default_rng(seed)`` (epoch 1 first), exactly like the
   runner's parity mode; each batch of ``batch_size`` rows (``None``: all rows; the last batch
   may be short) goes to ``train_on_batch`` of both. After **every step** each weight array is
   compared: ``drift = max|w_yours - w_keras| / max(max|w_keras|, max|kernel_keras|, tiny)``
   -- relative to the array's scale as in the parity gate, with the layer's kernel as a floor
   for its bias: a bias that starts at zero is tiny after the first steps, and its rounding
   relative to itself would be noise (a wrong update is still ~lr x gradient, far above).
5. Verdict: **pass** when every step's drift of every array is ``<= weight_tol`` and the
   predictions after training agree to ``weight_tol`` (relative to their scale).
   Tolerances are the parity gate's (:data:`scratchnet.bench.parity.DEFAULT_TOLERANCES`):
   ``weight_tol`` 1e-10 in float64, 1e-4 in float32. **fail** at the first step where an
   array drifts: the :class:`Divergence` names the array closest to the output among those
   that differ (backprop runs from the output down, so a mistake shows first in the layer
   where it enters and in every layer below it), its worst element with both values
   (``layer 1 kernel[0, 2]: yours=... keras=... after step 1 of epoch 1``), and what the
   pattern usually means, from comparing the two updates of that step (:func:`diagnose`):
   a constant ratio (-1: a wrong sign; 0.5 or 2: a missing or extra 2 in the MSE gradient;
   the batch size: a sum where Keras takes a mean), an array only one side updated, only
   the biases, the output layer (derivative of the output activation) or a hidden layer
   (its activation's derivative, or weights already updated used in backprop), and a
   first step that agreed followed by one that does not (state carried between steps: a
   stale activation).

Bad input -- a ``describe()`` the twin cannot mirror, weights of the wrong shapes, data of the
wrong width, an exception inside the network's code -- raises
:class:`~scratchnet.bench.parity.foreign.ForeignError` (or ``TwinError``), both ``ValueError``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from scratchnet.bench.parity.foreign import ForeignError, ForeignNet, twin_model, weight_labels
from scratchnet.bench.parity.keras_twin import keras_floatx, to_keras
from scratchnet.bench.parity.gate import DEFAULT_TOLERANCES
from scratchnet.bench.parity.diagnosis import PROPORTIONAL_TOL, _layer_of, diagnose
from scratchnet.bench.parity.gate import relative_difference as _rel

__all__ = ["CheckResult", "Divergence", "check_foreign", "diagnose", "PROPORTIONAL_TOL"]

_FORWARD_ROWS = 256


@dataclass
class Divergence:
    """Where the foreign network and Keras first part."""

    phase: str           # "forward" (before training), "step" or "predict" (after training)
    epoch: int           # 1-based; 0 for the forward check
    step: int            # 1-based step within the epoch; 0 for the forward/predict checks
    weight: str          # e.g. "layer 2 kernel" ("predictions" for forward/predict)
    index: tuple[int, ...]
    yours: float
    keras: float
    drift: float         # relative drift of that array (or of the predictions)
    differing: list[str]  # every array over tolerance at that step
    hints: list[str]

    def where(self) -> str:
        idx = ", ".join(str(i) for i in self.index)
        when = {"forward": "before training (forward pass, same weights)",
                "predict": "in predict() after training (the weights agree)"}.get(
            self.phase, f"after step {self.step} of epoch {self.epoch}")
        return f"{self.weight}[{idx}]: yours={self.yours:.17g} keras={self.keras:.17g} {when}"


@dataclass
class CheckResult:
    target: str
    case: str
    dtype: str
    epochs: int
    batch_size: int
    n_rows: int
    steps_per_epoch: int
    steps_run: int
    weight_tol: float
    passed: bool
    max_drift: float                 # max relative drift over every step and array (module docstring)
    final_drift: float               # max relative drift after the last step
    final_abs_drift: float
    prediction_error: float          # relative, after training
    epoch_drifts: list[float] = field(default_factory=list)
    divergence: Divergence | None = None
    notes: list[str] = field(default_factory=list)
    seconds_per_step_yours: float = math.nan   # median train_on_batch time
    seconds_per_step_keras: float = math.nan   # median Keras train_on_batch time (not fit's)

    def verdict(self) -> str:
        """Human-readable verdict (first line PASS/FAIL)."""
        head = f"{self.target} on {self.case} [{self.dtype}], {self.n_rows} rows, batch {self.batch_size}"
        if self.passed:
            lines = [f"PASS {head}: {self.steps_run} steps over {self.epochs} epoch(s) in lockstep with Keras; "
                     f"max relative weight drift {self.max_drift:.3g} (tolerance {self.weight_tol:.0e}), "
                     f"after the last step {self.final_drift:.3g} (abs {self.final_abs_drift:.3g}); "
                     f"predictions agree to {self.prediction_error:.3g}"]
        else:
            d = self.divergence
            lines = [f"FAIL {head}: {d.where()}",
                     f"  relative drift of {d.weight}: {d.drift:.3g} > tolerance {self.weight_tol:.0e}"]
            if d.phase == "step":
                lines.append(f"  arrays that differ after this step: {', '.join(d.differing)}")
            lines += [f"  likely cause: {h}" for h in d.hints]
        lines += [f"  note: {n}" for n in self.notes]
        if math.isfinite(self.seconds_per_step_yours):
            lines.append(f"  time per step (median train_on_batch): yours {self.seconds_per_step_yours * 1e6:.1f} us, "
                         f"Keras {self.seconds_per_step_keras * 1e6:.1f} us")
        return "\n".join(lines)


# -- figures ------------------------------------------------------------------------------------
def _scales(labels: list[str], weights: list[np.ndarray], tiny: float) -> list[float]:
    """Denominator of each array's drift: max|array|, floored by its layer's max|kernel|."""
    kernel = {_layer_of(n): float(np.max(np.abs(w))) if w.size else 0.0
              for n, w in zip(labels, weights) if n.endswith("kernel")}
    out = []
    for name, w in zip(labels, weights):
        own = float(np.max(np.abs(w))) if w.size else 0.0
        out.append(max(own, kernel.get(_layer_of(name), 0.0), tiny) if np.isfinite(own) else tiny)
    return out


def _drift(a: np.ndarray, b: np.ndarray, scale: float) -> float:
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not (np.isfinite(a64).all() and np.isfinite(b64).all()):
        return math.nan
    return float(np.max(np.abs(a64 - b64)) / scale) if a64.size else 0.0


def _over(value: float, tol: float) -> bool:
    return not (math.isfinite(value) and value <= tol)


def _worst(a: np.ndarray, b: np.ndarray) -> tuple[tuple[int, ...], float, float]:
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    diff = np.abs(a64 - b64)
    diff = np.where(np.isfinite(a64) & np.isfinite(b64), diff, np.inf)
    idx = np.unravel_index(int(np.argmax(diff)), a64.shape)
    return tuple(int(i) for i in idx), float(a64[idx]), float(b64[idx])


# -- the check ------------------------------------------------------------------------------------
def _data(net: ForeignNet, x, y, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    desc = net.description
    x = np.ascontiguousarray(x, dtype=dtype)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ForeignError(f"the training data must be a non-empty (rows, features) array, got shape {x.shape}")
    if x.shape[1] != desc.input_dim:
        raise ForeignError(f"the case's data has {x.shape[1]} feature column(s) but describe()['input_dim'] "
                           f"is {desc.input_dim}")
    y = np.asarray(y)
    if desc.loss == "sparse_categorical_crossentropy":
        y = np.ascontiguousarray(y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y)
    else:
        y = np.ascontiguousarray(y, dtype=dtype)
        if y.ndim != 2 or y.shape[1] != desc.n_outputs:
            raise ForeignError(f"the case's targets have shape {y.shape} but the network's last layer has "
                               f"{desc.n_outputs} unit(s)")
    if y.shape[0] != x.shape[0]:
        raise ForeignError(f"x has {x.shape[0]} rows but y has {y.shape[0]}")
    return x, y


def check_foreign(net: ForeignNet, x, y, *, batch_size: int | None, epochs: int = 3, shuffle: bool = False,
                  seed: int = 0, dtype: str | None = None, weight_tol: float | None = None,
                  case: str = "custom") -> CheckResult:
    """Train ``net`` and its Keras twin in lockstep and compare after every step (module docstring)."""
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    desc = net.description
    dtype = str(dtype or desc.dtype)
    if dtype not in DEFAULT_TOLERANCES:
        raise ValueError(f"dtype must be one of {sorted(DEFAULT_TOLERANCES)}, got {dtype!r}")
    tol = DEFAULT_TOLERANCES[dtype][1] if weight_tol is None else float(weight_tol)
    tiny = float(np.finfo(dtype).tiny)
    x, y = _data(net, x, y, dtype)
    n = int(x.shape[0])
    if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
        raise ValueError(f"batch_size must be >= 1 or None, got {batch_size!r}")
    bs = n if batch_size is None else min(int(batch_size), n)
    labels = weight_labels(desc)
    notes = []
    if dtype != desc.dtype:
        notes.append(f"checked in {dtype} although describe() says {desc.dtype}: your network gets {dtype} "
                     "arrays and its own arithmetic decides the precision")

    start = [w.astype(dtype) for w in net.get_weights()]
    net.set_weights(start, dtype)
    model = twin_model(desc, dtype)
    model.set_weights(start)
    twin = to_keras(model)
    steps_per_epoch = math.ceil(n / bs)
    result = CheckResult(target=net.target, case=case, dtype=dtype, epochs=int(epochs), batch_size=bs, n_rows=n,
                         steps_per_epoch=steps_per_epoch, steps_run=0, weight_tol=tol, passed=False,
                         max_drift=0.0, final_drift=math.nan, final_abs_drift=math.nan,
                         prediction_error=math.nan, notes=notes)

    with keras_floatx(dtype):
        def keras_predict(rows: np.ndarray) -> np.ndarray:
            return np.asarray(twin(rows, training=False))

        # 3. forward pass with identical weights
        head = x[:_FORWARD_ROWS]
        failure = _prediction_divergence(net.predict(head), keras_predict(head), tol, tiny, "forward")
        if failure is not None:
            result.divergence, result.prediction_error = failure, failure.drift
            return result

        # 4. lockstep
        rng = np.random.default_rng(seed)
        before_y, before_k = start, [np.array(w) for w in twin.get_weights()]
        t_yours: list[float] = []
        t_keras: list[float] = []
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n) if shuffle else np.arange(n)
            xe, ye = x[order], y[order]
            for step, lo in enumerate(range(0, n, bs), start=1):
                xb, yb = xe[lo:lo + bs], ye[lo:lo + bs]
                t0 = time.perf_counter()
                net.train_on_batch(xb, yb)
                t1 = time.perf_counter()
                twin.train_on_batch(xb, yb)
                t2 = time.perf_counter()
                t_yours.append(t1 - t0)
                t_keras.append(t2 - t1)
                after_y, after_k = net.get_weights(), twin.get_weights()
                result.steps_run += 1
                drifts = [_drift(a, b, sc) for a, b, sc in zip(after_y, after_k, _scales(labels, after_k, tiny))]
                differing = [i for i, d in enumerate(drifts) if _over(d, tol)]
                if differing:
                    primary = max(differing)
                    idx, yours, keras = _worst(after_y[primary], after_k[primary])
                    model.set_weights(before_k)
                    hints = diagnose(desc, labels, differing, before_y, after_y, before_k, after_k, len(xb),
                                     result.steps_run == 1, dtype, output=model.predict(xb))
                    result.divergence = Divergence("step", epoch, step, labels[primary], idx, yours, keras,
                                                   drifts[primary], [labels[i] for i in differing], hints)
                    result.max_drift = math.nan if any(math.isnan(d) for d in drifts) else max(
                        result.max_drift, *drifts)
                    _timing(result, t_yours, t_keras)
                    return result
                result.max_drift = max(result.max_drift, *drifts) if drifts else result.max_drift
                before_y, before_k = after_y, after_k
            result.epoch_drifts.append(max(drifts) if drifts else 0.0)
        result.final_drift = max(drifts) if drifts else 0.0
        result.final_abs_drift = max((float(np.max(np.abs(a - b))) if a.size else 0.0)
                                     for a, b in zip(before_y, before_k)) if before_y else 0.0
        _timing(result, t_yours, t_keras)

        # 5. predictions after training
        p_y, p_k = net.predict(x), keras_predict(x)
        failure = _prediction_divergence(p_y, p_k, tol, tiny, "predict")
        result.prediction_error = _rel(p_y, p_k, tiny)
        if failure is not None:
            result.divergence = failure
            return result
    result.passed = True
    return result


def _timing(result: CheckResult, t_yours: list[float], t_keras: list[float]) -> None:
    if t_yours:
        result.seconds_per_step_yours = float(np.median(t_yours))
        result.seconds_per_step_keras = float(np.median(t_keras))


def _prediction_divergence(p_y: np.ndarray, p_k: np.ndarray, tol: float, tiny: float,
                           phase: str) -> Divergence | None:
    drift = _rel(p_y, p_k, tiny)
    if not _over(drift, tol):
        return None
    idx, yours, keras = _worst(p_y, p_k)
    if phase == "forward":
        hints = ["with the same weights your predict() differs from the Keras model that describe() defines: "
                 "describe() does not match the network (an activation, a bias), the kernel is used transposed "
                 "(W @ x where Keras computes x @ W with W (inputs, units)), or get_weights() does not return "
                 "the arrays predict() uses"]
    else:
        hints = ["the weights agree but the predictions do not: predict() uses something other than the "
                 "current weights (a cached forward pass, a copy taken earlier) or a different forward pass "
                 "than training"]
    return Divergence(phase, 0, 0, "predictions", idx, yours, keras, drift, ["predictions"], hints)
