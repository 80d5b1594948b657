"""The reference loop: a minimal hand-written NumPy training loop, the yardstick for scratchnet.

This is the loop a tutorial writes (forward through a list of layers, the loss gradient,
back-propagation, the update) with no framework around it: no validation, no callbacks,
no buffers, no history. scratchnet's *framework tax* is its epoch time divided by this
loop's epoch time on the same rows in the same process (see :mod:`scratchnet.bench.measures.overhead`).

Contract:

* :func:`unsupported_reason(case)` is ``None`` when the loop expresses the case, else why not.
* :meth:`ReferenceLoop.from_model(model)` copies a compiled scratchnet model's weights,
  activations, loss and optimizer hyper-parameters (nothing is shared with the model).
* :meth:`ReferenceLoop.train_epoch(X, Y, batch_size)` runs one epoch over the rows in order
  (X (N, features), Y (N, outputs), both in the model's dtype); ``weights()`` returns the
  weights in ``get_weights()`` order.

The maths is the same as scratchnet's and Keras' (the optimizers' forms are Keras' own, with
beta_1 and beta_2 rounded to float32 for Adam's bias-correction powers), written the plain
way; in float64 it agrees with scratchnet to rounding (tests/bench/test_reference_loop.py).
Expressible: Dense layers with linear/sigmoid/tanh/relu/leaky_relu activations, mse/mae,
binary cross-entropy after a sigmoid output, categorical cross-entropy after a softmax output,
SGD (momentum, Nesterov), RMSprop (momentum) and Adam.
"""
from __future__ import annotations

import numpy as np

from scratchnet.activations import LEAKY_RELU_SLOPE

Array = np.ndarray

# activation: (a = f(z), da/dz from z and a)
_ACTIVATIONS = {
    "linear": (lambda z: z, lambda z, a: 1.0),
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), lambda z, a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: z > 0),
    "leaky_relu": (lambda z: np.where(z > 0, z, z * z.dtype.type(LEAKY_RELU_SLOPE)),
                   lambda z, a: np.where(z > 0, 1.0, z.dtype.type(LEAKY_RELU_SLOPE))),
}
# loss -> the output activation it is fused with (its gradient is then taken w.r.t. the logits)
_FUSED = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax"}
_LOSSES = ("mse", "mean_squared_error", "mae", "mean_absolute_error", *_FUSED)
_OPTIMIZERS = ("sgd", "adam", "rmsprop")


def unsupported_reason(case) -> str | None:
    """``None`` when :class:`ReferenceLoop` can train ``case`` (a Case), else the reason."""
    acts = list(case.activations)
    if case.loss not in _LOSSES:
        return f"loss {case.loss!r} is not in the reference loop (it knows {sorted(_LOSSES)})"
    if case.optimizer not in _OPTIMIZERS:
        return f"optimizer {case.optimizer!r} is not in the reference loop"
    if case.loss in _FUSED and acts[-1] != _FUSED[case.loss]:
        return f"{case.loss} without a {_FUSED[case.loss]} output layer"
    output_ok = acts[-1] in _ACTIVATIONS or (case.loss in _FUSED and acts[-1] == _FUSED[case.loss])
    if not output_ok or any(a not in _ACTIVATIONS for a in acts[:-1]):
        return f"activations {acts} are not all in the reference loop"
    return None


