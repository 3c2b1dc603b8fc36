"""Multiple-comparison corrections of p-values: Holm and Benjamini-Hochberg."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._input import as_sample, check_probabilities


def holm(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm's step-down adjusted p-values (Holm 1979), in the input order.

    With the m non-NaN p-values sorted ascending, p_(1) <= ... <= p_(m), the adjusted value of
    p_(k) is min(1, max over j <= k of (m - j + 1) * p_(j)). This matches R's
    ``p.adjust(p, method = "holm")``. NaN entries are returned as NaN and do not count towards
    m. An empty input gives an empty array. A value outside [0, 1] raises ValueError.
    """
    p = as_sample(p_values, "p_values")
    check_probabilities(p, "p_values")
    adjusted = np.full(p.shape, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    m = present.size
    if m == 0:
        return adjusted
    order = present[np.argsort(p[present], kind="stable")]
    stepped = (m - np.arange(m)) * p[order]
    adjusted[order] = np.minimum(np.maximum.accumulate(stepped), 1.0)
    return adjusted


def benjamini_hochberg(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg step-up adjusted p-values (Benjamini & Hochberg 1995), in input order.

    With the m non-NaN p-values sorted ascending, p_(1) <= ... <= p_(m), the adjusted value of
    p_(k) is min(1, min over j >= k of m * p_(j) / j), so the adjusted values are monotone in
    the raw ones. Rejecting where the adjusted value is <= q controls the false discovery rate
    at q for independent or positively dependent tests. This matches R's
    ``p.adjust(p, method = "BH")``. NaN entries are returned as NaN and do not count towards m;
    0.0 is accepted. An empty input gives an empty array, and a value outside [0, 1] raises
    ValueError.
    """
    p = as_sample(p_values, "p_values")
    check_probabilities(p, "p_values")
    adjusted = np.full(p.shape, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    m = present.size
    if m == 0:
        return adjusted
    order = present[np.argsort(p[present], kind="stable")]
    stepped = m / np.arange(1, m + 1) * p[order]
    adjusted[order] = np.minimum(np.minimum.accumulate(stepped[::-1])[::-1], 1.0)
    return adjusted
