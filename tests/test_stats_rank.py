"""Tests of mann_whitney and vargha_delaney_band: R's published result, A12 and Cliff's delta by
brute force, the exact small-sample p-value, the bands, degenerate samples and large samples.

Values marked "scipy" were produced with scipy 1.17.1 by the quoted call. Values marked "R" are
R's printed output of the quoted call, compared to the digits R prints.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pytest_statbench.stats import (
    DETERMINISTIC,
    IDENTICAL,
    INSUFFICIENT_DATA,
    OK,
    mann_whitney,
    vargha_delaney_band,
)

pytestmark = pytest.mark.filterwarnings("error")

# R's datasets::sleep, extra hours of sleep under drug 1 and drug 2.
SLEEP_DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def a12_brute_force(candidate, baseline):
    """P(candidate > baseline) + 0.5 P(equal) over every pair, by broadcasting."""
    c = np.asarray(candidate)[:, None]
    b = np.asarray(baseline)[None, :]
    return float(np.mean((c > b) + 0.5 * (c == b)))


# --- the sleep data -------------------------------------------------------------------------


def test_sleep_matches_r():
    # R: wilcox.test(extra ~ group, data = sleep)
    #    W = 25.5, p-value = 0.06933 (normal approximation with continuity correction, ties)
    result = mann_whitney(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert result.statistic == 25.5
    assert result.p_value == pytest.approx(0.06933, abs=5e-6)


def test_sleep_p_value_golden():
    # scipy: scipy.stats.mannwhitneyu(SLEEP_DRUG_1, SLEEP_DRUG_2, method="auto").pvalue
    result = mann_whitney(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert result.p_value == pytest.approx(0.06932757543362658, rel=1e-12)


def test_sleep_a12_by_hand():
    # A12 = U / (n_c n_b) = 25.5 / 100; Cliff's delta = 2 * 0.255 - 1 = -0.49.
    result = mann_whitney(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert result.a12 == pytest.approx(0.255, abs=1e-15)
    assert result.cliffs_delta == pytest.approx(-0.49, abs=1e-15)
    assert result.band == "large"


def test_sleep_a12_brute_force():
    result = mann_whitney(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert result.a12 == pytest.approx(a12_brute_force(SLEEP_DRUG_1, SLEEP_DRUG_2), abs=1e-15)


def test_a12_brute_force_random():
    generator = np.random.default_rng(3)
    candidate = np.round(generator.normal(0.2, 1.0, 40), 1)
    baseline = np.round(generator.normal(0.0, 1.0, 55), 1)
    result = mann_whitney(candidate, baseline)
    assert result.a12 == pytest.approx(a12_brute_force(candidate, baseline), abs=1e-14)


def test_sleep_ok_fields():
    result = mann_whitney(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert (result.status, result.reason) == (OK, None)
    assert (result.n_candidate, result.n_baseline, result.dropped) == (10, 10, 0)


def test_exact_small_sample():
    # No ties and 3 vs 4 values, so scipy's "auto" uses the exact distribution. Complete
    # separation has U = 0; two-sided p = 2 / C(7, 3) = 2/35.
    result = mann_whitney([1.1, 2.2, 3.3], [4.4, 5.5, 6.6, 7.7])
    assert result.statistic == 0.0
    assert result.p_value == pytest.approx(2 / 35, rel=1e-12)
    assert (result.a12, result.cliffs_delta) == (0.0, -1.0)


# --- Vargha-Delaney bands -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a12", "band"),
    [
        (0.5, "negligible"),
        (0.5599, "negligible"),
        (0.4401, "negligible"),
        (0.56, "small"),
        (0.44, "small"),
        (0.6399, "small"),
        (0.64, "medium"),
        (0.36, "medium"),
        (0.7099, "medium"),
        (0.71, "large"),
        (71 / 100, "large"),
        (0.29, "large"),
        (1.0, "large"),
        (0.0, "large"),
    ],
)
def test_vargha_delaney_band(a12, band):
    assert vargha_delaney_band(a12) == band


@pytest.mark.parametrize("a12", [math.nan, -0.1, 1.5])
def test_vargha_delaney_band_invalid(a12):
    with pytest.raises(ValueError, match=f"a12 must be a probability in \\[0, 1\\], got {a12!r}"):
        vargha_delaney_band(a12)


# --- degenerate samples ---------------------------------------------------------------------


def test_constant_equal():
    result = mann_whitney([0.04] * 10, [0.04] * 30)
    assert (result.status, result.reason) == (IDENTICAL, "both samples are constant and equal")
    assert math.isnan(result.p_value)
    assert (result.statistic, result.a12, result.cliffs_delta) == (150.0, 0.5, 0.0)
    assert result.band == "negligible"


def test_constant_candidate_faster():
    result = mann_whitney([0.04] * 10, [0.05] * 30)
    assert (result.status, result.reason) == (
        DETERMINISTIC,
        "both samples are constant: a deterministic difference",
    )
    assert math.isnan(result.p_value)
    assert (result.statistic, result.a12, result.cliffs_delta) == (0.0, 0.0, -1.0)
    assert result.band == "large"


def test_constant_candidate_slower():
    result = mann_whitney([0.05] * 10, [0.04] * 30)
    assert result.status == DETERMINISTIC
    assert (result.statistic, result.a12, result.cliffs_delta) == (300.0, 1.0, 1.0)


def test_one_constant_side_is_ok():
    result = mann_whitney([0.04] * 10, [0.03, 0.04, 0.05, 0.06])
    assert result.status == OK
    assert result.a12 == pytest.approx(a12_brute_force([0.04] * 10, [0.03, 0.04, 0.05, 0.06]))


FEW = {
    "empty": ([], [1.0, 2.0], "candidate has 0 samples; at least 2 are needed"),
    "n1": ([1.0, 2.0], [3.0], "baseline has 1 sample; at least 2 are needed"),
    "nan": (
        [1.0, math.nan],
        [1.0, 2.0],
        "candidate has 1 sample after 1 NaN or infinite value was dropped; at least 2 are needed",
    ),
    "inf": (
        [1.0, 2.0],
        [math.inf, 3.0],
        "baseline has 1 sample after 1 NaN or infinite value was dropped; at least 2 are needed",
    ),
}


@pytest.mark.parametrize(("candidate", "baseline", "reason"), list(FEW.values()), ids=list(FEW))
def test_too_few(candidate, baseline, reason):
    result = mann_whitney(candidate, baseline)
    assert (result.status, result.reason) == (INSUFFICIENT_DATA, reason)
    assert all(math.isnan(x) for x in (result.statistic, result.p_value, result.a12))
    assert result.band is None


def test_drops_non_finite():
    result = mann_whitney([*SLEEP_DRUG_1, math.nan, -math.inf], [math.inf, *SLEEP_DRUG_2])
    assert (result.statistic, result.dropped) == (25.5, 3)


def test_two_dimensional():
    with pytest.raises(ValueError, match=r"candidate must be 1-D"):
        mann_whitney([[1.0, 2.0]], [1.0, 2.0])


# --- large samples --------------------------------------------------------------------------


def test_half_million_values_trivial_shift():
    # A shift of 0.001 standard deviations moves A12 by about 0.0003 from 0.5.
    generator = np.random.default_rng(21)
    baseline = generator.normal(0.0, 1.0, 500_000)
    candidate = generator.normal(0.001, 1.0, 500_000)
    result = mann_whitney(candidate, baseline)
    assert result.status == OK
    assert abs(result.a12 - 0.5) < 0.005
    assert result.band == "negligible"
