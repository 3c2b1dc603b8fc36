"""Acceptance tests of metrics other than time: built-in, recorded, derived and supplied."""

from __future__ import annotations

from typing import Any

import pytest
from inner_run import FAST_AND_SLOW, output_of, read_json, run_bench, run_smoke


def comparison_of(run: dict[str, Any], candidate: str, metric: str) -> dict[str, Any]:
    for comparison in run["benchmarks"][0]["comparisons"]:
        if comparison["candidate"] == candidate and comparison["metric"] == metric:
            return comparison
    raise AssertionError(f"no {metric} comparison for {candidate}")


def test_default_metrics_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics=FAST_AND_SLOW + """
    @pytest.mark.benchmark
    @compare(fast=fast, slow=slow, baseline="slow")
    def test_x(bench, impl):
        bench(impl)
    """)

    run_bench(pytester, "--bench-json=out.json")

    run = read_json(pytester.path / "out.json")
    metrics = [c["metric"] for c in run["benchmarks"][0]["comparisons"]]
    assert metrics == [
        "time", "cpu_time", "peak_memory", "success_rate", "loc", "complexity_max",
        "maintainability_index",
    ]
    assert run["summary"]["comparisons"] == 1


def test_code_metrics_exact(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics="""
    import pytest
    from pytest_statbench import compare

    def short(values):
        return sum(values)

    def long(values):
        total = 0
        for value in values:
            if value > 0:
                total += value
            else:
                total -= value
        return total

    @pytest.mark.benchmark
    @compare(short=short, long=long, baseline="long")
    def test_x(bench, impl):
        bench(impl, [1, 2, 3])
    """)

    run_bench(pytester, "--bench-json=out.json")

    run = read_json(pytester.path / "out.json")
    loc = comparison_of(run, "short", "loc")
    # short is 2 lines, long is 8; McCabe: short 1, long 1 + for + if = 3.
    assert (loc["candidate_value"], loc["baseline_value"]) == (2, 8)
    assert loc["verdict"] == "better"
    complexity = comparison_of(run, "short", "complexity_max")
    assert (complexity["candidate_value"], complexity["baseline_value"]) == (1, 3)


def test_builtin_code_unavailable(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics="""
    import pytest
    from pytest_statbench import compare

    def count(values):
        return len(values)

    @pytest.mark.benchmark
    @compare(builtin=len, python=count, baseline="python")
    def test_x(bench, impl):
        bench(impl, [1, 2, 3])
    """)

    result = run_bench(pytester, "--bench-json=out.json")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    loc = comparison_of(read_json(pytester.path / "out.json"), "builtin", "loc")
    assert loc["verdict"] == "insufficient-data"
    assert loc["reason"].startswith("code metrics of 'builtin' unavailable: ")


RECORDING = """
    import pytest
    from pytest_statbench import compare

    def chatty(bench):
        bench.record("api_calls", 3)
        bench.record("input_tokens", 100)
        bench.record("cache_hits", 1)
        bench.record("cache_misses", 3)

    def frugal(bench):
        bench.record("api_calls", 1)
        bench.record("input_tokens", 40)
        bench.record("cache_hits", 3)
        bench.record("cache_misses", 1)
"""


def test_recorded_metric_compared(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics=RECORDING + """
    @pytest.mark.benchmark
    @compare(chatty=chatty, frugal=frugal, baseline="chatty",
             prices={"input_tokens": 0.001})
    def test_x(bench, impl):
        bench(impl, bench)
    """)

    result = run_bench(pytester, "--bench-json=out.json")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    run = read_json(pytester.path / "out.json")
    api_calls = comparison_of(run, "frugal", "api_calls")
    # Every call records the same count, so the per-call mean is exact in every round.
    assert api_calls["ratio"] == pytest.approx(1 / 3)
    hit_rate = comparison_of(run, "frugal", "cache_hit_rate")
    assert hit_rate["ratio"] == pytest.approx(3.0)
    assert hit_rate["better"] == "higher"
    cost = comparison_of(run, "frugal", "api_cost")
    assert cost["ratio"] == pytest.approx(0.4)


