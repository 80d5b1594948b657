"""Why a foreign network parts from Keras: the diagnosis ``scratchnet-bench check`` prints.

Given the weights that differ after one step, :func:`diagnose` compares the two frameworks'
weight *changes* array by array: a constant ratio between them names a scaled gradient -- first
the conventions that produce one (1/2 ||a - y||^2 per sample: k/2 for k outputs; a sum over the
outputs: k; a sum over the batch: B; their products), said as conventions with the learning rate
that would make Keras take the same step, before any bug (a missing factor 2, an output
derivative applied twice, a wrong sign) --
a differing layer names where the backward pass goes wrong. Used by :mod:`.check`.
"""
from __future__ import annotations

import numpy as np

from scratchnet.bench.parity.foreign import Description

# relative residual under which two updates count as exactly proportional (per dtype)
PROPORTIONAL_TOL = {"float64": 1e-6, "float32": 1e-3}


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


def _conventions(rows: int, outs: int, mse: bool) -> list[tuple[float, str, str]]:
    """(ratio, the convention that produces it, the ``Conventions`` that declares it): every update
    of a network whose cost is scaled against Keras' is that constant times Keras' (module docstring)."""
    found = []
    if mse:
        for cost, factor, words in (("half_sse", outs / 2.0, "a cost of 1/2 ||a - y||^2 per sample (the textbook "
                                     "form, whose derivative drops Keras' factor 2)"),
                                    ("sse", float(outs), "a cost of ||a - y||^2 summed over the outputs")):
            if factor != 1.0:
                found.append((factor, words + (f" where Keras' MSE averages over the {outs} outputs" if outs > 1
                                               else ""), f"cost={cost!r}"))
            if rows > 1:
                found.append((factor * rows, words + f", summed over the {rows} rows of the batch where Keras "
                              "averages", f"cost={cost!r}, batch_reduction='sum'"))
    if rows > 1:
        found.append((float(rows), f"a cost summed over the {rows} rows of the batch where Keras averages",
                      "batch_reduction='sum'"))
    if outs > 1 and not mse:
        found.append((float(outs), f"a loss summed over the {outs} outputs where Keras averages over them", ""))
    return found


def _explain_factor(c: float, rows: int, desc: Description, output: np.ndarray | None = None) -> str:
    lr = dict(desc.optimizer_params).get("learning_rate")
    by_derivative = _output_derivative_factor(c, desc, output)
    if by_derivative:
        return f"your update is {c:.6g} x Keras' (exactly proportional): {by_derivative}"
    mse = desc.loss in ("mse", "mean_squared_error")
    head = f"your update is {c:.6g} x Keras' (exactly proportional)"
    lr_text = (f"Keras takes your step with learning_rate = {lr:g} x {c:.6g} = {lr * c:.6g}"
               if lr and desc.optimizer == "sgd" else "")
    for value, words, declared in _conventions(rows, desc.n_outputs, mse):
        if abs(c / value - 1.0) < 1e-3:
            fix = f"; or declare it, Conventions({declared}) in scratchnet.bench.parity.conventions" if declared else ""
            return (f"{head}: a convention, not necessarily a bug -- {words}. If that is your network's "
                    f"convention, {lr_text or 'scale the learning rate by that factor'}{fix}")
    known = [(-1.0, "a wrong sign: your step goes up the gradient (w += lr * grad, or the error taken as "
                    "y - p where the update assumes p - y)")]
    if mse:
        known += [(2.0, "an extra factor 2 (a loss twice Keras' mean squared error)")]
    if rows > 1:
        known += [(1.0 / rows, f"a mean taken twice, or a mean where Keras sums (ratio 1/{rows} = 1/batch size)")]
        if mse:
            known += [(2.0 / rows, "a factor 2 too many and a mean taken twice")]
    for value, text in known:
        if abs(c / value - 1.0) < 1e-3:
            return f"{head}: {text}"
    detail = f" (describe() says learning_rate={lr:g}; yours behaves like {lr * c:.6g})" if lr else ""
    return (f"{head}: a constant factor -- a learning rate other than describe()'s{detail}, or a loss scaled "
            f"differently from Keras' {desc.loss}")


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


