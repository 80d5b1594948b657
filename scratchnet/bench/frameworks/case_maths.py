"""The case's training maths in plain terms, for contenders that rebuild it by hand (tf-loop, torch).

:func:`case_maths` reads a :class:`~scratchnet.bench.cases.Case` into a :class:`CaseMaths`:
the dense layers (units, activation, bias), the loss in its canonical name and whether Keras
*fuses* it with the output activation, and the optimizer's full hyper-parameters (the case's
values over scratchnet's -- which are Keras' -- defaults). It also holds the constants of
Keras 3's update rules exactly as Keras' TensorFlow backend rounds them
(:func:`keras_constants`):

* SGD's momentum is rounded to float32 (``ops.cast`` of a Python float goes through a
  float32 tensor); the learning rate is held in the model's dtype;
* RMSprop: ``rho``, ``1 - rho`` and ``epsilon`` are Python floats applied in the model's dtype;
* Adam: the betas used in the bias-correction *powers* are float32-rounded, ``1 - beta`` and
  ``epsilon`` are Python floats in the model's dtype.

Fusion (Keras 3, TensorFlow backend): when the last layer's activation is a sigmoid and the
loss binary cross-entropy, or a softmax and a categorical / sparse categorical cross-entropy,
Keras computes the loss from the pre-activation logits (no 1e-7 clipping); scratchnet does the
same. Any other pairing uses the probabilities, clipped to ``[1e-7, 1 - 1e-7]``.

Nothing here imports TensorFlow or PyTorch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scratchnet import losses as _losses
from scratchnet import optimizers as _optimizers
from scratchnet.bench.cases.registry import Case

LOSS_NAMES = {cls: cls.name for cls in set(_losses.LOSSES.values())}
FUSED = {("sigmoid", "binary_crossentropy"), ("softmax", "categorical_crossentropy"),
         ("softmax", "sparse_categorical_crossentropy")}
EPSILON = _losses.EPSILON
HIDDEN_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax")
OPTIMIZER_CLASSES = {"sgd": _optimizers.SGD, "adam": _optimizers.Adam, "rmsprop": _optimizers.RMSprop}


@dataclass(frozen=True)
class LayerSpec:
    units: int
    activation: str
    use_bias: bool


@dataclass(frozen=True)
class CaseMaths:
    layers: tuple[LayerSpec, ...]
    loss: str          # canonical name, e.g. "mean_squared_error"
    fused: bool        # the loss reads the last layer's logits (module docstring)
    optimizer: str     # "sgd" | "adam" | "rmsprop"
    hyper: dict        # every hyper-parameter of the optimizer, defaults filled in
    dtype: str

    @property
    def output_activation(self) -> str:
        return self.layers[-1].activation


def case_maths(case: Case) -> CaseMaths:
    """The case's layers, loss, fusion and optimizer (ValueError on a name scratchnet lacks)."""
    if case.loss not in _losses.LOSSES:
        raise ValueError(f"case {case.name}: unknown loss {case.loss!r}")
    if case.optimizer not in OPTIMIZER_CLASSES:
        raise ValueError(f"case {case.name}: unknown optimizer {case.optimizer!r}")
    loss = LOSS_NAMES[_losses.LOSSES[case.loss]]
    layers = tuple(LayerSpec(int(u), str(a), bool(case.use_bias)) for u, a in zip(case.units, case.activations))
    hyper = OPTIMIZER_CLASSES[case.optimizer](**dict(case.optimizer_params)).get_config()
    hyper.pop("name", None)
    return CaseMaths(layers, loss, (layers[-1].activation, loss) in FUSED, case.optimizer, hyper, case.dtype)


def unsupported_activation(maths: CaseMaths, available: tuple[str, ...], who: str) -> str | None:
    """A reason when a layer uses an activation ``who`` does not build here (None otherwise)."""
    for i, layer in enumerate(maths.layers):
        if layer.activation not in available:
            return f"{who} has no {layer.activation} activation here (layer {i + 1})"
    return None


def keras_constants(maths: CaseMaths) -> dict[str, float]:
    """The optimizer's constants as Keras 3 applies them (module docstring); floats whose
    value, converted to the case's dtype, is exactly the operand Keras multiplies by."""
    h, f32 = maths.hyper, (lambda x: float(np.float32(x)))
    if maths.optimizer == "sgd":
        return {"learning_rate": h["learning_rate"], "momentum": f32(h["momentum"]),
                "nesterov": bool(h["nesterov"])}
    if maths.optimizer == "rmsprop":
        return {"learning_rate": h["learning_rate"], "rho": h["rho"], "one_minus_rho": 1.0 - h["rho"],
                "momentum": h["momentum"], "epsilon": h["epsilon"]}
    return {"learning_rate": h["learning_rate"], "beta_1_power_base": f32(h["beta_1"]),
            "beta_2_power_base": f32(h["beta_2"]), "one_minus_beta_1": 1.0 - h["beta_1"],
            "one_minus_beta_2": 1.0 - h["beta_2"], "epsilon": h["epsilon"]}
