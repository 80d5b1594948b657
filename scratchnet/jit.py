"""scratchnet's training step compiled with numba: the same formulas, whole epochs in one call.

The NumPy library is the readable reference; :mod:`scratchnet.jit_kernels` compiles the *same*
formulas -- each kernel names the library function it compiles -- as explicit loops over the
layers, so that one call runs a whole epoch's batch loop in machine code; this module is the
Python side: which models it can compile, their constants in the library's rounding, the call. On a tiny net NumPy pays ~1 µs
of dispatch per operation and ~15 operations a step; here a step costs its arithmetic.

Contract: :func:`compile_model` takes a built and compiled :class:`~scratchnet.Sequential` of
``Dense`` layers and returns a :class:`CompiledTrainer` that trains **that model's own weight
vector and optimizer state in place** (so ``model.predict`` and ``model.get_weights`` see every
update). ``trainer.train_epoch(X, Y, batch_size, order)`` is ``model.fit(X[order], Y[order],
batch_size=batch_size, epochs=1, shuffle=False)``: forward, loss gradient, backward and one
optimizer update per batch, a partial last batch included; it returns the mean of the batch
losses weighted by rows, stopping at the first non-finite batch loss as ``fit`` does.

Exactness: element-wise arithmetic runs in the model's dtype in the library's order, with the
library's constants (rounded to the dtype as the library rounds them, e.g. SGD's momentum to
float32 first, Adam's bias-correction step size computed by NumPy exactly as
:meth:`scratchnet.optimizers.Adam._update` does). Matrix products are loops below
``GEMM_LOOP_FLOPS`` multiply-adds and BLAS (``np.dot``) above, so results agree with the library
to rounding (the tests hold float64 to 1e-13 relative), not bit for bit: the transcendental
functions (exp, tanh, log1p) and BLAS' summation order are not NumPy's.

Supported: ``Dense`` layers with the library's activations (linear, sigmoid, tanh, relu,
leaky_relu, softmax); mean squared / mean absolute error, and binary / categorical cross-entropy
fused with a sigmoid / softmax output (Keras' and scratchnet's logits form); SGD (momentum,
Nesterov), RMSprop (momentum), Adam. :func:`unsupported_reason` names anything else.
Compilation (``cache=True``: numba keeps the machine code in ``__pycache__``) happens on the first
call for each dtype; :attr:`CompiledTrainer.compile_seconds` records what that first call cost.
Importing this module imports numba; ``import scratchnet`` never does.
"""
from __future__ import annotations

import time

import numpy as np

from . import optimizers as _optimizers
from .activations import LEAKY_RELU_SLOPE
from .layers import Dense
from .losses import BinaryCrossentropy, CategoricalCrossentropy, MeanAbsoluteError, MeanSquaredError

from .jit_kernels import (ACTIVATION_CODES, LOSS_BCE_LOGITS, LOSS_CCE_LOGITS, LOSS_MAE, LOSS_MSE, OPT_ADAM,
                          OPT_RMSPROP, OPT_SGD, _train_epoch)

# ------------------------------------------------------------------ the Python side

def unsupported_reason(model) -> str | None:
    """None when :func:`compile_model` can compile ``model``'s training, else why not (one line)."""
    if not all(isinstance(layer, Dense) for layer in model.layers):
        kinds = sorted({type(layer).__name__ for layer in model.layers if not isinstance(layer, Dense)})
        return f"scratchnet-jit compiles Dense layers only (this model has {', '.join(kinds)})"
    loss, fused = model.loss, bool(model._fused)
    if isinstance(loss, (BinaryCrossentropy, CategoricalCrossentropy)) and not fused:
        return (f"scratchnet-jit compiles {loss.name} only fused with its {loss.fused_activation} output "
                "(the logits form)")
    if not isinstance(loss, (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy)):
        return f"scratchnet-jit has no {loss.name} loss"
    if type(model.optimizer) not in (_optimizers.SGD, _optimizers.RMSprop, _optimizers.Adam):
        return f"scratchnet-jit has no {type(model.optimizer).__name__} optimizer"
    return None


def _loss_kind(model) -> int:
    loss = model.loss
    if isinstance(loss, CategoricalCrossentropy):  # sparse targets arrive one-hot (prepare_targets)
        return LOSS_CCE_LOGITS
    if isinstance(loss, BinaryCrossentropy):
        return LOSS_BCE_LOGITS
    return LOSS_MAE if isinstance(loss, MeanAbsoluteError) else LOSS_MSE


