"""Rank test: Mann-Whitney U with the Vargha-Delaney A and Cliff's delta effect sizes."""

from __future__ import annotations

import math

import scipy.stats
from numpy.typing import ArrayLike

from ._input import (
    as_sample,
    constant,
    constant_samples_outcome,
    drop_non_finite,
    first_reason,
    too_few,
)
from .results import INSUFFICIENT_DATA, OK, RankTestResult

# Vargha & Delaney (2000): |A - 0.5| below 0.06 is negligible, below 0.14 small, below 0.21
# medium, and large from 0.21 (A = 0.56, 0.64 and 0.71 on the upper side).
_A12_BANDS = ((0.21, "large"), (0.14, "medium"), (0.06, "small"))


def vargha_delaney_band(a12: float) -> str:
    """Band of a Vargha-Delaney A by its distance from 0.5 (Vargha & Delaney 2000).

    negligible < 0.06 <= small < 0.14 <= medium < 0.21 <= large, for |A - 0.5|. The distance is
    rounded to 12 decimals first, so that A = 71/100, whose float distance from 0.5 is
    0.20999999999999996, is "large" as the published thresholds have it. A NaN or a value
    outside [0, 1] raises ValueError.
    """
    if math.isnan(a12) or not 0.0 <= a12 <= 1.0:
        raise ValueError(
            f"a12 must be a probability in [0, 1], got {a12!r}; pass the A statistic of "
            "mann_whitney"
        )
    distance = round(abs(a12 - 0.5), 12)
    return next((band for bound, band in _A12_BANDS if distance >= bound), "negligible")


def mann_whitney(candidate: ArrayLike, baseline: ArrayLike) -> RankTestResult:
    """Two-sided Mann-Whitney U test of candidate against baseline, with A12 and Cliff's delta.

    Uses ``scipy.stats.mannwhitneyu(candidate, baseline, alternative="two-sided",
    method="auto")``. In scipy 1.17 "auto" uses the exact distribution when a side has at most
    8 values and there are no ties, and otherwise the normal approximation with tie and
    continuity corrections. The statistic is the
    candidate's U, so A12 = U / (n_c n_b) is the probability that a random candidate value
    exceeds a random baseline value, counting ties as one half. For times, A12 above 0.5 means
    the candidate tends to be slower.

    NaN and infinite values are dropped and counted in ``dropped``. Each side needs at least two
    values, or the result is "insufficient-data". Two constant samples leave the test
    undefined: equal constants give "identical" (A12 = 0.5), different ones "deterministic"
    (A12 = 0 or 1), each with a NaN p-value.
    """
    c, dropped_c = drop_non_finite(as_sample(candidate, "candidate"))
    b, dropped_b = drop_non_finite(as_sample(baseline, "baseline"))
    dropped = dropped_c + dropped_b
    pairs = c.size * b.size
    reason = first_reason(
        too_few("candidate", c.size, dropped_c),
        too_few("baseline", b.size, dropped_b),
    )
    if reason is not None:
        return RankTestResult(
            statistic=math.nan,
            p_value=math.nan,
            a12=math.nan,
            cliffs_delta=math.nan,
            band=None,
            n_candidate=int(c.size),
            n_baseline=int(b.size),
            status=INSUFFICIENT_DATA,
            reason=reason,
            dropped=dropped,
        )

    if constant(c) and constant(b):
        status, reason = constant_samples_outcome(bool(c[0] == b[0]))
        if c[0] == b[0]:
            u = pairs / 2.0
        else:
            u = float(pairs) if c[0] > b[0] else 0.0
        p_value = math.nan
    else:
        result = scipy.stats.mannwhitneyu(c, b, alternative="two-sided", method="auto")
        status, reason = OK, None
        u = float(result.statistic)
        p_value = float(result.pvalue)

    a12 = u / pairs
    return RankTestResult(
        statistic=u,
        p_value=p_value,
        a12=a12,
        cliffs_delta=2.0 * a12 - 1.0,
        band=vargha_delaney_band(a12),
        n_candidate=int(c.size),
        n_baseline=int(b.size),
        status=status,
        reason=reason,
        dropped=dropped,
    )
