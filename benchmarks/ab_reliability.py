"""Count how often ``statbench ab`` flags a 20% slowdown and passes an unchanged head.

Builds two git repositories in a temporary folder. In each, ``example_benchmarks/test_loop.py``
compares ``function`` from ``loop.py`` with an identical ``reference`` loop, which is the
baseline. Both run a pure-Python loop of 3200 iterations. The head commit gives ``function``
3840 iterations (the case "20% slower") or leaves it at 3200 (the case "unchanged"). For each
repetition and case the study runs

    python -m pytest_statbench.cli ab --base origin/main --head HEAD --runs RUNS --seed SEED
        --output-dir DIR -- example_benchmarks -p no:benchmark ... --bench-metrics=time,cpu_time
        --bench-counted-metrics=METRIC

in the repository, loads the merged runs base.json and head.json, and compares them twice with
``compare_runs``: with ``reference="baseline"`` (the time of each implementation relative to
the baseline in the same round) and with ``reference="none"`` (times as measured). Repetition
i uses seed SEED + i in both cases. ``--metric`` (time or cpu_time, default time) is the
metric the gate counts and the table reports. The printed Markdown table counts the verdicts
of ``function`` on that metric and the failed gates, and gives the minimum, median and maximum
of the ratio head / base of ``function``. The line below it gives the ratio head / base of
``reference`` as measured, which is the drift of the machine between the pytest processes of
the two sides, because the code of ``reference`` does not change.

The inner pytest runs import pytest_statbench through PYTHONPATH, because the fixture
repositories have no ``src`` folder. To measure a copy of the code, put its ``src`` folder on
PYTHONPATH:

    PYTHONPATH=src python benchmarks/ab_reliability.py --repeats 10 --output results.md

``--load`` runs one busy-loop process for the whole study, as another job on the machine
would. Arguments after ``--`` are added to the inner pytest arguments, for example
``-- --bench-rounds=20``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_statbench
from pytest_statbench.runcompare import MetricChange, RunComparison, compare_runs
from pytest_statbench.settings import DEFAULT_ALPHA, DEFAULT_MARGIN
from pytest_statbench.storage import load_run_file

VERDICTS = ("better", "worse", "equivalent", "inconclusive", "insufficient-data")
REFERENCE_MODES = ("baseline", "none")

# Iterations of the loop of ``reference`` and of ``function`` at the base commit. One call
# takes about 120 µs on CPython 3.11 on an AMD EPYC, as measured by this study.
LOOP_ITERATIONS = 3200

# Head iterations of ``function`` per case: 1.2 times the base for a 20% slowdown.
CASES = {
    "20% slower": LOOP_ITERATIONS * 6 // 5,
    "unchanged": LOOP_ITERATIONS,
}

# pytest arguments of each inner run: 10 rounds, short samples, time and CPU time, and no
# plugins that slow the start of every run. The counted metric is added per study.
INNER_PYTEST_ARGUMENTS = [
    "example_benchmarks",
    "-p", "no:benchmark",
    "-p", "no:hypothesispytest",
    "-p", "no:cacheprovider",
    "--bench-rounds=10",
    "--bench-min-sample-time=200us",
    "--bench-warmup-time=1ms",
    "--bench-metrics=time,cpu_time",
]

# Exit statuses of statbench ab: 0 when the gate passed, 1 when it failed. Any other status
# means the A/B run itself failed.
AB_EXIT_STATUSES = (0, 1)

# Seconds an interrupted statbench ab may take to stop its pytest run and remove its worktrees
# before it is killed. A killed statbench ab leaves its worktrees in the temporary folder.
CLEANUP_SECONDS = 30.0

# statbench ab prints this in its heading only when it compares times relative to the
# baseline. Versions of pytest-statbench without relative comparisons never print it.
RELATIVE_HEADING = "times relative to each baseline"

# Environment variable that the fixture's conftest.py reads: the file where each inner pytest
# run appends the path of the pytest_statbench package it imported.
IMPORT_LOG_VARIABLE = "AB_RELIABILITY_IMPORT_LOG"

LOOP_MODULE = """\
ITERATIONS = {iterations}


