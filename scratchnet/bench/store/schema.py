"""Column names of the recorded result tables: the contract between runner and report.

Files under a results directory (all written atomically: temp file, then rename):

``runs.csv``           one row per run (case x framework x mode x seed)      -> RUN_COLUMNS
``epochs.csv``         one row per run-epoch                                  -> EPOCH_COLUMNS
``parity.csv``         one row per parity check (case x dtype)                -> PARITY_COLUMNS
``parity_epochs.csv``  one row per parity-check epoch                         -> PARITY_EPOCH_COLUMNS
``cases.csv``          one row per registered case (metadata for the report)  -> CASE_COLUMNS
``targets.csv``        one row per case x mode: the shared convergence target  -> TARGET_COLUMNS
``environment.json``   machine, versions, BLAS/threads, git commit, dataset fingerprints

Every read goes through ``scratchnet.bench.store`` (validated: see INTEGER_COLUMNS and
friends at the end) and every write through it too (under the directory's lock).

Conventions:
* ``framework`` is one of FRAMEWORKS (the built-in adapters of
  :mod:`scratchnet.bench.frameworks`: ``scratchnet``; ``keras`` at its calibrated best;
  ``keras-default``, compile()/fit() defaults, at most a few epochs; ``sklearn``) or the label
  of a registered foreign network; ``mode`` is ``"parity"`` (identical initial weights and
  batch order for all) or ``"native"`` (each framework's own init and shuffling).
* ``unsupported``: the framework cannot express the case exactly (e.g. scikit-learn and a
  sigmoid output with squared error); ``message`` says why. Such a run is finished (resume
  skips it), with NaN figures.
* ``status`` is one of STATUSES. Rows of a failed run keep NaN in the figures it never
  produced; ``message`` holds the reason.
* Losses are the case's compiled loss, MSE is ``mean((y_pred - y)**2)``; both computed
  by the harness from predictions (``scratchnet.bench.measures.metrics``), never from a
  framework's logs. ``epoch`` counts from 1. Times are seconds, memory MiB; the memory
  columns are defined in ``scratchnet.bench.running.memory``.
* ``target_loss``, ``target_rule``, ``convergence_epoch``, ``seconds_to_target`` and
  ``still_improving`` of a run row are first written by the runner (``target_rule``
  "declared" or "provisional": the run's own final loss) and rewritten by the suite
  once it has every framework's runs (``scratchnet.bench.measures.targets``: "declared" or
  "derived", the same target for every framework and seed of a case and mode).
  ``convergence_epoch`` and ``seconds_to_target`` are empty when the run never reached
  the target (censored).
* Probe predictions: a case may list ``probe_rows`` (inputs outside its training rows,
  e.g. the single-neuron tutorial's unseen ``[1,0,0]``); the harness predicts them after
  every epoch (evaluation, not training time). ``probe_prediction`` is the first output of
  the first probe row; ``probe_predictions`` lists every row as ``"1,0,0=0.99929;..."``
  (inputs and first output written with ``repr``-exact floats). Tutorial claims about a
  prediction (``scratchnet.bench.cases.claims``) are checked against these columns.
"""
from __future__ import annotations

FRAMEWORKS = ("scratchnet", "scratchnet-jit", "keras", "tf-loop", "torch", "keras-default", "sklearn")  # = frameworks.BUILTINS
MODES = ("parity", "native")
STATUSES = ("ok", "diverged", "error", "timeout", "unsupported")
# in the message of an "unsupported" run of an optional framework that is absent (e.g. torch), so
# the report can name it "not installed" rather than "cannot express the case"
NOT_INSTALLED_PHRASE = "is not installed"

RUN_KEY = ("case", "framework", "mode", "seed")

