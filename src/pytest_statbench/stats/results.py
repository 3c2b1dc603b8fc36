"""Frozen result objects returned by the statistics functions.

Every result carries ``status`` and ``reason``. The status is one of:

- "ok": the estimates and the test are computed. ``reason`` is None.
- "insufficient-data": too few usable values, or no spread where the method needs some. Every
  numeric estimate is ``math.nan``.
- "identical": both samples are constant and equal, or every paired difference is zero. The
  estimates are exact (a difference of 0, a ratio of 1) and the interval collapses onto them.
  The p-value and the test statistic are ``math.nan``, because a test needs sampling variation.
- "deterministic": both samples are constant but differ, or every paired difference is the same
  nonzero value. The estimates are exact and the interval collapses onto them, so the p-value
  and statistic are ``math.nan`` here too; the t statistic would be infinite.

When the status is not "ok", ``reason`` is a sentence saying what was found. Sample counts are
always reported, because they are facts about the input rather than estimates.

``dropped`` counts the values removed because they were NaN or infinite (for paired data: the
rounds removed because either side was). The other counts are taken after dropping.

A p-value of exactly 0.0 with status "ok" means the true p-value is below the smallest positive
double (about 5e-324) and underflowed. It is kept as 0.0 rather than replaced with a made-up
bound: every status other than "ok" reports NaN, so 0.0 cannot come from an infinite
statistic, and ``holm`` and ``benjamini_hochberg`` accept 0.0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

OK: Final = "ok"
INSUFFICIENT_DATA: Final = "insufficient-data"
IDENTICAL: Final = "identical"
DETERMINISTIC: Final = "deterministic"
STATUSES: Final = (OK, INSUFFICIENT_DATA, IDENTICAL, DETERMINISTIC)


@dataclass(frozen=True)
class TTestResult:
    """Two-sided t-test of candidate against baseline: Welch's, Student's or paired."""

    statistic: float
    p_value: float
    df: float
    mean_difference: float
    """Candidate mean minus baseline mean (the mean paired difference for a paired test)."""
    confidence_interval: tuple[float, float]
    """Confidence interval of ``mean_difference`` at ``confidence_level``."""
    confidence_level: float
    n_candidate: int
    n_baseline: int
    status: str
    reason: str | None
    dropped: int = 0


@dataclass(frozen=True)
class EffectSize:
    """Standardized mean difference of candidate against baseline, with its band and interval."""

    value: float
    band: str | None
    """"negligible", "small", "medium" or "large"; None when the status is not ok."""
    n_candidate: int
    n_baseline: int
    status: str
    reason: str | None
    confidence_interval: tuple[float, float] = (math.nan, math.nan)
    """Normal interval from the Hedges & Olkin (1985) large-sample standard error."""
    confidence_level: float = math.nan
    measure: str = "Cohen's d"
    """"Cohen's d" or "Hedges' g"."""
    dropped: int = 0


@dataclass(frozen=True)
class AnovaResult:
    """One-way ANOVA across groups: Fisher's F test or Welch's (1951) test."""

    statistic: float
    p_value: float
    df_between: float
    """Numerator degrees of freedom, k - 1."""
    df_within: float
    """Denominator degrees of freedom: N - k for Fisher's test, non-integer for Welch's."""
    eta_squared: float
    """Share of the total sum of squares explained by the groups, SS_between / SS_total."""
    n_groups: int
    n_total: int
    status: str
    reason: str | None
    omega_squared: float = math.nan
    """(SS_between - (k - 1) MS_within) / (SS_total + MS_within); negative when F < 1."""
    method: str = "one-way ANOVA"
    """"one-way ANOVA" or "Welch one-way ANOVA"."""
    dropped: int = 0


@dataclass(frozen=True)
class RatioInterval:
    """Ratio of geometric means of candidate to baseline, with a confidence interval."""

    ratio: float
    low: float
    high: float
    confidence_level: float
    method: str
    resamples: int
    """Bootstrap resamples drawn; 0 for a parametric (t) interval."""
    n_candidate: int
    n_baseline: int
    n_pairs: int | None
    """Complete rounds used when paired; None for an unpaired interval."""
    status: str
    reason: str | None
    statistic: float = math.nan
    """t statistic of the log-times for a parametric interval; NaN for a bootstrap interval."""
    p_value: float = math.nan
    """Two-sided p-value of that t-test; NaN for a bootstrap interval."""
    df: float = math.nan
    """Degrees of freedom of that t-test; NaN for a bootstrap interval."""
    log_standard_error: float = math.nan
    """Standard error of log(ratio): from the t-test, or the standard deviation of the
    bootstrap estimates of log(ratio)."""
    dropped: int = 0


@dataclass(frozen=True)
class RankTestResult:
    """Two-sided Mann-Whitney U test of candidate against baseline, with rank effect sizes."""

    statistic: float
    """U of the candidate: pairs with candidate > baseline, plus half the tied pairs."""
    p_value: float
    a12: float
    """Vargha-Delaney A = P(candidate > baseline) + 0.5 P(candidate = baseline) = U / (n_c n_b)."""
    cliffs_delta: float
    """Cliff's delta = 2 A - 1 = P(candidate > baseline) - P(candidate < baseline)."""
    band: str | None
    """Vargha & Delaney (2000) band of A; None when the status is insufficient-data."""
    n_candidate: int
    n_baseline: int
    status: str
    reason: str | None
    dropped: int = 0


@dataclass(frozen=True)
class PairwiseResult:
    """One pair of a post-hoc comparison (Tukey HSD or Games-Howell) of group means."""

    first: str
    second: str
    mean_difference: float
    """Mean of ``first`` minus mean of ``second``."""
    confidence_interval: tuple[float, float]
    """Simultaneous (family-wise) confidence interval of ``mean_difference``."""
    p_value: float
    """Family-wise adjusted p-value from the studentized range distribution."""
    statistic: float
    """Studentized range statistic q = |mean_difference| / standard error (never negative)."""
    df: float
    confidence_level: float
    n_first: int
    n_second: int
    dropped: int
    """NaN or infinite values removed from the two groups of this pair."""
    status: str
    reason: str | None


@dataclass(frozen=True)
class GeometricMeanRatio:
    """Geometric mean of per-benchmark ratios, with a normal confidence interval."""

    ratio: float
    low: float
    high: float
    confidence_level: float
    log_standard_error: float
    """Standard error of the mean log-ratio."""
    n_benchmarks: int
    dropped: int
    """Benchmarks removed because the log-ratio or its standard error was NaN or infinite."""
    method: str
    status: str
    reason: str | None