class ReferenceLoop:
    """A dense net as plain lists of kernels and biases, trained by a tutorial-style loop."""

    def __init__(self, kernels: list[Array], biases: list[Array | None], activations: list[str],
                 loss: str, optimizer: str, optimizer_params: dict, dtype) -> None:
        self.dtype = np.dtype(dtype)
        self.kernels = [np.array(k, dtype=self.dtype) for k in kernels]
        self.biases = [None if b is None else np.array(b, dtype=self.dtype) for b in biases]
        self.activations = list(activations)
        self.loss = "mse" if loss == "mean_squared_error" else "mae" if loss == "mean_absolute_error" else loss
        self.fused = _FUSED.get(self.loss) == self.activations[-1]
        self.optimizer = optimizer
        self.hp = dict(optimizer_params)
        self.t = 0
        params = [p for p in self.kernels + self.biases if p is not None]
        self.slots = {id(p): {"m": np.zeros_like(p), "v": np.zeros_like(p)} for p in params}
        self.lr = self.dtype.type(self.hp["learning_rate"])
        self.plain_sgd = optimizer == "sgd" and not self.hp.get("momentum")
        # (kernel, bias, f, f') per layer; softmax appears only fused with its cross-entropy
        self.layers = [(W, b, *_ACTIVATIONS.get(act, (_softmax, None)))
                       for W, b, act in zip(self.kernels, self.biases, self.activations)]

    @classmethod
    def from_model(cls, model) -> ReferenceLoop:
        """A reference loop holding copies of a compiled scratchnet ``model``'s weights and settings."""
        dense = [layer for layer in model.layers if hasattr(layer, "kernel")]
        if len(dense) != len(model.layers):
            raise ValueError("the reference loop knows Dense layers only (no separate Activation layers)")
        opt = model.optimizer.get_config()
        name = opt.pop("name")
        opt.pop("learning_rate")
        opt["learning_rate"] = model.optimizer.learning_rate
        return cls([layer.kernel for layer in dense], [layer.bias for layer in dense],
                   [layer.activation_name for layer in dense], model.loss.name, name, opt, model.dtype)

    def weights(self) -> list[Array]:
        """Copies of the weights in ``get_weights()`` order (kernel, bias per layer)."""
        return [w.copy() for k, b in zip(self.kernels, self.biases) for w in (k, b) if w is not None]

    def train_epoch(self, X: Array, Y: Array, batch_size: int | None) -> None:
        """One pass over the rows in order, one update per batch."""
        n = X.shape[0]
        bs = n if batch_size is None else min(batch_size, n)
        for start in range(0, n, bs):
            self.train_step(X[start:start + bs], Y[start:start + bs])

    def train_step(self, x: Array, y: Array) -> None:
        """One update on the batch ``x``, ``y``: forward, loss gradient, backward, optimizer."""
        # forward: keep each layer's input, pre-activation and output
        cache = []
        a = x
        for W, b, f, _ in self.layers:
            z = a @ W if b is None else a @ W + b
            out = f(z)
            cache.append((a, z, out))
            a = out
        # dL/da of the output (dL/dz when the loss is fused with the output activation)
        n, k = y.shape
        loss = self.loss
        if loss == "mse":
            dz = 2.0 * (a - y) / (n * k)
        elif loss == "categorical_crossentropy":
            dz = (a * y.sum(axis=1, keepdims=True) - y) / n
        elif loss == "binary_crossentropy":
            dz = (a - y) / (n * k)
        else:  # mae
            dz = np.sign(a - y) / (n * k)
        # backward, then the update of each layer as soon as its gradients are known
        self.t += 1
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            W, b, _, df = self.layers[i]
            x_in, z, out = cache[i]
            if not (i == last and self.fused):
                dz = dz * df(z, out)
            gW = x_in.T @ dz
            gb = None if b is None else dz.sum(axis=0)
            if i:
                dz = dz @ W.T  # uses W before its update
            if self.plain_sgd:
                W -= gW * self.lr
                if b is not None:
                    b -= gb * self.lr
            else:
                self._update(W, gW)
                if b is not None:
                    self._update(b, gb)

    def _update(self, w: Array, g: Array) -> None:
        hp, t, lr = self.hp, self.dtype.type, self.lr
        if self.optimizer == "sgd":  # with momentum
            v, m = self.slots[id(w)]["m"], t(np.float32(hp["momentum"]))
            v[...] = v * m - g * lr
            w += v * m - g * lr if hp.get("nesterov") else v
        elif self.optimizer == "rmsprop":
            rho, v = hp["rho"], self.slots[id(w)]["v"]
            v[...] = t(rho) * v + t(1.0 - rho) * (g * g)
            step = g * lr / np.sqrt(v + t(hp["epsilon"]))
            if hp.get("momentum"):
                mom = self.slots[id(w)]["m"]
                mom[...] = t(hp["momentum"]) * mom + step
                step = mom
            w -= step
        else:  # adam, Keras' bias-corrected-step form
            b1, b2, eps = hp["beta_1"], hp["beta_2"], hp["epsilon"]
            step = t(self.t)
            alpha = lr * np.sqrt(1 - np.power(t(np.float32(b2)), step)) / (1 - np.power(t(np.float32(b1)), step))
            s = self.slots[id(w)]
            s["m"] += (g - s["m"]) * t(1.0 - b1)
            s["v"] += (g * g - s["v"]) * t(1.0 - b2)
            w -= s["m"] * alpha / (np.sqrt(s["v"]) + t(eps))


def _softmax(z: Array) -> Array:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
