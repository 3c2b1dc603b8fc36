"""Summary statistics of positive values, and the geometric mean of ratios across benchmarks."""

from __future__ import annotations

import math

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike

from ._input import as_sample, check_confidence_level, check_positive, drop_nan
from .results import DETERMINISTIC, IDENTICAL, INSUFFICIENT_DATA, OK, GeometricMeanRatio

GEOMETRIC_MEAN_RATIO_METHOD = "equal-weight mean of log-ratios, normal interval"


def geometric_mean(values: ArrayLike) -> float:
    """Geometric mean of positive values, ``exp(mean(log values))``.

    NaN values are dropped; with nothing left the result is NaN. A value that is not > 0 raises
    ValueError naming it. An infinite value gives an infinite mean.
    """
    array = as_sample(values, "values")
    check_positive(array, "values")
    array = drop_nan(array)
    if array.size == 0:
        return math.nan
    return float(scipy.stats.gmean(array))


def geometric_mean_ratio(
    log_ratios: ArrayLike, standard_errors: ArrayLike, *, confidence_level: float = 0.95
) -> GeometricMeanRatio:
    """Geometric mean of per-benchmark time ratios, with a normal confidence interval.

    Entry i describes benchmark i: ``log_ratios[i]`` is its estimate of log(candidate /
    baseline) and ``standard_errors[i]`` the standard error of that estimate, for example
    ``math.log(r.ratio)`` and ``r.log_standard_error`` of a ``ratio_interval`` or
    ``log_ratio_interval`` result. Every benchmark gets the same weight, so the estimate is
    ``exp(L)`` with L = mean(log_ratios), the geometric mean of the ratios, whatever the
    precision of each benchmark. Assuming the benchmarks were measured independently,
    SE(L) = sqrt(sum se_i^2) / k, and the interval is exp(L -+ z SE(L)) with z the normal
    quantile. An end beyond the float range (a log above about 709) becomes inf.

    The interval covers the measurement noise of these benchmarks only. It treats the set of
    benchmarks as fixed, so it does not cover how the mean would change with other
    benchmarks. The normal quantile ignores the uncertainty of each standard error, so with
    few rounds per benchmark the interval is somewhat too narrow.

    Benchmarks whose log-ratio or standard error is NaN or infinite are dropped and counted.
    With none left the result is "insufficient-data". When every standard error is zero the
    mean is exact: "identical" if every log-ratio is 0, else "deterministic". Raises
    ValueError for arrays of different lengths or a negative standard error.
    """
    level = check_confidence_level(confidence_level)
    logs = as_sample(log_ratios, "log_ratios")
    errors = as_sample(standard_errors, "standard_errors")
    if logs.size != errors.size:
        raise ValueError(
            f"log_ratios has {logs.size} values but standard_errors has {errors.size}; pass "
            "one log-ratio and one standard error per benchmark"
        )
    negative = np.flatnonzero(errors < 0)
    if negative.size:
        index = int(negative[0])
        raise ValueError(
            f"standard_errors[{index}] = {float(errors[index])!r} is negative; a standard "
            "error must be >= 0"
        )
    keep = np.isfinite(logs) & np.isfinite(errors)
    logs, errors = logs[keep], errors[keep]
    k = int(logs.size)
    dropped = int(keep.size - k)

    if k == 0:
        note = ""
        if dropped:
            verb = "was" if dropped == 1 else "were"
            note = f" after {dropped} {verb} dropped for a NaN or infinite value"
        return _geometric_mean_ratio(
            math.nan, math.nan, level, k, dropped, INSUFFICIENT_DATA,
            f"no benchmarks are left{note}; at least 1 is needed",
        )
    mean_log = float(np.mean(logs))
    standard_error = float(math.sqrt(float(np.sum(errors**2))) / k)
    if standard_error == 0.0:
        if np.all(logs == 0.0):
            return _geometric_mean_ratio(
                0.0, 0.0, level, k, dropped, IDENTICAL,
                "every benchmark has a log-ratio of 0 with a standard error of 0",
            )
        return _geometric_mean_ratio(
            mean_log, 0.0, level, k, dropped, DETERMINISTIC,
            "every standard error is 0: a deterministic difference",
        )
    return _geometric_mean_ratio(mean_log, standard_error, level, k, dropped, OK, None)


def _geometric_mean_ratio(
    mean_log: float,
    standard_error: float,
    level: float,
    k: int,
    dropped: int,
    status: str,
    reason: str | None,
) -> GeometricMeanRatio:
    z = float(scipy.stats.norm.ppf(0.5 + level / 2.0))
    with np.errstate(over="ignore"):
        ratio, low, high = np.exp(
            [mean_log, mean_log - z * standard_error, mean_log + z * standard_error]
        )
    return GeometricMeanRatio(
        ratio=float(ratio),
        low=float(low),
        high=float(high),
        confidence_level=level,
        log_standard_error=standard_error,
        n_benchmarks=k,
        dropped=dropped,
        method=GEOMETRIC_MEAN_RATIO_METHOD,
        status=status,
        reason=reason,
    )
