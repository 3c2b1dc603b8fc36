"""From samples to comparisons, verdicts and the session summary.

The time of a call is analysed on the log scale: timings are right-skewed, and a difference of
log-times is the log of a ratio, so the estimate is the ratio of geometric means.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from . import stats
from .results import (
    EXPECTATIONS,
    VERDICTS,
    AnovaSummary,
    BenchmarkResult,
    Comparison,
    Gate,
    ImplementationResult,
    NoiseFloor,
    SessionSummary,
)


@dataclass(frozen=True)
class AnalysisSettings:
    margin: float
    alpha: float
    resamples: int
    seed: int
    # "off", "report" (measure the noise floor) or "margin" (also widen the margin to it).
    aa: str = "off"

    @property
    def confidence_level(self) -> float:
        return 1.0 - self.alpha


def benchmark_rng(seed: int, benchmark_id: str, stream: int) -> np.random.Generator:
    """Return a generator that depends only on the session seed, the benchmark and the stream.

    Streams keep the round order and the bootstrap independent of each other, and each
    benchmark's draws independent of which other benchmarks ran.
    """
    return np.random.default_rng([seed, zlib.crc32(benchmark_id.encode("utf-8")), stream])


def decide_verdict(low: float, high: float, margin: float, level: float) -> tuple[str, str]:
    """Apply the margin rule to a confidence interval of a time ratio (below 1 is faster)."""
    lower_edge = 1.0 - margin
    upper_edge = 1.0 + margin
    interval = f"the {level:.0%} CI [{low:.3f}, {high:.3f}]"
    if high < lower_edge:
        return "better", f"{interval} lies below {lower_edge:.3f}, beyond the {margin:.0%} margin"
    if low > upper_edge:
        return "worse", f"{interval} lies above {upper_edge:.3f}, beyond the {margin:.0%} margin"
    if low >= lower_edge and high <= upper_edge:
        return "equivalent", f"{interval} lies within the {margin:.0%} margin"
    return "inconclusive", f"{interval} reaches past the {margin:.0%} margin on one side only"


def _unmeasured_reason(implementation: ImplementationResult, role: str) -> str | None:
    """Return why an implementation has too few samples to compare, or None if it has enough."""
    if implementation.setup_error is not None:
        return (
            f"{role} {implementation.name!r} raised before the timed rounds: "
            f"{implementation.setup_error.describe()}"
        )
    if any(time <= 0 for time in implementation.times):
        return (
            f"{role} {implementation.name!r} has samples of zero duration, below the timer's "
            f"resolution; raise --bench-min-sample-time so each sample spans many calls"
        )
    if len(implementation.times) < 2:
        detail = ""
        if implementation.errors:
            detail = f"; first error: {implementation.errors[0].describe()}"
        return (
            f"{role} {implementation.name!r} has {len(implementation.times)} successful "
            f"sample(s), at least 2 are needed{detail}"
        )
    return None


def compare_time(
    candidate: ImplementationResult,
    baseline: ImplementationResult,
    rounds: int,
    settings: AnalysisSettings,
    rng: np.random.Generator,
) -> Comparison:
    """Compare the call time of a candidate with the baseline's."""
    comparison = Comparison(
        candidate=candidate.name,
        baseline=baseline.name,
        metric="time",
        unit="s",
        margin=settings.margin,
        confidence_level=settings.confidence_level,
        verdict="insufficient-data",
        reason="",
        n_candidate=len(candidate.times),
        n_baseline=len(baseline.times),
    )
    reason = _unmeasured_reason(candidate, "candidate") or _unmeasured_reason(baseline, "baseline")
    if reason is not None:
        comparison.reason = reason
        return comparison

    candidate_by_round = np.asarray(candidate.time_by_round(rounds))
    baseline_by_round = np.asarray(baseline.time_by_round(rounds))
    both = ~np.isnan(candidate_by_round) & ~np.isnan(baseline_by_round)
    comparison.n_pairs = int(both.sum())
    paired = comparison.n_pairs >= 2
    if paired:
        interval = stats.ratio_interval(
            candidate_by_round,
            baseline_by_round,
            paired=True,
            confidence_level=settings.confidence_level,
            resamples=settings.resamples,
            rng=rng,
        )
    else:
        interval = stats.ratio_interval(
            np.asarray(candidate.times),
            np.asarray(baseline.times),
            paired=False,
            confidence_level=settings.confidence_level,
            resamples=settings.resamples,
            rng=rng,
        )
    comparison.ci_method = interval.method

    log_candidate = np.log(np.asarray(candidate.times))
    log_baseline = np.log(np.asarray(baseline.times))
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

    if interval.status != "ok":
        comparison.reason = interval.reason or "the confidence interval could not be computed"
        return comparison

    comparison.ratio = interval.ratio
    comparison.ci = (interval.low, interval.high)
    comparison.verdict, comparison.reason = decide_verdict(
        interval.low, interval.high, settings.margin, settings.confidence_level
    )
    return comparison


