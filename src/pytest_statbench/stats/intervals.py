"""Bootstrap confidence interval of the ratio of geometric means of two timing samples."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ._input import (
    FloatArray,
    as_sample,
    check_confidence_level,
    check_positive,
    check_resamples,
    drop_nan,
    first_reason,
    infinite,
    no_spread,
    too_few,
)
from .results import INSUFFICIENT_DATA, OK, RatioInterval

PAIRED_METHOD = "paired bootstrap, percentile"
UNPAIRED_METHOD = "unpaired bootstrap, percentile"


def ratio_interval(
    candidate: ArrayLike,
    baseline: ArrayLike,
    *,
    paired: bool,
    confidence_level: float = 0.95,
    resamples: int = 2000,
    rng: np.random.Generator,
) -> RatioInterval:
    """Ratio of geometric means, candidate over baseline, with a bootstrap percentile interval.

    Inputs are positive times in seconds. The estimate is
    ``exp(mean(log candidate) - mean(log baseline))``; below 1 the candidate is faster.

    ``paired=True``: entry i of both arrays comes from the same round, so the arrays must have
    equal length. Rounds where either side is NaN are dropped. The per-round log differences
    ``d_i`` are resampled by round with replacement, and the interval is the percentile interval
    of ``exp(mean(resampled d))``. ``paired=False``: NaN values are dropped from each side and
    each side is resampled independently.

    The bootstrap is vectorised: one ``rng.integers`` call per resampled side draws an index
    matrix of shape ``(resamples, n)`` (``8 * resamples * n`` bytes), and means are taken along
    axis 1.

    NOTE: the percentile method is used because it is simple and transformation-respecting, so
    an interval computed on the log scale maps exactly onto the ratio scale. BCa is a planned
    refinement for small, skewed samples.

    Raises ValueError for a value that is not > 0, unequal lengths when paired, and an invalid
    ``confidence_level`` or ``resamples``; TypeError when ``paired`` is not a bool or ``rng`` is
    not a ``numpy.random.Generator``. Returns "insufficient-data" for fewer than
    two pairs (or two values per side), an infinite time, or samples with no spread.
    """
    level = check_confidence_level(confidence_level)
    count = check_resamples(resamples)
    if not isinstance(paired, (bool, np.bool_)):
        raise TypeError(f"paired must be True or False, got {paired!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, got {rng!r}; "
            "pass e.g. numpy.random.default_rng(seed)"
        )
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
        return _paired(c, b, level, count, rng)
    return _unpaired(c, b, level, count, rng)


def _paired(
    c: FloatArray, b: FloatArray, level: float, resamples: int, rng: np.random.Generator
) -> RatioInterval:
    complete = ~(np.isnan(c) | np.isnan(b))
    c, b = c[complete], b[complete]
    n = int(c.size)
    reason = None
    if n < 2:
        reason = f"{n} complete pair{'' if n == 1 else 's'}; at least 2 are needed"
    reason = first_reason(reason, infinite("candidate", c), infinite("baseline", b))
    if reason is not None:
        return _insufficient(PAIRED_METHOD, level, resamples, n, n, n, reason)
    log_c, log_b = np.log(c), np.log(b)
    d = log_c - log_b
    if no_spread(d):
        reason = (
            "every round has the same candidate/baseline ratio, so the samples have no spread "
            "to resample"
        )
        return _insufficient(PAIRED_METHOD, level, resamples, n, n, n, reason)
    index = rng.integers(0, n, size=(resamples, n))
    boot = np.exp(d[index].mean(axis=1))
    return _ok(log_c, log_b, boot, PAIRED_METHOD, level, resamples, n)


def _unpaired(
    c: FloatArray, b: FloatArray, level: float, resamples: int, rng: np.random.Generator
) -> RatioInterval:
    c, b = drop_nan(c), drop_nan(b)
    reason = first_reason(
        too_few("candidate", c.size),
        too_few("baseline", b.size),
        infinite("candidate", c),
        infinite("baseline", b),
    )
    if reason is not None:
        return _insufficient(UNPAIRED_METHOD, level, resamples, c.size, b.size, None, reason)
    log_c, log_b = np.log(c), np.log(b)
    if no_spread(log_c, log_b):
        reason = (
            "both samples have no spread (each holds one repeated value), so resampling "
            "cannot give an interval"
        )
        return _insufficient(UNPAIRED_METHOD, level, resamples, c.size, b.size, None, reason)
    index_c = rng.integers(0, c.size, size=(resamples, c.size))
    index_b = rng.integers(0, b.size, size=(resamples, b.size))
    boot = np.exp(log_c[index_c].mean(axis=1) - log_b[index_b].mean(axis=1))
    return _ok(log_c, log_b, boot, UNPAIRED_METHOD, level, resamples, None)


def _ok(
    log_c: FloatArray,
    log_b: FloatArray,
    boot: FloatArray,
    method: str,
    level: float,
    resamples: int,
    n_pairs: int | None,
) -> RatioInterval:
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(boot, [tail, 1.0 - tail])
    return RatioInterval(
        ratio=float(np.exp(np.mean(log_c) - np.mean(log_b))),
        low=float(low),
        high=float(high),
        confidence_level=level,
        method=method,
        resamples=resamples,
        n_candidate=int(log_c.size),
        n_baseline=int(log_b.size),
        n_pairs=n_pairs,
        status=OK,
        reason=None,
    )


def _insufficient(
    method: str,
    level: float,
    resamples: int,
    n_candidate: int,
    n_baseline: int,
    n_pairs: int | None,
    reason: str,
) -> RatioInterval:
    return RatioInterval(
        ratio=math.nan,
        low=math.nan,
        high=math.nan,
        confidence_level=level,
        method=method,
        resamples=resamples,
        n_candidate=int(n_candidate),
        n_baseline=int(n_baseline),
        n_pairs=n_pairs,
        status=INSUFFICIENT_DATA,
        reason=reason,
    )
