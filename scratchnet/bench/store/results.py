"""The results store: the only reader and writer of a results directory's tables.

Design: **one writer at a time, under an advisory lock; tasks claimed before they run.**

* *Lock.* ``DIR/.lock`` (``scratchnet.bench.store.lock.DirectoryLock``, ``fcntl.flock``) is held
  across every read-modify-write of the tables. A second process waits, after printing the
  holder's pid and host. The kernel frees the lock of a process that dies, however it dies;
  a lock file still naming a holder when it is acquired means that holder died while
  holding it, and the takeover is reported.
* *Atomic files.* Each table is rewritten whole into a temporary file that replaces the
  table with ``os.replace``: a reader sees the old file or the new one, never half a write.
  A finished run's epoch rows and run row are written in one locked step, epochs first, so
  a crash between the two leaves epoch rows without a run (found and re-run, below).
* *Claims.* Each process using a directory opens a ``Session``; before a task starts it is
  claimed under the lock (``DIR/.claims/``). A task another live process has claimed, or
  has recorded meanwhile, is not started again: the caller leaves it to that process and
  names it. A claim left by a killed process is stale (its session lock is gone) and is
  taken over. The Dask driver claims what it submits, workers never touch the directory.
* *Validation on every read* (``scratchnet.bench.store.validate``): header columns, field
  counts, types, required fields, ``status`` in ``schema.STATUSES``, key uniqueness, a cut
  last row. A damaged table is refused with file, line and reason -- never silently
  overwritten -- unless ``repair=True``: then it is renamed ``NAME.damaged-<UTC time>`` and
  its valid rows are written back. Across tables, a run whose epoch rows do not number
  ``epochs_run`` (or epoch rows without a run) is reported and not counted as done, so it
  runs again and its rows are replaced.

Tables are CSV (portable, diff-able, readable without pandas). Unknown extra columns are
kept; schema columns a table predates read as empty. Reads are cached per file identity
(inode, mtime, size), so a process re-reads a table only after someone else rewrote it.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pandas as pd

from scratchnet.bench.store import schema
from scratchnet.bench.store.lock import DirectoryLock, Session
from scratchnet.bench.store.validate import Checked, TableSpec, check_csv, valid_csv_text

_UMASK = os.umask(0)
os.umask(_UMASK)

DONE_STATUSES = ("ok", "diverged", "timeout", "unsupported")  # an "error" run is retried


class DamagedTable(ValueError):
    """A table failed validation; the message names file, line(s) and reason."""


def table_specs() -> dict[str, TableSpec]:
    """The tables of a results directory (read from ``schema`` now: others append columns)."""
    run_key = tuple(schema.RUN_KEY)
    return {
        "runs.csv": TableSpec(tuple(schema.RUN_COLUMNS), run_key, ("status",), check_status=True),
        "epochs.csv": TableSpec(tuple(schema.EPOCH_COLUMNS), (*run_key, "epoch")),
        "parity.csv": TableSpec(tuple(schema.PARITY_COLUMNS), ("case", "dtype")),
        "parity_epochs.csv": TableSpec(tuple(schema.PARITY_EPOCH_COLUMNS), ("case", "dtype", "epoch")),
        "cases.csv": TableSpec(tuple(schema.CASE_COLUMNS), ("case",)),
    }


# --------------------------------------------------------------------------- atomic files


def _named(exc: OSError, path: Path) -> OSError:
    """``exc`` naming ``path`` when it names no file (a full disk: ``write`` names none)."""
    if exc.filename is not None or exc.errno is None:
        return exc
    return type(exc)(exc.errno, exc.strerror, str(path))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``: ``path`` holds the old
    bytes or the new, never a part. An ``OSError`` (a full disk: ``write`` raises without a file name)
    is raised again naming ``path`` (:mod:`.write_errors` turns it into one line)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _named(exc, path) from exc
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file normal permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _named(exc, path) from exc
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


def _spec_for(path: Path, columns: Sequence[str], key: Sequence[str] | None = None) -> TableSpec:
    spec = table_specs().get(path.name)
    if spec is not None and tuple(spec.columns) == tuple(columns):
        return spec
    return TableSpec(tuple(columns), tuple(key) if key is not None else (), present=tuple(columns))


def _signature(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def quarantine(checked: Checked, columns: Sequence[str]) -> tuple[Path, pd.DataFrame]:
    """Move a damaged table aside as ``NAME.damaged-<UTC time>``; write its valid rows back."""
    path = checked.path
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    os.replace(path, aside)
    if checked.header:
        atomic_write_bytes(path, valid_csv_text(checked.header, checked.rows).encode())
        return aside, checked.frame(columns)
    return aside, pd.DataFrame(columns=list(columns))


def read_table(path: str | os.PathLike, columns: Sequence[str], *, key: Sequence[str] | None = None,
               repair: bool = False, notify: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Read and validate a CSV table (empty frame with ``columns`` if the file is absent or empty).

    A damaged file raises ``DamagedTable`` naming the file, line and reason; with
    ``repair`` it is quarantined instead and its valid rows returned. Callers that write
    must hold the directory lock (``ResultStore`` does).
    """
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame(columns=list(columns))
    spec = _spec_for(path, columns, key)
    checked = check_csv(path, spec)
    if checked.damaged:
        if not repair or checked.fatal and not checked.header:
            hint = "" if repair else (f"; run again with --repair to move it aside as {path.name}.damaged-<time> "
                                      f"and keep its {len(checked.rows)} valid row(s)")
            raise DamagedTable(checked.describe() + hint)
        if checked.fatal:
            raise DamagedTable(checked.describe() + "; nothing in it can be kept, move it aside by hand")
        aside, frame = quarantine(checked, columns)
        (notify or _stderr)(f"{checked.describe()}; moved it aside as {aside.name} and kept its "
                            f"{len(checked.rows)} valid row(s)")
        return frame
    return checked.frame(columns)


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _merge(old: pd.DataFrame, rows: Iterable[dict], columns: Sequence[str], key: Sequence[str]) -> pd.DataFrame:
    new = pd.DataFrame(list(rows))
    extra_new = [c for c in new.columns if c not in columns]
    extra_old = [c for c in old.columns if c not in columns]
    order = [*columns, *dict.fromkeys([*extra_old, *extra_new])]
    new = new.reindex(columns=order)
    if old.empty:
        return new
    keys = set(map(tuple, new[list(key)].astype(str).itertuples(index=False)))
    keep = [tuple(r) not in keys for r in old[list(key)].astype(str).itertuples(index=False)]
    old = old[keep].reindex(columns=order)
    return pd.concat([old, new], ignore_index=True) if len(old) else new


