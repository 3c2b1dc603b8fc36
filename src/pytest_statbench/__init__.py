"""pytest-statbench: statistical comparisons of implementations inside pytest."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from .api import Bench, BenchUsageError, ComparisonResult, compare

__all__ = ["Bench", "BenchUsageError", "Code", "ComparisonResult", "__version__", "compare"]


def __getattr__(name: str) -> Any:
    # Code loads the sandbox package, which a session without Code implementations never needs.
    if name == "Code":
        from .sandbox.code import Code

        return Code
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
