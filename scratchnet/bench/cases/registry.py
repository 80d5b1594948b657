"""The case registry: every benchmark case, defined once, frozen.

A :class:`Case` says everything that makes two runs equivalent: the dataset, the layers
and activations, bias, initializers, loss, optimizer and hyper-parameters, batch size,
epochs, shuffling and dtype -- plus where the case comes from and what its author claimed.
``CASES`` maps name -> Case; :func:`get_case` and :func:`select_cases` look cases up;
:func:`build_model` turns a case into a compiled scratchnet model.

Every case is run by both frameworks. "Equivalent" cases compare like with like; a case
with ``equivalent=False`` re-creates a tutorial's *published* Keras model, which was not
equivalent to the tutorial's own network (the report says so next to its numbers).
"""
from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import re
from dataclasses import dataclass, field

import scratchnet as sn

from scratchnet.bench.cases import claims as _claims
from scratchnet.bench.cases.grid import variant

_U01 = ("random_uniform", (("minval", 0.0), ("maxval", 1.0)))
# The single-neuron tutorial's unseen sample first, then the other rows absent from training.
PROBE_3 = ((1.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0), (1.0, 1.0, 0.0))


@dataclass(frozen=True)
class Case:
    """One benchmark case. ``units``/``activations`` list the Dense layers, output last."""

    name: str
    dataset: str
    units: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    optimizer: str
    optimizer_params: tuple[tuple[str, float | bool], ...]
    batch_size: int | None  # None: full batch
    epochs: int
    description: str
    dataset_params: tuple[tuple[str, object], ...] = ()
    use_bias: bool = True
    kernel_initializer: str | tuple = "glorot_uniform"
    bias_initializer: str | tuple = "zeros"
    shuffle: bool = True
    dtype: str = "float64"
    target_loss: float | None = None
    quick_epochs: int | None = None  # epochs in the fast profile (None: same as epochs)
    time_limit: float = 900.0  # seconds per run before status "timeout"
    equivalent: bool = True
    source: str = ""
    claim: str = ""
    claim_test_mse: float | None = None
    claim_epochs: int | None = None
    tutorial_of: str = ""
    tags: tuple[str, ...] = field(default=())
    # Inputs whose predictions every run records after each epoch (schema: probe_prediction,
    # probe_predictions); the first row is the one a tutorial's claim is about.
    probe_rows: tuple[tuple[float, ...], ...] = ()
    seed_key: str = ""  # seeds derive from this name when set (grid variants share their base's seeds)

    def __post_init__(self) -> None:
        if len(self.units) != len(self.activations):
            raise ValueError(f"case {self.name}: {len(self.units)} layers but {len(self.activations)} activations")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"case {self.name}: batch_size must be >= 1 or None, got {self.batch_size}")
        if len({len(row) for row in self.probe_rows}) > 1:
            raise ValueError(f"case {self.name}: probe_rows have different lengths {self.probe_rows}")

    @property
    def architecture(self) -> str:
        acts = "/".join(self.activations)
        bias = "" if self.use_bias else ", no bias"
        return f"{'-'.join(str(u) for u in self.units)} {acts}{bias}"

    @property
    def optimizer_label(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.optimizer_params)
        return f"{_OPTIMIZER_CLASSES[self.optimizer].__name__}({args})"

    def epochs_for(self, profile: str) -> int:
        """Epochs in the "full" or "fast" profile."""
        if profile not in ("full", "fast"):
            raise ValueError(f"profile must be 'full' or 'fast', got {profile!r}")
        return self.epochs if profile == "full" or self.quick_epochs is None else self.quick_epochs

    def seeds(self, n: int) -> list[int]:
        """``n`` seeds derived deterministically from the case name (sha256), logged with each run.

        A grid variant (``seed_key`` set) uses its base case's name, hence the base's seeds.
        """
        key = self.seed_key or self.name
        return [int.from_bytes(hashlib.sha256(f"{key}:{i}".encode()).digest()[:4], "big") for i in range(n)]


_OPTIMIZER_CLASSES = {"sgd": sn.SGD, "adam": sn.Adam, "rmsprop": sn.RMSprop}


def _initializer(spec: str | tuple):
    if isinstance(spec, str):
        return spec
    name, params = spec
    return sn.initializers.INITIALIZERS[name](**dict(params))


