"""Measurement: timed loops, calibration, interleaved rounds and peak memory."""

from __future__ import annotations

from .rounds import RoundSettings, error_from, measure
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
