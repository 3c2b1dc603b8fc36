"""Compare the built-in RAG workflow styles and write HTML, JSON and CSV reports.

Usage: python example_benchmarks/api_basic.py [OUTPUT_FOLDER] [--rounds N]
Runs offline against deterministic fake clients; the output folder defaults to a new
temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from pytest_statbench.suite import BenchmarkReport, BenchmarkRunner, BenchmarkSuite
from pytest_statbench.suite.workflows import RAGWorkflowBenchmark


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", help="folder for the reports (default: temporary)")
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
    suite.add_benchmark("rag_workflow", RAGWorkflowBenchmark(complexity_level="intermediate"))
    runner = BenchmarkRunner(
        rounds=arguments.rounds,
        seed=arguments.seed,
        min_sample_time=arguments.min_sample_time,
        warmup_time=arguments.warmup_time,
    )
    results = await runner.run_suite(suite)

    report = BenchmarkReport(results)
    report.save_html(output / "report.html")
    report.save_json(output / "results.json")
    report.export_csv(output / "comparisons.csv")

    for result in results:
        if not result.success:
            print(f"{result.benchmark_name} failed: {result.error}")
        for note in result.metadata.get("skipped", []):
            print(f"{result.benchmark_name}: {note}")
    for line in report.get_executive_summary()["findings"]:
        print(line)
    print(f"wrote report.html, results.json and comparisons.csv to {output}")
    return 0 if all(result.success for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