def upsert_rows(path: str | os.PathLike, rows: Iterable[dict], columns: Sequence[str],
                key: Sequence[str]) -> pd.DataFrame:
    """Merge ``rows`` into the table at ``path`` under its directory's lock (new rows replace
    old ones with the same ``key``)."""
    path = Path(path)
    with DirectoryLock(path.parent):
        rows = list(rows)
        old = read_table(path, columns, key=key)
        if not rows:
            return old
        merged = _merge(old, rows, columns, key)
        write_table(merged, path)
        return merged


# --------------------------------------------------------------------------- the store


class ResultStore:
    """A results directory: validated, cached reads; locked writes; task claims.

    ``repair``: quarantine damaged tables instead of refusing them. ``notify`` receives
    one-line messages meant for the user (default: stderr).
    """

    def __init__(self, directory: str | os.PathLike, *, repair: bool = False,
                 notify: Callable[[str], None] | None = None) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.repair = repair
        self.notify = notify or _stderr
        self.lock = DirectoryLock(self.directory, self.notify)
        self._cache: dict[str, tuple[tuple, pd.DataFrame]] = {}
        self._done_cache: tuple[tuple, set, dict] | None = None
        self._session: Session | None = None
        self._guard = threading.RLock()

    # ---------------------------------------------------------------- reading
    def read(self, name: str) -> pd.DataFrame:
        """The validated table ``name`` (e.g. ``"runs.csv"``); a copy is not made: do not mutate."""
        spec = table_specs()[name]
        path = self.directory / name
        with self._guard:
            sig = _signature(path)
            hit = self._cache.get(name)
            if sig is not None and hit is not None and hit[0] == sig:
                return hit[1]
            with self.lock if self.repair else _nolock():
                frame = read_table(path, spec.columns, key=spec.key, repair=self.repair, notify=self.notify)
            sig = _signature(path)
            if sig is not None:
                self._cache[name] = (sig, frame)
            return frame

    def check(self) -> list[str]:
        """Validate every table (refuse or repair) and report runs whose epoch rows disagree."""
        for name in table_specs():
            self.read(name)
        _, _, incomplete = self._done()
        return [f"{self.directory}/runs.csv: run {' '.join(map(str, k))}: {why}; it will run again"
                for k, why in sorted(incomplete.items())]

    def _done(self) -> tuple[set, set, dict]:
        """(done run keys, done parity keys, incomplete run key -> reason)."""
        with self._guard:
            sigs = tuple(_signature(self.directory / n) for n in ("runs.csv", "epochs.csv", "parity.csv"))
            if self._done_cache is not None and self._done_cache[0] == sigs:
                return self._done_cache[1]
            runs, epochs, parity = self.read("runs.csv"), self.read("epochs.csv"), self.read("parity.csv")
            key = list(schema.RUN_KEY)
            counts: dict[tuple, int] = {}
            if len(epochs):
                for k, n in epochs.groupby([epochs[c].astype(str) for c in key]).size().items():
                    counts[tuple(k)] = int(n)
            done, incomplete = set(), {}
            recorded = set()
            for row in runs[[*key, "status", "epochs_run"]].itertuples(index=False):
                k = tuple(str(v) for v in row[:len(key)])
                recorded.add(k)
                status, run_epochs = row[len(key)], row[len(key) + 1]
                want = int(run_epochs) if pd.notna(run_epochs) else 0
                have = counts.get(k, 0)
                if have != want:
                    incomplete[k] = f"{have} epoch row(s) recorded for epochs_run={want}"
                elif status in DONE_STATUSES:
                    done.add(k)
            for k, n in counts.items():
                if k not in recorded:
                    incomplete[k] = f"{n} epoch row(s) without a run row"
            par_done = {(str(c), str(d)) for c, d, m in zip(parity["case"], parity["dtype"], parity["message"])
                        if not str(m).startswith("parity check could not run")}
            result = (done, par_done, incomplete)
            self._done_cache = (sigs, result)
            return result

    def done_runs(self) -> set[tuple[str, ...]]:
        """Keys (as strings) of runs recorded as finished, with all their epoch rows."""
        return self._done()[0]

    def done_parity(self) -> set[tuple[str, str]]:
        return self._done()[1]

    # ---------------------------------------------------------------- writing
    def upsert(self, name: str, rows: Iterable[dict]) -> pd.DataFrame:
        """Merge ``rows`` into table ``name`` (same key: replaced), under the lock."""
        spec = table_specs()[name]
        rows = list(rows)
        with self._guard, self.lock:
            old = self.read(name)
            if not rows:
                return old
            merged = _merge(old, rows, spec.columns, spec.key)
            path = self.directory / name
            write_table(merged, path)
            self._cache[name] = (_signature(path), merged)
            return merged

    def replace(self, name: str, frame: pd.DataFrame) -> None:
        """Write table ``name`` whole (e.g. ``cases.csv``), under the lock."""
        with self._guard, self.lock:
            write_table(frame, self.directory / name)
            self._cache.pop(name, None)

    def record(self, tables: dict[str, list[dict]], task_id: str | None = None) -> None:
        """Record one finished task's rows in one locked step, detail rows first, and drop
        its claim. ``tables``: ``{"runs", "epochs"}`` or ``{"parity", "parity_epochs"}``."""
        with self._guard, self.lock:
            if "runs" in tables:
                self.upsert("epochs.csv", tables.get("epochs", []))
                self.upsert("runs.csv", tables["runs"])
            if "parity" in tables:
                self.upsert("parity_epochs.csv", tables.get("parity_epochs", []))
                self.upsert("parity.csv", tables["parity"])
            if task_id is not None and self._session is not None:
                self._session.release(task_id)

    # ---------------------------------------------------------------- claims
    def open_session(self) -> Session:
        with self._guard, self.lock:
            if self._session is None:
                self._session = Session(self.directory)
            return self._session

    def claim(self, task_id: str, done: Callable[[], bool]) -> str | None:
        """Claim ``task_id`` for this process. Returns None when claimed, else why not:
        recorded meanwhile (``done()`` is true) or the holder running it now."""
        session = self.open_session()
        with self._guard, self.lock:
            if done():
                return "recorded meanwhile by another process"
            holder = session.claim(task_id)
        return None if holder is None else f"running in {holder}"

    def close(self) -> None:
        """Drop this process' remaining claims and its session."""
        with self._guard:
            if self._session is not None:
                with self.lock:
                    self._session.close()
                self._session = None


class _nolock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None
