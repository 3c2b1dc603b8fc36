"""Number formatting shared by the terminal summary and text reports."""

from __future__ import annotations

import math

MISSING = "n/a"


def format_time(seconds: float | None) -> str:
    """Format seconds with an SI unit and three significant digits, e.g. ``12.3 µs``."""
    if seconds is None or not math.isfinite(seconds):
        return MISSING
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_ratio(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return MISSING
    return f"{value:.3f}"


def format_interval(interval: list[float | None] | None) -> str:
    if not interval or interval[0] is None or interval[1] is None:
        return MISSING
    return f"[{interval[0]:.3f}, {interval[1]:.3f}]"


def format_p_value(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return MISSING
    if value < 0.001:
        return "<0.001"
    return f"{value:.3f}"


def format_share(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return MISSING
    return f"{value:.1%}"
