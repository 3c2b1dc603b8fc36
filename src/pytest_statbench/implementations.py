"""Facts about implementations that the plugin and the programmatic API both need."""

from __future__ import annotations

import reprlib
from typing import Any


def qualname(implementation: object) -> str:
    """Return the name reports show for an implementation: a Code object's, or __qualname__."""
    if getattr(type(implementation), "__statbench_code__", False) is True:
        return str(getattr(implementation, "qualname", "Code"))
    name = getattr(implementation, "__qualname__", None) or getattr(implementation, "__name__", None)
    return str(name) if name else type(implementation).__qualname__


def result_difference(returned: dict[str, Any], baseline: str) -> str | None:
    """Describe which implementations returned a value unequal to the baseline's, or None."""
    expected = returned[baseline]
    differing = [name for name, value in returned.items() if not _equal(value, expected)]
    if not differing:
        return None
    shown = "; ".join(f"{name} returned {reprlib.repr(returned[name])}" for name in differing)
    return (
        f"implementations differ from baseline {baseline!r}, which returned "
        f"{reprlib.repr(expected)}: {shown}"
    )


def _equal(left: Any, right: Any) -> bool:
    try:
        return bool(left == right)
    except Exception:  # noqa: BLE001 - an __eq__ that raises (numpy arrays) counts as unequal
        return False
