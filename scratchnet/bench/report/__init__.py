"""Render a recorded results directory into a human-readable report.

Contract
--------
``build_report(results_dir, out_dir=None) -> ReportPaths``

* Reads the tables described in :mod:`scratchnet.bench.store.schema` from
  ``results_dir``: ``runs.csv`` (required), ``epochs.csv``, ``parity.csv``,
  ``parity_epochs.csv``, ``cases.csv`` and ``environment.json`` (all optional,
  any of them may be partial: missing columns are treated as NaN / empty).
* Raises ``FileNotFoundError`` when ``runs.csv`` is absent and ``ValueError``
  when it holds no row; both messages name the directory and the file.
  Anything else (a framework never run, every run diverged, NaN everywhere, a
  single seed, a missing or malformed optional file) is rendered, never raised.
* Writes into ``out_dir`` (default: ``results_dir``): ``REPORT.md``
  (GitHub-flavoured markdown, pipe tables), ``report.html`` (one self-contained
  file: inline CSS, figures embedded as base64 PNG data URIs),
  ``figures/*.png`` and ``NOTES.md`` (the run's dates, commits, machine and checks). Every file is written atomically (temp file in the same
  directory, then ``os.replace``). PNGs in ``figures/`` that follow the
  package's naming scheme but were not produced by this call are removed, so
  the folder always matches the report.
* Every number in the report is computed from the tables; only the
  definitions are text. Only runs with ``status == "ok"`` enter medians,
  intervals, tests and curves; the others are counted and listed.

``headline(results_dir) -> str`` is the report's headline sentence and
``update_readme(readme, results_dir)`` copies it into the README.

Regenerating from unchanged tables gives byte-identical files: nothing reads the
clock (the time shown is the newest ``started_at`` of runs.csv), bootstraps are
seeded, PNGs carry no metadata, and no absolute path of the machine is printed.

Layout: ``tables`` (load, select), ``stats``, ``formatting``, ``blocks``
(document model), ``provenance``, ``plotting``, one module per section
(``header``, ``headline_text``, ``lead``, ``summary``, ``comparison``,
``parity_table``, ``claims``, ``figures``, ``missing``), ``content`` (the ordered
list of sections: the hook for a new one), ``render_markdown``, ``render_html``,
``writing`` and ``readme``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scratchnet.bench.report.blocks import detail_tables, images_in
from scratchnet.bench.report.content import compose
from scratchnet.bench.report.headline_text import headline
from scratchnet.bench.report.notes import notes_markdown
from scratchnet.bench.report.readme import update_readme
from scratchnet.bench.report.render_html import render_html
from scratchnet.bench.report.render_markdown import render_markdown
from scratchnet.bench.report.tables import load_results
from scratchnet.bench.report.writing import write_atomic, write_figures, write_tables

__all__ = ["ReportPaths", "build_report", "headline", "update_readme"]

TITLE = "scratchnet benchmark report"


@dataclass(frozen=True)
class ReportPaths:
    """Where :func:`build_report` wrote its output."""

    markdown: Path
    html: Path
    figures: list[Path] = field(default_factory=list)


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
    images = images_in(blocks)
    names = [image.name for image in images]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"report sections produced figures with the same name: {duplicates}")
    figures = write_figures(target / "figures", images)
    write_tables(target / "tables", detail_tables(blocks))
    markdown_path, html_path = target / "REPORT.md", target / "report.html"
    write_atomic(target / "NOTES.md", notes_markdown(res).encode("utf-8"))
    write_atomic(markdown_path, render_markdown(blocks).encode("utf-8"))
    write_atomic(html_path, render_html(blocks, TITLE).encode("utf-8"))
    return ReportPaths(markdown=markdown_path, html=html_path, figures=figures)
