"""Post-hoc comparisons of every pair of group means: Tukey's HSD and Games-Howell."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike

from ._input import (
    FloatArray,
    as_sample,
    check_confidence_level,
    check_groups,
    check_names,
    constant,
    constant_samples_outcome,
    drop_non_finite,
    first_reason,
    too_few,
)
from .results import INSUFFICIENT_DATA, OK, PairwiseResult


def games_howell(
    groups: Sequence[ArrayLike], names: Sequence[str], *, confidence_level: float = 0.95
) -> list[PairwiseResult]:
    """Games-Howell comparison of every pair of groups (Games & Howell 1976).

    For groups i and j with means m, sample variances s^2 and sizes n, let
    V = s_i^2 / n_i + s_j^2 / n_j. The statistic is q = |m_i - m_j| / sqrt(V / 2), referred to
    the studentized range distribution with k groups (all groups given) and the
    Welch-Satterthwaite degrees of freedom df = V^2 / ((s_i^2/n_i)^2/(n_i-1) +
    (s_j^2/n_j)^2/(n_j-1)). The p-value is ``scipy.stats.studentized_range.sf(q, k, df)`` and
    the interval is (m_i - m_j) +- ``studentized_range.ppf(confidence_level, k, df)`` *
    sqrt(V / 2). Variances are not assumed equal.

    Pairs come in the order of ``itertools.combinations``: (0, 1), (0, 2), ..., (1, 2), ...,
    with ``first`` the earlier group. Fewer than two groups give an empty list. NaN and infinite
    values are dropped and counted per pair. A pair is "insufficient-data" when either group
    has fewer than two values, and "identical" or "deterministic" when both groups are
    constant. Such a pair does not stop the other pairs from being computed. ``names`` must
    contain one distinct string per group (ValueError or TypeError otherwise).
    """
    level = check_confidence_level(confidence_level)
    arrays, dropped, labels = _clean(groups, names)
    k = len(arrays)
    results = []
    for i, j in combinations(range(k), 2):
        a, b = arrays[i], arrays[j]
        pair = _Pair(labels[i], labels[j], a, b, dropped[i] + dropped[j], level)
        reason = first_reason(
            too_few(f"group {labels[i]!r}", a.size, dropped[i]),
            too_few(f"group {labels[j]!r}", b.size, dropped[j]),
        )
        if reason is not None:
            results.append(pair.undefined(INSUFFICIENT_DATA, reason, math.nan))
            continue
        if constant(a) and constant(b):
            difference = float(a[0] - b[0])
            status, reason = constant_samples_outcome(difference == 0.0)
            results.append(pair.undefined(status, reason, difference))
            continue
        share_a = np.var(a, ddof=1) / a.size
        share_b = np.var(b, ddof=1) / b.size
        variance = float(share_a + share_b)
        df = variance**2 / float(share_a**2 / (a.size - 1) + share_b**2 / (b.size - 1))
        standard_error = math.sqrt(variance / 2.0)
        results.append(pair.studentized(standard_error, k, df))
    return results


def tukey_hsd(
    groups: Sequence[ArrayLike], names: Sequence[str], *, confidence_level: float = 0.95
) -> list[PairwiseResult]:
    """Tukey's honestly significant difference test of every pair of groups.

    Uses ``scipy.stats.tukey_hsd(*groups)``: the Tukey-Kramer form for unequal sizes, with the
    mean square within of all groups, MSE, and df = N - k. The statistic is
    q = |m_i - m_j| / sqrt(MSE / 2 * (1/n_i + 1/n_j)), and the p-value and interval are scipy's.
    Equal variances are assumed; use ``games_howell`` when they differ.

    Pairs are ordered as in ``games_howell``, and fewer than two groups give an empty list.
    NaN and infinite values are dropped and counted per pair. Because MSE pools every group,
    a group with fewer than two values makes every pair "insufficient-data". When every group
    is constant, MSE is zero and each pair is "identical" or "deterministic".
    """
    level = check_confidence_level(confidence_level)
    arrays, dropped, labels = _clean(groups, names)
    k = len(arrays)
    if k < 2:
        return []
    pairs = [
        _Pair(labels[i], labels[j], arrays[i], arrays[j], dropped[i] + dropped[j], level)
        for i, j in combinations(range(k), 2)
    ]
    reason = first_reason(
        *(too_few(f"group {labels[i]!r}", arrays[i].size, dropped[i]) for i in range(k))
    )
    if reason is not None:
        return [pair.undefined(INSUFFICIENT_DATA, reason, math.nan) for pair in pairs]
    if all(constant(array) for array in arrays):
        results = []
        for pair in pairs:
            difference = float(pair.a[0] - pair.b[0])
            status, outcome = constant_samples_outcome(difference == 0.0)
            results.append(pair.undefined(status, outcome, difference))
        return results

    n_total = sum(array.size for array in arrays)
    df = float(n_total - k)
    mse = sum(float(np.sum((array - np.mean(array)) ** 2)) for array in arrays) / df
    result = scipy.stats.tukey_hsd(*arrays)
    interval = result.confidence_interval(confidence_level=level)
    results = []
    for pair, (i, j) in zip(pairs, combinations(range(k), 2), strict=True):
        standard_error = math.sqrt(mse / 2.0 * (1.0 / pair.a.size + 1.0 / pair.b.size))
        results.append(
            pair.ok(
                difference=float(result.statistic[i, j]),
                low=float(interval.low[i, j]),
                high=float(interval.high[i, j]),
                p_value=float(result.pvalue[i, j]),
                statistic=abs(float(result.statistic[i, j])) / standard_error,
                df=df,
            )
        )
    return results


def _clean(
    groups: Sequence[ArrayLike], names: Sequence[str]
) -> tuple[list[FloatArray], list[int], list[str]]:
    check_groups(groups)
    arrays = []
    dropped = []
    for i, group in enumerate(groups):
        array, count = drop_non_finite(as_sample(group, f"groups[{i}]"))
        arrays.append(array)
        dropped.append(count)
    labels = check_names(names, len(arrays))
    return arrays, dropped, labels


class _Pair:
    """Two groups of a comparison, and the result objects built for them."""

    def __init__(
        self, first: str, second: str, a: FloatArray, b: FloatArray, dropped: int, level: float
    ) -> None:
        self.first = first
        self.second = second
        self.a = a
        self.b = b
        self.dropped = dropped
        self.level = level

    def studentized(self, standard_error: float, k: int, df: float) -> PairwiseResult:
        """Result whose p-value and interval come from the studentized range with (k, df)."""
        difference = float(np.mean(self.a) - np.mean(self.b))
        statistic = abs(difference) / standard_error
        p_value = float(scipy.stats.studentized_range.sf(statistic, k, df))
        half_width = float(scipy.stats.studentized_range.ppf(self.level, k, df)) * standard_error
        return self.ok(
            difference=difference,
            low=difference - half_width,
            high=difference + half_width,
            p_value=p_value,
            statistic=statistic,
            df=df,
        )

    def ok(
        self,
        *,
        difference: float,
        low: float,
        high: float,
        p_value: float,
        statistic: float,
        df: float,
    ) -> PairwiseResult:
        return PairwiseResult(
            first=self.first,
            second=self.second,
            mean_difference=difference,
            confidence_interval=(low, high),
            p_value=p_value,
            statistic=statistic,
            df=df,
            confidence_level=self.level,
            n_first=int(self.a.size),
            n_second=int(self.b.size),
            dropped=self.dropped,
            status=OK,
            reason=None,
        )

    def undefined(self, status: str, reason: str, difference: float) -> PairwiseResult:
        """Result without a test; the interval collapses onto ``difference``."""
        return PairwiseResult(
            first=self.first,
            second=self.second,
            mean_difference=difference,
            confidence_interval=(difference, difference),
            p_value=math.nan,
            statistic=math.nan,
            df=math.nan,
            confidence_level=self.level,
            n_first=int(self.a.size),
            n_second=int(self.b.size),
            dropped=self.dropped,
            status=status,
            reason=reason,
        )
