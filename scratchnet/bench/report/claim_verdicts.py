"""The claims verdict table: one row per tutorial claim -- post, claim, scratchnet's measured median
(seeds' range, n), a mark and one short "why".

Marks (rule: :data:`scratchnet.bench.cases.claims.VERDICT_RULE`): ✓ within the claim's tolerance of
the median; ~ the claimed value only inside the seeds' range; ✗ not reproduced; — not measured. The
parity-checked Keras twins (the same numbers by construction) are not repeated, frameworks without a
value are left out, and another framework is named only where its mark differs from scratchnet's. The
why clause gives the rule's reason and what the sensitivity variants showed. Helpers shared with
:mod:`.claims`: ``num``, ``variants``, ``unmeasured``.
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


def num(claim: cl.Claim, x: float) -> str:
    """A value of the claim's quantity: a probe prediction with 5 decimals, a test MSE with 4 significant digits."""
    if not math.isfinite(x):
        return DASH
    return f"{x:.5f}" if claim.quantity == "probe_prediction" else f"{x:.4g}"


def variants(res: Results, claim: cl.Claim) -> list[tuple[str, str, str]]:
    """(case, variant name, its settings "key=value, ...") for the claim's sensitivity variants that were run."""
    names, out = set(res.runs["case"]), []
    for case in claim.cases:
        for params in cl.sensitivity_params(claim):
            base, settings = parse_name(variant_name(case, params))
            if variant_name(base, settings) in names:
                out.append((case, variant_name(base, settings), ", ".join(f"{k}={v}" for k, v in settings.items())))
    return out


def unmeasured(res: Results, case: str, fw: str) -> str:
    """Why ``fw``'s recorded runs of ``case`` measure no claim: "unsupported", "timing only (...)", or ""."""
    runs = select(res.runs, case=case, framework=fw)
    if len(runs) and (runs["status"] == "unsupported").all():
        return "unsupported"
    if len(runs) and (runs["epoch_cap"] < runs["epochs"]).all():
        return f"timing only (epochs capped at {int(runs['epoch_cap'].min())})"
    return ""


def _measured(claim: cl.Claim, m: cl.Measurement) -> str:
    vals = np.asarray(m.values, dtype=float)
    if not vals.size:
        return DASH
    return f"{num(claim, m.median)} ({num(claim, vals.min())}–{num(claim, vals.max())}, n={vals.size})"


def _short_reason(reason: str) -> str:
    return {"inside the seeds' range only (the median is beyond the tolerance)":
            "claimed value inside the seeds' range, median beyond the tolerance"}.get(reason, reason)


def _variant_clause(res: Results, claim: cl.Claim, claimed: float, base_mark: str) -> str:
    """What the claim's sensitivity variants showed (scratchnet), or "" when none ran."""
    differ, agree = [], 0
    for case, name, settings in variants(res, claim):
        _, values, _ = cl.measure(res.runs, res.epochs, claim, name, "scratchnet")
        m = mark(*cl.judge(claim, claimed, values))
        label = f"{case.rsplit('-', 1)[-1]} with {settings}" if len(claim.cases) > 1 else f"with {settings}"
        if m == base_mark:
            agree += 1
        else:
            differ.append(f"{m} {num(claim, cl._median(values))} {label}")
    if differ:
        return "; ".join(differ)
    return f"the same under its {agree} variant{'s' * (agree != 1)}" if agree else ""


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
        if m.framework == "scratchnet" or twin or not m.values or timing_only(
                ok_runs(select(res.runs, case=m.case, framework=m.framework, mode=m.mode))):
            continue
        other = mark(m.verdict, m.reason)
        if other != mark(*next(((s.verdict, s.reason) for s in mine if s.case == m.case), ("", ""))):
            why.append(f"{m.framework} {other} {num(claim, m.median)}")
    text = claim.text.split(" (")[0]
    if claim.claimed is None:  # "the same as" a reference model: its measured median is the claim
        text += f" [{num(claim, claimed)}: {claim.reference_case}, {claim.reference_framework}]"
    return (claim.post.split(" (")[0], text, measured, base_mark, "; ".join(why))


def verdict_table(res: Results, claims: Sequence[cl.Claim]) -> Table:
    """One row per claim (module docstring)."""
    fws = run_frameworks(res)
    headers = ("Post", "Claim", "Measured: scratchnet median (seeds' range, n)", "Verdict", "Why")
    return table_block(headers, [_row(res, claim, fws) for claim in claims], anchor="claims-table")
