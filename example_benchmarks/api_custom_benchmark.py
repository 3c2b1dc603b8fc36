"""Write a custom benchmark: three ways to build a CSV line, one of them sandboxed Code.

Usage: python example_benchmarks/api_custom_benchmark.py [OUTPUT_FOLDER] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import tempfile
from pathlib import Path

from pytest_statbench.sandbox import Code
from pytest_statbench.suite import (
    Benchmark,
    BenchmarkContext,
    BenchmarkReport,
    BenchmarkResult,
    BenchmarkRunner,
    BenchmarkSuite,
)

ROW = [f"field{index}" for index in range(50)]

# Runs in a sandbox worker process; arguments and the return value travel as JSON.
JOIN_IN_SANDBOX = Code("def line(row):\n    return ','.join(row)\n", entry="line")


def join_line(row: list[str]) -> str:
    return ",".join(row)


def csv_module_line(row: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(row)
    return buffer.getvalue()


def concatenated_line(row: list[str]) -> str:
    text = ""
    for index, field in enumerate(row):
        text += field if index == 0 else "," + field
    return text


class CsvLineBenchmark(Benchmark):
    name = "csv_line"
    description = "One CSV line from 50 fields: concatenation, str.join, the csv module"

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        sandboxed = await context.execute(JOIN_IN_SANDBOX, ROW)
        context.log(f"sandboxed join returned {len(sandboxed)} characters")
        await context.compare(
            {
                "concatenate": concatenated_line,
                "join": join_line,
                "csv_module": csv_module_line,
                "join_sandboxed": JOIN_IN_SANDBOX,
            },
            baseline="concatenate",
            args=(ROW,),
            same_result=True,
        )
        context.result.metadata["fields"] = len(ROW)
        return context.result


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
    suite.add_benchmark("csv_line", CsvLineBenchmark())
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
            continue
        for candidate in ("join", "csv_module", "join_sandboxed"):
            comparison = report.compare_frameworks(candidate, "concatenate")
            print(f"{candidate} vs concatenate: ratio {comparison['ratio']:.3g}, "
                  f"verdict {comparison['verdict']}")
        effect = report.get_effect_size("join", "csv_module")
        print(f"join vs csv_module: Cohen's d {effect.value}, band {effect.band}")
    print(f"wrote report.html, results.json and comparisons.csv to {output}")
    return 0 if all(result.success for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
