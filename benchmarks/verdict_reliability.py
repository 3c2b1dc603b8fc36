"""Count the verdicts pytest-statbench reaches on benchmark cases whose true ratio is known.

Runs ``python -m pytest --bench CASES -p no:benchmark -q --bench-seed=SEED --bench-json=FILE``
once per seed, one session after another, and reads each session's JSON results. The printed
Markdown table has one row per comparison. It counts the sessions that reached each verdict
and gives the minimum, median and maximum of the estimated time ratio (candidate / baseline).

Run from the repository root, so that pytest reads the settings of pyproject.toml:

    python benchmarks/verdict_reliability.py --runs 20 --output results.md

Arguments after ``--`` are passed on to pytest, for example ``-- --bench-rounds=100``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_CASES = Path(__file__).resolve().parent / "cases"
VERDICTS = ("better", "worse", "equivalent", "inconclusive", "insufficient-data")

# pytest's exit status when a test failed. pytest-statbench also sets it when a session gate
# such as bench_min_win_rate in pyproject.toml fails, which these cases do by design.
EXIT_TESTS_FAILED = 1


class StudyError(Exception):
    """A pytest session of the study did not produce usable results."""


@dataclass
class Session:
    """One pytest session: its seed, wall time in seconds and JSON results."""

    seed: int
    seconds: float
    results: dict[str, Any]


@dataclass
class CaseTally:
    """Verdicts and ratio estimates of one comparison over all sessions."""

    benchmark: str
    candidate: str
    baseline: str
    verdicts: Counter[str] = field(default_factory=Counter)
    ratios: list[float] = field(default_factory=list)
    ci_widths: list[float] = field(default_factory=list)
    # Sessions whose interval lies wholly above or below 1. For identical implementations a
    # 95% interval should do so in about 5% of sessions.
    ci_excluding_one: int = 0


def parse_arguments(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Parse the study's options and return them with the arguments after ``--`` for pytest."""
    if "--" in argv:
        split = argv.index("--")
        own, pytest_arguments = argv[:split], argv[split + 1 :]
    else:
        own, pytest_arguments = argv, []

    parser = argparse.ArgumentParser(
        description="Run the benchmark cases in several seeded pytest-statbench sessions and "
        "tabulate the verdicts per comparison.",
        epilog="Arguments after -- are passed to pytest, for example -- --bench-rounds=100.",
    )
    parser.add_argument(
        "--runs", type=int, default=20, help="number of pytest sessions (default 20)"
    )
    parser.add_argument(
        "--first-seed",
        type=int,
        default=1,
        help="seed of the first session; session i uses FIRST_SEED + i (default 1)",
    )
    parser.add_argument(
        "--cases",
        type=Path,
        default=DEFAULT_CASES,
        help="directory or file of benchmark tests (default benchmarks/cases)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds one pytest session may take before the study stops (default 600)",
    )
    parser.add_argument(
        "--output", type=Path, help="also write the report (summary line and table) to this file"
    )
    parser.add_argument(
        "--keep-json",
        type=Path,
        metavar="DIRECTORY",
        help="keep each session's JSON results in this directory as seed-SEED.json",
    )
    arguments = parser.parse_args(own)
    if arguments.runs < 1:
        parser.error(f"--runs {arguments.runs} is invalid; give at least 1")
    if arguments.first_seed < 0:
        parser.error(f"--first-seed {arguments.first_seed} is invalid; give 0 or more")
    if not arguments.cases.exists():
        parser.error(f"--cases {arguments.cases} not found; give a directory of benchmark tests")
    return arguments, pytest_arguments


