"""Tests of hedges_g and the confidence intervals of Cohen's d and Hedges' g: hand computations
of the exact gamma-form correction and of the Hedges & Olkin (1985) large-sample interval,
degenerate samples and large samples.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from pytest_statbench.stats import INSUFFICIENT_DATA, OK, cohens_d, hedges_g

pytestmark = pytest.mark.filterwarnings("error")

# R's datasets::sleep, extra hours of sleep under drug 1 and drug 2.
SLEEP_DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

# statistics.NormalDist().inv_cdf(0.975)
Z_95 = 1.959963984540054


def pooled_d(a, b):
    pooled = ((len(a) - 1) * statistics.variance(a) + (len(b) - 1) * statistics.variance(b)) / (
        len(a) + len(b) - 2
    )
    return (statistics.mean(a) - statistics.mean(b)) / math.sqrt(pooled)


def hedges_olkin_interval(value, n1, n2, z):
    """value -+ z * sqrt((n1 + n2) / (n1 n2) + value^2 / (2 (n1 + n2)))."""
    standard_error = math.sqrt((n1 + n2) / (n1 * n2) + value**2 / (2 * (n1 + n2)))
    return (value - z * standard_error, value + z * standard_error)


# --- Hedges' g ------------------------------------------------------------------------------


def test_hedges_g_by_hand():
    # d = 2 / sqrt(2.5) (see test_cohens_d_by_hand); m = 3 + 3 - 2 = 4, and the exact
    # correction is J(4) = Gamma(2) / (sqrt(2) Gamma(3/2)) = 1 / (sqrt(2) * sqrt(pi) / 2)
    # = sqrt(2 / pi) = 0.79788...
    result = hedges_g([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    assert result.value == pytest.approx(2 / math.sqrt(2.5) * math.sqrt(2 / math.pi), rel=1e-12)


def test_hedges_g_sleep_by_hand():
    # m = 18: J(18) = Gamma(9) / (3 Gamma(8.5)), with math.gamma computing both factors.
    correction = math.gamma(9) / (3 * math.gamma(8.5))
    expected = pooled_d(SLEEP_DRUG_1, SLEEP_DRUG_2) * correction
    assert hedges_g(SLEEP_DRUG_1, SLEEP_DRUG_2).value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("m", [6, 8, 20, 100])
def test_correction_near_approximation(m):
    # The approximation 1 - 3 / (4 (n1 + n2) - 9) = 1 - 3 / (4m - 1) lies within 0.001 of the
    # exact factor from m = 6 on, as hedges_g's docstring states.
    baseline = [1.0, 2.0]
    candidate = [float(i) for i in range(m)]
    ratio = hedges_g(candidate, baseline).value / cohens_d(candidate, baseline).value
    assert abs(ratio - (1 - 3 / (4 * m - 1))) < 0.001


def test_correction_below_approximation_at_m5():
    baseline = [1.0, 2.0]
    candidate = [0.0, 1.0, 3.0, 4.0, 5.0]
    ratio = hedges_g(candidate, baseline).value / cohens_d(candidate, baseline).value
    assert abs(ratio - (1 - 3 / 19)) > 0.001


def test_hedges_g_interval_by_hand():
    result = hedges_g(SLEEP_DRUG_1, SLEEP_DRUG_2)
    expected = hedges_olkin_interval(result.value, 10, 10, Z_95)
    assert result.confidence_interval == pytest.approx(expected, rel=1e-12)


def test_hedges_g_fields():
    result = hedges_g(SLEEP_DRUG_1, SLEEP_DRUG_2, confidence_level=0.9)
    assert (result.status, result.reason, result.measure) == (OK, None, "Hedges' g")
    assert (result.confidence_level, result.band) == (0.9, "medium")


def test_hedges_g_smaller_than_d():
    g = hedges_g(SLEEP_DRUG_1, SLEEP_DRUG_2).value
    d = cohens_d(SLEEP_DRUG_1, SLEEP_DRUG_2).value
    assert abs(g) < abs(d)


# --- Cohen's d interval ---------------------------------------------------------------------


def test_cohens_d_interval_by_hand():
    # d = 2 / sqrt(2.5) = 1.2649; SE^2 = 6/9 + d^2 / 12 = 2/3 + 0.4/3 = 0.8.
    result = cohens_d([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    d = 2 / math.sqrt(2.5)
    assert result.confidence_interval == pytest.approx(
        (d - Z_95 * math.sqrt(0.8), d + Z_95 * math.sqrt(0.8)), rel=1e-12
    )


def test_cohens_d_interval_sleep():
    result = cohens_d(SLEEP_DRUG_1, SLEEP_DRUG_2)
    expected = hedges_olkin_interval(pooled_d(SLEEP_DRUG_1, SLEEP_DRUG_2), 10, 10, Z_95)
    assert result.confidence_interval == pytest.approx(expected, rel=1e-12)


def test_cohens_d_interval_level():
    # statistics.NormalDist().inv_cdf(0.95) for a 90% interval.
    result = cohens_d(SLEEP_DRUG_1, SLEEP_DRUG_2, confidence_level=0.9)
    expected = hedges_olkin_interval(result.value, 10, 10, 1.6448536269514722)
    assert result.confidence_interval == pytest.approx(expected, rel=1e-12)


def test_cohens_d_fields():
    result = cohens_d(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert (result.measure, result.confidence_level, result.dropped) == ("Cohen's d", 0.95, 0)


# --- degenerate samples ---------------------------------------------------------------------

DEGENERATE = {
    "zero pooled sd": (
        [2.0, 2.0, 2.0],
        [3.0, 3.0],
        "both samples have zero variance, so the pooled standard deviation is zero",
    ),
    "identical": (
        [0.04] * 10,
        [0.04] * 30,
        "both samples have zero variance, so the pooled standard deviation is zero",
    ),
    "n1": ([1.0], [1.0, 2.0], "candidate has 1 sample; at least 2 are needed"),
    "inf": (
        [1.0, 2.0],
        [math.inf, 1.0],
        "baseline has 1 sample after 1 NaN or infinite value was dropped; at least 2 are needed",
    ),
}


@pytest.mark.parametrize("effect", [cohens_d, hedges_g])
@pytest.mark.parametrize(
    ("candidate", "baseline", "reason"), list(DEGENERATE.values()), ids=list(DEGENERATE)
)
def test_effect_degenerate(effect, candidate, baseline, reason):
    result = effect(candidate, baseline)
    assert (result.status, result.reason) == (INSUFFICIENT_DATA, reason)
    assert math.isnan(result.value)
    assert all(math.isnan(x) for x in result.confidence_interval)
    assert result.band is None


@pytest.mark.parametrize("effect", [cohens_d, hedges_g])
def test_effect_drops_non_finite(effect):
    clean = effect(SLEEP_DRUG_1, SLEEP_DRUG_2)
    dirty = effect([math.nan, *SLEEP_DRUG_1], [*SLEEP_DRUG_2, math.inf])
    assert (dirty.value, dirty.dropped) == (clean.value, 2)


@pytest.mark.parametrize("effect", [cohens_d, hedges_g])
def test_effect_bad_level(effect):
    with pytest.raises(ValueError, match="confidence_level must be a number strictly between"):
        effect(SLEEP_DRUG_1, SLEEP_DRUG_2, confidence_level=0)


# --- large samples --------------------------------------------------------------------------


@pytest.mark.parametrize("effect", [cohens_d, hedges_g])
def test_million_values_trivial_shift(effect):
    # A true shift of 0.001 standard deviations; the estimate's standard error is about 0.0014.
    generator = np.random.default_rng(22)
    baseline = generator.normal(0.0, 1.0, 1_000_000)
    candidate = generator.normal(0.001, 1.0, 1_000_000)
    result = effect(candidate, baseline)
    assert result.status == OK
    assert abs(result.value) < 0.01
    assert result.band == "negligible"
    assert result.confidence_interval[1] - result.confidence_interval[0] < 0.01
