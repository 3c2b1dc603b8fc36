"""Compare two runs of the same benchmarks, and merge several runs of one revision.

Each implementation of the new run is compared with the implementation of the same name in
the old run, benchmark by benchmark (matched by id) and metric by metric. The statistics and
the verdict rule are those of a comparison inside one run. The rounds of two runs were measured at
different times, so they are never paired: the interval is the unpaired bootstrap and the
p-value Welch's t-test. Holm's correction runs over all comparisons of the two runs.

Two processes on one machine can time the same code tens of percent apart, because the load of
the machine and its clock change between them. With ``reference="baseline"`` (the default),
time and CPU time are therefore compared relative to the benchmark's baseline: in each round,
an implementation's time divided by the baseline's time in the same round. Such a ratio cancels
what slows down every implementation of a round alike. The baseline's own change between the
runs is reported but not counted, since it contains that drift.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from . import __version__, stats
from .analysis import (
    AnalysisSettings,
    adjust_session,
    analyse_benchmark,
    benchmark_rng,
    compare_metric,
    deterministic_value,
    is_win,
    metric_catalogue,
    sampled_series,
    summarise,
    unmeasured_reason,
)
from .comparisons import ComparisonSettings, compare_sampled, new_comparison
from .metrics.registry import DETERMINISTIC, HIGHER, Metric
from .report.format import format_ratio
from .results import (
    MAX_ERRORS_KEPT,
    VERDICTS,
    BenchmarkResult,
    CallError,
    Comparison,
    Diagnostic,
    ImplementationResult,
    RecordedMetric,
    run_to_dict,
)
from .settings import DEFAULT_ALPHA, DEFAULT_MARGIN, DEFAULT_RESAMPLES, FAIL_ON, REFERENCES
from .storage import benchmarks_from_run, environment_fingerprint, fingerprint_differences

# Metrics that a drift of the machine changes alike for every implementation of a round.
RELATIVE_METRICS = ("time", "cpu_time")

# Random stream of the bootstrap of a run comparison; streams 0 and 1 are the round order and
# the bootstrap inside a run (see analysis.benchmark_rng).
RUN_COMPARISON_STREAM = 2

__all__ = [
    "FAIL_ON",
    "REFERENCES",
    "BenchmarkChange",
    "Finding",
    "MetricChange",
    "RunComparison",
    "RunComparisonSummary",
    "compare_runs",
    "count_phrase",
    "evaluate_gate",
    "merge_runs",
]


@dataclass
class MetricChange:
    """One implementation on one metric, new run against old run."""

    implementation: str
    comparison: Comparison
    # The median of the per-round values for a sampled metric, the value for a deterministic one,
    # and for a relative comparison the geometric mean of the per-round ratios.
    old_value: float | None
    new_value: float | None
    # The implementation that the values and the ratio are relative to, round by round, or None
    # for values as measured.
    relative_to: str | None = None


@dataclass
class BenchmarkChange:
    """One benchmark id: compared, only in the new run ("new") or only in the old ("missing")."""

    id: str
    nodeid: str
    status: str
    changes: list[MetricChange] = field(default_factory=list)
    counted_metrics: list[str] = field(default_factory=lambda: ["time"])
    new_implementations: list[str] = field(default_factory=list)
    missing_implementations: list[str] = field(default_factory=list)
    # The baseline that times of the other implementations are relative to, if any.
    reference: str | None = None
    # Why times are compared as measured although relative comparisons were requested. None
    # when they are relative, when they were not requested, or when each run has one
    # implementation (as imported runs have), which leaves nothing to divide by.
    absolute_reason: str | None = None

    @property
    def reference_changes(self) -> list[MetricChange]:
        """Return the reference's own changes on the relative metrics, which are not counted."""
        return [
            change for change in self.changes
            if change.implementation == self.reference
            and change.comparison.metric in RELATIVE_METRICS
        ]


