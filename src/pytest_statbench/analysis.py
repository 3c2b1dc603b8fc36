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
from .comparisons import (
    ComparisonSettings,
    compare_deterministic,
    compare_sampled,
    new_comparison,
)
from .metrics.registry import (
    BUILTIN_METRICS,
    CODE_METRICS,
    DETERMINISTIC,
    Metric,
    custom_metric,
)
from .results import (
    EXPECTATIONS,
    VERDICTS,
    AnovaSummary,
    BenchmarkResult,
    Comparison,
    Gate,
    ImplementationResult,
    NoiseFloor,
    PosthocPair,
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


def unmeasured_reason(implementation: ImplementationResult, role: str) -> str | None:
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
    return compare_metric(BUILTIN_METRICS["time"], candidate, baseline, rounds, {}, settings, rng)


def compare_metric(
    metric: Metric,
    candidate: ImplementationResult,
    baseline: ImplementationResult,
    rounds: int,
    prices: dict[str, float],
    settings: AnalysisSettings,
    rng: np.random.Generator,
) -> Comparison:
    """Compare a candidate with the baseline on one metric."""
    comparison_settings = ComparisonSettings(
        margin=settings.margin,
        confidence_level=settings.confidence_level,
        resamples=settings.resamples,
    )
    comparison = new_comparison(metric, candidate.name, baseline.name, comparison_settings)
    reason = unmeasured_reason(candidate, "candidate") or unmeasured_reason(baseline, "baseline")

    if metric.kind == DETERMINISTIC:
        candidate_value, candidate_missing = deterministic_value(metric.name, candidate)
        baseline_value, baseline_missing = deterministic_value(metric.name, baseline)
        return compare_deterministic(
            metric, comparison, candidate_value, baseline_value,
            candidate_missing or baseline_missing or reason,
        )

    if reason is not None:
        comparison.reason = reason
        comparison.n_candidate = len(candidate.times)
        comparison.n_baseline = len(baseline.times)
        return comparison
    candidate_series = sampled_series(metric.name, candidate, rounds, prices)
    baseline_series = sampled_series(metric.name, baseline, rounds, prices)
    if candidate_series is None or baseline_series is None:
        comparison.reason = f"{metric.name} was not recorded for both implementations"
        return comparison
    return compare_sampled(
        metric, comparison, candidate_series, baseline_series, comparison_settings, rng
    )


def sampled_series(
    name: str, implementation: ImplementationResult, rounds: int, prices: dict[str, float]
) -> np.ndarray | None:
    """Return one value per round of a sampled metric, NaN where the round has none."""
    if name == "time":
        return np.asarray(implementation.time_by_round(rounds), dtype=float)
    if name == "cpu_time":
        return np.asarray(implementation.cpu_time_by_round(rounds), dtype=float)
    if name == "cache_hit_rate":
        if "cache_hits" not in implementation.recorded:
            return None
        hits = np.asarray(implementation.recorded_by_round("cache_hits", rounds))
        misses = (
            np.asarray(implementation.recorded_by_round("cache_misses", rounds))
            if "cache_misses" in implementation.recorded
            else np.zeros(rounds)
        )
        total = hits + misses
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, hits / total, np.nan)
    if name == "api_cost":
        priced = [metric for metric in prices if metric in implementation.recorded]
        if not priced:
            return None
        cost = np.zeros(rounds)
        for metric in priced:
            cost = cost + np.asarray(implementation.recorded_by_round(metric, rounds)) * prices[metric]
        return cost
    if name in implementation.recorded:
        return np.asarray(implementation.recorded_by_round(name, rounds), dtype=float)
    return None


