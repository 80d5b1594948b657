"""Framework adapters: every contender the runner trains, behind one small seam.

The runner (:mod:`scratchnet.bench.running.runner`) knows nothing about any framework. It asks this
registry for an adapter by name and drives the adapter's :class:`Trainer` through one loop
over epochs, the same code for every framework: timing, evaluation by the harness' own MSE,
statuses (``ok``/``diverged``/``timeout``/``error``/``unsupported``), divergence and time-out.

Contract
--------
An **adapter** (one module each: ``scratchnet``, ``scratchnet-jit`` (its formulas compiled with numba,
optional, :mod:`.scratchnet_jit`), ``keras`` (calibrated best), ``tf-loop`` (a
hand-written TensorFlow loop, :mod:`.tf_loop`), ``torch`` (PyTorch, optional, :mod:`.pytorch`),
``keras-default``, ``sklearn``; user networks register their own) has::

    name: str
    supports(case: Case) -> str | None
        None when the adapter can train ``case`` faithfully (same maths as the case states);
        otherwise a one-line reason. The run is then recorded with status "unsupported" and
        the reason in ``message`` -- never dropped, never approximated.
    prepare(case, dataset, initial_weights, mode, seed, **options) -> Trainer
        Build (and compile) the model; nothing here is timed as training. ``initial_weights``
        are scratchnet's weights drawn with ``seed`` (Keras layout: kernel (inputs, units),
        bias (units,)), copied exactly in ``mode == "parity"``; in ``"native"`` mode the adapter
        uses its framework's own initialisation seeded with ``seed`` and may ignore them.
        ``options`` come from ``run_case(framework_options=...)``; unknown ones are ignored
        (e.g. ``results_dir``: where the keras adapter caches its calibration).
    max_epochs: int | None   (optional attribute) a cap on the epochs this contender trains;
        the runner trains ``min(epochs, max_epochs)``, records the cap in ``epoch_cap`` and
        says so in ``message``.
    timing_budget: tuple[int, float] | None   (optional) ``(n, s)``: train at least ``n`` epochs,
        then stop after the first epoch at which the training time reaches ``s`` seconds (a
        timing contender: enough epochs for a steady median); ``epoch_cap`` = epochs trained.

A **Trainer** has::

    train_epoch(X, Y, batch_size=None) -> float
        One epoch on these rows, in batches of ``batch_size`` (None: the case's batch size,
        the whole of ``X`` for a full-batch case). The runner passes ``batch_size`` only for the
        cost model's epochs of other lengths (:mod:`scratchnet.bench.measures.cost_model`). In parity mode the rows arrive already permuted by the
        harness and the trainer must keep their order (its own shuffling off); in native
        mode the trainer shuffles itself (the framework's own idiom, seeded by ``seed``) when
        the case shuffles. Returns the epoch's training seconds, measured between the
        framework's epoch-begin and epoch-end hooks where it has them (so per-``fit``-call
        set-up is excluded), else around the training call.
    predict(X) -> np.ndarray
        Predictions in the layout of the dataset's ``y`` (probabilities for classifiers);
        the harness computes every loss and MSE from these.
    get_weights() -> list[np.ndarray]
        Kernel/bias arrays in Keras' layout (parity checks compare them bit for bit).
    settings() -> dict
        Recorded in the run row; every key must be a column of ``schema.RUN_COLUMNS``
        (e.g. ``keras_steps_per_execution``, ``keras_jit_compile``). The runner reads it after
        ``prepare`` and again after training (so a trainer may fill it lazily).
    train_epochs(X, Y, epochs, begin_epoch, end_epoch, batch_size=None) -> None   (optional)
        Up to ``epochs`` epochs on these rows in ONE framework call (Keras: one
        ``fit(epochs=epochs)``), for frameworks whose per-call set-up is costly. The runner
        uses it only when it does not re-order rows between epochs (native mode, or parity
        on a case that does not shuffle), and otherwise calls ``train_epoch``. Shuffling as
        in ``train_epoch``. At each epoch start the trainer calls ``begin_epoch()`` (before
        starting its clock), at each epoch end ``end_epoch(seconds)`` (right after stopping
        it; ``seconds`` measured as ``train_epoch`` measures them); when that returns True
        the trainer stops training after this epoch. It must train every epoch unless
        stopped that way (or by its own ``diverged``).
    timed_predict(X)  (optional) the user-facing predict call timed for ``predict_seconds``
        (defaults to ``predict``).
    diverged: bool    (optional) True when the framework itself stopped on a non-finite loss.

Registry: :func:`get_adapter`, :func:`names`, :func:`is_builtin`, :func:`register` (for
adapters that are not built in, e.g. a foreign user network under its own label).
Built-in adapter modules are imported lazily: importing this package imports neither
TensorFlow, PyTorch nor scikit-learn. Shared pieces: :mod:`.case_maths` (a case's layers, loss,
fusion and Keras' optimizer constants, for contenders that rebuild the maths by hand) and
:mod:`.calibration` (the cached fastest-setting choice of tf-loop and torch).
"""
from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["Adapter", "Trainer", "BUILTINS", "get_adapter", "names", "is_builtin", "register",
           "unregister"]