@dataclass
class Finding:
    """A comparison that counts for the gate: a confirmed regression or improvement."""

    benchmark: str
    nodeid: str
    change: MetricChange

    def describe(self) -> str:
        comparison = self.change.comparison
        ratio = "n/a" if comparison.ratio is None else f"ratio {format_ratio(comparison.ratio)}"
        relative = (
            f" relative to {self.change.relative_to!r}" if self.change.relative_to else ""
        )
        return (
            f"{self.benchmark} {self.change.implementation} {comparison.metric}{relative} "
            f"{ratio}"
        )


@dataclass
class RunComparisonSummary:
    fail_on: str
    # Counted comparisons that reached a verdict (all but insufficient-data).
    compared: int
    verdicts: dict[str, int]
    regressions: list[Finding]
    improvements: list[Finding]
    # Improvements over compared comparisons, and the geometric mean of their cost ratios.
    win_rate: float | None
    geometric_mean_ratio: float | None
    passed: bool
    message: str


@dataclass
class RunComparison:
    """The new run against the old run: per-benchmark changes, environment and gate."""

    old_label: str
    new_label: str
    margin: float
    alpha: float
    reference: str
    benchmarks: list[BenchmarkChange]
    environment_differences: list[str]
    summary: RunComparisonSummary

    @property
    def relative(self) -> bool:
        """Whether any benchmark's times are relative to its baseline."""
        return any(benchmark.reference is not None for benchmark in self.benchmarks)

    @property
    def new_benchmarks(self) -> list[str]:
        return [b.id for b in self.benchmarks if b.status == "new"]

    @property
    def missing_benchmarks(self) -> list[str]:
        return [b.id for b in self.benchmarks if b.status == "missing"]


# Comparing two runs.


def compare_runs(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    margin: float = DEFAULT_MARGIN,
    alpha: float = DEFAULT_ALPHA,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    fail_on: str = "regression",
    reference: str = "baseline",
    old_label: str = "old",
    new_label: str = "new",
) -> RunComparison:
    """Compare the new run with the old one and evaluate the gate chosen by fail_on.

    A regression is a counted comparison judged ``worse`` whose Holm-adjusted p-value is below
    alpha. Exact values (deterministic metrics, and sampled ones constant in every round) have
    no p-value and need only the verdict. An improvement is
    the same with ``better``, which is the win rule of a single run. fail_on ``regression``
    fails on any regression, ``any-change`` on any regression or improvement, ``never`` only
    reports.

    reference ``baseline`` compares time and CPU time of each implementation relative to the
    benchmark's baseline in the same round, and reports the baseline's own change uncounted;
    a benchmark without a baseline that both runs share is compared as measured. reference
    ``none`` compares every implementation as measured. Raises ValueError for an unknown
    fail_on or reference.
    """
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    if reference not in REFERENCES:
        raise ValueError(f"reference {reference!r} is not one of {', '.join(REFERENCES)}")
    settings = AnalysisSettings(margin=margin, alpha=alpha, resamples=resamples, seed=seed)
    old_benchmarks = {b.id: b for b in benchmarks_from_run(old)}
    new_benchmarks = {b.id: b for b in benchmarks_from_run(new)}
    old_dicts = {b["id"]: b for b in old.get("benchmarks", [])}
    new_dicts = {b["id"]: b for b in new.get("benchmarks", [])}

    changes: list[BenchmarkChange] = []
    holders: list[BenchmarkResult] = []
    for benchmark_id, new_benchmark in new_benchmarks.items():
        old_benchmark = old_benchmarks.get(benchmark_id)
        if old_benchmark is None:
            changes.append(BenchmarkChange(benchmark_id, new_benchmark.nodeid, "new"))
            continue
        change, holder = _compare_benchmark(
            old_benchmark, new_benchmark, old_dicts[benchmark_id], new_dicts[benchmark_id],
            settings, relative=reference == "baseline",
        )
        changes.append(change)
        holders.append(holder)
    for benchmark_id, old_benchmark in old_benchmarks.items():
        if benchmark_id not in new_benchmarks:
            changes.append(BenchmarkChange(benchmark_id, old_benchmark.nodeid, "missing"))

    adjust_session(holders)
    summary = _summarise(changes, alpha, fail_on)
    return RunComparison(
        old_label=old_label,
        new_label=new_label,
        margin=margin,
        alpha=alpha,
        reference=reference,
        benchmarks=changes,
        environment_differences=fingerprint_differences(
            environment_fingerprint(old), environment_fingerprint(new)
        ),
        summary=summary,
    )


