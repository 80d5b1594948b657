"""Running the suite's tasks on a ``dask.distributed`` cluster (``run --scheduler``).

Contract
--------
* ``--scheduler ADDRESS`` (``tcp://host:8786``) connects to a running scheduler;
  ``--scheduler local:N`` starts a ``LocalCluster`` of N worker *processes*, one thread each,
  for one machine. ``parse_scheduler`` refuses anything else, naming it.
* The driver (the ``run`` process) alone touches the results directory: it claims each task
  before submitting it (``store.ResultStore.claim``), workers return rows, and the driver
  records them through the store (locked, atomic, validated). At most ``2 x workers`` tasks
  are in flight, so claims stay close to the work actually running.
* Every task runs with BLAS/OpenMP pools pinned to one thread (threadpoolctl) on a worker
  with one thread: one timed task at a time per worker, no core stolen from a neighbour.
  Each run row records ``host``, ``cpu_model`` and ``threads`` where it ran.
* A worker that dies mid-task: the scheduler reruns the task on another worker (Dask's
  ``allowed-failures``, default 3); when it keeps killing workers, ``KilledWorker`` reaches
  the driver and the task is recorded as ``error`` with that reason (retried on the next
  run). No row is written twice or half: rows arrive whole, and only from finished tasks.
* Workers need scratchnet with the ``bench`` extras installed (the same versions as the
  driver); registered datasets ship inside the package, so no network is needed.
  A ``LocalCluster``'s workers import the driver's own copy of scratchnet.
"""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_LOCAL = re.compile(r"^local:(\d+)$")


def parse_scheduler(text: str) -> tuple[str, Any]:
    """``"local:N"`` -> ``("local", N)``; an address -> ``("address", text)``."""
    text = text.strip()
    match = _LOCAL.match(text)
    if match:
        n = int(match.group(1))
        if n < 1:
            raise ValueError(f"--scheduler {text}: local:N needs N >= 1 workers")
        return "local", n
    if text.startswith("local"):
        raise ValueError(f"--scheduler {text!r}: write local:N with N a number of worker processes, e.g. local:2")
    if not re.match(r"^(tcp|tls|inproc|ws|wss|ucx)://[^\s]+$", text) and not re.match(r"^[\w.-]+:\d+$", text):
        raise ValueError(f"--scheduler {text!r}: expected a scheduler address (tcp://HOST:8786) or local:N")
    return "address", text


@contextmanager
def client_for(scheduler: str) -> Iterator[Any]:
    """A connected ``distributed.Client`` (and its ``LocalCluster`` for ``local:N``)."""
    kind, value = parse_scheduler(scheduler)
    from distributed import Client, LocalCluster

    if kind == "address":
        with Client(value, timeout="30s") as client:
            yield client
        return
    import scratchnet

    root = str(Path(scratchnet.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    env = {"PYTHONPATH": path, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    with LocalCluster(n_workers=value, threads_per_worker=1, processes=True, dashboard_address=None,
                      env=env) as cluster, Client(cluster) as client:
        yield client


def pinned(fn: Callable, *args: Any) -> Any:
    """Run ``fn(*args)`` with every BLAS/OpenMP pool limited to one thread (on the worker)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return fn(*args)


def run_tasks(client: Any, tasks: Iterable[Any], fn: Callable, args: tuple,
              on_lost: Callable[[Any, str], Any], on_start: Callable[[Any], None] | None = None) -> Iterator[Any]:
    """Submit ``pinned(fn, task, *args)`` for each of ``tasks`` (taken lazily: claims happen as
    tasks are pulled) and yield each result as it completes; a task whose workers kept dying
    yields ``on_lost(task, reason)`` instead."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    window = max(2, 2 * sum(client.nthreads().values()))
    pending = iter(tasks)
    futures: dict[Any, Any] = {}
    done = as_completed()

    def submit_one() -> bool:
        task = next(pending, None)
        if task is None:
            return False
        if on_start is not None:
            on_start(task)
        key = f"{getattr(task, 'label', 'task')}-{uuid.uuid4().hex[:8]}"
        future = client.submit(pinned, fn, task, *args, key=key, pure=False, retries=0)
        futures[future] = task
        done.add(future)
        return True

    while len(futures) < window and submit_one():
        pass
    for future in done:
        task = futures.pop(future)
        try:
            result = future.result()
        except KilledWorker as exc:
            result = on_lost(task, f"worker died running it ({exc})")
        except Exception as exc:  # noqa: BLE001 - a task that raised on the worker is recorded, not fatal
            result = on_lost(task, f"{type(exc).__name__} on the worker: {exc}")
        finally:
            future.release()
        while len(futures) < window and submit_one():
            pass
        yield result
