"""Losses with Keras' reductions, each value written next to its gradient.

Contract: ``loss.value(y, p) -> float`` and ``loss.grad(y, p) -> dL/dp`` for a
batch of ``N`` rows and ``k`` outputs, both shaped (N, k). Every loss follows
Keras' default ``sum_over_batch_size`` reduction: a per-sample loss (mean over
the last axis for element-wise losses, sum over classes for categorical
cross-entropy), then the mean over the batch.

Cross-entropies on probabilities clip them to ``[EPSILON, 1 - EPSILON]`` (Keras'
``backend.epsilon()``, 1e-7). Like Keras 3, when the model's last operation is a
sigmoid (binary) or softmax (categorical) the loss is computed from the
pre-activation logits instead -- no clipping, and the fused gradient
``dL/dz = (a * sum(y) - y) / N`` (binary: ``(a - y) / (N k)``). Those losses
expose ``fused_activation``, ``value_from_logits`` and ``grad_from_logits``.
"""
from __future__ import annotations

import numpy as np

from ._constants import const

Array = np.ndarray
EPSILON = 1e-7


class Loss:
    """Base class: ``value(y, p)`` (float) and ``grad(y, p)`` (same shape as p)."""

    name: str = "loss"
    fused_activation: str | None = None  # activation whose logits the loss can use

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)

    def value(self, y: Array, p: Array) -> float:
        """The batch loss L(y, p) as a float (Keras' sum_over_batch_size reduction)."""
        raise NotImplementedError

    def grad(self, y: Array, p: Array) -> Array:
        """dL/dp, shaped like ``p``."""
        raise NotImplementedError

    def prepare_targets(self, y: Array, n_outputs: int) -> Array:
        """Return targets shaped like the model output; raise ValueError if they cannot be."""
        if y.ndim == 1 and n_outputs == 1:
            return y.reshape(-1, 1)  # Keras expands (N,) to (N, 1) for a 1-unit output
        if y.ndim != 2 or y.shape[1] != n_outputs:
            raise ValueError(
                f"y has shape {y.shape} but the model outputs (N, {n_outputs}); "
                f"{self.name} needs y of shape (N, {n_outputs})"
            )
        return y

    def value_and_grad(self, y: Array, p: Array) -> tuple[float, Array]:
        """Loss value and dL/dp together (subclasses share work where they can)."""
        return self.value(y, p), self.grad(y, p)

    def get_config(self) -> dict:
        """``{"name", "from_logits"}``."""
        return {"name": self.name, "from_logits": self.from_logits}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(from_logits={self.from_logits})"


class MeanSquaredError(Loss):
    """L = mean_batch mean_k (p - y)^2 ;  dL/dp = 2 (p - y) / (N k)."""

    name = "mean_squared_error"

    def value(self, y: Array, p: Array) -> float:
        """L = mean over the batch and the k outputs of (p - y)^2."""
        d = p - y
        return float(np.mean(d * d))

    def grad(self, y: Array, p: Array) -> Array:
        """dL/dp = 2 (p - y) / (N k)."""
        d = p - y
        d *= d.dtype.type(2.0 / d.size)
        return d

    def value_and_grad(self, y: Array, p: Array) -> tuple[float, Array]:
        """(L, dL/dp) from one difference d = p - y: L = d.d / n, dL/dp = d * 2/n (n = N k)."""
        d = np.subtract(p, y)
        n = d.size
        value = float(np.vdot(d, d)) / n
        # 2/n rounded to d's dtype, as a Python float would be; in place unless d has one element
        # (NumPy's in-place path is slow there, a new one-element array is cheap)
        return value, np.multiply(d, const(2.0 / n, d.dtype), None if n == 1 else d)


class MeanAbsoluteError(Loss):
    """L = mean_batch mean_k |p - y| ;  dL/dp = sign(p - y) / (N k)  (0 where p == y)."""

    name = "mean_absolute_error"

    def value(self, y: Array, p: Array) -> float:
        """L = mean |p - y|."""
        return float(np.mean(np.abs(p - y)))

    def grad(self, y: Array, p: Array) -> Array:
        """dL/dp = sign(p - y) / (N k), 0 where p == y."""
        g = np.sign(p - y)
        g *= g.dtype.type(1.0 / g.size)
        return g


def _clip(p: Array) -> Array:
    return np.clip(p, EPSILON, 1.0 - EPSILON)


def _inside_clip(p: Array) -> Array:
    # tf.clip_by_value passes the gradient where EPSILON <= p <= 1 - EPSILON
    return (p >= p.dtype.type(EPSILON)) & (p <= p.dtype.type(1.0 - EPSILON))