def expectation_met(comparison: Comparison, expect: str) -> bool:
    """Return whether a comparison reaches the expected outcome.

    "faster" needs the verdict better; "equivalent" needs the verdict equivalent; "not slower"
    is a non-inferiority claim: the upper end of the interval lies below 1 + margin.
    """
    if expect == "faster":
        return comparison.verdict == "better"
    if expect == "equivalent":
        return comparison.verdict == "equivalent"
    if expect == "not slower":
        return comparison.ci is not None and comparison.ci[1] < 1.0 + comparison.margin
    raise ValueError(f"unknown expectation {expect!r}; use one of {', '.join(EXPECTATIONS)}")


def analyse_benchmark(benchmark: BenchmarkResult, settings: AnalysisSettings) -> None:
    """Fill the noise floor, the comparisons and the ANOVA of one measured benchmark."""
    rng = benchmark_rng(settings.seed, benchmark.id, stream=1)
    baseline = benchmark.implementation(benchmark.baseline)

    margin = settings.margin
    if benchmark.aa_copy is not None:
        benchmark.noise_floor = noise_floor(
            benchmark.implementation(benchmark.aa_copy), baseline, benchmark.rounds, settings, rng
        )
        floor = benchmark.noise_floor.floor
        if settings.aa == "margin" and floor is not None and floor > margin:
            margin = floor
            benchmark.noise_floor.used_as_margin = True
    comparison_settings = replace(settings, margin=margin)

    benchmark.comparisons = []
    for candidate in benchmark.implementations:
        if candidate.name in (benchmark.baseline, benchmark.aa_copy):
            continue
        comparison = compare_time(candidate, baseline, benchmark.rounds, comparison_settings, rng)
        if benchmark.expect is not None:
            comparison.expectation = {
                "expect": benchmark.expect,
                "met": expectation_met(comparison, benchmark.expect),
            }
        benchmark.comparisons.append(comparison)

    measured = [i for i in benchmark.implementations if i.name != benchmark.aa_copy]
    if len(measured) >= 3:
        groups = [np.log(np.asarray(i.times)) for i in measured if i.times]
        anova = stats.one_way_anova(groups)
        ok = anova.status == "ok"
        benchmark.anova = AnovaSummary(
            statistic=anova.statistic if ok else None,
            p_value=anova.p_value if ok else None,
            df_between=anova.df_between if ok else None,
            df_within=anova.df_within if ok else None,
            eta_squared=anova.eta_squared if ok else None,
            status=anova.status,
            reason=anova.reason,
        )