def _compare_benchmark(
    old: BenchmarkResult,
    new: BenchmarkResult,
    old_dict: Mapping[str, Any],
    new_dict: Mapping[str, Any],
    settings: AnalysisSettings,
    *,
    relative: bool,
) -> tuple[BenchmarkChange, BenchmarkResult]:
    """Compare every implementation both runs share, on every metric either run reports."""
    counted = list(new.counted_metrics)
    change = BenchmarkChange(new.id, new.nodeid, "compared", counted_metrics=counted)
    holder = replace(new, implementations=[], comparisons=[])
    old_by_name = {i.name: i for i in old.implementations if i.name != old.aa_copy}
    new_by_name = {i.name: i for i in new.implementations if i.name != new.aa_copy}
    change.new_implementations = [name for name in new_by_name if name not in old_by_name]
    change.missing_implementations = [name for name in old_by_name if name not in new_by_name]

    names = _metric_names(old_dict, new_dict)
    summary_only = {
        "old": _summary_only(old_dict),
        "new": _summary_only(new_dict),
    }
    if relative:
        change.reference, change.absolute_reason = _reference_of(
            old, new, old_by_name, new_by_name
        )
    reference = change.reference
    rng = benchmark_rng(settings.seed, new.id, stream=RUN_COMPARISON_STREAM)
    for name, new_implementation in new_by_name.items():
        old_implementation = old_by_name.get(name)
        if old_implementation is None:
            continue
        # Rounds of the new run are numbered after the old run's, so no round has samples of
        # both sides and compare_metric takes the unpaired interval and Welch's test.
        shifted = _shift_rounds(new_implementation, old.rounds)
        rounds = old.rounds + new.rounds
        catalogue = metric_catalogue(
            replace(new, implementations=[old_implementation, new_implementation])
        )
        for metric_name in names:
            metric = catalogue.get(metric_name)
            if metric is None:
                continue
            if reference is not None and name != reference and metric_name in RELATIVE_METRICS:
                relative_change = _compare_relative(
                    metric, name, reference, old, new, settings, rng
                )
                relative_change.comparison.counted = metric_name in counted
                change.changes.append(relative_change)
                holder.comparisons.append(relative_change.comparison)
                continue
            comparison = compare_metric(
                metric, shifted, old_implementation, rounds, {}, settings, rng
            )
            # The reference's own change between runs contains the drift that the relative
            # comparisons cancel, so it is reported but never counted.
            comparison.counted = metric_name in counted and not (
                name == reference and metric_name in RELATIVE_METRICS
            )
            if comparison.verdict == "insufficient-data":
                comparison.reason = _insufficient_reason(
                    comparison.reason, metric_name, name, summary_only
                )
            change.changes.append(MetricChange(
                implementation=name,
                comparison=comparison,
                old_value=_typical_value(metric_name, metric.kind, old_implementation, old.rounds),
                new_value=_typical_value(
                    metric_name, metric.kind, new_implementation, new.rounds
                ),
            ))
            holder.comparisons.append(comparison)
    return change, holder


