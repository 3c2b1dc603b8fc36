"""Code-quality metrics of implementations."""

from __future__ import annotations

from .codemetrics import CodeMetrics, SourceKind, measure_code

__all__ = ["CodeMetrics", "SourceKind", "measure_code"]