def function():
    total = 0
    for i in range(ITERATIONS):
        total += i * i
    return total
"""

BENCHMARK_MODULE = f"""\
import pytest
from pytest_statbench import compare

from loop import function


def reference():
    total = 0
    for i in range({LOOP_ITERATIONS}):
        total += i * i
    return total


@pytest.mark.benchmark
@compare(reference=reference, function=function, baseline="reference")
def test_loop(bench, impl):
    bench(impl)
"""

CONFTEST_MODULE = f"""\
import os

import pytest_statbench


def pytest_configure(config):
    log = os.environ.get("{IMPORT_LOG_VARIABLE}")
    if log:
        with open(log, "a", encoding="utf-8") as file:
            file.write(os.path.dirname(os.path.abspath(pytest_statbench.__file__)) + "\\n")
"""


class StudyError(Exception):
    """An A/B run of the study failed or did not produce usable results."""


@dataclass
class Outcome:
    """The result for ``function`` on the studied metric in one comparison of two runs."""

    verdict: str
    gate_passed: bool
    ratio: float | None
    # Ratio head / base of the reference as measured. Only reference "none" sets it.
    reference_ratio: float | None = None


@dataclass
class Tally:
    """Outcomes of one case and reference mode over all repetitions."""

    case: str
    reference: str
    verdicts: Counter[str] = field(default_factory=Counter)
    gate_failures: int = 0
    repetitions: int = 0
    ratios: list[float] = field(default_factory=list)
    reference_ratios: list[float] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.repetitions += 1
        self.verdicts[outcome.verdict] += 1
        if not outcome.gate_passed:
            self.gate_failures += 1
        if outcome.ratio is not None:
            self.ratios.append(outcome.ratio)
        if outcome.reference_ratio is not None:
            self.reference_ratios.append(outcome.reference_ratio)


def parse_arguments(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Parse the study's options and return them with the arguments after ``--`` for pytest."""
    if "--" in argv:
        split = argv.index("--")
        own, pytest_arguments = argv[:split], argv[split + 1 :]
    else:
        own, pytest_arguments = argv, []

    parser = argparse.ArgumentParser(
        description="Run statbench ab on a fixture repository with a 20% slower head and with "
        "an unchanged head, and tabulate the verdicts with relative times and with times as "
        "measured.",
        epilog="Arguments after -- are added to the inner pytest arguments, for example "
        "-- --bench-rounds=20.",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=10,
        help="number of statbench ab runs per case (default 10)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="pytest runs per revision in each statbench ab run (default 3)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed of the first repetition, and repetition i uses SEED + i (default 1)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds one statbench ab run may take before the study stops (default 600)",
    )
    parser.add_argument(
        "--output", type=Path, help="also write the report (summary, table and drift) to this file"
    )
    parser.add_argument(
        "--metric",
        choices=("time", "cpu_time"),
        default="time",
        help="metric that the gate counts and the table reports (default time)",
    )
    parser.add_argument(
        "--load",
        action="store_true",
        help="run one busy-loop Python process for the whole study, as another job would",
    )
    arguments = parser.parse_args(own)
    if arguments.repeats < 1:
        parser.error(f"--repeats {arguments.repeats} is invalid. Give at least 1")
    if arguments.runs < 1:
        parser.error(f"--runs {arguments.runs} is invalid. Give at least 1")
    if arguments.seed < 0:
        parser.error(f"--seed {arguments.seed} is invalid. Give 0 or more")
    if arguments.timeout <= 0:
        parser.error(f"--timeout {arguments.timeout:g} is invalid. Give a positive number")
    return arguments, pytest_arguments


def git(repository: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repository, capture_output=True, text=True, check=True)


