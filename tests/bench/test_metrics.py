"""Tests of scratchnet.bench.measures.metrics against hand-made curves and hand computations.

Every expected value is worked out here, by hand or with plain NumPy, from the definitions
in the module docstring (1 % rule, 1-based epochs, MSE over rows and outputs, Keras' 1e-7
probability clip for cross-entropy).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from scratchnet.bench.measures import metrics
from scratchnet.bench.measures.metrics import convergence_epoch, loss_value, mse, seconds_to_target

NAN = math.nan
INF = math.inf


# --------------------------------------------------------------------------- convergence_epoch


@pytest.mark.parametrize(
    ("curve", "target", "expected"),
    [
        # with a target: first epoch whose loss <= target * 1.01
        ([1.0, 0.5, 0.2, 0.1], 0.2, 3),
        ([1.0, 0.5, 0.2, 0.1], 0.5, 2),
        ([1.0, 0.5, 0.2, 0.1], 1.0, 1),
        ([1.0, 0.5, 0.2, 0.1], 0.201, 3),   # 0.2 <= 0.20301
        ([1.0, 0.5, 0.2031, 0.1], 0.201, 4),  # 0.2031 > 0.20301 -> the next epoch
        # without a target: the reference is the run's own final loss (provisional)
        ([1.0, 0.5, 0.2, 0.1], None, 4),
        ([1.0, 0.3025, 0.1, 0.3], None, 2),  # final 0.3 -> 0.3025 <= 0.303 counts first
        ([1.0, 0.304, 0.1, 0.3], None, 3),   # 0.304 > 0.303; 0.1 is below it
        ([0.7], None, 1),
        # a curve that rises again: first hit counts, later values do not matter
        ([0.5, 0.2, 0.9, 0.9], 0.2, 2),
    ],
)
def test_convergence_epoch_on_hand_made_curves(curve, target, expected):
    assert convergence_epoch(curve, target) == expected


@pytest.mark.parametrize("curve", [[1.0, 0.5, 0.3], [0.3], [0.21, 0.2021, 0.25]])
def test_convergence_epoch_never_reached_is_none(curve):
    # target 0.2 -> threshold 0.202; none of these curves gets there
    assert convergence_epoch(curve, 0.2) is None


def test_convergence_epoch_ignores_nan_and_inf_entries():
    curve = [NAN, 0.5, NAN, 0.2, INF]
    assert convergence_epoch(curve) == 4             # reference = last finite = 0.2
    assert convergence_epoch(curve, 0.5) == 2        # the leading NaN never "reaches" anything
    assert convergence_epoch([NAN, 0.3], 0.5) == 2
    # -inf is not finite: it is neither the reference nor a hit
    assert convergence_epoch([-INF, 0.3, 0.4], None) == 2
    assert convergence_epoch([NAN, NAN, 0.9], 0.1) is None


@pytest.mark.parametrize("target", [None, 0.5])
def test_convergence_epoch_all_nan_or_empty_is_none(target):
    assert convergence_epoch([NAN, NAN, NAN], target) is None
    assert convergence_epoch([NAN, INF, -INF], target) is None
    assert convergence_epoch([], target) is None


def test_convergence_epoch_one_percent_boundary_is_inclusive():
    # target 100 -> threshold 100 + 100 * 0.01 = 101.0 exactly (both are exact in float64)
    assert 100.0 + abs(100.0) * metrics.REL_TOL == 101.0
    assert convergence_epoch([102.0, 101.0, 100.5], 100.0) == 2
    just_above = float(np.nextafter(101.0, np.inf))
    assert convergence_epoch([102.0, just_above, 100.5], 100.0) == 3
    # the same boundary when the reference is the curve's own final loss
    assert convergence_epoch([103.0, 101.0, 100.0], None) == 2
    assert convergence_epoch([103.0, just_above, 100.0], None) == 3
    # rel_tol is honoured: a 5 % band admits 105 for target 100
    assert convergence_epoch([106.0, 105.0, 100.0], 100.0, rel_tol=0.05) == 2


def test_convergence_epoch_target_zero_needs_exact_zero():
    assert convergence_epoch([0.1, 1e-300, 0.0], 0.0) == 3


# --------------------------------------------------------------------------- seconds_to_target


def test_seconds_to_target_sums_epochs_up_to_convergence():
    losses = [1.0, 0.5, 0.2, 0.1]
    secs = [1.0, 2.0, 4.0, 8.0]
    assert seconds_to_target(losses, secs, 0.5) == 1.0 + 2.0
    assert seconds_to_target(losses, secs, 1.0) == 1.0
    assert seconds_to_target(losses, secs, 0.2) == 1.0 + 2.0 + 4.0
    assert seconds_to_target(losses, secs) == 15.0          # reference: final loss, epoch 4
    assert seconds_to_target(losses, secs, 0.01) is None    # never reached
    assert seconds_to_target([NAN, NAN], [1.0, 2.0]) is None
    # NaN epochs still cost their time when they come before the hit
    assert seconds_to_target([NAN, 0.3], [0.25, 0.5], 0.3) == 0.75


def test_seconds_to_target_validates_lengths():
    with pytest.raises(ValueError, match="3 losses but 2 epoch times"):
        seconds_to_target([1.0, 0.5, 0.2], [1.0, 2.0], 0.5)
    with pytest.raises(ValueError, match="1 losses but 2 epoch times"):
        seconds_to_target([1.0], [1.0, 2.0])


# --------------------------------------------------------------------------- mse


def test_mse_vector_against_column_is_row_by_row():
    y_true = np.array([1.0, 2.0, 3.0, 4.0])
    y_pred = np.array([[1.5], [2.0], [2.0], [6.0]])
    expected = (0.25 + 0.0 + 1.0 + 4.0) / 4
    # what an (N,) - (N, 1) broadcast would give instead: a 4x4 matrix of differences
    broadcast = float(np.mean((y_pred - y_true) ** 2))
    assert broadcast != pytest.approx(expected)
    assert mse(y_true, y_pred) == expected
    assert mse(y_pred, y_true) == expected
    assert mse(y_true.reshape(-1, 1), y_pred) == expected
    assert mse(y_true, y_pred.ravel()) == expected


def test_mse_over_all_outputs_in_float64():
    y_true = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    y_pred = np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]], dtype=np.float32)
    t64, p64 = y_true.astype(np.float64), y_pred.astype(np.float64)
    expected = float(((p64 - t64) ** 2).sum() / 6)
    result = mse(y_true, y_pred)
    assert isinstance(result, float)
    assert result == pytest.approx(expected, rel=1e-15)


def test_mse_rejects_mismatched_rows_and_shapes():
    with pytest.raises(ValueError, match="3 rows but y_pred has 4"):
        mse(np.zeros(3), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="does not match"):
        mse(np.zeros((4, 2)), np.zeros((4, 1)))


# --------------------------------------------------------------------------- loss_value


def test_loss_value_mse_equals_hand_computation():
    y_true = np.array([[0.0], [1.0], [0.5]])
    y_pred = np.array([[0.2], [0.4], [0.5]])
    expected = (0.04 + 0.36 + 0.0) / 3
    assert loss_value("mse", y_true, y_pred) == pytest.approx(expected, rel=1e-15)
    assert loss_value("mean_squared_error", y_true, y_pred) == pytest.approx(expected, rel=1e-15)
    # (N,) targets are taken row by row, like mse()
    assert loss_value("mse", y_true.ravel(), y_pred) == pytest.approx(expected, rel=1e-15)


def test_loss_value_binary_crossentropy_with_clip():
    eps = 1e-7
    y_true = np.array([[1.0], [0.0], [1.0], [0.0], [1.0]])
    y_pred = np.array([[0.9], [0.2], [0.0], [1.0], [1.0]])
    # by hand: -[y log p + (1-y) log(1-p)] with p clipped to [1e-7, 1 - 1e-7]
    terms = [
        -math.log(0.9),
        -math.log(1 - 0.2),
        -math.log(eps),             # p = 0 for a positive: clipped, not -log(0) = inf
        -math.log(1 - (1 - eps)),   # p = 1 for a negative: clipped
        -math.log(1 - eps),         # p = 1 for a positive: clipped to 1 - 1e-7, a tiny loss
    ]
    expected = sum(terms) / 5
    value = loss_value("binary_crossentropy", y_true, y_pred)
    assert math.isfinite(value)
    assert value == pytest.approx(expected, rel=1e-9)
    # the clip is 1e-7, not some other epsilon: one clipped row alone gives -log(1e-7)
    assert loss_value("binary_crossentropy", [[1.0]], [[0.0]]) == pytest.approx(-math.log(eps), rel=1e-9)
    assert -math.log(eps) == pytest.approx(16.118095650958319)
