"""The ``torch`` adapter: PyTorch, written as a PyTorch user writes it.

Optional: ``pip install -e .[torch]`` (pinned ``torch==2.13.0``, a CPU build on these machines).
Without it every case is recorded ``unsupported`` with the reason :data:`NOT_INSTALLED`.

The model: ``torch.nn.Sequential`` of ``nn.Linear`` layers and activation modules in the case's
dtype; Keras' kernel ``(inputs, units)`` is copied transposed into ``Linear.weight``
``(units, inputs)``. The loss is the case's, in PyTorch's idiom and Keras' reduction: ``MSELoss``,
``L1Loss``; a sigmoid output with binary cross-entropy trains through ``BCEWithLogitsLoss`` and a
softmax with (sparse) categorical cross-entropy through ``CrossEntropyLoss`` on the logits -- the
same fusion Keras 3 applies (no clipping); other pairings clip the probabilities to
``[1e-7, 1 - 1e-7]`` as Keras does. Each step: ``zero_grad``, forward, loss, ``backward``,
``step``, on slices of the epoch's tensors in the harness' order.

Optimizers, mapped from Keras' hyper-parameters, and where PyTorch's formula differs:

* ``SGD(lr, momentum=float32(m), nesterov)`` -- PyTorch keeps ``b = m*b + g`` and steps
  ``w -= lr*b`` (Nesterov ``w -= lr*(g + m*b)``); Keras keeps ``v = m*v - lr*g`` and steps
  ``w += v``. The same maths (``v = -lr*b``), rounded in another order: float64 drift of a few
  ulps per step (measured: tests/bench/test_frameworks_torch.py; the report's parity notes).
  The momentum is rounded to float32, the value Keras multiplies by.
* ``RMSprop(lr, alpha=rho, eps, momentum)`` -- PyTorch divides by ``sqrt(v) + eps``, Keras by
  ``sqrt(v + eps)``: not the same function. With Keras' default ``eps = 1e-7`` the steps
  differ wherever ``v`` is small; the measured drift is stated, never hidden by a tolerance.
* ``Adam(lr, betas, eps)`` -- PyTorch adds ``eps`` to ``sqrt(v)/sqrt(1 - b2^t)``, Keras to
  ``sqrt(v)`` (an effective eps ``sqrt(1 - b2^t)`` times larger in PyTorch: ~30x at step 1),
  and uses the exact betas where Keras' powers use float32-rounded ones. Measured drift stated.

Execution: eager, or ``torch.compile`` of the model (forward and, through AOTAutograd, backward;
the optimizer step stays eager), the faster per (case, dtype) from a short calibration
(:mod:`.calibration`, cached in ``<results>/torch_calibration.json``). Compiling costs ~30 s in
every run on these machines, so it is chosen only when it beats eager by more than
:data:`COMPILE_MARGIN`. ``ADAPTER.prepare(..., torch_execution="eager")`` forces it (no calibration).
Threads: ``torch.set_num_threads`` from ``OMP_NUM_THREADS`` when set (the suite's one-thread
setting), else PyTorch's default; recorded in ``execution``.

Modes: parity copies ``initial_weights`` and keeps the harness' row order; native uses
PyTorch's own initialisation (``nn.Linear``'s Kaiming-uniform, under ``torch.manual_seed(seed)``)
and, when the case shuffles, each epoch's permutation exactly as ``DataLoader(shuffle=True, generator=g)`` draws it
(``g`` seeded by ``seed``; :meth:`TorchTrainer.epoch_order`), applied by slicing the tensors
rather than collating row by row. Epoch time: around the epoch's loop (PyTorch has no epoch hooks).
"""
from __future__ import annotations

import importlib.util
import os
import time

import numpy as np

from scratchnet.bench.cases.registry import Case
from scratchnet.bench.datasets.base import Dataset
from scratchnet.bench.frameworks import calibration
from scratchnet.bench.frameworks.case_maths import HIDDEN_ACTIVATIONS, case_maths, unsupported_activation
from scratchnet.bench.store.schema import NOT_INSTALLED_PHRASE

