"""The tutorial-claims section, generated from the declarations in :mod:`scratchnet.bench.cases.claims`.

``claims_blocks(res)`` opens with the verdict table (:func:`verdict_table`): one row per claim -- post,
claim, scratchnet's measured median (seeds' range, n), a mark and one short "why". Marks (rule:
``claims.VERDICT_RULE``): ✓ within the claim's tolerance of the median; ~ the claimed value only inside
the seeds' range; ✗ not reproduced; — not measured. The parity-checked Keras twins (the same numbers by
construction) are not repeated, frameworks without a value are left out, another framework is named only
where its mark differs; the why clause gives the rule's reason and what the sensitivity variants showed.

Folded behind it: the verdict rule and the full table (per framework the median [95% CI], the seeds'
range and the verdict); per post, what it leaves open and what the suite chose; each probe claim's
median predictions on the inputs absent from training; the sensitivity table and figure
``claims_sensitivity.png`` (each claim's quantity per epoch for its case and the grid variants the
registry adds for it, the claimed value dashed). Claims that only ``cases.csv`` records
(``claim_test_mse``, e.g. a user's case file) are rendered too (:func:`recorded_claims`). Only ok runs
count; the section is empty when no claim case was run.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scratchnet.bench.cases import claims as cl
from scratchnet.bench.cases.grid import parse_name, variant_name
from scratchnet.bench.cases.probes import parse_probes
from scratchnet.bench.report.blocks import (Block, Bullets, Collapsed, Heading, Image, Table, kv, para, section,
                                            table_block)
from scratchnet.bench.report.formatting import DASH
from scratchnet.bench.report.plotting import framework_color, png
from scratchnet.bench.report.stats import median_ci
from scratchnet.bench.report.tables import (PARITY_TWINS, Results, epoch_table, ok_runs, run_frameworks, select,
                                            timing_only)

FIGURE_NAME = "claims_sensitivity.png"
GRID_COLUMNS = 4
LEGACY_REL_TOL = 0.05  # tolerance of a claim that only cases.csv records
MARKS = {"within": "✓", "range": "~", cl.NOT_REPRODUCED: "✗", cl.NOT_MEASURED: "—"}


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
        twin = m.mode == "parity" and m.framework in PARITY_TWINS
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


def _cell(claim: cl.Claim, m: cl.Measurement | None, why: str = "") -> str:
    if m is None or not m.values:
        if m is not None and why:
            return why
        return "not run" if m is None else f"no ok run ({m.runs} recorded): {cl.NOT_MEASURED}"
    vals = np.asarray(m.values, dtype=float)
    lo, hi = median_ci(vals)
    ci = f" [{num(claim, lo)}, {num(claim, hi)}]" if math.isfinite(lo) else ""
    return (f"{num(claim, m.median)}{ci}; range {num(claim, vals.min())}–{num(claim, vals.max())}, "
            f"n={vals.size}/{m.runs} {m.mode} → {m.verdict} ({m.reason})")


def _claimed_cell(claim: cl.Claim, claimed: float) -> str:
    if claim.claimed is not None:
        return f"{claim.claimed:.10g} ({claim.tolerance_label})"
    return (f"{num(claim, claimed)} = median of {claim.reference_case} ({claim.reference_framework}) "
            f"({claim.tolerance_label})")


def _summary(res: Results, fws: list[str], claims: Sequence[cl.Claim]) -> list[Block]:
    headers = ("Claim", "Case", "Quantity", "Claimed (tolerance)", *[f"{fw}: median [95% CI]; range → verdict"
                                                                       for fw in fws])
    rows = []
    for claim in claims:
        ms = cl.evaluate(res.runs, res.epochs, claim, fws)
        claimed = cl.claimed_value(res.runs, res.epochs, claim)
        for case in claim.cases:
            cells = [_cell(claim, next((m for m in ms if m.case == case and m.framework == fw), None),
                           unmeasured(res, case, fw))
                     for fw in fws]
            rows.append((claim.key, case, claim.quantity_label, _claimed_cell(claim, claimed), *cells))
    return [table_block(headers, rows)]


def _open_settings(claims: Sequence[cl.Claim]) -> list[Block]:
    blocks: list[Block] = []
    for post in dict.fromkeys(c.post for c in claims):
        mine = [c for c in claims if c.post == post]
        blocks += [Heading(3, f"Post: {post}"),
                   Bullets(tuple(kv(c.key, f"{c.section}: {c.text} (case {', '.join(c.cases)})") for c in mine))]
        settings = [(c.key, s.setting, s.chosen, s.why) for c in mine for s in c.open_settings]
        if settings:
            blocks.append(table_block(("Claim", "Left open by the post", "The suite chose", "Why"), settings))
    return blocks


def _probe_blocks(res: Results, fws: list[str], claims: Sequence[cl.Claim]) -> list[Block]:
    raw = res.runs[(res.runs["status"] == "ok") & (res.runs["probe_predictions"] != "")]
    cases = [c for claim in claims if claim.quantity == "probe_prediction" for c in claim.cases]
    rows, inputs = [], []
    for case in cases:
        for fw in fws:
            parsed = [p for t in select(raw, case=case, framework=fw)["probe_predictions"] if (p := parse_probes(t))]
            if not parsed:
                continue
            inputs = inputs or [x for x, _ in parsed[0]]
            med = np.median(np.array([[v for _, v in p] for p in parsed]), axis=0)
            rows.append((case, fw, str(len(parsed)), *[f"{v:.4f}" for v in med]))
    if not rows:
        return []
    head = [f"[{','.join(f'{v:g}' for v in x)}] (y={x[0]:g})" for x in inputs]
    return [
        Heading(3, "Predictions on the inputs absent from training"),
        para("Median over ok runs of each claim case's prediction on every probe input (the target is the "
             "first feature). The claims are about the first column; the others show whether the network "
             "learned the rule or only fits the claim's sample."),
        table_block(("Case", "Framework", "Runs", *head), rows),
    ]


def _curve(res: Results, claim: cl.Claim, case: str, fw: str) -> pd.DataFrame:
    """epoch x seed table of the claim's quantity over the ok runs of (case, fw), parity first."""
    tables = (epoch_table(res, case, fw, mode, claim.quantity) for mode in ("parity", "native"))
    return next((t for t in tables if not t.empty), pd.DataFrame())


