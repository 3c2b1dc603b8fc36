"""Unit tests of run-to-run comparison and of merging runs (runcompare.py).

The runs are built from synthetic samples: log-normal times with 5% spread, so a 3-fold
change is far outside any interval and an unchanged implementation stays within a 5% margin.
In simple_run, most of that spread is a factor of each round that slows every implementation
of the round alike, as load on a real machine does. Times relative to the baseline cancel it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from scipy import stats as scipy_stats

from pytest_statbench.analysis import AnalysisSettings, adjust_session, analyse_benchmark, summarise
from pytest_statbench.report.runcomparison import render_lines, render_markdown
from pytest_statbench.results import BenchmarkResult, ImplementationResult, run_to_dict
from pytest_statbench.runcompare import (
    compare_runs,
    evaluate_gate,
    merge_runs,
)
from pytest_statbench.schema import validate_run
from pytest_statbench.session import environment

ANALYSIS = AnalysisSettings(margin=0.05, alpha=0.05, resamples=500, seed=1)


def lognormal_times(median: float, count: int, seed: int, spread: float = 0.05) -> list[float]:
    rng = np.random.default_rng(seed)
    return [float(t) for t in np.exp(rng.normal(math.log(median), spread, size=count))]


def make_run(
    benchmarks: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    seed: int = 0,
    peak_memory: Mapping[str, int] | None = None,
    metrics: Sequence[str] = ("time",),
    counted: Sequence[str] = ("time",),
) -> dict[str, Any]:
    """Build and analyse a run: benchmark id -> implementation name -> time per round.

    The first implementation of each benchmark is its baseline.
    """
    results = []
    for benchmark_id, implementations in benchmarks.items():
        names = list(implementations)
        rounds = max(len(times) for times in implementations.values())
        benchmark = BenchmarkResult(
            id=benchmark_id,
            nodeid=benchmark_id.split("[")[0],
            form="decorator",
            baseline=names[0],
            expect=None,
            rounds_requested=rounds,
            rounds=rounds,
            metrics=list(metrics),
            counted_metrics=list(counted),
        )
        for name, times in implementations.items():
            implementation = ImplementationResult(name=name, qualname=name, loops=1)
            implementation.times = list(times)
            implementation.cpu_times = list(times)
            implementation.rounds = list(range(len(times)))
            implementation.positions = [0] * len(times)
            implementation.calls = len(times)
            if peak_memory is not None:
                implementation.peak_memory = peak_memory.get(name)
            benchmark.implementations.append(implementation)
        analyse_benchmark(benchmark, ANALYSIS)
        results.append(benchmark)
    adjust_session(results)
    return run_to_dict(
        tool_version="0.1.0",
        created="2025-01-01T00:00:00+00:00",
        seed=seed,
        settings={
            "rounds": 20, "margin": 0.05, "alpha": 0.05, "confidence_level": 0.95,
            "bootstrap_resamples": 500, "min_win_rate": None, "min_improvement": None,
            "aa": "off",
        },
        environment=environment(),
        benchmarks=results,
        summary=summarise(results, alpha=0.05, min_win_rate=None, min_improvement=None),
    )


def simple_run(function_median: float, seed: int, *, benchmark: str = "test_x.py::test_loop",
               machine: float = 1.0) -> dict[str, Any]:
    """A run of one benchmark: a fixed reference at 1 ms and a function at function_median.

    Both are multiplied by ``machine``, the speed of the machine during the run, and by a
    factor of each round with 4.5% spread. Each sample adds its own 2% noise.
    """
    rng = np.random.default_rng(seed)
    by_round = machine * np.exp(rng.normal(0.0, 0.045, 20))
    return make_run({
        benchmark: {
            "reference": list(1e-3 * by_round * np.exp(rng.normal(0.0, 0.02, 20))),
            "function": list(function_median * by_round * np.exp(rng.normal(0.0, 0.02, 20))),
        }
    }, seed=seed)


def changes_by_implementation(comparison: Any, metric: str = "time") -> dict[str, Any]:
    return {
        change.implementation: change
        for benchmark in comparison.benchmarks
        for change in benchmark.changes
        if change.comparison.metric == metric
    }


def test_slower_function_is_regression() -> None:
    comparison = compare_runs(simple_run(1e-3, 1), simple_run(3e-3, 2))

    changes = changes_by_implementation(comparison)
    assert changes["function"].comparison.verdict == "worse"
    assert changes["function"].comparison.ratio == pytest.approx(3.0, rel=0.1)
    assert changes["reference"].comparison.verdict == "equivalent"
    assert [f.change.implementation for f in comparison.summary.regressions] == ["function"]
    assert comparison.summary.passed is False
    assert comparison.summary.message == "failed: 1 regression"


def test_unchanged_run_passes() -> None:
    comparison = compare_runs(simple_run(1e-3, 1), simple_run(1e-3, 2))

    changes = changes_by_implementation(comparison)
    verdicts = {name: change.comparison.verdict for name, change in changes.items()}
    assert verdicts == {"reference": "equivalent", "function": "equivalent"}
    assert comparison.summary.regressions == []
    assert comparison.summary.passed is True
    assert comparison.summary.message == "passed: no regression"


def test_runs_are_compared_unpaired() -> None:
    comparison = compare_runs(simple_run(1e-3, 1), simple_run(3e-3, 2))

    result = changes_by_implementation(comparison)["function"].comparison
    assert result.n_pairs == 0
    assert result.n_candidate == 20
    assert result.n_baseline == 20
    assert result.ci_method is not None and result.ci_method.startswith("unpaired")
    assert result.p_value_paired is None
    assert result.p_value is not None


def test_old_and_new_values_are_medians() -> None:
    comparison = compare_runs(simple_run(1e-3, 1), simple_run(3e-3, 2), reference="none")

    change = changes_by_implementation(comparison)["function"]
    assert change.relative_to is None
    assert change.old_value == pytest.approx(1e-3, rel=0.05)
    assert change.new_value == pytest.approx(3e-3, rel=0.05)


def test_relative_values_are_geometric_mean_ratios() -> None:
    comparison = compare_runs(simple_run(1e-3, 1), simple_run(3e-3, 2))

    change = changes_by_implementation(comparison)["function"]
    assert change.relative_to == "reference"
    assert change.comparison.unit == "ratio"
    assert change.old_value == pytest.approx(1.0, rel=0.05)
    assert change.new_value == pytest.approx(3.0, rel=0.05)
    # The columns agree with the ratio: both are geometric means of the per-round ratios.
    assert change.new_value / change.old_value == pytest.approx(change.comparison.ratio)


def test_relative_times_cancel_a_slower_machine() -> None:
    # The machine is 50% slower in the new run and the code did not change.
    old, new = simple_run(1e-3, 1), simple_run(1e-3, 2, machine=1.5)

    relative = compare_runs(old, new)
    measured = compare_runs(old, new, reference="none")

    changes = changes_by_implementation(relative)
    assert changes["function"].comparison.verdict == "equivalent"
    assert changes["reference"].comparison.verdict == "worse"
    assert changes["reference"].comparison.counted is False
    assert relative.summary.passed is True
    assert relative.summary.compared == 1
    assert [f.change.implementation for f in measured.summary.regressions] == [
        "reference", "function",
    ]


def test_relative_catches_slowdown_despite_drift() -> None:
    # The function is 20% slower, but the machine of the new run is 20% faster.
    old, new = simple_run(1e-3, 1), simple_run(1.2e-3, 2, machine=0.8)

    relative = compare_runs(old, new)
    measured = compare_runs(old, new, reference="none")

    function = changes_by_implementation(relative)["function"].comparison
    assert function.verdict == "worse"
    assert function.ratio == pytest.approx(1.2, rel=0.03)
    assert [f.change.implementation for f in relative.summary.regressions] == ["function"]
    assert changes_by_implementation(measured)["function"].comparison.verdict != "worse"
    assert measured.summary.regressions == []


def test_relative_comparison_matches_scipy() -> None:
    old, new = simple_run(1e-3, 1), simple_run(1.2e-3, 2, machine=0.8)

    function = changes_by_implementation(compare_runs(old, new))["function"].comparison

    def log_ratios(run: Mapping[str, Any]) -> np.ndarray:
        samples = {
            i["name"]: np.asarray(i["samples"]["time"])
            for i in run["benchmarks"][0]["implementations"]
        }
        return np.log(samples["function"] / samples["reference"])

    # The ratio is exp(mean(new log-ratios) - mean(old log-ratios)), and the p-value that of
    # scipy.stats.ttest_ind(new, old, equal_var=False) on the log-ratios.
    new_logs, old_logs = log_ratios(new), log_ratios(old)
    assert function.ratio == pytest.approx(math.exp(new_logs.mean() - old_logs.mean()), rel=1e-9)
    expected = scipy_stats.ttest_ind(new_logs, old_logs, equal_var=False)
    assert function.p_value == pytest.approx(expected.pvalue, rel=1e-6)
    assert function.n_pairs == 0
    assert (function.n_candidate, function.n_baseline) == (20, 20)


def test_relative_lines_name_the_reference_and_its_move() -> None:
    old, new = simple_run(1e-3, 1), simple_run(1e-3, 2, machine=1.5)

    lines = render_lines(compare_runs(old, new, old_label="main", new_label="branch"))

    reference_row = next(line for line in lines if line.strip().startswith("reference"))
    assert reference_row.split()[:3] == ["reference", "(reference)", "time"]
    function_row = next(line for line in lines if line.strip().startswith("function"))
    assert function_row.split()[:4] == ["function", "time", "0.998x", "1.003x"]
    assert function_row.split()[-2:] == ["equivalent", "0.520"]
    assert ("  time is relative to 'reference' in the same round (1.000x = as fast as "
            "'reference'), and the change of 'reference' itself is not counted") in lines
    moved = next(line for line in lines if line.startswith("  'reference' time moved by ratio"))
    assert moved.endswith(
        "between the runs. Relative times cancel a move of the machine. If the change touched "
        "'reference' itself, compare times as measured with --reference none "
        "(pytest: --bench-compare-reference=none)."
    )
    assert lines[-1] == "gate --fail-on regression: passed: no regression"


def test_equivalent_reference_row_is_still_shown() -> None:
    lines = render_lines(compare_runs(simple_run(1e-3, 1), simple_run(1e-3, 2)))

    rows = [line.split() for line in lines if line.startswith("  reference")]
    assert [row[:3] for row in rows] == [["reference", "(reference)", "time"]]
    assert rows[0][-2] == "equivalent"
    assert not any(line.startswith("  equivalent elsewhere") for line in lines)


def test_changed_baseline_compares_times_as_measured() -> None:
    old = make_run({"b": {"reference": lognormal_times(1e-3, 20, 1),
                          "function": lognormal_times(1e-3, 20, 2)}})
    new = make_run({"b": {"function": lognormal_times(1e-3, 20, 3),
                          "reference": lognormal_times(1e-3, 20, 4)}})

    comparison = compare_runs(old, new)

    benchmark = comparison.benchmarks[0]
    assert benchmark.reference is None
    assert all(change.relative_to is None for change in benchmark.changes)
    assert ("  times are not relative: the baseline changed from 'reference' to 'function', "
            "so times are compared as measured") in render_lines(comparison)


def test_single_implementation_is_compared_as_measured() -> None:
    old = make_run({"b": {"x": lognormal_times(1e-3, 20, 1)}})
    new = make_run({"b": {"x": lognormal_times(3e-3, 20, 2)}})

    comparison = compare_runs(old, new)

    change = comparison.benchmarks[0].changes[0]
    assert change.relative_to is None
    assert change.comparison.verdict == "worse"
    assert not any("relative" in line for line in render_lines(comparison)[1:])


def test_unmeasured_reference_falls_back_to_measured_times() -> None:
    # Without samples of the reference, relative times would leave the gate nothing to check.
    old = make_run({"b": {"reference": lognormal_times(1e-3, 1, 1),
                          "function": lognormal_times(1e-3, 20, 2)}})
    new = make_run({"b": {"reference": lognormal_times(1e-3, 20, 3),
                          "function": lognormal_times(3e-3, 20, 4)}})

    comparison = compare_runs(old, new)

    benchmark = comparison.benchmarks[0]
    assert benchmark.reference is None
    function = changes_by_implementation(comparison)["function"]
    assert function.relative_to is None
    assert function.comparison.verdict == "worse"
    assert [f.change.implementation for f in comparison.summary.regressions] == ["function"]
    lines = render_lines(comparison)
    assert ("  times are not relative: in the old run, baseline 'reference' has 1 successful "
            "sample(s), at least 2 are needed, so times are compared as measured") in lines
    assert "times relative to each baseline" not in lines[0]


def test_reference_alone_in_both_runs_is_not_relative() -> None:
    old = make_run({"b": {"reference": lognormal_times(1e-3, 20, 1),
                          "function": lognormal_times(1e-3, 20, 2)}})
    new = make_run({"b": {"reference": lognormal_times(1e-3, 20, 3),
                          "renamed": lognormal_times(1e-3, 20, 4)}})

    comparison = compare_runs(old, new)

    reference = changes_by_implementation(comparison)["reference"].comparison
    assert reference.counted is True
    assert ("  times are not relative: no implementation other than the baseline 'reference' "
            "is in both runs, so times are compared as measured") in render_lines(comparison)


def test_relative_markdown_marks_the_reference() -> None:
    old, new = simple_run(1e-3, 1), simple_run(1e-3, 2, machine=1.5)

    markdown = render_markdown(compare_runs(old, new))

    assert "Time and CPU time are relative to each benchmark's baseline" in markdown
    assert "| `test_x.py::test_loop` | `reference` (reference) | `time` |" in markdown


def test_markdown_of_measured_times_claims_nothing_relative() -> None:
    old = make_run({"b": {"x": lognormal_times(1e-3, 20, 1)}})
    new = make_run({"b": {"x": lognormal_times(3e-3, 20, 2)}})

    markdown = render_markdown(compare_runs(old, new))

    assert "relative" not in markdown


def test_markdown_lists_fallbacks_and_implementations() -> None:
    old = make_run({"b": {"reference": lognormal_times(1e-3, 20, 1),
                          "function": lognormal_times(1e-3, 20, 2)}})
    new = make_run({"b": {"function": lognormal_times(1e-3, 20, 3),
                          "reference": lognormal_times(1e-3, 20, 4),
                          "added": lognormal_times(1e-3, 20, 5)}})

    markdown = render_markdown(compare_runs(old, new)).splitlines()

    assert ("- `b`: times are not relative: the baseline changed from 'reference' to "
            "'function', so times are compared as measured") in markdown
    assert "- `b`: new implementation 'added'" in markdown


def test_relative_comparison_without_shared_rounds() -> None:
    # The function and the reference never succeed in the same round of the new run.
    old = make_run({"b": {"reference": lognormal_times(1e-3, 20, 1),
                          "function": lognormal_times(1e-3, 20, 2)}})
    new = make_run({"b": {"reference": lognormal_times(1e-3, 20, 3),
                          "function": lognormal_times(1e-3, 20, 4)}})
    for benchmark in new["benchmarks"]:
        for implementation in benchmark["implementations"]:
            samples = implementation["samples"]
            keep = range(0, 20, 2) if implementation["name"] == "reference" else range(1, 20, 2)
            for key in samples:
                samples[key] = [samples[key][index] for index in keep]

    function = changes_by_implementation(compare_runs(old, new))["function"].comparison

    assert function.verdict == "insufficient-data"
    assert function.reason == (
        "time relative to 'reference' has a ratio in 20 round(s) of the old run and 0 of the "
        "new run, but at least 2 of each are needed. A ratio needs both implementations "
        "measured in the same round."
    )


def test_zero_reference_cpu_time_leaves_round_out() -> None:
    old = make_run({"b": {"reference": lognormal_times(1e-3, 20, 1),
                          "function": lognormal_times(1e-3, 20, 2)}}, metrics=("time", "cpu_time"))
    new = make_run({"b": {"reference": lognormal_times(1e-3, 20, 3),
                          "function": lognormal_times(1e-3, 20, 4)}}, metrics=("time", "cpu_time"))
    reference = new["benchmarks"][0]["implementations"][0]
    assert reference["name"] == "reference"
    reference["samples"]["cpu_time"][0] = 0.0
    reference["samples"]["cpu_time"][1] = 0.0

    change = changes_by_implementation(compare_runs(old, new), metric="cpu_time")["function"]

    assert change.comparison.n_candidate == 18
    assert change.comparison.n_baseline == 20
    assert change.new_value is not None and math.isfinite(change.new_value)


def test_unknown_reference_is_rejected() -> None:
    with pytest.raises(ValueError, match="reference 'first' is not one of baseline, none"):
        compare_runs(simple_run(1e-3, 1), simple_run(1e-3, 2), reference="first")


def test_holm_adjusts_over_all_comparisons() -> None:
    old = make_run({
        "a": {"x": lognormal_times(1e-3, 20, 1), "y": lognormal_times(1e-3, 20, 2)},
        "b": {"x": lognormal_times(1e-3, 20, 3)},
    })
    new = make_run({
        "a": {"x": lognormal_times(1e-3, 20, 4), "y": lognormal_times(1e-3, 20, 5)},
        "b": {"x": lognormal_times(1e-3, 20, 6)},
    })

    # Times as measured keep all three comparisons counted, in one family.
    comparison = compare_runs(old, new, reference="none")

    results = [c.comparison for b in comparison.benchmarks for c in b.changes]
    assert len(results) == 3
    p_values = [result.p_value for result in results]
    assert None not in p_values
    # Holm's step-down adjustment: the i-th smallest p (from 0) times 3 - i, made monotone.
    order = sorted(range(3), key=lambda index: p_values[index])
    expected = [0.0] * 3
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (3 - rank) * p_values[index]))
        expected[index] = running
    assert [result.p_value_holm for result in results] == pytest.approx(expected)


def test_worse_without_significance_is_no_regression() -> None:
    # With two values a side the bootstrap interval lies past the margin, but Welch's test on
    # about one degree of freedom gives p = 0.10.
    old = make_run({"a": {"x": [1.00e-3, 1.02e-3]}})
    new = make_run({"a": {"x": [1.20e-3, 1.30e-3]}})

    comparison = compare_runs(old, new)

    result = changes_by_implementation(comparison)["x"].comparison
    assert result.verdict == "worse"
    assert result.p_value_holm is not None
    assert result.p_value_holm > 0.05
    assert comparison.summary.regressions == []
    assert comparison.summary.passed is True


def test_new_and_missing_benchmarks() -> None:
    old = make_run({"kept": {"x": lognormal_times(1e-3, 20, 1)},
                    "removed": {"x": lognormal_times(1e-3, 20, 2)}})
    new = make_run({"kept": {"x": lognormal_times(1e-3, 20, 3)},
                    "added": {"x": lognormal_times(1e-3, 20, 4)}})

    comparison = compare_runs(old, new)

    statuses = {b.id: b.status for b in comparison.benchmarks}
    assert statuses == {"kept": "compared", "added": "new", "removed": "missing"}
    assert comparison.new_benchmarks == ["added"]
    assert comparison.missing_benchmarks == ["removed"]
    assert comparison.summary.passed is True


def test_new_and_missing_implementations() -> None:
    old = make_run({"a": {"x": lognormal_times(1e-3, 20, 1),
                          "gone": lognormal_times(1e-3, 20, 2)}})
    new = make_run({"a": {"x": lognormal_times(1e-3, 20, 3),
                          "fresh": lognormal_times(1e-3, 20, 4)}})

    comparison = compare_runs(old, new)

    benchmark = comparison.benchmarks[0]
    assert benchmark.new_implementations == ["fresh"]
    assert benchmark.missing_implementations == ["gone"]
    assert [c.implementation for c in benchmark.changes] == ["x"]


def test_improvement_fails_any_change() -> None:
    old, new = simple_run(3e-3, 1), simple_run(1e-3, 2)

    regression_gate = compare_runs(old, new, fail_on="regression")
    any_change_gate = compare_runs(old, new, fail_on="any-change")

    assert [f.change.implementation for f in regression_gate.summary.improvements] == ["function"]
    assert regression_gate.summary.passed is True
    assert any_change_gate.summary.passed is False
    assert any_change_gate.summary.message == (
        "failed: 0 regressions and 1 improvement, and --fail-on any-change fails on either"
    )


def test_fail_on_never_passes_regression() -> None:
    comparison = compare_runs(simple_run(1e-3, 1), simple_run(3e-3, 2), fail_on="never")

    assert len(comparison.summary.regressions) == 1
    assert comparison.summary.passed is True
    assert comparison.summary.message == "report only (--fail-on never): 1 regression"


def test_unknown_fail_on_raises() -> None:
    with pytest.raises(ValueError, match="fail_on 'sometimes' is not one of regression"):
        compare_runs(simple_run(1e-3, 1), simple_run(1e-3, 2), fail_on="sometimes")


def test_evaluate_gate_messages() -> None:
    assert evaluate_gate(2, 0, "regression") == (False, "failed: 2 regressions")
    assert evaluate_gate(0, 3, "regression") == (True, "passed: no regression")
    assert evaluate_gate(0, 0, "any-change") == (True, "passed: no regression and no improvement")


def test_deterministic_metric_counts_when_chosen() -> None:
    times = {"x": lognormal_times(1e-3, 20, 1)}
    old = make_run({"a": times}, peak_memory={"x": 1000},
                   metrics=("time", "peak_memory"), counted=("time", "peak_memory"))
    new = make_run({"a": {"x": lognormal_times(1e-3, 20, 2)}}, peak_memory={"x": 2000},
                   metrics=("time", "peak_memory"), counted=("time", "peak_memory"))

    comparison = compare_runs(old, new)

    memory = changes_by_implementation(comparison, "peak_memory")["x"]
    assert memory.comparison.verdict == "worse"
    assert memory.comparison.kind == "deterministic"
    assert memory.old_value == 1000
    assert memory.new_value == 2000
    assert [f.change.comparison.metric for f in comparison.summary.regressions] == ["peak_memory"]


def test_uncounted_metric_is_no_regression() -> None:
    old = make_run({"a": {"x": lognormal_times(1e-3, 20, 1)}}, peak_memory={"x": 1000},
                   metrics=("time", "peak_memory"))
    new = make_run({"a": {"x": lognormal_times(1e-3, 20, 2)}}, peak_memory={"x": 2000},
                   metrics=("time", "peak_memory"))

    comparison = compare_runs(old, new)

    assert changes_by_implementation(comparison, "peak_memory")["x"].comparison.verdict == "worse"
    assert comparison.summary.regressions == []


def test_too_few_samples_is_insufficient_data() -> None:
    old = make_run({"a": {"x": [1e-3]}})
    new = make_run({"a": {"x": lognormal_times(1e-3, 20, 2)}})

    comparison = compare_runs(old, new)

    result = changes_by_implementation(comparison)["x"].comparison
    assert result.verdict == "insufficient-data"
    assert result.reason == (
        "in the old run, 'x' has 1 successful sample(s), at least 2 are needed"
    )
    assert comparison.summary.compared == 0
    assert comparison.summary.passed is True
    assert render_lines(comparison)[-2:] == [
        "warning: no counted comparison reached a verdict, so the gate checked nothing",
        "gate --fail-on regression: passed: no regression",
    ]


def test_same_seed_repeats_interval() -> None:
    old, new = simple_run(1e-3, 1), simple_run(1.5e-3, 2)

    first = changes_by_implementation(compare_runs(old, new, seed=5))["function"].comparison
    second = changes_by_implementation(compare_runs(old, new, seed=5))["function"].comparison

    assert first.ci == second.ci


def test_environment_differences_listed() -> None:
    old, new = simple_run(1e-3, 1), simple_run(1e-3, 2)
    new["environment"] = {**new["environment"], "python": "3.99.0", "cpu_count": 512}

    comparison = compare_runs(old, new)

    assert comparison.environment_differences == [
        f"python {old['environment']['python']} -> 3.99.0",
        f"cpu_count {old['environment']['cpu_count']} -> 512",
    ]


def test_render_lines_shows_table_and_gate() -> None:
    comparison = compare_runs(simple_run(1e-3, 1), simple_run(3e-3, 2),
                              old_label="main", new_label="branch")

    lines = render_lines(comparison)

    assert lines[0] == ("statbench compare: branch against main (margin 5%, alpha 0.05, "
                        "unpaired; times relative to each baseline)")
    assert "test_x.py::test_loop" in lines
    header = next(line for line in lines if line.strip().startswith("implementation"))
    assert header.split() == ["implementation", "metric", "old", "new", "ratio", "[95%",
                              "CI]", "verdict", "p", "(Holm)"]
    function_row = next(line for line in lines if line.strip().startswith("function"))
    assert "worse" in function_row
    assert lines[-1] == "gate --fail-on regression: failed: 1 regression"


def test_render_lines_lists_new_and_missing() -> None:
    old = make_run({"removed": {"x": lognormal_times(1e-3, 20, 1)}})
    new = make_run({"added": {"x": lognormal_times(1e-3, 20, 2)}})

    lines = render_lines(compare_runs(old, new))

    assert "added: new, only in new" in lines
    assert "removed: missing, only in old" in lines
    assert "new benchmarks: added" in lines
    assert "missing benchmarks: removed" in lines


def test_render_markdown_escapes_names() -> None:
    old = make_run({"test_a.py::test[a|b]": {"x`y": lognormal_times(1e-3, 20, 1)}})
    new = make_run({"test_a.py::test[a|b]": {"x`y": lognormal_times(3e-3, 20, 2)}})

    markdown = render_markdown(compare_runs(old, new))

    assert "| `test_a.py::test[a\\|b]` | ``x`y`` | `time` |" in markdown
    assert "**Gate `--fail-on regression`: failed: 1 regression.**" in markdown


def test_merge_runs_offsets_rounds() -> None:
    first = simple_run(1e-3, 1)
    second = simple_run(1e-3, 2)

    merged = merge_runs([first, second], seed=9)

    validate_run(merged)
    benchmark = merged["benchmarks"][0]
    assert benchmark["rounds"] == 40
    function = next(i for i in benchmark["implementations"] if i["name"] == "function")
    assert function["samples"]["round"] == list(range(40))
    assert len(function["samples"]["time"]) == 40
    assert function["calls"] == 40
    assert merged["seed"] == 9
    assert merged["notes"] == [
        "merged from 2 runs (seeds 1, 2); rounds are paired within a run only"
    ]


def test_merge_runs_reanalyses_comparisons() -> None:
    merged = merge_runs([simple_run(3e-3, 1), simple_run(3e-3, 2)])

    comparison = merged["benchmarks"][0]["comparisons"][0]
    assert comparison["candidate"] == "function"
    assert comparison["n_pairs"] == 40
    assert comparison["verdict"] == "worse"
    assert merged["summary"]["verdicts"]["worse"] == 1


def test_merge_single_run_is_unchanged() -> None:
    run = simple_run(1e-3, 1)

    assert merge_runs([run]) == run


def test_merge_runs_notes_partial_benchmark() -> None:
    first = make_run({"a": {"x": lognormal_times(1e-3, 20, 1)},
                      "b": {"x": lognormal_times(1e-3, 20, 2)}})
    second = make_run({"a": {"x": lognormal_times(1e-3, 20, 3)}})

    merged = merge_runs([first, second])

    partial = next(b for b in merged["benchmarks"] if b["id"] == "b")
    assert "this benchmark ran in 1 of the 2 runs" in partial["notes"]


def test_merge_runs_needs_a_run() -> None:
    with pytest.raises(ValueError, match="merge_runs needs at least one run"):
        merge_runs([])


def test_renderers_reachable_from_runcompare() -> None:
    from pytest_statbench import runcompare

    assert runcompare.render_lines is render_lines
    assert runcompare.render_markdown is render_markdown
    with pytest.raises(AttributeError, match="has no attribute 'render_html'"):
        runcompare.render_html  # noqa: B018