def model_name(case_name: str) -> str:
    """The case name as a model name Keras accepts (a variant's ``[k=v,...]`` becomes ``_k=v_...``)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", case_name)


def build_model(case: Case, seed: int, dtype: str | None = None, n_features: int | None = None) -> sn.Sequential:
    """A compiled scratchnet model for ``case``, its weights drawn with ``seed``."""
    if n_features is None:
        raise ValueError("build_model needs n_features (the dataset's number of columns)")
    layers: list = [sn.Input((n_features,))]
    for units, act in zip(case.units, case.activations):
        layers.append(sn.Dense(units, act, use_bias=case.use_bias,
                               kernel_initializer=_initializer(case.kernel_initializer),
                               bias_initializer=_initializer(case.bias_initializer)))
    model = sn.Sequential(layers, dtype=dtype or case.dtype, seed=seed, name=model_name(case.name))
    model.compile(_OPTIMIZER_CLASSES[case.optimizer](**dict(case.optimizer_params)), case.loss)
    model.build()
    return model


# Epoch budgets: long enough that most seeds stop improving (test loss better by <1% over the
# last 10% of epochs) before the budget ends, so the convergence epoch measures convergence.
# Reasoning per case, from the reference run of 2026-11-23 and 5-seed scratchnet curves up to
# 3000 epochs (parity curves are the same for both frameworks), is in docs/epoch-budgets.md.
# Cases whose loss falls toward 0 forever (a sigmoid output on 0/1 targets) keep their budget
# and are reported as "still improving": no budget makes them flat.
_NEURON3_EPOCHS = {("batch", "tanh"): 500, ("sgd", "tanh"): 500, ("minibatch", "tanh"): 300,
                   ("sgd", "relu"): 40, ("minibatch", "relu"): 60}


def _neuron3(mode: str, act: str) -> Case:
    batch = {"batch": None, "sgd": 1, "minibatch": 2}[mode]
    epochs = _NEURON3_EPOCHS.get((mode, act), 200)
    words = {"batch": "full-batch", "sgd": "per-sample", "minibatch": "mini-batch (2 rows)"}[mode]
    lr = 1.0 if act == "sigmoid" else 0.1  # sigmoid's small slope needs the larger step
    return Case(
        name=f"neuron3-{mode}-{act}", dataset="three-feature", units=(1,), activations=(act,),
        loss="mse", optimizer="sgd", optimizer_params=(("learning_rate", lr),), batch_size=batch,
        epochs=epochs, quick_epochs=min(50, epochs // 2), shuffle=False, kernel_initializer=_U01,
        bias_initializer="zeros",
        description=f"One {act} neuron on 3 binary features whose target is the first feature; "
                    f"{words} gradient descent on MSE, lr {lr}, weights U[0,1).",
        source="single-neuron tutorial (4 training rows [0,0,1],[1,1,1],[1,0,1],[0,1,1]; target = first feature)",
        tags=("tutorial", "neuron3"), probe_rows=PROBE_3,
    )


_CLAIM_UPDATES = 400  # weight updates in every single-neuron claim case (see claims.py)


def _neuron3_claim(mode: str, act: str) -> Case:
    """The single-neuron tutorial's sections as the post describes them: lr 0.05, 400 updates."""
    batch = {"batch": None, "sgd": 1, "minibatch-random": 2}[mode]
    steps = 4 // (batch or 4)
    epochs = _CLAIM_UPDATES // steps
    words = {"batch": "full-batch", "sgd": "per-sample",
             "minibatch-random": "mini-batch (2 rows, reshuffled every epoch)"}[mode]
    neuron = "linear neuron (no activation)" if act == "linear" else f"{act} neuron"
    return Case(
        name=f"neuron3-{mode}-{act}", dataset="three-feature", units=(1,), activations=(act,),
        loss="mse", optimizer="sgd", optimizer_params=(("learning_rate", 0.05),), batch_size=batch,
        epochs=epochs, quick_epochs=epochs // 10, shuffle=mode == "minibatch-random",
        kernel_initializer=_U01, bias_initializer="zeros",
        description=f"One {neuron} on 3 binary features whose target is the first feature; {words} gradient "
                    f"descent on MSE, lr 0.05 (the post's \"around 0.05\"), weights U[0,1), {epochs} epochs = "
                    f"{_CLAIM_UPDATES} updates (epochs unstated by the post: the same number of updates in "
                    f"every section, enough for the linear neuron to converge, few enough to keep Keras' "
                    f"per-epoch overhead small). Records the prediction on the unseen [1,0,0].",
        source="single-neuron tutorial (4 training rows [0,0,1],[1,1,1],[1,0,1],[0,1,1]; target = first feature)",
        tags=("tutorial", "neuron3", "claim"), probe_rows=PROBE_3,
    )


