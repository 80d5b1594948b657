"""Two-part cost model of a training epoch: a fixed cost per epoch plus a cost per optimizer step.

    time(epoch of m steps) = epoch_overhead_seconds + m * seconds_per_step

Why: a per-epoch time ratio mixes two costs. Keras pays tens of milliseconds per epoch whatever
the epoch's length (its epoch iterator, callbacks and the data adapter's per-epoch set-up), so on
a 4-row tutorial case a per-epoch ratio measures that set-up, not training; on a case with
thousands of steps per epoch it is a per-step ratio. The two parts separate them.

How it is measured (:class:`CostProbe`, a round at a time; for every ok run, outside every timed
or recorded figure of the run). A run the runner trains one ``train_epoch`` call at a time (every
framework but Keras on a non-shuffling case) times these epochs on a TWIN trainer, its rounds
spread between the run's recorded epochs (:mod:`scratchnet.bench.running.cost_epochs`: epochs
timed seconds after training could see another machine than the run's -- Keras' fixed cost per
``fit`` call sat near ~25 or ~55 ms depending on the moment, and 3 shuffled Keras cases missed the
report's 25 % check by 31-64 %); a run trained in one ``train_epochs`` call measures them after
training (:func:`measure_cost_model`).

* Epoch lengths at the case's batch size B (full batch: B = the training rows): ``SHORT_STEPS``
  (1), the case's own steps per epoch, and ``long`` = the case's steps per epoch raised to at
  least ``LONG_MIN_STEPS`` (128), so that the steps of a tiny case stand out of the timer's noise
  -- lowered when ``ROUNDS`` epochs of that length would take longer than ``BUDGET_SECONDS``
  (estimated from the run's own epoch time), never below ``LONG_MIN_STEPS``: on a case of one
  step the estimate is the fixed cost, and Keras' 58 ms would have cut the long epoch to 28 steps,
  too short to resolve its ~0.6 ms steps (measured per-step costs came out negative, -20 to
  -250 us, on the full-batch tutorial cases with cores pinned); each distinct length once
  (:func:`plan_lengths`). Nor below the case's own length: when the budget cannot pay ``ROUNDS``
  epochs of it (keras-default on california-2-3-1, 6,700 steps of ~0.8 ms), the long epoch is the
  case's own and the rounds are what the budget pays, at least ``MIN_ROUNDS`` (:func:`plan_rounds`)
  -- a shorter long epoch extrapolated the line 3x and missed the run's epoch by +47 %.
  Each epoch is ``m * B`` rows: the training rows, repeated when the epoch is longer than the
  data, so every step has the case's batch shape.
* Each epoch goes through the trainer's own ``train_epoch(X, Y, batch_size=B)`` -- the same call
  and the same clock (the framework's epoch-begin to epoch-end hooks where it has them) as the
  run's recorded epochs -- and runs in their context: after the same evaluation the runner
  makes between recorded epochs (``between``: predictions, losses, probes) and, in the runner,
  inside the same memory window (whose ``malloc_trim`` costs a 1-step scratchnet epoch ~3 us
  of page faults), so caches and the framework's state are as the recorded epochs find them. One warm-up epoch of each length
  first, then ``ROUNDS`` rounds, interleaved (short, long, own; short, long, own; ...: the case's own
  length last, so an epoch after a round follows one of its length), and more rounds (up
  to ``MAX_ROUNDS``) while the timed rounds total less than ``MIN_SECONDS``. A timed epoch shorter
  than ``LEAD_IN_BELOW`` (128) steps follows an untimed *lead-in* epoch of its own length, as every
  recorded epoch follows one of its length: right after a long epoch a short one runs slower (torch,
  1-step epochs on nobias-2-3-1 and perceptron, each run alone on a pinned core: the model's epoch
  +17 % and +21 % above the run's without the lead-in, +4 % and +10 % with it). The MEDIAN time
  of each length is kept, the statistic the run's ``seconds_per_epoch`` is (a best-of-rounds
  would sit below it by the machine's noise: on the 2-core reference machine epochs of one
  run vary by +-30 %).
* The line ``t = epoch_overhead_seconds + m * seconds_per_step`` through those median times
  (:func:`fit_cost_model`: least squares on relative residuals, so a 20 us epoch counts as much
  as a 2 s one; exact through two points). The case's own length anchors the line where the
  run's epochs are; the long one pins the per-step cost. Noise can make a near-zero overhead
  slightly negative; it is recorded as measured.

What the two parts include, by construction: the per-step cost is everything that grows with
the number of batches -- the forward and backward pass, the update, the framework's per-batch
bookkeeping (and, where a framework runs several steps per call, that call's cost shared by its
steps). The overhead is everything paid once per epoch inside the epoch's clock -- for Keras the
epoch's iterator and callbacks; for scratchnet its epoch set-up; for scikit-learn ``partial_fit``'s
input validation and bookkeeping; for a foreign network, nothing but the harness' loop.

:func:`predicted_epoch_seconds` is the model's epoch time, ``overhead + steps_per_epoch * per_step``;
the report checks it against the runs' median ``seconds_per_epoch`` and shows the worst case per
framework (``report.costs``). :func:`step_share` is the fraction of a modelled epoch spent in steps
(the report's rule for a step-dominated case).

A trainer whose ``train_epoch`` takes no ``batch_size`` cannot be timed this way: its columns are
NaN and ``cost_model_note`` says why.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Callable, Sequence

import numpy as np

SHORT_STEPS = 1
LONG_MIN_STEPS = 128
ROUNDS = 5
MAX_ROUNDS = 25      # more rounds (up to this) while the timed rounds total less than
MIN_SECONDS = 1.0    # this many seconds: short epochs are the noisiest, and the cheapest to repeat
BUDGET_SECONDS = 10.0
LEAD_IN_BELOW = LONG_MIN_STEPS  # a timed epoch shorter than this follows an untimed one of its own length
MIN_ROUNDS = 2       # timed rounds when the case's own epoch is too costly for ROUNDS of them (plan_rounds)

# The effort per profile (cases.profiles): the full profile's is the defaults above; the quick
# start's halves what the measurement costs, which on its largest case (6,700 steps an epoch) is as
# much as the training itself.
# The fast profile also reuses the run's own recorded epochs as the case's own length
# (``reuse_recorded``, :class:`CostProbe`) instead of timing that length again: on california-2-3-1
# (6,700 steps an epoch) that was keras-default's warm-up and round, ~14 s a run.
PROFILE_EFFORT = {"fast": {"rounds": 2, "budget": 3.0, "min_seconds": 0.3, "min_rounds": 1, "reuse_recorded": True},
                  "full": {"rounds": ROUNDS, "budget": BUDGET_SECONDS, "min_seconds": MIN_SECONDS,
                           "min_rounds": MIN_ROUNDS, "reuse_recorded": False}}

COST_COLUMNS = ("seconds_per_step", "epoch_overhead_seconds", "cost_model_steps", "cost_model_note")


@dataclass(frozen=True)
class CostModel:
    """``epoch_overhead_seconds + steps * seconds_per_step``."""

    epoch_overhead_seconds: float
    seconds_per_step: float

    def predict(self, steps: float) -> float:
        """Predicted seconds of an epoch of ``steps`` optimizer steps."""
        return self.epoch_overhead_seconds + float(steps) * self.seconds_per_step


def fit_cost_model(steps: Sequence[float], seconds: Sequence[float]) -> CostModel:
    """The line through (steps, seconds) with the least squared RELATIVE residuals
    (``(fit - seconds) / seconds``): two or more distinct epoch lengths, positive times."""
    x = np.asarray(steps, dtype=float)
    y = np.asarray(seconds, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"steps and seconds must be 1-d of one length, got {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("steps and seconds must be finite")
    if np.unique(x).size < 2:
        raise ValueError(f"the cost model needs at least two distinct epoch lengths, got {sorted(set(x))}")
    if np.any(y <= 0):
        raise ValueError(f"epoch times must be positive, got {y.tolist()}")
    slope, intercept = np.polyfit(x, y, 1, w=1.0 / y)  # polyfit weights the residuals: relative
    return CostModel(epoch_overhead_seconds=float(intercept), seconds_per_step=float(slope))


def plan_lengths(steps_per_epoch: int, seconds_per_epoch: float, *, rounds: int = ROUNDS,
                 budget: float = BUDGET_SECONDS) -> tuple[int, ...]:
    """The epoch lengths in steps, ascending, for a case of ``steps_per_epoch`` steps (module docstring)."""
    if steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch must be >= 1, got {steps_per_epoch}")
    own = int(steps_per_epoch)
    long = max(own, LONG_MIN_STEPS)
    if math.isfinite(seconds_per_epoch) and seconds_per_epoch > 0:
        per_step = seconds_per_epoch / steps_per_epoch  # an upper bound: the overhead is included
        affordable = int(budget / ((rounds + 1) * per_step))  # rounds + the warm-up
        long = min(long, max(affordable, LONG_MIN_STEPS))
    if long < own:  # the budget cannot pay ROUNDS epochs of the case's own length: fewer of them (plan_rounds)
        long = own
    long = max(long, SHORT_STEPS + 1)  # never one length only
    return tuple(sorted({SHORT_STEPS, long} | ({own} if own < long else set())))


def plan_rounds(steps_per_epoch: int, seconds_per_epoch: float, *, rounds: int = ROUNDS,
                budget: float = BUDGET_SECONDS, min_rounds: int = MIN_ROUNDS) -> int:
    """The timed rounds: ``rounds``, or -- when ``rounds`` + 1 epochs of the case's own length
    (over ``LONG_MIN_STEPS`` steps) would pass ``budget`` -- as many as the budget pays after the
    warm-up, never under ``min_rounds``."""
    if steps_per_epoch <= LONG_MIN_STEPS or not (math.isfinite(seconds_per_epoch) and seconds_per_epoch > 0):
        return rounds
    affordable = int(budget / seconds_per_epoch) - 1  # the warm-up
    return rounds if affordable >= rounds else max(min(min_rounds, rounds), affordable)


def epoch_rows(X: np.ndarray, Y: np.ndarray, steps: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """``steps * batch_size`` training rows in order, the data repeated when it is shorter."""
    index = np.arange(steps * batch_size) % X.shape[0]
    return X[index], Y[index]


def _nan_columns(note: str) -> dict:
    return {"seconds_per_step": math.nan, "epoch_overhead_seconds": math.nan, "cost_model_steps": "",
            "cost_model_note": note}


class CostProbe:
    """The cost-model epochs of one run, one round at a time (module docstring).

    ``run_round()`` runs the next round (the first is the warm-up); ``base_rounds`` is the warm-up
    plus the planned timed rounds, the ones the runner spreads between the run's recorded epochs;
    ``finish()`` runs what is left -- the base rounds not yet run, then more rounds while the timed
    ones total less than ``min_seconds`` (up to ``MAX_ROUNDS``) -- and returns the columns
    (``COST_COLUMNS``). In a round the case's own length comes last, so the epoch after a round
    follows one of its own length.

    ``recorded`` (with ``reuse_recorded``): the run's recorded epoch times so far, first epoch
    included. When the case's own length is the long one (at least ``LONG_MIN_STEPS`` steps) and
    the run has recorded two epochs or more, that length is not timed again: its figure is the
    median of the recorded epochs after the first -- the run's ``seconds_per_epoch``, the very
    figure the model is checked against -- and only the short epochs are timed."""

    def __init__(self, train_epoch: Callable[..., float], X: np.ndarray, Y: np.ndarray, *, batch_size: int,
                 steps_per_epoch: int, seconds_per_epoch: float, rounds: int = ROUNDS,
                 budget: float = BUDGET_SECONDS, min_seconds: float = MIN_SECONDS, min_rounds: int = MIN_ROUNDS,
                 between: Callable[[], object] = lambda: None, lead_in_below: int = LEAD_IN_BELOW,
                 reuse_recorded: bool = False, recorded: Callable[[], Sequence[float]] = lambda: ()) -> None:
        self.lengths = plan_lengths(steps_per_epoch, seconds_per_epoch, rounds=rounds, budget=budget)
        self.rounds = plan_rounds(steps_per_epoch, seconds_per_epoch, rounds=rounds, budget=budget,
                                  min_rounds=min_rounds)
        own = int(steps_per_epoch)
        self.reused = (reuse_recorded and own == max(self.lengths) and own >= LONG_MIN_STEPS
                       and len(recorded()) >= 2)
        self._recorded = recorded
        self._order = sorted((m for m in self.lengths if not (self.reused and m == own)),
                             key=lambda m: (m == steps_per_epoch, m))
        self._own = own
        self._train_epoch, self._batch, self._between = train_epoch, batch_size, between
        self._min_seconds, self._lead_in_below = min_seconds, lead_in_below
        self._data = {m: epoch_rows(X, Y, m, batch_size) for m in self._order}
        self.times: dict[int, list[float]] = {m: [] for m in self.lengths}
        self.rounds_run, self.timed_seconds = 0, 0.0
        self.note = ""  # why the measurement stopped early

    @property
    def base_rounds(self) -> int:
        return self.rounds + 1

    def _wants_more(self) -> bool:
        r = self.rounds_run
        return not self.note and (r <= self.rounds or (r <= max(self.rounds, MAX_ROUNDS)
                                                       and self.timed_seconds < self._min_seconds))

    def run_round(self) -> None:
        """The next round: each length once (a lead-in first for a timed one under ``lead_in_below``)."""
        if self.note:
            return
        try:
            for m in self._order:
                for _ in range(1 + (self.rounds_run > 0 and m < self._lead_in_below)):  # the last one is timed
                    self._between()
                    seconds = float(self._train_epoch(*self._data[m], batch_size=self._batch))
                if self.rounds_run:
                    self.times[m].append(seconds)
                    self.timed_seconds += seconds
        except TypeError as exc:
            if "batch_size" not in str(exc):
                raise
            self.note = "train_epoch takes no batch_size: epochs of other lengths cannot be timed"
        self.rounds_run += 1

    def finish(self, diverged: Callable[[], bool] = lambda: False) -> dict:
        """Run the rounds left and fit the line: the cost-model columns."""
        while self._wants_more():
            self.run_round()
        if self.note:
            return _nan_columns(self.note)
        if diverged():
            return _nan_columns("training diverged during the cost-model epochs")
        median = {m: float(np.median(v)) for m, v in self.times.items() if v}
        if self.reused:
            median[self._own] = float(np.median(list(self._recorded())[1:]))
        if not all(math.isfinite(v) and v > 0 for v in median.values()):
            return _nan_columns(f"a cost-model epoch reported no valid time: {median}")
        model = fit_cost_model(list(median), list(median.values()))
        return {"seconds_per_step": model.seconds_per_step, "epoch_overhead_seconds": model.epoch_overhead_seconds,
                "cost_model_steps": "/".join(str(m) for m in self.lengths), "cost_model_note": ""}


def measure_cost_model(train_epoch: Callable[..., float], X: np.ndarray, Y: np.ndarray, *, batch_size: int,
                       steps_per_epoch: int, seconds_per_epoch: float, rounds: int = ROUNDS,
                       budget: float = BUDGET_SECONDS, min_seconds: float = MIN_SECONDS,
                       min_rounds: int = MIN_ROUNDS, diverged: Callable[[], bool] = lambda: False,
                       between: Callable[[], object] = lambda: None, lead_in_below: int = LEAD_IN_BELOW,
                       reuse_recorded: bool = False, recorded: Callable[[], Sequence[float]] = lambda: ()) -> dict:
    """The cost-model columns of one run (``COST_COLUMNS``), every round measured now with
    ``train_epoch`` (:class:`CostProbe`). ``rounds``, ``budget``, ``min_seconds``, ``min_rounds`` and
    ``reuse_recorded`` default to the full profile's effort; the quick start's is lighter (``PROFILE_EFFORT``)."""
    probe = CostProbe(train_epoch, X, Y, batch_size=batch_size, steps_per_epoch=steps_per_epoch,
                      seconds_per_epoch=seconds_per_epoch, rounds=rounds, budget=budget, min_seconds=min_seconds,
                      min_rounds=min_rounds, between=between, lead_in_below=lead_in_below,
                      reuse_recorded=reuse_recorded, recorded=recorded)
    return probe.finish(diverged)


def predicted_epoch_seconds(epoch_overhead_seconds, seconds_per_step, steps_per_epoch):
    """``overhead + steps * per_step`` (NumPy arrays or scalars)."""
    return np.asarray(epoch_overhead_seconds, dtype=float) + np.asarray(steps_per_epoch, dtype=float) * \
        np.asarray(seconds_per_step, dtype=float)


def step_share(epoch_overhead_seconds, seconds_per_step, steps_per_epoch):
    """The fraction of a modelled epoch spent in steps: ``steps * per_step / (overhead + steps * per_step)``."""
    steps = np.asarray(steps_per_epoch, dtype=float) * np.asarray(seconds_per_step, dtype=float)
    total = steps + np.maximum(np.asarray(epoch_overhead_seconds, dtype=float), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return steps / total

