"""Convention helpers: a hand-written network speaks the foreign-network protocol in ~20 lines.

Hand-written networks keep their numbers in other layouts and scales than Keras. :func:`wrap`
takes the user's own object and a :class:`Conventions` saying how it holds them, and returns an
object with the five protocol methods (:mod:`scratchnet.bench.parity.foreign`), converting on the way:

==================  ======================================  ============================================
convention          values                                  what the wrapper does
==================  ======================================  ============================================
``kernel``          ``"inputs_units"`` (Keras),             transposes each kernel to/from Keras' (inputs, units)
                    ``"units_inputs"`` (textbook W x + b)
``samples``         ``"rows"`` (Keras), ``"columns"``       transposes batches and outputs; a bias read as
                    (one sample a column vector)            (units, 1) is written back in that shape
``batch``           ``"arrays"`` (X, Y), ``"pairs"``        hands ``train`` a list of (x, y) pairs, each a
                    (a list of (x, y) per sample)           sample in the ``samples`` layout
``cost``            ``"mean"`` (Keras' MSE: mean over the    the equivalent Keras learning rate (below)
                    outputs), ``"sse"`` (sum over them),
                    ``"half_sse"`` (1/2 sum, textbooks)
``batch_reduction`` ``"mean"`` (Keras), ``"sum"``
==================  ======================================  ============================================

The learning rate. Keras' MSE is ``mean_batch mean_k (p - y)^2``; a per-sample cost of
``1/2 sum_k`` is ``k/2`` times it, ``sum_k`` is ``k`` times it, and a sum over the batch is ``B`` times a
mean. So the user's gradient is ``F`` x Keras' with ``F = cost factor x batch factor``
(:func:`gradient_factor`), and the same step is taken by Keras with:

* SGD (with or without momentum): ``learning_rate = eta x F``;
* Adam: ``epsilon = eps / F`` (``m / (sqrt(v) + eps)`` is otherwise scale-free);
* RMSprop: ``epsilon = eps / F**2`` (``g / sqrt(v + eps)``).

:func:`keras_optimizer` computes them; ``check`` prints the wrapper's :meth:`Wrapped.conventions_note`.

Where the weights live: ``layers`` names each layer's kernel and bias as paths into the user's
object -- an attribute (``"W1"``), an item of a list attribute (``"weights[0]"``) or of a dict
(``"params['W1']"``); ``None`` for a layer without a bias. The wrapper reads and writes them there.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

COSTS = {"mean": "mean over the outputs (Keras' MSE)", "sse": "sum over the outputs",
         "half_sse": "1/2 sum over the outputs"}
_PATH = re.compile(r"^([A-Za-z_]\w*)((?:\[(?:\d+|'[^']*'|\"[^\"]*\")\])*)$")
_INDEX = re.compile(r"\[(\d+|'[^']*'|\"[^\"]*\")\]")


@dataclass(frozen=True)
class Conventions:
    """How a hand-written network holds its numbers (module docstring)."""

    kernel: str = "inputs_units"
    samples: str = "rows"
    batch: str = "arrays"
    cost: str = "mean"
    batch_reduction: str = "mean"

    def __post_init__(self) -> None:
        allowed = {"kernel": ("inputs_units", "units_inputs"), "samples": ("rows", "columns"),
                   "batch": ("arrays", "pairs"), "cost": tuple(COSTS), "batch_reduction": ("mean", "sum")}
        for name, values in allowed.items():
            if getattr(self, name) not in values:
                raise ValueError(f"Conventions.{name} must be one of {list(values)}, got {getattr(self, name)!r}")


def gradient_factor(conv: Conventions, n_outputs: int, batch_size: int | None = None) -> float:
    """F: the user's gradient over Keras' MSE gradient (module docstring). ``batch_size`` is needed
    only for ``batch_reduction="sum"``."""
    cost = {"mean": 1.0, "sse": float(n_outputs), "half_sse": n_outputs / 2.0}[conv.cost]
    if conv.batch_reduction == "sum":
        if not batch_size:
            raise ValueError("batch_reduction='sum' scales the gradient by the batch size: pass batch_size")
        return cost * batch_size
    return cost


def keras_optimizer(name: str, params: dict, factor: float) -> dict:
    """The Keras optimizer spec (``describe()``'s) taking the user's step: SGD's learning rate x F,
    Adam's epsilon / F, RMSprop's epsilon / F^2 (module docstring)."""
    spec = {"name": name, **params}
    if name == "sgd":
        spec["learning_rate"] = params["learning_rate"] * factor
    elif name == "adam":
        spec["epsilon"] = params.get("epsilon", 1e-7) / factor
    elif name == "rmsprop":
        spec["epsilon"] = params.get("epsilon", 1e-7) / factor ** 2
    else:
        raise ValueError(f"optimizer must be sgd, adam or rmsprop, got {name!r}")
    return spec


def _steps(path: str) -> tuple[str, list[Any]]:
    match = _PATH.match(path.replace(" ", ""))
    if not match:
        raise ValueError(f"weight path {path!r}: use name, name[0] or name['key']")
    keys = [int(k) if k.isdigit() else k[1:-1] for k in _INDEX.findall(match.group(2))]
    return match.group(1), keys


def read_path(obj: Any, path: str) -> np.ndarray:
    """The array at ``path`` in ``obj`` (``"W1"``, ``"weights[0]"``, ``"params['W1']"``)."""
    name, keys = _steps(path)
    value = getattr(obj, name)
    for key in keys:
        value = value[key]
    return np.asarray(value)


def write_path(obj: Any, path: str, value: np.ndarray) -> None:
    """Replace the array at ``path`` in ``obj`` by ``value`` (the container's item, or the attribute)."""
    name, keys = _steps(path)
    if not keys:
        setattr(obj, name, value)
        return
    container = getattr(obj, name)
    for key in keys[:-1]:
        container = container[key]
    container[keys[-1]] = value


class Wrapped:
    """The protocol methods around a user's network (built by :func:`wrap`)."""

    def __init__(self, net: Any, *, layers: Sequence[tuple[str, str | None]], activations: Sequence[str],
                 train: Callable, predict: Callable, learning_rate: float, optimizer: str = "sgd",
                 optimizer_params: dict | None = None, loss: str = "mse", conventions: Conventions = Conventions(),
                 batch_size: int | None = None, dtype: str = "float64") -> None:
        if len(layers) != len(activations):
            raise ValueError(f"{len(layers)} layers but {len(activations)} activations: give one per layer")
        self.net, self.layers, self.activations = net, list(layers), list(activations)
        self._train, self._predict, self.conv = train, predict, conventions
        self.loss, self.dtype = loss, dtype
        kernels = [self._kernel(k) for k, _ in self.layers]
        self.input_dim, self.units = kernels[0].shape[0], [k.shape[1] for k in kernels]
        user = {"learning_rate": learning_rate, **(optimizer_params or {})}
        self.factor = gradient_factor(conventions, self.units[-1], batch_size) if loss in ("mse", "mean_squared_error") else 1.0
        self.optimizer = keras_optimizer(optimizer, user, self.factor)
        self._user_optimizer = (optimizer, user)

    # -- layout ------------------------------------------------------------------------------
    def _kernel(self, path: str) -> np.ndarray:
        k = read_path(self.net, path)
        return k.T if self.conv.kernel == "units_inputs" else k

    def _rows(self, a: np.ndarray) -> np.ndarray:
        """The user's samples layout -> Keras' rows."""
        return a.T if self.conv.samples == "columns" else a

    def _theirs(self, a: np.ndarray) -> np.ndarray:
        """Keras' rows -> the user's samples layout."""
        return np.ascontiguousarray(a.T) if self.conv.samples == "columns" else a

    # -- the protocol ------------------------------------------------------------------------
    def describe(self) -> dict:
        """The network for the Keras twin, with the optimizer that takes the user's step."""
        return {"input_dim": int(self.input_dim),
                "layers": [{"units": int(u), "activation": a, "use_bias": b is not None}
                           for u, a, (_, b) in zip(self.units, self.activations, self.layers)],
                "loss": self.loss, "optimizer": dict(self.optimizer), "dtype": self.dtype}

    def get_weights(self) -> list[np.ndarray]:
        """Kernels (inputs, units) and biases (units,), copied out of the user's object."""
        out = []
        for kernel, bias in self.layers:
            out.append(np.array(self._kernel(kernel), dtype=self.dtype))
            if bias is not None:
                out.append(np.array(read_path(self.net, bias), dtype=self.dtype).reshape(-1))
        return out

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Write Keras-layout arrays back where the user keeps them, in the user's layout and shapes."""
        it = iter(weights)
        for kernel, bias in self.layers:
            k = np.array(next(it), dtype=self.dtype)
            write_path(self.net, kernel, np.ascontiguousarray(k.T) if self.conv.kernel == "units_inputs" else k)
            if bias is not None:
                shape = read_path(self.net, bias).shape
                write_path(self.net, bias, np.array(next(it), dtype=self.dtype).reshape(shape))

    def train_on_batch(self, x: np.ndarray, y: np.ndarray) -> None:
        """One step of the user's own training code on this batch, in the user's batch format."""
        if self.conv.batch == "pairs":
            col = self.conv.samples == "columns"
            batch = [(xi.reshape(-1, 1) if col else xi, yi.reshape(-1, 1) if col else yi)
                     for xi, yi in zip(x, y.reshape(len(y), -1))]
            self._train(self.net, batch)
        else:
            self._train(self.net, self._theirs(x), self._theirs(y.reshape(len(y), -1)))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The user's forward pass on the batch, back in Keras' (rows, outputs)."""
        return self._rows(np.asarray(self._predict(self.net, self._theirs(x))))

    def conventions_note(self) -> str:
        """One line for ``check``: the conventions and the Keras hyper-parameter they imply."""
        c = self.conv
        name, user = self._user_optimizer
        parts = [f"kernel {'units x inputs' if c.kernel == 'units_inputs' else 'inputs x units'}",
                 f"samples as {c.samples}", f"batch as {'(x, y) pairs' if c.batch == 'pairs' else 'arrays'}",
                 f"cost {COSTS[c.cost]}, {'summed' if c.batch_reduction == 'sum' else 'averaged'} over the batch"]
        if name == "sgd":
            implied = (f"Keras learning_rate = {user['learning_rate']:g} x {self.factor:g} = "
                       f"{self.optimizer['learning_rate']:g}")
        else:
            implied = f"Keras epsilon = {self.optimizer['epsilon']:g} (gradient factor {self.factor:g})"
        return "conventions: " + "; ".join(parts) + f" -> {implied}"


def wrap(net: Any, **spec: Any) -> Wrapped:
    """``net`` with the protocol's five methods (:class:`Wrapped`'s arguments: ``layers``, ``activations``,
    ``train(net, batch)`` or ``train(net, X, Y)``, ``predict(net, X)``, ``learning_rate``, optional
    ``optimizer``, ``optimizer_params``, ``loss``, ``conventions``, ``batch_size``, ``dtype``)."""
    return Wrapped(net, **spec)
