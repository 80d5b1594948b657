"""``Sequential``: a stack of layers trained with Keras' semantics, in NumPy.

Contract (Keras' names and meanings):

* ``compile(optimizer, loss, metrics)`` then ``fit(x, y, batch_size, epochs, shuffle, ...)``
  returns a :class:`~scratchnet.callbacks.History`. ``batch_size=1`` is per-sample SGD,
  ``k`` gives a partial last batch when ``N % k != 0``, ``None`` (or ``N``) is full batch.
  ``shuffle=False`` takes batches in row order; ``shuffle=True`` draws one permutation per
  epoch from ``numpy.random.default_rng(seed)``, so the same seed gives the same order.
* ``history.history["loss"]`` is Keras' figure: the batch-size-weighted mean of each batch's
  loss *before* its update (compiled metrics likewise, from each batch's pre-update outputs).
  Use ``evaluate`` for the loss of the model at epoch end.
* ``evaluate`` returns the compiled loss over the rows (Keras' reduction), followed by the
  compiled metrics when there are any; ``predict`` returns (N, units).
* ``gradients(x, y)`` is dL/dweights on that batch, in ``get_weights()`` order and shapes.
* Weights live in one contiguous vector of the model's dtype (float32 by default, or
  float64); each layer's kernel (inputs, units) and bias (units,) are views into it, so the
  optimizer updates everything at once and nothing is upcast in the training loop.

A loss that becomes NaN or inf stops training with a ``RuntimeWarning``; the history keeps
every epoch so far plus the diverged one, and ``model.diverged`` is set.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _validation as check
from . import losses as _losses
from . import optimizers as _optimizers
from .callbacks import History
from .layers import Activation, Dense, Input, Layer
from .training import TrainingLoop

Array = np.ndarray
_DTYPES = ("float32", "float64")
_METRICS = ("mse", "mean_squared_error", "mae", "mean_absolute_error", "accuracy", "acc",
            "binary_accuracy", "categorical_accuracy")


class Sequential(TrainingLoop):
    """A linear stack of layers: ``Sequential([Input((2,)), Dense(3, "sigmoid"), Dense(1)])``.

    Args:
        layers: ``Input`` (optional, first) then ``Dense``/``Activation`` layers.
        dtype: "float32" (default, as Keras) or "float64"; fixed for the model's life.
        seed: seeds the weight initializers (``numpy.random.default_rng(seed)``).
        name: a label for ``summary``.
    """

    def __init__(self, layers: Sequence[Layer | Input] | None = None, dtype: str = "float32",
                 seed: int | None = None, name: str = "sequential") -> None:
        if str(dtype) not in _DTYPES:
            raise ValueError(f"dtype must be one of {list(_DTYPES)}, got {dtype!r}")
        self.dtype = np.dtype(str(dtype))
        self.seed = seed
        self.name = name
        self.layers: list[Layer] = []
        self.input_dim: int | None = None
        self.optimizer: _optimizers.Optimizer | None = None
        self.loss: _losses.Loss | None = None
        self.metrics: list[str] = []
        self.stop_training = False
        self.diverged = False
        self.history: History | None = None
        self._params: Array | None = None
        self._grads: Array | None = None
        self._fused = False
        self._first_trainable = 0
        for layer in layers or []:
            self.add(layer)

    # -- construction ---------------------------------------------------------------
    def add(self, layer: Layer | Input) -> None:
        """Append a layer (an ``Input`` is allowed only first)."""
        if isinstance(layer, Input):
            if self.layers or self.input_dim is not None:
                raise ValueError("Input must be the first entry of a Sequential model")
            self.input_dim = layer.shape[0]
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential accepts Input, Dense and Activation layers, got {type(layer).__name__}")
        if self.built:
            raise ValueError("cannot add layers to a model that is already built")
        if layer.name is None:
            layer.name = self._unique_name(_snake(type(layer).__name__))
        elif any(existing.name == layer.name for existing in self.layers):
            raise ValueError(f"layer name {layer.name!r} is used twice in the model")
        self.layers.append(layer)

    def _unique_name(self, base: str) -> str:
        taken = {layer.name for layer in self.layers}
        if base not in taken:
            return base
        i = 1
        while f"{base}_{i}" in taken:
            i += 1
        return f"{base}_{i}"

    @property
    def built(self) -> bool:
        """True once the weights exist (after an Input layer, ``build``, ``fit`` or ``predict``)."""
        return self._params is not None

    def _build_if_ready(self) -> bool:
        """Build now when the input size is known (Keras builds a model that starts with Input)."""
        if not self.built and self.input_dim is not None and any(layer.trainable for layer in self.layers):
            self.build()
        return self.built

    @property
    def output_dim(self) -> int:
        """The number of outputs of the last layer."""
        if self.input_dim is None:
            raise ValueError("the model has no input size yet: start it with Input(shape) or call build()")
        dim = self.input_dim
        for layer in self.layers:
            dim = layer.compute_output_dim(dim)
        return dim

    def build(self, input_dim: int | None = None) -> None:
        """Allocate and initialise the weights (done automatically on first use)."""
        if self.built:
            return
        if input_dim is not None:
            input_dim = check.positive_int(input_dim, "input_dim")
            if self.input_dim is not None and self.input_dim != input_dim:
                raise ValueError(f"the model's Input has {self.input_dim} features, build got {input_dim}")
            self.input_dim = input_dim
        if self.input_dim is None:
            raise ValueError("cannot build: give the model an Input(shape) or call build(input_dim)")
        if not any(layer.trainable for layer in self.layers):
            raise ValueError("cannot build a model without a Dense layer: it would have nothing to train")
        self._first_trainable = next(i for i, layer in enumerate(self.layers) if layer.trainable)
        shapes, dim = [], self.input_dim
        for layer in self.layers:
            shapes.append(layer.param_shapes(dim))
            dim = layer.compute_output_dim(dim)
        sizes = [int(np.prod(shape)) for layer_shapes in shapes for _, shape in layer_shapes]
        self._params = np.zeros(sum(sizes), dtype=self.dtype)
        self._grads = np.zeros(sum(sizes), dtype=self.dtype)
        rng = np.random.default_rng(self.seed)
        offset = 0
        for layer, layer_shapes in zip(self.layers, shapes):
            views, grad_views = [], []
            for _, shape in layer_shapes:
                n = int(np.prod(shape))
                views.append(self._params[offset:offset + n].reshape(shape))
                grad_views.append(self._grads[offset:offset + n].reshape(shape))
                offset += n
            for view, value in zip(views, layer.init_params(rng, self.dtype)):
                view[...] = value
            layer.bind(views, grad_views)
        if self.optimizer is not None:
            self.optimizer.build(self._params.size, self.dtype)

    # -- compile ----------------------------------------------------------------------
    def compile(self, optimizer: str | _optimizers.Optimizer = "rmsprop",
                loss: str | _losses.Loss = "mean_squared_error",
                metrics: Sequence[str] | None = None) -> None:
        """Choose the optimizer, the loss and the metrics reported by fit/evaluate."""
        self.optimizer = _optimizers.get(optimizer)
        self.loss = _losses.get(loss)
        metrics = list(metrics or [])
        for metric in metrics:
            if metric not in _METRICS:
                raise ValueError(f"Unknown metric {metric!r}; valid names: {sorted(set(_METRICS))}")
        self.metrics = metrics
        last = self.layers[-1] if self.layers else None
        # from_logits=True means the model's outputs *are* the logits (Keras applies the loss
        # to them as they are), so only a probability-form loss may use the cached logits.
        self._fused = bool(
            last is not None and self.loss.fused_activation is not None
            and not self.loss.from_logits
            and last.activation_name == self.loss.fused_activation
        )
        if self.built:
            self.optimizer.build(self._params.size, self.dtype)
        else:
            self._build_if_ready()  # builds the optimizer too

    def _require_compiled(self, what: str) -> None:
        if self.optimizer is None or self.loss is None:
            raise RuntimeError(f"You must call compile() before {what}()")

    # -- data checks ------------------------------------------------------------------
    def _prepare_x(self, x, name: str = "x") -> Array:
        arr = check.as_2d_array(x, name, self.input_dim)
        if not self.built:
            self.build(arr.shape[1])
        return np.ascontiguousarray(arr, dtype=self.dtype)

    def _prepare_xy(self, x, y, x_name: str = "x", y_name: str = "y") -> tuple[Array, Array]:
        X = self._prepare_x(x, x_name)
        Y = check.as_target_array(y, y_name)
        check.check_same_rows(X, Y, x_name, y_name)
        Y = self.loss.prepare_targets(Y, self.output_dim)
        return X, np.ascontiguousarray(Y, dtype=self.dtype)

    # -- forward / backward -------------------------------------------------------------
    def _forward(self, x: Array, training: bool) -> Array:
        a = x
        for layer in self.layers:
            a = layer.forward(a, training)
        return a

    def _logits(self) -> Array:
        """Pre-activation of the last layer, from the last training-mode forward pass."""
        last = self.layers[-1]
        return last._cache[1] if isinstance(last, Dense) else last._cache[0]

    def _loss_and_output_grad(self, y: Array, out: Array) -> tuple[float, Array]:
        if self._fused:
            z = self._logits()
            return self.loss.value_from_logits(y, z), self.loss.grad_from_logits(y, z, out)
        return self.loss.value_and_grad(y, out)

    def _backward(self, grad: Array) -> None:
        for layer, wrt_logits, need_input_grad in self._backward_plan():
            grad = layer.backward(grad, wrt_logits, need_input_grad)

    def _backward_plan(self) -> list[tuple[Layer, bool, bool]]:
        """(layer, grad is dL/dz, input gradient needed) from the last layer to the first trainable."""
        key = (self._fused, len(self.layers))
        if getattr(self, "_plan_key", None) != key:
            last = len(self.layers) - 1
            self._plan = [(self.layers[i], i == last and self._fused, i > self._first_trainable)
                          for i in range(last, self._first_trainable - 1, -1)]
            self._plan_key = key
        return self._plan

    # -- inference ----------------------------------------------------------------------
    def predict(self, x, batch_size: int | None = None, verbose: int = 0) -> Array:
        """Model output (N, units) in the model's dtype; computed in chunks of ``batch_size`` rows."""
        X = self._prepare_x(x)
        bs = check.batch_size_for(batch_size, X.shape[0])
        with np.errstate(over="ignore", under="ignore"):
            if bs >= X.shape[0]:
                return self._forward(X, False)
            return np.concatenate([self._forward(X[i:i + bs], False) for i in range(0, X.shape[0], bs)])

    def __call__(self, x) -> Array:
        return self.predict(x)

    def _output_and_logits(self, x: Array) -> tuple[Array, Array]:
        """Inference-mode output and the last layer's pre-activation (fresh arrays, no buffers)."""
        a = x
        for layer in self.layers[:-1]:
            a = layer.forward(a)
        last = self.layers[-1]
        logits = last.pre_activation(a) if isinstance(last, Dense) else a
        return last.activation.forward(logits), logits

    def gradients(self, x, y) -> list[Array]:
        """dL/dweights of the compiled loss on this batch, in ``get_weights()`` order (copies)."""
        self._require_compiled("gradients")
        X, Y = self._prepare_xy(x, y)
        with np.errstate(over="ignore", under="ignore"):
            out = self._forward(X, True)
            _, grad = self._loss_and_output_grad(Y, out)
            self._backward(grad)
        return [g.copy() for layer in self.layers if layer.trainable for g in _grad_views(layer)]

    # -- weights ------------------------------------------------------------------------
    @property
    def weights(self) -> list[Array]:
        """The live weight arrays (views), kernel then bias per layer."""
        if not self._build_if_ready():
            return []
        return [w for layer in self.layers for w in layer.weights]

    def count_params(self) -> int:
        """The number of scalar weights (every kernel and bias)."""
        return 0 if not self._build_if_ready() else int(self._params.size)

    def get_weights(self) -> list[Array]:
        """Copies of the weights, Keras order: kernel, bias per Dense layer."""
        return [w.copy() for w in self.weights]

    def set_weights(self, weights: Sequence[Array]) -> None:
        """Copy ``weights`` (same order and shapes as ``get_weights()``) into the model."""
        if not self._build_if_ready():
            raise ValueError("the model is not built yet: give it an Input(shape) or call build() first")
        current = self.weights
        weights = list(weights)
        if len(weights) != len(current):
            raise ValueError(f"set_weights expects {len(current)} arrays, got {len(weights)}")
        for i, (target, value) in enumerate(zip(current, weights)):
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(f"set_weights: array {i} should have shape {target.shape}, got {value.shape}")
            if value.dtype.kind not in "biuf" or not np.isfinite(value).all():
                raise ValueError(f"set_weights: array {i} must be finite numbers")
            target[...] = value

    def summary(self, print_fn=print) -> str:
        """Print (and return) a table of layers, output shapes and parameter counts."""
        self._build_if_ready()
        rows = [("Layer (type)", "Output Shape", "Param #")]
        dim = self.input_dim
        for layer in self.layers:
            dim = layer.compute_output_dim(dim) if dim is not None else None
            n = sum(int(np.prod(w.shape)) for w in layer.weights) if self.built else 0
            rows.append((f"{layer.name} ({type(layer).__name__})", f"(None, {dim if dim is not None else '?'})", str(n)))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        line = "  ".join("-" * w for w in widths)
        text = [f'Model: "{self.name}" ({self.dtype})', line]
        text += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows[:1]]
        text.append(line)
        text += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows[1:]]
        text += [line, f"Total params: {self.count_params()}"]
        out = "\n".join(text)
        print_fn(out)
        return out

    def get_config(self) -> dict:
        """Layers, dtype, name and, once compiled, loss and optimizer configs (what ``save`` writes)."""
        return {
            "name": self.name,
            "dtype": str(self.dtype),
            "seed": self.seed,
            "input_dim": self.input_dim,
            "layers": [layer.get_config() for layer in self.layers],
        }

    def save(self, path) -> None:
        """Save architecture, weights and optimizer to ``path`` (.npz + JSON config, no pickle)."""
        from .io import save_model

        save_model(self, path)


def _grad_views(layer: Layer) -> list[Array]:
    if isinstance(layer, Dense):
        return [layer._grad_kernel, layer._grad_bias] if layer.use_bias else [layer._grad_kernel]
    return []


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


__all__ = ["Sequential", "Activation", "Dense", "Input"]
