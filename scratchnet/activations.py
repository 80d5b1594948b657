"""Activation functions, each written next to its hand-derived derivative.

Contract: an :class:`Activation` maps pre-activations ``z`` (batch, units) to
``a = f(z)`` of the same shape, and back-propagates ``dL/da`` to ``dL/dz``.
Element-wise activations use ``dL/dz = dL/da * f'(z)`` where ``f'`` is written
in terms of ``z`` and/or ``a`` (whichever is cheaper and exact); softmax uses
its Jacobian-vector product. Conventions follow TensorFlow/Keras, so gradients
agree bit for bit where the maths allows: relu'(0) = 0, leaky_relu'(0) = slope.

Look activations up by name with :func:`get`; :data:`ACTIVATIONS` is the registry.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray

# Keras 3's default negative_slope 0.2, as TensorFlow's LeakyRelu op holds it: a float32
# attribute, so even a float64 model multiplies by float32(0.2) = 0.20000000298023224.
LEAKY_RELU_SLOPE = float(np.float32(0.2))


@dataclass(frozen=True)
class Activation:
    """A named activation: ``forward(z) -> a`` and ``backward(z, a, grad_a) -> grad_z``."""

    name: str
    forward: Callable[[Array], Array]
    backward: Callable[[Array, Array, Array], Array]


# linear: a = z ; da/dz = 1
def _linear(z: Array) -> Array:
    return z


def _linear_bwd(z: Array, a: Array, grad_a: Array) -> Array:
    return grad_a


# sigmoid: a = 1 / (1 + exp(-z)) ; da/dz = a (1 - a)
# For z << 0, exp(-z) overflows to inf and 1/(1+inf) = 0: the exact limit, so no NaN
# can arise. The model runs its numerics under np.errstate(over="ignore") once per call
# (entering it per operation would cost more than the operation).
def _sigmoid(z: Array) -> Array:
    e = np.exp(-z)
    e += 1.0
    return np.reciprocal(e, out=e)


def _sigmoid_bwd(z: Array, a: Array, grad_a: Array) -> Array:
    return grad_a * (a * (1.0 - a))


# tanh: a = tanh(z) ; da/dz = 1 - a^2
def _tanh(z: Array) -> Array:
    return np.tanh(z)


def _tanh_bwd(z: Array, a: Array, grad_a: Array) -> Array:
    return grad_a * (1.0 - a * a)


# relu: a = max(z, 0) ; da/dz = 1 if z > 0 else 0 (0 at z = 0, as TensorFlow)
def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _relu_bwd(z: Array, a: Array, grad_a: Array) -> Array:
    return grad_a * (z > 0)


# leaky_relu: a = z if z > 0 else s z ; da/dz = 1 if z > 0 else s
def _leaky_relu(z: Array) -> Array:
    return np.where(z > 0, z, z * z.dtype.type(LEAKY_RELU_SLOPE))


def _leaky_relu_bwd(z: Array, a: Array, grad_a: Array) -> Array:
    return np.where(z > 0, grad_a, grad_a * grad_a.dtype.type(LEAKY_RELU_SLOPE))


# softmax over the last axis: a_i = exp(z_i - max z) / sum_j exp(z_j - max z)
# Jacobian da_i/dz_j = a_i (delta_ij - a_j), so dL/dz = a * (g - sum_j g_j a_j).
def _softmax(z: Array) -> Array:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _softmax_bwd(z: Array, a: Array, grad_a: Array) -> Array:
    return a * (grad_a - np.sum(grad_a * a, axis=-1, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("linear", _linear, _linear_bwd),
        Activation("sigmoid", _sigmoid, _sigmoid_bwd),
        Activation("tanh", _tanh, _tanh_bwd),
        Activation("relu", _relu, _relu_bwd),
        Activation("leaky_relu", _leaky_relu, _leaky_relu_bwd),
        Activation("softmax", _softmax, _softmax_bwd),
    )
}


def get(identifier: str | Activation | None) -> Activation:
    """Return the activation named ``identifier`` (``None`` means linear)."""
    if identifier is None:
        return ACTIVATIONS["linear"]
    if isinstance(identifier, Activation):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(
            f"activation must be a name (str) or None, got {type(identifier).__name__}"
        )
    try:
        return ACTIVATIONS[identifier]
    except KeyError:
        raise ValueError(
            f"Unknown activation {identifier!r}; valid names: {sorted(ACTIVATIONS)}"
        ) from None
