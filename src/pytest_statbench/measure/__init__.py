"""Measurement: timed loops, calibration, interleaved rounds and peak memory.

The rounds need numpy, so ``measure``, ``RoundSettings`` and ``error_from`` are loaded on first
use; importing this package for the recording helpers or the runners stays cheap when the
plugin is loaded without --bench.
"""

from __future__ import annotations

from typing import Any

from .runner import InProcessRunner, RemoteCallError, Runner
from .timing import CallSpec, Sample

__all__ = [
    "CallSpec",
    "InProcessRunner",
    "RemoteCallError",
    "RoundSettings",
    "Runner",
    "Sample",
    "error_from",
    "measure",
]

_FROM_ROUNDS = ("RoundSettings", "error_from", "measure")


def __getattr__(name: str) -> Any:
    if name in _FROM_ROUNDS:
        from . import rounds

        return getattr(rounds, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