class BinaryCrossentropy(Loss):
    """L = mean_batch mean_k -[y log p + (1 - y) log(1 - p)], p clipped to [eps, 1 - eps].

    dL/dp = (-y / p + (1 - y) / (1 - p)) / (N k) inside the clip range, 0 outside.
    From logits z: l = max(z, 0) - z y + log(1 + exp(-|z|)), dL/dz = (sigmoid(z) - y) / (N k).
    """

    name = "binary_crossentropy"
    fused_activation = "sigmoid"

    def value(self, y: Array, p: Array) -> float:
        """L = mean -[y log q + (1 - y) log(1 - q)], q = clip(p, eps, 1 - eps) (or from logits)."""
        if self.from_logits:
            return self.value_from_logits(y, p)
        q = _clip(p)
        return float(np.mean(-(y * np.log(q) + (1.0 - y) * np.log(1.0 - q))))

    def grad(self, y: Array, p: Array) -> Array:
        """dL/dp = (-y/q + (1 - y)/(1 - q)) / (N k) inside the clip range, 0 outside."""
        if self.from_logits:
            return self.grad_from_logits(y, p, _sigmoid(p))
        q = _clip(p)
        g = (-y / q + (1.0 - y) / (1.0 - q)) * _inside_clip(p)
        g *= g.dtype.type(1.0 / g.size)
        return g

    def value_from_logits(self, y: Array, z: Array) -> float:
        """L = mean max(z, 0) - z y + log(1 + exp(-|z|)) (the stable form of the logits loss)."""
        return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))

    def grad_from_logits(self, y: Array, z: Array, a: Array) -> Array:
        """dL/dz = (sigmoid(z) - y) / (N k), with ``a`` = sigmoid(z) already computed."""
        g = a - y
        g *= g.dtype.type(1.0 / g.size)
        return g


class CategoricalCrossentropy(Loss):
    """L = mean_batch -sum_k y_k log p_k, with p renormalised to sum 1 and clipped.

    With s = sum_k p_k and r = p / s: dl/dr_k = -y_k / r_k (0 outside the clip range) and
    dl/dp_j = (dl/dr_j - sum_k dl/dr_k r_k) / s.
    From logits z: l = logsumexp(z) sum(y) - sum(y z), dL/dz = (softmax(z) sum(y) - y) / N.
    """

    name = "categorical_crossentropy"
    fused_activation = "softmax"

    def value(self, y: Array, p: Array) -> float:
        """L = mean over the batch of -sum_k y_k log q_k, q = clip(p / sum(p))."""
        if self.from_logits:
            return self.value_from_logits(y, p)
        q = _clip(p / p.sum(axis=-1, keepdims=True))
        return float(np.mean(-np.sum(y * np.log(q), axis=-1)))

    def grad(self, y: Array, p: Array) -> Array:
        """dL/dp_j = (g_j - sum_k g_k r_k) / s with r = p/s, s = sum p, g_k = -y_k / r_k (inside the clip)."""
        if self.from_logits:
            return self.grad_from_logits(y, p, _softmax(p))
        s = p.sum(axis=-1, keepdims=True)
        r = p / s  # renormalised probabilities
        # dl/dr_k = -y_k / r_k inside the clip range (0 outside)
        g_r = -y / _clip(r) * _inside_clip(r)
        # r_k = p_k / s  =>  dl/dp_j = (g_r_j - sum_k g_r_k r_k) / s
        g = (g_r - np.sum(g_r * r, axis=-1, keepdims=True)) / s
        g *= g.dtype.type(1.0 / g.shape[0])
        return g

    def value_from_logits(self, y: Array, z: Array) -> float:
        """L = mean over the batch of logsumexp(z) sum(y) - sum(y z)."""
        m = z.max(axis=-1, keepdims=True)
        lse = np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)) + m
        return float(np.mean(np.sum(y * (lse - z), axis=-1)))

    def grad_from_logits(self, y: Array, z: Array, a: Array) -> Array:
        """dL/dz = (softmax(z) sum(y) - y) / N, with ``a`` = softmax(z) already computed."""
        g = a * y.sum(axis=-1, keepdims=True) - y
        g *= g.dtype.type(1.0 / g.shape[0])
        return g


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer class labels y of shape (N,) or (N, 1)."""

    name = "sparse_categorical_crossentropy"

    def prepare_targets(self, y: Array, n_outputs: int) -> Array:
        """Integer labels (N,) or (N, 1) as one-hot rows (N, n_outputs); ValueError for labels out of range."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                f"y has shape {y.shape}; {self.name} needs integer class labels of shape (N,) or (N, 1)"
            )
        labels = y.astype(np.int64)
        if not np.array_equal(labels, y):
            raise ValueError(f"{self.name} needs integer class labels in y, got non-integer values")
        if labels.size and (labels.min() < 0 or labels.max() >= n_outputs):
            raise ValueError(
                f"{self.name}: labels must lie in [0, {n_outputs - 1}] for a {n_outputs}-unit output, "
                f"got range [{labels.min()}, {labels.max()}]"
            )
        onehot = np.zeros((labels.shape[0], n_outputs), dtype=y.dtype if y.dtype.kind == "f" else np.float64)
        onehot[np.arange(labels.shape[0]), labels] = 1.0
        return onehot


def _sigmoid(z: Array) -> Array:
    from .activations import ACTIVATIONS

    return ACTIVATIONS["sigmoid"].forward(z)


def _softmax(z: Array) -> Array:
    from .activations import ACTIVATIONS

    return ACTIVATIONS["softmax"].forward(z)


LOSSES: dict[str, type[Loss]] = {
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}


def get(identifier: str | Loss) -> Loss:
    """Return a loss instance from a name (see :data:`LOSSES`) or pass an instance through."""
    if isinstance(identifier, Loss):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"loss must be a name (str) or a Loss, got {type(identifier).__name__}")
    try:
        return LOSSES[identifier]()
    except KeyError:
        raise ValueError(f"Unknown loss {identifier!r}; valid names: {sorted(LOSSES)}") from None


def from_config(config: dict) -> Loss:
    """Rebuild a loss from :meth:`Loss.get_config`."""
    loss = get(config["name"])
    loss.from_logits = bool(config.get("from_logits", False))
    return loss
