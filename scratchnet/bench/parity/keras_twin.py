"""Build the Keras twin of a compiled scratchnet ``Sequential``: same maths, same weights.

Contract of :func:`to_keras`:

* Input: a *built* and *compiled* :class:`scratchnet.Sequential` whose optimizer has not
  stepped yet (``optimizer.iterations == 0``).
* Output: a compiled ``keras.Model`` (``keras.Sequential``) with

  - ``keras.Input((n_features,))`` then, layer for layer, ``keras.layers.Dense`` (units,
    activation name, ``use_bias``, same layer name) and ``keras.layers.Activation``;
  - the scratchnet weights copied with ``set_weights`` (exact: same layout, kernel
    (inputs, units) then bias (units,));
  - the same loss class (``from_logits`` included), built in the model's dtype;
  - the same optimizer class and hyper-parameters (SGD learning_rate/momentum/nesterov,
    Adam learning_rate/beta_1/beta_2/epsilon, RMSprop learning_rate/rho/momentum/epsilon),
    built on the model's variables while the floatx is the model's dtype;
  - the same dtype: for a float64 model ``keras.config.set_floatx("float64")`` is in force
    while the model, the loss and the optimizer are built, and the previous floatx is
    restored afterwards (always, even on error);
  - ``jit_compile`` and ``steps_per_execution`` as given (defaults ``False`` and 1), no metrics.
    ``jit_compile="auto"`` is Keras' own default; Keras resolves it to ``False`` on a CPU-only
    machine and while op determinism is enabled (below). ``jit_compile=True`` is honoured even so (Keras alone would drop it
    with a warning while op determinism is on; see the comment in :func:`to_keras`).

* Using the twin: Keras' array data adapter casts float inputs to the *current* floatx, so
  ``fit``/``evaluate``/``predict`` of a float64 twin must run inside
  ``with keras_floatx("float64"):`` (outside it x and y are rounded to float32 and the
  float64 agreement drops from ~1e-16 to ~1e-10).
* Determinism: ``keras.utils.set_random_seed(0)`` on every call (this also reseeds Python's
  ``random`` and NumPy's global generator) and
  ``tf.config.experimental.enable_op_determinism()`` once per process.
* Compiled metrics of the scratchnet model are **ignored**: the twin exists to compare the
  training maths (loss, gradients, updates), and metrics do not change it.
* Anything without an exact Keras equivalent is refused with :class:`TwinError` (a
  ``ValueError``) naming the offending part: an uncompiled or unbuilt model, a layer that
  is not exactly ``Dense``/``Activation`` (subclasses included: they may change the maths),
  an unknown activation name, a loss or optimizer class that is not one of scratchnet's own
  (subclasses included), and an optimizer that already has iterations (its state is not
  carried over: compile the model again to reset it).

TensorFlow and Keras are imported lazily, inside the functions: importing this module
imports neither.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from scratchnet import layers as _layers
from scratchnet import losses as _losses
from scratchnet import optimizers as _optimizers

if TYPE_CHECKING:  # pragma: no cover - typing only
    import keras

    from scratchnet.model import Sequential

__all__ = ["TwinError", "to_keras", "keras_floatx", "keras_available", "import_keras", "import_tensorflow",
           "check_mirrorable", "weight_names", "KERAS_LOSSES", "KERAS_ACTIVATIONS"]

INSTALL_HINT = "install the benchmark extras: pip install -e .[bench]"

# scratchnet activation name -> Keras activation name (identical maths). leaky_relu: both
# use the slope 0.2, but TensorFlow's LeakyRelu op stores it as a float32 attribute, so in a
# float64 model Keras multiplies by float32(0.2) = 0.20000000298 while scratchnet uses 0.2:
# float64 leaky_relu nets differ at ~1e-8 relative and fail the float64 parity gate.
KERAS_ACTIVATIONS: dict[str, str] = {
    "linear": "linear",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "leaky_relu": "leaky_relu",
    "softmax": "softmax",
}

# scratchnet loss class -> name of the keras.losses class with the same reduction and maths.
KERAS_LOSSES: dict[type, str] = {
    _losses.MeanSquaredError: "MeanSquaredError",
    _losses.MeanAbsoluteError: "MeanAbsoluteError",
    _losses.BinaryCrossentropy: "BinaryCrossentropy",
    _losses.CategoricalCrossentropy: "CategoricalCrossentropy",
    _losses.SparseCategoricalCrossentropy: "SparseCategoricalCrossentropy",
}

_OPTIMIZERS: tuple[type, ...] = (_optimizers.SGD, _optimizers.Adam, _optimizers.RMSprop)

_DETERMINISM_ENABLED = False


class TwinError(ValueError):
    """The scratchnet model has no exact Keras equivalent (or is not ready to be mirrored)."""


# -- imports ---------------------------------------------------------------------------
def keras_available() -> bool:
    """True when both ``keras`` and ``tensorflow`` can be imported (neither is imported here)."""
    try:
        return (importlib.util.find_spec("keras") is not None
                and importlib.util.find_spec("tensorflow") is not None)
    except (ImportError, ValueError):
        return False


def keras_missing() -> str | None:
    """None when TensorFlow/Keras are installed, else the one-line reason a contender built on them
    is recorded ``unsupported`` with (it names the install command)."""
    from scratchnet.bench.store.schema import NOT_INSTALLED_PHRASE

    return None if keras_available() else f"TensorFlow/Keras {NOT_INSTALLED_PHRASE} (pip install -e .[bench])"


def import_tensorflow() -> ModuleType:
    """Import TensorFlow quietly (``TF_CPP_MIN_LOG_LEVEL=2`` unless already set)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise ImportError(f"the Keras comparison needs TensorFlow, which could not be imported "
                          f"({exc}); {INSTALL_HINT}") from exc
    return tf


