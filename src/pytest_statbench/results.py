"""Data model of a benchmark run, its JSON form, and atomic file writes."""

from __future__ import annotations

import errno
import json
import math
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "pytest-statbench/run"
SCHEMA_VERSION = 1

VERDICTS = ("better", "worse", "equivalent", "inconclusive", "insufficient-data")
EXPECTATIONS = ("faster", "not slower", "equivalent")

# Errors kept per implementation; the count of failures is always complete.
MAX_ERRORS_KEPT = 20


@dataclass
class CallError:
    """An exception raised by an implementation; round is None before the timed rounds."""

    round: int | None
    type: str
    message: str

    def describe(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type


@dataclass
class RecordedMetric:
    """Values of one custom metric recorded with ``bench.record`` for one implementation."""

    unit: str
    better: str
    # Sum of the values recorded during each round's sample, by round index.
    by_round: dict[int, float] = field(default_factory=dict)
    # Values recorded outside the timed rounds: in the test body or the first call.
    outside_rounds: list[float] = field(default_factory=list)


@dataclass
class ImplementationResult:
    """Samples of one implementation in one benchmark; times are seconds per call."""

    name: str
    qualname: str
    is_async: bool = False
    loops: int = 0
    calls: int = 0
    failures: int = 0
    errors: list[CallError] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    peak_memory: int | None = None
    rss_growth: int | None = None
    # Set when the implementation raised before the timed rounds, so it was never measured.
    setup_error: CallError | None = None
    # Code metrics from radon: a dict with "status", "reason" and the numbers, or None.
    code_metrics: dict[str, Any] | None = None
    recorded: dict[str, RecordedMetric] = field(default_factory=dict)
    # Values the user states and cannot measure, such as development hours.
    supplied: dict[str, Any] = field(default_factory=dict)

    @property
    def success_rate(self) -> float | None:
        """Share of timed samples in which every call returned; None when none was timed.

        A sample stops at the first call that raises, so the share is over samples, not calls.
        """
        if self.setup_error is not None:
            return None
        attempted = len(self.times) + self.failures
        return len(self.times) / attempted if attempted else None

    def cpu_time_by_round(self, rounds: int) -> list[float]:
        by_round = [math.nan] * rounds
        for round_index, time in zip(self.rounds, self.cpu_times, strict=True):
            by_round[round_index] = time
        return by_round

    def recorded_by_round(self, name: str, rounds: int) -> list[float]:
        """Return the per-call mean of a recorded metric in each round, NaN where none ran.

        A round whose sample completed but recorded nothing counts as 0, because a counter
        that was not incremented was 0.
        """
        metric = self.recorded[name]
        by_round = [math.nan] * rounds
        loops = max(self.loops, 1)
        for round_index in self.rounds:
            by_round[round_index] = metric.by_round.get(round_index, 0.0) / loops
        return by_round

    def record_error(self, error: CallError) -> None:
        self.failures += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error)

    def time_by_round(self, rounds: int) -> list[float]:
        """Return the time of each round, NaN where the sample failed."""
        by_round = [math.nan] * rounds
        for round_index, time in zip(self.rounds, self.times):
            by_round[round_index] = time
        return by_round


