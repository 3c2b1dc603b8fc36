"""Hypothesis tests of two samples: Welch's, Student's and the paired t-test."""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike

from ._input import (
    FloatArray,
    as_sample,
    check_confidence_level,
    constant,
    constant_differences_outcome,
    constant_samples_outcome,
    drop_non_finite,
    first_reason,
    too_few,
    too_few_pairs,
)
from .results import INSUFFICIENT_DATA, OK, TTestResult


def welch_ttest(
    candidate: ArrayLike, baseline: ArrayLike, *, confidence_level: float = 0.95
) -> TTestResult:
    """Two-sided Welch's t-test (unequal variances) of candidate against baseline.

    Uses ``scipy.stats.ttest_ind(candidate, baseline, equal_var=False)``: the degrees of
    freedom are Welch-Satterthwaite's, and the confidence interval is that of
    ``mean(candidate) - mean(baseline)`` from the result's ``confidence_interval``.

    NaN and infinite values are dropped first and counted in ``dropped``. Each side needs at
    least two values, or the result is "insufficient-data". If both sides are constant the test
    is undefined: equal constants give "identical", different ones "deterministic", with the
    exact difference, an interval collapsed onto it, and a NaN statistic and p-value. If only
    one side is constant the test is still defined and is computed.
    """
    return _two_sample_ttest(candidate, baseline, confidence_level, equal_var=False)


def student_ttest(
    candidate: ArrayLike, baseline: ArrayLike, *, confidence_level: float = 0.95
) -> TTestResult:
    """Two-sided Student's t-test (pooled variance) of candidate against baseline.

    Uses ``scipy.stats.ttest_ind(candidate, baseline, equal_var=True)``: the pooled variance is
    ``((n_c - 1) s_c^2 + (n_b - 1) s_b^2) / (n_c + n_b - 2)`` and df = n_c + n_b - 2. Input
    handling and the degenerate cases are those of ``welch_ttest``.
    """
    return _two_sample_ttest(candidate, baseline, confidence_level, equal_var=True)


def _two_sample_ttest(
    candidate: ArrayLike, baseline: ArrayLike, confidence_level: float, *, equal_var: bool
) -> TTestResult:
    level = check_confidence_level(confidence_level)
    c, dropped_c = drop_non_finite(as_sample(candidate, "candidate"))
    b, dropped_b = drop_non_finite(as_sample(baseline, "baseline"))
    dropped = dropped_c + dropped_b
    reason = first_reason(
        too_few("candidate", c.size, dropped_c),
        too_few("baseline", b.size, dropped_b),
    )
    if reason is not None:
        return _undefined(level, c, b, dropped, INSUFFICIENT_DATA, reason, difference=math.nan)
    if constant(c) and constant(b):
        difference = float(c[0] - b[0])
        status, reason = constant_samples_outcome(difference == 0.0)
        return _undefined(level, c, b, dropped, status, reason, difference=difference)

    with warnings.catch_warnings():
        # scipy warns about precision loss when one side is constant; that case is valid here.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = scipy.stats.ttest_ind(c, b, equal_var=equal_var)
        interval = result.confidence_interval(confidence_level=level)
    return TTestResult(
        statistic=float(result.statistic),
        p_value=float(result.pvalue),
        df=float(result.df),
        mean_difference=float(np.mean(c) - np.mean(b)),
        confidence_interval=(float(interval.low), float(interval.high)),
        confidence_level=level,
        n_candidate=int(c.size),
        n_baseline=int(b.size),
        status=OK,
        reason=None,
        dropped=dropped,
    )


def paired_ttest(
    candidate: ArrayLike, baseline: ArrayLike, *, confidence_level: float = 0.95
) -> TTestResult:
    """Two-sided paired t-test of candidate against baseline, entry i of each being one pair.

    Uses ``scipy.stats.ttest_rel(candidate, baseline)``: a one-sample t-test of the differences
    with n - 1 degrees of freedom. The confidence interval is that of the mean difference.
    Pairs where either side is NaN or infinite are dropped and counted in ``dropped``. At least
    two pairs are needed. Differences that are all equal leave the test undefined: all zero
    gives "identical", one repeated nonzero value "deterministic", each with the exact mean
    difference, a collapsed interval and a NaN statistic and p-value.
    """
    level = check_confidence_level(confidence_level)
    c = as_sample(candidate, "candidate")
    b = as_sample(baseline, "baseline")
    if c.size != b.size:
        raise ValueError(
            f"paired samples differ in length: candidate has {c.size} values, baseline "
            f"{b.size}; pass one value per round on each side, NaN where a round failed"
        )
    keep = np.isfinite(c) & np.isfinite(b)
    dropped = int(keep.size - np.count_nonzero(keep))
    c = c[keep]
    b = b[keep]
    differences = c - b
    reason = too_few_pairs(differences.size, dropped)
    if reason is not None:
        return _undefined(level, c, b, dropped, INSUFFICIENT_DATA, reason, difference=math.nan)
    if constant(differences):
        difference = float(differences[0])
        if constant(c) and constant(b):
            status, reason = constant_samples_outcome(difference == 0.0)
        else:
            status, reason = constant_differences_outcome(difference == 0.0)
        return _undefined(level, c, b, dropped, status, reason, difference=difference)

    result = scipy.stats.ttest_rel(c, b)
    interval = result.confidence_interval(confidence_level=level)
    return TTestResult(
        statistic=float(result.statistic),
        p_value=float(result.pvalue),
        df=float(result.df),
        mean_difference=float(np.mean(differences)),
        confidence_interval=(float(interval.low), float(interval.high)),
        confidence_level=level,
        n_candidate=int(c.size),
        n_baseline=int(b.size),
        status=OK,
        reason=None,
        dropped=dropped,
    )


def _undefined(
    level: float,
    c: FloatArray,
    b: FloatArray,
    dropped: int,
    status: str,
    reason: str,
    *,
    difference: float,
) -> TTestResult:
    """Result without a test: NaN statistic, p-value and df, the interval collapsed on
    ``difference`` (NaN when there is too little data)."""
    return TTestResult(
        statistic=math.nan,
        p_value=math.nan,
        df=math.nan,
        mean_difference=difference,
        confidence_interval=(difference, difference),
        confidence_level=level,
        n_candidate=int(c.size),
        n_baseline=int(b.size),
        status=status,
        reason=reason,
        dropped=dropped,
    )
