"""Regression tracking: one optimizer step of the library, timed by asv itself.

These are the figures ``asv continuous`` compares between commits (``scripts/asv_compare.sh``):
asv repeats them, keeps the samples and judges significance, so a real slowdown is flagged and the
machine's noise is not. Every other benchmark of the suite is a *report* figure (``track_`` values
read from recorded runs: medians of a few seeds, no samples), kept for the history graphs of
``asv publish`` but not for commit-to-commit verdicts.

``time_seconds_per_step(case, framework)``: one call is one optimizer step of scratchnet on the case's
first batch: the model's training step (forward, loss gradient, backward, update: what ``fit`` runs per
batch, without ``fit``'s per-epoch set-up). The other frameworks are not tracked here (their code is not
this project's), nor scratchnet-jit: one compiled call of one step is ~10 µs of Python and dispatch
around ~1 µs of arithmetic, and between two runs of one commit it moved by 0.62x (measured with
``scripts/asv_compare.sh`` on a README-only commit) -- noise asv then flags. Their parameter
combinations are skipped. Each process builds the model from the case's first seed, so every commit
times the same arithmetic.
"""
from scratchnet.bench.cases import CASES
from scratchnet.bench.store.schema import FRAMEWORKS

TRACKED_CASES = ["perceptron", "california-2-3-1"]   # one step of a full batch, one per-sample step
TRACKED_FRAMEWORKS = ("scratchnet",)


class StepTime:
    params = (TRACKED_CASES, list(FRAMEWORKS))
    param_names = ["case", "framework"]
    timeout = 300
    warmup_time = 0.5
    rounds = 4              # interleaved with the other commit's (asv continuous --interleave-rounds)
    repeat = (10, 40, 10.0)  # samples per round: at least 10, up to 40 within 10 s

    def setup(self, case, framework):
        if framework not in TRACKED_FRAMEWORKS:
            raise NotImplementedError(f"{framework} is a report figure, not tracked across commits")
        from scratchnet.bench.cases.registry import build_model
        from scratchnet.bench.running.runner import dataset_for

        spec = CASES[case]
        ds = dataset_for(spec)
        model = build_model(spec, spec.seeds(1)[0], n_features=ds.n_features)
        batch = min(spec.batch_size or ds.n_train, ds.n_train)
        X, Y = model._prepare_xy(ds.X_train[:batch], ds.y_train[:batch])
        self.step = lambda: model._train_step(X, Y)
        self.step()  # buffers allocated here, not in the timing

    def time_seconds_per_step(self, case, framework):
        self.step()
