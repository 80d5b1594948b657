"""The scikit-learn adapter: ``MLPRegressor`` / ``MLPClassifier``, the closest NumPy peer.

Equivalence with the case (and so with scratchnet and the Keras twin):

* Architecture: ``hidden_layer_sizes`` = the hidden units; every hidden layer must use the same
  activation (sigmoid -> "logistic", tanh, relu, linear -> "identity"), biases on.
* Output and loss: regression needs a linear output and ``mse`` (``MLPRegressor``);
  ``binary_crossentropy`` needs one sigmoid unit and ``categorical_crossentropy`` /
  ``sparse_categorical_crossentropy`` a softmax layer (``MLPClassifier``, fed class labels --
  not one-hot, which scikit-learn would read as multilabel -- so multiclass uses softmax).
  Predictions are ``predict_proba`` (the positive column for binary), in ``y``'s layout.
* Optimizer: SGD (``learning_rate="constant"``, ``momentum``/``nesterovs_momentum`` from the
  case; the momentum rounded to float32, the value Keras' ``ops.cast`` -- and so scratchnet --
  actually multiplies by: 0.9 is 0.899999976, which left unrounded drifts ~2e-7 in 5 epochs) or Adam (``beta_1``, ``beta_2``, ``epsilon``); ``alpha=0`` (no L2), early stopping off,
  one epoch per ``partial_fit`` call. The gradients differ by a constant factor ``c``:
  scikit-learn's squared error is ``mean((y - p)**2) / 2`` but its output delta is
  ``(p - y) / n_rows``, i.e. ``c = k / 2`` times Keras' ``mean((y - p)**2)`` gradient for ``k``
  outputs (``c = 1/2`` for one). So SGD's learning rate is divided by ``c`` (doubled for one
  output) and Adam's epsilon multiplied by ``c`` (halved), which makes the updates identical.
  Cross-entropy with a sigmoid/softmax output has the same ``(p - y) / n_rows`` delta in both:
  no change.
* Parity mode: ``initial_weights`` are copied into ``coefs_``/``intercepts_`` (scikit-learn is
  first initialised by a ``partial_fit`` on one row, then its weights are overwritten and its
  optimizer state and counters reset, so training starts from exactly these weights), and
  ``shuffle=False`` on the harness-permuted rows. Native mode: scikit-learn's own
  initialisation and shuffling from ``numpy.random.RandomState(seed)`` (one stream for the run,
  so each epoch gets a new permutation).
* dtype: float32 and float64 are kept (scikit-learn computes in the input's dtype).

Parity with Keras (tests/bench/test_frameworks_sklearn.py): float64 SGD agrees to <= 1e-12
(relative weight difference); Adam to <= 1e-4 only, because Keras computes the bias
corrections ``1 - beta**t`` from float32-rounded betas (0.999 -> 0.999000012) while
scikit-learn uses the float64 betas: the first step already differs by 6.7e-6 relative. On a
smooth (tanh) net that stays ~5e-6; on a ReLU net it is amplified as units cross the kink
(California 8-64-64-1, float64, 516 steps: 2.5e-3; test MSE 3.5e-3 apart after 2 epochs).
With betas that float32 represents exactly (0.875, 0.998046875) the same 516 steps agree to
5e-15, so the mapping itself is exact. scikit-learn's own Adam is not altered to mimic Keras.

Unsupported (status "unsupported", reason in ``message``): a sigmoid/tanh/relu output with
squared error, MAE, mixed hidden activations, no-bias layers, RMSprop, leaky_relu, a net
without a hidden layer, initializers that matter in native mode are scikit-learn's own.

Epoch time: around the ``partial_fit`` call (scikit-learn has no epoch hooks), so its input
validation (a few microseconds to milliseconds) is counted.
"""
from __future__ import annotations

import time
import warnings

import numpy as np

from scratchnet.bench.cases.registry import Case
from scratchnet.bench.datasets.base import Dataset

_HIDDEN = {"sigmoid": "logistic", "tanh": "tanh", "relu": "relu", "linear": "identity"}
_CLASSIFIER_LOSSES = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax",
                      "sparse_categorical_crossentropy": "softmax"}


