"""The Memory section: one row per case, mode and framework -- the median peak during fit with its
method, scratchnet's traced peak, the case's analytic floor and both ratios to it. ``MEMORY_DEFINITION``
is the Definitions line; the measurements: :mod:`scratchnet.bench.running.memory`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from scratchnet.bench.report.blocks import Block, para, section, table_block
from scratchnet.bench.report.formatting import NA, fmt_mib, fmt_ratio
from scratchnet.bench.report.tables import Results, finite_values, groups, median_of, ok_runs, run_frameworks, select

MEMORY_DEFINITION = (
    "peak during fit = growth of the process's peak resident set (RSS) during the framework's "
    "fit call over its RSS just before it (method vmhwm: the kernel's high-water mark VmHWM, reset "
    "through the process's clear_refs file in Linux's proc filesystem when fit starts, so every page counts however briefly; "
    "rss-sampler-5ms where that is unavailable); it includes everything the framework allocates "
    "in fit (its data copies, activations, gradients, temporaries, optimizer state created lazily, "
    "Keras' graph tracing) and excludes the interpreter, imported libraries, the dataset and the "
    "weights built before fit; RSS counts whole pages (4 KiB), so a fit that needs only a few KiB of "
    "new memory shows one page. Traced (scratchnet only) = tracemalloc peak of the NumPy/Python heap "
    "from model build through one epoch (weights, gradients, optimizer state, activations, "
    "temporaries), measured in a separate untimed pass. Floor = weights + optimizer state + "
    "weight gradients + one batch of activations (input and every layer's output) and of their "
    "gradients, from the architecture, dtype and batch size. Memory vs floor = peak during fit / floor."
)
MEMORY_HEADERS = ("Case", "Mode", "Framework", "Peak during fit", "Method", "Traced (NumPy)", "Floor",
                  "Memory vs floor", "Traced vs floor")


def _median(ok: pd.DataFrame, column: str) -> float:
    return median_of(finite_values(ok[column]))


def _ratio(a: float, b: float) -> str:
    return fmt_ratio(a / b) if np.isfinite(a) and np.isfinite(b) and b > 0 else NA


def _row(case: str, mode: str, fw: str, runs: pd.DataFrame) -> tuple[str, ...]:
    ok = ok_runs(runs)
    peak, traced, floor = (_median(ok, c) for c in ("peak_memory_mb", "tracemalloc_peak_mb", "memory_floor_mb"))
    return (case, mode, fw, fmt_mib(peak), ", ".join(sorted(set(ok["memory_method"]) - {""})) or NA,
            fmt_mib(traced), fmt_mib(floor),
            _ratio(peak, floor), _ratio(traced, floor))


def memory_blocks(res: Results) -> list[Block]:
    """Section builder: the memory table (empty when no run is recorded)."""
    rows = [_row(case, mode, fw, runs) for case, mode, fw, runs in groups(res) if len(runs)]
    if not rows:
        return []
    note = para("Medians over the seeds whose run finished ok; every figure is defined under "
                "Definitions (Memory).")
    ok = ok_runs(res.runs)
    peaks = ", ".join(f"{fw} {fmt_mib(v)}" for fw in run_frameworks(res)
                      if np.isfinite(v := _median(select(ok, framework=fw), "peak_memory_mb")))
    answer = f"Median peak memory during fit: {peaks}." if peaks else "No run recorded its peak memory."
    return section("Memory", answer, note, table_block(MEMORY_HEADERS, rows, csv="memory.csv"))