def test_recorded_in_body_is_deterministic(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics=FAST_AND_SLOW + """
    TOKENS = {"fast": 10, "slow": 40}

    @pytest.mark.benchmark
    @compare(fast=fast, slow=slow, baseline="slow")
    def test_x(bench, impl):
        bench(impl)
        bench.record("tokens", TOKENS[impl.__name__], unit="tokens")
    """)

    run_bench(pytester, "--bench-json=out.json")

    tokens = comparison_of(read_json(pytester.path / "out.json"), "fast", "tokens")
    assert tokens["kind"] == "deterministic"
    assert (tokens["candidate_value"], tokens["baseline_value"]) == (10, 40)
    assert tokens["verdict"] == "better"


def test_record_outside_implementation_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics="""
    def test_x(bench):
        bench.record("api_calls", 1)
    """)

    result = run_smoke(pytester)

    result.stdout.fnmatch_lines([
        ("BenchUsageError: bench.record('api_calls', ...) was called outside a measured "
        "implementation; call it from inside an implementation, or from a @compare test body "
        "after bench(impl, ...)")
    ])


def test_record_builtin_name_rejected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics=FAST_AND_SLOW + """
    @pytest.mark.benchmark
    @compare(fast=fast, slow=slow, baseline="slow")
    def test_x(bench, impl):
        bench(impl)
        bench.record("time", 1.0)
    """)

    result = run_bench(pytester)

    result.stdout.fnmatch_lines([
        ("BenchUsageError: bench.record: 'time' is a built-in metric measured by "
        "pytest-statbench; record under another name")
    ])


def test_counted_metric_gates(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics=FAST_AND_SLOW + """
    @pytest.mark.benchmark
    @compare(fast=fast, slow=slow, baseline="slow", metrics=["time", "loc"],
             counted=["time", "loc"])
    def test_x(bench, impl):
        bench(impl)
    """)

    result = run_bench(pytester, "--bench-json=out.json", "--bench-min-win-rate=1.0")

    # fast wins on time but has as many lines as slow, so one of two counted comparisons wins.
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    summary = read_json(pytester.path / "out.json")["summary"]
    assert (summary["wins"], summary["comparisons"]) == (1, 2)


def test_metrics_option_selects(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics=FAST_AND_SLOW + """
    @pytest.mark.benchmark
    @compare(fast=fast, slow=slow, baseline="slow")
    def test_x(bench, impl):
        bench(impl)
    """)

    run_bench(pytester, "--bench-json=out.json", "--bench-metrics=time,peak_memory")

    run = read_json(pytester.path / "out.json")
    assert [c["metric"] for c in run["benchmarks"][0]["comparisons"]] == ["time", "peak_memory"]


def test_metrics_option_typo_rejected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics="def test_plain():\n    pass\n")

    result = run_bench(pytester, "--bench-metrics=time,peak_memroy")

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output_of(result)
    assert "'peak_memroy' is not a metric; did you mean 'peak_memory'?" in result.stderr.str()


def test_supplied_values_in_json(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics=FAST_AND_SLOW + """
    @pytest.mark.benchmark
    @compare(fast=fast, slow=slow, baseline="slow",
             supplied={"fast": {"development_hours": 4, "learning_curve": "steep"}})
    def test_x(bench, impl):
        bench(impl)
    """)

    run_bench(pytester, "--bench-json=out.json")

    implementations = read_json(pytester.path / "out.json")["benchmarks"][0]["implementations"]
    supplied = {i["name"]: i["supplied"] for i in implementations}
    assert supplied == {
        "fast": {"development_hours": 4, "learning_curve": "steep"},
        "slow": {},
    }


def test_supplied_unknown_name_rejected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_metrics=FAST_AND_SLOW + """
    @pytest.mark.benchmark
    @compare(fast=fast, slow=slow, baseline="slow", supplied={"fats": {"hours": 1}})
    def test_x(bench, impl):
        bench(impl)
    """)

    result = run_bench(pytester)

    result.stdout.fnmatch_lines([
        ("BenchUsageError: @compare: supplied values for 'fats', which is not an implementation "
        "('fast', 'slow')")
    ])
