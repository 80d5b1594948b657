"""Memory figures of one training run that measure the network, not the process's imports.

Figures (MiB = 2**20 bytes; the run columns of :mod:`scratchnet.bench.store.schema`):

* ``peak_memory_mb`` -- growth of the process's peak resident set during ``fit``, over the
  resident set just before it. :class:`FitMemory` is a context manager; each ``with`` block
  is one *window* around the framework's training call(s), and the figure is the largest
  growth of any window. Method ``vmhwm`` (Linux): the peak-RSS high-water mark is reset by
  writing ``5`` to ``/proc/self/clear_refs`` when the window opens and ``VmHWM`` is read
  from ``/proc/self/status`` when it closes, so every page the fit touches counts, however
  briefly (all threads: TensorFlow's included). Before the window opens, glibc's free heap
  pages are returned to the system (``malloc_trim``), so the figure does not depend on what
  the process freed earlier. Method ``rss-sampler-5ms`` (fallback where
  the reset is unavailable): a thread samples the resident set every 5 ms, so allocations
  living shorter than that can be missed. The method is recorded in ``memory_method``.
  What the window includes: everything the framework allocates inside its fit call -- its
  copies of the data, activations, gradients, temporaries, optimizer state it creates
  lazily (Keras) and graph tracing (Keras' first epoch). What it excludes: the interpreter,
  imported libraries, the dataset, and whatever exists before the window opens (weights
  built before fit; scratchnet's optimizer state, allocated by ``compile``). RSS counts whole
  pages, and memory the process already holds (freed Python objects, NumPy's small-array
  cache) is reused without growth, so a fit needing a few KiB shows a page or two.
* ``tracemalloc_peak_mb`` (scratchnet only) -- the peak of the Python/NumPy heap traced by
  :mod:`tracemalloc` from model build through one epoch of ``fit`` (NumPy reports its
  buffers to tracemalloc): weights, gradients, optimizer state, activation caches and every
  temporary, the dataset excluded. It is measured in a *separate pass* after the timed
  training, because tracing every allocation slows per-sample training several-fold
  (measured: see the README's memory section) and must not touch the timing columns.
* ``memory_floor_mb`` -- the analytic floor of the case (:func:`memory_floor`), from the
  architecture, dtype and batch size: weights + optimizer state + weight gradients + one
  batch of activations (input and every layer's output) + one batch of activation
  gradients (every layer's output gradient). The same for every framework.

:func:`probe` measures one (case, framework) in a *fresh* process that imports only that
framework (numpy and scratchnet; TensorFlow for Keras) and reads the data from an ``.npz``
file, so the process figure ``peak_rss_mb`` (the whole process's peak resident set during
fit: interpreter, framework runtime, data and fit) charges each framework only for itself.
The asv suite's memory benchmarks use it. Run ``python -m scratchnet.bench.running.memory --help``.
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from scratchnet.bench.cases.registry import CASES, Case, build_model

MIB = 2**20
METHOD_VMHWM = "vmhwm"
METHOD_SAMPLER = "rss-sampler-5ms"
PROBE_FRAMEWORKS = ("scratchnet", "keras")
PROBE_KERAS_STEPS_PER_EXECUTION = 32  # the Keras twin's steps_per_execution in a probe
_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


# -- reading the resident set --------------------------------------------------------------
def _status_kib(*fields: str) -> dict[str, int]:
    """``{field: kiB}`` for ``VmRSS``/``VmHWM``-style lines of /proc/self/status."""
    out = {}
    with open(_STATUS) as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in fields:
                out[key] = int(value.split()[0])
    missing = set(fields) - set(out)
    if missing:
        raise OSError(f"{_STATUS} has no {sorted(missing)} line")
    return out


def rss_mb() -> float:
    """The current resident set of this process (MiB)."""
    try:
        return _status_kib("VmRSS")["VmRSS"] / 1024
    except (OSError, ValueError):
        import resource  # no /proc: ru_maxrss is the best available (a peak, not the current size)

        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / MIB


def reset_peak() -> bool:
    """Reset this process's peak-RSS mark to its current RSS; False where the kernel cannot."""
    try:
        with open(_CLEAR_REFS, "w") as fh:
            fh.write("5")
        _status_kib("VmHWM", "VmRSS")
    except (OSError, ValueError):
        return False
    return True


