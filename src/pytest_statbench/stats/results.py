"""Frozen result objects returned by the statistics functions.

Every result carries ``status`` ("ok" or "insufficient-data") and ``reason`` (None when ok,
otherwise a sentence saying what is missing). When the status is "insufficient-data" every
numeric estimate is ``math.nan``; sample counts are still reported, because they are facts about
the input rather than estimates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

OK: Final = "ok"
INSUFFICIENT_DATA: Final = "insufficient-data"


@dataclass(frozen=True)
class TTestResult:
    """Two-sided Welch's t-test of candidate against baseline."""

    statistic: float
    p_value: float
    df: float
    mean_difference: float
    """Candidate mean minus baseline mean."""
    confidence_interval: tuple[float, float]
    """Confidence interval of ``mean_difference`` at ``confidence_level``."""
    confidence_level: float
    n_candidate: int
    n_baseline: int
    status: str
    reason: str | None


@dataclass(frozen=True)
class EffectSize:
    """Cohen's d of candidate against baseline, with its conventional band."""

    value: float
    band: str | None
    """"negligible", "small", "medium" or "large"; None when the status is not ok."""
    n_candidate: int
    n_baseline: int
    status: str
    reason: str | None


@dataclass(frozen=True)
class AnovaResult:
    """One-way ANOVA across groups."""

    statistic: float
    p_value: float
    df_between: float
    df_within: float
    eta_squared: float
    """Share of the total sum of squares explained by the groups, SS_between / SS_total."""
    n_groups: int
    n_total: int
    status: str
    reason: str | None


@dataclass(frozen=True)
class RatioInterval:
    """Ratio of geometric means of candidate to baseline, with a bootstrap interval."""

    ratio: float
    low: float
    high: float
    confidence_level: float
    method: str
    resamples: int
    n_candidate: int
    n_baseline: int
    n_pairs: int | None
    """Complete rounds used when paired; None for an unpaired interval."""
    status: str
    reason: str | None