RUN_COLUMNS = (
    *RUN_KEY,
    "dtype",
    "dataset",
    "fingerprint",       # sha256 of the dataset arrays both frameworks saw
    "batch_size",
    "epochs",            # epochs asked for
    "epochs_run",        # epochs completed
    "n_train",
    "n_test",
    "steps_per_epoch",
    "status",
    "message",
    "fit_seconds",       # sum of epoch training times (first epoch included)
    "first_epoch_seconds",
    "seconds_per_epoch", # median training time of epochs 2.. (epoch 1 if only one)
    "seconds_per_step",  # cost model: the cost of one optimizer step (scratchnet.bench.measures.cost_model)
    "predict_seconds",   # one predict over the test rows
    "peak_memory_mb",    # peak RSS growth during fit over the RSS just before it (MiB; bench.memory)
    "train_loss",
    "test_loss",
    "train_mse",
    "test_mse",
    "target_loss",       # case target (NaN if none)
    "convergence_epoch", # NaN if it did not converge
    "seconds_to_target", # NaN if it did not converge
    "keras_steps_per_execution",  # keras/keras-default: compile(steps_per_execution=...) used
    "started_at",        # ISO 8601 UTC
    "target_rule",       # how target_loss was set: "declared", "derived" or "provisional"
    "still_improving",   # bool: test loss still falling >1% over the last 10% of epochs
    "memory_method",     # how peak_memory_mb was measured: "vmhwm" (exact) or "rss-sampler-5ms"
    "tracemalloc_peak_mb",  # scratchnet: traced NumPy heap peak, model build + one epoch (MiB)
    "memory_floor_mb",   # weights + optimizer state + gradients + one batch of activations (MiB)
    "keras_jit_compile",           # keras/keras-default: XLA on (True/False) as Keras resolved it
    "keras_calibration_seconds",   # keras: wall time of the calibration that chose the setting
                                   # (paid once per case and dtype, cached; NaN when forced)
    "epoch_cap",         # epochs this contender is capped at (keras-default); NaN if none
    "foreign_target",          # foreign network: its file.py:factory / package.module:factory ("" otherwise)
    "foreign_parity_passed",   # foreign network: lockstep check against the Keras twin passed (bool)
    "foreign_parity_drift",    # ... its max relative weight drift (parity-gate rows and epochs)
    "foreign_parity_message",  # ... where it parted from Keras ("" when it passed)
    # scratchnet's overhead (scratchnet runs the reference loop can express; NaN elsewhere):
    # one interleaved measurement on capped steps (scratchnet.bench.measures.overhead.overhead_columns)
    "tax_seconds_per_epoch",        # scratchnet's epoch time in that measurement
    "reference_seconds_per_epoch",  # the hand-written NumPy reference loop's epoch time
    "framework_tax",                # tax_seconds_per_epoch / reference_seconds_per_epoch
    "gemm_seconds_per_epoch",       # the epoch's matrix products alone, same shapes and dtype
    "gemm_share",                   # gemm_seconds_per_epoch / tax_seconds_per_epoch
    "probe_prediction",  # prediction on the case's first probe input after the last epoch (NaN: none)
    "probe_predictions", # every probe input and its prediction, "x0,x1,...=pred;..." ("" if none)
    "host",              # machine the run ran on (speed ratios pair runs of one host only)
    "cpu_model",         # that machine's CPU
    "threads",           # thread pools in effect, e.g. "openblas=1,openmp=1" (pinned on Dask workers)
    "git_commit",        # the commit the run ran from (running.environment.git_commit; "+dirty" if edited)
    "base_case",         # the registered case a grid variant derives from (= case otherwise)
    # the cost model of an epoch, time = overhead + steps x per-step (scratchnet.bench.measures.cost_model):
    # measured after training from epochs of two lengths; NaN with cost_model_note when it cannot be
    "epoch_overhead_seconds",  # the fixed cost of one epoch, independent of its length
    "cost_model_steps",        # the epoch lengths timed, in steps, e.g. "1/4/128" or "1/6700"
    "cost_model_note",         # why the cost model is NaN ("" when measured)
    # calibrated contenders (tf-loop, torch; keras keeps its keras_* columns above):
    "execution",               # the execution setting the run used, e.g. "eager, 1 thread"
    "calibration_timings",     # every candidate's seconds per step, e.g. "eager=212us; compile=190us"
    "calibration_seconds",     # wall time of that calibration (once per case and dtype, cached)
    "compile_seconds",         # scratchnet-jit: its first compiled call in the run's process (numba compiling,
                               # or loading its on-disk cache), outside every timed figure
)
# A grid variant's run also records one "grid_<key>" column per varied setting
# (scratchnet.bench.cases.sweep.grid_columns); such columns are text and may vary between tables.

