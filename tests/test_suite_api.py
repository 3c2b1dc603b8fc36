"""BenchmarkSuite, BenchmarkRunner, Benchmark and BenchmarkContext on the real engine."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pytest_statbench.sandbox import Code
from pytest_statbench.suite import (
    Benchmark,
    BenchmarkContext,
    BenchmarkResult,
    BenchmarkRunner,
    BenchmarkSuite,
)
from pytest_statbench.suite.api import record_metric

TINY: dict[str, Any] = {"rounds": 10, "seed": 7, "min_sample_time": 0.0002, "warmup_time": 0.001,
        "bootstrap_resamples": 400}


def tiny_runner(**overrides: Any) -> BenchmarkRunner:
    return BenchmarkRunner(**{**TINY, **overrides})


def slow_sum(n: int) -> int:
    total = 0
    for value in range(n):
        total += value
    return total


def fast_sum(n: int) -> int:
    return n * (n - 1) // 2


def wrong_sum(n: int) -> int:
    return n


class SumBenchmark(Benchmark):
    name = "sums"

    def __init__(self, frameworks: dict[str, Any] | None = None, same_result: bool = True) -> None:
        self.frameworks = frameworks or {"slow": slow_sum, "fast": fast_sum}
        self.same_result = same_result

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        await context.compare(
            self.frameworks, baseline="slow", args=(2000,), same_result=self.same_result
        )
        return context.result


class FailingBenchmark(Benchmark):
    name = "failing"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"failure {self.calls}")
        return context.result


class SlowBenchmark(Benchmark):
    name = "slow"
    timeout = 0.05

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        await asyncio.sleep(5)
        return context.result


def test_suite_add_list_remove() -> None:
    suite = BenchmarkSuite()
    first, second = SumBenchmark(), FailingBenchmark(0)
    suite.add_benchmark("a", first)
    suite.add_benchmark("b", second)

    assert suite.list_benchmarks() == ["a", "b"]
    assert len(suite) == 2
    assert suite.remove_benchmark("a") is first
    assert suite.list_benchmarks() == ["b"]


def test_suite_rejects_duplicates_and_unknown() -> None:
    suite = BenchmarkSuite()
    suite.add_benchmark("a", SumBenchmark())

    with pytest.raises(ValueError, match="already in the suite"):
        suite.add_benchmark("a", SumBenchmark())
    with pytest.raises(KeyError, match="no benchmark named 'missing'"):
        suite.remove_benchmark("missing")
    with pytest.raises(TypeError, match="not a Benchmark"):
        suite.add_benchmark("c", object())  # type: ignore[arg-type]


def test_compare_measures_real_samples() -> None:
    runner = tiny_runner()
    result = asyncio.run(runner.run_benchmark(SumBenchmark()))

    assert result.success, result.error
    assert len(result.records) == 1
    record = result.records[0]
    assert record.rounds == 10
    slow, fast = result.framework_results["slow"], result.framework_results["fast"]
    assert len(slow.execution_time_samples) == 10
    assert len(fast.execution_time_samples) == 10
    assert fast.execution_time is not None and slow.execution_time is not None
    assert fast.success_rate == 1.0
    assert fast.memory_usage is not None
    assert fast.lines_of_code is not None
    time_comparison = next(c for c in record.comparisons if c.metric == "time")
    assert time_comparison.candidate == "fast"
    assert time_comparison.verdict == "better"
    assert result.comparison_metrics["sums"]["fast"] is fast


def test_runner_counts_executions() -> None:
    runner = tiny_runner()
    suite = BenchmarkSuite()
    suite.add_benchmark("sums", SumBenchmark())
    suite.add_benchmark("failing", FailingBenchmark(failures=5))

    results = asyncio.run(runner.run_suite(suite))

    assert [r.benchmark_name for r in results] == ["sums", "failing"]
    assert results[0].success
    assert not results[1].success
    assert results[1].error == "RuntimeError: failure 1"
    assert runner.total_executions == 2
    assert runner.success_rate == 0.5


def test_runner_retries_failed_benchmark() -> None:
    runner = tiny_runner(retry_failed=True, max_retries=2)
    result = asyncio.run(runner.run_benchmark(FailingBenchmark(failures=2)))

    assert result.success
    assert result.attempts == 3
    assert any("retrying" in line for line in result.execution_logs)


def test_runner_gives_up_after_max_retries() -> None:
    runner = tiny_runner(retry_failed=True, max_retries=1)
    result = asyncio.run(runner.run_benchmark(FailingBenchmark(failures=5)))

    assert not result.success
    assert result.attempts == 2
    assert result.error == "RuntimeError: failure 2"


def test_runner_timeout_fails_result() -> None:
    result = asyncio.run(tiny_runner().run_benchmark(SlowBenchmark()))

    assert not result.success
    assert result.error is not None
    assert "timed out after 0.05 s" in result.error


def test_same_result_mismatch_fails_result() -> None:
    benchmark = SumBenchmark({"slow": slow_sum, "wrong": wrong_sum})
    result = asyncio.run(tiny_runner().run_benchmark(benchmark))

    assert not result.success
    assert result.error is not None
    assert result.error.startswith("ResultMismatch")
    assert "wrong returned 2000" in result.error


def test_raising_framework_is_not_measured() -> None:
    def broken(n: int) -> int:
        raise ValueError("broken framework")

    benchmark = SumBenchmark({"slow": slow_sum, "broken": broken}, same_result=False)
    result = asyncio.run(tiny_runner().run_benchmark(benchmark))

    assert result.success
    broken_metrics = result.framework_results["broken"]
    assert broken_metrics.error == "ValueError: broken framework"
    assert broken_metrics.execution_time is None
    verdicts = {c.verdict for c in result.records[0].comparisons if c.metric == "time"}
    assert verdicts == {"insufficient-data"}


def test_code_framework_and_execute() -> None:
    code = Code("def work(n):\n    return n * (n - 1) // 2\n", entry="work")

    class CodeBenchmark(Benchmark):
        name = "code"

        async def run(self, context: BenchmarkContext) -> BenchmarkResult:
            context.result.metadata["executed"] = await context.execute(code, 10)
            context.result.metadata["loc"] = context.code_metrics(code)["loc"]
            await context.compare(
                {"slow": slow_sum, "code": code}, baseline="slow", args=(2000,),
                same_result=True,
            )
            return context.result

    result = asyncio.run(tiny_runner().run_benchmark(CodeBenchmark()))

    assert result.success, result.error
    assert result.metadata["executed"] == 45
    assert result.metadata["loc"] == 2
    assert len(result.framework_results["code"].execution_time_samples) == 10


def test_recorded_metrics_and_cost() -> None:
    async def two_calls(n: int) -> int:
        record_metric("api_calls", 2, unit="calls")
        record_metric("input_tokens", 100, unit="tokens")
        return n

    async def one_call(n: int) -> int:
        record_metric("api_calls", 1, unit="calls")
        record_metric("input_tokens", 40, unit="tokens")
        return n

    class Priced(Benchmark):
        name = "priced"

        async def run(self, context: BenchmarkContext) -> BenchmarkResult:
            await context.compare(
                {"two": two_calls, "one": one_call}, baseline="two", args=(1,),
                prices={"input_tokens": 0.001}, same_result=True,
            )
            return context.result

    result = asyncio.run(tiny_runner().run_benchmark(Priced()))

    assert result.success, result.error
    one = result.framework_results["one"]
    assert one.api_calls == 1.0
    assert one.custom["input_tokens"] == 40.0
    assert one.cost_per_request == pytest.approx(0.04)
    cost = next(c for c in result.records[0].comparisons if c.metric == "api_cost")
    assert cost.verdict == "better"


def test_record_metric_outside_compare_is_ignored() -> None:
    record_metric("api_calls", 1)


def test_cache_results_returns_cached_result() -> None:
    runner = tiny_runner(cache_results=True)
    benchmark = SumBenchmark()

    first = asyncio.run(runner.run_benchmark(benchmark))
    second = asyncio.run(runner.run_benchmark(benchmark))

    assert second is first


def test_compare_rejects_bad_arguments() -> None:
    class Bad(Benchmark):
        name = "bad"

        def __init__(self, **options: Any) -> None:
            self.options = options

        async def run(self, context: BenchmarkContext) -> BenchmarkResult:
            await context.compare({"slow": slow_sum, "fast": fast_sum}, args=(10,), **self.options)
            return context.result

    runner = tiny_runner()
    missing = asyncio.run(runner.run_benchmark(Bad(baseline="other")))
    few_rounds = asyncio.run(runner.run_benchmark(Bad(baseline="slow", rounds=3)))

    assert missing.error is not None
    assert "baseline 'other' is not among the frameworks" in missing.error
    assert few_rounds.error is not None
    assert "rounds=3 is below 10" in few_rounds.error


def test_runner_rejects_invalid_settings() -> None:
    with pytest.raises(ValueError, match="rounds=3 is below the minimum of 10"):
        BenchmarkRunner(rounds=3)
    with pytest.raises(ValueError, match="sandbox='docker' is not a backend; use 'local' or 'e2b'"):
        BenchmarkRunner(sandbox="docker")
    with pytest.raises(ValueError, match="max_concurrent=0"):
        BenchmarkRunner(max_concurrent=0)


def test_metric_aliases_select_engine_metrics() -> None:
    class Aliased(Benchmark):
        name = "aliased"

        async def run(self, context: BenchmarkContext) -> BenchmarkResult:
            await context.compare(
                {"slow": slow_sum, "fast": fast_sum}, baseline="slow", args=(100,),
                metrics=["execution_time", "lines_of_code"],
            )
            return context.result

    result = asyncio.run(tiny_runner().run_benchmark(Aliased()))

    assert result.success, result.error
    assert result.records[0].metrics == ["time", "loc"]


def test_log_file_receives_failures(tmp_path: Any) -> None:
    log_file = tmp_path / "runner.log"
    runner = tiny_runner(log_level="INFO", log_file=str(log_file))
    try:
        asyncio.run(runner.run_benchmark(FailingBenchmark(failures=1)))
    finally:
        runner.close()

    text = log_file.read_text(encoding="utf-8")
    assert "failing: attempt 1 failed: RuntimeError: failure 1" in text
    assert "attempt 1 started" in text


def test_concurrent_suite_measures_each() -> None:
    suite = BenchmarkSuite()
    suite.add_benchmark("first", SumBenchmark())
    suite.add_benchmark("second", SumBenchmark())
    runner = tiny_runner(max_concurrent=2)

    results = asyncio.run(runner.run_suite(suite))

    assert [r.success for r in results] == [True, True]
    assert [r.records[0].id for r in results] == ["first", "second"]
    assert [r.records[0].rounds for r in results] == [10, 10]
