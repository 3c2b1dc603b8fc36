"""Noise diagnostics: signs that a benchmark's samples are less trustworthy, each with a remedy.

A diagnostic never changes a verdict. It explains in words why an interval is wide or why a
result may not repeat, and what to change.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.stats

from .results import BenchmarkResult, Diagnostic, ImplementationResult

# Coefficient of variation of the per-round times above which a warning is given. pyperf's check
# command warns at the same 10% of standard deviation over the mean (pyperf/_cli.py).
MAX_VARIATION = 0.10

# A first round slower than this multiple of the median of the other rounds suggests the
# warm-up ended before the implementation reached its steady state.
SLOW_FIRST_ROUND = 1.5

# Samples shorter than this are short against the resolution and jitter of the clock and the
# scheduler. pyperf's check command warns below the same 1 ms (pyperf/_cli.py).
MIN_SAMPLE_DURATION = 1e-3

# A drift is reported when the trend across rounds is significant at this level and changes
# the time by more than half the margin from the first round to the last.
DRIFT_ALPHA = 0.01


# One line per kind in the terminal: the kind in words, then each implementation's value.
HEADLINES = {
    "high-variation": f"times vary by more than {MAX_VARIATION:.0%} across rounds",
    "slow-first-round": "the first round was slower than the others",
    "short-samples": f"samples shorter than {MIN_SAMPLE_DURATION * 1e3:g} ms",
    "drift": "times drifted from the first round to the last",
    "too-few-rounds": "too few rounds for any comparison to pass Holm's correction",
}


def diagnose_benchmark(benchmark: BenchmarkResult, margin: float) -> list[Diagnostic]:
    """Return the diagnostics of every implementation of one measured benchmark."""
    diagnostics: list[Diagnostic] = []
    for implementation in benchmark.implementations:
        times = np.asarray(implementation.times, dtype=float)
        if times.size < 3 or not np.all(np.isfinite(times)) or np.any(times <= 0):
            continue
        diagnostics.extend(_variation(implementation, times))
        diagnostics.extend(_first_round(implementation, times))
        diagnostics.extend(_short_samples(implementation, times))
        diagnostics.extend(_drift(implementation, times, margin))
    return diagnostics


def diagnose_rounds(benchmarks: list[BenchmarkResult], alpha: float) -> list[Diagnostic]:
    """Warn where the paired rounds are too few for any p-value to pass Holm's correction.

    With n paired rounds, an exact rank or sign test cannot give a two-sided p-value below
    2 * 0.5**n. Holm compares the smallest p-value of k comparisons with alpha / k, so with
    fewer rounds no comparison could be significant whatever the data, and the t-test that
    is used instead rests on its normality assumption alone.
    """
    comparisons = [c for b in benchmarks for c in b.comparisons if c.n_pairs >= 2]
    family = len(comparisons)
    if family == 0:
        return []
    threshold = alpha / family
    needed = math.ceil(math.log2(2 / threshold)) + 1
    diagnostics = []
    for benchmark in benchmarks:
        short = [
            c for c in benchmark.comparisons if c.n_pairs >= 2 and 2 * 0.5**c.n_pairs >= threshold
        ]
        if not short:
            continue
        pairs = min(c.n_pairs for c in short)
        diagnostic = Diagnostic(
            implementation=None,
            kind="too-few-rounds",
            message=(
                f"{pairs} paired rounds cannot give a rank-test p-value below "
                f"alpha / {family} = {threshold:.2g}, the strictest Holm threshold of this "
                f"session's {family} comparisons"
            ),
            remedy=f"raise --bench-rounds to at least {needed}",
            detail=f"{pairs} rounds",
        )
        benchmark.diagnostics.append(diagnostic)
        diagnostics.append(diagnostic)
    return diagnostics


def _variation(implementation: ImplementationResult, times: np.ndarray) -> list[Diagnostic]:
    variation = float(np.std(times, ddof=1) / np.mean(times))
    if variation <= MAX_VARIATION:
        return []
    return [Diagnostic(
        implementation=implementation.name,
        kind="high-variation",
        message=(
            f"the time of {implementation.name!r} varies by {variation:.0%} across rounds "
            f"(coefficient of variation above {MAX_VARIATION:.0%})"
        ),
        detail=f"{variation:.0%}",
        remedy=(
            "close other programs or run on a quieter machine, and raise "
            "--bench-min-sample-time so each sample averages over more calls"
        ),
    )]


def _first_round(implementation: ImplementationResult, times: np.ndarray) -> list[Diagnostic]:
    if not implementation.rounds or implementation.rounds[0] != 0:
        return []
    first = float(times[0])
    rest = float(np.median(times[1:]))
    if first <= SLOW_FIRST_ROUND * rest:
        return []
    return [Diagnostic(
        implementation=implementation.name,
        kind="slow-first-round",
        message=(
            f"the first round of {implementation.name!r} took {first / rest:.1f} times the "
            f"median of the other rounds"
        ),
        detail=f"{first / rest:.1f}x",
        remedy="raise --bench-warmup-time so caches and lazy initialisation settle first",
    )]


def _short_samples(implementation: ImplementationResult, times: np.ndarray) -> list[Diagnostic]:
    duration = float(np.median(times)) * implementation.loops
    if duration >= MIN_SAMPLE_DURATION:
        return []
    return [Diagnostic(
        implementation=implementation.name,
        kind="short-samples",
        message=(
            f"samples of {implementation.name!r} last {duration * 1e3:.2g} ms "
            f"({implementation.loops} calls), short against clock and scheduler jitter"
        ),
        detail=f"{duration * 1e3:.2g} ms",
        remedy=f"raise --bench-min-sample-time to at least {MIN_SAMPLE_DURATION * 1e3:g}ms",
    )]


def _drift(
    implementation: ImplementationResult, times: np.ndarray, margin: float
) -> list[Diagnostic]:
    rounds = np.asarray(implementation.rounds, dtype=float)
    if np.ptp(rounds) == 0:
        return []
    logs = np.log(times)
    with warnings.catch_warnings():
        # A constant input makes spearmanr warn and return NaN; that is no drift.
        warnings.simplefilter("ignore")
        correlation = scipy.stats.spearmanr(rounds, logs)
    p_value = float(correlation.pvalue)
    if not math.isfinite(p_value) or p_value >= DRIFT_ALPHA:
        return []
    # Least-squares trend of log-time over rounds, as the change from the first to the last.
    slope = float(np.polyfit(rounds, logs, 1)[0])
    change = math.exp(slope * float(np.ptp(rounds))) - 1.0
    if abs(change) <= margin / 2:
        return []

    direction = "slower" if change > 0 else "faster"
    return [Diagnostic(
        implementation=implementation.name,
        kind="drift",
        message=(
            f"{implementation.name!r} became {abs(change):.0%} {direction} from the first round "
            f"to the last (Spearman rho {float(correlation.statistic):.2f}, "
            f"p = {p_value:.2g})"
        ),
        detail=f"{change:+.0%}",
        remedy=(
            "interleaving keeps the comparison fair, but look for thermal throttling, a "
            "growing cache or heap, or background load that changed during the run"
        ),
    )]
