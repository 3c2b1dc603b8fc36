"""Hypothesis tests: Welch's and the paired t-test, and one-way ANOVA."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike

from ._input import (
    as_sample,
    check_confidence_level,
    constant,
    drop_nan,
    first_reason,
    infinite,
    too_few,
)
from .results import INSUFFICIENT_DATA, OK, AnovaResult, TTestResult


def welch_ttest(
    candidate: ArrayLike, baseline: ArrayLike, *, confidence_level: float = 0.95
) -> TTestResult:
    """Two-sided Welch's t-test (unequal variances) of candidate against baseline.

    Uses ``scipy.stats.ttest_ind(candidate, baseline, equal_var=False)``: the degrees of
    freedom are Welch-Satterthwaite's, and the confidence interval is that of
    ``mean(candidate) - mean(baseline)`` from the result's ``confidence_interval``.

    NaN values are dropped first. Each side needs at least two values; if both sides have zero
    variance the statistic is undefined and the result is "insufficient-data". If only one side
    has zero variance the test is still defined and is computed.
    """
    level = check_confidence_level(confidence_level)
    c = drop_nan(as_sample(candidate, "candidate"))
    b = drop_nan(as_sample(baseline, "baseline"))
    reason = first_reason(
        too_few("candidate", c.size),
        too_few("baseline", b.size),
        infinite("candidate", c),
        infinite("baseline", b),
    )
    if reason is None and constant(c) and constant(b):
        reason = "both samples have zero variance"
    if reason is not None:
        return TTestResult(
            statistic=math.nan,
            p_value=math.nan,
            df=math.nan,
            mean_difference=math.nan,
            confidence_interval=(math.nan, math.nan),
            confidence_level=level,
            n_candidate=int(c.size),
            n_baseline=int(b.size),
            status=INSUFFICIENT_DATA,
            reason=reason,
        )
    with warnings.catch_warnings():
        # scipy warns about precision loss when one side is constant; that case is valid here.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = scipy.stats.ttest_ind(c, b, equal_var=False)
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
    )


def paired_ttest(
    candidate: ArrayLike, baseline: ArrayLike, *, confidence_level: float = 0.95
) -> TTestResult:
    """Two-sided paired t-test of candidate against baseline, entry i of each being one pair.

    Uses ``scipy.stats.ttest_rel(candidate, baseline)``: a one-sample t-test of the differences
    with n - 1 degrees of freedom. The confidence interval is that of the mean difference.
    Pairs where either side is NaN are dropped. At least two pairs are needed, and differences
    that are all equal (zero variance) give "insufficient-data".
    """
    level = check_confidence_level(confidence_level)
    c = as_sample(candidate, "candidate")
    b = as_sample(baseline, "baseline")
    if c.size != b.size:
        raise ValueError(
            f"paired samples differ in length: candidate has {c.size} values, baseline "
            f"{b.size}; pass one value per round on each side, NaN where a round failed"
        )
    keep = ~(np.isnan(c) | np.isnan(b))
    c = c[keep]
    b = b[keep]
    differences = c - b
    reason = first_reason(
        too_few("pairs", differences.size),
        infinite("candidate", c),
        infinite("baseline", b),
    )
    if reason is None and constant(differences):
        reason = "the paired differences have zero variance"
    if reason is not None:
        return TTestResult(
            statistic=math.nan,
            p_value=math.nan,
            df=math.nan,
            mean_difference=math.nan,
            confidence_interval=(math.nan, math.nan),
            confidence_level=level,
            n_candidate=int(c.size),
            n_baseline=int(b.size),
            status=INSUFFICIENT_DATA,
            reason=reason,
        )
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
    )


def one_way_anova(groups: Sequence[ArrayLike]) -> AnovaResult:
    """One-way ANOVA across ``groups`` with ``scipy.stats.f_oneway``, plus eta squared.

    NaN values are dropped from each group. At least two groups with at least two values each
    are needed, and not every group may have zero variance; otherwise the result is
    "insufficient-data". ``eta_squared`` is SS_between / SS_total.
    """
    if isinstance(groups, (str, bytes)):
        raise TypeError(
            f"groups must be a sequence of 1-D samples, got {groups!r}; pass e.g. [a, b, c]"
        )
    arrays = [drop_nan(as_sample(group, f"groups[{i}]")) for i, group in enumerate(groups)]
    k = len(arrays)
    n_total = int(sum(array.size for array in arrays))
    reason = None
    if k < 2:
        reason = f"{k} group{'' if k == 1 else 's'} given; at least 2 are needed"
    reason = first_reason(
        reason,
        *(too_few(f"groups[{i}]", array.size) for i, array in enumerate(arrays)),
        *(infinite(f"groups[{i}]", array) for i, array in enumerate(arrays)),
    )
    if reason is None and all(constant(array) for array in arrays):
        reason = "all groups have zero variance"
    if reason is not None:
        return AnovaResult(
            statistic=math.nan,
            p_value=math.nan,
            df_between=math.nan,
            df_within=math.nan,
            eta_squared=math.nan,
            n_groups=k,
            n_total=n_total,
            status=INSUFFICIENT_DATA,
            reason=reason,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = scipy.stats.f_oneway(*arrays)
    grand_mean = np.mean(np.concatenate(arrays))
    ss_between = sum(array.size * (np.mean(array) - grand_mean) ** 2 for array in arrays)
    ss_total = sum(float(np.sum((array - grand_mean) ** 2)) for array in arrays)
    return AnovaResult(
        statistic=float(result.statistic),
        p_value=float(result.pvalue),
        df_between=float(k - 1),
        df_within=float(n_total - k),
        eta_squared=float(ss_between / ss_total),
        n_groups=k,
        n_total=n_total,
        status=OK,
        reason=None,
    )
