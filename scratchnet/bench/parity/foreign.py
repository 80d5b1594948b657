"""Foreign networks: your own hand-written network, checked and benchmarked against Keras.

The protocol (duck typing: no base class; every part is checked and a violation raises
:class:`ForeignError` naming it). A foreign network is any object with these methods:

``describe() -> dict``
    What the network is, so that an equivalent Keras model can be built::

        {"input_dim": 2,                                     # int >= 1
         "layers": [{"units": 3, "activation": "sigmoid", "use_bias": True},
                    {"units": 1, "activation": "sigmoid", "use_bias": True}],   # output last
         "loss": "mse",                                      # a Keras loss name
         "optimizer": {"name": "sgd", "learning_rate": 0.05},  # sgd | adam | rmsprop + Keras' names
         "dtype": "float64"}                                 # float32 | float64

    ``use_bias`` defaults to true. Activations: linear, sigmoid, tanh, relu, leaky_relu,
    softmax. Losses: mse / mean_squared_error, mae / mean_absolute_error,
    binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy.
    Optimizer hyper-parameters take Keras' names and defaults: sgd(learning_rate=0.01,
    momentum=0.0, nesterov=False), adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999,
    epsilon=1e-7), rmsprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7).
``get_weights() -> list[np.ndarray]``
    Keras' order and layout: per layer the kernel ``(inputs, units)`` then, when the layer
    has a bias, the bias ``(units,)``. Return copies (or arrays your training replaces, not
    mutates in place): the harness keeps what it is given to compare later steps.
``set_weights(weights)``
    Take a list in the same order and layout (the harness passes float arrays of the
    described dtype) and use those values from now on.
``train_on_batch(x, y)``
    One optimizer step on this batch: ``x`` is ``(rows, input_dim)``, ``y`` is
    ``(rows, outputs)`` (class labels ``(rows,)`` for sparse_categorical_crossentropy),
    both in the described dtype. The return value is ignored.
``predict(x) -> np.ndarray``
    The network's outputs for ``x``, shape ``(rows, outputs)``.

A network is named on the command line as ``path/to/file.py:factory`` or
``package.module:factory``; ``factory()`` is called with no arguments and returns the
network (:func:`load_target`). Its weights are the network's own initial weights: ``check``
copies them into the Keras twin; ``run`` in parity mode overwrites them with the case's.

:func:`parse_description` validates ``describe()`` into a :class:`Description`;
:func:`twin_model` builds the equivalent compiled scratchnet ``Sequential``, which
:func:`scratchnet.bench.parity.keras_twin.to_keras` turns into the Keras twin (so the twin has
exactly the float64 handling of the parity gate). :class:`ForeignNet` wraps a loaded network
and checks every value it returns. Importing this module imports neither TensorFlow nor Keras.
"""
from __future__ import annotations

import importlib
import importlib.util
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import scratchnet as sn

from scratchnet.bench.parity.keras_twin import KERAS_ACTIVATIONS

__all__ = ["ForeignError", "LayerSpec", "Description", "ForeignNet", "PROTOCOL_METHODS", "OPTIMIZER_PARAMS",
           "load_target", "load_foreign", "parse_description", "twin_model", "default_label", "is_target",
           "weight_labels"]

PROTOCOL_METHODS = ("describe", "get_weights", "set_weights", "train_on_batch", "predict")
DTYPES = ("float32", "float64")
# optimizer name -> accepted hyper-parameters (Keras' names) and their kinds
OPTIMIZER_PARAMS: dict[str, dict[str, type]] = {
    "sgd": {"learning_rate": float, "momentum": float, "nesterov": bool},
    "adam": {"learning_rate": float, "beta_1": float, "beta_2": float, "epsilon": float},
    "rmsprop": {"learning_rate": float, "rho": float, "momentum": float, "epsilon": float},
}
_OPTIMIZER_CLASSES = {"sgd": sn.SGD, "adam": sn.Adam, "rmsprop": sn.RMSprop}
_DESCRIBE_KEYS = ("input_dim", "layers", "loss", "optimizer", "dtype")
_LAYER_KEYS = ("units", "activation", "use_bias")


class ForeignError(ValueError):
    """A foreign network (or its target string) does not follow the protocol; the message says where."""


@dataclass(frozen=True)
class LayerSpec:
    """One Dense layer of a foreign network."""

    units: int
    activation: str
    use_bias: bool = True


