"""Effect size: Cohen's d and its conventional bands."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ._input import as_sample, constant, drop_nan, first_reason, infinite, too_few
from .results import INSUFFICIENT_DATA, OK, EffectSize

# Cohen (1988): |d| below 0.2 is negligible, from 0.2 small, from 0.5 medium, from 0.8 large.
_BANDS = ((0.8, "large"), (0.5, "medium"), (0.2, "small"))


def effect_size_band(value: float) -> str:
    """Conventional band of an effect size (Cohen 1988), by its absolute value.

    negligible < 0.2 <= small < 0.5 <= medium < 0.8 <= large. NaN raises ValueError.
    """
    if math.isnan(value):
        raise ValueError(
            f"value must be a number, got {value!r}; an effect size of NaN has no band"
        )
    size = abs(value)
    return next((band for bound, band in _BANDS if size >= bound), "negligible")


def cohens_d(candidate: ArrayLike, baseline: ArrayLike) -> EffectSize:
    """Cohen's d: (mean candidate - mean baseline) / pooled standard deviation.

    The pooled variance weights each side's sample variance by n - 1 (Cohen 1988):
    ((n_c - 1) s_c^2 + (n_b - 1) s_b^2) / (n_c + n_b - 2). NaN values are dropped first. Each side
    needs at least two values; a pooled standard deviation of zero gives "insufficient-data".
    """
    c = drop_nan(as_sample(candidate, "candidate"))
    b = drop_nan(as_sample(baseline, "baseline"))
    reason = first_reason(
        too_few("candidate", c.size),
        too_few("baseline", b.size),
        infinite("candidate", c),
        infinite("baseline", b),
    )
    if reason is None and constant(c) and constant(b):
        reason = "both samples have zero variance, so the pooled standard deviation is zero"
    if reason is not None:
        return EffectSize(
            value=math.nan,
            band=None,
            n_candidate=int(c.size),
            n_baseline=int(b.size),
            status=INSUFFICIENT_DATA,
            reason=reason,
        )
    pooled_var = ((c.size - 1) * np.var(c, ddof=1) + (b.size - 1) * np.var(b, ddof=1)) / (
        c.size + b.size - 2
    )
    value = float((np.mean(c) - np.mean(b)) / np.sqrt(pooled_var))
    return EffectSize(
        value=value,
        band=effect_size_band(value),
        n_candidate=int(c.size),
        n_baseline=int(b.size),
        status=OK,
        reason=None,
    )
