"""One candidate against the baseline on one metric: estimate, interval, tests and verdict.

Sampled metrics (one value per round) are compared with the statistics: on the log scale when
every value is positive, as for times, and as a ratio of arithmetic means otherwise, since a
counter may be zero in some rounds. Deterministic metrics (one value per implementation, such
as lines of code) are compared exactly, without tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import stats
from .metrics.registry import HIGHER, Metric
from .results import Comparison


@dataclass(frozen=True)
class ComparisonSettings:
    margin: float
    confidence_level: float
    resamples: int


def decide_verdict(low: float, high: float, margin: float, level: float) -> tuple[str, str]:
    """Apply the margin rule to an interval of a cost ratio, where below 1 is an improvement."""
    lower_edge = 1.0 - margin
    upper_edge = 1.0 + margin
    interval = f"the {percent(level)} CI [{low:.3f}, {high:.3f}]"
    shown_margin = f"the {percent(margin)} margin"
    if high < lower_edge:
        return "better", f"{interval} lies below {lower_edge:.3f}, beyond {shown_margin}"
    if low > upper_edge:
        return "worse", f"{interval} lies above {upper_edge:.3f}, beyond {shown_margin}"
    if low >= lower_edge and high <= upper_edge:
        return "equivalent", f"{interval} lies within {shown_margin}"
    if low < lower_edge and high > upper_edge:
        return "inconclusive", f"{interval} reaches past {shown_margin} on both sides"
    return "inconclusive", f"{interval} crosses one edge of {shown_margin}"


def percent(share: float) -> str:
    """Format a share as a percentage without rounding it away: 0.975 as 97.5%."""
    return f"{share * 100:.4g}%"


def new_comparison(
    metric: Metric, candidate: str, baseline: str, settings: ComparisonSettings
) -> Comparison:
    return Comparison(
        candidate=candidate,
        baseline=baseline,
        metric=metric.name,
        unit=metric.unit,
        margin=settings.margin,
        confidence_level=settings.confidence_level,
        verdict="insufficient-data",
        reason="",
        better=metric.better,
        kind=metric.kind,
    )


def compare_sampled(
    metric: Metric,
    comparison: Comparison,
    candidate_by_round: np.ndarray,
    baseline_by_round: np.ndarray,
    settings: ComparisonSettings,
    rng: np.random.Generator,
) -> Comparison:
    """Fill a comparison of per-round values; NaN marks a round without a value."""
    candidate_values = candidate_by_round[~np.isnan(candidate_by_round)]
    baseline_values = baseline_by_round[~np.isnan(baseline_by_round)]
    comparison.n_candidate = int(candidate_values.size)
    comparison.n_baseline = int(baseline_values.size)
    both = ~np.isnan(candidate_by_round) & ~np.isnan(baseline_by_round)
    comparison.n_pairs = int(both.sum())
    if candidate_values.size < 2 or baseline_values.size < 2:
        comparison.reason = (
            f"{metric.name} has {candidate_values.size} value(s) for the candidate and "
            f"{baseline_values.size} for the baseline; at least 2 of each are needed"
        )
        return comparison

    if np.ptp(candidate_values) == 0 and np.ptp(baseline_values) == 0:
        # Constant in every round, as a counter that each call increments the same way: the
        # difference is exact, and a test or interval on zero spread would be meaningless.
        compare_deterministic(
            metric, comparison, float(candidate_values[0]), float(baseline_values[0]), None
        )
        comparison.reason = f"constant in every round: {comparison.reason}"
        return comparison

    if np.all(candidate_values > 0) and np.all(baseline_values > 0):
        _compare_logs(comparison, candidate_by_round, baseline_by_round, settings, rng)
    else:
        _compare_means(comparison, candidate_by_round, baseline_by_round, settings, rng)
    if comparison.ratio is None or comparison.ci is None:
        return comparison

    low, high = comparison.ci
    if metric.better == HIGHER:
        # The cost ratio of a higher-is-better metric is the inverse ratio.
        low, high = (1.0 / high if high > 0 else math.inf), (1.0 / low if low > 0 else math.inf)
    comparison.verdict, comparison.reason = decide_verdict(
        low, high, settings.margin, settings.confidence_level
    )
    if metric.better == HIGHER:
        comparison.reason = f"inverse ratio: {comparison.reason}"
    return comparison


def _compare_logs(
    comparison: Comparison,
    candidate_by_round: np.ndarray,
    baseline_by_round: np.ndarray,
    settings: ComparisonSettings,
    rng: np.random.Generator,
) -> None:
    """Ratio of geometric means, Welch's and the paired t-test, Cohen's d, on log values."""
    paired = comparison.n_pairs >= 2
    candidate_values = candidate_by_round[~np.isnan(candidate_by_round)]
    baseline_values = baseline_by_round[~np.isnan(baseline_by_round)]
    interval = stats.ratio_interval(
        candidate_by_round if paired else candidate_values,
        baseline_by_round if paired else baseline_values,
        paired=paired,
        confidence_level=settings.confidence_level,
        resamples=settings.resamples,
        rng=rng,
    )
    comparison.ci_method = interval.method

    log_candidate = np.log(candidate_values)
    log_baseline = np.log(baseline_values)
    welch = stats.welch_ttest(
        log_candidate, log_baseline, confidence_level=settings.confidence_level
    )
    if welch.status == "ok":
        comparison.p_value = welch.p_value
        comparison.statistic = welch.statistic
        comparison.df = welch.df
    if paired:
        paired_test = stats.paired_ttest(
            np.log(candidate_by_round),
            np.log(baseline_by_round),
            confidence_level=settings.confidence_level,
        )
        if paired_test.status == "ok":
            comparison.p_value_paired = paired_test.p_value
    effect = stats.cohens_d(log_candidate, log_baseline)
    if effect.status == "ok":
        comparison.cohens_d = effect.value
        comparison.effect_size_band = effect.band
    hedges = stats.hedges_g(log_candidate, log_baseline)
    if hedges.status == "ok":
        comparison.hedges_g = hedges.value
    rank = stats.mann_whitney(candidate_values, baseline_values)
    if rank.status == "ok":
        comparison.mann_whitney_p = rank.p_value
        comparison.vargha_delaney_a = rank.a12

    if interval.status not in (stats.OK, stats.IDENTICAL, stats.DETERMINISTIC):
        comparison.reason = interval.reason or "the confidence interval could not be computed"
        return
    # Identical and deterministic results carry an exact ratio with a collapsed interval.
    comparison.ratio = interval.ratio
    comparison.ci = (interval.low, interval.high)
    comparison.log_standard_error = interval.log_standard_error


def _compare_means(
    comparison: Comparison,
    candidate_by_round: np.ndarray,
    baseline_by_round: np.ndarray,
    settings: ComparisonSettings,
    rng: np.random.Generator,
) -> None:
    """Ratio of arithmetic means with a percentile bootstrap interval, for values that may be 0.

    Rounds are resampled together when they are paired, each side on its own otherwise.
    """
    candidate_values = candidate_by_round[~np.isnan(candidate_by_round)]
    baseline_values = baseline_by_round[~np.isnan(baseline_by_round)]
    if np.any(candidate_values < 0) or np.any(baseline_values < 0):
        comparison.reason = "the values include negative numbers, so a ratio has no meaning"
        return
    baseline_mean = float(np.mean(baseline_values))
    if baseline_mean == 0:
        comparison.reason = "the baseline's mean is 0, so a ratio has no meaning"
        return

    welch = stats.welch_ttest(
        candidate_values, baseline_values, confidence_level=settings.confidence_level
    )
    if welch.status == "ok":
        comparison.p_value = welch.p_value
        comparison.statistic = welch.statistic
        comparison.df = welch.df
    effect = stats.cohens_d(candidate_values, baseline_values)
    if effect.status == "ok":
        comparison.cohens_d = effect.value
        comparison.effect_size_band = effect.band

    if comparison.n_pairs >= 2:
        both = ~np.isnan(candidate_by_round) & ~np.isnan(baseline_by_round)
        candidate_pairs = candidate_by_round[both]
        baseline_pairs = baseline_by_round[both]
        index = rng.integers(0, candidate_pairs.size, size=(settings.resamples, candidate_pairs.size))
        numerators = candidate_pairs[index].mean(axis=1)
        denominators = baseline_pairs[index].mean(axis=1)
        comparison.ci_method = "paired bootstrap of the ratio of means, percentile"
    else:
        numerators = candidate_values[
            rng.integers(0, candidate_values.size, size=(settings.resamples, candidate_values.size))
        ].mean(axis=1)
        denominators = baseline_values[
            rng.integers(0, baseline_values.size, size=(settings.resamples, baseline_values.size))
        ].mean(axis=1)
        comparison.ci_method = "unpaired bootstrap of the ratio of means, percentile"

    valid = denominators > 0
    ratios = numerators[valid] / denominators[valid]
    if ratios.size < settings.resamples // 2 or np.ptp(ratios) == 0:
        comparison.reason = "the values have no spread or the baseline is mostly 0"
        return
    tail = (1.0 - settings.confidence_level) / 2
    low, high = np.quantile(ratios, [tail, 1.0 - tail])
    comparison.ratio = float(np.mean(candidate_values)) / baseline_mean
    comparison.ci = (float(low), float(high))


def compare_deterministic(
    metric: Metric,
    comparison: Comparison,
    candidate_value: float | None,
    baseline_value: float | None,
    missing_reason: str | None,
) -> Comparison:
    """Fill a comparison of one value per implementation, compared exactly against the margin."""
    comparison.candidate_value = candidate_value
    comparison.baseline_value = baseline_value
    comparison.ci_method = "exact"
    if candidate_value is None or baseline_value is None:
        comparison.reason = missing_reason or f"{metric.name} is not available"
        return comparison
    if not (math.isfinite(candidate_value) and math.isfinite(baseline_value)):
        comparison.reason = f"{metric.name} is not a finite number"
        return comparison

    shown = f"{_number(candidate_value)} against {_number(baseline_value)}"
    if candidate_value < 0 or baseline_value < 0:
        # A ratio of values that may be negative has no direction, so the difference decides:
        # beyond the margin of the baseline's size in the better direction, or not.
        difference = candidate_value - baseline_value
        improved = difference < 0 if metric.better != HIGHER else difference > 0
        if abs(difference) <= comparison.margin * abs(baseline_value):
            comparison.verdict = "equivalent"
        else:
            comparison.verdict = "better" if improved else "worse"
        comparison.reason = f"exact values {shown}; the difference decides, as a value is negative"
        return comparison
    if baseline_value == 0 or candidate_value == 0:
        if candidate_value == baseline_value:
            comparison.ratio = 1.0
            comparison.ci = (1.0, 1.0)
            comparison.verdict = "equivalent"
            comparison.reason = f"equal values ({shown})"
            return comparison
        comparison.ratio = None if baseline_value == 0 else candidate_value / baseline_value
        improved = (candidate_value < baseline_value) != (metric.better == HIGHER)
        comparison.verdict = "better" if improved else "worse"
        comparison.reason = f"exact values {shown}; a ratio to 0 has no size"
        return comparison

    ratio = candidate_value / baseline_value
    comparison.ratio = ratio
    comparison.ci = (ratio, ratio)
    cost = metric.cost_ratio(ratio)
    if cost < 1.0 - comparison.margin:
        comparison.verdict = "better"
    elif cost > 1.0 + comparison.margin:
        comparison.verdict = "worse"
    else:
        comparison.verdict = "equivalent"
    comparison.reason = (
        f"exact values {shown}, ratio {ratio:.3f} against the {percent(comparison.margin)} margin"
    )
    return comparison


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3g}"
