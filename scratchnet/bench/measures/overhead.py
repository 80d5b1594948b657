"""What scratchnet costs around the maths: the framework tax and the GEMM share.

Both figures are ratios of two timings taken in the same process, interleaved (A, B, A, B, ...)
for several rounds, each side's best (minimum) round kept, so that a machine shared with
other work slows both sides alike:

* :func:`framework_tax` -- scratchnet's epoch time / the epoch time of the minimal hand-written
  NumPy loop of :mod:`scratchnet.bench.measures.reference_loop`, same case, same rows, same initial
  weights. 1.0 means the framework costs nothing; below 1.0 it is faster than the naive loop.
* :func:`gemm_share` -- the time of the bare matrix products of an epoch (the same shapes and
  dtype: per step ``x @ W`` and ``x.T @ dz`` per layer, ``dz @ W.T`` for every layer but the
  first) / scratchnet's epoch time. 1.0 would mean everything but the GEMMs is free.

Timing boundaries follow the runner: an epoch is timed from ``on_epoch_begin`` to
``on_epoch_end`` inside ``fit`` (input validation and conversion are outside). ``max_steps``
caps the rows timed per round (``max_steps * batch_size``); seconds per epoch are then
scaled from seconds per step, so a capped measurement costs a bounded, known time.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scratchnet.callbacks import Callback

from scratchnet.bench.cases.registry import Case, build_model
from scratchnet.bench.measures.reference_loop import ReferenceLoop, unsupported_reason


@dataclass(frozen=True)
class Ratio:
    """``numerator_seconds / denominator_seconds`` per epoch, each the best of ``rounds``."""

    numerator_seconds: float
    denominator_seconds: float
    steps_per_epoch: int
    steps_timed: int
    rounds: int

    @property
    def ratio(self) -> float:
        return self.numerator_seconds / self.denominator_seconds

    def per_step(self, seconds: float) -> float:
        return seconds / self.steps_per_epoch


def interleaved_best(fns: list[Callable[[], float]], rounds: int) -> list[float]:
    """Call each function in turn, ``rounds`` times; each returns its own seconds; keep the minima."""
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    best = [math.inf] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], fn())
    return best


class _EpochClock(Callback):
    """Times one epoch as the runner does: on_epoch_begin to on_epoch_end."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = math.nan

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self._t0


def _timed_rows(X: np.ndarray, Y: np.ndarray, batch_size: int | None, max_steps: int | None):
    n = X.shape[0]
    bs = n if batch_size is None else min(batch_size, n)
    steps = math.ceil(n / bs)
    if max_steps is not None and max_steps < steps:
        return X[: max_steps * bs], Y[: max_steps * bs], bs, steps, max_steps
    return X, Y, bs, steps, steps


def _scratchnet_epoch(model, X, Y, bs) -> Callable[[], float]:
    clock = _EpochClock()

    def run() -> float:
        model.fit(X, Y, batch_size=bs, epochs=1, shuffle=False, verbose=0, callbacks=[clock])
        return clock.seconds

    return run


def framework_tax(case: Case, X: np.ndarray, Y: np.ndarray, seed: int = 0, rounds: int = 3,
                  max_steps: int | None = None, dtype: str | None = None) -> Ratio:
    """scratchnet epoch time / reference-loop epoch time for ``case`` on rows ``X``, ``Y``.

    Both start from the same weights (drawn with ``seed``) and train on the same rows in
    order; rows are cast to the case's dtype (or ``dtype``). Raises ValueError when the
    reference loop cannot express the case (see ``unsupported_reason``).
    """
    reason = unsupported_reason(case)
    if reason is not None:
        raise ValueError(f"case {case.name!r}: {reason}")
    model = build_model(case, seed, dtype=dtype, n_features=X.shape[1])
    X = np.ascontiguousarray(X, dtype=model.dtype)
    Y = np.ascontiguousarray(model.loss.prepare_targets(np.asarray(Y), model.output_dim), dtype=model.dtype)
    Xt, Yt, bs, steps, timed = _timed_rows(X, Y, case.batch_size, max_steps)
    ref = ReferenceLoop.from_model(model)

    def run_reference() -> float:
        t0 = time.perf_counter()
        ref.train_epoch(Xt, Yt, bs)
        return time.perf_counter() - t0

    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        s, r = interleaved_best([_scratchnet_epoch(model, Xt, Yt, bs), run_reference], rounds)
    scale = steps / timed
    return Ratio(s * scale, r * scale, steps, timed, rounds)


def gemm_shapes(model, batch_size: int) -> list[tuple[tuple[int, int], tuple[int, int], bool]]:
    """The matrix products of one training step: (left shape, right shape, left transposed)."""
    shapes = []
    for i, layer in enumerate(layer for layer in model.layers if layer.trainable):
        n_in, n_out = layer.kernel.shape
        shapes.append(((batch_size, n_in), (n_in, n_out), False))    # z = x @ W
        shapes.append(((n_in, batch_size), (batch_size, n_out), True))  # dW = x.T @ dz
        if i:
            shapes.append(((batch_size, n_out), (n_out, n_in), True))  # dx = dz @ W.T
    return shapes


