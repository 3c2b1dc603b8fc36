"""Bias-corrected and accelerated (BCa) bootstrap levels (Efron 1987), private to intervals.py."""

from __future__ import annotations

import math

import numpy as np
import scipy.special

from ._input import FloatArray


class BcaUndefined(Exception):
    """Error raised when the BCa levels cannot be computed; its message gives the reason."""


def jackknife_influences(values: FloatArray, shift: float, sign: float) -> FloatArray:
    """Jackknife terms U_i = (n - 1) (mean_j theta_(j) - theta_(i)) of one sample.

    theta_(i) = shift + sign * (mean of ``values`` without value i): the statistic with value i
    left out, for a statistic that is a shift plus or minus the mean of this sample.
    """
    n = values.size
    leave_one_out = shift + sign * (float(np.sum(values)) - values) / (n - 1)
    return (n - 1) * (np.mean(leave_one_out) - leave_one_out)


def acceleration(influences: list[FloatArray]) -> float:
    """Acceleration a from the jackknife terms of each sample.

    a = sum_s (sum U^3 / n_s^3) / (6 * (sum_s (sum U^2 / n_s^2))^(3/2)). For one sample this is
    Efron's sum U^3 / (6 (sum U^2)^(3/2)). For several samples, the scaling by n_s is the one
    scipy.stats.bootstrap uses (scipy 1.17, ``_bca_interval``).
    """
    numerator = sum(float(np.sum(u**3)) / u.size**3 for u in influences)
    denominator = sum(float(np.sum(u**2)) / u.size**2 for u in influences)
    if denominator == 0.0:
        raise BcaUndefined("every jackknife estimate is equal, so the acceleration is undefined")
    return float(numerator / (6.0 * denominator**1.5))


def bca_levels(
    boot: FloatArray, estimate: float, influences: list[FloatArray], level: float
) -> tuple[float, float]:
    """Quantile levels of the bootstrap estimates that bound the BCa interval.

    z0 = Phi^-1(share of ``boot`` below ``estimate``, ties counting one half, as in
    scipy.stats.bootstrap), and each tail z_alpha maps to Phi(z0 + (z0 + z_alpha) /
    (1 - a (z0 + z_alpha))). Raises BcaUndefined when z0 is infinite (every bootstrap estimate
    lies on one side of the estimate) or when 1 - a (z0 + z_alpha) <= 0.
    """
    below = np.count_nonzero(boot < estimate) + np.count_nonzero(boot <= estimate)
    share = below / (2.0 * boot.size)
    if not 0.0 < share < 1.0:
        raise BcaUndefined(
            "every bootstrap estimate lies on one side of the estimate, so the bias "
            "correction z0 is infinite"
        )
    z0 = float(scipy.special.ndtri(share))
    a = acceleration(influences)
    z_tail = float(scipy.special.ndtri((1.0 - level) / 2.0))
    levels = []
    for z in (z_tail, -z_tail):
        denominator = 1.0 - a * (z0 + z)
        if not denominator > 0.0:
            raise BcaUndefined(
                f"the acceleration a = {a:.3g} is too large for the BCa formula, "
                "1 - a (z0 + z) <= 0"
            )
        levels.append(float(scipy.special.ndtr(z0 + (z0 + z) / denominator)))
    if not all(math.isfinite(value) for value in levels):
        raise BcaUndefined("the BCa levels are not finite")
    return levels[0], levels[1]
