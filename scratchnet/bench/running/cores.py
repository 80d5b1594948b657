"""One core per worker: the suite's parallel workers pin themselves to a core no other worker holds.

Why: the suite's parallel runs (``--jobs N``) limit every framework to one thread, so that each
gets "one core to itself". Thread limits alone do not give that. TensorFlow keeps background
threads (``tf.data``'s pipeline, its executors) that Keras' ``fit`` uses on top of its own, so an
unpinned Keras worker borrows time from the core its neighbour trains on, and the neighbour's
epochs slow down by whatever Keras does at that moment. Measured on the 2-core reference machine
(``nobias-2-3-1``, keras, 300 epochs, beside another worker): unpinned, the epochs varied from
23 to 65 ms (10th to 90th percentile) and the cost-model epochs timed a second later had a median
40 % above the run's; pinned, 52 to 62 ms, and the two medians 4 % apart. Pinned, a framework's
background threads share its own core: what it does beside its training thread is paid in its
own epochs, not in its neighbour's.

How: :func:`claim_core` takes a non-blocking exclusive ``flock`` on ``cpu-<k>.lock`` in
``lock_dir`` (machine-wide by default: two suites on one machine share the cores too) for the
first core ``k`` of the process's allowed set that no live process holds, pins every thread of
the process to it with ``os.sched_setaffinity`` (threads started later inherit it) and keeps the
lock for the process's life (the kernel releases it when the process ends, however it ends; a lock
file this process may not open, e.g. another user's, counts as held). A process that holds a core keeps it; when every core is
held the process runs unpinned, and says so (``None``). :func:`affinity_label` is the CPU set a
run ran on, recorded in its row (``threads``: ``cpus=1`` pinned, ``cpus=0-1`` not).

Platforms without ``sched_setaffinity`` or ``fcntl`` (macOS, Windows) run unpinned.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

LOCK_DIR_VARIABLE = "SCRATCHNET_CORE_LOCKS"

_held: dict[str, tuple[int, int]] = {}  # lock_dir -> (core, fd): this process's claim


def default_lock_dir() -> Path:
    """``$SCRATCHNET_CORE_LOCKS``, else ``<temp dir>/scratchnet-cores``."""
    given = os.environ.get(LOCK_DIR_VARIABLE, "").strip()
    return Path(given) if given else Path(tempfile.gettempdir()) / "scratchnet-cores"


def allowed_cores() -> list[int]:
    """The cores this process may run on, ascending (all of ``os.cpu_count()`` where unknown)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def claim_core(lock_dir: str | os.PathLike | None = None) -> int | None:
    """Pin this process to a core no other process holds in ``lock_dir``; the core, or None
    (every core taken, or no affinity support: the process stays unpinned)."""
    try:
        import fcntl
    except ImportError:
        return None
    if not hasattr(os, "sched_setaffinity"):
        return None
    directory = Path(lock_dir) if lock_dir is not None else default_lock_dir()
    key = str(directory.resolve())
    if key in _held:
        return _held[key][0]
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:  # nowhere to keep the claims: unpinned rather than a failed task
        return None
    for core in allowed_cores():
        try:
            fd = os.open(directory / f"cpu-{core}.lock", os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:  # not ours to open: as good as held
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another live process holds this core
            os.close(fd)
            continue
        _pin_threads(core)
        _held[key] = (core, fd)
        return core
    return None


def _pin_threads(core: int) -> None:
    """Pin every thread of this process to ``core`` (``sched_setaffinity`` acts on one thread;
    threads started later inherit their creator's set)."""
    try:
        threads = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        threads = [0]
    for tid in threads:
        try:
            os.sched_setaffinity(tid, {core})
        except OSError:  # the thread ended meanwhile
            pass


def affinity_label() -> str:
    """The CPU set this process runs on, as ranges: ``cpus=1``, ``cpus=0-1``, ``cpus=0,2-3``."""
    cores = allowed_cores()
    ranges: list[str] = []
    start = prev = cores[0]
    for core in [*cores[1:], None]:
        if core is not None and core == prev + 1:
            prev = core
            continue
        ranges.append(str(start) if start == prev else f"{start}-{prev}")
        if core is not None:
            start = prev = core
    return "cpus=" + ",".join(ranges)
