"""Measure what pytest-statbench costs and how its timings agree with timeit.

1. Start-up: a pytest run of a small test file with the plugin loaded, against the same run
   with ``-p no:statbench``. Runs alternate, so drift of the machine hits both alike; the
   result is the ratio of medians.
2. Timing agreement: the plugin's median time per call of a few functions, against the median
   of ``timeit.repeat`` (garbage collector on, as in the plugin) for the same functions,
   alternating three times. A ratio near 1 means the calibrated loops add no overhead of
   their own.

Usage: python benchmarks/plugin_overhead.py [--runs N] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL_SUITE = """
def test_one():
    assert 1 + 1 == 2

def test_two():
    assert "a" * 3 == "aaa"
"""

TIMING_SUITE = """
import pytest
from pytest_statbench import compare

WORDS = [f"word{index}" for index in range(200)]

def join_words(words):
    return "".join(words)

def join_words_copy(words):
    return "".join(words)

def sum_range(count):
    return sum(range(count))

def sum_range_copy(count):
    return sum(range(count))

@pytest.mark.benchmark
@compare(a=join_words, b=join_words_copy, baseline="a")
def test_join(bench, impl):
    bench(impl, WORDS)

@pytest.mark.benchmark
@compare(a=sum_range, b=sum_range_copy, baseline="a")
def test_sum(bench, impl):
    bench(impl, 10_000)
"""


def time_command(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def measure_startup(runs: int, folder: Path) -> dict[str, float]:
    (folder / "test_small.py").write_text(SMALL_SUITE)
    # Optional plugins are switched off, so the difference is this plugin's alone; pytest-asyncio
    # stays on in both, because pytest-statbench depends on it and every user has it loaded.
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:benchmark",
            "-p", "no:codspeed", "-p", "no:xdist", "-p", "no:hypothesispytest", "-p", "no:anyio",
            "test_small.py"]
    with_plugin: list[float] = []
    without_plugin: list[float] = []
    for _ in range(runs):
        with_plugin.append(time_command(base, folder))
        without_plugin.append(time_command([*base, "-p", "no:statbench"], folder))
    median_with = statistics.median(with_plugin)
    median_without = statistics.median(without_plugin)
    return {
        "median_with_plugin_s": median_with,
        "median_without_plugin_s": median_without,
        "ratio": median_with / median_without,
        "added_ms": (median_with - median_without) * 1000,
    }


def measure_agreement(folder: Path, repeats: int = 3) -> list[dict[str, float | str]]:
    """Alternate plugin sessions and timeit measurements, and compare their medians.

    timeit switches the garbage collector off while it times, and the plugin leaves it on, so
    the reference here runs timeit with ``gc.enable()`` in its setup to time the same thing.
    """
    import timeit

    (folder / "test_timing.py").write_text(TIMING_SUITE)
    words = [f"word{index}" for index in range(200)]
    references = {
        "test_join": lambda: "".join(words),
        "test_sum": lambda: sum(range(10_000)),
    }
    plugin_times: dict[str, list[float]] = {name: [] for name in references}
    timeit_times: dict[str, list[float]] = {name: [] for name in references}
    for repeat in range(repeats):
        results_path = folder / f"timing-{repeat}.json"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:benchmark",
             "--bench", f"--bench-seed={repeat + 1}", f"--bench-json={results_path}",
             "test_timing.py"],
            cwd=folder, check=True, capture_output=True,
        )
        run = json.loads(results_path.read_text())
        for benchmark in run["benchmarks"]:
            name = benchmark["id"].rsplit("::", 1)[1]
            plugin_times[name].append(benchmark["implementations"][0]["median_time"])
        for name, reference in references.items():
            timer = timeit.Timer(reference, setup="gc.enable()")
            loops, _ = timer.autorange()
            per_call = statistics.median(t / loops for t in timer.repeat(repeat=20, number=loops))
            timeit_times[name].append(per_call)

    rows: list[dict[str, float | str]] = []
    for name in references:
        plugin_time = statistics.median(plugin_times[name])
        timeit_time = statistics.median(timeit_times[name])
        rows.append({
            "benchmark": name,
            "plugin_median_s": plugin_time,
            "timeit_median_s": timeit_time,
            "ratio": plugin_time / timeit_time,
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="start-up runs of each kind")
    parser.add_argument("--output", type=Path, help="also write the Markdown tables here")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        startup = measure_startup(options.runs, folder)
        agreement = measure_agreement(folder)

    lines = [
        "| pytest start-up, 2 tests | median with plugin | median with -p no:statbench | ratio | added |",
        "|---|---|---|---|---|",
        (f"| {options.runs} alternating runs each | {startup['median_with_plugin_s'] * 1000:.0f} ms "
        f"| {startup['median_without_plugin_s'] * 1000:.0f} ms | {startup['ratio']:.3f} "
        f"| {startup['added_ms']:.0f} ms |"),
        "",
        "| benchmark | plugin median per call | timeit median per call | ratio |",
        "|---|---|---|---|",
    ]
    for row in agreement:
        lines.append(
            f"| {row['benchmark']} | {float(row['plugin_median_s']) * 1e6:.2f} µs "
            f"| {float(row['timeit_median_s']) * 1e6:.2f} µs | {float(row['ratio']):.3f} |"
        )
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if options.output:
        options.output.write_text(text)


if __name__ == "__main__":
    main()