def _cases() -> list[Case]:
    cases = [
        Case(
            name="perceptron", dataset="blobs", units=(1,), activations=("sigmoid",), loss="mse",
            optimizer="sgd", optimizer_params=(("learning_rate", 2.0),), batch_size=None, epochs=1500,
            quick_epochs=30, shuffle=False, kernel_initializer=_U01,
            description="A perceptron: one sigmoid neuron, MSE, full-batch gradient descent (lr 2.0) "
                        "on two separable blobs.",
            source="perceptron tutorial (one sigmoid neuron, MSE, gradient descent)", tags=("tutorial",),
        ),
        *[_neuron3(mode, act) for mode in ("batch", "sgd", "minibatch") for act in ("sigmoid", "tanh", "relu")],
        *[_neuron3_claim(mode, "linear") for mode in ("sgd", "batch", "minibatch-random")],
        *[_neuron3_claim("minibatch-random", act) for act in ("tanh", "sigmoid", "relu")],
        Case(
            name="deep-3-feature", dataset="three-feature", units=(4, 4, 1),
            activations=("sigmoid", "sigmoid", "sigmoid"), loss="mse", optimizer="sgd",
            optimizer_params=(("learning_rate", 0.5),), batch_size=1, epochs=200, quick_epochs=50,
            shuffle=False, kernel_initializer=_U01,
            description="The same 3-feature data through an arbitrary-depth net (3-4-4-1 sigmoid), "
                        "per-sample SGD lr 0.5, weights U[0,1).",
            source="single-neuron tutorial, part 2 (arbitrary depth)", tags=("tutorial", "claim"),
            probe_rows=PROBE_3,
        ),
        Case(
            name="nobias-2-3-1", dataset="sleep-study", units=(3, 1), activations=("sigmoid", "sigmoid"),
            use_bias=False, loss="mse", optimizer="sgd", optimizer_params=(("learning_rate", 2.0),),
            batch_size=None, epochs=1200, quick_epochs=60, shuffle=False, kernel_initializer="random_normal",
            description="2-3-1 sigmoid net without biases, full-batch gradient descent (lr 2.0) on MSE; "
                        "hours of sleep/study -> test score.",
            source="'Neural Networks Demystified' tutorial (2-3-1, no biases, gradient descent)",
            tags=("tutorial",),
        ),
        Case(
            name="moons-2-4-4-1", dataset="moons", units=(4, 4, 1),
            activations=("sigmoid", "sigmoid", "sigmoid"), loss="mse", optimizer="sgd",
            optimizer_params=(("learning_rate", 0.5),), batch_size=32, epochs=100, quick_epochs=20,
            description="2-4-4-1 net with two sigmoid hidden layers on make_moons, MSE, SGD lr 0.5, batch 32.",
            source="2-4-4-1 two-hidden-layer tutorial", tags=("tutorial",),
        ),
        Case(
            name="california-2-3-1", dataset="california-tutorial", units=(3, 1),
            activations=("sigmoid", "sigmoid"), loss="mse", optimizer="sgd",
            optimizer_params=(("learning_rate", 0.05),), batch_size=1, epochs=100, quick_epochs=8,
            shuffle=False, kernel_initializer=_U01, bias_initializer=_U01, target_loss=0.0282,
            time_limit=2400.0,
            description="The California housing tutorial exactly: MedInc, AveRooms -> MedHouseVal, min-max "
                        "scaled over the full table, first 10,000 rows, 67/33 split (random_state 42), 2-3-1 "
                        "sigmoid, weights and biases U[0,1), per-sample SGD lr 0.05, no shuffling.",
            source="California housing 2-3-1 tutorial (hand-written NumPy network)",
            tags=("tutorial", "california", "claim"),
        ),
        Case(
            name="california-2-3-1-published-keras", dataset="california-tutorial", units=(3, 1),
            activations=("sigmoid", "sigmoid"), loss="mse", optimizer="rmsprop",
            optimizer_params=(("learning_rate", 0.001),), batch_size=32, epochs=100, quick_epochs=8,
            shuffle=True, equivalent=False, tutorial_of="california-2-3-1",
            description="The tutorial's published Keras 'analog': same data and 2-3-1 sigmoid layers, but Glorot "
                        "init, RMSprop lr 0.001 and batch 32 -- not equivalent to its hand-written SGD network.",
            source="California housing 2-3-1 tutorial, its Keras model as published", tags=("tutorial", "california"),
        ),
        Case(
            name="california-8-64-64-1", dataset="california", units=(64, 64, 1),
            activations=("relu", "relu", "linear"), loss="mse", optimizer="adam",
            optimizer_params=(("learning_rate", 0.001),), batch_size=32, epochs=60, quick_epochs=3,
            dtype="float32",
            description="California housing, all 8 features standardised, 8-64-64-1 ReLU, Adam, batch 32.",
            source="real data", tags=("real",),
        ),
        Case(
            name="diabetes-10-32-1", dataset="diabetes", units=(32, 1), activations=("relu", "linear"),
            loss="mse", optimizer="adam", optimizer_params=(("learning_rate", 0.001),), batch_size=16,
            epochs=50, quick_epochs=10, dtype="float32",
            description="sklearn diabetes regression (X and y standardised), 10-32-1 ReLU, Adam, batch 16.",
            source="real data", tags=("real",),
        ),
        Case(
            name="breast-cancer-30-16-1", dataset="breast_cancer", units=(16, 1),
            activations=("relu", "sigmoid"), loss="binary_crossentropy", optimizer="adam",
            optimizer_params=(("learning_rate", 0.001),), batch_size=32, epochs=100, quick_epochs=5,
            dtype="float32",
            description="sklearn breast cancer, binary: 30-16-1, sigmoid output + binary cross-entropy, Adam.",
            source="real data", tags=("real",),
        ),
        Case(
            name="digits-64-32-10", dataset="digits", units=(32, 10), activations=("relu", "softmax"),
            loss="categorical_crossentropy", optimizer="sgd",
            optimizer_params=(("learning_rate", 0.05), ("momentum", 0.9)), batch_size=32, epochs=30,
            quick_epochs=4, dtype="float32",
            description="sklearn digits, 10 classes: 64-32-10, softmax + categorical cross-entropy, "
                        "SGD momentum 0.9.",
            source="real data", tags=("real",),
        ),
        Case(
            name="mlp-784-512-512-10", dataset="random-784", units=(512, 512, 10),
            activations=("relu", "relu", "softmax"), loss="categorical_crossentropy", optimizer="adam",
            optimizer_params=(("learning_rate", 0.001),), batch_size=128, epochs=5, quick_epochs=1,
            dtype="float32", time_limit=1200.0,
            description="Throughput: 784-512-512-10 ReLU MLP, softmax + categorical cross-entropy, Adam, "
                        "batch 128, on 8,192 random rows.",
            source="throughput", tags=("throughput",),
        ),
    ]
    cases = [_with_claim_fields(c) for c in cases]
    by_name = {c.name: c for c in cases}
    _claims.check_declarations(_claims.CLAIMS, by_name)
    cases += [_sensitivity_variant(by_name[name], params)
              for claim in _claims.CLAIMS for name in claim.cases for params in _claims.sensitivity_params(claim)]
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


