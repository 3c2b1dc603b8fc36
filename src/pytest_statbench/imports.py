"""Import results of pytest-benchmark and pyperf as runs of pytest-statbench.

Each benchmark of the other tool becomes a benchmark with one implementation of the same name,
so two imported files (or an imported file and a later import) can be compared with
``statbench compare``. Only raw samples are imported as samples. A pytest-benchmark file saved
without ``--benchmark-save-data`` keeps only summary statistics, and those are stored for
reading but never turned into samples: their comparisons are insufficient-data.
"""

from __future__ import annotations

import gzip
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__
from .analysis import summarise
from .results import BenchmarkResult, ImplementationResult, run_to_dict
from .settings import DEFAULT_ALPHA, DEFAULT_MARGIN, DEFAULT_RESAMPLES

PYTEST_BENCHMARK = "pytest-benchmark"
PYPERF = "pyperf"
SOURCES = (PYTEST_BENCHMARK, PYPERF)

# Summary fields of pytest-benchmark that an import keeps when the rounds are missing.
PYTEST_BENCHMARK_SUMMARY = ("min", "max", "mean", "median", "stddev", "rounds", "iterations")

__all__ = [
    "PYPERF",
    "PYTEST_BENCHMARK",
    "SOURCES",
    "ImportFormatError",
    "ImportResult",
    "detect_source",
    "import_file",
    "import_pyperf",
    "import_pytest_benchmark",
]


class ImportFormatError(ValueError):
    """A file that cannot be imported: unreadable, not JSON, or not of the named tool."""


@dataclass
class ImportResult:
    """An imported run and what the user should know about it, one sentence per message."""

    run: dict[str, Any]
    source: str
    messages: list[str] = field(default_factory=list)


def import_file(path: str | os.PathLike[str], source: str | None = None) -> ImportResult:
    """Import a pytest-benchmark or pyperf JSON file (pyperf's may be gzip-compressed).

    With source None the tool is recognised from the file's fields. Raises ImportFormatError
    for a file that cannot be read or is not a results file of that tool.
    """
    if source is not None and source not in SOURCES:
        raise ImportFormatError(
            f"{source!r} is not a supported source. Use one of {', '.join(SOURCES)}."
        )
    document = _read_json(Path(path))
    detected = detect_source(document)
    if source is None:
        if detected is None:
            raise ImportFormatError(
                f"{os.fspath(path)} is neither a pytest-benchmark nor a pyperf results file. "
                f"Pass --from {' or --from '.join(SOURCES)} if it is one of them."
            )
        source = detected
    label = os.fspath(path)
    if source == PYTEST_BENCHMARK:
        return import_pytest_benchmark(document, label=label)
    return import_pyperf(document, label=label)


def detect_source(document: Any) -> str | None:
    """Return the tool that wrote a parsed results file, or None when it is neither."""
    if not isinstance(document, Mapping):
        return None
    if "machine_info" in document and isinstance(document.get("benchmarks"), list):
        return PYTEST_BENCHMARK
    benchmarks = document.get("benchmarks")
    if isinstance(benchmarks, list) and all(
        isinstance(b, Mapping) and "runs" in b for b in benchmarks
    ):
        return PYPERF
    return None