@dataclass
class Comparison:
    """One candidate against the baseline on one metric."""

    candidate: str
    baseline: str
    metric: str
    unit: str
    margin: float
    confidence_level: float
    verdict: str
    reason: str
    ratio: float | None = None
    ci: tuple[float, float] | None = None
    ci_method: str | None = None
    p_value: float | None = None
    p_value_paired: float | None = None
    p_value_holm: float | None = None
    # Benjamini-Hochberg adjusted over every reported comparison, for reading many at once.
    p_value_bh: float | None = None
    # Standard error of log(ratio), for the session's geometric mean interval; not stored.
    log_standard_error: float | None = None
    statistic: float | None = None
    df: float | None = None
    cohens_d: float | None = None
    effect_size_band: str | None = None
    hedges_g: float | None = None
    # Two-sided Mann-Whitney U p-value and Vargha-Delaney A = P(candidate > baseline).
    mann_whitney_p: float | None = None
    vargha_delaney_a: float | None = None
    n_candidate: int = 0
    n_baseline: int = 0
    n_pairs: int = 0
    expectation: dict[str, Any] | None = None
    better: str = "lower"
    kind: str = "sampled"
    # The two values of a deterministic metric, compared exactly.
    candidate_value: float | None = None
    baseline_value: float | None = None
    # Whether the comparison counts towards the win rate and the improvement.
    counted: bool = True

    def describe(self) -> str:
        """Return the comparison in one line, as failure messages show it."""
        level = f"{self.confidence_level * 100:.4g}%"
        if self.ratio is None or self.ci is None:
            estimate = f"{self.metric} ratio n/a"
        else:
            estimate = (
                f"{self.metric} ratio {self.ratio:.3f} "
                f"[{level} CI {self.ci[0]:.3f}, {self.ci[1]:.3f}]"
            )
        p_value = "n/a" if self.p_value is None else f"{self.p_value:.3g}"
        paired = "" if self.p_value_paired is None else f", paired p = {self.p_value_paired:.3g}"
        return (
            f"{self.candidate} vs baseline {self.baseline}: {estimate}, "
            f"verdict {self.verdict} ({self.reason}); Welch p = {p_value}{paired}; "
            f"n = {self.n_candidate} and {self.n_baseline} samples, {self.n_pairs} paired rounds"
        )


@dataclass
class Diagnostic:
    """A sign of noise in a benchmark's samples; implementation is None for the whole benchmark."""

    implementation: str | None
    kind: str
    message: str
    remedy: str
    # The measured value in a few characters, for lists such as "'json' 65%".
    detail: str = ""


@dataclass
class NoiseFloor:
    """The baseline measured against a copy of itself in the same rounds (A/A)."""

    copy: str
    ratio: float | None
    ci: tuple[float, float] | None
    floor: float | None
    used_as_margin: bool
    reason: str | None = None


@dataclass
class PosthocPair:
    """One pair of implementations in the Games-Howell post-hoc test on log-times."""

    first: str
    second: str
    ratio: float | None
    ci: tuple[float, float] | None
    p_value: float | None


@dataclass
class AnovaSummary:
    statistic: float | None
    p_value: float | None
    df_between: float | None
    df_within: float | None
    eta_squared: float | None
    status: str
    reason: str | None
    omega_squared: float | None = None
    # Welch's ANOVA, which does not assume equal variances, and its post-hoc pairs.
    welch_statistic: float | None = None
    welch_p_value: float | None = None
    welch_df_within: float | None = None
    posthoc: list[PosthocPair] = field(default_factory=list)


