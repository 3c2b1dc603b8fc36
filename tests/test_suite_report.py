"""BenchmarkReport: statistics from the engine's samples, summaries and report files."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_statbench.results import BenchmarkResult as EngineRecord
from pytest_statbench.results import ImplementationResult
from pytest_statbench.schema import load_run
from pytest_statbench.suite import (
    Benchmark,
    BenchmarkContext,
    BenchmarkReport,
    BenchmarkResult,
    BenchmarkRunner,
    BenchmarkSuite,
)

TINY: dict[str, Any] = {"rounds": 10, "seed": 3, "min_sample_time": 0.0002, "warmup_time": 0.001,
        "bootstrap_resamples": 400}


def slow_sum(n: int) -> int:
    total = 0
    for value in range(n):
        total += value
    return total


def medium_sum(n: int) -> int:
    return sum(range(n))


def fast_sum(n: int) -> int:
    return n * (n - 1) // 2


class ThreeSums(Benchmark):
    name = "sums"

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        await context.compare(
            {"slow": slow_sum, "medium": medium_sum, "fast": fast_sum},
            baseline="slow", args=(3000,), same_result=True,
        )
        return context.result


class Broken(Benchmark):
    name = "broken"

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        raise RuntimeError("no data")


@pytest.fixture(scope="module")
def results() -> list[BenchmarkResult]:
    suite = BenchmarkSuite()
    suite.add_benchmark("sums", ThreeSums())
    suite.add_benchmark("broken", Broken())
    return asyncio.run(BenchmarkRunner(**TINY).run_suite(suite))


@pytest.fixture(scope="module")
def report(results: list[BenchmarkResult]) -> BenchmarkReport:
    return BenchmarkReport(results, min_win_rate=0.5)


def one_sample_report() -> BenchmarkReport:
    record = EngineRecord(
        id="tiny", nodeid="tiny", form="api", baseline="a", expect=None, rounds_requested=1,
        rounds=1,
    )
    for name, time in (("a", 0.002), ("b", 0.001), ("c", 0.003)):
        record.implementations.append(ImplementationResult(
            name=name, qualname=name, loops=1, calls=1, rounds=[0], positions=[0],
            times=[time], cpu_times=[time],
        ))
    return BenchmarkReport([BenchmarkResult("tiny", records=[record])])


def test_t_test_on_samples(report: BenchmarkReport) -> None:
    result = report.get_t_test("fast", "slow")

    assert result.status == "ok"
    assert result.sizes == {"fast": 10, "slow": 10}
    assert result.statistic is not None and result.statistic < 0
    assert result.p_value is not None and result.p_value < 0.05
    assert result.significant is True


def test_anova_and_effect_size(report: BenchmarkReport) -> None:
    anova = report.get_anova_test("time", benchmark="sums")
    effect = report.get_effect_size("fast", "slow")

    assert anova.status == "ok"
    assert anova.p_value is not None and anova.p_value < 0.05
    assert set(anova.sizes) == {"slow", "medium", "fast"}
    assert effect.value is not None and effect.value < 0
    assert effect.band == "large"
    assert effect.ci is not None


def test_one_sample_reports_insufficient_data() -> None:
    report = one_sample_report()

    t_test = report.get_t_test("b", "a")
    anova = report.get_anova_test()
    effect = report.get_effect_size("b", "a")
    comparison = report.compare_frameworks("b", "c")

    assert t_test.status == "insufficient-data"
    assert t_test.statistic is None
    assert t_test.p_value is None
    assert t_test.significant is None
    assert anova.status == "insufficient-data"
    assert anova.p_value is None
    assert effect.status == "insufficient-data"
    assert effect.value is None
    assert comparison["verdict"] == "insufficient-data"
    assert comparison["ratio"] is None
    assert report.get_win_rate("b") is None


def test_compare_frameworks_engine_and_ad_hoc(report: BenchmarkReport) -> None:
    against_baseline = report.compare_frameworks("fast", "slow")
    between_candidates = report.compare_frameworks("fast", "medium")

    assert against_baseline["verdict"] == "better"
    assert against_baseline["improvement_percent"] > 50
    low, high = against_baseline["ci"]
    assert low <= against_baseline["ratio"] <= high
    assert between_candidates["verdict"] == "better"
    assert between_candidates["ratio"] < 1


def test_compare_frameworks_unknown_name(report: BenchmarkReport) -> None:
    with pytest.raises(KeyError, match="no measured comparison contains both"):
        report.compare_frameworks("fast", "nonexistent")


def test_win_rate_takes_candidate(report: BenchmarkReport) -> None:
    assert report.get_win_rate("fast") == 1.0
    assert report.get_win_rate("slow") is None


def test_summaries(report: BenchmarkReport) -> None:
    statistical = report.get_statistical_summary()
    executive = report.get_executive_summary()

    assert statistical["comparisons"] == 2
    assert statistical["win_rate_by_candidate"]["fast"] == 1.0
    assert statistical["passed"] is True
    assert executive["total_benchmarks"] == 2
    assert executive["failed_benchmarks"] == 1
    assert executive["total_comparisons"] == 2
    assert executive["average_effect_size"] is not None
    assert any("broken: failed: RuntimeError: no data" in line for line in executive["findings"])
    intervals = report.get_confidence_intervals()
    assert set(intervals) == {"fast vs slow (sums)", "medium vs slow (sums)"}


def test_json_is_valid_run(report: BenchmarkReport, tmp_path: Path) -> None:
    path = report.save_json(tmp_path / "run.json")

    run = load_run(path)
    assert [b["id"] for b in run["benchmarks"]] == ["sums"]
    assert run["suite"]["results"][1]["error"] == "RuntimeError: no data"
    samples = run["benchmarks"][0]["implementations"][0]["samples"]["time"]
    assert len(samples) == 10


def test_json_options(report: BenchmarkReport, tmp_path: Path) -> None:
    compressed = report.save_json(
        tmp_path / "run.json.gz", compress=True, include_raw_results=False,
        include_metadata=False, pretty=False,
    )

    run = json.loads(gzip.decompress(compressed.read_bytes()))
    assert "suite" not in run
    assert run["benchmarks"][0]["implementations"][0]["samples"]["time"] == []


def test_html_csv_and_pandas(report: BenchmarkReport, tmp_path: Path) -> None:
    html = report.save_html(
        tmp_path / "report.html", theme="dark", significance_level=0.01,
        effect_size_threshold=1e9,
    )
    csv_path = report.export_csv(tmp_path / "comparisons.csv", samples_path=tmp_path / "s.csv")

    text = html.read_text(encoding="utf-8")
    assert "99%" in text
    assert "effect-size threshold" in text
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert {row["candidate"] for row in rows} == {"fast", "medium"}
    frame = report.export_to_pandas()
    assert len(frame) == 30


def test_html_levels_must_agree(report: BenchmarkReport, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="disagree"):
        report.save_html(tmp_path / "r.html", significance_level=0.05, confidence_level=0.99)


def test_t_test_rejects_unsampled_metric(report: BenchmarkReport) -> None:
    with pytest.raises(KeyError, match="metric 'loc' has no samples for 'fast'"):
        report.get_t_test("fast", "slow", metric="loc")


def test_load_json_reproduces_comparisons(report: BenchmarkReport, tmp_path: Path) -> None:
    path = report.save_json(tmp_path / "run.json")

    loaded = BenchmarkReport.load_json(path)

    original = report.compare_frameworks("fast", "slow")
    again = loaded.compare_frameworks("fast", "slow")
    assert again["ratio"] == pytest.approx(original["ratio"])
    assert again["ci"] == pytest.approx(original["ci"])
    assert again["verdict"] == original["verdict"]
    assert loaded.get_executive_summary()["failed_benchmarks"] == 1
    assert loaded.get_statistical_summary()["gates"][0]["name"] == "min_win_rate"
