"""Cases: what is trained, on what, and what was claimed about it.

Owns the case registry (:mod:`.registry`: :class:`Case`, ``CASES``, ``build_model``, re-exported
here), case files (:mod:`.casefile`), grid variants and ``--grid`` sweeps (:mod:`.grid`,
:mod:`.sweep`), tutorial claims (:mod:`.claims`), probe inputs (:mod:`.probes`), the fast
profile's selection (:mod:`.profiles`) and a case's dataset (:mod:`.data`). May import
:mod:`scratchnet.bench.datasets` and the library, nothing else of the suite.
"""
from __future__ import annotations

from .registry import (CASES, Case, PROBE_3, build_model, get_case, model_name, select_cases)

__all__ = ["CASES", "Case", "PROBE_3", "build_model", "get_case", "model_name", "select_cases"]
