"""Tutorial claims as data: each published figure, declared once, and the rule that checks it.

A :class:`Claim` names the case(s) that re-create a tutorial section, the quantity the post
reports (``test_mse`` or ``probe_prediction``: the prediction on the case's first
``probe_rows`` input), the value it claims -- or, for "the same as Keras", the case and
framework whose measured median *is* the claimed value --, the epoch (``None``: after each
run's last epoch), the post, and what the post leaves open with the value the suite chose
(:class:`OpenSetting`). ``sensitivity`` lists the open settings the suite varies: the case
registry registers one grid variant per value (``scratchnet.bench.cases.grid``), tagged
``SENSITIVITY_TAG``, so every suite run also measures how the verdict moves with them.

Verdict rule (:func:`verdict`, written into the report by :data:`VERDICT_RULE`): a claim is
*reproduced* by a framework when the claimed value lies inside the range [min, max] of the
seeds' measured values, or within the claim's stated tolerance of their median; otherwise
it is *not reproduced*, reported with the measured median. With several candidate cases
(a post that does not say which activation it used), each case is judged and the claim is
reproduced when at least one case reproduces it. Verdicts use the ``ok`` runs of one mode
(``parity`` when recorded, else ``native``); no ``ok`` run gives *not measured*.

:func:`measure` extracts the values from the recorded tables (``runs.csv`` / ``epochs.csv``
as pandas DataFrames, columns of :mod:`scratchnet.bench.store.schema`); :func:`check_declarations`
validates the declarations against the case registry.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

QUANTITIES = ("test_mse", "probe_prediction")
SENSITIVITY_TAG = "claim-sensitivity"
REPRODUCED, NOT_REPRODUCED, NOT_MEASURED = "reproduced", "not reproduced", "not measured"
VERDICT_RULE = (
    "A claim is reproduced by a framework when the claimed value lies inside the range [min, max] of "
    "the values its seeds measured, or within the claim's stated tolerance of their median; otherwise "
    "it is not reproduced (the measured median is given). A claim with several candidate cases (a post "
    "that does not say which activation it used) is reproduced when at least one candidate reproduces "
    "it. A claim stated relative to another model (\"the same as Keras\") takes that model's measured "
    "median as the claimed value. The verdict column is scratchnet's, whose network is the post's own; "
    "the other frameworks' verdicts are listed beside it."
)

SINGLE_NEURON_POST = ("single-neuron tutorial (a neuron trained on [0,0,1],[1,1,1],[1,0,1],[0,1,1], "
                      "target = first feature, then asked about the unseen [1,0,0])")
CALIFORNIA_POST = "California housing 2-3-1 tutorial (hand-written NumPy network vs its published Keras model)"


@dataclass(frozen=True)
class OpenSetting:
    """Something the post does not state, the value the suite chose, and why."""

    setting: str
    chosen: str
    why: str


@dataclass(frozen=True)
class Claim:
    """One published figure (see the module docstring)."""

    key: str
    post: str
    section: str
    text: str
    cases: tuple[str, ...]
    quantity: str
    claimed: float | None = None
    epoch: int | None = None
    reference_case: str = ""
    reference_framework: str = "keras"
    tolerance: float = 0.0
    relative: bool = False  # tolerance relative to the measured median
    open_settings: tuple[OpenSetting, ...] = ()
    sensitivity: tuple[tuple[str, tuple[Any, ...]], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.quantity not in QUANTITIES:
            raise ValueError(f"claim {self.key}: quantity must be one of {QUANTITIES}, got {self.quantity!r}")
        if not self.cases:
            raise ValueError(f"claim {self.key}: no case")
        if (self.claimed is None) == (not self.reference_case):
            raise ValueError(f"claim {self.key}: give exactly one of claimed= and reference_case=")
        if self.tolerance < 0 or (self.epoch is not None and self.epoch < 1):
            raise ValueError(f"claim {self.key}: tolerance must be >= 0 and epoch >= 1")

    @property
    def quantity_label(self) -> str:
        what = {"test_mse": "test MSE", "probe_prediction": "prediction on the probe input"}[self.quantity]
        return f"{what} at epoch {self.epoch}" if self.epoch is not None else f"{what} after the last epoch"

    @property
    def tolerance_label(self) -> str:
        """``"±5% of the median"`` or ``"±0.005 of the median"``."""
        return f"±{self.tolerance:.0%} of the median" if self.relative else f"±{self.tolerance:g} of the median"


_NEURON_INIT = OpenSetting(
    "initial weights", "kernel U[0,1), bias 0 (as every neuron3 case)",
    "the post does not print its initialisation. On these rows the third input is always 1, so it and "
    "the bias move together and the prediction on [1,0,0] converges to 1 + (b0 - w2_0)/2, a value set by "
    "the initial weights, not by training; the sensitivity variant kernel_initializer=zeros (then the "
    "limit is exactly 1) shows it")
_NEURON_LR = OpenSetting("learning rate", "0.05", "the post suggests \"around 0.05\"")
_NEURON_LOSS = OpenSetting(
    "loss scaling", "Keras' MSE (mean over the batch, gradient 2(a - y))",
    "the post's update rule is not stated; a 1/2 (a - y)^2 loss would halve the effective step")
_KERNEL_INITS = ("zeros",)
_EPOCHS_WHY = ("400 weight updates in every section (so the sections differ only in how they batch): the "
               "linear neuron has converged by then, and Keras pays ~0.1 s per epoch on 4 rows; the "
               "per-epoch probe curve shows every shorter run")

CLAIMS: tuple[Claim, ...] = (
    Claim(
        key="neuron-linear-per-sample", post=SINGLE_NEURON_POST,
        section="one neuron, no activation (a = w.x + b), trained one sample at a time",
        text="prediction on [1,0,0] = 0.9992918862", cases=("neuron3-sgd-linear",),
        quantity="probe_prediction", claimed=0.9992918862, tolerance=0.005,
        open_settings=(OpenSetting("epochs", "100 (batch 1: 400 updates)", _EPOCHS_WHY),
                       _NEURON_LR, _NEURON_INIT, _NEURON_LOSS),
        sensitivity=(("kernel_initializer", _KERNEL_INITS),),
    ),
    Claim(
        key="neuron-linear-full-batch", post=SINGLE_NEURON_POST,
        section="the same neuron trained on all four rows at once (the post calls it \"stochastic gradient "
                "descent\")",
        text="prediction on [1,0,0] = 0.9999991061", cases=("neuron3-batch-linear",),
        quantity="probe_prediction", claimed=0.9999991061, tolerance=0.005,
        open_settings=(OpenSetting("epochs", "400 (full batch: 400 updates)", _EPOCHS_WHY),
                       _NEURON_LR, _NEURON_INIT, _NEURON_LOSS),
        sensitivity=(("kernel_initializer", _KERNEL_INITS),),
    ),
    Claim(
        key="neuron-linear-mini-batch", post=SINGLE_NEURON_POST,
        section="the same neuron, mini-batch gradient descent with random batches",
        text="prediction on [1,0,0] = 0.9956078875", cases=("neuron3-minibatch-random-linear",),
        quantity="probe_prediction", claimed=0.9956078875, tolerance=0.005,
        open_settings=(OpenSetting("batch size and epochs", "2 rows, 200 epochs (400 updates)",
                                   "half the four rows per batch is the only mini-batch that is neither "
                                   "per-sample nor full; " + _EPOCHS_WHY),
                       OpenSetting("random batches", "rows reshuffled every epoch (seeded)",
                                   "\"random batches\"; the variant shuffle=False shows the effect"),
                       _NEURON_LR, _NEURON_INIT, _NEURON_LOSS),
        sensitivity=(("kernel_initializer", _KERNEL_INITS), ("shuffle", (False,))),
    ),
    Claim(
        key="neuron-activation-mini-batch", post=SINGLE_NEURON_POST,
        section="a neuron with an activation function, mini-batch gradient descent",
        text="prediction on [1,0,0] = 0.9394357707 (activation not stated: tanh, sigmoid and ReLU tried)",
        cases=("neuron3-minibatch-random-tanh", "neuron3-minibatch-random-sigmoid",
               "neuron3-minibatch-random-relu"),
        quantity="probe_prediction", claimed=0.9394357707, tolerance=0.005,
        open_settings=(OpenSetting("activation", "tanh, sigmoid and ReLU, one case each",
                                   "the post defines all three and does not say which produced the figure"),
                       OpenSetting("batch size and epochs", "2 rows, 200 epochs (400 updates)", _EPOCHS_WHY),
                       OpenSetting("random batches", "rows reshuffled every epoch (seeded)", "as the post says"),
                       _NEURON_LR, _NEURON_INIT),
        sensitivity=(("learning_rate", (0.1,)), ("epochs", (1000,))),
    ),
    Claim(
        key="neuron-arbitrary-depth", post=SINGLE_NEURON_POST,
        section="the arbitrary-depth network",
        text="prediction on [1,0,0] = 0.9514167066", cases=("deep-3-feature",),
        quantity="probe_prediction", claimed=0.9514167066, tolerance=0.005,
        open_settings=(OpenSetting("architecture", "3-4-4-1 sigmoid (two hidden layers of 4)",
                                   "the post's depth and widths are not stated; the registry's deep case"),
                       OpenSetting("learning rate and epochs", "0.5, 200 epochs per-sample",
                                   "the registry's deep case as it stands; the variant learning_rate=0.05 "
                                   "uses the post's rate"),
                       _NEURON_INIT),
        sensitivity=(("learning_rate", (0.05,)),),
    ),
    Claim(
        key="california-mse-epoch-6", post=CALIFORNIA_POST,
        section="the hand-written 2-3-1 network, per-sample SGD lr 0.05",
        text="test MSE 0.028 after about 6 epochs", cases=("california-2-3-1",),
        quantity="test_mse", claimed=0.028, epoch=6, tolerance=0.05, relative=True,
        open_settings=(OpenSetting("epoch", "6", "\"about 6 epochs\": the per-epoch curve shows 4-8"),),
    ),
    Claim(
        key="california-same-as-keras", post=CALIFORNIA_POST,
        section="the hand-written network vs the post's published Keras model",
        text="\"the same as Keras\": test MSE of the hand-written network = that of the published Keras model",
        cases=("california-2-3-1",), quantity="test_mse",
        reference_case="california-2-3-1-published-keras", reference_framework="keras",
        tolerance=0.05, relative=True,
        open_settings=(OpenSetting("epochs of both models", "each run's last epoch (the cases' 100)",
                                   "the post does not say how long its Keras model trained; at epoch 6 the "
                                   "published model (RMSprop lr 0.001, batch 32) has not converged"),),
    ),
)

CLAIMS_BY_KEY: dict[str, Claim] = {c.key: c for c in CLAIMS}


def claims_for_case(name: str) -> list[Claim]:
    """The claims checked on case ``name`` (as candidate or reference)."""
    return [c for c in CLAIMS if name in c.cases or name == c.reference_case]


def sensitivity_params(claim: Claim) -> list[dict[str, Any]]:
    """One ``{setting: value}`` per sensitivity variant of ``claim`` (one setting changed at a time)."""
    return [{key: value} for key, values in claim.sensitivity for value in values]


def check_declarations(claims: Iterable[Claim], case_names: Iterable[str]) -> None:
    """Raise ValueError naming the claim when a key repeats or a named case is not registered."""
    known, seen = set(case_names), set()
    for claim in claims:
        if claim.key in seen:
            raise ValueError(f"claim key {claim.key!r} declared twice")
        seen.add(claim.key)
        missing = [c for c in (*claim.cases, claim.reference_case) if c and c not in known]
        if missing:
            raise ValueError(f"claim {claim.key}: unknown case(s) {missing}")


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Measurement:
    """The seeds' values of a claim's quantity for one case and framework, and the verdict."""

    case: str
    framework: str
    mode: str
    values: tuple[float, ...]
    runs: int  # runs recorded in that mode, ok or not
    claimed: float
    verdict: str
    reason: str = ""

    @property
    def median(self) -> float:
        return _median(self.values)


def measure(runs, epochs, claim: Claim, case: str, framework: str,
            epoch: int | None | str = "claim") -> tuple[str, tuple[float, ...], int]:
    """``(mode, values, n_runs)`` of ``claim.quantity`` for ``case`` / ``framework``.

    ``runs``/``epochs`` are the recorded tables as DataFrames; values come from the ok runs of
    one mode (parity first). ``epoch="claim"`` uses the claim's epoch; ``None`` the last epoch.
    """
    at = claim.epoch if epoch == "claim" else epoch
    sel = runs[(runs["case"] == case) & (runs["framework"] == framework)]
    for mode in ("parity", "native"):
        in_mode = sel[sel["mode"] == mode]
        if in_mode.empty:
            continue
        ok = in_mode[(in_mode["status"] == "ok") & ~_capped(in_mode)]
        if at is None:
            column = ok[claim.quantity] if claim.quantity in ok else ()
            values = [float(v) for v in column]
        else:
            ep = epochs[(epochs["case"] == case) & (epochs["framework"] == framework) & (epochs["mode"] == mode)
                        & (epochs["epoch"] == at) & epochs["seed"].isin(ok["seed"])]
            values = [float(v) for v in ep[claim.quantity]] if claim.quantity in ep else []
        return mode, tuple(v for v in values if math.isfinite(v)), len(in_mode)
    return "", (), 0


def _capped(runs):
    """Runs that trained fewer epochs than the case asks for by design (a timing contender's
    ``epoch_cap``): they do not measure a quantity "after the last epoch" of the case."""
    if "epoch_cap" not in runs:
        return runs["status"] != runs["status"]  # all False
    cap = runs["epoch_cap"].astype(float)
    return cap.notna() & (cap < runs["epochs"].astype(float))


def claimed_value(runs, epochs, claim: Claim) -> float:
    """The claimed number: declared, or the reference model's measured median (NaN if not measured)."""
    if claim.claimed is not None:
        return float(claim.claimed)
    _, values, _ = measure(runs, epochs, claim, claim.reference_case, claim.reference_framework)
    return _median(values)


