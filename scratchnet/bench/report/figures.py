"""The Figures section: test loss per epoch as small multiples, ``CASES_PER_FIGURE`` cases a figure.

Each case has a test-loss panel (median over ok seeds per framework and mode, min-max band; log scale
when the loss spans more than a decade) above its parity drift (max |weight difference| between
scratchnet and its Keras twin per epoch of the parity check, ``parity_epochs.csv``, on its own epoch
axis). A figure with nothing finite to draw is left out; colours and PNG encoding: :mod:`.plotting`.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter

from scratchnet.bench.report.blocks import Block, Collapsed, Image, para, section
from scratchnet.bench.report.formatting import fmt_sci, mode_label
from scratchnet.bench.report.headline_text import AGREE_TOL, agreeing_cases
from scratchnet.bench.report.plotting import MODE_STYLES, framework_color, png
from scratchnet.bench.report.tables import (REFERENCE_FRAMEWORK, Results, case_order, epoch_table, modes_of,
                                            run_frameworks, select)

CASES_PER_FIGURE = 6
GRID_COLUMNS = 3


def _use_log(values: np.ndarray) -> bool:
    values = values[np.isfinite(values)]
    return bool(values.size and values.min() > 0 and values.max() / values.min() > 10)


def _quiet_ticks(ax) -> None:
    """Small tick labels, none on minor ticks (log axes otherwise label them large)."""
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.tick_params(which="both", labelsize=7)


def _draw_loss(ax, res: Results, case: str, fws: list[str]) -> set[tuple[str, str]]:
    """Test-loss curves of one case on ``ax``; returns the (framework, mode) pairs drawn."""
    drawn: list[np.ndarray] = []
    pairs: set[tuple[str, str]] = set()
    for mode in modes_of(res, case):
        for fw in fws:
            curves = epoch_table(res, case, fw, mode, "test_loss")
            if curves.empty:
                continue
            med, lo, hi = curves.median(axis=1), curves.min(axis=1), curves.max(axis=1)
            color = framework_color(fw, fws)
            # the reference underneath and wider, so identical parity curves stay visible
            wide = fw == fws[0]
            ax.plot(med.index, med.to_numpy(), color=color, linewidth=3.0 if wide else 1.3,
                    linestyle=MODE_STYLES.get(mode, ":"), zorder=2 if wide else 3)
            ax.fill_between(med.index, lo.to_numpy(), hi.to_numpy(), color=color, alpha=0.15,
                            linewidth=0)
            drawn.append(np.concatenate([lo.to_numpy(), hi.to_numpy()]))
            pairs.add((fw, mode))
    if drawn and _use_log(np.concatenate(drawn)):
        ax.set_yscale("log")
    ax.set_title(case, fontsize=9)
    ax.set_xlabel("epoch", fontsize=7, labelpad=1)
    ax.set_ylabel("test loss (case loss)", fontsize=8)
    _quiet_ticks(ax)
    ax.grid(True, alpha=0.3)
    if not drawn:
        ax.text(0.5, 0.5, "no ok run with epoch rows", ha="center", va="center",
                transform=ax.transAxes, fontsize=8)
    return pairs


def _draw_drift(ax, res: Results, case: str) -> bool:
    """Parity drift of one case on ``ax``; returns whether a line was drawn."""
    rows = select(res.parity_epochs, case=case).sort_values("epoch")
    x = rows["epoch"].to_numpy(dtype=float)
    y = rows["max_abs_weight_diff"].to_numpy(dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (y > 0)
    if keep.any():
        ax.plot(x[keep], y[keep], color="#444444", marker=".", markersize=3, linewidth=1)
        ax.set_yscale("log")
    else:
        ax.text(0.5, 0.5, "no parity drift recorded" if rows.empty else "drift 0 every epoch",
                ha="center", va="center", transform=ax.transAxes, fontsize=7)
        ax.set_yticks([])
    ax.set_xlabel("parity-check epoch", fontsize=7)
    epochs = x[np.isfinite(x)]
    if epochs.size:  # whole epochs, the checked ones, whatever drift was positive
        ax.set_xlim(epochs.min() - 0.2, epochs.max() + 0.2)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("parity drift\n(max |Δw|)", fontsize=7)
    _quiet_ticks(ax)
    ax.grid(True, which="both", alpha=0.3)
    return bool(keep.any())


def _loss_grid(res: Results, cases: list[str], fws: list[str]) -> bytes | None:
    rows = -(-len(cases) // GRID_COLUMNS)
    cols = min(GRID_COLUMNS, len(cases))
    fig = Figure(figsize=(4.2 * cols, 3.8 * rows))
    outer = fig.add_gridspec(rows, cols, hspace=0.45, wspace=0.32)
    pairs: set[tuple[str, str]] = set()
    drift = False
    for i, case in enumerate(cases):
        r, c = divmod(i, GRID_COLUMNS)
        inner = outer[r, c].subgridspec(2, 1, height_ratios=[3, 1], hspace=0.3)
        loss_ax = fig.add_subplot(inner[0])
        drift_ax = fig.add_subplot(inner[1])  # the parity check's own (shorter) epoch axis
        pairs |= _draw_loss(loss_ax, res, case, fws)
        drift |= _draw_drift(drift_ax, res, case)
    if not (pairs or drift):
        fig.clear()
        return None
    handles = []
    for fw in fws:
        for mode in ("parity", "native", ""):
            if (fw, mode) in pairs:
                (line,) = fig.axes[0].plot([], [], color=framework_color(fw, fws),
                                           linestyle=MODE_STYLES.get(mode, ":"),
                                           label=f"{fw} ({mode_label(mode)})")
                handles.append(line)
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4), fontsize=8,
                   bbox_to_anchor=(0.5, 1.0), frameon=False)
    fig.subplots_adjust(top=0.93 if rows == 1 else 0.96)
    return png(fig)


def make_figures(res: Results) -> list[Image]:
    images: list[Image] = []
    fws = run_frameworks(res)
    cases = [c for c in case_order(res) if len(select(res.runs, case=c))]
    for k, start in enumerate(range(0, len(cases), CASES_PER_FIGURE), 1):
        chunk = cases[start:start + CASES_PER_FIGURE]
        data = _loss_grid(res, chunk, fws)
        if data is not None:
            caption = (f"Test loss per epoch (median, min–max band over ok seeds; solid: parity "
                       f"mode, dashed: native) with parity drift below: {', '.join(chunk)}")
            images.append(Image(f"loss_curves_{k}.png", caption, data))
    return images


def figure_blocks(res: Results) -> list[Block]:
    """The Figures section (a section builder): the first loss-curve figure shown, the others behind
    one line, so the section stays about one screen tall."""
    images = make_figures(res)
    counts = [agreeing_cases(res, fw) for fw in run_frameworks(res) if fw != REFERENCE_FRAMEWORK]
    agree, compared = sum(a for a, _ in counts), sum(c for _, c in counts)
    answer = (f"In parity mode the curves lie on scratchnet's: every seed's epoch-1 test MSE within "
              f"{fmt_sci(AGREE_TOL)} of it in {agree} of {compared} (case, framework) pairs." if compared else
              "Test loss per epoch of each case; no contender's parity-mode epochs to set beside scratchnet's.")
    if not images:
        return section("Figures", answer, para("No figure: no finite value to draw."))
    blocks: list[Block] = [*section("Figures", answer), images[0]]
    if len(images) > 1:
        more = len(images) - 1
        blocks.append(Collapsed(f"Loss curves of the other cases ({more} more figure{'s' * (more != 1)}, "
                                f"{CASES_PER_FIGURE} cases each)", tuple(images[1:])))
    return blocks