def peak_rss_mb() -> float:
    """``VmHWM``: the peak resident set since the process began or the last :func:`reset_peak`."""
    return _status_kib("VmHWM")["VmHWM"] / 1024


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def trim_heap() -> bool:
    """Return the C heap's free pages to the system (glibc ``malloc_trim(0)``); False elsewhere.

    Without it, a fit can reuse pages that earlier work (another run, an evaluation) freed but
    that stayed resident, and its growth would depend on what ran before.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def vmhwm_available() -> bool:
    """True when the exact method works here (Linux with a writable ``/proc/self/clear_refs``)."""
    return reset_peak()


# -- the fit window ------------------------------------------------------------------------
class _Sampler:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_mb())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak, rss_mb())


class FitMemory:
    """Peak RSS growth of the framework's fit; each ``with`` block is one window.

    ``peak_growth_mb`` is the largest (peak during the window - RSS when it opened) over the
    windows so far (NaN before any); ``peak_rss_mb`` the largest absolute peak; ``method``
    is ``"vmhwm"`` or ``"rss-sampler-5ms"`` (see the module docstring). Use one window per
    fit call when the harness does its own work (row permutation, evaluation) between calls.
    """

    def __init__(self, force_sampler: bool = False, interval: float = 0.005) -> None:
        self.method = METHOD_SAMPLER if force_sampler or not vmhwm_available() else METHOD_VMHWM
        self.interval = interval
        self.peak_growth_mb = math.nan
        self.peak_rss_mb = math.nan
        self.rss_before_mb = math.nan  # at the opening of the first window
        self.windows = 0
        self._sampler: _Sampler | None = None

    def __enter__(self) -> FitMemory:
        trim_heap()
        self._start = rss_mb()
        if self.windows == 0:
            self.rss_before_mb = self._start
        if self.method == METHOD_VMHWM:
            reset_peak()
        else:
            self._sampler = _Sampler(self.interval)
        return self

    def __exit__(self, *exc) -> None:
        peak = peak_rss_mb() if self.method == METHOD_VMHWM else self._sampler.stop()
        self._sampler = None
        self.windows += 1
        self.peak_rss_mb = peak if math.isnan(self.peak_rss_mb) else max(self.peak_rss_mb, peak)
        growth = max(peak - self._start, 0.0)
        self.peak_growth_mb = growth if math.isnan(self.peak_growth_mb) else max(self.peak_growth_mb, growth)

    def columns(self) -> dict:
        """The run-row columns this measurement fills."""
        return {"peak_memory_mb": self.peak_growth_mb, "memory_method": self.method}


# -- the analytic floor ----------------------------------------------------------------------
@dataclass(frozen=True)
class MemoryFloor:
    """Bytes a straightforward implementation must hold at the peak of one training step."""

    weights: int
    optimizer_state: int
    weight_gradients: int
    activations: int
    activation_gradients: int

    @property
    def total(self) -> int:
        return (self.weights + self.optimizer_state + self.weight_gradients + self.activations
                + self.activation_gradients)

    @property
    def mb(self) -> float:
        return self.total / MIB


def optimizer_state_slots(case: Case) -> int:
    """Per-weight state vectors of the case's update rule (Keras' and scratchnet's alike)."""
    params = dict(case.optimizer_params)
    momentum = bool(params.get("momentum", 0.0))
    if case.optimizer == "sgd":
        return int(momentum)
    if case.optimizer == "rmsprop":
        return 1 + int(momentum)
    if case.optimizer == "adam":
        return 2
    raise ValueError(f"case {case.name}: no state count for optimizer {case.optimizer!r}")


def memory_floor(case: Case, n_features: int, n_train: int, dtype: str | None = None) -> MemoryFloor:
    """The floor of ``case`` trained on ``n_train`` rows of ``n_features`` columns (see module doc)."""
    item = np.dtype(dtype or case.dtype).itemsize
    n_params, fan_in = 0, n_features
    for units in case.units:
        n_params += fan_in * units + (units if case.use_bias else 0)
        fan_in = units
    batch = min(case.batch_size or n_train, n_train)
    outputs = sum(case.units)
    return MemoryFloor(
        weights=n_params * item,
        optimizer_state=optimizer_state_slots(case) * n_params * item,
        weight_gradients=n_params * item,
        activations=batch * (n_features + outputs) * item,
        activation_gradients=batch * outputs * item,
    )


# -- tracemalloc, in its own pass ---------------------------------------------------------------
def tracemalloc_peak_mb(run: Callable[[], object]) -> float:
    """Peak traced heap (MiB) while ``run()`` executes; only allocations made inside count."""
    if tracemalloc.is_tracing():
        raise RuntimeError("tracemalloc is already tracing: a nested measurement would be meaningless")
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


def scratchnet_tracemalloc_mb(case: Case, seed: int, X: np.ndarray, Y: np.ndarray) -> float:
    """tracemalloc peak of building ``case``'s model and fitting one epoch on ``X, Y`` (in order)."""
    def run() -> None:
        model = build_model(case, seed, n_features=X.shape[1])
        model.fit(X, Y, batch_size=case.batch_size, epochs=1, shuffle=False, verbose=0)

    return tracemalloc_peak_mb(run)


def network_columns(case: Case, framework: str, seed: int, X: np.ndarray, Y: np.ndarray,
                    trace: bool = True) -> dict:
    """``memory_floor_mb`` and ``tracemalloc_peak_mb`` of a run (NaN unless scratchnet and ``trace``)."""
    floor = memory_floor(case, X.shape[1], X.shape[0]).mb
    traced = scratchnet_tracemalloc_mb(case, seed, X, Y) if framework == "scratchnet" and trace else math.nan
    return {"memory_floor_mb": floor, "tracemalloc_peak_mb": traced}