def unsupported_reason(case: Case) -> str | None:
    """Why scikit-learn's MLP cannot express ``case`` exactly (None when it can)."""
    hidden, out = case.activations[:-1], case.activations[-1]
    if not hidden:
        return "scikit-learn's MLP needs at least one hidden layer"
    if not case.use_bias:
        return "scikit-learn's MLP always has biases (this case has none)"
    if len(set(hidden)) > 1:
        return f"scikit-learn's MLP uses one activation for all hidden layers (this case mixes {'/'.join(hidden)})"
    if hidden[0] not in _HIDDEN:
        return f"scikit-learn's MLP has no {hidden[0]} activation"
    if case.loss == "mse":
        if out != "linear":
            return (f"MLPRegressor has an identity output; this case has a {out} output with squared error")
    elif case.loss in _CLASSIFIER_LOSSES:
        if out != _CLASSIFIER_LOSSES[case.loss]:
            return f"MLPClassifier pairs {case.loss} with a {_CLASSIFIER_LOSSES[case.loss]} output, not {out}"
        if case.loss == "binary_crossentropy" and case.units[-1] != 1:
            return "binary cross-entropy with more than one output unit is multilabel, not supported here"
        if case.loss != "binary_crossentropy" and case.units[-1] < 2:
            return "a softmax output needs at least two classes"
    else:
        return f"scikit-learn's MLP has no {case.loss} loss"
    if case.optimizer not in ("sgd", "adam"):
        return f"scikit-learn's MLP has no {case.optimizer} optimizer (only sgd and adam)"
    return None


def _gradient_factor(case: Case) -> float:
    """scikit-learn's gradient / Keras' gradient for this case's loss (module docstring)."""
    return case.units[-1] / 2.0 if case.loss == "mse" else 1.0


def estimator_params(case: Case, mode: str, seed: int, n_train: int) -> dict:
    """Keyword arguments of MLPRegressor/MLPClassifier equivalent to ``case``."""
    opt = dict(case.optimizer_params)
    c = _gradient_factor(case)
    params = dict(
        hidden_layer_sizes=tuple(case.units[:-1]), activation=_HIDDEN[case.activations[0]], alpha=0.0,
        batch_size=min(case.batch_size or n_train, n_train), max_iter=1, early_stopping=False,
        n_iter_no_change=10**9, tol=0.0, shuffle=(mode == "native" and case.shuffle),
        random_state=np.random.RandomState(seed % 2**32), verbose=False, warm_start=False,
    )
    if case.optimizer == "sgd":
        params.update(solver="sgd", learning_rate="constant", learning_rate_init=float(opt["learning_rate"]) / c,
                      # rounded to float32 as Keras' ops.cast (and so scratchnet) rounds it
                      momentum=float(np.float32(opt.get("momentum", 0.0))),
                      nesterovs_momentum=bool(opt.get("nesterov", False)))
    else:
        params.update(solver="adam", learning_rate_init=float(opt.get("learning_rate", 0.001)),
                      beta_1=float(opt.get("beta_1", 0.9)), beta_2=float(opt.get("beta_2", 0.999)),
                      epsilon=float(opt.get("epsilon", 1e-7)) * c)
    return params


class SklearnTrainer:
    def __init__(self, est, case: Case, classes: np.ndarray | None) -> None:
        self.est, self.case, self._classes = est, case, classes

    def _target(self, Y: np.ndarray) -> np.ndarray:
        if self._classes is None:
            return Y.ravel() if Y.ndim == 2 and Y.shape[1] == 1 else Y
        if self.case.loss == "categorical_crossentropy":
            return np.argmax(Y, axis=1)
        return np.asarray(Y).ravel().astype(np.int64)

    def train_epoch(self, X: np.ndarray, Y: np.ndarray, batch_size: int | None = None) -> float:
        y = self._target(Y)
        if batch_size is not None:  # the estimator's batch size is a parameter it reads in each call
            self.est.batch_size = int(batch_size)
        t0 = time.perf_counter()
        if self._classes is None:
            self.est.partial_fit(X, y)
        else:
            self.est.partial_fit(X, y, classes=self._classes)
        return time.perf_counter() - t0

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self._classes is None:
            p = self.est.predict(X)
            return p.reshape(-1, 1) if p.ndim == 1 else p
        p = self.est.predict_proba(X)
        return p[:, 1:2] if self.case.loss == "binary_crossentropy" else p

    timed_predict = predict

    def get_weights(self) -> list[np.ndarray]:
        out = []
        for W, b in zip(self.est.coefs_, self.est.intercepts_):
            out += [W, b]
        return out

    def settings(self) -> dict:
        return {}