def _reference_of(
    old: BenchmarkResult,
    new: BenchmarkResult,
    old_by_name: Mapping[str, ImplementationResult],
    new_by_name: Mapping[str, ImplementationResult],
) -> tuple[str | None, str | None]:
    """Return the implementation that times are relative to, or None and the reason why none."""
    if len(old_by_name) == 1 and len(new_by_name) == 1:
        # As in runs imported from other tools: there is nothing to divide by.
        return None, None
    if old.baseline != new.baseline:
        return None, (
            f"the baseline changed from {old.baseline!r} to {new.baseline!r}, so times are "
            f"compared as measured"
        )
    if new.baseline not in new_by_name or new.baseline not in old_by_name:
        return None, (
            f"the baseline {new.baseline!r} is not in both runs, so times are compared as "
            f"measured"
        )
    others = [name for name in new_by_name if name != new.baseline and name in old_by_name]
    if not others:
        return None, (
            f"no implementation other than the baseline {new.baseline!r} is in both runs, so "
            f"times are compared as measured"
        )
    for side, by_name in (("old", old_by_name), ("new", new_by_name)):
        # A baseline without samples would leave every relative comparison without data, and
        # the gate would check nothing; times as measured still show a regression.
        reason = unmeasured_reason(by_name[new.baseline], "baseline")
        if reason is not None:
            return None, f"in the {side} run, {reason}, so times are compared as measured"
    return new.baseline, None


def _compare_relative(
    metric: Metric,
    name: str,
    reference: str,
    old: BenchmarkResult,
    new: BenchmarkResult,
    settings: AnalysisSettings,
    rng: np.random.Generator,
) -> MetricChange:
    """Compare one implementation's per-round ratio to the reference, new run against old.

    In each round the implementation's value is divided by the reference's value in the same
    round. The old run's ratios are the baseline sample and the new run's the candidate
    sample, unpaired, so the comparison's ratio is the ratio of the two geometric mean ratios.
    """
    comparison_settings = ComparisonSettings(
        margin=settings.margin,
        confidence_level=settings.confidence_level,
        resamples=settings.resamples,
    )
    comparison = new_comparison(metric, name, name, comparison_settings)
    comparison.unit = "ratio"
    change = MetricChange(name, comparison, None, None, relative_to=reference)
    ratios = {}
    for side, benchmark in (("old", old), ("new", new)):
        implementation = benchmark.implementation(name)
        reference_implementation = benchmark.implementation(reference)
        reason = unmeasured_reason(implementation, "implementation") or unmeasured_reason(
            reference_implementation, "reference"
        )
        if reason is not None:
            comparison.reason = f"in the {side} run, {reason}"
            return change
        values = sampled_series(metric.name, implementation, benchmark.rounds, {})
        reference_values = sampled_series(
            metric.name, reference_implementation, benchmark.rounds, {}
        )
        if values is None or reference_values is None:
            comparison.reason = f"in the {side} run, {metric.name} was not measured"
            return change
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            by_round = values / reference_values
        # A round without a value of both, or with a reference value of 0, has no ratio.
        ratios[side] = np.where(np.isfinite(by_round), by_round, np.nan)
    old_ratios, new_ratios = ratios["old"], ratios["new"]
    counts = {side: int(np.count_nonzero(~np.isnan(values))) for side, values in ratios.items()}
    if min(counts.values()) < 2:
        comparison.reason = (
            f"{metric.name} relative to {reference!r} has a ratio in {counts['old']} round(s) of "
            f"the old run and {counts['new']} of the new run, but at least 2 of each are "
            f"needed. A ratio needs both implementations measured in the same round."
        )
        return change
    # Geometric means of positive ratios, so that new_value / old_value is the comparison's
    # ratio.
    change.old_value = _geometric_mean(old_ratios)
    change.new_value = _geometric_mean(new_ratios)
    # No round has values of both runs, so compare_sampled takes the unpaired interval and
    # Welch's test.
    candidate = np.concatenate([np.full(old_ratios.size, np.nan), new_ratios])
    baseline = np.concatenate([old_ratios, np.full(new_ratios.size, np.nan)])
    compare_sampled(metric, comparison, candidate, baseline, comparison_settings, rng)
    return change


def _median(values: np.ndarray) -> float | None:
    present = values[~np.isnan(values)]
    return float(np.median(present)) if present.size else None


def _geometric_mean(values: np.ndarray) -> float | None:
    """Return the geometric mean of the values, or their median when one is not positive."""
    present = values[~np.isnan(values)]
    if not present.size:
        return None
    if np.any(present <= 0):
        return float(np.median(present))
    return stats.geometric_mean(present)