@dataclass(frozen=True)
class Description:
    """A validated ``describe()``."""

    input_dim: int
    layers: tuple[LayerSpec, ...]
    loss: str
    optimizer: str
    optimizer_params: tuple[tuple[str, float | bool], ...]
    dtype: str

    @property
    def units(self) -> tuple[int, ...]:
        return tuple(layer.units for layer in self.layers)

    @property
    def activations(self) -> tuple[str, ...]:
        return tuple(layer.activation for layer in self.layers)

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].units

    def weight_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """``("layer 1 kernel", (inputs, units))``, ``("layer 1 bias", (units,))``, ... in order."""
        shapes, fan_in = [], self.input_dim
        for i, layer in enumerate(self.layers, start=1):
            shapes.append((f"layer {i} kernel", (fan_in, layer.units)))
            if layer.use_bias:
                shapes.append((f"layer {i} bias", (layer.units,)))
            fan_in = layer.units
        return shapes

    def label(self) -> str:
        """``"2-3-1 sigmoid/sigmoid, mse, sgd(learning_rate=0.05), float64"``."""
        arch = "-".join(str(u) for u in (self.input_dim, *self.units))
        bias = "" if all(layer.use_bias for layer in self.layers) else (
            ", no bias" if not any(layer.use_bias for layer in self.layers) else ", some layers without bias")
        params = ", ".join(f"{k}={v}" for k, v in self.optimizer_params)
        return f"{arch} {'/'.join(self.activations)}{bias}, {self.loss}, {self.optimizer}({params}), {self.dtype}"


def weight_labels(desc: Description) -> list[str]:
    """The names used in messages: ``layer 1 kernel``, ``layer 1 bias``, ..."""
    return [name for name, _ in desc.weight_shapes()]


# -- describe() ----------------------------------------------------------------------------
def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ForeignError(f"{where} must be an integer >= 1, got {value!r}")
    return int(value)


def _parse_layer(i: int, spec: Any) -> LayerSpec:
    where = f"describe()['layers'][{i}]"
    if not isinstance(spec, dict):
        raise ForeignError(f"{where} must be a dict with keys {list(_LAYER_KEYS)}, got {type(spec).__name__}")
    unknown = sorted(set(spec) - set(_LAYER_KEYS))
    if unknown:
        raise ForeignError(f"{where} has unknown key(s) {unknown}; a layer takes {list(_LAYER_KEYS)}")
    for key in ("units", "activation"):
        if key not in spec:
            raise ForeignError(f"{where} is missing {key!r}")
    act = spec["activation"]
    if not isinstance(act, str) or act not in KERAS_ACTIVATIONS:
        raise ForeignError(f"{where}['activation'] = {act!r} has no Keras twin; "
                           f"valid: {sorted(KERAS_ACTIVATIONS)}")
    use_bias = spec.get("use_bias", True)
    if not isinstance(use_bias, (bool, np.bool_)):
        raise ForeignError(f"{where}['use_bias'] must be true or false, got {use_bias!r}")
    return LayerSpec(_int(spec["units"], f"{where}['units']"), act, bool(use_bias))


def _parse_optimizer(spec: Any) -> tuple[str, tuple[tuple[str, float | bool], ...]]:
    where = "describe()['optimizer']"
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or "name" not in spec:
        raise ForeignError(f"{where} must be a dict with a 'name' (one of {sorted(OPTIMIZER_PARAMS)}) "
                           f"and Keras' hyper-parameter names, got {spec!r}")
    name = spec["name"]
    if not isinstance(name, str) or name.lower() not in OPTIMIZER_PARAMS:
        raise ForeignError(f"{where}['name'] = {name!r} has no Keras twin; valid: {sorted(OPTIMIZER_PARAMS)}")
    name = name.lower()
    accepted = OPTIMIZER_PARAMS[name]
    params: list[tuple[str, float | bool]] = []
    for key, value in spec.items():
        if key == "name":
            continue
        if key not in accepted:
            raise ForeignError(f"{where}: {name} has no hyper-parameter {key!r}; Keras' names: {sorted(accepted)}")
        if accepted[key] is bool:
            if not isinstance(value, (bool, np.bool_)):
                raise ForeignError(f"{where}['{key}'] must be true or false, got {value!r}")
            params.append((key, bool(value)))
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(float(value)):
                raise ForeignError(f"{where}['{key}'] must be a finite number, got {value!r}")
            params.append((key, float(value)))
    try:
        _OPTIMIZER_CLASSES[name](**dict(params))
    except (ValueError, TypeError) as exc:
        raise ForeignError(f"{where}: {exc}") from None
    return name, tuple(params)


