"""Callbacks: hook order, History, and EarlyStopping against Keras 3's counting.

EarlyStopping is driven by a callback placed before it in ``callbacks=[...]`` that writes a
hand-built value sequence into the epoch logs (the logs dict is shared by all callbacks).
Expected stop epochs are worked out in the comments with Keras 3's rule:

    each epoch: wait += 1
    improvement  (min mode: current + |min_delta| < best; first value always improves):
        best = current; wait = 0 only if there is no baseline or current also beats it
    otherwise:   stop if wait >= patience and epoch > 0
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scratchnet as sn

X = np.linspace(-1, 1, 12).reshape(6, 2)
Y = X[:, :1] * 0.5 - X[:, 1:] * 0.25


class Inject(sn.Callback):
    """Overwrite ``logs[key]`` with ``values[epoch]``."""

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values, self.key = list(values), key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class Snapshots(sn.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def run(values, epochs=None, key="val_loss", **es_kwargs):
    model = sn.Sequential([sn.Input((2,)), sn.Dense(3, "tanh"), sn.Dense(1)], dtype="float64", seed=0)
    model.compile(sn.SGD(0.1), "mse")
    es = sn.EarlyStopping(monitor=key, **es_kwargs)
    snaps = Snapshots()
    hist = model.fit(X, Y, epochs=epochs or len(values), batch_size=None, verbose=0,
                     callbacks=[Inject(values, key), snaps, es])
    return model, es, hist, snaps


def n_epochs(hist):
    return len(hist.epoch)


# ---------------------------------------------------------------------------------------
# Hand-worked sequences
# ---------------------------------------------------------------------------------------
def test_patience_two():
    # e0: best 1.0, wait 0 | e1: 0.9 < 1.0 best, wait 0 | e2: wait 1 | e3: wait 2 >= 2 -> stop at 3
    model, es, hist, _ = run([1.0, 0.9, 0.95, 0.92, 0.8, 0.7], patience=2)
    assert es.patience == 2
    assert es.stopped_epoch == 3
    assert n_epochs(hist) == 4 and hist.epoch == [0, 1, 2, 3]
    assert es.best == 0.9 and es.best_epoch == 1
    assert model.stop_training is True


def test_patience_zero_and_equal_is_not_an_improvement():
    # e0: best 1.0 | e1: 0.9 best | e2: 0.9 is not < 0.9, wait 1 >= 0 -> stop at 2
    _, es, hist, _ = run([1.0, 0.9, 0.9, 0.5], patience=0)
    assert es.stopped_epoch == 2 and n_epochs(hist) == 3
    # worsening right away: e1 stops
    _, es, hist, _ = run([1.0, 1.1, 0.5], patience=0)
    assert es.stopped_epoch == 1 and n_epochs(hist) == 2


def test_never_stops_while_improving():
    _, es, hist, _ = run([1.0, 0.97, 0.96, 0.90, 0.89, 0.88], patience=1)
    assert es.stopped_epoch == 0 and n_epochs(hist) == 6
    assert es.best == 0.88 and es.best_epoch == 5


def test_min_delta():
    # |min_delta| = 0.05, patience 1: e1: 0.97 + 0.05 = 1.02 is not < 1.0 -> wait 1 >= 1 -> stop at 1
    _, es, hist, _ = run([1.0, 0.97, 0.96, 0.90, 0.89, 0.88], patience=1, min_delta=0.05)
    assert es.stopped_epoch == 1 and n_epochs(hist) == 2
    # patience 2: e1 wait 1 | e2: 0.94 + 0.05 = 0.99 < 1.0 -> best 0.94, wait 0 | e3: 1.01 no, wait 1 |
    # e4: 0.90 + 0.05 = 0.95 not < 0.94 (an improvement of 0.04 only), wait 2 -> stop at 4
    for md in (0.05, -0.05):  # the sign is ignored (Keras takes abs)
        _, es, hist, _ = run([1.0, 0.97, 0.94, 0.96, 0.90, 0.84], patience=2, min_delta=md)
        assert es.stopped_epoch == 4 and n_epochs(hist) == 5
        assert es.best == 0.94


def test_baseline_not_reached_keeps_counting():
    # baseline 0.5, patience 2: improvements that do not beat the baseline do not reset wait
    # e0: wait 1, best 0.9 | e1: wait 2, best 0.8 (improved: no stop check) |
    # e2: wait 3, 0.85 no improvement, 3 >= 2 -> stop at 2
    _, es, hist, _ = run([0.9, 0.8, 0.85, 0.7, 0.6], patience=2, baseline=0.5)
    assert es.stopped_epoch == 2 and n_epochs(hist) == 3
    assert es.best == 0.8
    # the same values without a baseline: e2 wait 1, e3 and e4 improve -> all 5 epochs
    _, es, hist, _ = run([0.9, 0.8, 0.85, 0.7, 0.6], patience=2)
    assert es.stopped_epoch == 0 and n_epochs(hist) == 5
    # a baseline every value beats behaves like no baseline
    _, es, hist, _ = run([0.9, 0.8, 0.85, 0.7, 0.6], patience=2, baseline=0.95)
    assert es.stopped_epoch == 0 and n_epochs(hist) == 5


def test_max_mode_for_accuracy_names():
    # auto -> max for accuracy; e0 best 0.5 | e1 0.6 best | e2 0.55 not > 0.6, wait 1 >= 1 -> stop at 2
    _, es, hist, _ = run([0.5, 0.6, 0.55, 0.58], key="val_accuracy", patience=1)
    assert es.mode == "max"
    assert es.stopped_epoch == 2 and n_epochs(hist) == 3 and es.best == 0.6
    # forcing min mode on the same values: e1 0.6 > 0.5 is worse -> stop at 1
    _, es, hist, _ = run([0.5, 0.6, 0.55, 0.58], key="val_accuracy", patience=0, mode="min")
    assert es.stopped_epoch == 1
    assert sn.EarlyStopping(monitor="loss").mode == "min"
    assert sn.EarlyStopping(monitor="val_binary_accuracy").mode == "max"


def test_start_from_epoch_ignores_warmup():
    # epochs 0 and 1 are ignored; e2 best 1.0 | e3 1.1, wait 1 >= 1 -> stop at 3
    _, es, hist, _ = run([5.0, 6.0, 1.0, 1.1, 1.2], patience=1, start_from_epoch=2)
    assert es.stopped_epoch == 3 and es.best_epoch == 2 and n_epochs(hist) == 4


def test_restore_best_weights():
    # best at epoch 1; stop at 3 (patience 2)
    model, es, hist, snaps = run([1.0, 0.5, 0.7, 0.8, 0.4, 0.3], patience=2, restore_best_weights=True)
    assert es.stopped_epoch == 3 and es.best_epoch == 1
    assert len(snaps.weights) == 4
    for got, want in zip(model.get_weights(), snaps.weights[1]):
        assert np.array_equal(got, want)
    # the weights did change between epochs, so the restore is visible
    assert not np.array_equal(snaps.weights[1][0], snaps.weights[3][0])


def test_without_restore_keeps_last_weights():
    model, es, hist, snaps = run([1.0, 0.5, 0.7, 0.8, 0.4, 0.3], patience=2)
    for got, want in zip(model.get_weights(), snaps.weights[3]):
        assert np.array_equal(got, want)


def test_restore_best_weights_when_it_runs_to_the_end():
    # no stop; best epoch 2 of 4 -> Keras still restores the best weights at the end
    model, es, hist, snaps = run([1.0, 0.9, 0.8, 0.85], patience=5, restore_best_weights=True)
    assert es.stopped_epoch == 0 and n_epochs(hist) == 4 and es.best_epoch == 2
    for got, want in zip(model.get_weights(), snaps.weights[2]):
        assert np.array_equal(got, want)


def test_missing_monitor_warns_and_does_not_stop():
    model = sn.Sequential([sn.Input((2,)), sn.Dense(1)], seed=0)
    model.compile("sgd", "mse")
    es = sn.EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="val_loss.*not in the logs"):
        hist = model.fit(X, Y, epochs=3, verbose=0, callbacks=[es])
    assert n_epochs(hist) == 3 and es.stopped_epoch == 0


def test_early_stopping_on_real_validation_loss():
    # val_loss from validation_data equals evaluate() on the validation rows at epoch end
    rng = np.random.default_rng(1)
    xv, yv = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    model = sn.Sequential([sn.Input((2,)), sn.Dense(1)], dtype="float64", seed=0)
    model.compile(sn.SGD(0.05), "mse")
    hist = model.fit(X, Y, epochs=1, batch_size=None, verbose=0, validation_data=(xv, yv))
    p = model.predict(xv)
    assert hist.history["val_loss"][0] == pytest.approx(float(np.mean((p - yv) ** 2)), rel=1e-12)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="mode"):
        sn.EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="patience"):
        sn.EarlyStopping(patience=-1)


# ---------------------------------------------------------------------------------------
# Random sequences against Keras' rule written out independently
# ---------------------------------------------------------------------------------------
def keras_stop(values, patience, min_delta, baseline):
    """Min mode. Returns (stopped_epoch, epochs_run, best_epoch)."""
    best, best_epoch, wait = None, 0, 0
    for epoch, v in enumerate(values):
        wait += 1
        if best is None or v + abs(min_delta) < best:
            best, best_epoch = v, epoch
            if baseline is None or v + abs(min_delta) < baseline:
                wait = 0
            continue
        if wait >= patience and epoch > 0:
            return epoch, epoch + 1, best_epoch
    return 0, len(values), best_epoch


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    values=st.lists(st.sampled_from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), min_size=1, max_size=10),
    patience=st.integers(0, 3),
    min_delta=st.sampled_from([0.0, 0.15]),
    baseline=st.sampled_from([None, 0.25, 0.45]),
)
def test_random_sequences_match_keras_rule(values, patience, min_delta, baseline):
    stopped, n, best_epoch = keras_stop(values, patience, min_delta, baseline)
    _, es, hist, _ = run(values, patience=patience, min_delta=min_delta, baseline=baseline)
    assert (es.stopped_epoch, n_epochs(hist), es.best_epoch) == (stopped, n, best_epoch)


# ---------------------------------------------------------------------------------------
# Hooks and History
# ---------------------------------------------------------------------------------------
class Events(sn.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_train_end(self, logs=None):
        self.events.append("train_end")

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(f"epoch_begin {epoch}")

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(f"epoch_end {epoch}")

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(f"batch_begin {batch}")

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(f"batch_end {batch}")


def test_hook_order_and_params():
    model = sn.Sequential([sn.Input((2,)), sn.Dense(1)], seed=0)
    model.compile("sgd", "mse")
    ev = Events()
    hist = model.fit(X, Y, epochs=2, batch_size=4, verbose=0, callbacks=[ev])  # 6 rows: batches 4 + 2
    def per_epoch(e):
        return [f"epoch_begin {e}", "batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1",
                f"epoch_end {e}"]

    assert ev.events == ["train_begin", *per_epoch(0), *per_epoch(1), "train_end"]
    assert ev.params == {"epochs": 2, "steps": 2, "verbose": 0, "batch_size": 4}
    assert ev.model is model
    assert model.history is hist
    assert hist.epoch == [0, 1] and list(hist.history) == ["loss"] and len(hist.history["loss"]) == 2


def test_base_callback_does_not_request_batch_hooks():
    assert sn.Callback().wants_batch_hooks is False
    assert sn.History().wants_batch_hooks is False
    assert Events().wants_batch_hooks is True


def test_stop_training_from_a_callback_ends_after_the_epoch():
    class StopAt(sn.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                self.model.stop_training = True

    model = sn.Sequential([sn.Input((2,)), sn.Dense(1)], seed=0)
    model.compile("sgd", "mse")
    hist = model.fit(X, Y, epochs=10, verbose=0, callbacks=[StopAt()])
    assert hist.epoch == [0, 1, 2]
