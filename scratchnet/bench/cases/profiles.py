"""The suite's profiles: which cases, seeds and epochs a run of ``fast`` or ``full`` makes.

* ``fast`` -- the quick start (``bash scripts/bench.sh``): a few minutes on 2 cores. Every
  framework once on each of: a tutorial case of one step an epoch (``perceptron``), a tutorial
  claim checked on an unseen input (``neuron3-sgd-linear``), the California tutorial with its
  claims and 6,700 steps an epoch (``california-2-3-1``: the real-data case) and the big MLP
  (``mlp-784-512-512-10``, which scikit-learn can express too); 2 seeds, each case's
  ``quick_epochs``; a lighter cost model (``measures.cost_model.PROFILE_EFFORT``); asv re-times nothing (its ``track_``
  figures read the runs, the cost model's per-step and fixed costs included) and probes memory on
  three cases.
* ``full`` -- every registered case, 5 seeds, full epochs, every asv benchmark.

The reference report (``results/``) is the reference run's (``scripts/reference_run.sh``), not a
profile's. ``benchmarks/common.py`` and the quick-start driver both read this module, so asv and
the driver ask for exactly the same runs (asv then finds them recorded and measures nothing twice).
"""
from __future__ import annotations

PROFILES = ("fast", "full")
FAST_CASES = ("perceptron", "neuron3-sgd-linear", "california-2-3-1", "mlp-784-512-512-10")
FAST_TIME_CASES = ()  # asv time_ benchmarks in the fast profile: none (its runs timed every epoch, and asv's
                      # track_ figures read them: the quick start measures nothing twice)
FAST_MEMORY_CASES = ("perceptron", "california-2-3-1", "mlp-784-512-512-10")  # fresh-process memory probes
SEEDS = {"fast": 2, "full": 5}


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"SCRATCHNET_BENCH_PROFILE must be 'fast' or 'full', got {profile!r}")
    return profile


def profile_cases(profile: str) -> list[str]:
    """The registered cases a profile runs, in registry order."""
    from scratchnet.bench.cases.registry import CASES

    check_profile(profile)
    return [name for name in CASES if profile == "full" or name in FAST_CASES]
