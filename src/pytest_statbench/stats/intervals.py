"""Bootstrap confidence interval of the ratio of geometric means of two timing samples."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ._bca import BcaUndefined, bca_levels, jackknife_influences
from ._input import (
    FloatArray,
    as_sample,
    check_confidence_level,
    check_paired,
    check_positive,
    check_resamples,
    constant_differences_outcome,
    constant_samples_outcome,
    drop_non_finite,
    first_reason,
    no_spread,
    too_few,
    too_few_pairs,
)
from .results import INSUFFICIENT_DATA, OK, RatioInterval

PAIRED_METHOD = "paired bootstrap, percentile"
UNPAIRED_METHOD = "unpaired bootstrap, percentile"
PAIRED_BCA_METHOD = "paired bootstrap, BCa"
UNPAIRED_BCA_METHOD = "unpaired bootstrap, BCa"
INTERVAL_METHODS = ("percentile", "bca")
_PERCENTILE_OF = {PAIRED_BCA_METHOD: PAIRED_METHOD, UNPAIRED_BCA_METHOD: UNPAIRED_METHOD}


def ratio_interval(
    candidate: ArrayLike,
    baseline: ArrayLike,
    *,
    paired: bool,
    confidence_level: float = 0.95,
    resamples: int = 2000,
    rng: np.random.Generator,
    method: str = "percentile",
) -> RatioInterval:
    """Ratio of geometric means, candidate over baseline, with a bootstrap interval.

    Inputs are positive times in seconds. The estimate is
    ``exp(mean(log candidate) - mean(log baseline))``; below 1 the candidate is faster.

    ``paired=True``: entry i of both arrays comes from the same round, so the arrays must have
    equal length. Rounds where either side is NaN or infinite are dropped. The per-round log
    differences ``d_i`` are resampled by round with replacement. ``paired=False``: NaN and
    infinite values are dropped from each side and each side is resampled independently. The
    rounds or values dropped are counted in ``dropped``.

    The bootstrap is vectorised: one ``rng.integers(0, n, size=(resamples, n))`` call per
    resampled side (candidate first) draws an index matrix of ``8 * resamples * n`` bytes, and
    means are taken along axis 1. The bootstrap estimates are the mean log difference of each
    resample.

    ``method="percentile"`` (the default) takes the percentile interval of the exponentiated
    estimates. It is transformation-respecting, so an interval computed on the log scale maps
    exactly onto the ratio scale. ``method="bca"`` takes the bias-corrected and accelerated
    interval of Efron (1987) on the log scale and exponentiates its ends. Its bias correction
    z0 comes from the share of bootstrap estimates below the estimate. Its acceleration comes
    from the jackknife of the mean log difference, leaving out one round (paired) or one value
    of either side (unpaired). BCa uses the same draws as the percentile interval and no
    further random numbers.

    BCa falls back to the percentile interval of the same draws when z0 is infinite, because
    every bootstrap estimate lies on one side of the estimate (for a mean this takes very few
    resamples), or when the acceleration makes 1 - a (z0 + z) <= 0. ``method`` then reads e.g.
    "paired bootstrap, percentile (BCa fallback: <reason>)".

    Raises ValueError for a value that is not > 0, unequal lengths when paired, and an invalid
    ``confidence_level``, ``resamples`` or ``method``; TypeError when ``paired`` is not a bool
    or ``rng`` is not a ``numpy.random.Generator``. Returns "insufficient-data" for fewer than
    two pairs (or two values per side). Samples without spread (up to the rounding of the
    log-times) need no bootstrap. The status is "identical", with ratio 1 and interval [1, 1],
    when every time is the same on both sides or every round has equal times. It is
    "deterministic", with interval [ratio, ratio], when
    both sides are constant but differ (the ratio is then candidate / baseline of the two
    constants) or every round has the same nonzero log ratio (the ratio is then the estimate).
    One constant side is fine when unpaired, because the other side still varies.
    """
    level = check_confidence_level(confidence_level)
    count = check_resamples(resamples)
    paired = check_paired(paired)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, got {rng!r}; "
            "pass e.g. numpy.random.default_rng(seed)"
        )
    if method not in INTERVAL_METHODS:
        raise ValueError(
            f"method must be 'percentile' or 'bca', got {method!r}; 'percentile' is the default"
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
        return _paired(c, b, level, count, rng, method == "bca")
    return _unpaired(c, b, level, count, rng, method == "bca")


def _paired(
    c: FloatArray,
    b: FloatArray,
    level: float,
    resamples: int,
    rng: np.random.Generator,
    bca: bool,
) -> RatioInterval:
    method = PAIRED_BCA_METHOD if bca else PAIRED_METHOD
    complete = np.isfinite(c) & np.isfinite(b)
    dropped = int(complete.size - np.count_nonzero(complete))
    c, b = c[complete], b[complete]
    n = int(c.size)
    result = _Interval(method, level, resamples, n, n, n, dropped)
    reason = too_few_pairs(n, dropped)
    if reason is not None:
        return result.insufficient(reason)
    log_c, log_b = np.log(c), np.log(b)
    d = log_c - log_b
    if no_spread(d):
        zero = no_spread(np.append(d, 0.0))
        if no_spread(log_c, log_b):
            status, reason = constant_samples_outcome(zero)
            ratio = 1.0 if zero else float(c[0] / b[0])
        else:
            status, reason = constant_differences_outcome(zero)
            ratio = 1.0 if zero else float(np.exp(np.mean(log_c) - np.mean(log_b)))
        return result.exact(status, reason, ratio)

    index = rng.integers(0, n, size=(resamples, n))
    boot_log = d[index].mean(axis=1)
    influences = [jackknife_influences(d, 0.0, 1.0)] if bca else []
    return result.bootstrap(log_c, log_b, boot_log, float(np.mean(d)), influences)


def _unpaired(
    c: FloatArray,
    b: FloatArray,
    level: float,
    resamples: int,
    rng: np.random.Generator,
    bca: bool,
) -> RatioInterval:
    method = UNPAIRED_BCA_METHOD if bca else UNPAIRED_METHOD
    c, dropped_c = drop_non_finite(c)
    b, dropped_b = drop_non_finite(b)
    result = _Interval(method, level, resamples, c.size, b.size, None, dropped_c + dropped_b)
    reason = first_reason(
        too_few("candidate", c.size, dropped_c),
        too_few("baseline", b.size, dropped_b),
    )
    if reason is not None:
        return result.insufficient(reason)
    log_c, log_b = np.log(c), np.log(b)
    if no_spread(log_c, log_b):
        equal = no_spread(np.concatenate([log_c, log_b]))
        status, reason = constant_samples_outcome(equal)
        return result.exact(status, reason, 1.0 if equal else float(c[0] / b[0]))

    index_c = rng.integers(0, c.size, size=(resamples, c.size))
    index_b = rng.integers(0, b.size, size=(resamples, b.size))
    boot_log = log_c[index_c].mean(axis=1) - log_b[index_b].mean(axis=1)
    mean_c, mean_b = float(np.mean(log_c)), float(np.mean(log_b))
    influences = []
    if bca:
        # Leaving out candidate value i moves mean(log c); leaving out a baseline value moves
        # mean(log b), which enters the statistic with a minus sign.
        influences = [
            jackknife_influences(log_c, -mean_b, 1.0),
            jackknife_influences(log_b, mean_c, -1.0),
        ]
    return result.bootstrap(log_c, log_b, boot_log, mean_c - mean_b, influences)


class _Interval:
    """Settings and counts of one ratio_interval call, and the results built from them."""

    def __init__(
        self,
        method: str,
        level: float,
        resamples: int,
        n_candidate: int,
        n_baseline: int,
        n_pairs: int | None,
        dropped: int,
    ) -> None:
        self.method = method
        self.level = level
        self.resamples = resamples
        self.n_candidate = int(n_candidate)
        self.n_baseline = int(n_baseline)
        self.n_pairs = n_pairs
        self.dropped = dropped

    def bootstrap(
        self,
        log_c: FloatArray,
        log_b: FloatArray,
        boot_log: FloatArray,
        estimate_log: float,
        influences: list[FloatArray],
    ) -> RatioInterval:
        """Result from the bootstrap estimates of the log ratio; BCa when ``influences`` is set."""
        method = self.method
        levels = None
        if influences:
            try:
                levels = bca_levels(boot_log, estimate_log, influences, self.level)
            except BcaUndefined as why:
                method = f"{_PERCENTILE_OF[self.method]} (BCa fallback: {why})"
        if levels is not None:
            low, high = np.exp(np.quantile(boot_log, levels))
        else:
            # The percentile quantiles are taken on the ratio scale, as before BCa existed, so
            # seeded results are unchanged. On the log scale they would differ only by the
            # interpolation between two neighbouring bootstrap estimates.
            tail = (1.0 - self.level) / 2.0
            low, high = np.quantile(np.exp(boot_log), [tail, 1.0 - tail])
        spread = float(np.std(boot_log, ddof=1)) if boot_log.size > 1 else math.nan
        return self._result(
            ratio=float(np.exp(np.mean(log_c) - np.mean(log_b))),
            low=float(low),
            high=float(high),
            status=OK,
            reason=None,
            log_standard_error=spread,
            method=method,
        )

    def exact(self, status: str, reason: str, ratio: float) -> RatioInterval:
        """Result without a bootstrap: the exact ratio, with the interval collapsed onto it."""
        return self._result(
            ratio=ratio,
            low=ratio,
            high=ratio,
            status=status,
            reason=reason,
            log_standard_error=0.0,
            method=self.method,
        )

    def insufficient(self, reason: str) -> RatioInterval:
        return self._result(
            ratio=math.nan,
            low=math.nan,
            high=math.nan,
            status=INSUFFICIENT_DATA,
            reason=reason,
            log_standard_error=math.nan,
            method=self.method,
        )

    def _result(
        self,
        *,
        ratio: float,
        low: float,
        high: float,
        status: str,
        reason: str | None,
        log_standard_error: float,
        method: str,
    ) -> RatioInterval:
        return RatioInterval(
            ratio=ratio,
            low=low,
            high=high,
            confidence_level=self.level,
            method=method,
            resamples=self.resamples,
            n_candidate=self.n_candidate,
            n_baseline=self.n_baseline,
            n_pairs=self.n_pairs,
            status=status,
            reason=reason,
            log_standard_error=log_standard_error,
            dropped=self.dropped,
        )