def verdict(claim: Claim, claimed: float, values: Iterable[float]) -> str:
    """:data:`REPRODUCED`, :data:`NOT_REPRODUCED` or :data:`NOT_MEASURED` (see the module docstring)."""
    return judge(claim, claimed, values)[0]


def judge(claim: Claim, claimed: float, values: Iterable[float]) -> tuple[str, str]:
    """``(verdict, reason)``; the reason says which half of the rule decided it."""
    vals = [float(v) for v in values if math.isfinite(float(v))]
    if not vals:
        return NOT_MEASURED, "no ok run"
    if not math.isfinite(claimed):
        return NOT_MEASURED, "the reference model has no ok run"
    med = _median(vals)
    tol = claim.tolerance * abs(med) if claim.relative else claim.tolerance
    if abs(claimed - med) <= tol:
        return REPRODUCED, f"within {claim.tolerance_label}"
    if min(vals) <= claimed <= max(vals):
        return REPRODUCED, "inside the seeds' range only (the median is beyond the tolerance)"
    return NOT_REPRODUCED, f"outside the seeds' range and beyond {claim.tolerance_label}"


def evaluate(runs, epochs, claim: Claim, frameworks: Iterable[str]) -> list[Measurement]:
    """One :class:`Measurement` per candidate case and framework that has recorded runs."""
    claimed = claimed_value(runs, epochs, claim)
    out = []
    for case in claim.cases:
        for fw in frameworks:
            mode, values, n = measure(runs, epochs, claim, case, fw)
            if n:
                out.append(Measurement(case, fw, mode, values, n, claimed, *judge(claim, claimed, values)))
    return out


def overall(measurements: Iterable[Measurement], framework: str = "scratchnet") -> tuple[str, list[str]]:
    """The claim's verdict for ``framework`` and the candidate cases that reproduce it."""
    mine = [m for m in measurements if m.framework == framework]
    winners = [m.case for m in mine if m.verdict == REPRODUCED]
    if winners:
        return REPRODUCED, winners
    if any(m.verdict == NOT_REPRODUCED for m in mine):
        return NOT_REPRODUCED, []
    return NOT_MEASURED, []


def _median(values: Iterable[float]) -> float:
    vals = sorted(float(v) for v in values if math.isfinite(float(v)))
    if not vals:
        return math.nan
    mid = len(vals) // 2
    return vals[mid] if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2


def by_case(claims: Iterable[Claim]) -> Mapping[str, list[Claim]]:
    """Claims grouped by candidate case, in declaration order."""
    out: dict[str, list[Claim]] = {}
    for claim in claims:
        for case in claim.cases:
            out.setdefault(case, []).append(claim)
    return out
