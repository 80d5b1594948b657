"""Write the report's files atomically and keep ``figures/`` in step with it.

``write_atomic(path, data)`` goes through ``store.atomic_write_bytes`` (temp file
in the same directory, then ``os.replace``). ``write_figures(directory, images)``
writes every image and removes the other PNGs of ``directory`` (the folder belongs
to the report), so it always matches the report; ``write_tables`` does the same for the
detail tables' CSV files in ``tables/``.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from scratchnet.bench.store.results import atomic_write_bytes
from scratchnet.bench.report.blocks import Image, Table


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` through a temp file next to ``path`` and a rename (see ``store``)."""
    atomic_write_bytes(path, data)


def write_figures(directory: Path, images: list[Image]) -> list[Path]:
    """Write every image to ``directory``; remove the PNGs there that no image produced."""
    paths = []
    for image in images:
        path = directory / image.name
        write_atomic(path, image.png)
        paths.append(path)
    keep = {p.name for p in paths}
    if directory.is_dir():
        for stale in sorted(directory.glob("*.png")):
            if stale.name not in keep and stale.is_file():
                stale.unlink()
    return paths


def write_tables(directory: Path, tables: list[Table]) -> list[Path]:
    """Write every detail table as ``directory/<csv>`` (its headers, its text cells); remove the other
    CSVs of ``directory`` (the folder belongs to the report, like ``figures/``)."""
    names = [t.csv for t in tables]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"report sections produced detail tables with the same name: {duplicates}")
    paths = []
    for table in tables:
        path = directory / table.csv
        write_atomic(path, pd.DataFrame(list(table.rows), columns=list(table.headers)).to_csv(index=False).encode())
        paths.append(path)
    if directory.is_dir():
        for stale in sorted(directory.glob("*.csv")):
            if stale not in paths and stale.is_file():
                stale.unlink()
    return paths