# -- one framework in a fresh process ----------------------------------------------------------
@dataclass
class ProbeResult:
    """What :func:`probe` measured (MiB): see the module docstring."""

    case: str
    framework: str
    method: str
    epochs: int
    rss_before_fit_mb: float   # the fresh process just before fit: runtime + data + model
    peak_rss_mb: float         # the process's peak resident set during fit
    fit_growth_mb: float       # peak_rss_mb - rss_before_fit_mb
    tracemalloc_peak_mb: float  # scratchnet only (NaN for Keras)
    memory_floor_mb: float
    tensorflow_imported: bool


def _fit_in_this_process(case: Case, framework: str, X: np.ndarray, Y: np.ndarray, seed: int,
                         epochs: int, steps_per_execution: int) -> ProbeResult:
    model = build_model(case, seed, n_features=X.shape[1])
    bs = case.batch_size or X.shape[0]
    if framework == "scratchnet":
        def fit() -> None:
            model.fit(X, Y, batch_size=bs, epochs=epochs, shuffle=False, verbose=0)
    elif framework == "keras":
        from scratchnet.bench.parity.keras_twin import keras_floatx, to_keras

        twin = to_keras(model, steps_per_execution=steps_per_execution)

        def fit() -> None:
            with keras_floatx(case.dtype):
                twin.fit(X, Y, batch_size=bs, epochs=epochs, shuffle=False, verbose=0)
    else:
        raise ValueError(f"framework must be one of {list(PROBE_FRAMEWORKS)}, got {framework!r}")
    mem = FitMemory()
    with mem:
        fit()
    columns = network_columns(case, framework, seed, X, Y)
    return ProbeResult(case=case.name, framework=framework, method=mem.method, epochs=epochs,
                       rss_before_fit_mb=mem.rss_before_mb, peak_rss_mb=mem.peak_rss_mb,
                       fit_growth_mb=mem.peak_growth_mb, tracemalloc_peak_mb=columns["tracemalloc_peak_mb"],
                       memory_floor_mb=columns["memory_floor_mb"],
                       tensorflow_imported="tensorflow" in sys.modules)


def probe(case_name: str, framework: str, *, epochs: int = 1, seed: int | None = None,
          timeout: float = 1200.0) -> ProbeResult:
    """Measure ``framework`` fitting ``case_name`` for ``epochs`` in a fresh Python process.

    The parent loads the dataset (the loaders import pandas and scikit-learn, which the
    child must not carry) and hands its training rows over in an ``.npz`` file.
    """
    from scratchnet.bench.cases.data import dataset_for  # the dataset loaders (pandas, scikit-learn): the parent only

    if case_name not in CASES:
        raise ValueError(f"unknown case {case_name!r}")
    if framework not in PROBE_FRAMEWORKS:
        raise ValueError(f"framework must be one of {list(PROBE_FRAMEWORKS)}, got {framework!r}")
    case = CASES[case_name]
    ds = dataset_for(case)
    seed = case.seeds(1)[0] if seed is None else seed
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
               PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    with tempfile.TemporaryDirectory(prefix="scratchnet-memory-") as tmp:
        data = os.path.join(tmp, "train.npz")
        np.savez(data, X=ds.X_train, Y=ds.y_train)
        cmd = [sys.executable, "-m", "scratchnet.bench.running.memory", "--case", case_name, "--framework", framework,
               "--data", data, "--seed", str(seed), "--epochs", str(epochs),
               "--keras-steps-per-execution", str(PROBE_KERAS_STEPS_PER_EXECUTION)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=tmp)
    if proc.returncode != 0:
        raise RuntimeError(f"memory probe {case_name}/{framework} failed (exit {proc.returncode}): "
                           f"{proc.stderr.strip()[-2000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"memory probe {case_name}/{framework} printed no result: {proc.stdout[-2000:]!r}")
    return ProbeResult(**json.loads(lines[-1]))


def main(argv: list[str] | None = None) -> int:
    """Print one probe's figures as a JSON line: ``--data`` given, fit in this process (the
    child side of :func:`probe`); without it, load the case's data and run :func:`probe`."""
    parser = argparse.ArgumentParser(prog="python -m scratchnet.bench.running.memory",
                                     description="Memory of one framework fitting one case, in a fresh process.")
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    parser.add_argument("--framework", required=True, choices=PROBE_FRAMEWORKS)
    parser.add_argument("--data", help=".npz with arrays X and Y: fit them in this process (what probe() runs)")
    parser.add_argument("--seed", type=int, help="weights seed (default: the case's first seed)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--keras-steps-per-execution", type=int, default=PROBE_KERAS_STEPS_PER_EXECUTION)
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")
    if args.data is None:
        result = probe(args.case, args.framework, epochs=args.epochs, seed=args.seed)
        print(json.dumps(asdict(result)))
        return 0
    if args.seed is None:
        parser.error("--seed is required with --data")
    with np.load(args.data) as data:
        X, Y = data["X"], data["Y"]
    result = _fit_in_this_process(CASES[args.case], args.framework, X, Y, args.seed, args.epochs,
                                  args.keras_steps_per_execution)
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