NAME = "torch"
PINNED = "2.13.0"
NOT_INSTALLED = f"torch {NOT_INSTALLED_PHRASE} (optional: pip install -e .[torch], pinned torch=={PINNED})"
COMPILE_MARGIN = 0.10
CANDIDATES = (calibration.Candidate("eager"), calibration.Candidate("compile", margin=COMPILE_MARGIN))


def torch_available() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def unsupported_reason(case: Case) -> str | None:
    if not torch_available():
        return NOT_INSTALLED
    try:
        maths = case_maths(case)
    except ValueError as exc:
        return str(exc)
    return unsupported_activation(maths, HIDDEN_ACTIVATIONS, "torch")


def _threads(torch) -> int:
    value = os.environ.get("OMP_NUM_THREADS", "")
    if value.isdigit() and int(value) >= 1 and torch.get_num_threads() != int(value):
        torch.set_num_threads(int(value))
    return torch.get_num_threads()


def _activation(nn, name: str):
    if name == "leaky_relu":
        return nn.LeakyReLU(float(np.float32(0.2)))  # Keras (TensorFlow) multiplies by float32(0.2)
    return {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "softmax": lambda: nn.Softmax(dim=-1),
            "linear": nn.Identity}[name]()


class TorchTrainer:
    def __init__(self, case: Case, n_features: int, initial_weights, mode: str, seed: int, execution: str) -> None:
        import torch
        from torch import nn

        self.torch, self.case, self.maths = torch, case, case_maths(case)
        self.dtype = getattr(torch, case.dtype)
        threads = _threads(torch)
        torch.manual_seed(seed % 2**63)
        modules, n_in, last = [], n_features, len(self.maths.layers) - 1
        self.linears = []
        for i, spec in enumerate(self.maths.layers):
            lin = nn.Linear(n_in, spec.units, bias=spec.use_bias, dtype=self.dtype)
            self.linears.append(lin)
            modules.append(lin)
            if not (i == last and self.maths.fused):
                modules.append(_activation(nn, spec.activation))
            n_in = spec.units
        self.model = nn.Sequential(*modules)
        if mode == "parity":
            self._copy(initial_weights)
        self.optimizer = self._optimizer()
        self.loss_fn = self._loss_fn()
        self.forward = self.model
        if execution == "compile":
            torch._inductor.config.compile_threads = 1
            self.forward = torch.compile(self.model)
        self._generator = (torch.Generator().manual_seed(seed % 2**63)
                           if mode == "native" and case.shuffle else None)
        self._settings = {"execution": f"{execution}, {threads} thread{'s' if threads != 1 else ''}"}

    def _copy(self, weights) -> None:
        it = iter(weights)
        with self.torch.no_grad():
            for lin in self.linears:
                lin.weight.copy_(self.torch.from_numpy(np.ascontiguousarray(np.asarray(next(it)).T)))
                if lin.bias is not None:
                    lin.bias.copy_(self.torch.from_numpy(np.asarray(next(it))))

    def _optimizer(self):
        optim, h, params = self.torch.optim, self.maths.hyper, self.model.parameters()
        if self.maths.optimizer == "sgd":
            return optim.SGD(params, lr=h["learning_rate"], momentum=float(np.float32(h["momentum"])),
                             nesterov=bool(h["nesterov"]))
        if self.maths.optimizer == "rmsprop":
            return optim.RMSprop(params, lr=h["learning_rate"], alpha=h["rho"], eps=h["epsilon"],
                                 momentum=h["momentum"], centered=False)
        return optim.Adam(params, lr=h["learning_rate"], betas=(h["beta_1"], h["beta_2"]), eps=h["epsilon"])

    def _loss_fn(self):
        torch, nn, loss, fused = self.torch, self.torch.nn, self.maths.loss, self.maths.fused
        if loss == "mean_squared_error":
            return nn.MSELoss()
        if loss == "mean_absolute_error":
            return nn.L1Loss()
        if loss == "binary_crossentropy":
            if fused:
                return nn.BCEWithLogitsLoss()
            bce = nn.BCELoss()
            return lambda p, y: bce(p.clamp(1e-7, 1 - 1e-7), y)
        sparse = loss == "sparse_categorical_crossentropy"
        if fused:
            ce = nn.CrossEntropyLoss()
            return (lambda z, y: ce(z, y.reshape(-1).long())) if sparse else ce

        def clipped(p, y):
            p = (p / p.sum(-1, keepdim=True)).clamp(1e-7, 1 - 1e-7)
            if sparse:
                y = nn.functional.one_hot(y.reshape(-1).long(), p.shape[-1]).to(p.dtype)
            return -(y * torch.log(p)).sum(-1).mean()
        return clipped

    def epoch_order(self, n: int):
        """The next epoch's permutation, drawn as ``DataLoader(shuffle=True, generator=g)`` draws it:
        its iterator first takes a base seed from ``g`` (one int64), then ``RandomSampler`` takes
        ``randperm(n, generator=g)``."""
        torch = self.torch
        torch.empty((), dtype=torch.int64).random_(generator=self._generator)
        return torch.randperm(n, generator=self._generator)

    def train_epoch(self, X: np.ndarray, Y: np.ndarray, batch_size: int | None = None) -> float:
        torch = self.torch
        Xt, Yt = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(np.ascontiguousarray(Y))
        if self._generator is not None:
            order = self.epoch_order(Xt.shape[0])
            Xt, Yt = Xt[order], Yt[order]
        n = Xt.shape[0]
        bs = int(batch_size or self.case.batch_size or n)
        opt, loss_fn, forward = self.optimizer, self.loss_fn, self.forward
        self.model.train()
        t0 = time.perf_counter()
        for start in range(0, n, bs):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(forward(Xt[start:start + bs]), Yt[start:start + bs])
            loss.backward()
            opt.step()
        return time.perf_counter() - t0

    def predict(self, X: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.no_grad():
            out = self.model(torch.from_numpy(np.ascontiguousarray(X)))
            if self.maths.fused:
                out = torch.sigmoid(out) if self.maths.output_activation == "sigmoid" else torch.softmax(out, -1)
        return out.numpy()

    def get_weights(self) -> list[np.ndarray]:
        out = []
        for lin in self.linears:
            out.append(lin.weight.detach().numpy().T.copy())
            if lin.bias is not None:
                out.append(lin.bias.detach().numpy().copy())
        return out

    def settings(self) -> dict:
        return dict(self._settings)


def measure_candidate(case: Case, dataset: Dataset, label: str) -> float:
    """Seconds per step of one execution candidate on the case's first rows (warm-up excluded)."""
    return calibration.measure_on_first_rows(
        case, dataset, lambda w: TorchTrainer(case, dataset.n_features, w, "parity", 0, label))

class TorchAdapter:
    name = NAME

    def supports(self, case: Case) -> str | None:
        return unsupported_reason(case)

    def prepare(self, case: Case, dataset: Dataset, initial_weights, mode: str, seed: int, *,
                results_dir=None, torch_execution: str | None = None, **options) -> TorchTrainer:
        reason = unsupported_reason(case)
        if reason:
            raise ValueError(f"case {case.name} cannot run with torch: {reason}")
        settings: dict = {}
        if torch_execution is None:
            choice = calibration.calibrate(NAME, case, CANDIDATES,
                                           lambda label: measure_candidate(case, dataset, label), results_dir)
            execution = choice.label
            settings = {"calibration_timings": choice.timings(), "calibration_seconds": choice.seconds}
        elif torch_execution in ("eager", "compile"):
            execution = torch_execution
        else:
            raise ValueError(f"torch_execution must be 'eager' or 'compile', got {torch_execution!r}")
        trainer = TorchTrainer(case, dataset.n_features, initial_weights, mode, seed, execution)
        trainer._settings.update(settings)
        return trainer


ADAPTER = TorchAdapter()
__all__ = ["ADAPTER", "TorchAdapter", "TorchTrainer", "NOT_INSTALLED", "torch_available"]
