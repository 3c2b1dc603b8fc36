"""Parametric confidence interval of the ratio of geometric means: a t interval on log-times."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ._input import (
    FloatArray,
    as_sample,
    check_confidence_level,
    check_paired,
    check_positive,
    constant_differences_outcome,
    constant_samples_outcome,
    drop_non_finite,
    first_reason,
    no_spread,
    too_few,
    too_few_pairs,
)
from .results import INSUFFICIENT_DATA, OK, RatioInterval, TTestResult
from .tests import paired_ttest, welch_ttest

WELCH_METHOD = "Welch t on log-times"
PAIRED_METHOD = "paired t on log-times"


def log_ratio_interval(
    candidate: ArrayLike,
    baseline: ArrayLike,
    *,
    paired: bool = False,
    confidence_level: float = 0.95,
) -> RatioInterval:
    """Ratio of geometric means, candidate over baseline, with a t interval on the log scale.

    The parametric twin of ``ratio_interval``. ``paired=False``: Welch's t interval of
    ``mean(log candidate) - mean(log baseline)``, exponentiated (method "Welch t on
    log-times"). ``paired=True``: the t interval of the mean per-round log difference, with
    n - 1 degrees of freedom (method "paired t on log-times"). The estimate is
    ``exp(mean(log candidate) - mean(log baseline))`` in both cases, as in ``ratio_interval``.
    ``statistic``, ``p_value`` and ``df`` are those of the t-test of the log-times, and
    ``log_standard_error`` is the standard error of the log ratio. ``resamples`` is 0.

    Input checks, dropping and the statuses for data without spread match ``ratio_interval``.
    A time that is not > 0 raises ValueError. NaN and infinite values (paired: rounds) are
    dropped and counted. Log-times without spread give "identical" or "deterministic", with a
    collapsed interval and a NaN statistic and p-value.
    """
    level = check_confidence_level(confidence_level)
    paired = check_paired(paired)
    c = as_sample(candidate, "candidate")
    b = as_sample(baseline, "baseline")
    if paired and c.size != b.size:
        raise ValueError(
            f"paired=True needs arrays of equal length (one entry per round), got candidate "
            f"with {c.size} and baseline with {b.size} values; align them by round or pass "
            "paired=False"
        )
    check_positive(c, "candidate")
    check_positive(b, "baseline")
    if paired:
        return _paired(c, b, level)
    return _unpaired(c, b, level)


def _paired(c: FloatArray, b: FloatArray, level: float) -> RatioInterval:
    complete = np.isfinite(c) & np.isfinite(b)
    dropped = int(complete.size - np.count_nonzero(complete))
    c, b = c[complete], b[complete]
    n = int(c.size)
    reason = too_few_pairs(n, dropped)
    if reason is not None:
        return _undefined(PAIRED_METHOD, level, n, n, n, dropped, INSUFFICIENT_DATA, reason)
    log_c, log_b = np.log(c), np.log(b)
    d = log_c - log_b
    if no_spread(d):
        zero = no_spread(np.append(d, 0.0))
        if no_spread(log_c, log_b):
            status, reason = constant_samples_outcome(zero)
            ratio = 1.0 if zero else float(c[0] / b[0])
        else:
            status, reason = constant_differences_outcome(zero)
            ratio = 1.0 if zero else _estimate(log_c, log_b)
        return _undefined(PAIRED_METHOD, level, n, n, n, dropped, status, reason, ratio)
    test = paired_ttest(log_c, log_b, confidence_level=level)
    return _from_ttest(test, PAIRED_METHOD, log_c, log_b, n, dropped)


def _unpaired(c: FloatArray, b: FloatArray, level: float) -> RatioInterval:
    c, dropped_c = drop_non_finite(c)
    b, dropped_b = drop_non_finite(b)
    dropped = dropped_c + dropped_b
    reason = first_reason(
        too_few("candidate", c.size, dropped_c),
        too_few("baseline", b.size, dropped_b),
    )
    n_c, n_b = int(c.size), int(b.size)
    if reason is not None:
        return _undefined(WELCH_METHOD, level, n_c, n_b, None, dropped, INSUFFICIENT_DATA, reason)
    log_c, log_b = np.log(c), np.log(b)
    if no_spread(log_c, log_b):
        equal = no_spread(np.concatenate([log_c, log_b]))
        status, reason = constant_samples_outcome(equal)
        ratio = 1.0 if equal else float(c[0] / b[0])
        return _undefined(WELCH_METHOD, level, n_c, n_b, None, dropped, status, reason, ratio)
    test = welch_ttest(log_c, log_b, confidence_level=level)
    return _from_ttest(test, WELCH_METHOD, log_c, log_b, None, dropped)


def _estimate(log_c: FloatArray, log_b: FloatArray) -> float:
    return float(np.exp(np.mean(log_c) - np.mean(log_b)))


def _from_ttest(
    test: TTestResult,
    method: str,
    log_c: FloatArray,
    log_b: FloatArray,
    n_pairs: int | None,
    dropped: int,
) -> RatioInterval:
    """Exponentiate the t interval of the log-times."""
    if test.status != OK:
        # Not reached: the callers pass only data with spread, which the t-tests accept.
        reason = test.reason or "the t-test of the log-times could not be computed"
        return _undefined(
            method, test.confidence_level, test.n_candidate, test.n_baseline, n_pairs, dropped,
            INSUFFICIENT_DATA, reason,
        )
    low, high = test.confidence_interval
    return RatioInterval(
        ratio=_estimate(log_c, log_b),
        low=math.exp(low),
        high=math.exp(high),
        confidence_level=test.confidence_level,
        method=method,
        resamples=0,
        n_candidate=int(log_c.size),
        n_baseline=int(log_b.size),
        n_pairs=n_pairs,
        status=OK,
        reason=None,
        statistic=test.statistic,
        p_value=test.p_value,
        df=test.df,
        log_standard_error=_standard_error(log_c, log_b, n_pairs),
        dropped=dropped,
    )


def _standard_error(log_c: FloatArray, log_b: FloatArray, n_pairs: int | None) -> float:
    """Standard error of the mean log difference: paired, or Welch's unpaired form."""
    if n_pairs is not None:
        d = log_c - log_b
        return float(np.std(d, ddof=1) / math.sqrt(d.size))
    return float(
        math.sqrt(np.var(log_c, ddof=1) / log_c.size + np.var(log_b, ddof=1) / log_b.size)
    )


def _undefined(
    method: str,
    level: float,
    n_candidate: int,
    n_baseline: int,
    n_pairs: int | None,
    dropped: int,
    status: str,
    reason: str,
    ratio: float = math.nan,
) -> RatioInterval:
    """Result without a t-test: NaN statistic and p-value, the interval collapsed on ``ratio``."""
    return RatioInterval(
        ratio=ratio,
        low=ratio,
        high=ratio,
        confidence_level=level,
        method=method,
        resamples=0,
        n_candidate=n_candidate,
        n_baseline=n_baseline,
        n_pairs=n_pairs,
        status=status,
        reason=reason,
        log_standard_error=math.nan if math.isnan(ratio) else 0.0,
        dropped=dropped,
    )
