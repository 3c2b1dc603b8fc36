"""Fail a CI job unless candidates beat their baselines: win-rate and improvement gates.

Usage: python example_benchmarks/api_ci_gate.py [OUTPUT_FOLDER] [--min-win-rate F]
       [--min-improvement F] [--rounds N]
Exits 0 when every gate passes, 1 when a gate fails or a benchmark fails, and writes the
reports either way.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from pytest_statbench.suite import BenchmarkReport, BenchmarkRunner, BenchmarkSuite
from pytest_statbench.suite.workflows import CachingBenchmark, ParallelProcessingBenchmark


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", help="folder for the reports (default: temporary)")
    parser.add_argument("--min-win-rate", type=float, default=0.75,
                        help="share of time comparisons a candidate must win (0 to 1)")
    parser.add_argument("--min-improvement", type=float, default=0.2,
                        help="average share of time saved, from the geometric mean ratio")
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds (>= 10)")
    parser.add_argument("--min-sample-time", type=float, default=0.002, help="seconds")
    parser.add_argument("--warmup-time", type=float, default=0.01, help="seconds")
    parser.add_argument("--seed", type=int, default=None, help="seed of the round order")
    return parser.parse_args()


async def main() -> int:
    arguments = parse_arguments()
    output = Path(arguments.output or tempfile.mkdtemp(prefix="statbench-api-"))
    output.mkdir(parents=True, exist_ok=True)

    suite = BenchmarkSuite()
    suite.add_benchmark("parallel", ParallelProcessingBenchmark())
    suite.add_benchmark("caching", CachingBenchmark())
    runner = BenchmarkRunner(
        rounds=arguments.rounds,
        seed=arguments.seed,
        min_sample_time=arguments.min_sample_time,
        warmup_time=arguments.warmup_time,
        retry_failed=True,
        max_retries=1,
    )
    results = await runner.run_suite(suite)

    report = BenchmarkReport(
        results,
        min_win_rate=arguments.min_win_rate,
        min_improvement=arguments.min_improvement,
    )
    report.save_json(output / "results.json")
    report.save_html(output / "report.html")
    report.export_csv(output / "comparisons.csv")

    summary = report.get_statistical_summary()
    for gate in summary["gates"]:
        print(f"{'PASS' if gate['passed'] else 'FAIL'} {gate['message']}")
    failed = [result for result in results if not result.success]
    for result in failed:
        print(f"FAIL {result.benchmark_name}: {result.error}")
    print(f"reports in {output}")
    return 0 if summary["passed"] and not failed else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