def import_keras() -> ModuleType:
    """Import and return ``keras`` (TensorFlow backend), with a clear ImportError if missing.

    Sets ``TF_CPP_MIN_LOG_LEVEL=2`` when it is unset, imports TensorFlow first, and refuses a
    Keras configured with another backend (the twin's gradients use ``tf.GradientTape``).
    """
    import_tensorflow()
    try:
        import keras
    except ImportError as exc:
        raise ImportError(f"the Keras comparison needs Keras 3, which could not be imported "
                          f"({exc}); {INSTALL_HINT}") from exc
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise ImportError(f"the Keras comparison needs Keras' TensorFlow backend, but Keras uses "
                          f"{backend!r}; set KERAS_BACKEND=tensorflow")
    return keras


def _enable_determinism(tf: ModuleType) -> None:
    global _DETERMINISM_ENABLED
    if not _DETERMINISM_ENABLED:
        tf.config.experimental.enable_op_determinism()
        _DETERMINISM_ENABLED = True


@contextlib.contextmanager
def keras_floatx(dtype: str) -> Iterator[None]:
    """Set Keras' floatx to ``dtype`` inside the block and restore the previous one after."""
    keras = import_keras()
    previous = keras.config.floatx()
    keras.config.set_floatx(str(dtype))
    try:
        yield
    finally:
        keras.config.set_floatx(previous)


# -- checks ----------------------------------------------------------------------------
def weight_names(model: Sequential) -> list[str]:
    """``"layer/kernel"``, ``"layer/bias"`` for each weight, in ``get_weights()`` order."""
    names = []
    for layer in model.layers:
        if isinstance(layer, _layers.Dense):
            names.append(f"{layer.name}/kernel")
            if layer.use_bias:
                names.append(f"{layer.name}/bias")
    return names


def check_mirrorable(model: Any, *, require_built: bool = True) -> None:
    """Raise :class:`TwinError` unless ``to_keras(model)`` can build an exact twin.

    ``require_built=False`` accepts a model that is not built yet (everything else is checked).
    """
    from scratchnet.model import Sequential

    if type(model) is not Sequential:
        raise TwinError(f"only scratchnet.Sequential models can be mirrored in Keras, "
                        f"got {type(model).__name__}")
    if model.optimizer is None or model.loss is None:
        raise TwinError("the model is not compiled: call model.compile(optimizer, loss) first")
    if require_built and not model.built:
        raise TwinError("the model is not built: start it with Input((n_features,)) or call "
                        "model.build(n_features) first")
    for i, layer in enumerate(model.layers):
        kind = type(layer)
        if kind not in (_layers.Dense, _layers.Activation):
            raise TwinError(f"layer {i} ({layer.name!r}) is a {kind.__name__}: only scratchnet's own "
                            "Dense and Activation layers have an exact Keras equivalent")
        act = layer.activation.name
        if act not in KERAS_ACTIVATIONS:
            raise TwinError(f"layer {layer.name!r} uses activation {act!r}, which has no Keras "
                            f"equivalent here; mirrored activations: {sorted(KERAS_ACTIVATIONS)}")
        if isinstance(layer.name, str) and "/" in layer.name:
            raise TwinError(f"layer name {layer.name!r} contains '/', which Keras does not allow")
    if type(model.loss) not in KERAS_LOSSES:
        raise TwinError(f"loss {type(model.loss).__name__} has no exact Keras equivalent; mirrored "
                        f"losses: {sorted(cls.__name__ for cls in KERAS_LOSSES)}")
    opt = model.optimizer
    if type(opt) not in _OPTIMIZERS:
        raise TwinError(f"optimizer {type(opt).__name__} has no exact Keras equivalent; mirrored "
                        f"optimizers: {[cls.__name__ for cls in _OPTIMIZERS]}")
    if opt.iterations > 0:
        raise TwinError(f"the model's {type(opt).__name__} optimizer has already taken "
                        f"{opt.iterations} step(s); its state is not copied to Keras, so the twin "
                        "would not be equivalent -- compile the model again to start from zero")


