"""Layers: ``Input``, ``Dense`` and ``Activation``, in Keras' layout.

Contract of a trainable layer:

* ``param_shapes(input_dim) -> [(name, shape), ...]`` before it is bound;
* ``bind(params, grads)`` hands it views into the model's flat weight and
  gradient vectors (a ``Dense`` kernel is (inputs, units), its bias (units,),
  exactly Keras' layout, so ``set_weights`` copies across frameworks);
* ``forward(x)`` returns the output (batch, units); ``forward(x, training=True)``
  also caches what the backward pass needs. ``backward(grad)`` writes dL/dweights
  into the bound gradient views and returns dL/dx. Passing ``wrt_logits=True`` to
  ``backward`` means ``grad`` is already dL/dz (a loss fused with the final activation).
* Training-mode passes of ``Dense`` write into buffers the layer keeps per batch size
  (z, a, dz, dx: allocated once, reused every step), so a training step allocates
  nothing: the arrays it returns are valid until the next training pass with the same
  batch size. Inference (``training=False``) returns fresh arrays.

The public ``forward``/``backward`` do the bookkeeping; the maths of each step
is a few NumPy expressions with the local derivative written beside it.
"""
from __future__ import annotations

import numpy as np

from . import activations as _activations
from . import initializers as _initializers

Array = np.ndarray


class Layer:
    """Base class for layers. ``name`` is set by the model when left empty."""

    trainable = False

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.input_dim: int | None = None
        self.output_dim: int | None = None

    def param_shapes(self, input_dim: int) -> list[tuple[str, tuple[int, ...]]]:
        """``[(name, shape), ...]`` of the layer's parameters for an input of ``input_dim`` features."""
        return []

    def init_params(self, rng: np.random.Generator, dtype) -> list[Array]:
        """The parameters' initial values, drawn with ``rng`` in ``dtype``."""
        return []

    def bind(self, params: list[Array], grads: list[Array]) -> None:
        """Take views into the model's flat weight and gradient vectors."""
        return None

    @property
    def weights(self) -> list[Array]:
        """The layer's parameter arrays (views), in ``get_weights`` order."""
        return []

    def compute_output_dim(self, input_dim: int) -> int:
        """The number of output features for ``input_dim`` input features."""
        return input_dim

    def get_config(self) -> dict:
        """``{"class_name", "name", ...}``: enough to rebuild the layer (:func:`from_config`)."""
        return {"class_name": type(self).__name__, "name": self.name}

    def forward(self, x: Array, training: bool = False) -> Array:
        """The layer's output for ``x`` (batch, inputs); ``training`` also caches what ``backward`` needs."""
        raise NotImplementedError

    def backward(self, grad: Array, wrt_logits: bool = False, need_input_grad: bool = True) -> Array | None:
        """Back-propagate ``grad`` = dL/d(output): write dL/dweights into the bound views, return dL/dx."""
        raise NotImplementedError

    @property
    def activation_name(self) -> str:
        """The name of the activation the layer applies ("linear" for none)."""
        return "linear"


class Input:
    """Declares the number of input features: ``Input(shape=(n_features,))``."""

    def __init__(self, shape, name: str | None = None) -> None:
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        shape = tuple(shape)
        if len(shape) != 1 or not isinstance(shape[0], (int, np.integer)) or shape[0] < 1:
            raise ValueError(
                f"Input shape must be (n_features,) with n_features >= 1, got shape={shape!r}"
            )
        self.shape = (int(shape[0]),)
        self.name = name

    def get_config(self) -> dict:
        """``{"class_name": "Input", "shape": [n_features], "name"}``."""
        return {"class_name": "Input", "shape": list(self.shape), "name": self.name}

    def __repr__(self) -> str:
        return f"Input(shape={self.shape})"


