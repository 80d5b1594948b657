"""Activation functions, each written next to its hand-derived derivative.

Contract: an :class:`Activation` maps pre-activations ``z`` (batch, units) to
``a = f(z)`` of the same shape, and back-propagates ``dL/da`` to ``dL/dz``.
Element-wise activations use ``dL/dz = dL/da * f'(z)`` where ``f'`` is written
in terms of ``z`` and/or ``a`` (whichever is cheaper and exact); softmax uses
its Jacobian-vector product. Conventions follow TensorFlow/Keras, so gradients
agree bit for bit where the maths allows: relu'(0) = 0, leaky_relu'(0) = slope.

Look activations up by name with :func:`get`; :data:`ACTIVATIONS` is the registry.

Hot-path style: ``out`` is passed positionally and constants are 0-d arrays of the operand's
dtype (:mod:`scratchnet._constants`): for a (1, 3) array NumPy's keyword parsing and scalar
conversion cost more than the arithmetic. The rounding is the same as with Python floats.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._constants import ONE, ZERO, const

Array = np.ndarray

# Keras 3's default negative_slope 0.2, as TensorFlow's LeakyRelu op holds it: a float32
# attribute, so even a float64 model multiplies by float32(0.2) = 0.20000000298023224.
LEAKY_RELU_SLOPE = float(np.float32(0.2))


@dataclass(frozen=True)
class Activation:
    """A named activation: ``forward(z) -> a`` and ``backward(z, a, grad_a) -> grad_z``.

    With ``takes_out`` (every registered activation), both also accept ``out`` (an array
    shaped like ``z`` that receives the result) and ``scratch`` (another one they may
    overwrite); neither may alias an input (``backward`` may return ``grad_a`` itself when the
    derivative is 1, as linear does). With ``scratch`` no operation is done in place: NumPy
    takes a slow path (about 0.7 µs more) for an in-place operation on a one-element array.
    Only sigmoid and tanh use it: without it a one-element step was 17-24 % slower with sigmoid
    (neuron3-sgd-sigmoid, california-2-3-1) and 0-11 % (median 5 %) with tanh; relu (median 4 %)
    and softmax (never one element in a case) ignore it (measured interleaved, 2026-12-07).
    Without ``out`` they allocate. Activations built without ``takes_out`` are called
    without ``out`` (their results are then copied).
    """

    name: str
    forward: Callable[..., Array]
    backward: Callable[..., Array]
    takes_out: bool = False


# linear: a = z ; da/dz = 1
def _linear(z: Array, out: Array | None = None, scratch: Array | None = None) -> Array:
    return z


def _linear_bwd(z: Array, a: Array, grad_a: Array, out: Array | None = None,
                scratch: Array | None = None) -> Array:
    return grad_a


# sigmoid: a = 1 / (1 + exp(-z)) ; da/dz = a (1 - a)
# For z << 0, exp(-z) overflows to inf and 1/(1+inf) = 0: the exact limit, so no NaN
# can arise. The model runs its numerics under np.errstate(over="ignore") once per call
# (entering it per operation would cost more than the operation).
def _sigmoid(z: Array, out: Array | None = None, scratch: Array | None = None) -> Array:
    one = ONE.get(z.dtype, 1.0)
    if scratch is None:
        e = np.negative(z, out)
        np.exp(e, e)
        np.add(e, one, e)
        return np.reciprocal(e, e)
    np.negative(z, scratch)                   # the same four steps, alternating two buffers
    np.exp(scratch, out)
    np.add(out, one, scratch)
    return np.reciprocal(scratch, out)


def _sigmoid_bwd(z: Array, a: Array, grad_a: Array, out: Array | None = None,
                 scratch: Array | None = None) -> Array:
    d = np.subtract(ONE.get(a.dtype, 1.0), a, out)
    s = np.multiply(a, d, scratch if scratch is not None else d)  # a (1 - a)
    return np.multiply(grad_a, s, d)


# tanh: a = tanh(z) ; da/dz = 1 - a^2
def _tanh(z: Array, out: Array | None = None, scratch: Array | None = None) -> Array:
    return np.tanh(z, out)


def _tanh_bwd(z: Array, a: Array, grad_a: Array, out: Array | None = None,
              scratch: Array | None = None) -> Array:
    d = np.multiply(a, a, out)
    s = np.subtract(ONE.get(d.dtype, 1.0), d, scratch if scratch is not None else d)  # 1 - a^2
    return np.multiply(grad_a, s, d)


# relu: a = max(z, 0) ; da/dz = 1 if z > 0 else 0 (0 at z = 0, as TensorFlow)
def _relu(z: Array, out: Array | None = None, scratch: Array | None = None) -> Array:
    return np.maximum(z, ZERO.get(z.dtype, 0.0), out=out)


def _relu_bwd(z: Array, a: Array, grad_a: Array, out: Array | None = None,
              scratch: Array | None = None) -> Array:
    if out is None:
        return grad_a * (z > 0)
    mask = np.greater(z, ZERO.get(z.dtype, 0.0), out)  # (scratch unused: measured <5% on one element)
    return np.multiply(grad_a, mask, out)   # the 0/1 mask, written as floats: no temporary


# leaky_relu: a = z if z > 0 else s z ; da/dz = 1 if z > 0 else s
def _leaky_relu(z: Array, out: Array | None = None, scratch: Array | None = None) -> Array:
    a = np.multiply(z, const(LEAKY_RELU_SLOPE, z.dtype), out)
    np.copyto(a, z, where=z > 0)
    return a


def _leaky_relu_bwd(z: Array, a: Array, grad_a: Array, out: Array | None = None,
                    scratch: Array | None = None) -> Array:
    d = np.multiply(grad_a, const(LEAKY_RELU_SLOPE, grad_a.dtype), out)
    np.copyto(d, grad_a, where=z > 0)
    return d


# softmax over the last axis: a_i = exp(z_i - max z) / sum_j exp(z_j - max z)
# Jacobian da_i/dz_j = a_i (delta_ij - a_j), so dL/dz = a * (g - sum_j g_j a_j).
def _softmax(z: Array, out: Array | None = None, scratch: Array | None = None) -> Array:
    e = np.subtract(z, z.max(axis=-1, keepdims=True), out)
    np.exp(e, e)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _softmax_bwd(z: Array, a: Array, grad_a: Array, out: Array | None = None,
                 scratch: Array | None = None) -> Array:
    d = np.multiply(grad_a, a, out)
    s = np.sum(d, axis=-1, keepdims=True)     # sum_j g_j a_j
    t = np.subtract(grad_a, s, d)
    return np.multiply(a, t, d)


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("linear", _linear, _linear_bwd, takes_out=True),
        Activation("sigmoid", _sigmoid, _sigmoid_bwd, takes_out=True),
        Activation("tanh", _tanh, _tanh_bwd, takes_out=True),
        Activation("relu", _relu, _relu_bwd, takes_out=True),
        Activation("leaky_relu", _leaky_relu, _leaky_relu_bwd, takes_out=True),
        Activation("softmax", _softmax, _softmax_bwd, takes_out=True),
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
