"""Unit tests of the pytest-benchmark and pyperf import (imports.py).

The input files are built here with the fields that pytest-benchmark 5.2 (--benchmark-json)
and pyperf (JSON format version 1.0) write.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from test_runcompare import lognormal_times

from pytest_statbench.imports import (
    ImportFormatError,
    detect_source,
    import_file,
    import_pyperf,
    import_pytest_benchmark,
)
from pytest_statbench.runcompare import compare_runs
from pytest_statbench.schema import validate_run


def pytest_benchmark_entry(name: str, data: list[float] | None) -> dict[str, Any]:
    times = data or [1e-5, 1.1e-5, 1.2e-5]
    stats: dict[str, Any] = {
        "min": min(times), "max": max(times), "mean": sum(times) / len(times),
        "stddev": 1e-6, "rounds": len(times), "median": sorted(times)[len(times) // 2],
        "iqr": 1e-6, "q1": min(times), "q3": max(times), "iqr_outliers": 0,
        "stddev_outliers": 0, "outliers": "0;0", "ld15iqr": min(times),
        "hd15iqr": max(times), "ops": 1e5, "total": sum(times), "iterations": 4,
    }
    if data is not None:
        stats["data"] = data
    return {
        "group": None, "name": name, "fullname": f"test_pb.py::{name}",
        "params": None, "param": None, "extra_info": {},
        "options": {"disable_gc": False, "timer": "perf_counter", "min_rounds": 5,
                    "max_time": 1.0, "min_time": 5e-06, "warmup": False},
        "stats": stats,
    }


def pytest_benchmark_document(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "machine_info": {
            "node": "vm", "processor": "", "machine": "x86_64", "python_compiler": "GCC 12.2.0",
            "python_implementation": "CPython", "python_implementation_version": "3.11.7",
            "python_version": "3.11.7", "release": "6.1.0", "system": "Linux",
            "cpu": {"count": 2, "arch": "X86_64", "brand_raw": "AMD EPYC"},
        },
        "commit_info": {"id": "0123abcd", "time": "2025-01-01T00:00:00+00:00",
                        "author_time": "2025-01-01T00:00:00+00:00", "dirty": False,
                        "project": "demo", "branch": "main"},
        "benchmarks": entries,
        "datetime": "2025-01-02T03:04:05.678901+00:00",
        "version": "5.2.3",
    }


def pyperf_document(values_per_run: list[list[float]], *, unit: str = "second",
                    name: str = "sort a list") -> dict[str, Any]:
    runs: list[dict[str, Any]] = [
        # A calibration run: warmups only, no values.
        {"metadata": {"calibrate_loops": 64, "date": "2025-01-02 03:04:05.000001"},
         "warmups": [[1, 2e-6], [2, 2e-6]]},
    ]
    for index, values in enumerate(values_per_run):
        runs.append({
            "metadata": {"date": f"2025-01-02 03:04:0{index + 6}.000001", "duration": 0.5},
            "warmups": [[64, 2.1e-6]],
            "values": values,
        })
    return {
        "benchmarks": [{"metadata": {"loops": 64, "name": name, "unit": unit}, "runs": runs}],
        "metadata": {
            "cpu_count": 8, "inner_loops": 16, "perf_version": "2.6.0",
            "platform": "Linux-6.1.0-x86_64-with-glibc2.36",
            "python_implementation": "cpython", "python_version": "3.11.7 (64-bit)",
            "timer": "clock_gettime(CLOCK_MONOTONIC), resolution: 1.00 ns",
        },
        "version": "1.0",
    }


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# pytest-benchmark.


def test_pytest_benchmark_rounds_become_samples() -> None:
    data = lognormal_times(1e-5, 30, 1)
    document = pytest_benchmark_document([pytest_benchmark_entry("test_sort", data)])

    result = import_pytest_benchmark(document)

    validate_run(result.run)
    benchmark = result.run["benchmarks"][0]
    assert benchmark["id"] == "test_pb.py::test_sort"
    assert benchmark["rounds"] == 30
    implementation = benchmark["implementations"][0]
    assert implementation["name"] == "test_sort"
    assert implementation["samples"]["time"] == data
    assert implementation["samples"]["round"] == list(range(30))
    assert implementation["loops"] == 4
    assert implementation["imported"] == {"source": "pytest-benchmark", "raw_samples": True}
    assert result.messages == []


def test_pytest_benchmark_environment_and_commit() -> None:
    document = pytest_benchmark_document([pytest_benchmark_entry("test_sort", [1e-5, 2e-5])])

    run = import_pytest_benchmark(document).run

    assert run["environment"] == {"python": "3.11.7", "implementation": "CPython",
                                  "machine": "x86_64", "cpu_count": 2,
                                  "pytest_benchmark": "5.2.3"}
    assert run["commit"] == {"commit": "0123abcd", "branch": "main", "dirty": False}
    assert run["created"] == "2025-01-02T03:04:05+00:00"


def test_pytest_benchmark_summary_only_is_said() -> None:
    document = pytest_benchmark_document([
        pytest_benchmark_entry("test_sort", None),
        pytest_benchmark_entry("test_search", lognormal_times(1e-5, 10, 2)),
    ])

    result = import_pytest_benchmark(document)

    validate_run(result.run)
    message = (
        "1 of 2 benchmarks have summary statistics only and no raw samples (test_sort), so "
        "their comparisons will be insufficient-data. Save with --benchmark-save-data to keep "
        "the rounds."
    )
    assert result.messages == [message]
    assert message in result.run["notes"]
    summary_only = result.run["benchmarks"][0]
    note = (
        "pytest-benchmark saved only summary statistics of 'test_sort' (3 rounds), not the time "
        "of each round, so its comparisons are insufficient-data. Save with "
        "--benchmark-save-data, or write the file with --benchmark-json, to keep the rounds."
    )
    assert summary_only["notes"] == [note]
    implementation = summary_only["implementations"][0]
    assert implementation["samples"]["time"] == []
    assert implementation["imported"]["raw_samples"] is False
    assert implementation["imported"]["summary"]["rounds"] == 3
    assert implementation["median_time"] == pytest.approx(1.1e-5)


def test_summary_only_comparison_is_insufficient_data() -> None:
    old = import_pytest_benchmark(
        pytest_benchmark_document([pytest_benchmark_entry("test_sort", None)])
    ).run
    new = import_pytest_benchmark(
        pytest_benchmark_document(
            [pytest_benchmark_entry("test_sort", lognormal_times(1e-5, 20, 3))]
        )
    ).run

    comparison = compare_runs(old, new)

    result = comparison.benchmarks[0].changes[0].comparison
    assert result.verdict == "insufficient-data"
    assert result.ratio is None
    assert result.reason == (
        "the old run's 'test_sort' was imported from pytest-benchmark with summary statistics "
        "only, so no interval can be computed. Import a file that keeps the raw samples."
    )
    assert comparison.summary.passed is True


def test_two_pytest_benchmark_imports_compare() -> None:
    old = import_pytest_benchmark(pytest_benchmark_document(
        [pytest_benchmark_entry("test_sort", lognormal_times(1e-5, 30, 4))]
    )).run
    new = import_pytest_benchmark(pytest_benchmark_document(
        [pytest_benchmark_entry("test_sort", lognormal_times(3e-5, 30, 5))]
    )).run

    comparison = compare_runs(old, new)

    assert comparison.benchmarks[0].changes[0].comparison.verdict == "worse"
    assert comparison.summary.passed is False


def test_pytest_benchmark_bad_value() -> None:
    document = pytest_benchmark_document([pytest_benchmark_entry("test_sort", [1e-5, -1.0])])

    with pytest.raises(ImportFormatError) as raised:
        import_pytest_benchmark(document, label="pb.json")

    assert str(raised.value) == (
        "pb.json: benchmarks[0].stats.data contains -1.0, which is not a positive time."
    )


def test_pytest_benchmark_entry_without_stats() -> None:
    document = pytest_benchmark_document([{"name": "test_sort"}])

    with pytest.raises(ImportFormatError) as raised:
        import_pytest_benchmark(document, label="pb.json")

    assert str(raised.value) == (
        "pb.json: benchmarks[0] has no 'stats' object, so it is not a benchmark."
    )


# pyperf.


def test_pyperf_values_become_samples() -> None:
    document = pyperf_document([[2.0e-6, 2.1e-6, 2.2e-6], [2.3e-6, 2.4e-6, 2.5e-6]])

    result = import_pyperf(document)

    validate_run(result.run)
    benchmark = result.run["benchmarks"][0]
    assert benchmark["id"] == "sort a list"
    assert benchmark["rounds"] == 6
    implementation = benchmark["implementations"][0]
    assert implementation["samples"]["time"] == [2.0e-6, 2.1e-6, 2.2e-6, 2.3e-6, 2.4e-6, 2.5e-6]
    assert implementation["loops"] == 64 * 16
    assert implementation["calls"] == 6 * 64 * 16
    assert result.run["created"] == "2025-01-02T03:04:06"
    assert result.messages == []


def test_pyperf_environment() -> None:
    run = import_pyperf(pyperf_document([[2e-6, 3e-6]])).run

    assert run["environment"] == {
        "python": "3.11.7", "implementation": "CPython",
        "platform": "Linux-6.1.0-x86_64-with-glibc2.36", "cpu_count": 8, "pyperf": "2.6.0",
    }


def test_pyperf_memory_benchmark_is_left_out() -> None:
    document = pyperf_document([[2e-6, 3e-6]])
    memory = pyperf_document([[7360512]], unit="byte", name="memory")["benchmarks"][0]
    document["benchmarks"].append(memory)

    result = import_pyperf(document)

    assert [b["id"] for b in result.run["benchmarks"]] == ["sort a list"]
    assert result.messages == ["'memory' measures 'byte', not time in seconds, so it was left out."]


def test_pyperf_without_values_is_said() -> None:
    result = import_pyperf(pyperf_document([]))

    assert result.messages == ["pyperf stored no values for 'sort a list', only calibration runs."]
    assert result.run["benchmarks"][0]["implementations"][0]["imported"]["raw_samples"] is False


def test_pyperf_only_memory_is_error() -> None:
    with pytest.raises(ImportFormatError) as raised:
        import_pyperf(pyperf_document([[100]], unit="byte"), label="mem.json")

    assert str(raised.value) == (
        "mem.json has no benchmark that measures time. 'sort a list' measures 'byte', not "
        "time in seconds, so it was left out."
    )


# Files and detection.


def test_import_gzip_pyperf_file(tmp_path: Path) -> None:
    path = tmp_path / "bench.json.gz"
    path.write_bytes(gzip.compress(json.dumps(pyperf_document([[2e-6, 3e-6]])).encode()))

    result = import_file(path)

    assert result.source == "pyperf"
    assert result.run["benchmarks"][0]["rounds"] == 2


def test_detect_source() -> None:
    assert detect_source(pytest_benchmark_document([])) == "pytest-benchmark"
    assert detect_source(pyperf_document([])) == "pyperf"
    assert detect_source({"schema": "pytest-statbench/run"}) is None
    assert detect_source([1, 2]) is None


def test_import_unknown_file(tmp_path: Path) -> None:
    path = write(tmp_path / "other.json", {"results": []})

    with pytest.raises(ImportFormatError) as raised:
        import_file(path)

    assert str(raised.value) == (
        f"{path} is neither a pytest-benchmark nor a pyperf results file. Pass --from "
        f"pytest-benchmark or --from pyperf if it is one of them."
    )


def test_import_wrong_named_source(tmp_path: Path) -> None:
    path = write(tmp_path / "pb.json", pytest_benchmark_document([]))

    with pytest.raises(ImportFormatError) as raised:
        import_file(path, "pyperf")

    assert str(raised.value) == (
        f"{path} is not a pyperf results file: it lacks a 'benchmarks' list whose entries have "
        f"'runs'. Pass a file written by pyperf with -o or --output."
    )


def test_import_not_json(tmp_path: Path) -> None:
    path = tmp_path / "pb.json"
    path.write_text("<html>", encoding="utf-8")

    with pytest.raises(ImportFormatError, match=r"is not valid JSON \(Expecting value"):
        import_file(path)


def test_import_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError) as raised:
        import_file(tmp_path / "absent.json")

    assert str(raised.value) == (
        f"{tmp_path / 'absent.json'} does not exist. Pass the path of a results file."
    )