def deterministic_value(
    name: str, implementation: ImplementationResult
) -> tuple[float | None, str | None]:
    """Return the value of a deterministic metric, or None and the reason it is missing."""
    if name == "peak_memory":
        value = implementation.peak_memory
        return (None if value is None else float(value)), (
            None if value is not None else f"peak memory of {implementation.name!r} was not measured"
        )
    if name == "rss_growth":
        value = implementation.rss_growth
        return (None if value is None else float(value)), (
            None if value is not None
            else f"resident-set growth of {implementation.name!r} was not measured"
        )
    if name == "success_rate":
        rate = implementation.success_rate
        return rate, (None if rate is not None else f"{implementation.name!r} ran no timed round")
    if name in CODE_METRICS:
        metrics = implementation.code_metrics
        if metrics is None:
            return None, f"code metrics of {implementation.name!r} were not computed"
        if metrics.get("status") != "ok":
            return None, f"code metrics of {implementation.name!r} unavailable: {metrics.get('reason')}"
        value = metrics.get(name)
        if value is None:
            return None, f"{name} of {implementation.name!r} is not defined for this source"
        return float(value), None
    if name in implementation.recorded:
        values = implementation.recorded[name].outside_rounds
        if not values:
            return None, f"{name} of {implementation.name!r} was recorded only in the rounds"
        return float(np.mean(values)), None
    return None, f"{name} is not a deterministic metric"


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

    catalogue = metric_catalogue(benchmark)
    names = reported_metrics(benchmark, catalogue)
    benchmark.comparisons = []
    for candidate in benchmark.implementations:
        if candidate.name in (benchmark.baseline, benchmark.aa_copy):
            continue
        for name in names:
            comparison = compare_metric(
                catalogue[name], candidate, baseline, benchmark.rounds, benchmark.prices,
                comparison_settings, rng,
            )
            comparison.counted = name in benchmark.counted_metrics
            if benchmark.expect is not None and name == "time":
                comparison.expectation = {
                    "expect": benchmark.expect,
                    "met": expectation_met(comparison, benchmark.expect),
                }
            benchmark.comparisons.append(comparison)

    measured = [
        i for i in benchmark.implementations if i.name != benchmark.aa_copy and len(i.times) >= 2
    ]
    if len(measured) >= 3:
        benchmark.anova = analyse_variance(measured, settings.confidence_level)


def analyse_variance(
    implementations: list[ImplementationResult], confidence_level: float
) -> AnovaSummary:
    """One-way and Welch's ANOVA on log-times, with Games-Howell pairs as ratios.

    Games-Howell suits timings because it does not assume equal variances; its differences of
    mean log-times are reported exponentiated, as ratios of geometric means.
    """
    groups = [np.log(np.asarray(i.times)) for i in implementations]
    names = [i.name for i in implementations]
    anova = stats.one_way_anova(groups)
    welch = stats.welch_anova(groups)
    ok = anova.status == stats.OK
    welch_ok = welch.status == stats.OK
    posthoc: list[PosthocPair] = []
    if welch_ok:
        for pair in stats.games_howell(groups, names, confidence_level=confidence_level):
            pair_ok = pair.status == stats.OK
            posthoc.append(PosthocPair(
                first=pair.first,
                second=pair.second,
                ratio=math.exp(pair.mean_difference) if pair_ok else None,
                ci=(
                    (math.exp(pair.confidence_interval[0]), math.exp(pair.confidence_interval[1]))
                    if pair_ok else None
                ),
                p_value=pair.p_value if pair_ok else None,
            ))
    return AnovaSummary(
        statistic=anova.statistic if ok else None,
        p_value=anova.p_value if ok else None,
        df_between=anova.df_between if ok else None,
        df_within=anova.df_within if ok else None,
        eta_squared=anova.eta_squared if ok else None,
        status=anova.status,
        reason=anova.reason,
        omega_squared=anova.omega_squared if ok else None,
        welch_statistic=welch.statistic if welch_ok else None,
        welch_p_value=welch.p_value if welch_ok else None,
        welch_df_within=welch.df_within if welch_ok else None,
        posthoc=posthoc,
    )


def metric_catalogue(benchmark: BenchmarkResult) -> dict[str, Metric]:
    """Return every metric this benchmark can report: built-in, recorded and derived."""
    catalogue = dict(BUILTIN_METRICS)
    for implementation in benchmark.implementations:
        for name, recorded in implementation.recorded.items():
            if name not in catalogue:
                metric = custom_metric(name, recorded.unit, recorded.better)
                if not recorded.by_round:
                    metric = replace(metric, kind=DETERMINISTIC)
                catalogue[name] = metric
    return catalogue


