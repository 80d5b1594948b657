"""Optimizers with Keras 3's exact update rules, defaults and arithmetic order.

Contract: ``opt.build(n, dtype)`` allocates the state for ``n`` parameters, then
``opt.apply(w, g)`` updates the flat parameter vector ``w`` in place from the flat
gradient ``g`` (both length ``n``) and counts one iteration. ``g`` is consumed: the update
uses it as scratch space, so its values afterwards are undefined (the model recomputes
it every step). The model keeps all weights in one contiguous vector (each layer's kernel
and bias are views into it), so one call updates every weight with a handful of in-place
vector operations -- each a pass over the vector, as few as Keras' arithmetic order allows,
with at most one scratch vector.

The arithmetic mirrors Keras' TensorFlow backend to the last bit in float64:
hyper-parameters that Keras passes through ``ops.cast`` (SGD's momentum, Adam's
beta powers) are first rounded to float32, as TensorFlow converts a Python float
to a float32 tensor before casting; the learning rate is held in the model's
dtype; everything else is a Python float applied in the model's dtype.
"""
from __future__ import annotations

import math

import numpy as np

from ._constants import const

Array = np.ndarray


def _f32(x: float) -> float:
    """A Python float rounded to float32, as ``ops.cast(python_float, dtype)`` does."""
    return float(np.float32(x))


def _check_rate(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value


def _check_unit(name: str, value: float, allow_zero: bool = False) -> float:
    value = float(value)
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value < 1):
        bound = "[0, 1)" if allow_zero else "(0, 1)"
        raise ValueError(f"{name} must lie in {bound}, got {value}")
    return value


