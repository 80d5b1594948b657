"""Memory: each framework charged only for itself, measured in a fresh process per figure.

asv's ``peakmem_`` figure is the peak RSS of a benchmark process forked from the forkserver,
which has imported the whole suite (TensorFlow included), so it would charge scratchnet for
TensorFlow. These ``track_`` figures come instead from :func:`scratchnet.bench.running.memory.probe`:
one fresh Python process per (case, framework) that imports only that framework (numpy and
scratchnet; TensorFlow for Keras), reads the training rows from a file and fits one epoch,
with the peak-RSS mark reset just before ``fit`` (``/proc/self/clear_refs``) and ``VmHWM``
read after it. Figures in MiB; definitions in :mod:`scratchnet.bench.running.memory`.
"""
import os

from scratchnet.bench.cases.profiles import FAST_MEMORY_CASES

from .common import PROFILE, _CaseBenchmark, cases_with

FRAMEWORKS = ["scratchnet", "keras"]


def memory_cases() -> list[str]:
    """The profile's cases whose memory is probed: a subset in "fast", every case in "full"."""
    every = [name for tag in ("tutorial", "real", "throughput") for name in cases_with(tag)]
    every = list(dict.fromkeys(every))
    return every if PROFILE == "full" else [name for name in every if name in FAST_MEMORY_CASES]


class Memory(_CaseBenchmark):
    params = (memory_cases(), FRAMEWORKS)

    def setup_cache(self):
        """Every probe, two at a time: each is its own process, and a process's peak RSS
        (VmHWM) counts its own pages only, so a neighbour does not change the figures."""
        from concurrent.futures import ThreadPoolExecutor
        from dataclasses import asdict

        from scratchnet.bench.running.memory import probe

        pairs = [(case, fw) for case in self.params[0] for fw in self.params[1]]
        with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            return dict(zip(pairs, pool.map(lambda pair: asdict(probe(*pair)), pairs)))

    def track_peak_rss(self, probes, case, framework):
        """The fresh process's peak RSS during fit: interpreter, framework runtime, data and fit."""
        return probes[(case, framework)]["peak_rss_mb"]

    track_peak_rss.unit = "MiB"

    def track_fit_growth(self, probes, case, framework):
        """Peak RSS during fit minus the RSS just before it (what the runner's peak_memory_mb means)."""
        return probes[(case, framework)]["fit_growth_mb"]

    track_fit_growth.unit = "MiB"

    def track_tracemalloc_peak(self, probes, case, framework):
        """scratchnet only (NaN, shown as n/a, for Keras: tracemalloc sees NumPy's buffers, not
        TensorFlow's): the traced heap peak from model build through one epoch."""
        return probes[(case, framework)]["tracemalloc_peak_mb"]

    track_tracemalloc_peak.unit = "MiB"

    def track_memory_floor(self, probes, case, framework):
        """Weights + optimizer state + weight gradients + one batch of activations and their gradients."""
        return probes[(case, framework)]["memory_floor_mb"]

    track_memory_floor.unit = "MiB"
