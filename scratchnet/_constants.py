"""Constants as read-only 0-d arrays, one per float dtype, for the training hot path.

A NumPy ufunc converts a Python or NumPy scalar operand on every call (about a microsecond,
more than the arithmetic on a small array); a 0-d array of the operand's own dtype is taken
as it is. The arithmetic is the same -- ``x + const(1.0, x.dtype)`` rounds exactly as
``x + 1.0`` for a float32 or float64 ``x`` -- so only the call overhead changes.
"""
from __future__ import annotations

import numpy as np

_CACHE: dict[tuple[float, np.dtype], np.ndarray] = {}


def const(value: float, dtype) -> np.ndarray:
    """A read-only 0-d array holding ``value`` in ``dtype`` (cached: cheap to call again)."""
    dtype = np.dtype(dtype)
    key = (value, dtype)
    arr = _CACHE.get(key)
    if arr is None:
        arr = np.array(value, dtype=dtype)
        arr.flags.writeable = False
        if len(_CACHE) < 4096:  # e.g. 2/n for many batch sizes: keep the cache bounded
            _CACHE[key] = arr
    return arr


# the constants of the activations, per dtype (a dict lookup is cheaper than const())
ONE = {np.dtype(t): const(1.0, t) for t in (np.float32, np.float64)}
ZERO = {np.dtype(t): const(0.0, t) for t in (np.float32, np.float64)}