class Dense(Layer):
    """Fully connected layer: ``a = activation(x @ kernel + bias)``.

    Shapes: x (batch, inputs); kernel (inputs, units); bias (units,); a (batch, units).
    Backward: dz = dL/da * f'(z);  dL/dkernel = x.T @ dz;  dL/dbias = sum_batch dz;
    dL/dx = dz @ kernel.T.
    """

    trainable = True

    def __init__(
        self,
        units: int,
        activation: str | None = None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"Dense units must be a positive integer, got units={units!r}")
        self.units = int(units)
        self.activation = _activations.get(activation)
        self._act_forward, self._act_backward = _in_place(self.activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self._kernel: Array | None = None
        self._bias: Array | None = None
        self._grad_kernel: Array | None = None
        self._grad_bias: Array | None = None
        self._cache: tuple[Array, Array, Array] | None = None
        # per batch size: (z, a, dz, dx or None until first needed, scratch or None: see _batch_buffers)
        self._buffers: dict[int, tuple[Array, Array, Array, Array | None, Array | None]] = {}

    # -- construction ---------------------------------------------------------------
    def compute_output_dim(self, input_dim: int) -> int:
        """``units``."""
        return self.units

    def param_shapes(self, input_dim: int):
        """kernel (inputs, units), then bias (units,) when ``use_bias``."""
        self.input_dim, self.output_dim = input_dim, self.units
        shapes = [("kernel", (input_dim, self.units))]
        if self.use_bias:
            shapes.append(("bias", (self.units,)))
        return shapes

    def init_params(self, rng, dtype):
        """The kernel and bias initializers' draws, in that order."""
        values = [self.kernel_initializer((self.input_dim, self.units), dtype, rng)]
        if self.use_bias:
            values.append(self.bias_initializer((self.units,), dtype, rng))
        return values

    def bind(self, params, grads):
        """Bind kernel and bias (and their gradients) to views into the model's flat vectors."""
        self._kernel, self._grad_kernel = params[0], grads[0]
        self._kernel_T = params[0].T  # a view: follows every in-place update
        self._bias_row = None
        if self.use_bias:
            self._bias, self._grad_bias = params[1], grads[1]
            # (1, units): adding it to a (1, units) z skips NumPy's broadcasting set-up
            self._bias_row = params[1].reshape(1, self.units)
        self._buffers = {}

    @property
    def kernel(self) -> Array:
        """(inputs, units) view into the model's weights; assignment copies values in."""
        return self._kernel

    @kernel.setter
    def kernel(self, value) -> None:
        _copy_into(self._kernel, value, f"{self.name}.kernel")

    @property
    def bias(self) -> Array | None:
        """(units,) view into the model's weights, or None without bias."""
        return self._bias

    @bias.setter
    def bias(self, value) -> None:
        if not self.use_bias:
            raise ValueError(f"layer {self.name!r} has use_bias=False: it has no bias to set")
        _copy_into(self._bias, value, f"{self.name}.bias")

    @property
    def weights(self):
        """[kernel, bias], or [kernel] without a bias."""
        return [self._kernel, self._bias] if self.use_bias else [self._kernel]

    @property
    def activation_name(self) -> str:
        """The activation's registered name."""
        return self.activation.name

    def get_config(self):
        """units, activation, use_bias and the initializers' configs."""
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation.name,
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer.get_config(),
            "bias_initializer": self.bias_initializer.get_config(),
        }

    # -- maths ----------------------------------------------------------------------
    def forward(self, x, training=False):
        """a = f(z), z = x W + b  (x: (batch, inputs), W: (inputs, units), b: (units,)).

        With ``training`` the step's buffers are reused and (x, z, a) cached for ``backward``."""
        if not training:
            return self.activation.forward(self.pre_activation(x))
        z, a, xw, _, scratch = self._buffers.get(x.shape[0]) or self._batch_buffers(x.shape[0])
        if self._bias_row is None:
            np.dot(x, self._kernel, z)            # z = x W, in the step's buffer
        else:
            # x W goes to the dz buffer (free until backward), then z = x W + b: two calls, and
            # no in-place update (NumPy is slow on in-place operations on one-element arrays)
            np.add(np.dot(x, self._kernel, xw), self._bias_row, z)
        a = self._act_forward(z, a, scratch)      # linear returns z itself
        self._cache = (x, z, a)
        return a

    def pre_activation(self, x: Array) -> Array:
        """z = x W + b : (batch, units), a fresh array (inference; no cache)."""
        z = np.dot(x, self._kernel)
        if self._bias is not None:
            z += self._bias
        return z

    def backward(self, grad, wrt_logits=False, need_input_grad=True):
        """dz = dL/da * f'(z) (or ``grad`` itself when ``wrt_logits``); dL/dW = x^T dz; dL/db = sum over the
        batch of dz; returns dL/dx = dz W^T (None when ``need_input_grad`` is false)."""
        x, z, a = self._cache
        _, _, dz, dx, scratch = self._buffers[x.shape[0]]
        if not wrt_logits:
            dz = self._act_backward(z, a, grad, dz, scratch)  # dz = dL/da * f'(z)
        else:
            dz = grad
        np.dot(x.T, dz, self._grad_kernel)                 # dL/dW = x^T dz
        if self._bias is not None:
            if dz.shape[0] == 1:
                self._grad_bias[...] = dz[0]              # dL/db = dz for one row
            else:
                np.add.reduce(dz, axis=0, out=self._grad_bias)  # dL/db = sum over the batch
        if not need_input_grad:
            return None
        if dx is None:  # the first layer never needs one: allocated on the first use only
            dx = np.empty((x.shape[0], self.input_dim), dtype=dz.dtype)
            self._buffers[x.shape[0]] = (*self._buffers[x.shape[0]][:3], dx, scratch)
        return np.dot(dz, self._kernel_T, dx)             # dL/dx = dz W^T

    def _batch_buffers(self, rows: int) -> tuple[Array, Array, Array, Array | None, Array | None]:
        """(z, a, dz, dx, scratch) for a batch of ``rows``, allocated on first use of that size
        (dx when first needed; scratch only for one-element activations, where it spares the
        activation NumPy's slow path for in-place operations on one-element arrays)."""
        buffers = self._buffers.get(rows)
        if buffers is None:
            if len(self._buffers) >= 4:  # e.g. gradients() on many sizes: keep memory bounded
                self._buffers.clear()
            dtype = self._kernel.dtype
            z, a, dz = (np.empty((rows, self.units), dtype=dtype) for _ in range(3))
            scratch = np.empty((rows, self.units), dtype=dtype) if rows * self.units == 1 else None
            buffers = self._buffers[rows] = (z, a, dz, None, scratch)
        return buffers

    def __repr__(self) -> str:
        return f"Dense({self.units}, activation={self.activation.name!r}, use_bias={self.use_bias})"