@dataclass
class BenchmarkResult:
    """One comparison test: its implementations, samples and, after analysis, comparisons."""

    id: str
    nodeid: str
    form: str
    baseline: str
    expect: str | None
    rounds_requested: int
    rounds: int = 0
    implementations: list[ImplementationResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    # Metric names this benchmark reports, and those of them that count towards the win rate.
    metrics: list[str] = field(default_factory=lambda: ["time"])
    counted_metrics: list[str] = field(default_factory=lambda: ["time"])
    prices: dict[str, float] = field(default_factory=dict)
    anova: AnovaSummary | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Name of the A/A copy of the baseline among the implementations, when --bench-aa is on.
    aa_copy: str | None = None
    noise_floor: NoiseFloor | None = None

    def implementation(self, name: str) -> ImplementationResult:
        for implementation in self.implementations:
            if implementation.name == name:
                return implementation
        raise KeyError(name)


@dataclass
class Gate:
    name: str
    threshold: float
    value: float | None
    passed: bool
    message: str


@dataclass
class SessionSummary:
    comparisons: int
    wins: int
    win_rate: float | None
    geometric_mean_ratio: float | None
    average_improvement: float | None
    verdicts: dict[str, int]
    gates: list[Gate]
    passed: bool
    # Interval of geometric_mean_ratio at the session's confidence level, when it is known.
    geometric_mean_ratio_ci: tuple[float, float] | None = None


def _finite(value: float | None) -> float | None:
    """Map NaN and infinities to None, so the JSON stays strict."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _finite_list(values: list[float]) -> list[float | None]:
    return [_finite(value) for value in values]


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def implementation_to_dict(implementation: ImplementationResult) -> dict[str, Any]:
    times = implementation.times
    errors = list(implementation.errors)
    if implementation.setup_error is not None:
        errors.insert(0, implementation.setup_error)
    return {
        "name": implementation.name,
        "qualname": implementation.qualname,
        "is_async": implementation.is_async,
        "loops": implementation.loops,
        "calls": implementation.calls,
        "failures": implementation.failures,
        "errors": [
            {"round": error.round, "type": error.type, "message": error.message}
            for error in errors
        ],
        "samples": {
            "round": list(implementation.rounds),
            "position": list(implementation.positions),
            "time": _finite_list(times),
            "cpu_time": _finite_list(implementation.cpu_times),
        },
        "median_time": _finite(_median(times)),
        "mean_time": _finite(sum(times) / len(times)) if times else None,
        "min_time": _finite(min(times)) if times else None,
        "peak_memory": implementation.peak_memory,
        "rss_growth": implementation.rss_growth,
        "success_rate": _finite(implementation.success_rate),
        "code_metrics": implementation.code_metrics,
        "recorded": {
            name: {
                "unit": metric.unit,
                "better": metric.better,
                "by_round": {str(r): _finite(v) for r, v in sorted(metric.by_round.items())},
                "outside_rounds": _finite_list(metric.outside_rounds),
            }
            for name, metric in implementation.recorded.items()
        },
        "supplied": dict(implementation.supplied),
    }


def comparison_to_dict(comparison: Comparison) -> dict[str, Any]:
    return {
        "candidate": comparison.candidate,
        "baseline": comparison.baseline,
        "metric": comparison.metric,
        "unit": comparison.unit,
        "ratio": _finite(comparison.ratio),
        "ci": None if comparison.ci is None else _finite_list(list(comparison.ci)),
        "confidence_level": comparison.confidence_level,
        "ci_method": comparison.ci_method,
        "p_value": _finite(comparison.p_value),
        "p_value_paired": _finite(comparison.p_value_paired),
        "p_value_holm": _finite(comparison.p_value_holm),
        "p_value_bh": _finite(comparison.p_value_bh),
        "statistic": _finite(comparison.statistic),
        "df": _finite(comparison.df),
        "cohens_d": _finite(comparison.cohens_d),
        "effect_size_band": comparison.effect_size_band,
        "hedges_g": _finite(comparison.hedges_g),
        "mann_whitney_p": _finite(comparison.mann_whitney_p),
        "vargha_delaney_a": _finite(comparison.vargha_delaney_a),
        "n_candidate": comparison.n_candidate,
        "n_baseline": comparison.n_baseline,
        "n_pairs": comparison.n_pairs,
        "margin": comparison.margin,
        "verdict": comparison.verdict,
        "reason": comparison.reason,
        "expectation": comparison.expectation,
        "better": comparison.better,
        "kind": comparison.kind,
        "candidate_value": _finite(comparison.candidate_value),
        "baseline_value": _finite(comparison.baseline_value),
        "counted": comparison.counted,
    }


def benchmark_to_dict(benchmark: BenchmarkResult) -> dict[str, Any]:
    anova = None
    if benchmark.anova is not None:
        anova = {
            "statistic": _finite(benchmark.anova.statistic),
            "p_value": _finite(benchmark.anova.p_value),
            "df_between": _finite(benchmark.anova.df_between),
            "df_within": _finite(benchmark.anova.df_within),
            "eta_squared": _finite(benchmark.anova.eta_squared),
            "status": benchmark.anova.status,
            "reason": benchmark.anova.reason,
            "omega_squared": _finite(benchmark.anova.omega_squared),
            "welch_statistic": _finite(benchmark.anova.welch_statistic),
            "welch_p_value": _finite(benchmark.anova.welch_p_value),
            "welch_df_within": _finite(benchmark.anova.welch_df_within),
            "posthoc": [
                {
                    "first": pair.first,
                    "second": pair.second,
                    "ratio": _finite(pair.ratio),
                    "ci": None if pair.ci is None else _finite_list(list(pair.ci)),
                    "p_value": _finite(pair.p_value),
                }
                for pair in benchmark.anova.posthoc
            ],
        }
    return {
        "id": benchmark.id,
        "nodeid": benchmark.nodeid,
        "form": benchmark.form,
        "baseline": benchmark.baseline,
        "expect": benchmark.expect,
        "rounds": benchmark.rounds,
        "notes": list(benchmark.notes),
        "metrics": list(benchmark.metrics),
        "counted_metrics": list(benchmark.counted_metrics),
        "implementations": [implementation_to_dict(i) for i in benchmark.implementations],
        "comparisons": [comparison_to_dict(c) for c in benchmark.comparisons],
        "anova": anova,
        "diagnostics": [
            {
                "implementation": d.implementation,
                "kind": d.kind,
                "message": d.message,
                "remedy": d.remedy,
                "detail": d.detail,
            }
            for d in benchmark.diagnostics
        ],
        "noise_floor": _noise_floor_to_dict(benchmark.noise_floor),
    }


def _noise_floor_to_dict(noise_floor: NoiseFloor | None) -> dict[str, Any] | None:
    if noise_floor is None:
        return None
    return {
        "copy": noise_floor.copy,
        "ratio": _finite(noise_floor.ratio),
        "ci": None if noise_floor.ci is None else _finite_list(list(noise_floor.ci)),
        "floor": _finite(noise_floor.floor),
        "used_as_margin": noise_floor.used_as_margin,
        "reason": noise_floor.reason,
    }


def summary_to_dict(summary: SessionSummary) -> dict[str, Any]:
    return {
        "comparisons": summary.comparisons,
        "wins": summary.wins,
        "win_rate": _finite(summary.win_rate),
        "geometric_mean_ratio": _finite(summary.geometric_mean_ratio),
        "average_improvement": _finite(summary.average_improvement),
        "geometric_mean_ratio_ci": (
            None
            if summary.geometric_mean_ratio_ci is None
            else _finite_list(list(summary.geometric_mean_ratio_ci))
        ),
        "verdicts": dict(summary.verdicts),
        "gates": [
            {
                "name": gate.name,
                "threshold": gate.threshold,
                "value": _finite(gate.value),
                "passed": gate.passed,
                "message": gate.message,
            }
            for gate in summary.gates
        ],
        "passed": summary.passed,
    }


def run_to_dict(
    *,
    tool_version: str,
    created: str,
    seed: int,
    settings: dict[str, Any],
    environment: dict[str, Any],
    benchmarks: list[BenchmarkResult],
    summary: SessionSummary,
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "pytest-statbench", "version": tool_version},
        "created": created,
        "seed": seed,
        "settings": settings,
        "environment": environment,
        "benchmarks": [benchmark_to_dict(benchmark) for benchmark in benchmarks],
        "summary": summary_to_dict(summary),
    }


def dumps_run(run: dict[str, Any]) -> str:
    # allow_nan=False turns any NaN that slipped through into an error instead of invalid JSON.
    return json.dumps(run, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write text to path through a temporary file in the same folder and a rename.

    A reader sees the old file or the complete new one, never a partial write. A symbolic
    link is followed, so its target is replaced and the link kept. A path that is not a
    regular file, such as /dev/stdout or a FIFO, is written to directly, because renaming a file
    over it would replace the device or pipe itself. A path ending in a separator is a
    folder, not a file name.
    """
    if str(path).endswith(("/", os.sep)):
        raise IsADirectoryError(errno.EISDIR, f"{path} names a folder; give a file name")
    # os.stat follows links, also the links of /proc/self/fd that /dev/stdout leads to when the
    # output is a pipe, whose targets such as "pipe:[123]" are no paths that realpath could use.
    try:
        mode: int | None = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        # A missing file, or a parent that is a file, which the checks below report.
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, f"{path} is a folder; give a file name")
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(text)
        return Path(path)
    target = Path(os.path.realpath(path))
    folder = target.parent if str(target.parent) else Path(".")
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, f"{parent} is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp creates the file readable by its owner only; a report gets the mode a new
        # file would get under the umask, or keeps the mode of the file it replaces.
        os.chmod(temporary, _file_mode(target))
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    return Path(path)


def _file_mode(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