def make_repository(folder: Path, head_iterations: int) -> Path:
    """Create a fixture repository with a base commit, also origin/main, and a head commit.

    Only loop.py differs between the commits: the head commit sets the iterations of
    ``function`` to head_iterations and adds a comment line.
    """
    repository = folder / "project"
    (repository / "example_benchmarks").mkdir(parents=True)
    git(repository, "init", "-q", "-b", "main")
    git(repository, "config", "user.email", "ab-reliability@example.com")
    git(repository, "config", "user.name", "ab_reliability")
    git(repository, "config", "commit.gpgsign", "false")
    (repository / "conftest.py").write_text(CONFTEST_MODULE, encoding="utf-8")
    (repository / "loop.py").write_text(
        LOOP_MODULE.format(iterations=LOOP_ITERATIONS), encoding="utf-8"
    )
    (repository / "example_benchmarks" / "test_loop.py").write_text(
        BENCHMARK_MODULE, encoding="utf-8"
    )
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "base")
    git(repository, "update-ref", "refs/remotes/origin/main", "HEAD")

    head = LOOP_MODULE.format(iterations=head_iterations) + "# head commit\n"
    (repository / "loop.py").write_text(head, encoding="utf-8")
    git(repository, "commit", "-q", "-am", "head")
    return repository


