"""Number and text formatting shared by the terminal summary and the HTML report.

None and non-finite floats are shown as "n/a", because the JSON writer stores a value it could
not compute as null.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import jinja2

from ..results import VERDICTS

NOT_AVAILABLE = "n/a"


def format_time(seconds: float | None) -> str:
    """Format a time in seconds with an SI unit (ns, µs, ms, s) and 3 significant digits."""
    value = _finite_number(seconds, "time")
    if value is None:
        return NOT_AVAILABLE
    if value == 0:
        return "0 s"

    units = (("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0))
    index = 0
    for position, (_, scale) in enumerate(units):
        if abs(value) >= scale:
            index = position

    text = _significant_digits(value / units[index][1], 3)
    # Rounding can carry into the next unit: 999.6 ns is shown as 1.00 µs, not 1000 ns.
    if abs(float(text)) >= 1000 and index < len(units) - 1:
        index += 1
        text = _significant_digits(value / units[index][1], 3)
    return f"{text} {units[index][0]}"


def format_ratio(ratio: float | None) -> str:
    """Format a ratio with 3 decimals, or 3 significant digits when it is huge or tiny."""
    value = _finite_number(ratio, "ratio")
    if value is None:
        return NOT_AVAILABLE
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:.3f}"


def format_p_value(p_value: float | None) -> str:
    """Format a p-value with 3 decimals, or as "<0.001" below 0.001."""
    value = _finite_number(p_value, "p-value")
    if value is None:
        return NOT_AVAILABLE
    if value < 0.001:
        return "<0.001"
    return f"{value:.3f}"


def format_percent(fraction: float | None) -> str:
    """Format a fraction (0.05) as a percentage with 1 decimal (5.0%)."""
    value = _finite_number(fraction, "fraction")
    if value is None:
        return NOT_AVAILABLE
    # Adding 0.0 turns a rounded -0.0 into 0.0, so a tiny negative value is not shown as "-0.0%".
    return f"{round(value * 100, 1) + 0.0:.1f}%"


def format_memory(size: float | None) -> str:
    """Format a size in bytes as B, KiB, MiB or GiB, with 1 decimal above 1 KiB."""
    value = _finite_number(size, "memory size")
    if value is None:
        return NOT_AVAILABLE
    if abs(value) < 1024:
        return f"{value:.0f} B"

    for unit, scale in (("KiB", 1024), ("MiB", 1024**2)):
        # Compare the rounded value, so 1023.96 KiB is shown as 1.0 MiB.
        if round(abs(value) / scale, 1) < 1024:
            return f"{value / scale:.1f} {unit}"
    return f"{value / 1024**3:.1f} GiB"


def format_number(number: float | None) -> str:
    """Format a statistic (F, degrees of freedom, Cohen's d, a gate value) with 3 significant digits.

    Integers are shown whole, and values of 1000 or more are rounded to a whole number.
    """
    value = _finite_number(number, "number")
    if value is None:
        return NOT_AVAILABLE
    if isinstance(number, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def format_created(created: str) -> str:
    """Format an ISO 8601 time as "YYYY-MM-DD HH:MM:SS UTC", or return it unchanged if unparsable.

    A time without an offset is taken as UTC, because the plugin writes `created` in UTC.
    """
    if not isinstance(created, str):
        raise TypeError(f"created must be an ISO 8601 string, got {created!r}")
    try:
        moment = datetime.fromisoformat(created)
    except ValueError:
        return created

    if moment.utcoffset() in (None, timedelta(0)):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.isoformat(sep=" ", timespec="seconds")


def format_p_value_clause(p_value: float | None) -> str:
    """Format a p-value for running text: "p < 0.001", "p = 0.012" or "p = n/a"."""
    text = format_p_value(p_value)
    if text.startswith("<"):
        return f"p < {text[1:]}"
    return f"p = {text}"


def verdict_class(verdict: str) -> str:
    """Return the CSS class of a verdict badge, or "verdict-unknown" for a verdict not in VERDICTS."""
    if verdict in VERDICTS:
        return f"verdict-{verdict}"
    return "verdict-unknown"


def format_plain(value: Any) -> str:
    """Format a count or an environment value as text: None as "n/a", anything else with str()."""
    if value is None:
        return NOT_AVAILABLE
    return str(value)


def _finite_number(value: Any, name: str) -> float | None:
    if isinstance(value, jinja2.Undefined):
        # A missing key reaches a filter as an Undefined. Converting a StrictUndefined to text
        # raises its UndefinedError, which names the key, instead of a TypeError about the type.
        str(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{name} must be a number or None, got {value!r}. Pass the number from the run unchanged."
        )
    if not math.isfinite(value):
        return None
    return float(value)


def _significant_digits(value: float, digits: int) -> str:
    """Format value with `digits` significant digits in fixed notation, keeping trailing zeros."""
    rounded = float(f"{value:.{digits - 1}e}")
    if rounded == 0:
        return f"{0:.{digits - 1}f}"
    decimals = max(digits - 1 - math.floor(math.log10(abs(rounded))), 0)
    return f"{rounded:.{decimals}f}"


def format_interval(interval: list[float | None] | tuple[float, float] | None) -> str:
    """Format a confidence interval as "[low, high]" with 3 decimals."""
    if not interval or len(interval) != 2 or interval[0] is None or interval[1] is None:
        return NOT_AVAILABLE
    return f"[{format_ratio(interval[0])}, {format_ratio(interval[1])}]"
