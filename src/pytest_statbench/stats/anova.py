"""One-way analysis of variance: Fisher's F test and Welch's test for unequal variances."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike

from ._input import (
    FloatArray,
    as_sample,
    check_groups,
    constant,
    drop_non_finite,
    first_reason,
    too_few,
)
from .results import INSUFFICIENT_DATA, OK, AnovaResult

FISHER_METHOD = "one-way ANOVA"
WELCH_METHOD = "Welch one-way ANOVA"


def one_way_anova(groups: Sequence[ArrayLike]) -> AnovaResult:
    """One-way ANOVA across ``groups`` with ``scipy.stats.f_oneway``, plus eta and omega squared.

    NaN and infinite values are dropped from each group and counted in ``dropped``. At least two
    groups with at least two values each are needed, and not every group may have zero
    variance; otherwise the result is "insufficient-data". ``eta_squared`` is
    SS_between / SS_total and ``omega_squared`` is
    (SS_between - (k - 1) MS_within) / (SS_total + MS_within), which is less biased and is
    negative when F < 1.
    """
    arrays, dropped = _clean_groups(groups)
    k = len(arrays)
    n_total = int(sum(array.size for array in arrays))
    reason = _too_few_groups(arrays, dropped)
    if reason is None and all(constant(array) for array in arrays):
        reason = "all groups have zero variance"
    if reason is not None:
        return _insufficient(FISHER_METHOD, k, n_total, dropped, reason)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = scipy.stats.f_oneway(*arrays)
    eta_squared, omega_squared = _effect_sizes(arrays)
    return AnovaResult(
        statistic=float(result.statistic),
        p_value=float(result.pvalue),
        df_between=float(k - 1),
        df_within=float(n_total - k),
        eta_squared=eta_squared,
        n_groups=k,
        n_total=n_total,
        status=OK,
        reason=None,
        omega_squared=omega_squared,
        method=FISHER_METHOD,
        dropped=sum(dropped),
    )


def welch_anova(groups: Sequence[ArrayLike]) -> AnovaResult:
    """Welch's (1951) one-way ANOVA, which does not assume equal variances.

    With group sizes n_i, means m_i, sample variances s_i^2 and weights w_i = n_i / s_i^2,
    W = sum w_i and the weighted mean M = sum w_i m_i / W::

        A = sum w_i (m_i - M)^2 / (k - 1)
        L = sum (1 - w_i / W)^2 / (n_i - 1)
        F = A / (1 + 2 (k - 2) L / (k^2 - 1)),  df1 = k - 1,  df2 = (k^2 - 1) / (3 L)

    and the p-value is the upper tail of F(df1, df2). This is R's
    ``oneway.test(..., var.equal = FALSE)``; with two groups F is the square of Welch's t and
    df2 is its Welch-Satterthwaite df. ``df_within`` is df2, which is not an integer.
    ``eta_squared`` and ``omega_squared`` are the same descriptive sums-of-squares effect sizes
    as in ``one_way_anova``.

    NaN and infinite values are dropped and counted. At least two groups with at least two
    values each are needed, and every group needs a nonzero variance, because a constant group
    has an infinite weight; otherwise the result is "insufficient-data".
    """
    arrays, dropped = _clean_groups(groups)
    k = len(arrays)
    n_total = int(sum(array.size for array in arrays))
    reason = _too_few_groups(arrays, dropped)
    if reason is None and all(constant(array) for array in arrays):
        reason = "all groups have zero variance"
    if reason is None:
        reason = next(
            (
                f"groups[{i}] has zero variance, so its Welch weight n / s^2 is infinite"
                for i, array in enumerate(arrays)
                if constant(array)
            ),
            None,
        )
    if reason is not None:
        return _insufficient(WELCH_METHOD, k, n_total, dropped, reason)

    n = np.array([array.size for array in arrays], dtype=np.float64)
    means = np.array([np.mean(array) for array in arrays])
    variances = np.array([np.var(array, ddof=1) for array in arrays])
    weights = n / variances
    total_weight = float(np.sum(weights))
    weighted_mean = float(np.sum(weights * means) / total_weight)
    between = float(np.sum(weights * (means - weighted_mean) ** 2)) / (k - 1)
    lam = float(np.sum((1.0 - weights / total_weight) ** 2 / (n - 1.0)))
    statistic = between / (1.0 + 2.0 * (k - 2) * lam / (k * k - 1))
    df_within = (k * k - 1) / (3.0 * lam)
    eta_squared, omega_squared = _effect_sizes(arrays)
    return AnovaResult(
        statistic=statistic,
        p_value=float(scipy.stats.f.sf(statistic, k - 1, df_within)),
        df_between=float(k - 1),
        df_within=df_within,
        eta_squared=eta_squared,
        n_groups=k,
        n_total=n_total,
        status=OK,
        reason=None,
        omega_squared=omega_squared,
        method=WELCH_METHOD,
        dropped=sum(dropped),
    )


def _clean_groups(groups: Sequence[ArrayLike]) -> tuple[list[FloatArray], list[int]]:
    """Convert each group to a finite 1-D float array, and count the values dropped from each."""
    check_groups(groups)
    cleaned = [drop_non_finite(as_sample(group, f"groups[{i}]")) for i, group in enumerate(groups)]
    return [array for array, _ in cleaned], [count for _, count in cleaned]


def _too_few_groups(arrays: list[FloatArray], dropped: list[int]) -> str | None:
    k = len(arrays)
    reason = None
    if k < 2:
        reason = f"{k} group{'' if k == 1 else 's'} given; at least 2 are needed"
    return first_reason(
        reason,
        *(too_few(f"groups[{i}]", array.size, dropped[i]) for i, array in enumerate(arrays)),
    )


def _effect_sizes(arrays: list[FloatArray]) -> tuple[float, float]:
    """Compute eta squared and omega squared from the sums of squares about the group means."""
    k = len(arrays)
    n_total = sum(array.size for array in arrays)
    grand_mean = np.mean(np.concatenate(arrays))
    ss_between = float(sum(array.size * (np.mean(array) - grand_mean) ** 2 for array in arrays))
    ss_within = float(sum(np.sum((array - np.mean(array)) ** 2) for array in arrays))
    ss_total = ss_between + ss_within
    ms_within = ss_within / (n_total - k)
    eta_squared = ss_between / ss_total
    omega_squared = (ss_between - (k - 1) * ms_within) / (ss_total + ms_within)
    return eta_squared, omega_squared


def _insufficient(
    method: str, k: int, n_total: int, dropped: list[int], reason: str
) -> AnovaResult:
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
        omega_squared=math.nan,
        method=method,
        dropped=sum(dropped),
    )
