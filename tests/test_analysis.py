"""Unit tests of the analysis: verdict rule, expectations, wins and gates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pytest_statbench.analysis import (
    AnalysisSettings,
    compare_time,
    expectation_met,
    summarise,
)
from pytest_statbench.comparisons import decide_verdict
from pytest_statbench.results import BenchmarkResult, Comparison, ImplementationResult

SETTINGS = AnalysisSettings(margin=0.05, alpha=0.05, resamples=2000, seed=7)


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [
        (0.80, 0.94, "better"),
        (1.06, 1.20, "worse"),
        (0.96, 1.04, "equivalent"),
        (0.95, 1.05, "equivalent"),
        (0.90, 1.00, "inconclusive"),
        (1.00, 1.10, "inconclusive"),
        (0.90, 1.10, "inconclusive"),
    ],
)
def test_verdict_rule(low: float, high: float, verdict: str) -> None:
    assert decide_verdict(low, high, 0.05, 0.95)[0] == verdict


def test_verdict_reason_names_interval() -> None:
    _, reason = decide_verdict(0.80, 0.94, 0.05, 0.95)
    assert reason == "the 95% CI [0.800, 0.940] lies below 0.950, beyond the 5% margin"


def make_comparison(low: float, high: float, verdict: str, p_holm: float | None) -> Comparison:
    return Comparison(
        candidate="b",
        baseline="a",
        metric="time",
        unit="s",
        margin=0.05,
        confidence_level=0.95,
        verdict=verdict,
        reason="",
        ratio=math.sqrt(low * high),
        ci=(low, high),
        p_value_holm=p_holm,
    )


def test_not_slower_accepts_inconclusive_below_margin() -> None:
    comparison = make_comparison(0.90, 1.03, "inconclusive", 0.2)
    assert expectation_met(comparison, "not slower")


def test_not_slower_rejects_upper_beyond_margin() -> None:
    comparison = make_comparison(0.98, 1.06, "inconclusive", 0.2)
    assert not expectation_met(comparison, "not slower")


def test_faster_needs_better_verdict() -> None:
    comparison = make_comparison(0.90, 1.03, "inconclusive", 0.2)
    assert not expectation_met(comparison, "faster")


def test_unknown_expectation_raises() -> None:
    comparison = make_comparison(0.90, 0.93, "better", 0.01)
    with pytest.raises(ValueError, match="unknown expectation 'fastest'"):
        expectation_met(comparison, "fastest")


def benchmark_with(*comparisons: Comparison) -> BenchmarkResult:
    return BenchmarkResult(
        id="test_x.py::test_x",
        nodeid="test_x.py::test_x",
        form="decorator",
        baseline="a",
        expect=None,
        rounds_requested=10,
        rounds=10,
        comparisons=list(comparisons),
    )


def test_win_needs_holm_significance() -> None:
    benchmark = benchmark_with(
        make_comparison(0.80, 0.90, "better", 0.01),
        make_comparison(0.80, 0.90, "better", 0.20),
    )
    summary = summarise([benchmark], alpha=0.05, min_win_rate=None, min_improvement=None)
    assert summary.wins == 1
    assert summary.win_rate == 0.5


def test_insufficient_data_not_counted() -> None:
    missing = make_comparison(0.80, 0.90, "insufficient-data", None)
    missing.ratio = None
    missing.ci = None
    benchmark = benchmark_with(make_comparison(0.80, 0.90, "better", 0.01), missing)
    summary = summarise([benchmark], alpha=0.05, min_win_rate=None, min_improvement=None)
    assert summary.comparisons == 1
    assert summary.verdicts["insufficient-data"] == 1


def test_improvement_is_geometric() -> None:
    benchmark = benchmark_with(
        make_comparison(0.5, 0.5, "better", 0.01),
        make_comparison(2.0, 2.0, "worse", 0.01),
    )
    summary = summarise([benchmark], alpha=0.05, min_win_rate=None, min_improvement=None)
    # The geometric mean of 0.5 and 2.0 is 1.0: halving one time and doubling another cancel.
    assert summary.geometric_mean_ratio == pytest.approx(1.0)
    assert summary.average_improvement == pytest.approx(0.0)


def test_win_rate_gate_fails_below_threshold() -> None:
    benchmark = benchmark_with(make_comparison(0.98, 1.02, "equivalent", 0.5))
    summary = summarise([benchmark], alpha=0.05, min_win_rate=0.5, min_improvement=None)
    assert not summary.passed
    assert summary.gates[0].message == (
        "win rate 0.0% is below the minimum of 50.0% (0 of 1 comparisons won)"
    )


def test_gate_without_comparisons_fails() -> None:
    summary = summarise([], alpha=0.05, min_win_rate=None, min_improvement=0.1)
    assert not summary.passed
    assert summary.gates[0].message == (
        "average improvement could not be computed: no comparison reached a verdict"
    )


def implementation(name: str, times: list[float]) -> ImplementationResult:
    return ImplementationResult(
        name=name, qualname=name, rounds=list(range(len(times))), times=times
    )


def test_zero_duration_is_insufficient() -> None:
    baseline = implementation("a", [1e-6, 1.1e-6, 1.2e-6])
    candidate = implementation("b", [0.0, 1e-6, 1e-6])
    comparison = compare_time(candidate, baseline, 3, SETTINGS, np.random.default_rng(1))
    assert comparison.verdict == "insufficient-data"
    assert comparison.reason.startswith("candidate 'b' has samples of zero duration")


def test_failed_rounds_are_unpaired() -> None:
    rng = np.random.default_rng(3)
    base_times = list(np.exp(rng.normal(np.log(1e-3), 0.01, 20)))
    noise = np.exp(rng.normal(0.0, 0.01, 20))
    candidate_times = [t * 0.5 * n for t, n in zip(base_times, noise, strict=True)]
    baseline = implementation("a", base_times)
    candidate = implementation("b", candidate_times[:19])
    # Round 19 of the candidate failed: the candidate's samples cover rounds 0 to 18 only.
    comparison = compare_time(candidate, baseline, 20, SETTINGS, np.random.default_rng(1))
    assert comparison.n_pairs == 19
    assert comparison.verdict == "better"
    assert comparison.ratio == pytest.approx(0.5, rel=0.01)