class CompiledTrainer:
    """Trains one scratchnet model's weights in compiled epochs (module docstring)."""

    def __init__(self, model) -> None:
        reason = unsupported_reason(model)
        if reason:
            raise ValueError(reason)
        self.model = model
        self.dtype = np.dtype(model.dtype)
        opt = model.optimizer
        if opt._dtype is None:
            opt.build(model._params.size, self.dtype)
        self._opt = opt
        rows, offset = [], model.layers[0].input_dim  # block 0: the batch's inputs
        for layer in model.layers:
            k0 = self._offset(layer.kernel)
            b0 = self._offset(layer.bias) if layer.use_bias else -1
            rows.append((layer.input_dim, layer.units, k0, b0, ACTIVATION_CODES[layer.activation.name], offset))
            offset += layer.units
        self.layers = np.array(rows, dtype=np.int64)
        self._units = offset
        self._loss = _loss_kind(model)
        self._kind, self._flags, consts = self._optimizer_constants(opt)
        self.c = np.array([0.0, 1.0, LEAKY_RELU_SLOPE, opt.learning_rate, *consts, 0.0], dtype=self.dtype)
        self._buffers: dict[tuple[int, int], tuple] = {}
        self._constants_cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self.compile_seconds = float("nan")
        self.diverged = False

    def _offset(self, view: np.ndarray) -> int:
        return (view.__array_interface__["data"][0] - self.model._params.__array_interface__["data"][0]) \
            // self.dtype.itemsize

    @staticmethod
    def _optimizer_constants(opt) -> tuple[int, np.ndarray, list[float]]:
        """(kind, flags, [A, B, C, D]) in the library's rounding (``optimizers.*._constants``)."""
        f32 = _optimizers._f32
        if isinstance(opt, _optimizers.SGD):
            return OPT_SGD, np.array([bool(opt.momentum), opt.nesterov], dtype=np.int64), [f32(opt.momentum), 0, 0, 0]
        if isinstance(opt, _optimizers.RMSprop):
            return OPT_RMSPROP, np.array([bool(opt.momentum), 0], dtype=np.int64), \
                [opt.rho, 1.0 - opt.rho, opt.epsilon, opt.momentum]
        return OPT_ADAM, np.zeros(2, dtype=np.int64), [1.0 - opt.beta_1, 1.0 - opt.beta_2, opt.epsilon, 0]

    def _alphas(self, steps: int) -> np.ndarray:
        """Adam's step size of each of the next ``steps`` steps, computed as ``Adam._update`` does."""
        opt = self._opt
        if self._kind != OPT_ADAM:
            return np.zeros(steps, dtype=self.dtype)
        t = self.dtype.type
        one, lr = t(1), t(opt._lr)
        b1, b2 = t(_optimizers._f32(opt.beta_1)), t(_optimizers._f32(opt.beta_2))
        step = np.arange(opt.iterations + 1, opt.iterations + 1 + steps).astype(self.dtype)  # exact below 2**24
        # element by element the library's expression: the same pow() per element as its scalar call
        return lr * np.sqrt(one - np.power(b2, step)) / (one - np.power(b1, step))

    def _state(self) -> tuple[np.ndarray, np.ndarray]:
        s = self._opt._state
        empty = np.zeros(0, dtype=self.dtype)
        if self._kind == OPT_ADAM:
            return s["m"], s["v"]
        return s.get("velocity", empty), s.get("momentum", empty)

    def _scratch(self, batch: int, n_in: int, n_out: int) -> tuple:
        key = (batch, n_in)
        if key not in self._buffers:
            t = self.dtype
            self._buffers[key] = (np.empty(batch * n_out, t), *(np.empty(batch * self._units, t) for _ in range(3)))
        return self._buffers[key]

    def _targets(self, Y: np.ndarray) -> np.ndarray:
        """``Y`` as the model's (rows, outputs) targets in its dtype; no copy when it already is one."""
        Y = np.asarray(Y)
        if Y.ndim == 2 and Y.shape[1] == self.model.output_dim and Y.dtype == self.dtype and Y.flags.c_contiguous:
            return Y
        return np.ascontiguousarray(self.model.loss.prepare_targets(Y, self.model.output_dim), dtype=self.dtype)

    def _epoch_constants(self, n: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """(the identity order of ``n`` rows, Adam's step sizes or zeros): the step sizes are computed
        per epoch (they follow the iteration count), the rest kept between epochs of one length."""
        key = (n, steps)
        if key not in self._constants_cache:
            if len(self._constants_cache) >= 8:  # bounded: a few epoch lengths (the cost model's) at most
                self._constants_cache.clear()
            self._constants_cache[key] = (np.arange(n, dtype=np.int64), np.zeros(steps, dtype=self.dtype))
        identity, zeros = self._constants_cache[key]
        return identity, (self._alphas(steps) if self._kind == OPT_ADAM else zeros)

    def train_epoch(self, X: np.ndarray, Y: np.ndarray, batch_size: int | None = None,
                    order: np.ndarray | None = None) -> float:
        """One compiled epoch of ``model.fit(X[order], Y[order], batch_size, epochs=1, shuffle=False)``;
        returns the epoch's mean batch loss (weighted by rows), NaN/inf when it diverged. The Python
        around the compiled call copies nothing that is already in shape (a few µs an epoch)."""
        if not (isinstance(X, np.ndarray) and X.dtype == self.dtype and X.ndim == 2 and X.flags.c_contiguous):
            X = np.ascontiguousarray(X, dtype=self.dtype)
        Y = self._targets(Y)
        n = X.shape[0]
        batch = n if batch_size is None else min(int(batch_size), n)
        steps = -(-n // batch)
        identity, alphas = self._epoch_constants(n, steps)
        order = identity if order is None else np.ascontiguousarray(order, dtype=np.int64)
        s1, s2 = self._state()
        first = not np.isfinite(self.compile_seconds)
        t0 = time.perf_counter()
        total, taken = _train_epoch(X, Y, order, batch, self.model._params, self.model._grads, self.layers,
                                    self._loss, self._kind, s1, s2, self.c, alphas, self._flags,
                                    *self._scratch(batch, X.shape[1], Y.shape[1]))
        if first:
            self.compile_seconds = time.perf_counter() - t0
        self._opt.iterations += int(taken)
        loss = float(total) if not np.isfinite(total) else float(total) / order.size
        self.diverged = not np.isfinite(loss)
        return loss


def compile_model(model) -> CompiledTrainer:
    """A :class:`CompiledTrainer` for a built, compiled ``model`` (ValueError naming what it cannot compile)."""
    if model._params is None:
        raise ValueError("build the model first (fit, predict or an Input layer) before compiling its training")
    if getattr(model, "loss", None) is None or getattr(model, "optimizer", None) is None:
        raise ValueError("compile the model first: model.compile(optimizer, loss)")
    return CompiledTrainer(model)
