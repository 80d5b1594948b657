"""Weight initializers with Keras' names, formulas and defaults.

Contract: an initializer is called as ``init(shape, dtype, rng)`` and returns a new
array of that shape and dtype. ``rng`` is the model's ``numpy.random.Generator``;
an initializer constructed with its own ``seed`` uses ``default_rng(seed)`` instead,
so the same seed always gives the same values.

Fans follow Keras: for a kernel (fan_in, fan_out) = shape; for a vector of length n
both are n. The "normal" variance-scaling initializers draw from a normal truncated
at two standard deviations, with the stddev divided by 0.87962566103423978 (the
stddev of a unit normal truncated to [-2, 2]), as Keras does.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_TRUNC_STD = 0.87962566103423978


def _fans(shape: Sequence[int]) -> tuple[int, int]:
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    raise ValueError(f"initializers support 1-D and 2-D shapes, got {tuple(shape)}")


def _truncated_normal(rng: np.random.Generator, shape, mean: float, stddev: float) -> np.ndarray:
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():  # redraw values beyond two standard deviations
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return mean + stddev * out


class Initializer:
    """Base class. ``seed`` (int or Generator) overrides the model's generator."""

    name = "initializer"

    def __init__(self, seed: int | np.random.Generator | None = None) -> None:
        self.seed = seed

    def _rng(self, rng: np.random.Generator | None) -> np.random.Generator:
        if self.seed is not None:
            if isinstance(self.seed, np.random.Generator):
                return self.seed
            return np.random.default_rng(self.seed)
        return rng if rng is not None else np.random.default_rng()

    def __call__(self, shape, dtype="float32", rng: np.random.Generator | None = None) -> np.ndarray:
        return np.asarray(self._draw(tuple(shape), self._rng(rng)), dtype=dtype)

    def _draw(self, shape, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        """``{"name": ...}`` plus the parameters, enough to rebuild it (:func:`from_config`)."""
        seed = self.seed if isinstance(self.seed, int) else None
        return {"name": self.name, "seed": seed}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


class Zeros(Initializer):
    """w = 0."""
    name = "zeros"

    def _draw(self, shape, rng):
        return np.zeros(shape)


class Ones(Initializer):
    """w = 1."""
    name = "ones"

    def _draw(self, shape, rng):
        return np.ones(shape)


class RandomUniform(Initializer):
    """U[minval, maxval). Keras' defaults are (-0.05, 0.05); the tutorials use (0, 1)."""

    name = "random_uniform"

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None) -> None:
        super().__init__(seed)
        if not maxval > minval:
            raise ValueError(f"RandomUniform needs maxval > minval, got minval={minval}, maxval={maxval}")
        self.minval, self.maxval = float(minval), float(maxval)

    def _draw(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)

    def get_config(self) -> dict:
        """``{"name", "minval", "maxval"}``."""
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class RandomNormal(Initializer):
    """N(mean, stddev^2); Keras' defaults are mean 0, stddev 0.05."""

    name = "random_normal"

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None) -> None:
        super().__init__(seed)
        if not stddev > 0:
            raise ValueError(f"RandomNormal needs stddev > 0, got {stddev}")
        self.mean, self.stddev = float(mean), float(stddev)

    def _draw(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)

    def get_config(self) -> dict:
        """``{"name", "mean", "stddev"}``."""
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class _VarianceScaling(Initializer):
    scale = 1.0
    fan = "avg"  # "in" or "avg"
    uniform = True

    def _draw(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        n = fan_in if self.fan == "in" else (fan_in + fan_out) / 2.0
        var = self.scale / max(1.0, n)
        if self.uniform:
            limit = math.sqrt(3.0 * var)
            return rng.uniform(-limit, limit, shape)
        return _truncated_normal(rng, shape, 0.0, math.sqrt(var) / _TRUNC_STD)


class GlorotUniform(_VarianceScaling):
    """U(-l, l), l = sqrt(6 / (fan_in + fan_out)). Keras' default kernel initializer."""

    name = "glorot_uniform"


class GlorotNormal(_VarianceScaling):
    """Truncated normal, stddev = sqrt(2 / (fan_in + fan_out)) / 0.8796."""

    name = "glorot_normal"
    uniform = False


class HeUniform(_VarianceScaling):
    """U(-l, l), l = sqrt(6 / fan_in)."""

    name = "he_uniform"
    scale, fan = 2.0, "in"


class HeNormal(_VarianceScaling):
    """Truncated normal, stddev = sqrt(2 / fan_in) / 0.8796."""

    name = "he_normal"
    scale, fan, uniform = 2.0, "in", False


INITIALIZERS: dict[str, type[Initializer]] = {
    cls.name: cls
    for cls in (Zeros, Ones, RandomUniform, RandomNormal, GlorotUniform, GlorotNormal, HeUniform, HeNormal)
}


def get(identifier: str | Initializer) -> Initializer:
    """Return an initializer from a name (see :data:`INITIALIZERS`) or pass an instance through."""
    if isinstance(identifier, Initializer):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(
            f"initializer must be a name (str) or an Initializer, got {type(identifier).__name__}"
        )
    try:
        return INITIALIZERS[identifier]()
    except KeyError:
        raise ValueError(
            f"Unknown initializer {identifier!r}; valid names: {sorted(INITIALIZERS)}"
        ) from None


def from_config(config: dict) -> Initializer:
    """Rebuild an initializer from :meth:`Initializer.get_config`."""
    config = dict(config)
    name = config.pop("name")
    if name not in INITIALIZERS:
        raise ValueError(f"Unknown initializer {name!r} in config; valid names: {sorted(INITIALIZERS)}")
    return INITIALIZERS[name](**config)
