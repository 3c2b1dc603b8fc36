"""Summary statistics of positive values."""

from __future__ import annotations

import math

import scipy.stats
from numpy.typing import ArrayLike

from ._input import as_sample, check_positive, drop_nan


def geometric_mean(values: ArrayLike) -> float:
    """Geometric mean of positive values, ``exp(mean(log values))``.

    NaN values are dropped; with nothing left the result is NaN. A value that is not > 0 raises
    ValueError naming it. An infinite value gives an infinite mean.
    """
    array = as_sample(values, "values")
    check_positive(array, "values")
    array = drop_nan(array)
    if array.size == 0:
        return math.nan
    return float(scipy.stats.gmean(array))
