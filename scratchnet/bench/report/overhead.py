"""The "scratchnet's overhead" section: per case, the framework tax (scratchnet's epoch over a bare
NumPy loop of the same maths, measured interleaved: ``scratchnet.bench.measures.overhead``) and the GEMM
share (the epoch's matrix products alone over scratchnet's epoch); cases without them are listed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from scratchnet.bench.report.blocks import Block, para, section, table_block
from scratchnet.bench.report.formatting import NA, fmt_int, fmt_ratio, fmt_time
from scratchnet.bench.report.tables import REFERENCE_FRAMEWORK, Results, case_order, ok_runs, select

_DEFINITION = (
    "Framework tax: scratchnet's epoch time divided by the epoch time of a minimal hand-written "
    "NumPy loop of the same maths (scratchnet/bench/reference_loop.py: no validation, no buffers, "
    "no callbacks), both timed in the same process, interleaved, best of several rounds, on capped "
    "steps. Below 1× scratchnet is faster than the naive loop. GEMM share: the epoch's matrix "
    "products alone (same shapes and dtype) divided by scratchnet's epoch time; 100% would mean "
    "everything around the matrix products is free.")


def _share(x: float) -> str:
    return NA if x != x else f"{100 * x:.0f}%"


def overhead_rows(res: Results) -> tuple[list[tuple[str, ...]], list[str]]:
    """(table rows, cases with scratchnet runs but no overhead figure)."""
    runs = ok_runs(select(res.runs, framework=REFERENCE_FRAMEWORK))
    tax = runs.groupby("case")["framework_tax"]
    stats = pd.DataFrame({"n": tax.count(), "tax": tax.median(), "lo": tax.min(), "hi": tax.max(),
                          **runs.groupby("case")[["tax_seconds_per_epoch", "reference_seconds_per_epoch",
                                                  "gemm_share"]].median()})
    stats = stats.reindex([case for case in case_order(res) if case in stats.index])
    rows = [(case, fmt_int(r.n), fmt_time(r.tax_seconds_per_epoch), fmt_time(r.reference_seconds_per_epoch),
             fmt_ratio(r.tax), f"{fmt_ratio(r.lo)}–{fmt_ratio(r.hi)}", _share(r.gemm_share))
            for case, r in stats[stats["n"] > 0].iterrows()]
    return rows, list(stats.index[stats["n"] == 0])


def overhead_blocks(res: Results) -> list[Block]:
    rows, missing = overhead_rows(res)
    taxes = ok_runs(select(res.runs, framework=REFERENCE_FRAMEWORK)).groupby("case")["framework_tax"].median()
    taxes = taxes.dropna().to_numpy()
    answer = (f"{REFERENCE_FRAMEWORK}'s epoch takes {fmt_ratio(float(np.median(taxes)))} the time of a bare NumPy "
              f"loop of the same maths (median of {taxes.size} cases; {fmt_ratio(taxes.min())} to "
              f"{fmt_ratio(taxes.max())})." if taxes.size else
              f"Not measured: no {REFERENCE_FRAMEWORK} run recorded the framework tax.")
    blocks = section("scratchnet's overhead: framework tax and GEMM share", answer)
    if rows:
        headers = ("Case", "Runs", "scratchnet per epoch", "Reference loop per epoch",
                   "Framework tax (median)", "Range", "GEMM share")
        blocks.append(table_block(headers, rows))
    else:
        blocks.append(para("Not measured: no scratchnet run in these tables recorded the framework tax."))
    if missing:
        blocks.append(para("No framework tax recorded for: " + ", ".join(missing) + "."))
    blocks.append(para(_DEFINITION))
    return blocks