def parse_description(desc: Any) -> Description:
    """Validate a ``describe()`` result (see the module docstring); ForeignError names the bad key."""
    if not isinstance(desc, dict):
        raise ForeignError(f"describe() must return a dict with keys {list(_DESCRIBE_KEYS)}, "
                           f"got {type(desc).__name__}")
    missing = [k for k in _DESCRIBE_KEYS if k not in desc]
    if missing:
        raise ForeignError(f"describe() is missing key(s) {missing}; it needs {list(_DESCRIBE_KEYS)}")
    unknown = sorted(set(desc) - set(_DESCRIBE_KEYS))
    if unknown:
        raise ForeignError(f"describe() has unknown key(s) {unknown}; valid keys: {list(_DESCRIBE_KEYS)}")
    layers = desc["layers"]
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ForeignError(f"describe()['layers'] must be a non-empty list of layer dicts, got {layers!r}")
    loss = desc["loss"]
    if not isinstance(loss, str) or loss not in sn.losses.LOSSES:
        raise ForeignError(f"describe()['loss'] = {loss!r} has no Keras twin; valid: {sorted(sn.losses.LOSSES)}")
    dtype = desc["dtype"]
    if dtype not in DTYPES:
        raise ForeignError(f"describe()['dtype'] must be one of {list(DTYPES)}, got {dtype!r}")
    optimizer, params = _parse_optimizer(desc["optimizer"])
    return Description(_int(desc["input_dim"], "describe()['input_dim']"),
                       tuple(_parse_layer(i, spec) for i, spec in enumerate(layers)),
                       loss, optimizer, params, str(dtype))


def twin_model(desc: Description, dtype: str | None = None, name: str = "foreign") -> sn.Sequential:
    """The compiled, built scratchnet ``Sequential`` equivalent to ``desc`` (layers ``dense_1``...).

    Its weights are placeholders (seed 0): set the foreign network's before building a twin.
    """
    layers: list = [sn.Input((desc.input_dim,))]
    for i, layer in enumerate(desc.layers, start=1):
        layers.append(sn.Dense(layer.units, layer.activation, use_bias=layer.use_bias, name=f"dense_{i}"))
    model = sn.Sequential(layers, dtype=dtype or desc.dtype, seed=0, name=re.sub(r"[^A-Za-z0-9_.-]", "_", name))
    model.compile(_OPTIMIZER_CLASSES[desc.optimizer](**dict(desc.optimizer_params)), desc.loss)
    model.build()
    return model


# -- loading -------------------------------------------------------------------------------
_TARGET = re.compile(r"^(?P<where>.+):(?P<factory>[A-Za-z_][A-Za-z0-9_]*)$")


def is_target(text: str) -> bool:
    """True when ``text`` looks like ``file.py:factory`` or ``package.module:factory``."""
    return bool(_TARGET.match(text))


def _split_target(target: str) -> tuple[str, str]:
    m = _TARGET.match(target)
    if not m:
        raise ForeignError(f"network target {target!r} must look like path/to/file.py:factory "
                           "or package.module:factory")
    return m["where"], m["factory"]


def default_label(target: str) -> str:
    """The framework label of ``target``: the file's stem (``examples/net.py:f`` -> ``net``)
    or the module's last part."""
    where, _ = _split_target(target)
    stem = Path(where).stem if where.endswith(".py") else where.rsplit(".", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem)


def load_target(target: str) -> Callable[[], Any]:
    """Import the factory named by ``target`` (``file.py:factory`` or ``package.module:factory``)."""
    where, factory = _split_target(target)
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise ForeignError(f"network target {target!r}: no such file {where}")
        mod_name = f"_scratchnet_foreign_{re.sub(r'[^A-Za-z0-9_]', '_', str(path.resolve()))}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module  # dataclasses and pickling look modules up by name
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(mod_name, None)
            raise ForeignError(f"network target {target!r}: importing {where} raised "
                               f"{type(exc).__name__}: {exc}") from exc
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise ForeignError(f"network target {target!r}: cannot import module {where!r} ({exc})") from exc
    fn = getattr(module, factory, None)
    if fn is None:
        names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise ForeignError(f"network target {target!r}: {where} has no {factory!r}; callables there: {names}")
    if not callable(fn):
        raise ForeignError(f"network target {target!r}: {factory!r} is a {type(fn).__name__}, not a callable")
    return fn


def load_foreign(target: str) -> ForeignNet:
    """Import ``target``, call its factory and wrap the network (protocol checked)."""
    factory = load_target(target)
    try:
        obj = factory()
    except Exception as exc:
        raise ForeignError(f"network target {target!r}: {getattr(factory, '__name__', 'factory')}() raised "
                           f"{type(exc).__name__}: {exc}") from exc
    return ForeignNet(obj, target)


