"""The ``tf-loop`` adapter: the case's maths as a hand-written TensorFlow training loop.

What it is: the limit of what TensorFlow's engine does for this maths without Keras' ``fit``
machinery (no epoch iterator, callbacks or data adapter). The weights are ``tf.Variable``s; ONE
``tf.function`` runs a whole epoch -- a ``tf.while_loop`` over the epoch's full batches (static
batch shape, the harness' row order) and, when the rows do not divide evenly, one step on the
partial last batch -- each step the forward pass, the loss, ``tf.GradientTape``'s gradient and
the optimizer update written out with Keras 3's arithmetic (:mod:`.case_maths`):

* SGD: ``v = v*m - g*lr; w += v`` (Nesterov: ``w += v*m - g*lr``), ``m`` rounded to float32;
  without momentum ``w -= g*lr``;
* RMSprop: ``v = rho*v + (1-rho)*g^2; w -= lr*g / sqrt(v + eps)`` (momentum:
  ``mom = momentum*mom + step; w -= mom``);
* Adam: ``alpha = lr*sqrt(1-b2^t)/(1-b1^t)`` with float32-rounded betas in the powers,
  ``m += (g-m)(1-b1); v += (g^2-v)(1-b2); w -= m*alpha/(sqrt(v)+eps)``;
* losses with Keras' ``sum_over_batch_size`` reduction (per-sample mean over the last axis,
  summed, divided by the batch size); a sigmoid/softmax output fused with its cross-entropy
  (logits, no clipping) as Keras fuses it, other pairings on probabilities clipped to 1e-7.

So in float64 it computes what the Keras twin computes, in the same order: parity mode agrees
with Keras (and scratchnet) to rounding (tests/bench/test_frameworks_tf_loop.py).

Execution: ``jit_compile`` False or True, the faster of the two per (case, dtype) from a short
calibration (:mod:`.calibration`, cached in ``<results>/tf-loop_calibration.json``; both
candidates' seconds per step in the row's ``calibration_timings``, the winner in
``execution``). ``ADAPTER.prepare(..., tf_loop_jit_compile=bool)`` forces it (no calibration).
A new epoch length or batch size traces (and compiles) the epoch function once more; the
runner's first epoch carries the first trace and is reported apart.

Modes: parity copies ``initial_weights`` and keeps the rows' order; native draws the weights
with Keras' initializers (:func:`.keras.keras_initial_weights`, as ``keras`` native) and,
when the case shuffles, permutes the rows each epoch with a ``tf.random.Generator`` seeded by
``seed`` (before the clock starts, as every contender's harness permutation is).

Epoch time: around the epoch function's call, including the copy of the result back
(``.numpy()`` on the epoch's step count, which waits for the graph to finish).
"""
from __future__ import annotations

import time

import numpy as np

from scratchnet.bench.cases.registry import Case
from scratchnet.bench.datasets.base import Dataset
from scratchnet.bench.frameworks import calibration
from scratchnet.bench.frameworks.case_maths import (HIDDEN_ACTIVATIONS, case_maths, keras_constants,
    unsupported_activation)

NAME = "tf-loop"
CANDIDATES = (calibration.Candidate("jit_compile=False"), calibration.Candidate("jit_compile=True"))


def unsupported_reason(case: Case) -> str | None:
    from scratchnet.bench.parity.keras_twin import keras_missing

    if keras_missing():
        return keras_missing()
    try:
        maths = case_maths(case)
    except ValueError as exc:
        return str(exc)
    return unsupported_activation(maths, HIDDEN_ACTIVATIONS, "tf-loop")