class Activation(Layer):
    """Applies an activation on its own: ``a = f(x)``; backward dL/dx = dL/da * f'(x)."""

    def __init__(self, activation: str, name: str | None = None) -> None:
        super().__init__(name)
        self.activation = _activations.get(activation)
        self._cache: tuple[Array, Array] | None = None

    @property
    def activation_name(self) -> str:
        """The activation's registered name."""
        return self.activation.name

    def get_config(self):
        """``{"class_name": "Activation", "activation", "name"}``."""
        return {**super().get_config(), "activation": self.activation.name}

    def forward(self, x, training=False):
        """a = f(x), element-wise (softmax: over the last axis)."""
        a = self.activation.forward(x)
        if training:
            self._cache = (x, a)
        return a

    def backward(self, grad, wrt_logits=False, need_input_grad=True):
        """dL/dx = dL/da * f'(x) (softmax: its Jacobian-vector product); ``grad`` itself when ``wrt_logits``."""
        if wrt_logits:
            return grad
        x, a = self._cache
        return self.activation.backward(x, a, grad)

    def __repr__(self) -> str:
        return f"Activation({self.activation.name!r})"


def _in_place(activation: _activations.Activation):
    """(forward(z, out, scratch), backward(z, a, grad_a, out, scratch)) for ``activation``: its
    own functions when they take ``out``, else wrappers that copy their results into ``out``."""
    if activation.takes_out:
        return activation.forward, activation.backward
    forward, backward = activation.forward, activation.backward

    def forward_into(z, out, scratch=None):
        return np.copyto(out, forward(z)) or out

    def backward_into(z, a, grad_a, out, scratch=None):
        return np.copyto(out, backward(z, a, grad_a)) or out

    return forward_into, backward_into


def _copy_into(target: Array | None, value, label: str) -> None:
    if target is None:
        raise ValueError(f"{label} does not exist yet: build the model first (fit, predict or Input)")
    value = np.asarray(value)
    if value.shape != target.shape:
        raise ValueError(f"{label} has shape {target.shape}, got a value of shape {value.shape}")
    np.copyto(target, value, casting="same_kind")


LAYERS = {"Dense": Dense, "Activation": Activation}


def from_config(config: dict) -> Layer | Input:
    """Rebuild a layer from :meth:`Layer.get_config`."""
    config = dict(config)
    cls = config.pop("class_name", None)
    if cls == "Input":
        return Input(tuple(config["shape"]), name=config.get("name"))
    if cls == "Dense":
        config["kernel_initializer"] = _initializers.from_config(config["kernel_initializer"])
        config["bias_initializer"] = _initializers.from_config(config["bias_initializer"])
        return Dense(**config)
    if cls == "Activation":
        return Activation(**config)
    raise ValueError(f"Unknown layer class {cls!r} in config; valid: ['Activation', 'Dense', 'Input']")
