"""The "Your networks" section: hand-written networks run with ``--frameworks file.py:factory``.

One row per network, case and mode: runs ok, the lockstep check against the Keras twin each run recorded
(``foreign_parity_*``: passed in every run or not, the largest drift, where it parted) and, for cases the
network is not the model of, the "unsupported" reason. No foreign run: no section. The check itself:
:mod:`scratchnet.bench.parity.check`.
"""
from __future__ import annotations

import pandas as pd

from scratchnet.bench.report.blocks import Block, para, section, table_block
from scratchnet.bench.report.formatting import DASH, NA, fmt_sci
from scratchnet.bench.report.tables import Results, case_order, finite_values, parse_flag

FOREIGN_HEADERS = ("Network", "Label", "Case", "Mode", "Runs ok", "Lockstep check vs Keras", "Max weight drift",
                   "Note")


def _verdict(runs: pd.DataFrame) -> str:
    flags = [parse_flag(v) for v in runs["foreign_parity_passed"]]
    known = [f for f in flags if f is not None]
    if not known:
        return NA
    if all(known):
        return f"pass ({len(known)}/{len(known)})"
    return f"FAIL ({known.count(False)} of {len(known)})"


def _note(runs: pd.DataFrame) -> str:
    """Where the lockstep check parted, else why the network was unsupported, else ""."""
    messages = runs.loc[runs["foreign_parity_message"] != "", "foreign_parity_message"]
    unsupported = runs.loc[runs["status"] == "unsupported", "message"]
    return messages.iloc[0] if len(messages) else f"unsupported: {unsupported.iloc[0]}" if len(unsupported) else ""


def foreign_blocks(res: Results) -> list[Block]:
    """Section builder: the foreign networks' table (empty when none was run)."""
    runs = res.runs[res.runs["foreign_target"] != ""]
    if runs.empty:
        return []
    unsupported = res.runs[(res.runs["status"] == "unsupported")
                           & res.runs["framework"].isin(set(runs["framework"]))]
    runs = pd.concat([runs, unsupported]).drop_duplicates(subset=["case", "framework", "mode", "seed"])
    targets = dict(zip(runs["framework"], runs["foreign_target"].astype(str)))
    rows = []
    for case in case_order(res):
        for (mode, label), grp in runs[runs["case"] == case].groupby(["mode", "framework"], sort=True):
            ok = grp[grp["status"] == "ok"]
            drift = finite_values(grp["foreign_parity_drift"])
            rows.append((targets.get(label, DASH), label, case, mode, f"{len(ok)}/{len(grp)}",
                         _verdict(grp) if len(ok) else DASH, fmt_sci(float(drift.max())) if drift.size else NA,
                         _note(grp)))
    if not rows:
        return []
    intro = para("Networks written by hand and run with --frameworks file.py:factory. Before training, each run "
                 "checks a fresh copy against its Keras twin step for step (the parity gate's rows, epochs and "
                 "tolerances; scratchnet-bench check gives the full diagnosis). Their MSE, convergence and time "
                 "appear beside the other frameworks in the tables above, under their label.")
    passed = sum(row[5].startswith("pass") for row in rows)
    answer = f"{passed} of {len(rows)} (network, case, mode) rows pass the lockstep check against Keras."
    return section("Your networks", answer, intro, table_block(FOREIGN_HEADERS, rows))
