"""The claims verdict table: one row per tutorial claim, readable at a glance.

``verdict_table(res, claims) -> Table``, columns: post, what was claimed, what scratchnet
measured (median and the seeds' range, compact), a verdict mark and one short "why" clause.

* Marks (the rule is :data:`scratchnet.bench.cases.claims.VERDICT_RULE`): ✓ reproduced within the
  claim's tolerance of the median; ~ reproduced only because the claimed value lies inside the
  seeds' range; ✗ not reproduced; — not measured.
* The measured value is scratchnet's (the post's own network). Frameworks whose values cannot
  differ from it -- the parity-checked Keras twins in parity mode -- are not repeated; frameworks
  with no value (unsupported, timing only) are left out. Another framework is named in the why
  clause only where its mark differs from scratchnet's.
* The why clause gives the rule's reason and what the claim's sensitivity variants (one open
  setting changed, same seeds) showed: the variants whose mark differs, with their value, or
  that all of them agree.

Every figure comes from the recorded tables through :mod:`scratchnet.bench.cases.claims`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from scratchnet.bench.cases import claims as cl
from scratchnet.bench.cases.grid import parse_name, variant_name
from scratchnet.bench.report.blocks import Table, table_block
from scratchnet.bench.report.tables import Results, ok_runs, run_frameworks, select, timing_only

MARKS = {"within": "✓", "range": "~", cl.NOT_REPRODUCED: "✗", cl.NOT_MEASURED: "—"}
TWINS_IN_PARITY = ("keras", "tf-loop", "keras-default")  # the same maths in the same order as scratchnet
DASH = "—"


def mark(verdict: str, reason: str) -> str:
    """The verdict mark of one judgement (module docstring)."""
    if verdict == cl.REPRODUCED:
        return MARKS["within"] if reason.startswith("within") else MARKS["range"]
    return MARKS.get(verdict, MARKS[cl.NOT_MEASURED])


def _num(claim: cl.Claim, x: float) -> str:
    if not math.isfinite(x):
        return DASH
    return f"{x:.5f}" if claim.quantity == "probe_prediction" else f"{x:.4g}"


def _measured(claim: cl.Claim, m: cl.Measurement) -> str:
    vals = np.asarray(m.values, dtype=float)
    if not vals.size:
        return DASH
    return f"{_num(claim, m.median)} ({_num(claim, vals.min())}–{_num(claim, vals.max())}, n={vals.size})"


def _short_reason(reason: str) -> str:
    return {"inside the seeds' range only (the median is beyond the tolerance)":
            "claimed value inside the seeds' range, median beyond the tolerance"}.get(reason, reason)


def _variant_clause(res: Results, claim: cl.Claim, claimed: float, base_mark: str) -> str:
    """What the claim's sensitivity variants showed (scratchnet), or "" when none ran."""
    names = set(res.runs["case"])
    differ, agree = [], 0
    for case in claim.cases:
        for params in cl.sensitivity_params(claim):
            base, settings = parse_name(variant_name(case, params))
            name = variant_name(base, settings)
            if name not in names:
                continue
            _, values, _ = cl.measure(res.runs, res.epochs, claim, name, "scratchnet")
            verdict, reason = cl.judge(claim, claimed, values)
            m = mark(verdict, reason)
            label = ", ".join(f"{k}={v}" for k, v in settings.items())
            if len(claim.cases) > 1:
                label = f"{case.rsplit('-', 1)[-1]} with {label}"
            else:
                label = f"with {label}"
            if m == base_mark:
                agree += 1
            else:
                differ.append(f"{m} {_num(claim, cl._median(values))} {label}")
    if differ:
        return "; ".join(differ)
    return f"the same under its {agree} variant{'s' * (agree != 1)}" if agree else ""


def _timing_only(res: Results, m: cl.Measurement) -> bool:
    """Whether ``m``'s runs stopped before the case's epochs on purpose (no value to judge)."""
    runs = ok_runs(select(res.runs, case=m.case, framework=m.framework, mode=m.mode))
    return timing_only(runs)


def _row(res: Results, claim: cl.Claim, fws: list[str]) -> tuple[str, ...]:
    ms = cl.evaluate(res.runs, res.epochs, claim, fws)
    claimed = cl.claimed_value(res.runs, res.epochs, claim)
    mine = [m for m in ms if m.framework == "scratchnet"]
    verdict, winners = cl.overall(ms)
    deciding = next((m for m in mine if m.case in winners), mine[0] if mine else None)
    base_mark = mark(verdict, deciding.reason if deciding else "")
    if len(claim.cases) > 1:
        measured = "; ".join(f"{m.case.rsplit('-', 1)[-1]} {_measured(claim, m)}" for m in mine) or "not run"
    else:
        measured = _measured(claim, mine[0]) if mine else "not run"
    why = [_short_reason(deciding.reason) if deciding else "no scratchnet run"]
    if winners and len(claim.cases) > 1:
        why.insert(0, f"by {', '.join(w.rsplit('-', 1)[-1] for w in winners)}")
    variants = _variant_clause(res, claim, claimed, base_mark)
    if variants:
        why.append(f"variants: {variants}")
    for m in ms:
        twin = m.mode == "parity" and m.framework in TWINS_IN_PARITY
        if m.framework == "scratchnet" or twin or not m.values or _timing_only(res, m):
            continue
        other = mark(m.verdict, m.reason)
        if other != mark(*next(((s.verdict, s.reason) for s in mine if s.case == m.case), ("", ""))):
            why.append(f"{m.framework} {other} {_num(claim, m.median)}")
    text = claim.text.split(" (")[0]
    if claim.claimed is None:  # "the same as" a reference model: its measured median is the claim
        text += f" [{_num(claim, claimed)}: {claim.reference_case}, {claim.reference_framework}]"
    return (claim.post.split(" (")[0], text, measured, base_mark, "; ".join(why))


def verdict_table(res: Results, claims: Sequence[cl.Claim]) -> Table:
    """One row per claim (module docstring)."""
    fws = run_frameworks(res)
    headers = ("Post", "Claim", "Measured: scratchnet median (seeds' range, n)", "Verdict", "Why")
    return table_block(headers, [_row(res, claim, fws) for claim in claims], anchor="claims-table")
