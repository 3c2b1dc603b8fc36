"""Measure the E2B backend against the fake E2B service on loopback: throughput and overhead.

Everything runs on this machine: the fake service of tests/fake_e2b listens on 127.0.0.1 and
runs each sandbox command as a local process. The figures are the cost of the backend, the SDK
and one harness process per measurement, not of E2B's network or machines.

1. Throughput: 1, 4 and 16 runners, each with a sandbox of its own, in as many threads, each
   sending ``--requests`` measurements (``runner.time(1)`` of an empty function) one after the
   other. Reported: measurements per second over all runners, and the median and 90th
   percentile latency of one measurement as the caller sees it.
2. Overhead of one warm round trip: the median caller-side seconds of ``runner.time(1)`` on a
   sandbox that exists. The fake's handling time of the three SDK calls of a batch (upload of
   the request, the harness command, download of the result) shows where it goes. The start of
   a bare ``python3 -c pass`` process, which every batch pays once, is measured for comparison.
3. Cold start: ``open_runner`` to the reply of the first call (sandbox creation, harness upload
   and one batch), and ``close()`` (the kill), medians over runners opened one after the other.

Usage: python benchmarks/e2b_throughput.py [--requests N] [--levels 1,4,16] [--output FILE]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

# Found through the path set above.
from fake_e2b import API_KEY, FakeE2B

from pytest_statbench.sandbox import Code
from pytest_statbench.sandbox import e2b as backend

EMPTY_SOURCE = "def work():\n    pass\n"

# Deadline of one measurement, generous because 16 concurrent harness processes share the CPUs.
REQUEST_TIMEOUT = 60.0


def open_runner(options: backend.E2BSettings, name: str) -> backend.E2BRunner:
    return backend.E2BRunner(
        name, Code(EMPTY_SOURCE, entry="work"), (), {},
        options=options, request_timeout=REQUEST_TIMEOUT, benchmark="e2b_throughput",
    )


def measure_level(fake: FakeE2B, concurrency: int, requests: int) -> tuple[float, float, float]:
    """Return measurements per second and the median and 90th percentile latency."""
    options = backend.E2BSettings(
        api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url, max_concurrent=concurrency
    )
    latencies: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(concurrency + 1)
    go = threading.Event()
    failures: list[BaseException] = []

    def work(index: int) -> None:
        runner = open_runner(options, f"runner-{index}")
        try:
            runner.call_once()
            ready.wait()
            go.wait()
            own = []
            for _ in range(requests):
                started = time.perf_counter()
                runner.time(1)
                own.append(time.perf_counter() - started)
            with lock:
                latencies.extend(own)
        except Exception as error:  # noqa: BLE001 - re-raised by the main thread
            failures.append(error)
            ready.abort()
        finally:
            runner.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(concurrency)]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass
    started = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    backend.end_session()
    if failures:
        raise failures[0]
    ordered = sorted(latencies)
    percentile_90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return len(latencies) / elapsed, statistics.median(latencies), percentile_90


def measure_cold_start(fake: FakeE2B, runs: int) -> tuple[float, float]:
    """Return the median seconds from open_runner to the first reply, and of close()."""
    options = backend.E2BSettings(api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url)
    starts: list[float] = []
    closes: list[float] = []
    for index in range(runs):
        started = time.perf_counter()
        runner = open_runner(options, f"cold-{index}")
        try:
            runner.call_once()
        finally:
            replied = time.perf_counter()
            runner.close()
        starts.append(replied - started)
        closes.append(time.perf_counter() - replied)
    backend.end_session()
    return statistics.median(starts), statistics.median(closes)


def measure_round_trip(fake: FakeE2B, requests: int) -> dict[str, float]:
    """Return the median seconds of a warm time(1) and of its three SDK calls."""
    options = backend.E2BSettings(api_key=API_KEY, api_url=fake.url, sandbox_url=fake.url)
    runner = open_runner(options, "round-trip")
    totals: list[float] = []
    inside: list[float] = []
    try:
        runner.call_once()
        for _ in range(requests):
            started = time.perf_counter()
            sample = runner.time(1)
            totals.append(time.perf_counter() - started)
            inside.append(sample.wall_ns / 1e9)
    finally:
        runner.close()
        backend.end_session()
    phases = fake.phase_seconds()
    return {
        "total": statistics.median(totals),
        "timed loop": statistics.median(inside),
        **{name: statistics.median(values) for name, values in phases.items()},
    }


def measure_process_start(runs: int) -> float:
    """Return the median seconds to start and end ``python3 -c pass`` here."""
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        # "python3" from PATH, as the fake runs the harness.
        subprocess.run(["python3", "-c", "pass"], check=True)
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, help="measurements per runner")
    parser.add_argument("--levels", default="1,4,16", help="numbers of concurrent runners")
    parser.add_argument("--output", type=Path, help="also write the Markdown tables here")
    arguments = parser.parse_args()
    levels = [int(level) for level in arguments.levels.split(",")]

    os.environ["E2B_DOMAIN"] = "localhost"
    rows = []
    with FakeE2B() as fake:
        os.environ["E2B_API_URL"] = fake.url
        os.environ["E2B_SANDBOX_URL"] = fake.url
        for concurrency in levels:
            rows.append((concurrency, *measure_level(fake, concurrency, arguments.requests)))
        cold_start, close = measure_cold_start(fake, arguments.requests)
        fake.clear_records()
        trip = measure_round_trip(fake, arguments.requests)
        assert fake.live_sandboxes() == [], fake.live_sandboxes()
        assert fake.errors == [], fake.errors
    process_start = measure_process_start(arguments.requests)

    lines = [
        (f"Fake E2B service on 127.0.0.1; e2b-code-interpreter and the harness on Python "
         f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}. "
         f"{arguments.requests} measurements (time(1) of an empty function) per runner."),
        "",
        "| concurrent sandboxes | measurements/s | median latency | 90th percentile |",
        "|---|---|---|---|",
    ]
    for concurrency, rate, median, percentile_90 in rows:
        lines.append(
            f"| {concurrency} | {rate:.1f} | {median * 1000:.0f} ms | {percentile_90 * 1000:.0f} ms |"
        )
    lines += [
        "",
        "| warm round trip, time(1) of an empty function | median |",
        "|---|---|",
        f"| caller's wall time of one measurement | {trip['total'] * 1000:.1f} ms |",
        f"| upload of the request (fake's handling) | {trip['upload'] * 1000:.1f} ms |",
        f"| harness command (fake's handling) | {trip['command'] * 1000:.1f} ms |",
        f"| download of the result (fake's handling) | {trip['download'] * 1000:.1f} ms |",
        f"| the timed loop inside the harness | {trip['timed loop'] * 1e6:.1f} µs |",
        f"| `python3 -c pass` started here, for comparison | {process_start * 1000:.1f} ms |",
        f"| cold start: open_runner to the first reply | {cold_start * 1000:.0f} ms |",
        f"| close(): kill the sandbox | {close * 1000:.1f} ms |",
    ]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if arguments.output:
        arguments.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
