"""pytest-statbench: statistical comparisons of implementations inside pytest."""

from __future__ import annotations

__version__ = "0.1.0"

from .api import Bench, BenchUsageError, ComparisonResult, compare  # noqa: E402

__all__ = ["Bench", "BenchUsageError", "ComparisonResult", "compare", "__version__"]