def run_session(
    cases: Path, seed: int, json_path: Path, timeout: float, pytest_arguments: list[str]
) -> Session:
    """Run one pytest session over the cases and return its JSON results.

    Raises StudyError when pytest times out, stops with a usage or internal error, reports
    a failed test, or writes no JSON.
    """
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--bench",
        str(cases),
        "-p",
        "no:benchmark",
        "-q",
        f"--bench-seed={seed}",
        f"--bench-json={json_path}",
        *pytest_arguments,
    ]
    json_path.unlink(missing_ok=True)  # a stale file from an earlier study must not be read
    start = time.perf_counter()
    try:
        completed = subprocess.run(
            command, check=False, cwd=REPOSITORY, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise StudyError(
            f"seed {seed}: pytest timed out after {timeout:g} s; raise --timeout or check "
            f"the cases with: {' '.join(command)}"
        ) from None
    seconds = time.perf_counter() - start

    if not json_path.exists():
        raise StudyError(
            f"seed {seed}: pytest exited with status {completed.returncode} and wrote no "
            f"JSON results\n{_tail(completed)}"
        )
    results = json.loads(json_path.read_text(encoding="utf-8"))
    _check_exit_status(seed, completed, results)
    return Session(seed=seed, seconds=seconds, results=results)


def _check_exit_status(
    seed: int, completed: subprocess.CompletedProcess[str], results: dict[str, Any]
) -> None:
    """Raise StudyError unless pytest exited with 0, or with 1 because only a gate failed."""
    if completed.returncode == 0:
        return
    summary_line = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    tests_failed = re.search(r"\b\d+ (failed|errors?)\b", summary_line) is not None
    gate_failed = not results["summary"]["passed"]
    if completed.returncode == EXIT_TESTS_FAILED and gate_failed and not tests_failed:
        return
    raise StudyError(
        f"seed {seed}: pytest exited with status {completed.returncode} "
        f"({summary_line or 'no summary line'})\n{_tail(completed)}"
    )


def _tail(completed: subprocess.CompletedProcess[str], lines: int = 40) -> str:
    output = (completed.stdout + completed.stderr).strip().splitlines()
    return "\n".join(output[-lines:])


def tally_cases(sessions: list[Session]) -> list[CaseTally]:
    """Group the comparisons of all sessions by benchmark and candidate, in order of first run."""
    tallies: dict[tuple[str, str], CaseTally] = {}
    for session in sessions:
        for benchmark in session.results["benchmarks"]:
            for comparison in benchmark["comparisons"]:
                # Runs also compare CPU time, memory and code metrics; the study is about time.
                if comparison.get("metric", "time") != "time":
                    continue
                key = (benchmark["id"], comparison["candidate"])
                tally = tallies.setdefault(
                    key, CaseTally(benchmark["id"], comparison["candidate"], comparison["baseline"])
                )
                tally.verdicts[comparison["verdict"]] += 1
                if comparison["ratio"] is not None:
                    tally.ratios.append(comparison["ratio"])
                if comparison["ci"] is not None:
                    low, high = comparison["ci"]
                    tally.ci_widths.append(high - low)
                    if low > 1.0 or high < 1.0:
                        tally.ci_excluding_one += 1
    return list(tallies.values())


def format_table(tallies: list[CaseTally]) -> str:
    """Format the verdict counts and ratio estimates as a Markdown table."""
    header = [
        "benchmark",
        "candidate / baseline",
        *VERDICTS,
        "ratio min",
        "ratio median",
        "ratio max",
        "CI width median",
        "CI excludes 1",
    ]
    rows = [header, ["---"] * 2 + ["---:"] * (len(header) - 2)]
    for tally in tallies:
        rows.append(
            [
                f"`{tally.benchmark.split('/')[-1]}`",
                f"{tally.candidate} / {tally.baseline}",
                *(str(tally.verdicts[verdict]) for verdict in VERDICTS),
                _number(min(tally.ratios) if tally.ratios else None),
                _number(statistics.median(tally.ratios) if tally.ratios else None),
                _number(max(tally.ratios) if tally.ratios else None),
                _number(statistics.median(tally.ci_widths) if tally.ci_widths else None),
                str(tally.ci_excluding_one),
            ]
        )
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def describe_study(
    sessions: list[Session], total_seconds: float, pytest_arguments: list[str]
) -> str:
    """Describe the sessions in one paragraph: seeds, settings, versions and wall time."""
    first = sessions[0].results
    settings = first["settings"]
    environment = first["environment"]
    seeds = [session.seed for session in sessions]
    extra = f" Extra pytest arguments: `{' '.join(pytest_arguments)}`." if pytest_arguments else ""
    return (
        f"{len(sessions)} sessions with seeds {seeds[0]} to {seeds[-1]}, "
        f"{settings['rounds']} rounds, samples of at least "
        f"{settings['min_sample_time'] * 1000:g} ms, a {settings['margin']:.0%} margin and "
        f"{settings['confidence_level']:.0%} intervals; pytest-statbench "
        f"{environment['pytest_statbench']}, {environment['implementation']} "
        f"{environment['python']}, {environment['cpu_count']} CPUs. Wall time "
        f"{total_seconds:.0f} s in total, {total_seconds / len(sessions):.1f} s per "
        f"session.{extra}"
    )


def main(argv: list[str]) -> int:
    arguments, pytest_arguments = parse_arguments(argv)
    cases = arguments.cases.resolve()
    if arguments.keep_json is not None:
        arguments.keep_json.mkdir(parents=True, exist_ok=True)

    sessions: list[Session] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="verdict-reliability-") as scratch:
        for index in range(arguments.runs):
            seed = arguments.first_seed + index
            directory = arguments.keep_json or Path(scratch)
            json_path = (directory / f"seed-{seed}.json").resolve()
            try:
                session = run_session(cases, seed, json_path, arguments.timeout, pytest_arguments)
            except StudyError as error:
                print(f"verdict_reliability: {error}", file=sys.stderr)
                return 1
            sessions.append(session)
            print(
                f"session {index + 1}/{arguments.runs}: seed {seed}, {session.seconds:.1f} s",
                file=sys.stderr,
            )
    total_seconds = time.perf_counter() - start

    report = describe_study(sessions, total_seconds, pytest_arguments)
    report += "\n\n" + format_table(tally_cases(sessions)) + "\n"
    print(report)
    if arguments.output is not None:
        arguments.output.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