@runtime_checkable
class Trainer(Protocol):
    def train_epoch(self, X: np.ndarray, Y: np.ndarray, batch_size: int | None = None) -> float: ...

    def predict(self, X: np.ndarray) -> np.ndarray: ...

    def get_weights(self) -> list[np.ndarray]: ...

    def settings(self) -> dict: ...


@runtime_checkable
class Adapter(Protocol):
    name: str

    def supports(self, case: Any) -> str | None: ...

    def prepare(self, case: Any, dataset: Any, initial_weights: list[np.ndarray], mode: str, seed: int,
                **options: Any) -> Trainer: ...


# name -> (module, attribute) of the built-in adapters, imported on first use
_BUILTIN_PATHS: dict[str, tuple[str, str]] = {
    "scratchnet": (".scratchnet", "ADAPTER"),
    "scratchnet-jit": (".scratchnet_jit", "ADAPTER"),
    "keras": (".keras", "ADAPTER"),
    "tf-loop": (".tf_loop", "ADAPTER"),
    "torch": (".pytorch", "ADAPTER"),
    "keras-default": (".keras", "DEFAULT_ADAPTER"),
    "sklearn": (".sklearn", "ADAPTER"),
}
BUILTINS: tuple[str, ...] = tuple(_BUILTIN_PATHS)

_REGISTERED: dict[str, Adapter] = {}


def names() -> tuple[str, ...]:
    """Every framework name the runner accepts: the built-ins, then registered ones."""
    return BUILTINS + tuple(n for n in _REGISTERED if n not in _BUILTIN_PATHS)


def is_builtin(name: str) -> bool:
    """True for the built-in contenders (scratchnet, scratchnet-jit, keras, tf-loop, torch, keras-default, sklearn)."""
    return name in _BUILTIN_PATHS


def register(adapter: Adapter) -> None:
    """Make ``adapter`` available under ``adapter.name`` (a built-in name cannot be replaced)."""
    name = getattr(adapter, "name", None)
    if not isinstance(name, str) or not name:
        raise ValueError(f"an adapter needs a non-empty string `name`, got {name!r}")
    if name in _BUILTIN_PATHS:
        raise ValueError(f"framework name {name!r} is built in; choose another label")
    for attr in ("supports", "prepare"):
        if not callable(getattr(adapter, attr, None)):
            raise ValueError(f"adapter {name!r} lacks a callable `{attr}`")
    _REGISTERED[name] = adapter


def unregister(name: str) -> None:
    """Remove a registered (non built-in) adapter; unknown names are ignored."""
    _REGISTERED.pop(name, None)


def get_adapter(name: str) -> Adapter:
    """The adapter called ``name``; a ValueError lists the valid names otherwise."""
    if name in _BUILTIN_PATHS:
        module, attr = _BUILTIN_PATHS[name]
        return getattr(importlib.import_module(module, __name__), attr)
    if name in _REGISTERED:
        return _REGISTERED[name]
    raise ValueError(f"unknown framework {name!r}; valid: {list(names())}")
