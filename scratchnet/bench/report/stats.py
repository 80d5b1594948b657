"""Statistics of the report, every generator seeded (the same tables give the same numbers).

``median_ci``: 95 % percentile bootstrap of the median over seeds (``scipy.stats.bootstrap``, 2000
resamples); ``ratio_ci``: the ratio of medians with each side's seeds resampled independently;
``compare_mse``: two-sided Mann-Whitney U (the verdict) and Welch's t (shown), at least
``MIN_RUNS_FOR_TEST`` ok runs a side.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats
from scratchnet.bench.report.formatting import fmt_sci
from scratchnet.bench.report.tables import median_of


CI_LEVEL = 0.95
N_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
ALPHA = 0.05
MIN_RUNS_FOR_TEST = 3


def median_ci(values: np.ndarray) -> tuple[float, float]:
    """95 % percentile-bootstrap CI of the median; NaNs with fewer than two values."""
    if values.size < 2:
        return math.nan, math.nan
    if np.all(values == values[0]):
        return float(values[0]), float(values[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.bootstrap((values,), np.median, n_resamples=N_RESAMPLES,
                                 confidence_level=CI_LEVEL, method="percentile",
                                 rng=np.random.default_rng(BOOTSTRAP_SEED))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def ratio_ci(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """CI of median(num)/median(den), resampling both samples independently."""
    if num.size < 2 or den.size < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    top = np.median(rng.choice(num, size=(N_RESAMPLES, num.size)), axis=1)
    bottom = np.median(rng.choice(den, size=(N_RESAMPLES, den.size)), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = top / bottom
    ratios = ratios[np.isfinite(ratios)]
    if ratios.size == 0:
        return math.nan, math.nan
    tail = 100 * (1 - CI_LEVEL) / 2
    lo, hi = np.percentile(ratios, [tail, 100 - tail])
    return float(lo), float(hi)


def ratio_of_medians(num: np.ndarray, den: np.ndarray) -> float:
    top, bottom = median_of(num), median_of(den)
    return top / bottom if np.isfinite(bottom) and bottom != 0 else math.nan


def compare_mse(a: np.ndarray, b: np.ndarray) -> tuple[float, float, str]:
    """(Mann-Whitney p, Welch p, verdict) for two samples of test MSE."""
    if a.size < MIN_RUNS_FOR_TEST or b.size < MIN_RUNS_FOR_TEST:
        return math.nan, math.nan, "too few runs"
    both = np.concatenate([a, b])
    if np.all(both == both[0]):
        return math.nan, math.nan, "identical"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p_mwu = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
        p_welch = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    if not np.isfinite(p_mwu):
        return p_mwu, p_welch, "undefined"
    word = "significant at 5%" if p_mwu < ALPHA else "no significant difference"
    return p_mwu, p_welch, f"{word} (p={fmt_sci(p_mwu)})"