def _sensitivity_variant(case: Case, params: dict) -> Case:
    """A claim's sensitivity variant (grid.variant), tagged for the report's sensitivity figure."""
    v = variant(case, **params)
    tags = tuple(t for t in v.tags if t != "claim")
    return dataclasses.replace(v, tags=(*tags, _claims.SENSITIVITY_TAG))


def _with_claim_fields(case: Case) -> Case:
    """Fill the legacy ``claim*`` columns of cases.csv from the declarations in claims.py."""
    numeric = [c for c in _claims.claims_for_case(case.name) if case.name in c.cases and c.quantity == "test_mse"]
    if not numeric:
        return case
    text = "; ".join(c.text for c in numeric)
    first = next((c for c in numeric if c.claimed is not None), None)
    return dataclasses.replace(case, claim=text, claim_test_mse=first.claimed if first else None,
                               claim_epochs=first.epoch if first else None)


CASES: dict[str, Case] = {case.name: case for case in _cases()}


def get_case(name: str) -> Case:
    """The case called ``name``; a ValueError lists the valid names otherwise."""
    try:
        return CASES[name]
    except KeyError:
        raise ValueError(f"Unknown case {name!r}; valid names: {sorted(CASES)}") from None


def select_cases(patterns: str | list[str] | None = None) -> list[Case]:
    """Cases whose names match any of the comma-separated glob ``patterns`` (all when None).

    Commas inside ``[...]`` belong to a grid variant's name (``c[epochs=5,learning_rate=0.1]``)
    and do not separate patterns; a pattern equal to a case name selects that case literally.
    """
    if patterns is None:
        return list(CASES.values())
    if isinstance(patterns, str):
        patterns = [p.strip() for p in _split_patterns(patterns) if p.strip()]
    # a pattern equal to a name selects it literally (variant names hold "[", a glob character)
    chosen = [c for c in CASES.values()
              if any(c.name == p or fnmatch.fnmatchcase(c.name, p) for p in patterns)]
    if not chosen:
        raise ValueError(f"no case matches {patterns}; valid names: {sorted(CASES)}")
    return chosen


def _split_patterns(text: str) -> list[str]:
    """Split on commas outside square brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts
