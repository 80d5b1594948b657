"""Figures of the report, drawn from the tables.

``make_figures(res) -> list[Image]``: one test-loss-per-epoch figure per case
(median line and min-max band over ok seeds, per framework and mode), seconds
per epoch of every group, and the parity weight drift per epoch. A figure with
nothing finite to draw is left out. Figures are drawn on
``matplotlib.figure.Figure`` objects (Agg canvas, never registered with
pyplot), so no global figure state is created or leaked.
"""
from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..schema import RUN_KEY
from .blocks import Block, Heading, Image, para
from .formatting import DASH, mode_label
from .tables import (
    Results, case_order, finite_values, frameworks_of, groups, modes_of, ok_runs, select,
)


DPI = 100


FRAMEWORK_COLORS = {"scratchnet": "tab:blue", "keras": "tab:orange"}


MODE_STYLES = {"native": "-", "parity": "--"}


FIGURE_PATTERNS = ("loss_*.png", "seconds_per_epoch.png", "parity_drift.png")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "case"


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    fig.clear()
    return buffer.getvalue()


def _curve_table(res: Results, case: str, fw: str, mode: str) -> pd.DataFrame:
    """epoch x seed table of test loss over the ok runs of one group."""
    ok = ok_runs(select(res.runs, case=case, framework=fw, mode=mode))[list(RUN_KEY)]
    rows = res.epochs.merge(ok, on=list(RUN_KEY), how="inner")
    rows = rows[np.isfinite(rows["epoch"])]
    if rows.empty:
        return pd.DataFrame()
    return rows.pivot_table(index="epoch", columns="seed", values="test_loss", aggfunc="median",
                            dropna=False).sort_index()


def _use_log(values: np.ndarray) -> bool:
    values = values[np.isfinite(values)]
    return bool(values.size and values.min() > 0 and values.max() / values.min() > 10)


def _loss_figure(res: Results, case: str) -> bytes | None:
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    drawn: list[np.ndarray] = []
    for mode in modes_of(res, case):
        for fw in frameworks_of(res):
            curves = _curve_table(res, case, fw, mode)
            if curves.empty or not np.isfinite(curves.to_numpy(dtype=float)).any():
                continue
            med, lo, hi = curves.median(axis=1), curves.min(axis=1), curves.max(axis=1)
            color = FRAMEWORK_COLORS.get(fw, "tab:gray")
            ax.plot(med.index, med.to_numpy(), color=color, linestyle=MODE_STYLES.get(mode, ":"),
                    label=f"{fw} ({mode_label(mode)}, n={curves.shape[1]})")
            ax.fill_between(med.index, lo.to_numpy(), hi.to_numpy(), color=color, alpha=0.15)
            drawn.append(np.concatenate([lo.to_numpy(), hi.to_numpy()]))
    if not drawn:
        return None
    if _use_log(np.concatenate(drawn)):
        ax.set_yscale("log")
    ax.set(title=f"{case}: test loss per epoch (median, min–max band over seeds)",
           xlabel="epoch", ylabel="test loss")
    ax.title.set_fontsize(10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def _speed_points(res: Results) -> list[tuple[str, str, np.ndarray]]:
    points = []
    for case, mode, fw, runs in groups(res):
        values = finite_values(ok_runs(runs)["seconds_per_epoch"])
        values = values[values > 0]
        if values.size:
            points.append((f"{case} · {fw} · {mode_label(mode)}", fw, values))
    return points


def _speed_figure(res: Results) -> bytes | None:
    points = _speed_points(res)
    if not points:
        return None
    fig = Figure(figsize=(6.4, min(1.2 + 0.35 * len(points), 12)))
    ax = fig.add_subplot()
    for y, (_, fw, values) in enumerate(points):
        color = FRAMEWORK_COLORS.get(fw, "tab:gray")
        ax.hlines(y, values.min(), values.max(), color=color, linewidth=2, alpha=0.5)
        ax.plot(np.median(values), y, "o", color=color)
    ax.set_xscale("log")
    ax.set_yticks(range(len(points)), [label for label, _, _ in points], fontsize=8)
    ax.invert_yaxis()
    ax.set(title="Seconds per epoch (median dot, min–max line over ok seeds)",
           xlabel="seconds per epoch (log scale)")
    ax.title.set_fontsize(10)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    return _png(fig)


def _parity_figure(res: Results) -> bytes | None:
    table = res.parity_epochs
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    drawn = False
    for (case, dtype), rows in table.groupby(["case", "dtype"], sort=False):
        rows = rows.sort_values("epoch")
        y = rows["max_abs_weight_diff"].to_numpy(dtype=float)
        keep = np.isfinite(y) & (y > 0) & np.isfinite(rows["epoch"].to_numpy(dtype=float))
        if keep.any():
            ax.plot(rows["epoch"].to_numpy()[keep], y[keep], marker=".",
                    label=f"{case} ({dtype or DASH})")
            drawn = True
    if not drawn:
        return None
    ax.set_yscale("log")
    ax.set(title="Parity: max |weight difference| per epoch", xlabel="epoch",
           ylabel="max abs weight diff (log scale)")
    ax.title.set_fontsize(10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def make_figures(res: Results) -> list[Image]:
    images: list[Image] = []
    used: set[str] = set()
    for case in case_order(res):
        png = _loss_figure(res, case)
        if png is None:
            continue
        slug, n = _slug(case), 2
        while slug in used:
            slug, n = f"{_slug(case)}-{n}", n + 1
        used.add(slug)
        images.append(Image(f"loss_{slug}.png", f"{case}: test loss per epoch", png))
    speed = _speed_figure(res)
    if speed is not None:
        images.append(Image("seconds_per_epoch.png", "Seconds per epoch", speed))
    drift = _parity_figure(res)
    if drift is not None:
        images.append(Image("parity_drift.png", "Parity weight drift per epoch", drift))
    return images


def figure_blocks(res: Results) -> list[Block]:
    """The Figures section (a section builder): every figure of ``make_figures``."""
    images = make_figures(res)
    if not images:
        return [Heading(2, "Figures"), para("No figure: no finite value to draw.")]
    return [Heading(2, "Figures"), *images]