def _bare_gemms(model, bs: int, steps: int, rng: np.random.Generator) -> Callable[[], float]:
    products = []
    for (m, k), (k2, n), transposed in gemm_shapes(model, bs):
        if transposed:  # the left or right operand is a transposed view, as in the backward pass
            left = rng.standard_normal((k, m)).astype(model.dtype).T
        else:
            left = rng.standard_normal((m, k)).astype(model.dtype)
        right = rng.standard_normal((k2, n)).astype(model.dtype)
        products.append((left, right, np.empty((m, n), dtype=model.dtype)))

    def run() -> float:
        t0 = time.perf_counter()
        for _ in range(steps):
            for left, right, out in products:
                np.dot(left, right, out=out)
        return time.perf_counter() - t0

    return run


def gemm_share(case: Case, X: np.ndarray, Y: np.ndarray, seed: int = 0, rounds: int = 3,
               max_steps: int | None = None, dtype: str | None = None) -> Ratio:
    """Bare GEMM time of an epoch / scratchnet epoch time (``ratio``; 1.0 is the ceiling)."""
    model = build_model(case, seed, dtype=dtype, n_features=X.shape[1])
    X = np.ascontiguousarray(X, dtype=model.dtype)
    Y = np.ascontiguousarray(model.loss.prepare_targets(np.asarray(Y), model.output_dim), dtype=model.dtype)
    Xt, Yt, bs, steps, timed = _timed_rows(X, Y, case.batch_size, max_steps)
    if Xt.shape[0] % bs:
        raise ValueError("gemm_share needs whole batches: choose max_steps or rows divisible by the batch size")
    gemms = _bare_gemms(model, bs, timed, np.random.default_rng(seed))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        g, s = interleaved_best([gemms, _scratchnet_epoch(model, Xt, Yt, bs)], rounds)
    scale = steps / timed
    return Ratio(g * scale, s * scale, steps, timed, rounds)


def overhead_columns(case: Case, X: np.ndarray, Y: np.ndarray, seed: int = 0, rounds: int = 3,
                     budget_epochs: float = 2.0, dtype: str | None = None) -> dict[str, float]:
    """The run-table columns of :data:`OVERHEAD_COLUMNS` for a scratchnet run of ``case``.

    One interleaved measurement of three sides -- a scratchnet epoch, the reference loop, the
    bare GEMMs -- on capped steps, so that the whole costs about ``budget_epochs`` scratchnet
    epochs (the reference loop and the GEMMs cost about one each, at most). All NaN when the
    reference loop cannot express the case.
    """
    figures = dict.fromkeys(OVERHEAD_COLUMNS, math.nan)
    if unsupported_reason(case) is not None:
        return figures
    model = build_model(case, seed, dtype=dtype, n_features=X.shape[1])
    X = np.ascontiguousarray(X, dtype=model.dtype)
    Y = np.ascontiguousarray(model.loss.prepare_targets(np.asarray(Y), model.output_dim), dtype=model.dtype)
    n = X.shape[0]
    bs = n if case.batch_size is None else min(case.batch_size, n)
    steps = math.ceil(n / bs)
    # whole batches only (the GEMM shapes are per batch), capped for the time budget
    timed = min(n // bs, max(1, int(steps * budget_epochs / (2 * rounds))))
    Xt, Yt = X[: timed * bs], Y[: timed * bs]
    ref = ReferenceLoop.from_model(model)

    def run_reference() -> float:
        t0 = time.perf_counter()
        ref.train_epoch(Xt, Yt, bs)
        return time.perf_counter() - t0

    sides = [_scratchnet_epoch(model, Xt, Yt, bs), run_reference,
             _bare_gemms(model, bs, timed, np.random.default_rng(seed))]
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        s, r, g = interleaved_best(sides, rounds)
    scale = steps / timed
    figures.update(tax_seconds_per_epoch=s * scale, reference_seconds_per_epoch=r * scale,
                   framework_tax=s / r, gemm_seconds_per_epoch=g * scale, gemm_share=g / s)
    return figures


# run-table columns written by overhead_columns (scratchnet runs only; NaN elsewhere)
OVERHEAD_COLUMNS = ("tax_seconds_per_epoch", "reference_seconds_per_epoch", "framework_tax",
                    "gemm_seconds_per_epoch", "gemm_share")


def _case_rows(case: Case) -> tuple[np.ndarray, np.ndarray]:
    from scratchnet.bench.datasets.registry import load_dataset

    ds = load_dataset(case.dataset, **dict(case.dataset_params))
    return ds.X_train, ds.y_train


def case_framework_tax(name: str, rounds: int = 5, max_steps: int | None = None, seed: int = 0) -> Ratio:
    """:func:`framework_tax` of the registered case ``name`` on its training rows."""
    from scratchnet.bench.cases.registry import get_case

    case = get_case(name)
    return framework_tax(case, *_case_rows(case), seed=seed, rounds=rounds, max_steps=max_steps)


def case_gemm_share(name: str, rounds: int = 5, max_steps: int | None = None, seed: int = 0) -> Ratio:
    """:func:`gemm_share` of the registered case ``name`` on its training rows."""
    from scratchnet.bench.cases.registry import get_case

    case = get_case(name)
    return gemm_share(case, *_case_rows(case), seed=seed, rounds=rounds, max_steps=max_steps)