def _metric_names(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Return the metrics either run reports for a benchmark, the new run's first."""
    names: list[str] = []
    for benchmark in (new, old):
        for name in [*benchmark.get("metrics", ["time"]),
                     *(c.get("metric") for c in benchmark.get("comparisons", []))]:
            if isinstance(name, str) and name not in names:
                names.append(name)
    return names or ["time"]


def _summary_only(benchmark: Mapping[str, Any]) -> dict[str, str]:
    """Return the implementations imported without raw samples, with the tool they came from."""
    found = {}
    for implementation in benchmark.get("implementations", []):
        imported = implementation.get("imported")
        if isinstance(imported, Mapping) and imported.get("raw_samples") is False:
            found[implementation["name"]] = str(imported.get("source", "another tool"))
    return found


def _shift_rounds(implementation: ImplementationResult, offset: int) -> ImplementationResult:
    return replace(
        implementation,
        rounds=[index + offset for index in implementation.rounds],
        errors=[
            replace(error, round=None if error.round is None else error.round + offset)
            for error in implementation.errors
        ],
        recorded={
            name: replace(
                metric, by_round={index + offset: v for index, v in metric.by_round.items()}
            )
            for name, metric in implementation.recorded.items()
        },
    )


def _insufficient_reason(
    reason: str, metric: str, implementation: str, summary_only: dict[str, dict[str, str]]
) -> str:
    """Reword why a comparison has no verdict in terms of the two runs."""
    for side in ("old", "new"):
        source = summary_only[side].get(implementation)
        if source is not None and metric in ("time", "cpu_time"):
            return (
                f"the {side} run's {implementation!r} was imported from {source} with summary "
                f"statistics only, so no interval can be computed. Import a file that keeps "
                f"the raw samples."
            )
    if metric == "api_cost":
        return (
            "api_cost needs the price table of prices=, which a run does not store. Compare "
            "the recorded token counts instead."
        )
    for role, side in (("candidate ", "new"), ("baseline ", "old")):
        if reason.startswith(role):
            return f"in the {side} run, {reason[len(role):]}"
    return reason


def _typical_value(
    metric: str, kind: str, implementation: ImplementationResult, rounds: int
) -> float | None:
    if kind == DETERMINISTIC:
        value, _ = deterministic_value(metric, implementation)
        return value
    series = sampled_series(metric, implementation, rounds, {})
    if series is None:
        return None
    return _median(series)


def _summarise(changes: list[BenchmarkChange], alpha: float, fail_on: str) -> RunComparisonSummary:
    counted = [
        (benchmark, change)
        for benchmark in changes
        for change in benchmark.changes
        if change.comparison.counted
    ]
    verdicts = Counter({verdict: 0 for verdict in VERDICTS})
    verdicts.update(change.comparison.verdict for _, change in counted)
    made = [(b, c) for b, c in counted if c.comparison.verdict != "insufficient-data"]
    regressions = [
        Finding(b.id, b.nodeid, c) for b, c in made if _is_regression(c.comparison, alpha)
    ]
    improvements = [Finding(b.id, b.nodeid, c) for b, c in made if is_win(c.comparison, alpha)]

    cost_ratios = [
        c.comparison.ratio if c.comparison.better != HIGHER else 1.0 / c.comparison.ratio
        for _, c in made
        if c.comparison.ratio is not None and c.comparison.ratio > 0
    ]
    geometric_mean_ratio = (
        math.exp(sum(math.log(r) for r in cost_ratios) / len(cost_ratios)) if cost_ratios else None
    )
    passed, message = evaluate_gate(len(regressions), len(improvements), fail_on)
    return RunComparisonSummary(
        fail_on=fail_on,
        compared=len(made),
        verdicts=dict(verdicts),
        regressions=regressions,
        improvements=improvements,
        win_rate=len(improvements) / len(made) if made else None,
        geometric_mean_ratio=geometric_mean_ratio,
        passed=passed,
        message=message,
    )


def _is_regression(comparison: Comparison, alpha: float) -> bool:
    """Return whether a comparison is a regression, the mirror image of a win inside a run.

    A regression is judged worse, and a sampled metric also needs Holm's p below alpha unless
    its values were exact (constant in every round).
    """
    if comparison.verdict != "worse":
        return False
    if comparison.kind == DETERMINISTIC or comparison.ci_method == "exact":
        return True
    return comparison.p_value_holm is not None and comparison.p_value_holm < alpha


def evaluate_gate(regressions: int, improvements: int, fail_on: str) -> tuple[bool, str]:
    """Return whether the gate chosen by fail_on passes, and a sentence saying why."""
    found = count_phrase(regressions, "regression", "regressions")
    if fail_on == "never":
        return True, f"report only (--fail-on never): {found}"
    if fail_on == "regression":
        if regressions:
            return False, f"failed: {found}"
        return True, "passed: no regression"
    if fail_on == "any-change":
        changed = regressions + improvements
        if changed:
            return False, (
                f"failed: {found} and {count_phrase(improvements, 'improvement', 'improvements')}, "
                f"and --fail-on any-change fails on either"
            )
        return True, "passed: no regression and no improvement"
    raise ValueError(f"fail_on {fail_on!r} is not one of {', '.join(FAIL_ON)}")


def count_phrase(number: int, singular: str, plural: str) -> str:
    """Return the number with the singular or plural noun, as in \"1 regression\"."""
    return f"{number} {singular if number == 1 else plural}"


# Merging several runs of one revision.


def merge_runs(runs: Sequence[Mapping[str, Any]], *, seed: int | None = None) -> dict[str, Any]:
    """Merge runs of the same benchmarks into one run and analyse its samples again.

    The samples of each implementation are concatenated across runs, with the rounds of each
    run numbered after those of the runs before it, so that rounds stay paired within a run
    and never across runs. Settings and environment come from the first run; ``seed``
    (default: the first run's) seeds the bootstrap of the new analysis. A single run is
    returned as a copy, unchanged.
    """
    if not runs:
        raise ValueError("merge_runs needs at least one run")
    if len(runs) == 1:
        return dict(runs[0])

    first = runs[0]
    settings: dict[str, Any] = dict(first.get("settings") or {})
    analysis_seed = int(first.get("seed", 0)) if seed is None else seed
    analysis = AnalysisSettings(
        margin=float(settings.get("margin", DEFAULT_MARGIN)),
        alpha=float(settings.get("alpha", DEFAULT_ALPHA)),
        resamples=int(settings.get("bootstrap_resamples", DEFAULT_RESAMPLES)),
        seed=analysis_seed,
        aa=str(settings.get("aa") or "off"),
    )

    by_id: dict[str, list[BenchmarkResult]] = {}
    for run in runs:
        for benchmark in benchmarks_from_run(run):
            by_id.setdefault(benchmark.id, []).append(benchmark)
    merged = []
    for parts in by_id.values():
        benchmark = _merge_benchmark(parts, len(runs))
        analyse_benchmark(benchmark, analysis)
        benchmark.notes = list(dict.fromkeys(benchmark.notes))
        merged.append(benchmark)
    adjust_session(merged)
    summary = summarise(
        merged,
        alpha=analysis.alpha,
        min_win_rate=settings.get("min_win_rate"),
        min_improvement=settings.get("min_improvement"),
    )

    result = run_to_dict(
        tool_version=__version__,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        seed=analysis_seed,
        settings=settings,
        environment=dict(first.get("environment") or {}),
        benchmarks=merged,
        summary=summary,
    )
    seeds = ", ".join(str(run.get("seed")) for run in runs)
    notes = [f"merged from {len(runs)} runs (seeds {seeds}); rounds are paired within a run only"]
    first_fingerprint = environment_fingerprint(first)
    for index, run in enumerate(runs[1:], start=2):
        differences = fingerprint_differences(first_fingerprint, environment_fingerprint(run))
        if differences:
            notes.append(f"run {index} was measured elsewhere: {', '.join(differences)}")
    result["notes"] = notes
    return result


def _merge_benchmark(parts: list[BenchmarkResult], run_count: int) -> BenchmarkResult:
    first = parts[0]
    merged = replace(
        first,
        rounds_requested=sum(p.rounds_requested for p in parts),
        rounds=sum(p.rounds for p in parts),
        implementations=[],
        notes=[note for part in parts for note in part.notes],
        comparisons=[],
        anova=None,
        diagnostics=_unique_diagnostics([d for part in parts for d in part.diagnostics]),
        noise_floor=None,
    )
    if len(parts) < run_count:
        merged.notes.append(f"this benchmark ran in {len(parts)} of the {run_count} runs")

    offsets = []
    offset = 0
    for part in parts:
        offsets.append(offset)
        offset += part.rounds
    names = list(dict.fromkeys(i.name for part in parts for i in part.implementations))
    for name in names:
        pieces = [
            (part.implementation(name), part_offset)
            for part, part_offset in zip(parts, offsets, strict=True)
            if any(i.name == name for i in part.implementations)
        ]
        merged.implementations.append(_merge_implementation(pieces))
    return merged


def _merge_implementation(pieces: list[tuple[ImplementationResult, int]]) -> ImplementationResult:
    first = pieces[0][0]
    merged = ImplementationResult(
        name=first.name,
        qualname=first.qualname,
        is_async=first.is_async,
        loops=first.loops,
        code_metrics=first.code_metrics,
        supplied=dict(first.supplied),
    )
    errors: list[CallError] = []
    for implementation, offset in pieces:
        merged.calls += implementation.calls
        merged.failures += implementation.failures
        merged.rounds.extend(index + offset for index in implementation.rounds)
        merged.positions.extend(implementation.positions)
        merged.times.extend(implementation.times)
        merged.cpu_times.extend(implementation.cpu_times)
        errors.extend(
            replace(e, round=None if e.round is None else e.round + offset)
            for e in implementation.errors
        )
        _merge_recorded(merged, implementation, offset)
    merged.errors = errors[:MAX_ERRORS_KEPT]
    # Only an implementation that raised before the rounds of every run stays unmeasured.
    setup_errors = [i.setup_error for i, _ in pieces if i.setup_error is not None]
    if len(setup_errors) == len(pieces):
        merged.setup_error = setup_errors[0]
    merged.peak_memory = _median_int([i.peak_memory for i, _ in pieces])
    merged.rss_growth = _median_int([i.rss_growth for i, _ in pieces])
    return merged


def _merge_recorded(
    merged: ImplementationResult, implementation: ImplementationResult, offset: int
) -> None:
    """Add the recorded values of one run, rescaled to the merged implementation's loops.

    A round's per-call mean is its sum divided by the loops of its run, and calibration may
    choose different loops in each run, so sums are rescaled to keep every per-call mean.
    """
    scale = merged.loops / implementation.loops if implementation.loops and merged.loops else 1.0
    for name, metric in implementation.recorded.items():
        target = merged.recorded.setdefault(name, RecordedMetric(metric.unit, metric.better))
        for index, value in metric.by_round.items():
            target.by_round[index + offset] = value * scale
        target.outside_rounds.extend(metric.outside_rounds)


def _median_int(values: list[int | None]) -> int | None:
    present = [value for value in values if value is not None]
    return int(statistics.median(present)) if present else None


def _unique_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Keep the first diagnostic of each kind and implementation."""
    seen: set[tuple[str | None, str]] = set()
    unique = []
    for diagnostic in diagnostics:
        key = (diagnostic.implementation, diagnostic.kind)
        if key not in seen:
            seen.add(key)
            unique.append(diagnostic)
    return unique


def __getattr__(name: str) -> Any:
    # The renderers live in report.runcomparison, which imports this module; they stay
    # reachable here, where they were first documented.
    if name in ("render_lines", "render_markdown", "environment_warning"):
        from .report import runcomparison

        return getattr(runcomparison, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
