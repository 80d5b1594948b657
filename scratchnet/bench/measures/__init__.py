"""Measures: how a recorded figure is computed, the same function for every framework.

The harness' losses and MSE (:mod:`.metrics`), the shared convergence targets (:mod:`.targets`),
the two-part cost model of an epoch (:mod:`.cost_model`), scratchnet's overhead against a
hand-written loop (:mod:`.overhead`, :mod:`.reference_loop`). Used by the runner, the framework
adapters and the report alike; may import :mod:`scratchnet.bench.cases`,
:mod:`scratchnet.bench.datasets`, :mod:`scratchnet.bench.store` and the library.
"""
