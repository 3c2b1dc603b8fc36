"""Measurement: timed loops, calibration, interleaved rounds and peak memory."""

from __future__ import annotations

from .rounds import RoundSettings, error_from, measure
from .timing import CallSpec

__all__ = ["CallSpec", "RoundSettings", "error_from", "measure"]
