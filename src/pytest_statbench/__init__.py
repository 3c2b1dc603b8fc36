"""pytest-statbench: statistical comparisons of implementations inside pytest."""

from __future__ import annotations

__version__ = "0.1.0"

from .api import Bench, BenchUsageError, ComparisonResult, compare
from .sandbox.code import Code

__all__ = ["Bench", "BenchUsageError", "Code", "ComparisonResult", "__version__", "compare"]