def noise_floor(
    copy: ImplementationResult,
    baseline: ImplementationResult,
    rounds: int,
    settings: AnalysisSettings,
    rng: np.random.Generator,
) -> NoiseFloor:
    """Compare the baseline with a copy of itself measured in the same rounds.

    The true ratio is 1, so the interval's furthest end from 1 is the smallest relative
    difference this benchmark can tell apart from noise: its noise floor.
    """
    comparison = compare_time(copy, baseline, rounds, settings, rng)
    if comparison.ci is None:
        return NoiseFloor(copy.name, None, None, None, False, comparison.reason)
    low, high = comparison.ci
    floor = max(high - 1.0, 1.0 - low, 0.0)
    return NoiseFloor(copy.name, comparison.ratio, (low, high), floor, False)


def primary_p_value(comparison: Comparison) -> float | None:
    """Return the p-value that matches the interval: paired by round when rounds were paired."""
    if comparison.p_value_paired is not None:
        return comparison.p_value_paired
    return comparison.p_value


def adjust_session(benchmarks: list[BenchmarkResult]) -> None:
    """Set Holm-adjusted p-values over every comparison of the session that has a p-value.

    The adjusted value is that of the primary p-value, so a win (a better verdict that stays
    significant after the correction) rests on the same pairing as the verdict's interval.
    """
    comparisons = [c for b in benchmarks for c in b.comparisons if primary_p_value(c) is not None]
    if not comparisons:
        return
    adjusted = stats.holm(np.asarray([primary_p_value(c) for c in comparisons], dtype=float))
    for comparison, value in zip(comparisons, adjusted, strict=True):
        comparison.p_value_holm = float(value)


def is_win(comparison: Comparison, alpha: float) -> bool:
    """A win is a better verdict whose Holm-adjusted p-value is still below alpha."""
    return (
        comparison.verdict == "better"
        and comparison.p_value_holm is not None
        and comparison.p_value_holm < alpha
    )


def summarise(
    benchmarks: list[BenchmarkResult],
    *,
    alpha: float,
    min_win_rate: float | None,
    min_improvement: float | None,
) -> SessionSummary:
    """Count verdicts and wins, average the ratios and evaluate the session gates."""
    all_comparisons = [c for b in benchmarks for c in b.comparisons]
    verdicts = Counter({verdict: 0 for verdict in VERDICTS})
    verdicts.update(c.verdict for c in all_comparisons)

    made = [c for c in all_comparisons if c.verdict != "insufficient-data" and c.ratio is not None]
    wins = sum(1 for c in made if is_win(c, alpha))
    win_rate = wins / len(made) if made else None
    geometric_mean_ratio = None
    average_improvement = None
    if made:
        geometric_mean_ratio = stats.geometric_mean(np.asarray([c.ratio for c in made]))
        average_improvement = 1.0 - geometric_mean_ratio

    gates: list[Gate] = []
    if min_win_rate is not None:
        gates.append(_threshold_gate(
            "min_win_rate", "win rate", min_win_rate, win_rate,
            f"{wins} of {len(made)} comparisons won",
        ))
    if min_improvement is not None:
        gates.append(_threshold_gate(
            "min_improvement", "average improvement", min_improvement, average_improvement,
            f"geometric mean time ratio over {len(made)} comparisons",
        ))

    return SessionSummary(
        comparisons=len(made),
        wins=wins,
        win_rate=win_rate,
        geometric_mean_ratio=geometric_mean_ratio,
        average_improvement=average_improvement,
        verdicts=dict(verdicts),
        gates=gates,
        passed=all(gate.passed for gate in gates),
    )


def _threshold_gate(
    name: str, label: str, threshold: float, value: float | None, basis: str
) -> Gate:
    if value is None or math.isnan(value):
        return Gate(
            name, threshold, None, False,
            f"{label} could not be computed: no comparison reached a verdict",
        )
    passed = value >= threshold
    relation = "meets" if passed else "is below"
    return Gate(
        name, threshold, value, passed,
        f"{label} {value:.1%} {relation} the minimum of {threshold:.1%} ({basis})",
    )