def reported_metrics(benchmark: BenchmarkResult, catalogue: dict[str, Metric]) -> list[str]:
    """Return the metrics to compare: the chosen ones, then every recorded and derived one.

    A chosen metric that nothing measured or recorded is dropped with a note, so a typo in a
    custom name is visible instead of silently missing.
    """
    recorded = {name for i in benchmark.implementations for name in i.recorded}
    names = [name for name in benchmark.metrics if name in catalogue]
    for name in benchmark.metrics:
        if name not in catalogue:
            benchmark.notes.append(
                f"metric {name!r} was chosen but never recorded; bench.record({name!r}, value) "
                f"records it"
            )
    extra = sorted(recorded - set(names))
    if "cache_hits" in recorded and "cache_hit_rate" not in names:
        extra.append("cache_hit_rate")
    if benchmark.prices and recorded & set(benchmark.prices) and "api_cost" not in names:
        extra.append("api_cost")
    return names + extra


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
    """Set Holm-adjusted p-values within two families of the session's comparisons.

    The counted comparisons, which gate the session, form one family; the other reported
    comparisons form a second, so adding a reported metric cannot weaken a gate. The adjusted
    value is that of the primary p-value, so a win rests on the same pairing as the interval.
    """
    for counted in (True, False):
        family = [
            c for b in benchmarks for c in b.comparisons
            if c.counted == counted and primary_p_value(c) is not None
        ]
        if not family:
            continue
        adjusted = stats.holm(np.asarray([primary_p_value(c) for c in family], dtype=float))
        for comparison, value in zip(family, adjusted, strict=True):
            comparison.p_value_holm = float(value)

    # Benjamini-Hochberg controls the false discovery rate over all reported comparisons, the
    # adjustment suited to scanning a report rather than gating on it.
    reported = [c for b in benchmarks for c in b.comparisons if primary_p_value(c) is not None]
    if reported:
        rates = stats.benjamini_hochberg(
            np.asarray([primary_p_value(c) for c in reported], dtype=float)
        )
        for comparison, value in zip(reported, rates, strict=True):
            comparison.p_value_bh = float(value)


def is_win(comparison: Comparison, alpha: float) -> bool:
    """Return whether a comparison is a win: a better verdict that, when sampled, also has a
    Holm-adjusted p-value below alpha."""
    if comparison.verdict != "better":
        return False
    # Exact values, of a deterministic metric or constant in every round, have no p-value.
    if comparison.kind == DETERMINISTIC or comparison.ci_method == "exact":
        return True
    return comparison.p_value_holm is not None and comparison.p_value_holm < alpha


def summarise(
    benchmarks: list[BenchmarkResult],
    *,
    alpha: float,
    min_win_rate: float | None,
    min_improvement: float | None,
    confidence_level: float = 0.95,
) -> SessionSummary:
    """Count verdicts and wins, average the ratios and evaluate the session gates.

    Only the comparisons of counted metrics (time unless chosen otherwise) enter the win rate,
    the improvement and the verdict counts. The improvement averages cost ratios, oriented so
    that below 1 is better for every metric.
    """
    counted = [c for b in benchmarks for c in b.comparisons if c.counted]
    verdicts = Counter({verdict: 0 for verdict in VERDICTS})
    verdicts.update(c.verdict for c in counted)

    made = [c for c in counted if c.verdict != "insufficient-data"]
    wins = sum(1 for c in made if is_win(c, alpha))
    win_rate = wins / len(made) if made else None
    geometric_mean_ratio = None
    average_improvement = None
    cost_ratios = [
        c.ratio if c.better == "lower" else 1.0 / c.ratio
        for c in made
        if c.ratio is not None and c.ratio > 0
    ]
    if cost_ratios:
        geometric_mean_ratio = stats.geometric_mean(np.asarray(cost_ratios))
        average_improvement = 1.0 - geometric_mean_ratio
    geometric_mean_ratio_ci = _geometric_mean_interval(made, confidence_level)

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
        geometric_mean_ratio_ci=geometric_mean_ratio_ci,
        gates=gates,
        passed=all(gate.passed for gate in gates),
    )


def _geometric_mean_interval(
    comparisons: list[Comparison], confidence_level: float
) -> tuple[float, float] | None:
    """Return the interval of the geometric mean cost ratio, when every comparison has an SE.

    Deterministic comparisons have no standard error, so with any of them counted the
    interval is left out rather than computed from part of the comparisons.
    """
    if not comparisons:
        return None
    if any(c.log_standard_error is None or c.ratio is None or c.ratio <= 0 for c in comparisons):
        return None
    logs = [
        math.log(c.ratio) if c.better == "lower" else -math.log(c.ratio)  # type: ignore[arg-type]
        for c in comparisons
    ]
    errors = [c.log_standard_error for c in comparisons]
    result = stats.geometric_mean_ratio(
        np.asarray(logs), np.asarray(errors, dtype=float), confidence_level=confidence_level
    )
    if result.status not in (stats.OK, stats.IDENTICAL, stats.DETERMINISTIC):
        return None
    return (result.low, result.high)


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
