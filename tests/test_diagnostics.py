"""Unit tests of the noise diagnostics on synthetic samples."""

from __future__ import annotations

import numpy as np

from pytest_statbench.diagnostics import diagnose_benchmark, diagnose_rounds
from pytest_statbench.results import BenchmarkResult, Comparison, ImplementationResult


def implementation(name: str, times: list[float], loops: int = 1000) -> ImplementationResult:
    return ImplementationResult(
        name=name, qualname=name, loops=loops, rounds=list(range(len(times))), times=times
    )


def benchmark_of(*implementations: ImplementationResult) -> BenchmarkResult:
    return BenchmarkResult(
        id="test_x.py::test_x",
        nodeid="test_x.py::test_x",
        form="decorator",
        baseline=implementations[0].name,
        expect=None,
        rounds_requested=50,
        rounds=len(implementations[0].times),
        implementations=list(implementations),
    )


def steady_times(count: int = 50, spread: float = 0.01, seed: int = 1) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(1e-5 * np.exp(rng.normal(0.0, spread, count)))


def kinds(benchmark: BenchmarkResult) -> list[str]:
    return [d.kind for d in diagnose_benchmark(benchmark, margin=0.05)]


def test_steady_samples_give_none() -> None:
    assert kinds(benchmark_of(implementation("a", steady_times()))) == []


def test_high_variation_reported() -> None:
    diagnostics = diagnose_benchmark(
        benchmark_of(implementation("a", steady_times(spread=0.3))), margin=0.05
    )
    assert [d.kind for d in diagnostics] == ["high-variation"]
    assert diagnostics[0].implementation == "a"
    assert diagnostics[0].remedy.startswith("close other programs")


def test_slow_first_round_reported() -> None:
    times = steady_times()
    times[0] *= 3.0
    # One sample three times the others also lifts the coefficient of variation above 10%.
    assert "slow-first-round" in kinds(benchmark_of(implementation("a", times)))


def test_short_samples_reported() -> None:
    # 10 µs per call times 20 calls is a 0.2 ms sample.
    diagnostics = diagnose_benchmark(
        benchmark_of(implementation("a", steady_times(), loops=20)), margin=0.05
    )
    assert [d.kind for d in diagnostics] == ["short-samples"]
    assert diagnostics[0].detail == "0.2 ms"


def test_drift_reported() -> None:
    # A steady 20% rise over 50 rounds, with 1% noise.
    trend = np.exp(np.linspace(0.0, np.log(1.2), 50))
    times = list(np.asarray(steady_times()) * trend)
    diagnostics = diagnose_benchmark(benchmark_of(implementation("a", times)), margin=0.05)
    assert [d.kind for d in diagnostics] == ["drift"]
    assert diagnostics[0].detail == "+20%"


def test_small_drift_within_margin_ignored() -> None:
    # A 2% rise is significant with 1% noise but below half the 5% margin.
    trend = np.exp(np.linspace(0.0, np.log(1.02), 50))
    times = list(np.asarray(steady_times(spread=0.002)) * trend)
    assert kinds(benchmark_of(implementation("a", times))) == []


def comparison(n_pairs: int) -> Comparison:
    return Comparison(
        candidate="b", baseline="a", metric="time", unit="s", margin=0.05,
        confidence_level=0.95, verdict="equivalent", reason="", n_pairs=n_pairs,
    )


def test_too_few_rounds_after_holm() -> None:
    # 25 comparisons make the strictest Holm threshold 0.05 / 25 = 0.002, and 10 pairs can
    # reach at best 2 * 0.5**10 = 0.00195, just below it; 9 pairs give 0.0039, above it.
    benchmarks = []
    for index in range(25):
        benchmark = benchmark_of(implementation("a", steady_times()))
        benchmark.id = f"test_x.py::test_{index}"
        benchmark.comparisons = [comparison(9 if index == 0 else 10)]
        benchmarks.append(benchmark)
    diagnostics = diagnose_rounds(benchmarks, alpha=0.05)
    assert len(diagnostics) == 1
    assert diagnostics[0].remedy == "raise --bench-rounds to at least 11"
    assert benchmarks[0].diagnostics == diagnostics


def test_enough_rounds_give_none() -> None:
    benchmark = benchmark_of(implementation("a", steady_times()))
    benchmark.comparisons = [comparison(50)]
    assert diagnose_rounds([benchmark], alpha=0.05) == []