class Optimizer:
    """Base class: holds the learning rate, the iteration count and the state buffers."""

    name = "optimizer"

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _check_rate("learning_rate", learning_rate)
        self.iterations = 0
        self._dtype: np.dtype | None = None
        self._state: dict[str, Array] = {}

    def build(self, n_params: int, dtype) -> None:
        """Allocate zeroed state (and one scratch vector, if the rule needs it) for ``n_params``."""
        self._dtype = np.dtype(dtype)
        self._lr = const(self.learning_rate, self._dtype)  # Keras holds the rate in the model dtype
        self.iterations = 0
        self._state = {key: np.zeros(n_params, dtype=self._dtype) for key in self._state_keys()}
        self._tmp = np.empty(n_params if self._needs_scratch() else 0, dtype=self._dtype)
        self._constants()

    def _needs_scratch(self) -> bool:
        return True

    def _constants(self) -> None:
        """Per-run constants of the update, in the model's dtype (computed once, not per step)."""

    def _state_keys(self) -> tuple[str, ...]:
        return ()

    def apply(self, w: Array, g: Array) -> None:
        """Update ``w`` in place from gradient ``g`` and count one iteration."""
        self._update(w, g, self._lr)
        self.iterations += 1

    def _update(self, w: Array, g: Array, lr) -> None:
        raise NotImplementedError

    def get_config(self) -> dict:
        """``{"name", "learning_rate", ...}``: the hyper-parameters, enough to rebuild it."""
        return {"name": self.name, "learning_rate": self.learning_rate}

    def get_state(self) -> dict[str, Array]:
        """``{"iterations": t, **state vectors}`` (copies are the caller's business)."""
        return {"iterations": np.asarray(self.iterations), **self._state}

    def set_state(self, state: dict[str, Array]) -> None:
        """Copy state vectors of matching shapes and the iteration count in (ValueError otherwise)."""
        for key in self._state_keys():
            if key not in state or state[key].shape != self._state[key].shape:
                raise ValueError(f"optimizer state {key!r} is missing or has the wrong shape")
            self._state[key][...] = state[key]
        self.iterations = int(state["iterations"])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum.

    momentum == 0:  w = w - g * lr
    momentum  > 0:  v = v * m - g * lr ;  w = w + v                 (m rounded to float32)
    nesterov:       v = v * m - g * lr ;  w = w + (v * m - g * lr)
    """

    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(learning_rate)
        self.momentum = _check_unit("momentum", momentum, allow_zero=True)
        self.nesterov = bool(nesterov)

    def _state_keys(self):
        return ("velocity",) if self.momentum else ()

    def _needs_scratch(self):
        return self.nesterov and bool(self.momentum)

    def _constants(self):
        self._m = const(_f32(self.momentum), self._dtype)

    def _update(self, w, g, lr):
        step = np.multiply(g, lr, g)          # g * lr, in g's own memory
        if not self.momentum:
            np.subtract(w, step, w)
            return
        m, v = self._m, self._state["velocity"]
        v *= m
        v -= step                             # v = v * m - g * lr
        if self.nesterov:
            ahead = np.multiply(v, m, out=self._tmp)
            ahead -= step                     # v * m - g * lr
            w += ahead
        else:
            w += v

    def get_config(self):
        """learning_rate, momentum, nesterov."""
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Root-mean-square propagation (Keras' non-centred form).

    v = rho * v + (1 - rho) * g^2
    step = lr * g / sqrt(v + eps)                         (eps inside the root)
    momentum == 0: w = w - step ;  else  mom = momentum * mom + step ;  w = w - mom
    """

    name = "rmsprop"

    def __init__(
        self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7
    ) -> None:
        super().__init__(learning_rate)
        self.rho = _check_unit("rho", rho)
        self.momentum = _check_unit("momentum", momentum, allow_zero=True)
        self.epsilon = _check_rate("epsilon", epsilon)

    def _state_keys(self):
        return ("velocity", "momentum") if self.momentum else ("velocity",)

    def _constants(self):
        t = self._dtype
        self._rho, self._one_minus_rho = const(self.rho, t), const(1.0 - self.rho, t)
        self._eps, self._mom = const(self.epsilon, t), const(self.momentum, t)

    def _update(self, w, g, lr):
        v, sq = self._state["velocity"], self._tmp
        v *= self._rho
        np.multiply(g, g, out=sq)
        sq *= self._one_minus_rho
        v += sq                               # v = rho v + (1 - rho) g^2
        step = np.multiply(g, lr, out=g)
        np.add(v, self._eps, out=sq)
        np.sqrt(sq, out=sq)
        step /= sq                            # lr g / sqrt(v + eps)
        if self.momentum:
            mom = self._state["momentum"]
            mom *= self._mom
            mom += step
            w -= mom
        else:
            w -= step

    def get_config(self):
        """learning_rate, rho, momentum, epsilon."""
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adaptive moment estimation, in Keras' bias-corrected-step form.

    t = iterations + 1
    alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)              (b1, b2 rounded to float32 for the powers)
    m = m + (g - m) * (1 - b1)
    v = v + (g^2 - v) * (1 - b2)
    w = w - m * alpha / (sqrt(v) + eps)
    """

    name = "adam"

    def __init__(
        self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7
    ) -> None:
        super().__init__(learning_rate)
        self.beta_1 = _check_unit("beta_1", beta_1)
        self.beta_2 = _check_unit("beta_2", beta_2)
        self.epsilon = _check_rate("epsilon", epsilon)

    def _state_keys(self):
        return ("m", "v")

    def _constants(self):
        t = self._dtype
        self._b1, self._b2 = self._dtype.type(_f32(self.beta_1)), self._dtype.type(_f32(self.beta_2))
        self._one_minus_b1, self._one_minus_b2 = const(1.0 - self.beta_1, t), const(1.0 - self.beta_2, t)
        self._eps = const(self.epsilon, t)

    def _update(self, w, g, lr):
        one = self._dtype.type(1)
        step = self._dtype.type(self.iterations + 1)
        lr = self._dtype.type(lr)
        alpha = np.asarray(lr * np.sqrt(one - np.power(self._b2, step)) / (one - np.power(self._b1, step)))
        m, v, a = self._state["m"], self._state["v"], self._tmp
        # v first, so that g can then serve as scratch (m and v do not depend on each other)
        np.multiply(g, g, out=a)
        a -= v
        a *= self._one_minus_b2
        v += a                                # v += (g^2 - v)(1 - b2)
        np.subtract(g, m, out=g)
        g *= self._one_minus_b1
        m += g                                # m += (g - m)(1 - b1)
        np.multiply(m, alpha, out=a)
        b = np.sqrt(v, out=g)
        b += self._eps
        a /= b
        w -= a                                # w -= m alpha / (sqrt(v) + eps)

    def get_config(self):
        """learning_rate, beta_1, beta_2, epsilon."""
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get(identifier: str | Optimizer) -> Optimizer:
    """Return an optimizer from a name (Keras defaults) or pass an instance through."""
    if isinstance(identifier, Optimizer):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"optimizer must be a name (str) or an Optimizer, got {type(identifier).__name__}")
    try:
        return OPTIMIZERS[identifier.lower()]()
    except KeyError:
        raise ValueError(f"Unknown optimizer {identifier!r}; valid names: {sorted(OPTIMIZERS)}") from None


def from_config(config: dict) -> Optimizer:
    """Rebuild an optimizer from :meth:`Optimizer.get_config`."""
    config = dict(config)
    name = config.pop("name")
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r} in config; valid names: {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[name](**config)
