"""A description of the machine and software a run was made on (``environment.json``).

Collected without importing TensorFlow: package versions come from installed metadata.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

_PACKAGES = ("numpy", "tensorflow", "tensorflow-cpu", "keras", "scikit-learn", "pandas", "scipy",
             "matplotlib", "asv", "scratchnet")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    if out.get("tensorflow") is None:
        out["tensorflow"] = out.pop("tensorflow-cpu")
    else:
        out.pop("tensorflow-cpu", None)
    return out


def _blas() -> tuple[dict, dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {"info": "threadpoolctl not installed"}, {}
    import numpy  # noqa: F401  (loads its BLAS so threadpoolctl can see it)

    pools = threadpool_info()
    blas = [{k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
            for p in pools if p.get("user_api") == "blas"]
    threads = {p.get("internal_api"): p.get("num_threads") for p in pools}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE",
                "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        if var in os.environ:
            threads[var] = os.environ[var]
    return {"libraries": blas}, threads


GIT_COMMIT_VARIABLE = "SCRATCHNET_GIT_COMMIT"


def git_commit(cwd: str | os.PathLike | None = None) -> str:
    """The commit the suite runs from: ``$SCRATCHNET_GIT_COMMIT`` when set (scripts/bench.sh
    passes it in, because asv runs the suite outside the checkout), else asv's ``$ASV_COMMIT``, else ``git rev-parse
    HEAD`` in ``cwd`` (default: this package's directory) with "+dirty" when tracked files
    differ from it, else "unknown"."""
    given = os.environ.get(GIT_COMMIT_VARIABLE, "").strip() or os.environ.get("ASV_COMMIT", "").strip()
    if given:  # asv sets ASV_COMMIT to the commit it built and installed into its environment
        return given
    cwd = Path(__file__).resolve().parent if cwd is None else cwd
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                             check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def collect_environment(**extra) -> dict:
    """Machine, BLAS and threads, versions, git commit, time; ``extra`` keys are added as given."""
    blas, threads = _blas()
    env = {
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "machine": {"cpu": _cpu_name(), "cores": os.cpu_count(), "platform": platform.platform()},
        "blas": blas,
        "threads": threads,
        "versions": _versions(),
    }
    env.update(extra)
    return env


def host_columns() -> dict[str, str]:
    """Where a run ran, for its row: ``host``, ``cpu_model`` and ``threads`` (the thread pools
    in effect now and the cores the process may run on, e.g. ``cpus=1,openblas=1,openmp=1``:
    ``cpus=1`` is a worker pinned to core 1, :mod:`.cores`; timings compare only within one host),
    and ``git_commit``, the code it ran (:func:`git_commit`: a resumed table can hold rows of
    several commits, and the report names each)."""
    import socket

    from scratchnet.bench.running.cores import affinity_label

    try:
        from threadpoolctl import threadpool_info

        pools = threadpool_info()
        threads = ",".join(sorted({f"{p.get('internal_api')}={p.get('num_threads')}" for p in pools}))
    except ImportError:
        threads = "unknown (threadpoolctl not installed)"
    threads = f"{affinity_label()},{threads}"
    return {"host": socket.gethostname(), "cpu_model": _cpu_name(), "threads": threads, "git_commit": git_commit()}
