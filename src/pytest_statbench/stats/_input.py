"""Checks and clean-up of inputs shared by the statistics functions (private)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

MIN_SAMPLES = 2


def as_sample(values: ArrayLike, name: str) -> FloatArray:
    """Return ``values`` as a 1-D float array, or raise ValueError naming ``name``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a 1-D sequence of numbers, but it could not be converted to floats "
            f"({exc}); pass a list or 1-D numpy array of numbers"
        ) from exc
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, got an array of shape {array.shape}; pass a flat sequence "
            "of values (use .ravel() if the extra dimensions are accidental)"
        )
    return array


def drop_nan(array: FloatArray) -> FloatArray:
    return array[~np.isnan(array)]


def samples(n: int) -> str:
    return f"{n} sample" if n == 1 else f"{n} samples"


def too_few(name: str, n: int) -> str | None:
    """Reason text when ``name`` has fewer than two values, else None."""
    if n < MIN_SAMPLES:
        return f"{name} has {samples(n)}; at least {MIN_SAMPLES} are needed"
    return None


def infinite(name: str, array: FloatArray) -> str | None:
    """Reason text when ``array`` holds an infinite value, else None."""
    if np.isinf(array).any():
        return f"{name} contains an infinite value; every value must be finite"
    return None


def first_reason(*reasons: str | None) -> str | None:
    return next((reason for reason in reasons if reason is not None), None)


def check_confidence_level(confidence_level: object) -> float:
    if (
        isinstance(confidence_level, bool)
        or not isinstance(confidence_level, Real)
        or not 0.0 < float(confidence_level) < 1.0
    ):
        raise ValueError(
            f"confidence_level must be a number strictly between 0 and 1, got "
            f"{confidence_level!r}; use e.g. 0.95 for a 95% interval"
        )
    return float(confidence_level)


def check_resamples(resamples: object) -> int:
    if isinstance(resamples, bool) or not isinstance(resamples, Integral) or resamples < 1:
        raise ValueError(f"resamples must be a positive integer, got {resamples!r}; use e.g. 2000")
    return int(resamples)


def check_positive(array: FloatArray, name: str) -> None:
    """Raise ValueError naming the first value that is not > 0 (NaN is allowed: it is dropped)."""
    bad = np.flatnonzero(array <= 0)
    if bad.size:
        index = int(bad[0])
        raise ValueError(
            f"{name}[{index}] = {float(array[index])!r} is not a positive time; times must be > 0 "
            "seconds, so remove or correct that value"
        )


def check_probabilities(array: FloatArray, name: str) -> None:
    """Raise ValueError naming the first value outside [0, 1] (NaN is allowed)."""
    bad = np.flatnonzero((array < 0) | (array > 1))
    if bad.size:
        index = int(bad[0])
        raise ValueError(
            f"{name}[{index}] = {float(array[index])!r} is not a probability; p-values must lie in "
            "[0, 1], so pass the p-values themselves"
        )


def no_spread(*arrays: FloatArray) -> bool:
    """True when every array is constant up to floating-point rounding of its values."""
    for array in arrays:
        scale = max(1.0, float(np.max(np.abs(array))))
        if float(np.ptp(array)) > 64 * np.finfo(np.float64).eps * scale:
            return False
    return True


def constant(array: FloatArray) -> bool:
    """True when every value is identical (zero variance)."""
    return array.size > 0 and float(np.ptp(array)) == 0.0