EPOCH_COLUMNS = (
    *RUN_KEY,
    "dtype",
    "fingerprint",
    "epoch",
    "train_loss",
    "test_loss",
    "train_mse",
    "test_mse",
    "epoch_seconds",     # training time of this epoch only (evaluation excluded)
    "probe_prediction",  # prediction on the case's first probe input after this epoch (NaN: none)
)

PARITY_COLUMNS = (
    "case",
    "dtype",
    "epochs",
    "batch_size",
    "n_rows",
    "grad_error",            # max relative gradient difference before training
    "max_abs_weight_drift",  # after the last epoch
    "max_rel_weight_drift",
    "max_loss_diff",         # max |loss_scratchnet - loss_keras| over epochs
    "grad_tol",
    "weight_tol",
    "passed",                # bool
    "worst_layer",           # weight (e.g. "dense_1/kernel") with the largest drift
    "message",
)

PARITY_EPOCH_COLUMNS = (
    "case",
    "dtype",
    "epoch",
    "scratchnet_loss",
    "keras_loss",
    "max_abs_weight_diff",
    "max_rel_weight_diff",
)

CASE_COLUMNS = (
    "case",
    "description",
    "dataset",
    "architecture",      # e.g. "2-3-1 sigmoid/sigmoid, no bias"
    "loss",
    "optimizer",         # e.g. "SGD(learning_rate=0.05)"
    "batch_size",
    "epochs",
    "dtype",
    "target_loss",
    "equivalent",        # bool: False for a tutorial's published non-equivalent model
    "source",            # where the case comes from
    "claim",             # what its author claimed, verbatim-ish ("" if none)
    "claim_test_mse",    # NaN if no numeric claim
    "claim_epochs",      # NaN if none
    "tutorial_of",       # for a published-model case: the case it belongs to ("" if none)
    "base_case",         # the registered case a grid variant derives from (= case otherwise)
)

# Column types, checked on every read by scratchnet.bench.store.validate (a column in none of these
# sets is text and not checked; "" or "nan" stand for "not recorded" in any number column).
INTEGER_COLUMNS = frozenset({
    "seed", "epoch", "epochs", "epochs_run", "n_train", "n_test", "steps_per_epoch", "n_rows",
    "convergence_epoch", "claim_epochs", "keras_steps_per_execution",
})
NUMERIC_COLUMNS = INTEGER_COLUMNS | frozenset({
    "fit_seconds", "first_epoch_seconds", "seconds_per_epoch", "seconds_per_step", "predict_seconds",
    "peak_memory_mb", "tracemalloc_peak_mb", "memory_floor_mb", "train_loss", "test_loss", "train_mse", "test_mse", "target_loss", "seconds_to_target",
    "epoch_seconds", "grad_error", "max_abs_weight_drift", "max_rel_weight_drift", "max_loss_diff", "grad_tol",
    "weight_tol", "scratchnet_loss", "keras_loss", "max_abs_weight_diff", "max_rel_weight_diff", "claim_test_mse",
    "foreign_parity_drift", "epoch_overhead_seconds", "calibration_seconds", "compile_seconds",
    "tax_seconds_per_epoch", "reference_seconds_per_epoch", "framework_tax", "gemm_seconds_per_epoch", "gemm_share",
})
FLAG_COLUMNS = frozenset({"passed", "equivalent", "foreign_parity_passed"})

TARGET_COLUMNS = (
    "case",
    "mode",
    "target_loss",       # the shared target (NaN when no framework has an eligible run)
    "target_rule",       # "declared" (the case's target_loss) or "derived" (metrics.TARGET_RULE)
    "budget_epochs",     # the full epoch budget: runs asking fewer epochs are left out of the rule
    "from_runs",         # e.g. "keras: median 0.6179 of 5; scratchnet: median 0.6077 of 5"
)
