"""Checks and clean-up of inputs shared by the statistics functions (private)."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .results import DETERMINISTIC, IDENTICAL

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


def drop_non_finite(array: FloatArray) -> tuple[FloatArray, int]:
    """Return the finite values of ``array`` and how many NaN or infinite values were removed."""
    finite_values = array[np.isfinite(array)]
    return finite_values, int(array.size - finite_values.size)


def samples(n: int) -> str:
    return f"{n} sample" if n == 1 else f"{n} samples"


def dropped_note(dropped: int) -> str:
    if dropped == 0:
        return ""
    noun = "value was" if dropped == 1 else "values were"
    return f" after {dropped} NaN or infinite {noun} dropped"


def too_few(name: str, n: int, dropped: int = 0) -> str | None:
    """Reason text when ``name`` has fewer than two values, else None."""
    if n < MIN_SAMPLES:
        return f"{name} has {samples(n)}{dropped_note(dropped)}; at least {MIN_SAMPLES} are needed"
    return None


def too_few_pairs(n: int, dropped: int = 0) -> str | None:
    """Reason text when fewer than two complete pairs remain, else None."""
    if n < MIN_SAMPLES:
        pairs = "1 complete pair" if n == 1 else f"{n} complete pairs"
        if dropped:
            rounds = "round was" if dropped == 1 else "rounds were"
            pairs += f" after {dropped} {rounds} dropped for a NaN or infinite value"
        return f"{pairs}; at least {MIN_SAMPLES} are needed"
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


def check_paired(paired: object) -> bool:
    if not isinstance(paired, (bool, np.bool_)):
        raise TypeError(f"paired must be True or False, got {paired!r}")
    return bool(paired)


def check_groups(groups: object) -> None:
    """Raise TypeError unless ``groups`` is a sequence of samples rather than one string."""
    if isinstance(groups, (str, bytes)):
        raise TypeError(
            f"groups must be a sequence of 1-D samples, got {groups!r}; pass e.g. [a, b, c]"
        )


def check_names(names: object, n_groups: int) -> list[str]:
    """Return ``names`` as a list of distinct strings, one per group, or raise."""
    if isinstance(names, (str, bytes)):
        raise TypeError(
            f"names must be a sequence of strings, one per group, got {names!r}; "
            "pass e.g. ['baseline', 'candidate']"
        )
    if not isinstance(names, Iterable):
        raise TypeError(f"names must be a sequence of strings, one per group, got {names!r}")
    listed: list[str] = []
    for index, name in enumerate(names):
        if not isinstance(name, str):
            raise TypeError(f"names[{index}] must be a string, got {name!r}")
        listed.append(name)
    if len(listed) != n_groups:
        raise ValueError(
            f"names has {len(listed)} entries but there are {n_groups} groups; "
            "pass one name per group, in the same order"
        )
    repeated = sorted({name for name in listed if listed.count(name) > 1})
    if repeated:
        verb = "is" if len(repeated) == 1 else "are"
        raise ValueError(
            f"names must be distinct, but {', '.join(map(repr, repeated))} {verb} repeated; "
            "give every group its own name"
        )
    return listed


def constant_samples_outcome(equal: bool) -> tuple[str, str]:
    """Return the status and reason for two constant samples, "identical" when they are equal."""
    if equal:
        return IDENTICAL, "both samples are constant and equal"
    return DETERMINISTIC, "both samples are constant: a deterministic difference"


def constant_differences_outcome(zero: bool) -> tuple[str, str]:
    """Return the status and reason for paired differences that are all the same value."""
    if zero:
        return IDENTICAL, "every paired difference is zero"
    return (
        DETERMINISTIC,
        "every paired difference is the same nonzero value: a deterministic difference",
    )
