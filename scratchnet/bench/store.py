"""Reading and writing the result tables, atomically.

Every write goes to a temporary file in the target directory and is moved into place with
``os.replace``, so an interrupted run never leaves a half-written table: a reader sees the
old file or the new one. Tables are CSV (portable, diff-able, readable without pandas).
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file normal permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` as CSV atomically."""
    return atomic_write_bytes(path, frame.to_csv(index=False).encode())


def write_json(obj: dict, path: str | os.PathLike) -> Path:
    """Write ``obj`` as indented JSON atomically."""
    return atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode())


def read_table(path: str | os.PathLike, columns: Sequence[str]) -> pd.DataFrame:
    """Read a CSV table (empty frame with ``columns`` if the file is absent).

    Raises ValueError naming the file when it exists but lacks one of ``columns``.
    """
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame(columns=list(columns))
    frame = pd.read_csv(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} is missing columns {missing}; it was not written by this version of scratchnet")
    return frame


def upsert_rows(path: str | os.PathLike, rows: Iterable[dict], columns: Sequence[str],
                key: Sequence[str]) -> pd.DataFrame:
    """Merge ``rows`` into the table at ``path`` (new rows replace old ones with the same ``key``)."""
    new = pd.DataFrame(list(rows), columns=list(columns))
    if new.empty:
        return read_table(path, columns)
    old = read_table(path, columns)
    if not old.empty:
        keys = set(map(tuple, new[list(key)].astype(str).itertuples(index=False)))
        keep = [tuple(r) not in keys for r in old[list(key)].astype(str).itertuples(index=False)]
        old = old[keep]
        new = pd.concat([old[list(columns)], new], ignore_index=True) if len(old) else new
    write_table(new, path)
    return new
