"""Programmatic benchmarks: suites of comparisons measured by the pytest-statbench engine.

The classes here run without pytest's test runner. Each comparison is measured with the same
interleaved, seeded rounds and analysed with the same statistics as a ``@compare`` test.
"""

from __future__ import annotations

from .api import (
    Benchmark,
    BenchmarkContext,
    BenchmarkMetrics,
    BenchmarkResult,
    BenchmarkRunner,
    BenchmarkSuite,
    ResultMismatch,
    record_metric,
)
from .report import BenchmarkReport, EffectSizeSummary, TestSummary

__all__ = [
    "Benchmark",
    "BenchmarkContext",
    "BenchmarkMetrics",
    "BenchmarkReport",
    "BenchmarkResult",
    "BenchmarkRunner",
    "BenchmarkSuite",
    "EffectSizeSummary",
    "ResultMismatch",
    "TestSummary",
    "record_metric",
]
