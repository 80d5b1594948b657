"""The grid section: a metric against each grid parameter, one line per framework.

``grid_blocks(res)`` (a section builder) finds the runs of grid variants (``grid_<key>``
columns, ``base_case``; see ``scratchnet.bench.cases.sweep``) and, for every base case and
every varied key, draws the median test MSE over the ok seeds against the key's values,
one line per framework (and per combination of the other keys' values, when the grid
varies several). A table gives the plotted numbers. No grid runs: no section.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scratchnet.bench.report.blocks import Block, Collapsed, Image, para, section, table_block
from scratchnet.bench.report.formatting import fmt_mse
from scratchnet.bench.report.plotting import framework_color, png
from scratchnet.bench.report.tables import Results, ok_runs, run_frameworks

MIN_POINTS = 3  # a grid figure needs at least this many settings of its key (fewer: the table alone)
PREFIX = "grid_"
METRIC = "test_mse"
STYLES = ("-", "--", ":", "-.")


def _keys(runs: pd.DataFrame) -> list[str]:
    return sorted(c[len(PREFIX):] for c in runs.columns if c.startswith(PREFIX))


def _value_order(values: list[str]) -> tuple[list[str], bool]:
    """Distinct values, numerically sorted when they are all numbers; (values, numeric)."""
    distinct = sorted(set(values))
    try:
        return sorted(distinct, key=float), True
    except ValueError:
        return distinct, False


def _grid_runs(res: Results) -> pd.DataFrame:
    runs = ok_runs(res.runs)
    columns = [f"{PREFIX}{k}" for k in _keys(runs)]  # grid_<key>: columns beyond the schema, text ("" unset)
    runs = runs.assign(**{c: runs[c].fillna("").astype(str) for c in columns})
    return runs[runs[columns].ne("").any(axis=1)] if columns else pd.DataFrame()


def _figure(sub: pd.DataFrame, base: str, key: str, others: list[str], fws: list[str]) -> tuple[bytes, list]:
    col = f"{PREFIX}{key}"
    values, numeric = _value_order(list(sub[col]))
    xs = [float(v) for v in values] if numeric else list(range(len(values)))
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    rows = []
    groups = sub.groupby([sub[f"{PREFIX}{o}"] for o in others]) if others else [((), sub)]
    for gi, (other_vals, g) in enumerate(groups):
        other_vals = other_vals if isinstance(other_vals, tuple) else (other_vals,)
        fixed = ",".join(f"{o}={v}" for o, v in zip(others, other_vals))
        for fw in fws:
            medians = [g.loc[(g["framework"] == fw) & (g[col] == v), METRIC].median() for v in values]
            counts = [int(((g["framework"] == fw) & (g[col] == v)).sum()) for v in values]
            if not np.isfinite(np.asarray(medians, dtype=float)).any():
                continue
            label = fw + (f" ({fixed})" if fixed else "")
            ax.plot(xs, medians, marker="o", color=framework_color(fw, fws), linestyle=STYLES[gi % len(STYLES)],
                    label=label)
            rows.extend((base, fixed or "–", fw, f"{key}={v}", str(n), fmt_mse(m))
                        for v, n, m in zip(values, counts, medians))
    if numeric and min(xs) > 0 and max(xs) / min(xs) >= 10:
        ax.set_xscale("log")
    ax.set_xticks(xs, values)  # the grid's own values, as written in the variant names
    ax.minorticks_off()
    finite = sub[METRIC][np.isfinite(sub[METRIC])]
    if len(finite) and finite.min() > 0 and finite.max() / finite.min() > 10:
        ax.set_yscale("log")
    ax.set(title=f"{base}: median test MSE against {key}", xlabel=key, ylabel="test MSE (median over seeds)")
    ax.title.set_fontsize(10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return png(fig), rows


def grid_blocks(res: Results) -> list[Block]:
    runs = _grid_runs(res)
    if runs.empty:
        return []
    keys = _keys(runs)
    fws = [fw for fw in run_frameworks(res) if fw in set(runs["framework"])]
    variants = sorted(set(runs["case"]))
    answer = (f"{len(variants)} variants of {runs['base_case'].nunique()} cases vary {', '.join(keys)}: "
              f"test MSE per setting in the table, a figure where a setting has three values or more.")
    blocks: list[Block] = [*section("Grids", answer), para(
        "Runs of grid variants (run --grid KEY=V1,V2): median test MSE over the ok seeds against each "
        "varied setting, one line per framework; other varied settings are held fixed per line style.")]
    rows: list[tuple] = []
    figures: list[Image] = []
    for base in sorted(set(runs["base_case"].astype(str))):
        sub = runs[runs["base_case"].astype(str) == base]
        varied = [k for k in keys if sub[f"{PREFIX}{k}"].ne("").any()]
        for key in varied:
            png, table_rows = _figure(sub, base, key, [k for k in varied if k != key], fws)
            slug = re.sub(r"[^a-z0-9]+", "-", f"{base}-{key}".lower()).strip("-")
            if sub[f"{PREFIX}{key}"].replace("", np.nan).nunique() >= MIN_POINTS:  # a line, not a dot or two
                figures.append(Image(f"grid_{slug}.png", f"{base}: test MSE against {key}", png))
            if key == varied[0]:
                rows.extend(table_rows)
    table = table_block(("Base case", "Other settings", "Framework", "Setting", "ok runs", "Median test MSE"), rows,
                        csv="grid.csv")
    blocks.extend(figures[:1])  # the first figure shown; the others behind one line
    if len(figures) > 1:
        blocks.append(Collapsed(f"The other {len(figures) - 1} grid figures", tuple(figures[1:])))
    blocks.append(table)
    return blocks