class TFLoopTrainer:
    """One case's variables, optimizer state and compiled epoch functions (module docstring)."""

    def __init__(self, case: Case, initial_weights: list[np.ndarray], mode: str, seed: int,
                 jit_compile: bool) -> None:
        from scratchnet.bench.parity.keras_twin import import_tensorflow

        tf = self.tf = import_tensorflow()
        tf.get_logger().setLevel("ERROR")  # each epoch length traces once by design: no retracing warnings
        self.case, self.maths = case, case_maths(case)
        self.jit_compile = bool(jit_compile)
        self.dtype = tf.as_dtype(case.dtype)
        self.variables = [tf.Variable(np.asarray(w, dtype=case.dtype)) for w in initial_weights]
        it = iter(self.variables)
        self.layers = [(next(it), next(it) if spec.use_bias else None, spec.activation)
                       for spec in self.maths.layers]
        self.iterations = tf.Variable(0, dtype=tf.int64)
        self._slots = self._make_slots()
        self._constants = {k: (v if isinstance(v, bool) else tf.constant(v, dtype=self.dtype))
                           for k, v in keras_constants(self.maths).items()}
        self._epoch_fns: dict[int, object] = {}
        self._predict_fn = tf.function(lambda x: self._output(self._forward(x)), reduce_retracing=True)
        self._shuffle = tf.random.Generator.from_seed(seed) if mode == "native" and case.shuffle else None
        self._settings = {"execution": f"tf.function epoch, jit_compile={self.jit_compile}"}

    # -- the maths -----------------------------------------------------------------
    def _make_slots(self) -> dict[str, list]:
        tf, h = self.tf, self.maths.hyper
        zeros = (lambda: [tf.Variable(tf.zeros_like(v)) for v in self.variables])
        if self.maths.optimizer == "sgd":
            return {"velocity": zeros()} if h["momentum"] else {}
        if self.maths.optimizer == "rmsprop":
            return {"velocity": zeros(), **({"momentum": zeros()} if h["momentum"] else {})}
        return {"m": zeros(), "v": zeros()}

    def _activation(self, x, name: str):
        tf = self.tf
        if name == "linear":
            return x
        if name == "leaky_relu":
            return tf.nn.leaky_relu(x, alpha=0.2)  # TF keeps the slope as float32(0.2), as Keras does
        return {"sigmoid": tf.nn.sigmoid, "tanh": tf.nn.tanh, "relu": tf.nn.relu,
                "softmax": tf.nn.softmax}[name](x)

    def _forward(self, x):
        """The last layer's pre-activation when the loss is fused, else its output."""
        last = len(self.layers) - 1
        for i, (kernel, bias, act) in enumerate(self.layers):
            x = self.tf.matmul(x, kernel)
            if bias is not None:
                x = x + bias
            if not (i == last and self.maths.fused):
                x = self._activation(x, act)
        return x

    def _output(self, z):
        return self._activation(z, self.maths.output_activation) if self.maths.fused else z

    def _loss(self, y, out):
        tf, loss = self.tf, self.maths.loss
        if loss == "sparse_categorical_crossentropy":
            labels = tf.cast(tf.reshape(y, [-1]), tf.int64)
            if self.maths.fused:
                per = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=out)
            else:
                p = tf.clip_by_value(out / tf.reduce_sum(out, -1, keepdims=True), 1e-7, 1 - 1e-7)
                per = -tf.reduce_sum(tf.one_hot(labels, tf.shape(out)[-1], dtype=out.dtype) * tf.math.log(p), -1)
        else:
            y = tf.cast(y, out.dtype)
            if loss == "mean_squared_error":
                per = tf.reduce_mean(tf.square(y - out), axis=-1)
            elif loss == "mean_absolute_error":
                per = tf.reduce_mean(tf.abs(y - out), axis=-1)
            elif loss == "binary_crossentropy":
                if self.maths.fused:
                    elems = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=out)
                else:
                    p = tf.clip_by_value(out, 1e-7, 1 - 1e-7)
                    elems = -(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))
                per = tf.reduce_mean(elems, axis=-1)
            else:  # categorical_crossentropy
                if self.maths.fused:
                    per = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=out)
                else:
                    p = tf.clip_by_value(out / tf.reduce_sum(out, -1, keepdims=True), 1e-7, 1 - 1e-7)
                    per = -tf.reduce_sum(y * tf.math.log(p), -1)
        return tf.reduce_sum(per) / tf.cast(tf.shape(per)[0], per.dtype)

    def _apply(self, grads) -> None:
        tf, c, opt = self.tf, self._constants, self.maths.optimizer
        lr = c["learning_rate"]
        if opt == "adam":
            t = tf.cast(self.iterations + 1, self.dtype)
            alpha = lr * tf.sqrt(1 - tf.pow(c["beta_2_power_base"], t)) / (1 - tf.pow(c["beta_1_power_base"], t))
        for i, (w, g) in enumerate(zip(self.variables, grads)):
            if opt == "sgd":
                if "velocity" not in self._slots:
                    w.assign_sub(g * lr)
                    continue
                v, m = self._slots["velocity"][i], c["momentum"]
                v.assign(v * m - g * lr)
                w.assign_add(v * m - g * lr if c["nesterov"] else v)
            elif opt == "rmsprop":
                v = self._slots["velocity"][i]
                v.assign(c["rho"] * v + c["one_minus_rho"] * tf.square(g))
                step = (lr * g) / tf.sqrt(v + c["epsilon"])
                if "momentum" in self._slots:
                    mom = self._slots["momentum"][i]
                    mom.assign(c["momentum"] * mom + step)
                    w.assign_sub(mom)
                else:
                    w.assign_sub(step)
            else:
                m, v = self._slots["m"][i], self._slots["v"][i]
                m.assign_add((g - m) * c["one_minus_beta_1"])
                v.assign_add((tf.square(g) - v) * c["one_minus_beta_2"])
                w.assign_sub((m * alpha) / (tf.sqrt(v) + c["epsilon"]))
        self.iterations.assign_add(1)

    def _step(self, xb, yb) -> None:
        with self.tf.GradientTape() as tape:
            loss = self._loss(yb, self._forward(xb))
        self._apply(tape.gradient(loss, self.variables))

    def _epoch_fn(self, batch_size: int):
        """The compiled epoch for this batch size (tf.function retraces per input shape)."""
        fn = self._epoch_fns.get(batch_size)
        if fn is None:
            tf = self.tf

            def epoch(X, Y):
                n = X.shape[0]
                full, rest = divmod(n, batch_size)

                def body(i):
                    start = i * batch_size
                    xb = tf.slice(X, [start, 0], [batch_size, X.shape[1]])
                    yb = tf.slice(Y, [start] + [0] * (len(Y.shape) - 1), [batch_size, *Y.shape[1:]])
                    self._step(xb, yb)
                    return (i + 1,)

                if full:
                    tf.while_loop(lambda i: i < full, body, (tf.constant(0),))
                if rest:
                    self._step(X[full * batch_size:], Y[full * batch_size:])
                return self.iterations.read_value()

            fn = self._epoch_fns[batch_size] = tf.function(epoch, jit_compile=self.jit_compile)
        return fn

    # -- the Trainer protocol -------------------------------------------------------
    def train_epoch(self, X: np.ndarray, Y: np.ndarray, batch_size: int | None = None) -> float:
        tf = self.tf
        bs = int(batch_size or self.case.batch_size or X.shape[0])
        X, Y = tf.constant(X), tf.constant(Y)
        if self._shuffle is not None:
            order = tf.argsort(self._shuffle.uniform([X.shape[0]]))
            X, Y = tf.gather(X, order), tf.gather(Y, order)
        fn = self._epoch_fn(min(bs, X.shape[0]))
        t0 = time.perf_counter()
        fn(X, Y).numpy()
        return time.perf_counter() - t0

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self._predict_fn(self.tf.constant(X)))

    def get_weights(self) -> list[np.ndarray]:
        return [v.numpy() for v in self.variables]

    def settings(self) -> dict:
        return dict(self._settings)