def run_ab(
    repository: Path,
    arguments: argparse.Namespace,
    seed: int,
    output_dir: Path,
    import_log: Path,
    pytest_arguments: list[str],
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """Run statbench ab once and return the merged base and head runs and its exit status.

    Raises StudyError when statbench ab times out, exits with a status other than 0 or 1,
    does not compare relative times, or writes no base.json or head.json.
    """
    command = [
        sys.executable,
        "-m",
        "pytest_statbench.cli",
        "ab",
        "--base", "origin/main",
        "--head", "HEAD",
        "--runs", str(arguments.runs),
        "--seed", str(seed),
        "--output-dir", str(output_dir),
        "--",
        *INNER_PYTEST_ARGUMENTS,
        f"--bench-counted-metrics={arguments.metric}",
        *pytest_arguments,
    ]
    environment = dict(os.environ)
    environment[IMPORT_LOG_VARIABLE] = str(import_log)
    process = subprocess.Popen(
        command,
        cwd=repository,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=arguments.timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        _wait_for_cleanup(process)
        raise StudyError(
            f"seed {seed}: statbench ab timed out after {arguments.timeout:g} s. Raise "
            f"--timeout or run it by hand in a fixture repository: {shlex.join(command)}"
        ) from None
    except KeyboardInterrupt:
        # Ctrl-C in a terminal also sends SIGINT to statbench ab, which then removes its
        # worktrees, so it gets time for that before it is killed.
        _wait_for_cleanup(process)
        raise

    output = stdout + stderr
    if process.returncode not in AB_EXIT_STATUSES:
        raise StudyError(
            f"seed {seed}: statbench ab exited with status {process.returncode}\n"
            f"{_tail(output)}"
        )
    if RELATIVE_HEADING not in stdout:
        raise StudyError(
            f"seed {seed}: the output of statbench ab lacks {RELATIVE_HEADING!r}, so the "
            f"imported pytest_statbench ({Path(pytest_statbench.__file__).parent}) predates "
            f"relative comparisons. Put the src folder of the code to measure on PYTHONPATH\n"
            f"{_tail(output)}"
        )
    try:
        base = load_run_file(output_dir / "base.json")
        head = load_run_file(output_dir / "head.json")
    except ValueError as error:
        raise StudyError(f"seed {seed}: {error}\n{_tail(output)}") from None
    return base, head, process.returncode


def _wait_for_cleanup(process: subprocess.Popen[str]) -> None:
    """Wait for an interrupted statbench ab to remove its worktrees, and kill it after that."""
    try:
        process.communicate(timeout=CLEANUP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def _tail(output: str, lines: int = 40) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])


def check_imports(import_log: Path, expected: Path) -> None:
    """Raise StudyError unless every inner pytest run imported pytest_statbench from expected."""
    if not import_log.exists():
        raise StudyError(
            f"no inner pytest run wrote {import_log}, so the fixture's conftest.py did not run"
        )
    folders = set(import_log.read_text(encoding="utf-8").split())
    others = sorted(folder for folder in folders if Path(folder) != expected)
    if others:
        raise StudyError(
            f"inner pytest runs imported pytest_statbench from {', '.join(others)} instead of "
            f"{expected}. Put the src folder of the code to measure first on PYTHONPATH"
        )


def judge(
    base: dict[str, Any], head: dict[str, Any], reference: str, seed: int, metric: str
) -> Outcome:
    """Compare head with base in one reference mode and return the outcome of ``function``."""
    comparison = compare_runs(base, head, reference=reference, seed=seed)
    function_time = _time_change(comparison, "function", seed, metric)
    if reference == "baseline" and function_time.relative_to != "reference":
        raise StudyError(
            f"seed {seed}: with reference 'baseline' the {metric} of 'function' was compared "
            f"as measured, not relative to 'reference'"
        )
    outcome = Outcome(
        verdict=function_time.comparison.verdict,
        gate_passed=comparison.summary.passed,
        ratio=function_time.comparison.ratio,
    )
    if reference == "none":
        outcome.reference_ratio = _time_change(
            comparison, "reference", seed, metric
        ).comparison.ratio
    return outcome


def _time_change(
    comparison: RunComparison, implementation: str, seed: int, metric: str
) -> MetricChange:
    for benchmark in comparison.benchmarks:
        for change in benchmark.changes:
            if change.implementation == implementation and change.comparison.metric == metric:
                return change
    raise StudyError(f"seed {seed}: the comparison has no {metric} of {implementation!r}")


def start_load() -> subprocess.Popen[bytes]:
    """Start one Python process that spins until it is killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def stop_load(process: subprocess.Popen[bytes] | None) -> None:
    if process is None:
        return
    process.kill()
    process.wait()


def format_table(tallies: list[Tally]) -> str:
    """Format the verdict counts, gate failures and ratios of ``function`` as a Markdown table."""
    header = [
        "case",
        "reference",
        *VERDICTS,
        "gate failures",
        "ratio min",
        "ratio median",
        "ratio max",
    ]
    rows = [header, ["---"] * 2 + ["---:"] * (len(header) - 2)]
    for tally in tallies:
        rows.append(
            [
                tally.case,
                tally.reference,
                *(str(tally.verdicts[verdict]) for verdict in VERDICTS),
                f"{tally.gate_failures}/{tally.repetitions}",
                *_spread(tally.ratios),
            ]
        )
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def format_drift(tallies: list[Tally], metric: str) -> str:
    """Describe the ratio head / base of ``reference`` as measured, per case."""
    parts = []
    for tally in tallies:
        if tally.reference != "none":
            continue
        low, median, high = _spread(tally.reference_ratios)
        parts.append(f"{tally.case}: {low} / {median} / {high}")
    return (
        f"Drift between the sides, the ratio head / base of `reference` {metric} as measured "
        "(min / median / max): " + "; ".join(parts) + "."
    )


def _spread(values: list[float]) -> list[str]:
    if not values:
        return ["n/a"] * 3
    return [f"{value:.3f}" for value in (min(values), statistics.median(values), max(values))]


def describe_study(
    arguments: argparse.Namespace,
    base: dict[str, Any],
    load_at_start: tuple[float, float, float],
    total_seconds: float,
    mismatches: int,
    pytest_arguments: list[str],
) -> str:
    """Describe the study in one paragraph: settings, versions, load and wall time."""
    settings = base["settings"]
    environment = base["environment"]
    last_seed = arguments.seed + arguments.repeats - 1
    ab_runs = arguments.repeats * len(CASES)
    extra = (
        f" Extra pytest arguments: `{shlex.join(pytest_arguments)}`." if pytest_arguments else ""
    )
    mismatch = (
        f" In {mismatches} A/B runs the exit status of statbench ab disagreed with the gate "
        f"of reference 'baseline' recomputed from base.json and head.json."
        if mismatches
        else ""
    )
    return (
        f"{arguments.repeats} repetitions per case with seeds {arguments.seed} to {last_seed}, "
        f"{arguments.runs} pytest runs per revision, {settings['rounds']} rounds per run, "
        f"samples of at least {settings['min_sample_time'] * 1e6:.0f} µs, a "
        f"{DEFAULT_MARGIN:.0%} margin and alpha {DEFAULT_ALPHA:g} in the comparisons, "
        f"{arguments.metric} counted and reported, with "
        f"{'one busy-loop process running' if arguments.load else 'no added load'}. "
        f"pytest-statbench {environment['pytest_statbench']} from "
        f"{Path(pytest_statbench.__file__).parent}, {environment['implementation']} "
        f"{environment['python']}, {environment['cpu_count']} CPUs, load average "
        f"{load_at_start[0]:.2f} / {load_at_start[1]:.2f} / {load_at_start[2]:.2f} at the "
        f"start. Wall time {total_seconds:.0f} s in total, {total_seconds / ab_runs:.1f} s "
        f"per statbench ab run.{extra}{mismatch}"
    )


def run_study(
    arguments: argparse.Namespace, pytest_arguments: list[str], scratch: Path
) -> tuple[list[Tally], dict[str, Any], int]:
    """Run every repetition of every case and return the tallies, a base run and mismatches."""
    package = Path(pytest_statbench.__file__).resolve().parent
    repositories = {
        case: make_repository(scratch / f"case-{index}", iterations)
        for index, (case, iterations) in enumerate(CASES.items())
    }
    tallies = {
        (case, reference): Tally(case, reference)
        for case in CASES
        for reference in REFERENCE_MODES
    }
    mismatches = 0
    base: dict[str, Any] = {}
    # The cases alternate within each repetition, so slow changes of the machine affect both.
    for repetition in range(arguments.repeats):
        seed = arguments.seed + repetition
        for index, (case, repository) in enumerate(repositories.items()):
            output_dir = scratch / f"ab-{index}-{seed}"
            import_log = scratch / f"imports-{index}-{seed}.txt"
            start = time.perf_counter()
            base, head, status = run_ab(
                repository, arguments, seed, output_dir, import_log, pytest_arguments
            )
            seconds = time.perf_counter() - start
            check_imports(import_log, package)

            outcomes = {
                reference: judge(base, head, reference, seed, arguments.metric)
                for reference in REFERENCE_MODES
            }
            for reference, outcome in outcomes.items():
                tallies[(case, reference)].add(outcome)
            # statbench ab compares with reference "baseline" and the same seed.
            if outcomes["baseline"].gate_passed != (status == 0):
                mismatches += 1
            print(
                f"repetition {repetition + 1}/{arguments.repeats}, {case}, seed {seed}: "
                f"baseline {outcomes['baseline'].verdict}, none {outcomes['none'].verdict} "
                f"({seconds:.1f} s)",
                file=sys.stderr,
            )
    return list(tallies.values()), base, mismatches


def main(argv: list[str]) -> int:
    arguments, pytest_arguments = parse_arguments(argv)
    load_at_start = os.getloadavg()
    load = start_load() if arguments.load else None
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="ab-reliability-") as scratch:
            tallies, base, mismatches = run_study(arguments, pytest_arguments, Path(scratch))
    except StudyError as error:
        print(f"ab_reliability: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(
            f"ab_reliability: creating a fixture repository failed: {shlex.join(error.cmd)} "
            f"exited with status {error.returncode}: {error.stderr.strip()}",
            file=sys.stderr,
        )
        return 1
    finally:
        stop_load(load)
    total_seconds = time.perf_counter() - start

    report = describe_study(
        arguments, base, load_at_start, total_seconds, mismatches, pytest_arguments
    )
    report += "\n\n" + format_table(tallies) + "\n\n" + format_drift(tallies, arguments.metric) + "\n"
    print(report)
    if arguments.output is not None:
        arguments.output.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
