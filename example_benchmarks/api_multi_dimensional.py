"""Measure several workflow benchmarks on time, memory, code size, calls, cost and caching.

Usage: python example_benchmarks/api_multi_dimensional.py [OUTPUT_FOLDER] [--rounds N]
Runs offline against deterministic fake clients; token prices are an example table, not any
provider's prices.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from pytest_statbench.suite import BenchmarkReport, BenchmarkRunner, BenchmarkSuite
from pytest_statbench.suite.workflows import (
    CachingBenchmark,
    LLMRouterBenchmark,
    ParallelProcessingBenchmark,
    RAGWorkflowBenchmark,
)

# Example USD prices per token, used to turn recorded token counts into api_cost.
PRICES = {"input_tokens": 3e-06, "output_tokens": 1.5e-05}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", help="folder for the reports (default: temporary)")
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds (>= 10)")
    parser.add_argument("--min-sample-time", type=float, default=0.002, help="seconds")
    parser.add_argument("--warmup-time", type=float, default=0.01, help="seconds")
    parser.add_argument("--seed", type=int, default=None, help="seed of the round order")
    return parser.parse_args()


def show(value: float | None, scale: float = 1.0, digits: int = 3) -> str:
    return "-" if value is None else f"{value * scale:.{digits}g}"


async def main() -> int:
    arguments = parse_arguments()
    output = Path(arguments.output or tempfile.mkdtemp(prefix="statbench-api-"))
    output.mkdir(parents=True, exist_ok=True)

    suite = BenchmarkSuite()
    suite.add_benchmark("rag_workflow", RAGWorkflowBenchmark(
        complexity_level="advanced", prices=PRICES,
        metrics=["time", "peak_memory", "loc", "complexity_max", "api_calls", "api_cost"],
    ))
    suite.add_benchmark("llm_router", LLMRouterBenchmark(routing_scenarios=["complex"],
                                                         prices=PRICES))
    suite.add_benchmark("parallel", ParallelProcessingBenchmark())
    suite.add_benchmark("caching", CachingBenchmark())
    runner = BenchmarkRunner(
        rounds=arguments.rounds,
        seed=arguments.seed,
        min_sample_time=arguments.min_sample_time,
        warmup_time=arguments.warmup_time,
    )
    results = await runner.run_suite(suite)

    print(f"{'benchmark':<14} {'framework':<16} {'time ms':>8} {'memory B':>9} {'loc':>4} "
          f"{'calls':>6} {'cost USD':>9} {'hit rate':>8}")
    for result in results:
        if not result.success:
            print(f"{result.benchmark_name} failed: {result.error}")
            continue
        for name, metrics in result.framework_results.items():
            print(
                f"{result.benchmark_name:<14} {name:<16} "
                f"{show(metrics.execution_time, 1000):>8} {show(metrics.memory_usage):>9} "
                f"{show(metrics.lines_of_code):>4} {show(metrics.api_calls):>6} "
                f"{show(metrics.cost_per_request):>9} {show(metrics.cache_hit_rate):>8}"
            )

    report = BenchmarkReport(results)
    report.save_html(output / "report.html", include_charts=True, include_raw_data=True)
    report.save_json(output / "results.json")
    report.export_csv(output / "comparisons.csv", samples_path=output / "samples.csv")
    summary = report.get_executive_summary()
    print(f"{summary['significant_results']} of {summary['total_comparisons']} time "
          f"comparisons significant after Holm's correction; verdicts {summary['verdicts']}")
    print(f"wrote report.html, results.json, comparisons.csv and samples.csv to {output}")
    return 0 if all(result.success for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