def _initial(case: Case, dataset: Dataset, initial_weights, mode: str, seed: int) -> list[np.ndarray]:
    if mode != "native":
        return [np.array(w, dtype=case.dtype, copy=True) for w in initial_weights]
    from scratchnet.bench.parity.keras_twin import import_keras
    from scratchnet.bench.frameworks.keras import keras_initial_weights

    maths, shapes, n_in = case_maths(case), [], dataset.n_features
    for spec in maths.layers:
        shapes.append(((n_in, spec.units), (spec.units,) if spec.use_bias else None))
        n_in = spec.units
    return keras_initial_weights(import_keras(), case, shapes, case.dtype, seed)


def measure_candidate(case: Case, dataset: Dataset, label: str) -> float:
    """Seconds per step of one jit_compile candidate on the case's first rows (warm-up excluded)."""
    jit = label.endswith("True")
    return calibration.measure_on_first_rows(case, dataset, lambda w: TFLoopTrainer(case, w, "parity", 0, jit))

class TFLoopAdapter:
    name = NAME

    def supports(self, case: Case) -> str | None:
        return unsupported_reason(case)

    def prepare(self, case: Case, dataset: Dataset, initial_weights, mode: str, seed: int, *,
                results_dir=None, tf_loop_jit_compile: bool | None = None, **options) -> TFLoopTrainer:
        reason = unsupported_reason(case)
        if reason:
            raise ValueError(f"case {case.name} cannot run with tf-loop: {reason}")
        from scratchnet.bench.parity.keras_twin import _enable_determinism, import_tensorflow

        _enable_determinism(import_tensorflow())
        settings: dict = {}
        if tf_loop_jit_compile is None:
            choice = calibration.calibrate(NAME, case, CANDIDATES, lambda label: measure_candidate(case, dataset, label),
                                           results_dir)
            jit = choice.label.endswith("True")
            settings = {"calibration_timings": choice.timings(), "calibration_seconds": choice.seconds}
        else:
            jit = bool(tf_loop_jit_compile)
        trainer = TFLoopTrainer(case, _initial(case, dataset, initial_weights, mode, seed), mode, seed, jit)
        trainer._settings.update(settings)
        return trainer


ADAPTER = TFLoopAdapter()
