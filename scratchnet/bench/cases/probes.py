"""Probe predictions: what a trained model says about inputs outside its training rows.

A case's ``probe_rows`` (``Case.probe_rows``; the first row is the one a tutorial's claim is
about) are predicted by the harness after every epoch. :func:`probe_columns` turns one
prediction array into the table values (``schema``: ``probe_prediction``, the first output of
the first row; ``probe_predictions``, every row as ``"1,0,0=0.9993;0,0,0=0.0012"``), and
:func:`parse_probes` reads that text back. A case without probe rows records NaN and "".
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from scratchnet.bench.cases.registry import Case


def probe_inputs(case: Case, dtype: str | None = None) -> np.ndarray | None:
    """The case's probe rows as a 2-D array in ``dtype`` (the case's by default); None if it has none."""
    if not case.probe_rows:
        return None
    return np.asarray(case.probe_rows, dtype=dtype or case.dtype)


def _num(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else repr(float(value))


def probe_columns(case: Case, predictions: np.ndarray | None) -> dict[str, float | str]:
    """``{"probe_prediction": ..., "probe_predictions": ...}`` for ``predictions`` of the probe rows."""
    if predictions is None or not case.probe_rows:
        return {"probe_prediction": math.nan, "probe_predictions": ""}
    first = np.asarray(predictions, dtype=np.float64).reshape(len(case.probe_rows), -1)[:, 0]
    text = ";".join(f"{','.join(_num(v) for v in row)}={float(p)!r}" for row, p in zip(case.probe_rows, first))
    return {"probe_prediction": float(first[0]), "probe_predictions": text}


def predict_probes(case: Case, predict: Callable[[np.ndarray], np.ndarray]) -> np.ndarray | None:
    """``predict`` applied to the case's probe rows (None when the case has none)."""
    X = probe_inputs(case)
    return None if X is None else np.asarray(predict(X))


def parse_probes(text: str) -> list[tuple[tuple[float, ...], float]]:
    """``"1,0,0=0.9;0,0,0=0.1"`` -> ``[((1.0, 0.0, 0.0), 0.9), ((0.0, 0.0, 0.0), 0.1)]``."""
    out = []
    if not isinstance(text, str) or not text.strip():
        return out
    for part in text.split(";"):
        inputs, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"malformed probe entry {part!r} in {text!r}: expected inputs=prediction")
        out.append((tuple(float(v) for v in inputs.split(",")), float(value)))
    return out