# -- construction ----------------------------------------------------------------------
def _keras_optimizer(keras: ModuleType, opt: _optimizers.Optimizer):
    lr = float(opt.learning_rate)
    if type(opt) is _optimizers.SGD:
        return keras.optimizers.SGD(learning_rate=lr, momentum=float(opt.momentum),
                                    nesterov=bool(opt.nesterov))
    if type(opt) is _optimizers.Adam:
        return keras.optimizers.Adam(learning_rate=lr, beta_1=float(opt.beta_1),
                                     beta_2=float(opt.beta_2), epsilon=float(opt.epsilon),
                                     amsgrad=False)
    if type(opt) is _optimizers.RMSprop:
        return keras.optimizers.RMSprop(learning_rate=lr, rho=float(opt.rho),
                                        momentum=float(opt.momentum), epsilon=float(opt.epsilon),
                                        centered=False)
    raise TwinError(f"optimizer {type(opt).__name__} has no exact Keras equivalent")  # pragma: no cover


def _keras_loss(keras: ModuleType, loss: _losses.Loss, dtype: str):
    cls = getattr(keras.losses, KERAS_LOSSES[type(loss)])
    if type(loss) in (_losses.MeanSquaredError, _losses.MeanAbsoluteError):
        if loss.from_logits:
            raise TwinError(f"{type(loss).__name__}(from_logits=True) has no Keras equivalent")
        return cls(dtype=dtype)
    return cls(from_logits=bool(loss.from_logits), dtype=dtype)


def to_keras(model: Sequential, *, steps_per_execution: int = 1,
             jit_compile: bool | str = False) -> keras.Model:
    """Return a compiled Keras model equivalent to ``model`` (see the module docstring).

    Raises:
        TwinError: the model cannot be mirrored exactly (the message says why).
        ImportError: TensorFlow/Keras are not installed.
    """
    check_mirrorable(model)
    if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) \
            or steps_per_execution < 1:
        raise ValueError(f"steps_per_execution must be an integer >= 1, got {steps_per_execution!r}")
    if not isinstance(jit_compile, bool) and jit_compile != "auto":
        raise ValueError(f"jit_compile must be True, False or 'auto', got {jit_compile!r}")
    keras = import_keras()
    tf = import_tensorflow()
    keras.utils.set_random_seed(0)
    _enable_determinism(tf)
    dtype = str(model.dtype)
    with keras_floatx(dtype):
        layers: list = [keras.Input((model.input_dim,), dtype=dtype)]
        for layer in model.layers:
            act = KERAS_ACTIVATIONS[layer.activation.name]
            if type(layer) is _layers.Dense:
                layers.append(keras.layers.Dense(layer.units, activation=act, use_bias=layer.use_bias,
                                                 name=layer.name, dtype=dtype))
            else:
                layers.append(keras.layers.Activation(act, name=layer.name, dtype=dtype))
        try:
            twin = keras.Sequential(layers, name=model.name)
        except ValueError as exc:
            raise TwinError(f"Keras could not build the twin of {model.name!r}: {exc}") from exc
        weights = model.get_weights()
        twin.set_weights(weights)
        optimizer = _keras_optimizer(keras, model.optimizer)
        optimizer.build(twin.trainable_variables)  # moments in the model's dtype
        with warnings.catch_warnings():  # Keras' "doesn't support jit_compile": handled below
            warnings.filterwarnings("ignore", message=".*jit_compile.*", category=UserWarning)
            twin.compile(optimizer=optimizer, loss=_keras_loss(keras, model.loss, dtype),
                         jit_compile=jit_compile, steps_per_execution=steps_per_execution)
        if jit_compile is True and twin.jit_compile is not True:
            # Keras turns XLA off (with a warning) while op determinism is enabled, because some
            # ops lack deterministic XLA kernels on GPU. The twin's Dense/Activation ops on CPU
            # are deterministic under XLA; the parity gate checks that maths like any other.
            twin._jit_compile = True
    # set_weights must be exact: same layout, same dtype.
    for name, mine, theirs in zip(weight_names(model), weights, twin.get_weights()):
        if theirs.dtype != mine.dtype or theirs.shape != mine.shape or (theirs != mine).any():
            raise TwinError(f"copying {name} to Keras was not exact "
                            f"(scratchnet {mine.dtype}{mine.shape}, keras {theirs.dtype}{theirs.shape})")
    return twin