def _sensitivity(res: Results, claims: Sequence[cl.Claim]) -> list[Block]:
    panels, rows = [], []
    for claim in claims:
        claimed = cl.claimed_value(res.runs, res.epochs, claim)
        lines = []  # (case name, label, framework, colour index, style index)
        multi = len(claim.cases) > 1
        ran = variants(res, claim)
        for ci, case in enumerate(claim.cases):
            short = case.rsplit("-", 1)[-1] if multi else "as registered"
            lines.append((case, short, "scratchnet", ci, 0))
            for vi, (name, label) in enumerate(((n, lab) for c, n, lab in ran if c == case), start=1):
                lines.append((name, f"{short}, {label}" if multi else label, "scratchnet",
                              ci if multi else vi, vi if multi else 0))
                _, values, n = cl.measure(res.runs, res.epochs, claim, name, "scratchnet")
                rows.append((claim.key, case, label, num(claim, cl._median(values)), f"{len(values)}/{n}",
                             "; ".join(cl.judge(claim, claimed, values))))
        if claim.reference_case:
            lines.append((claim.reference_case, f"{claim.reference_case} ({claim.reference_framework})",
                          claim.reference_framework, len(lines), 1))
        curves = [(label, fw, ci, si, _curve(res, claim, name, fw)) for name, label, fw, ci, si in lines]
        curves = [c for c in curves if not c[-1].empty]
        if curves:
            panels.append((claim, claimed, curves))
    if not panels:
        return []
    blocks: list[Block] = [
        Heading(3, "Sensitivity to what the posts leave open"),
        para("Each claim's quantity per epoch (scratchnet, median over ok seeds, band: min–max) for the case as "
             "registered and for its grid variants (one open setting changed, same seeds); the dashed line is "
             "the claimed value, the dotted one the claim's epoch. The table gives each variant's verdict under "
             "the same rule."),
    ]
    if rows:
        blocks.append(table_block(("Claim", "Case", "Variant", "Median (scratchnet)", "Runs ok", "Verdict"), rows,
                                  csv="claims_sensitivity.csv"))
    blocks.append(Image(FIGURE_NAME, "Claims against the settings the posts leave open", _figure(panels)))
    return blocks


