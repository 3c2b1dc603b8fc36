"""Time the reports of a large synthetic run and measure their sizes.

The run has 500 comparisons by default: benchmarks of 4 implementations (a baseline and 3
candidates) with 30 rounds each, so 167 benchmarks, the last with 2 comparisons instead of 3.
Samples are drawn from log-normal distributions with a fixed seed, and the statistics of each
comparison are made up to look plausible: the run tests the reports, not the analysis. The run
is validated against the JSON Schema before it is timed.

    python benchmarks/report_size.py [--comparisons 500] [--implementations 4] [--rounds 30]
                                     [--repeats 5] [--output FILE] [--write-dir DIR]

Each report is rendered --repeats times, and the table shows the fastest and the median time.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_statbench.report.csvreport import comparisons_csv, samples_csv
from pytest_statbench.report.html import render_html
from pytest_statbench.report.markdown import markdown_summary
from pytest_statbench.results import dumps_run
from pytest_statbench.schema import load_run

VERDICT_WEIGHTS = {
    "better": 4,
    "worse": 2,
    "equivalent": 3,
    "inconclusive": 2,
    "insufficient-data": 1,
}


def build_run(comparisons: int, implementations: int, rounds: int, seed: int = 1) -> dict[str, Any]:
    """Build a schema-version-1 run with `comparisons` comparisons of time."""
    if implementations < 2:
        raise ValueError(f"--implementations must be 2 or more, got {implementations}")
    generator = random.Random(seed)
    per_benchmark = implementations - 1
    benchmark_count = math.ceil(comparisons / per_benchmark)

    benchmarks = []
    left = comparisons
    for index in range(benchmark_count):
        benchmark = _benchmark(generator, index, implementations, rounds, min(left, per_benchmark))
        left -= len(benchmark["comparisons"])
        benchmarks.append(benchmark)

    verdicts = {verdict: 0 for verdict in VERDICT_WEIGHTS}
    ratios = []
    for benchmark in benchmarks:
        for comparison in benchmark["comparisons"]:
            verdicts[comparison["verdict"]] += 1
            if comparison["verdict"] != "insufficient-data":
                ratios.append(comparison["ratio"])
    judged = len(ratios)
    geometric_mean = math.exp(sum(math.log(ratio) for ratio in ratios) / judged)
    win_rate = verdicts["better"] / judged
    return {
        "schema": "pytest-statbench/run",
        "schema_version": 1,
        "tool": {"name": "pytest-statbench", "version": "0.1.0"},
        "created": "2026-01-01T00:00:00+00:00",
        "seed": seed,
        "settings": {
            "rounds": rounds,
            "min_sample_time": 0.002,
            "warmup_time": 0.01,
            "max_time": 20.0,
            "margin": 0.05,
            "alpha": 0.05,
            "confidence_level": 0.95,
            "bootstrap_resamples": 2000,
            "min_win_rate": 0.5,
            "min_improvement": None,
        },
        "environment": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpu_count": 2,
            "pytest": None,
            "numpy": None,
            "scipy": None,
            "pytest_statbench": "0.1.0",
        },
        "benchmarks": benchmarks,
        "summary": {
            "comparisons": judged,
            "wins": verdicts["better"],
            "win_rate": win_rate,
            "geometric_mean_ratio": geometric_mean,
            "average_improvement": 1 - geometric_mean,
            "verdicts": verdicts,
            "gates": [
                {
                    "name": "min_win_rate",
                    "threshold": 0.5,
                    "value": win_rate,
                    "passed": win_rate >= 0.5,
                    "message": f"win rate {win_rate:.1%} against a minimum of 50.0%",
                }
            ],
            "passed": win_rate >= 0.5,
        },
    }


def _benchmark(
    generator: random.Random, index: int, implementations: int, rounds: int, compared: int
) -> dict[str, Any]:
    names = [f"implementation_{number}" for number in range(implementations)]
    baseline_time = 10 ** generator.uniform(-6, -2)
    implementation_entries = []
    for number, name in enumerate(names):
        median = baseline_time * (1 if number == 0 else math.exp(generator.gauss(0, 0.4)))
        implementation_entries.append(_implementation(generator, name, median, rounds))

    comparisons = [
        _comparison(generator, candidate, names[0], rounds) for candidate in names[1 : compared + 1]
    ]
    return {
        "id": f"tests/bench_module_{index // 10}.py::test_case_{index}",
        "nodeid": f"tests/bench_module_{index // 10}.py::test_case_{index}",
        "form": "decorator",
        "baseline": names[0],
        "expect": None,
        "rounds": rounds,
        "notes": [],
        "implementations": implementation_entries,
        "comparisons": comparisons,
        "anova": {
            "statistic": generator.uniform(0, 200),
            "p_value": generator.uniform(0, 0.1),
            "df_between": float(implementations - 1),
            "df_within": float(implementations * (rounds - 1)),
            "eta_squared": generator.uniform(0, 1),
            "status": "ok",
            "reason": None,
        },
        "diagnostics": [],
        "noise_floor": None,
    }


def _implementation(
    generator: random.Random, name: str, median: float, rounds: int
) -> dict[str, Any]:
    order = list(range(rounds))
    times = [median * math.exp(generator.gauss(0, 0.08)) for _ in order]
    return {
        "name": name,
        "qualname": f"bench_module.{name}",
        "is_async": False,
        "loops": max(1, int(0.002 / median)),
        "calls": rounds * max(1, int(0.002 / median)),
        "failures": 0,
        "errors": [],
        "samples": {
            "round": order,
            "position": [generator.randrange(4) for _ in order],
            "time": times,
            "cpu_time": [value * 0.97 for value in times],
        },
        "median_time": statistics.median(times),
        "mean_time": statistics.fmean(times),
        "min_time": min(times),
        "peak_memory": generator.randrange(500, 5_000_000),
    }


def _comparison(
    generator: random.Random, candidate: str, baseline: str, rounds: int
) -> dict[str, Any]:
    verdict = generator.choices(list(VERDICT_WEIGHTS), weights=list(VERDICT_WEIGHTS.values()))[0]
    # A ratio and interval that fit the verdict with a 5% margin.
    ratio: float | None
    low: float | None
    high: float | None
    p_value: float | None
    cohens_d: float | None
    if verdict == "insufficient-data":
        ratio = low = high = p_value = cohens_d = None
    else:
        width = generator.uniform(0.01, 0.04)
        ratio = {
            "better": generator.uniform(0.2, 0.9),
            "worse": generator.uniform(1.1, 3.0),
            "equivalent": generator.uniform(0.97, 1.03),
            "inconclusive": generator.choice((0.95, 1.05)) * generator.uniform(0.99, 1.01),
        }[verdict]
        if verdict == "inconclusive":
            width = 0.06
        low, high = ratio * (1 - width), ratio * (1 + width)
        p_value = generator.uniform(0, 0.2)
        cohens_d = math.log(ratio) * 10
    return {
        "candidate": candidate,
        "baseline": baseline,
        "metric": "time",
        "unit": "s",
        "ratio": ratio,
        "ci": None if low is None else [low, high],
        "confidence_level": 0.95,
        "ci_method": "paired bootstrap, percentile",
        "p_value": p_value,
        "p_value_paired": p_value,
        "p_value_holm": None if p_value is None else min(1.0, p_value * 3),
        "statistic": None if cohens_d is None else cohens_d * 4,
        "df": float(2 * rounds - 2),
        "cohens_d": cohens_d,
        "effect_size_band": None if cohens_d is None else "large",
        "n_candidate": rounds,
        "n_baseline": rounds,
        "n_pairs": rounds,
        "margin": 0.05,
        "verdict": verdict,
        "reason": f"synthetic {verdict} verdict",
        "expectation": None,
    }


def time_call(function: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Call function `repeats` times and return the fastest and median seconds and the result."""
    durations = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        durations.append(time.perf_counter() - start)
    return min(durations), statistics.median(durations), result


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparisons", type=int, default=500, help="comparisons in the run")
    parser.add_argument(
        "--implementations", type=int, default=4, help="implementations per benchmark"
    )
    parser.add_argument(
        "--rounds", type=int, default=30, help="rounds (samples) per implementation"
    )
    parser.add_argument("--repeats", type=int, default=5, help="renders of each report to time")
    parser.add_argument("--output", type=Path, help="also write the Markdown table to this file")
    parser.add_argument("--write-dir", type=Path, help="write the run and its reports here")
    options = parser.parse_args(arguments)

    run = build_run(options.comparisons, options.implementations, options.rounds)
    run_json = dumps_run(run)
    load_seconds, _, _ = time_call(lambda: load_run(run_json), 1)

    reports: dict[str, Callable[[], str]] = {
        "run JSON (--bench-json)": lambda: dumps_run(run),
        "HTML, all sections": lambda: render_html(run),
        "HTML, no raw data": lambda: render_html(run, include_raw_data=False),
        "HTML, no charts, raw data or details": lambda: render_html(
            run, include_charts=False, include_raw_data=False, include_details=False
        ),
        "CSV, comparisons": lambda: comparisons_csv(run),
        "CSV, samples": lambda: samples_csv(run),
        "Markdown summary": lambda: markdown_summary(run),
    }

    samples = sum(
        len(implementation["samples"]["time"])
        for benchmark in run["benchmarks"]
        for implementation in benchmark["implementations"]
    )
    comparisons = sum(len(benchmark["comparisons"]) for benchmark in run["benchmarks"])
    description = (
        f"Run: {len(run['benchmarks'])} benchmarks, {comparisons} comparisons, "
        f"{options.implementations} implementations and {options.rounds} rounds each, "
        f"{samples} samples. Loading and validating its JSON took {load_seconds * 1000:.0f} ms."
    )
    lines = [
        description,
        "",
        "| report | fastest | median | size | gzip size |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, render in reports.items():
        fastest, median, text = time_call(render, options.repeats)
        data = text.encode("utf-8")
        lines.append(
            f"| {name} | {fastest * 1000:.0f} ms | {median * 1000:.0f} ms "
            f"| {_size(len(data))} | {_size(len(gzip.compress(data)))} |"
        )
        if options.write_dir is not None:
            options.write_dir.mkdir(parents=True, exist_ok=True)
            slug = "".join(character if character.isalnum() else "-" for character in name)
            (options.write_dir / f"{slug.strip('-').lower()}.txt").write_text(text, "utf-8")

    lines.append("")
    lines.append(
        f"Python {platform.python_version()} on {platform.platform()}, {platform.machine()}, "
        f"{_cpu_count()} CPUs; {options.repeats} renders of each report."
    )
    table = "\n".join(lines) + "\n"
    sys.stdout.write(table)
    if options.output is not None:
        options.output.write_text(table, encoding="utf-8")
    return 0


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024**2:
        return f"{count / 1024:.0f} KiB"
    return f"{count / 1024**2:.1f} MiB"


def _cpu_count() -> str:
    return str(os.cpu_count())


if __name__ == "__main__":
    raise SystemExit(main())
