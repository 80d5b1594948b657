"""Parity: does a network compute Keras' training maths?

:mod:`.gate` (re-exported here: ``check_parity``, ``ParityReport``, the tolerances), the Keras twin
of a scratchnet model (:mod:`.keras_twin`), ``scratchnet-bench check`` (:mod:`.check`) and the
foreign-network protocol (:mod:`.foreign`). May import :mod:`scratchnet.bench.store` (the schema)
and the library, nothing else of the suite.
"""
from __future__ import annotations

from .gate import (DEFAULT_TOLERANCES, ParityReport, check_parity, copy_model, parity_table,
    relative_difference)

__all__ = ["DEFAULT_TOLERANCES", "ParityReport", "check_parity", "copy_model", "parity_table",
           "relative_difference"]
