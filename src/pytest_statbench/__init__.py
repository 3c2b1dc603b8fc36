"""pytest-statbench: statistical comparisons of implementations inside pytest."""

from __future__ import annotations

__version__ = "0.1.0"

from .api import Bench, BenchUsageError, ComparisonResult, compare

__all__ = ["Bench", "BenchUsageError", "ComparisonResult", "__version__", "compare"]