# -- the checked wrapper ---------------------------------------------------------------------
class ForeignNet:
    """A foreign network behind checks: every call's result is validated against ``describe()``.

    Exceptions raised by the network's own code become :class:`ForeignError` naming the method.
    """

    def __init__(self, obj: Any, target: str = "<object>") -> None:
        missing = [m for m in PROTOCOL_METHODS if not callable(getattr(obj, m, None))]
        if missing:
            raise ForeignError(f"{target}: the network ({type(obj).__name__}) lacks method(s) {missing}; "
                               f"the protocol needs {list(PROTOCOL_METHODS)}")
        self.obj, self.target = obj, target
        self.description = parse_description(self._call("describe"))
        self.shapes = self.description.weight_shapes()
        self.get_weights()  # fail early on a layout that does not match describe()

    def _call(self, method: str, *args):
        try:
            return getattr(self.obj, method)(*args)
        except ForeignError:
            raise
        except Exception as exc:
            raise ForeignError(f"{self.target}: {method}() raised {type(exc).__name__}: {exc}") from exc

    def get_weights(self) -> list[np.ndarray]:
        """The network's weights as float64 copies, checked against ``describe()``'s shapes."""
        weights = self._call("get_weights")
        if not isinstance(weights, (list, tuple)):
            raise ForeignError(f"{self.target}: get_weights() must return a list of arrays, "
                               f"got {type(weights).__name__}")
        expected = ", ".join(f"{n} {s}" for n, s in self.shapes)
        if len(weights) != len(self.shapes):
            got = ", ".join(str(np.shape(w)) for w in weights)
            raise ForeignError(f"{self.target}: get_weights() returned {len(weights)} array(s) [{got}] but "
                               f"describe() implies {len(self.shapes)}: {expected} (kernel (inputs, units) "
                               "then bias (units,) per layer; no bias array where use_bias is false)")
        out = []
        for (name, shape), w in zip(self.shapes, weights):
            arr = np.asarray(w)
            if arr.shape != shape:
                hint = " (transposed? Keras' kernel is (inputs, units))" if arr.shape == shape[::-1] else ""
                raise ForeignError(f"{self.target}: get_weights(): {name} has shape {arr.shape}, "
                                   f"describe() implies {shape}{hint}")
            if arr.dtype.kind not in "fiu":
                raise ForeignError(f"{self.target}: get_weights(): {name} has dtype {arr.dtype}, not numeric")
            out.append(np.array(arr, dtype=np.float64))
        return out

    def set_weights(self, weights: list[np.ndarray], dtype: str | None = None) -> None:
        """Give the network ``weights`` (copies in ``dtype``, default the described one) and check
        that ``get_weights()`` then returns them."""
        dt = np.dtype(dtype or self.description.dtype)
        copies = [np.array(w, dtype=dt) for w in weights]
        self._call("set_weights", copies)
        back = self.get_weights()
        for (name, _), want, got in zip(self.shapes, copies, back):
            if not np.array_equal(np.asarray(want, np.float64), got):
                raise ForeignError(f"{self.target}: after set_weights(), get_weights() returns a different "
                                   f"{name} (set_weights must store the values it is given)")

    def train_on_batch(self, x: np.ndarray, y: np.ndarray) -> None:
        self._call("train_on_batch", x, y)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions checked to be ``(rows, outputs)``."""
        out = np.asarray(self._call("predict", x))
        want = (x.shape[0], self.description.n_outputs)
        if out.shape != want:
            raise ForeignError(f"{self.target}: predict() returned shape {out.shape}, expected {want} "
                               "(rows, outputs)")
        return out



def case_mismatches(desc: Description, case: Any, n_features: int | None = None) -> list[str]:
    """How ``desc`` differs from ``case`` (a :class:`~scratchnet.bench.cases.Case`); empty when
    the network is the case's model (layers, activations, bias, loss, optimizer, dtype)."""
    out = []
    if n_features is not None and desc.input_dim != n_features:
        out.append(f"input_dim {desc.input_dim} vs the data's {n_features} feature(s)")
    if desc.units != tuple(case.units):
        out.append(f"layer units {list(desc.units)} vs the case's {list(case.units)}")
    if desc.activations != tuple(case.activations):
        out.append(f"activations {list(desc.activations)} vs the case's {list(case.activations)}")
    if any(layer.use_bias != case.use_bias for layer in desc.layers):
        out.append(f"use_bias {[layer.use_bias for layer in desc.layers]} vs the case's {case.use_bias}")
    if sn.losses.LOSSES[desc.loss] is not sn.losses.LOSSES.get(case.loss):
        out.append(f"loss {desc.loss!r} vs the case's {case.loss!r}")
    ours = _OPTIMIZER_CLASSES[desc.optimizer](**dict(desc.optimizer_params)).get_config()
    theirs = _OPTIMIZER_CLASSES[case.optimizer](**dict(case.optimizer_params)).get_config()
    if ours != theirs:
        out.append(f"optimizer {ours} vs the case's {theirs}")
    if desc.dtype != case.dtype:
        out.append(f"dtype {desc.dtype} vs the case's {case.dtype}")
    return out
