"""Turn numbers into the report's cell text: ``NA`` ("n/a") for a non-finite value, never an exception;
times with a unit (µs, ms, s), ratios with "×", memory in B, KiB or MiB; 3 significant digits for timings.
"""
from __future__ import annotations

from typing import Any

import numpy as np


NA = "n/a"
DASH = "—"


def fmt_mse(x: float) -> str:
    return NA if not np.isfinite(x) else f"{x:.4g}"


def fmt_sci(x: float) -> str:
    return NA if not np.isfinite(x) else f"{x:.3g}"


def fmt_int(x: float) -> str:
    return NA if not np.isfinite(x) else str(int(round(x)))


def _three_digits(value: float) -> str:
    """Three significant digits at most (1174 -> "1170"): what the timing noise supports."""
    return f"{float(f'{value:.3g}'):.0f}" if abs(value) >= 100 else f"{value:.3g}"


def fmt_time(seconds: float) -> str:
    """Seconds with a sensible unit: µs below 1 ms, ms below 1 s, else s."""
    if not np.isfinite(seconds):
        return NA
    magnitude = abs(seconds)
    if magnitude == 0 or magnitude >= 1:
        return f"{_three_digits(seconds)} s"
    if magnitude >= 1e-3:
        return f"{_three_digits(seconds * 1e3)} ms"
    return f"{_three_digits(seconds * 1e6)} µs"


BELOW_NOISE = "≈0"


def fmt_cost(seconds: float) -> str:
    """A fitted cost-model part (per step, fixed per epoch): :func:`fmt_time`, or ``≈0`` where the fit
    came out negative -- the part is below the timing noise (tf-loop's XLA-compiled steps on a
    4-row net take nanoseconds), and a negative time would read as a measurement."""
    if np.isfinite(seconds) and seconds < 0:
        return BELOW_NOISE
    return fmt_time(seconds)


def fmt_mib(mib: float) -> str:
    """A MiB figure in B, KiB or MiB, whichever reads best."""
    if not np.isfinite(mib):
        return NA
    size = mib * 2**20
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if abs(size) >= scale:
            return f"{_three_digits(size / scale)} {unit}"
    return f"{size:.0f} B"


def fmt_ratio(x: float) -> str:
    """``x`` with "×"; ``≈0`` at or below zero: a ratio of fitted costs whose numerator is below the noise."""
    return NA if not np.isfinite(x) else BELOW_NOISE if x <= 0 else f"{_three_digits(x)}×"


def fmt_interval(lo: float, hi: float, fmt: Any) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return NA
    return f"[{fmt(lo)}, {fmt(hi)}]"


def mode_label(mode: str) -> str:
    return mode or DASH