def copy_weights(est, weights: list[np.ndarray]) -> None:
    """Overwrite a (primed) estimator's weights with ``weights`` and reset its optimizer state."""
    coefs, intercepts = weights[0::2], weights[1::2]
    if len(coefs) != len(est.coefs_) or any(a.shape != b.shape for a, b in zip(coefs, est.coefs_)) \
            or any(a.shape != b.shape for a, b in zip(intercepts, est.intercepts_)):
        raise ValueError("initial weights do not match scikit-learn's layer shapes: "
                         f"{[w.shape for w in weights]} vs {[w.shape for w in est.coefs_]}")
    dtype = est.coefs_[0].dtype
    est.coefs_ = [np.array(w, dtype=dtype, copy=True) for w in coefs]
    est.intercepts_ = [np.array(b, dtype=dtype, copy=True) for b in intercepts]
    # partial_fit builds a fresh optimizer (zero moments, t = 0) on the new arrays when it has none
    if hasattr(est, "_optimizer"):
        del est._optimizer
    est.n_iter_, est.t_ = 0, 0
    est.loss_curve_ = []
    est._no_improvement_count = 0
    est.best_loss_ = np.inf


class SklearnAdapter:
    name = "sklearn"

    def supports(self, case: Case) -> str | None:
        return unsupported_reason(case)

    def prepare(self, case: Case, dataset: Dataset, initial_weights, mode: str, seed: int,
                **options) -> SklearnTrainer:
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        reason = unsupported_reason(case)
        if reason:
            raise ValueError(f"case {case.name} cannot run with scikit-learn: {reason}")
        params = estimator_params(case, mode, seed, dataset.n_train)
        classifier = case.loss in _CLASSIFIER_LOSSES
        est = (MLPClassifier if classifier else MLPRegressor)(**params)
        classes = np.arange(max(case.units[-1], 2)) if classifier else None
        trainer = SklearnTrainer(est, case, classes)
        # Prime scikit-learn's internal state (layer shapes, label binarizer, output activation)
        # with one partial_fit on one row, then start from the wanted weights: the given ones in
        # parity mode, scikit-learn's own initialisation (seen as it is drawn) in native mode.
        X1, y1 = dataset.X_train[:1], trainer._target(dataset.y_train[:1])
        drawn = _own_initial_weights(est) if mode == "native" else None
        with warnings.catch_warnings():  # "batch_size larger than sample size": one row on purpose
            warnings.simplefilter("ignore", UserWarning)
            est.partial_fit(X1, y1, **({"classes": classes} if classifier else {}))
        copy_weights(est, initial_weights if drawn is None else drawn.weights())
        return trainer


class _own_initial_weights:
    """Records the weights scikit-learn draws in its first ``partial_fit`` (its ``_initialize``
    step), before that call's training step changes them. Observation only: the estimator's
    own method runs unchanged; the hook is removed once it has fired."""

    def __init__(self, est) -> None:
        original = getattr(est, "_initialize", None)
        if original is None:
            raise RuntimeError("this scikit-learn has no MLP _initialize step to observe; "
                               "native mode cannot recover its initial weights")
        self._coefs: list[np.ndarray] = []
        self._intercepts: list[np.ndarray] = []

        def observe(*args, **kwargs):
            original(*args, **kwargs)
            self._coefs = [np.array(c, copy=True) for c in est.coefs_]
            self._intercepts = [np.array(b, copy=True) for b in est.intercepts_]
            del est._initialize  # back to the class's method

        est._initialize = observe

    def weights(self) -> list[np.ndarray]:
        if not self._coefs:
            raise RuntimeError("scikit-learn did not initialise its weights in the priming partial_fit")
        return [w for pair in zip(self._coefs, self._intercepts) for w in pair]


ADAPTER = SklearnAdapter()