def _read_json(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise ImportFormatError(
            f"{path} does not exist. Pass the path of a results file."
        ) from error
    except OSError as error:
        raise ImportFormatError(f"{path} cannot be read: {error.strerror or error}.") from error
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise ImportFormatError(
                f"{path} starts like gzip data but cannot be decompressed ({error})."
            ) from error
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportFormatError(
            f"{path} is not valid JSON ({error}). Pass the JSON file that the tool wrote."
        ) from error


# pytest-benchmark.


def import_pytest_benchmark(document: Any, *, label: str = "pytest-benchmark data") -> ImportResult:
    """Import a file of ``pytest --benchmark-json`` or ``--benchmark-save``.

    ``stats.data`` contains the time of each round divided by the iterations of the round, which
    are imported as samples. When it is missing, the summary statistics are kept under the
    implementation's ``imported.summary`` and the benchmark gets no samples.
    """
    if detect_source(document) != PYTEST_BENCHMARK:
        raise ImportFormatError(
            f"{label} is not a pytest-benchmark results file: it lacks 'machine_info' or a "
            f"'benchmarks' list. Pass a file written by --benchmark-json or --benchmark-save."
        )
    benchmarks: list[BenchmarkResult] = []
    imported: list[dict[str, Any]] = []
    summary_only: list[str] = []
    for index, entry in enumerate(document["benchmarks"]):
        where = f"{label}: benchmarks[{index}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("stats"), Mapping):
            raise ImportFormatError(f"{where} has no 'stats' object, so it is not a benchmark.")
        name = str(entry.get("name") or entry.get("fullname") or f"benchmark {index}")
        fullname = str(entry.get("fullname") or name)
        stats = entry["stats"]
        data = stats.get("data")
        iterations = _positive_int(stats.get("iterations"), 1)

        implementation = ImplementationResult(name=name, qualname=fullname, loops=iterations)
        benchmark = BenchmarkResult(
            id=fullname, nodeid=fullname, form=PYTEST_BENCHMARK, baseline=name, expect=None,
            rounds_requested=0, metrics=["time"], counted_metrics=["time"],
            implementations=[implementation],
        )
        if isinstance(data, list) and data:
            times = [_time(value, f"{where}.stats.data") for value in data]
            _fill_samples(implementation, times, iterations)
            benchmark.rounds = benchmark.rounds_requested = len(times)
            imported.append({"source": PYTEST_BENCHMARK, "raw_samples": True})
        else:
            summary = {key: stats.get(key) for key in PYTEST_BENCHMARK_SUMMARY if key in stats}
            imported.append({"source": PYTEST_BENCHMARK, "raw_samples": False, "summary": summary})
            benchmark.notes.append(
                f"pytest-benchmark saved only summary statistics of {name!r} "
                f"({_rounds_text(stats.get('rounds'))}), not the time of each round, so its "
                f"comparisons are insufficient-data. Save with --benchmark-save-data, or write "
                f"the file with --benchmark-json, to keep the rounds."
            )
            summary_only.append(name)
        benchmarks.append(benchmark)

    environment = _pytest_benchmark_environment(document)
    notes = [f"imported from pytest-benchmark {document.get('version', '')} file {label}".rstrip()]
    messages = []
    if summary_only:
        message = (
            f"{len(summary_only)} of {len(benchmarks)} benchmarks have summary statistics only "
            f"and no raw samples ({', '.join(summary_only)}), so their comparisons will be "
            f"insufficient-data. Save with --benchmark-save-data to keep the rounds."
        )
        notes.append(message)
        messages.append(message)
    run = _imported_run(
        benchmarks, imported, environment, _created(document.get("datetime")), notes
    )
    commit = document.get("commit_info")
    if isinstance(commit, Mapping):
        run["commit"] = {
            "commit": commit.get("id"),
            "branch": commit.get("branch"),
            "dirty": commit.get("dirty"),
        }
    # Summary-only implementations show pytest-benchmark's own median, mean and minimum.
    for benchmark_dict, extra in zip(run["benchmarks"], imported, strict=True):
        implementation_dict = benchmark_dict["implementations"][0]
        statistics = extra.get("summary")
        if statistics is None:
            continue
        for field_name, key in (("median_time", "median"), ("mean_time", "mean"),
                                ("min_time", "min")):
            implementation_dict[field_name] = _finite_or_none(statistics.get(key))
    return ImportResult(run=run, source=PYTEST_BENCHMARK, messages=messages)


def _pytest_benchmark_environment(document: Mapping[str, Any]) -> dict[str, Any]:
    machine = _mapping(document.get("machine_info"))
    cpu = _mapping(machine.get("cpu"))
    environment: dict[str, Any] = {}
    for key, source in (("python", "python_version"), ("implementation", "python_implementation"),
                        ("machine", "machine")):
        if isinstance(machine.get(source), str):
            environment[key] = machine[source]
    if isinstance(cpu.get("count"), int):
        environment["cpu_count"] = cpu["count"]
    if isinstance(document.get("version"), str):
        environment["pytest_benchmark"] = document["version"]
    return environment


# pyperf.


def import_pyperf(document: Any, *, label: str = "pyperf data") -> ImportResult:
    """Import a pyperf JSON file (format version 1.0): every value of every run is a sample.

    pyperf stores each value already divided by its loops and inner loops, so a value is the
    time of one call. Runs without values (calibration runs) are skipped. Benchmarks whose unit
    is not seconds, such as memory in bytes, are left out with a message.
    """
    if detect_source(document) != PYPERF:
        raise ImportFormatError(
            f"{label} is not a pyperf results file: it lacks a 'benchmarks' list whose entries "
            f"have 'runs'. Pass a file written by pyperf with -o or --output."
        )
    common = _mapping(document.get("metadata"))
    benchmarks: list[BenchmarkResult] = []
    imported: list[dict[str, Any]] = []
    messages: list[str] = []
    first_date: Any = None
    for index, entry in enumerate(document["benchmarks"]):
        metadata = {**common, **_mapping(entry.get("metadata"))}
        name = str(metadata.get("name") or f"benchmark {index}")
        unit = metadata.get("unit", "second")
        if unit != "second":
            messages.append(
                f"{name!r} measures {unit!r}, not time in seconds, so it was left out."
            )
            continue
        times: list[float] = []
        loops = None
        for run_index, run in enumerate(entry.get("runs") or []):
            if not isinstance(run, Mapping):
                raise ImportFormatError(f"{label}: benchmarks[{index}].runs[{run_index}] is "
                                        f"not an object.")
            run_metadata = {**metadata, **_mapping(run.get("metadata"))}
            values = run.get("values") or []
            if not values:
                continue
            if first_date is None:
                first_date = run_metadata.get("date")
            if loops is None:
                loops = _positive_int(run_metadata.get("loops"), 1) * _positive_int(
                    run_metadata.get("inner_loops"), 1
                )
            where = f"{label}: benchmarks[{index}].runs[{run_index}].values"
            times.extend(_time(value, where) for value in values)

        implementation = ImplementationResult(name=name, qualname=name, loops=loops or 1)
        benchmark = BenchmarkResult(
            id=name, nodeid=name, form=PYPERF, baseline=name, expect=None,
            rounds_requested=len(times), rounds=len(times), metrics=["time"],
            counted_metrics=["time"], implementations=[implementation],
        )
        _fill_samples(implementation, times, loops or 1)
        if not times:
            message = f"pyperf stored no values for {name!r}, only calibration runs."
            benchmark.notes.append(message)
            messages.append(message)
        imported.append({"source": PYPERF, "raw_samples": bool(times)})
        benchmarks.append(benchmark)

    if not benchmarks:
        raise ImportFormatError(
            f"{label} has no benchmark that measures time. "
            + " ".join(messages)
        )
    environment = _pyperf_environment(common)
    notes = [f"imported from pyperf file {label}; each value is one sample", *messages]
    run = _imported_run(benchmarks, imported, environment, _created(first_date), notes)
    return ImportResult(run=run, source=PYPERF, messages=messages)


def _pyperf_environment(metadata: Mapping[str, Any]) -> dict[str, Any]:
    environment: dict[str, Any] = {}
    version = metadata.get("python_version")
    if isinstance(version, str) and version.split():
        # pyperf writes e.g. "3.7.9 (64-bit)"; the run keeps the version number only.
        environment["python"] = version.split()[0]
    implementation = metadata.get("python_implementation")
    if isinstance(implementation, str):
        names = {"cpython": "CPython", "pypy": "PyPy"}
        environment["implementation"] = names.get(implementation.lower(), implementation)
    if isinstance(metadata.get("platform"), str):
        environment["platform"] = metadata["platform"]
    if isinstance(metadata.get("cpu_count"), int):
        environment["cpu_count"] = metadata["cpu_count"]
    if isinstance(metadata.get("perf_version"), str):
        environment["pyperf"] = metadata["perf_version"]
    return environment


# Shared steps.


def _fill_samples(implementation: ImplementationResult, times: list[float], loops: int) -> None:
    implementation.times = times
    implementation.rounds = list(range(len(times)))
    implementation.positions = [0] * len(times)
    # Neither tool measures CPU time per sample; NaN is written as null.
    implementation.cpu_times = [math.nan] * len(times)
    implementation.calls = len(times) * loops


def _imported_run(
    benchmarks: list[BenchmarkResult],
    imported: list[dict[str, Any]],
    environment: dict[str, Any],
    created: str,
    notes: list[str],
) -> dict[str, Any]:
    rounds = max((b.rounds for b in benchmarks), default=0)
    settings = {
        "rounds": max(rounds, 1),
        "margin": DEFAULT_MARGIN,
        "alpha": DEFAULT_ALPHA,
        "confidence_level": 1.0 - DEFAULT_ALPHA,
        "bootstrap_resamples": DEFAULT_RESAMPLES,
        "min_win_rate": None,
        "min_improvement": None,
    }
    run = run_to_dict(
        tool_version=__version__,
        created=created,
        seed=0,
        settings=settings,
        environment=environment,
        benchmarks=benchmarks,
        summary=summarise(benchmarks, alpha=DEFAULT_ALPHA, min_win_rate=None,
                          min_improvement=None),
    )
    for benchmark_dict, extra in zip(run["benchmarks"], imported, strict=True):
        benchmark_dict["implementations"][0]["imported"] = extra
    run["notes"] = notes
    return run


def _mapping(value: Any) -> Mapping[str, Any]:
    """Return value when it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _time(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ImportFormatError(f"{where} contains {value!r}, which is not a number of seconds.")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ImportFormatError(f"{where} contains {value!r}, which is not a positive time.")
    return number


def _positive_int(value: Any, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default


def _finite_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _rounds_text(rounds: Any) -> str:
    return f"{rounds} rounds" if isinstance(rounds, int) else "rounds not stated"


def _created(value: Any) -> str:
    """Return a timestamp of the other tool as ISO 8601, or now when it has none."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                # Both tools write local time without a zone; it is kept as written.
                return parsed.isoformat(timespec="seconds")
            return parsed.astimezone(UTC).isoformat(timespec="seconds")
    return datetime.now(UTC).isoformat(timespec="seconds")
