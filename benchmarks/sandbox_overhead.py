"""Measure what the local sandbox costs: worker start, round trip, and timing agreement.

1. Cold start: ``open_runner`` until the reply of the first call, for an empty function; then
   ``close()``.
2. Warm round trip: the parent's wall time of ``runner.time(1)`` for an empty function, in a
   sandbox worker and through the in-process runner. The difference is what one request to a
   worker adds; it is never part of a sample, because the worker reads the clocks.
3. Timing agreement: the per-call time of a function of about 50 µs measured the way the rounds
   measure it (warm-up, calibration, then samples), in a worker and in this process, with the
   samples of both interleaved. A ratio near 1 means the sandbox leaves the measurement intact.

Every figure is a median of the medians of repeated runs. The result is a Markdown table.

Usage: python benchmarks/sandbox_overhead.py [--runs N] [--output FILE]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from pytest_statbench.measure import CallSpec, InProcessRunner
from pytest_statbench.measure.timing import calibrate, warm_up
from pytest_statbench.sandbox import Code, describe_isolation, open_runner
from pytest_statbench.settings import Settings

EMPTY_SOURCE = "def work():\n    pass\n"

LOOP_SOURCE = """
def work(n):
    total = 0
    for i in range(n):
        total += i
    return total
"""

TARGET_CALL_SECONDS = 50e-6
ROUND_TRIPS_PER_RUN = 200
SAMPLES_PER_RUN = 20
MIN_SAMPLE_TIME = 0.002
WARMUP_TIME = 0.01

SETTINGS = Settings(sandbox_timeout=30.0)


def load(source: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<benchmark>", "exec"), namespace)  # noqa: S102 - our own source
    return namespace["work"]


def measure_cold_start(runs: int) -> tuple[float, float]:
    """Return the median seconds from open_runner to the first reply, and of close()."""
    starts: list[float] = []
    closes: list[float] = []
    code = Code(EMPTY_SOURCE, entry="work")
    for _ in range(runs):
        started = time.perf_counter()
        runner = open_runner("empty", code, (), {}, SETTINGS)
        runner.call_once()
        replied = time.perf_counter()
        runner.close()
        closed = time.perf_counter()
        starts.append(replied - started)
        closes.append(closed - replied)
    return statistics.median(starts), statistics.median(closes)


def measure_round_trip(runs: int) -> tuple[float, float]:
    """Return the median parent-side seconds of time(1) in a worker and in this process."""
    runner = open_runner("empty", Code(EMPTY_SOURCE, entry="work"), (), {}, SETTINGS)
    local = InProcessRunner(CallSpec("empty", load(EMPTY_SOURCE)), None)
    sandbox_medians: list[float] = []
    local_medians: list[float] = []
    try:
        runner.call_once()
        for _ in range(runs):
            sandbox_medians.append(_median_call_seconds(runner.time, ROUND_TRIPS_PER_RUN))
            local_medians.append(_median_call_seconds(local.time, ROUND_TRIPS_PER_RUN))
    finally:
        runner.close()
    return statistics.median(sandbox_medians), statistics.median(local_medians)


def _median_call_seconds(time_loop: Any, repeats: int) -> float:
    durations = []
    for _ in range(repeats):
        started = time.perf_counter_ns()
        time_loop(1)
        durations.append(time.perf_counter_ns() - started)
    return statistics.median(durations) / 1e9


def loop_count_for(target_seconds: float) -> int:
    """Return the n for which work(n) of LOOP_SOURCE takes about ``target_seconds`` here.

    Each step sizes n from the fastest of five batches, the estimate least disturbed by other
    processes.
    """
    work = load(LOOP_SOURCE)
    n = 1000
    for _ in range(5):
        fastest = math.inf
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(20):
                work(n)
            fastest = min(fastest, (time.perf_counter() - started) / 20)
        n = max(1, round(n * target_seconds / fastest))
    return n


def measure_agreement(runs: int, n: int) -> tuple[float, float]:
    """Return the median per-call seconds of work(n) measured in a worker and in this process."""
    runner = open_runner("loop", Code(LOOP_SOURCE, entry="work"), (n,), {}, SETTINGS)
    local = InProcessRunner(CallSpec("loop", load(LOOP_SOURCE), (n,)), None)
    sandbox_medians: list[float] = []
    local_medians: list[float] = []
    try:
        runner.call_once()
        for _ in range(runs):
            sandbox_loops = calibrate(runner, warm_up(runner, WARMUP_TIME), MIN_SAMPLE_TIME)
            local_loops = calibrate(local, warm_up(local, WARMUP_TIME), MIN_SAMPLE_TIME)
            sandbox_times: list[float] = []
            local_times: list[float] = []
            for _ in range(SAMPLES_PER_RUN):
                sample = runner.time(sandbox_loops)
                sandbox_times.append(sample.wall_ns / sample.loops / 1e9)
                sample = local.time(local_loops)
                local_times.append(sample.wall_ns / sample.loops / 1e9)
            sandbox_medians.append(statistics.median(sandbox_times))
            local_medians.append(statistics.median(local_times))
    finally:
        runner.close()
    return statistics.median(sandbox_medians), statistics.median(local_medians)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="repetitions of each measurement")
    parser.add_argument("--output", type=Path, help="also write the Markdown table here")
    options = parser.parse_args()

    isolation = describe_isolation()
    start, close = measure_cold_start(options.runs)
    sandbox_trip, local_trip = measure_round_trip(options.runs)
    n = loop_count_for(TARGET_CALL_SECONDS)
    sandbox_call, local_call = measure_agreement(options.runs, n)

    lines = [
        (f"Isolation: {isolation}. Python {platform.python_version()}, {os.cpu_count()} CPUs, "
         f"{platform.platform()}. {options.runs} runs of each measurement."),
        "",
        "| measurement | sandbox worker | in-process | ratio |",
        "|---|---|---|---|",
        f"| cold start: open_runner to first reply | {start * 1000:.0f} ms | | |",
        f"| close(): kill, check for leftovers, remove files | {close * 1000:.0f} ms | | |",
        (f"| time(1) of an empty function, parent's wall time ({ROUND_TRIPS_PER_RUN} per run) "
         f"| {sandbox_trip * 1e6:.0f} µs | {local_trip * 1e6:.2f} µs "
         f"| {sandbox_trip / local_trip:.0f} |"),
        (f"| per-call time of work({n}), about 50 µs ({SAMPLES_PER_RUN} calibrated samples per "
         f"run) | {sandbox_call * 1e6:.2f} µs | {local_call * 1e6:.2f} µs "
         f"| {sandbox_call / local_call:.3f} |"),
    ]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if options.output:
        options.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
