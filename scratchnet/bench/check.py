"""Check a foreign network against its Keras twin step for step, and say where they part.

Contract of :func:`check_foreign` (a :class:`~scratchnet.bench.foreign.ForeignNet`, training
rows, batch size, epochs, shuffling, seed, dtype -> :class:`CheckResult`):

1. The twin: the scratchnet ``Sequential`` equivalent to ``describe()``
   (:func:`~scratchnet.bench.foreign.twin_model`) turned into Keras by
   :func:`~scratchnet.bench.keras_twin.to_keras` -- the same twin, dtype handling (floatx held
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
:class:`~scratchnet.bench.foreign.ForeignError` (or ``TwinError``), both ``ValueError``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .foreign import Description, ForeignError, ForeignNet, twin_model, weight_labels
from .keras_twin import keras_floatx, to_keras
from .parity import DEFAULT_TOLERANCES
from .parity import relative_difference as _rel

__all__ = ["CheckResult", "Divergence", "check_foreign", "diagnose", "PROPORTIONAL_TOL"]

# relative residual under which two updates count as exactly proportional (per dtype)
PROPORTIONAL_TOL = {"float64": 1e-6, "float32": 1e-3}
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


# -- diagnosis ----------------------------------------------------------------------------------
def _layer_of(label: str) -> int:
    return int(label.split()[1])


def _ratio(dy: np.ndarray, dk: np.ndarray) -> tuple[float, float]:
    """Least-squares c in dy ~ c dk and the relative residual |dy - c dk| / |dy|."""
    kk = float(np.dot(dk.ravel(), dk.ravel()))
    c = float(np.dot(dy.ravel(), dk.ravel())) / kk
    resid = float(np.linalg.norm(dy - c * dk) / max(float(np.linalg.norm(dy)), 1e-300))
    return c, resid


_ACT_DERIVATIVE = {"sigmoid": lambda a: a * (1.0 - a), "tanh": lambda a: 1.0 - a * a}


def _output_derivative_factor(c: float, desc: Description, output: np.ndarray | None) -> str | None:
    """With one row and one output every update scales by the output activation's derivative:
    recognise a ratio equal to it (applied twice) or its inverse (missing)."""
    act = desc.layers[-1].activation
    if output is None or output.size != 1 or act not in _ACT_DERIVATIVE:
        return None
    d = float(_ACT_DERIVATIVE[act](float(output.ravel()[0])))
    if d > 0 and abs(c * d - 1.0) < 1e-3:
        return (f"the derivative of the output activation ({act}) is missing: the ratio is 1/{act}'(a) = "
                f"{1 / d:.6g} for this row")
    if d > 0 and abs(c / d - 1.0) < 1e-3:
        return f"the derivative of the output activation ({act}) is applied twice: the ratio is {act}'(a) = {d:.6g}"
    return None


def _explain_factor(c: float, rows: int, desc: Description, output: np.ndarray | None = None) -> str:
    lr = dict(desc.optimizer_params).get("learning_rate")
    by_derivative = _output_derivative_factor(c, desc, output)
    if by_derivative:
        return f"your update is {c:.6g} x Keras' (exactly proportional): {by_derivative}"
    mse = desc.loss in ("mse", "mean_squared_error")
    outs = desc.n_outputs
    known = [(-1.0, "a wrong sign: your step goes up the gradient (w += lr * grad, or the error taken as "
                    "y - p where the update assumes p - y)")]
    if mse:
        known += [(0.5, "a missing factor 2: the gradient of Keras' MSE mean((p - y)^2) is 2 (p - y) / n; "
                        "tutorials often drop the 2 (they differentiate 1/2 (p - y)^2)"),
                  (2.0, "an extra factor 2 (a loss twice Keras' mean squared error)")]
    if rows > 1:
        known += [(float(rows), f"a sum over the {rows} rows of the batch where Keras takes the mean "
                                "(divide the gradient by the batch size)"),
                  (1.0 / rows, f"a mean taken twice, or a mean where Keras sums (ratio 1/{rows} = 1/batch size)")]
        if mse:
            known += [(0.5 * rows, f"a sum over the batch ({rows} rows) and a missing factor 2"),
                      (2.0 / rows, "a factor 2 too many and a mean taken twice")]
    if outs > 1:
        known += [(float(outs), f"a sum over the {outs} outputs where Keras' loss averages over them")]
    for value, text in known:
        if abs(c / value - 1.0) < 1e-3:
            return f"your update is {c:.6g} x Keras' (exactly proportional): {text}"
    lr_text = f" (describe() says learning_rate={lr:g}; yours behaves like {lr * c:.6g})" if lr else ""
    return (f"your update is {c:.6g} x Keras' (exactly proportional): a constant factor -- a learning rate other "
            f"than describe()'s{lr_text}, or a loss scaled differently from Keras' {desc.loss}")


def diagnose(desc: Description, labels: list[str], differing: list[int], before_y: list[np.ndarray],
             after_y: list[np.ndarray], before_k: list[np.ndarray], after_k: list[np.ndarray], rows: int,
             first_step: bool, dtype: str, output: np.ndarray | None = None) -> list[str]:
    """What the pattern of one diverging step usually means (see the module docstring).

    ``output``: the network's output for the batch before the step (Keras' side), used to
    recognise a missing output-activation derivative in a one-row, one-output step.
    """
    primary = max(differing)
    name = labels[primary]
    layer = _layer_of(name)
    n_layers = len(desc.layers)
    dy = np.asarray(after_y[primary], np.float64) - np.asarray(before_y[primary], np.float64)
    dk = np.asarray(after_k[primary], np.float64) - np.asarray(before_k[primary], np.float64)
    hints: list[str] = []
    above = [labels[i] for i in range(len(labels)) if _layer_of(labels[i]) > layer]
    if above:
        hints.append(f"the layers above layer {layer} agree ({', '.join(above)}), so the mistake enters the "
                     f"backward pass at layer {layer}; the layers below only inherit it")
    if not np.isfinite(after_y[primary]).all():
        hints.append(f"your {name} became NaN/inf: an overflow (exp of a large number) or a division by zero")
        return hints
    ny, nk = float(np.max(np.abs(dy))), float(np.max(np.abs(dk)))
    if ny == 0.0 and nk > 0.0:
        hints.append(f"your network did not change {name} in this step while Keras did: the update is not "
                     "applied to this array (or to a copy of it), or its gradient is computed as zero")
        return hints
    if nk == 0.0:
        hints.append(f"Keras did not change {name} in this step but your network did")
        return hints
    c, resid = _ratio(dy, dk)
    if resid < PROPORTIONAL_TOL.get(dtype, 1e-6):
        hints.append(_explain_factor(c, rows, desc, output))
        others = [i for i in differing if i != primary]
        same = [labels[i] for i in others
                if (np.max(np.abs(after_k[i] - before_k[i])) > 0
                    and _same_ratio(after_y[i] - before_y[i], after_k[i] - before_k[i], c, dtype))]
        if others and len(same) == len(others):
            hints.append("every differing array has the same ratio: the scale is global "
                         "(learning rate, or the loss gradient at the output)")
        return hints
    if not first_step:
        hints.append("the earlier steps agreed, so one step's maths is right for those rows; a difference "
                     "that appears later usually comes from state carried between steps: an activation or "
                     "forward pass cached from the previous batch (stale) used in backprop, optimizer state "
                     "(momentum, moments), or a learning rate that changes")
    bias_only = all(labels[i].endswith("bias") for i in differing)
    if bias_only:
        hints.append("only bias updates differ: a bias gradient is the layer's delta summed over the batch rows "
                     "(with the loss' 1/n); check the axis you sum over and that the bias uses the delta, "
                     "not the activation")
    elif layer == n_layers:
        act = desc.layers[-1].activation
        hints.append(f"the output layer already differs: its delta dL/dz is wrong -- the derivative of the output "
                     f"activation ({act}) missing or evaluated at the wrong value (sigmoid'(z) = a (1 - a) needs the "
                     f"activation a, not z), or a loss other than describe()'s {desc.loss}")
    else:
        act = desc.layers[layer - 1].activation
        hints.append(f"the hidden layer {layer} differs: the derivative of its activation ({act}) missing or "
                     "evaluated at the wrong value (at z instead of a), the delta propagated with weights already "
                     "updated in this step (update only after every delta is computed), or with the weight "
                     "matrix not transposed")
    return hints


def _same_ratio(dy: np.ndarray, dk: np.ndarray, c: float, dtype: str) -> bool:
    c2, resid = _ratio(np.asarray(dy, np.float64), np.asarray(dk, np.float64))
    return resid < PROPORTIONAL_TOL.get(dtype, 1e-6) and abs(c2 / c - 1.0) < 1e-3


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
