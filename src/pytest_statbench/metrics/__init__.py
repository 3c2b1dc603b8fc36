"""Metrics of implementations: the registry, and code-quality metrics from radon.

The code-metrics module loads on first use, so loading the plugin does not pay for it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CodeMetrics", "SourceKind", "measure_code"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import codemetrics

        return getattr(codemetrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