def _figure(panels) -> bytes:
    cols = min(GRID_COLUMNS, len(panels))
    nrows = math.ceil(len(panels) / cols)
    fig = Figure(figsize=(3.2 * cols, 2.6 * nrows))
    palette = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000")
    styles = ("-", "--", ":", "-.")
    for i, (claim, claimed, curves) in enumerate(panels):
        ax = fig.add_subplot(nrows, cols, i + 1)
        for label, fw, ci, si, table in curves:
            color = framework_color(fw) if fw != "scratchnet" else palette[ci % len(palette)]
            x = table.index.to_numpy(dtype=float)
            ax.plot(x, table.median(axis=1), color=color, ls=styles[si % len(styles)], lw=1.2, label=label)
            if table.shape[1] > 1 and si == 0:
                ax.fill_between(x, table.min(axis=1), table.max(axis=1), color=color, alpha=0.12, lw=0)
        if math.isfinite(claimed):
            ax.axhline(claimed, color="black", ls="--", lw=0.8)
        if claim.epoch is not None:
            ax.axvline(claim.epoch, color="black", ls=":", lw=0.8)
        if claim.quantity == "test_mse":
            ax.set_yscale("log")
        ax.set_title(claim.key, fontsize=8)
        ax.set_xlabel("epoch", fontsize=7)
        ax.set_ylabel("prediction on [1,0,0]" if claim.quantity == "probe_prediction" else "test MSE", fontsize=7)
        ax.tick_params(which="both", labelsize=6)
        ax.legend(fontsize=5, loc="best")
    fig.tight_layout()
    return png(fig)


def recorded_claims(res: Results) -> list[cl.Claim]:
    """Claims of ``cases.csv`` rows not covered by a declaration (e.g. a user's case file).

    A row with a numeric ``claim_test_mse`` becomes a test-MSE claim at ``claim_epochs`` (the last
    epoch when empty) with a 5% relative tolerance, its post being the case's ``source``.
    """
    declared = {c for claim in cl.CLAIMS for c in claim.cases}
    out = []
    for _, row in res.cases.iterrows():
        claimed, epoch = row.get("claim_test_mse"), row.get("claim_epochs")
        if row["case"] in declared or not (isinstance(claimed, float) and math.isfinite(claimed)):
            continue
        out.append(cl.Claim(
            key=f"{row['case']} (cases.csv)", post=str(row.get("source") or "unknown post"),
            section=str(row.get("description") or row["case"]), text=str(row.get("claim") or ""),
            cases=(row["case"],), quantity="test_mse", claimed=claimed,
            epoch=int(epoch) if isinstance(epoch, float) and math.isfinite(epoch) else None,
            tolerance=LEGACY_REL_TOL, relative=True))
    return out


def claims_blocks(res: Results, claims: Sequence[cl.Claim] | None = None) -> list[Block]:
    """The tutorial-claims section for ``claims``.

    Default: every declared claim (``claims.CLAIMS``) plus :func:`recorded_claims`. Returns []
    when none of their cases was run.
    """
    claims = (*cl.CLAIMS, *recorded_claims(res)) if claims is None else tuple(claims)
    wanted = {c for claim in claims for c in (*claim.cases, claim.reference_case) if c}
    if not wanted & set(res.runs["case"]):
        return []
    fws = run_frameworks(res)
    details = (para(cl.VERDICT_RULE), *_summary(res, fws, claims), *_open_settings(claims),
               *_probe_blocks(res, fws, claims), *_sensitivity(res, claims))
    table = verdict_table(res, claims)
    within, in_range, missed, unmeasured = (sum(row[3] == m for row in table.rows) for m in MARKS.values())
    answer = (f"Of {len(table.rows)} claims, {within} reproduced, {in_range} within the seeds' range only, "
              f"{missed} not reproduced, {unmeasured} not measured.")
    return section(
        "Tutorial claims", answer,
        para("✓ within the tolerance of the seeds' median; ~ inside the seeds' range only; ✗ not reproduced; "
             "— not measured; variants: the same seeds, one setting the post leaves open changed."),
        table,
        Collapsed("Details: every framework with CIs, the verdict rule, what the posts leave open, predictions "
                  "on unseen inputs, sensitivity figure", details))
