"""Render a recorded results directory into a human-readable report.

``build_report(results_dir, out_dir=None) -> ReportPaths`` reads the tables of
:mod:`scratchnet.bench.store.schema` (``runs.csv`` required: ``FileNotFoundError`` when absent,
``ValueError`` when it holds no row, both naming the directory and the file; every other table
optional and possibly partial -- rendered, never raised) and writes into ``out_dir`` (default
``results_dir``), each file atomically: ``REPORT.md`` (GitHub markdown), ``report.html`` (inline CSS,
the figures linked), ``figures/*.png``, ``tables/*.csv`` (the detail tables) and ``NOTES.md`` (the
run's dates, commits, machine and checks); stale PNG and CSV files in those two folders are removed.
Every number is computed from the tables; only ``status == "ok"`` runs enter medians, intervals, tests
and curves, the others are counted and listed. Unchanged tables give byte-identical files: nothing
reads the clock, bootstraps are seeded, PNGs carry no metadata, no absolute path is printed.

``headline(results_dir)`` is the report's headline (table and sentences); ``update_readme(readme,
results_dir)`` copies it into the README. Layout: ``tables`` (load, select), ``stats``,
``formatting``, ``blocks`` (document model), ``provenance``, ``plotting``, one module per section,
``content`` (the ordered list of sections: the hook for a new one), ``render_markdown``, ``render_html``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from scratchnet.bench.report.blocks import Image, Table, walk
from scratchnet.bench.report.content import compose
from scratchnet.bench.report.headline_text import headline, update_readme
from scratchnet.bench.report.notes import notes_markdown
from scratchnet.bench.report.render import render_html, render_markdown
from scratchnet.bench.report.tables import load_results
from scratchnet.bench.store.results import atomic_write_bytes as write_atomic

__all__ = ["ReportPaths", "build_report", "headline", "update_readme"]
TITLE = "scratchnet benchmark report"


@dataclass(frozen=True)
class ReportPaths:
    """Where :func:`build_report` wrote its output."""

    markdown: Path
    html: Path
    figures: list[Path] = field(default_factory=list)


def _write_folder(directory: Path, files: dict[str, bytes], pattern: str) -> list[Path]:
    """Write ``files`` (name -> bytes) into ``directory`` atomically and remove the other files matching
    ``pattern`` there: the folder belongs to the report, so it always matches it."""
    paths = []
    for name, data in files.items():
        write_atomic(directory / name, data)
        paths.append(directory / name)
    for stale in sorted(directory.glob(pattern)) if directory.is_dir() else []:
        if stale not in paths and stale.is_file():
            stale.unlink()
    return paths


def _unique(kind: str, names: list[str]) -> None:
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"report sections produced {kind} with the same name: {duplicates}")


def build_report(results_dir: str | Path = "results",
                 out_dir: str | Path | None = None) -> ReportPaths:
    """Render ``results_dir`` into REPORT.md, report.html and figures/*.png under ``out_dir``.

    ``out_dir`` defaults to ``results_dir``. Raises ``FileNotFoundError`` if
    ``runs.csv`` is missing and ``ValueError`` if it holds no row; renders any
    other partial result.
    """
    source = Path(results_dir)
    target = Path(out_dir) if out_dir is not None else source
    res = load_results(source)
    blocks = compose(res)
    images = [block for block in walk(blocks) if isinstance(block, Image)]
    tables = [block for block in walk(blocks) if isinstance(block, Table) and block.csv]
    _unique("figures", [image.name for image in images])
    _unique("detail tables", [table.csv for table in tables])
    figures = _write_folder(target / "figures", {image.name: image.png for image in images}, "*.png")
    csv = {t.csv: pd.DataFrame(list(t.rows), columns=list(t.headers)).to_csv(index=False).encode() for t in tables}
    _write_folder(target / "tables", csv, "*.csv")
    markdown_path, html_path = target / "REPORT.md", target / "report.html"
    write_atomic(target / "NOTES.md", notes_markdown(res).encode("utf-8"))
    write_atomic(markdown_path, render_markdown(blocks).encode("utf-8"))
    write_atomic(html_path, render_html(blocks, TITLE).encode("utf-8"))
    return ReportPaths(markdown=markdown_path, html=html_path, figures=figures)
