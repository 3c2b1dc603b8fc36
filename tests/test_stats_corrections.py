"""Tests of benjamini_hochberg (and Holm with p-values of 0) and of geometric_mean_ratio.

Values marked "scipy" were produced with scipy 1.17.1 by the quoted call; the others are
computed by hand in the comments.
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
    benjamini_hochberg,
    geometric_mean_ratio,
    holm,
    log_ratio_interval,
)

pytestmark = pytest.mark.filterwarnings("error")

# statistics.NormalDist().inv_cdf(0.975)
Z_95 = 1.959963984540054


# --- Benjamini-Hochberg ---------------------------------------------------------------------


def test_bh_by_hand():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), method = "BH"), by hand from the step-up rule:
    # sorted p (0.005, 0.01, 0.03, 0.04) times 4 / (1, 2, 3, 4) -> (0.02, 0.02, 0.04, 0.04);
    # running minimum from the largest -> unchanged; in input order -> 0.02, 0.04, 0.04, 0.02.
    adjusted = benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.02, 0.04, 0.04, 0.02], rtol=1e-12)


def test_bh_step_up_minimum():
    # sorted (0.01, 0.02, 0.5) times 3 / (1, 2, 3) -> (0.03, 0.03, 0.5), already monotone.
    # sorted (0.04, 0.041) times 2 / (1, 2) -> (0.08, 0.041); the running minimum from the
    # largest p-value lowers 0.08 to 0.041.
    np.testing.assert_allclose(benjamini_hochberg([0.5, 0.01, 0.02]), [0.5, 0.03, 0.03])
    np.testing.assert_allclose(benjamini_hochberg([0.04, 0.041]), [0.041, 0.041])


def test_bh_scipy_golden():
    # scipy: scipy.stats.false_discovery_control([0.01, 0.04, 0.03, 0.005, 0.2, 0.0],
    #                                            method="bh")
    adjusted = benjamini_hochberg([0.01, 0.04, 0.03, 0.005, 0.2, 0.0])
    np.testing.assert_allclose(adjusted, [0.02, 0.048, 0.045, 0.015, 0.2, 0.0], rtol=1e-12)


def test_bh_accepts_zero():
    np.testing.assert_array_equal(benjamini_hochberg([0.0, 0.0, 0.5]), [0.0, 0.0, 0.5])


def test_bh_capped():
    # 0.6 * 2 / 1 = 1.2 caps at 1; 0.9 * 2 / 2 = 0.9 is the minimum from above.
    np.testing.assert_allclose(benjamini_hochberg([0.9, 0.6]), [0.9, 0.9])
    assert benjamini_hochberg([0.7, 0.99, 1.0]).max() <= 1.0


def test_bh_nan_passes_through():
    # Family of two: sorted (0.01, 0.04) times 2 / (1, 2) -> (0.02, 0.04).
    adjusted = benjamini_hochberg([0.01, math.nan, 0.04])
    assert math.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2]], [0.02, 0.04])


def test_bh_empty():
    assert benjamini_hochberg([]).shape == (0,)


def test_bh_all_nan():
    assert np.isnan(benjamini_hochberg([math.nan, math.nan])).all()


def test_bh_monotone():
    p = np.random.default_rng(9).uniform(0, 0.2, 30)
    order = np.argsort(p)
    assert (np.diff(benjamini_hochberg(p)[order]) >= 0).all()


def test_bh_between_raw_and_holm():
    p = np.random.default_rng(10).uniform(0, 0.1, 25)
    adjusted = benjamini_hochberg(p)
    assert (adjusted >= p).all()
    assert (adjusted <= holm(p)).all()


def test_bh_out_of_range():
    with pytest.raises(ValueError, match=r"p_values\[0\] = -0\.1 is not a probability"):
        benjamini_hochberg([-0.1, 0.2])


def test_holm_accepts_zero():
    # sorted (0.0, 0.2) times (2, 1) -> (0.0, 0.2).
    np.testing.assert_array_equal(holm([0.2, 0.0]), [0.2, 0.0])


# --- geometric mean of ratios ---------------------------------------------------------------


def test_geometric_mean_ratio_by_hand():
    # logs (ln 0.8, ln 1.25, 0) sum to 0, so the geometric mean is 1.
    # SE = sqrt(0.1^2 + 0.2^2 + 0.2^2) / 3 = sqrt(0.09) / 3 = 0.1; interval exp(-+1.95996 * 0.1).
    result = geometric_mean_ratio([math.log(0.8), math.log(1.25), 0.0], [0.1, 0.2, 0.2])
    assert result.ratio == pytest.approx(1.0, abs=1e-15)
    assert result.log_standard_error == pytest.approx(0.1, rel=1e-12)
    assert (result.low, result.high) == pytest.approx(
        (math.exp(-Z_95 * 0.1), math.exp(Z_95 * 0.1)), rel=1e-12
    )


def test_geometric_mean_ratio_fields():
    result = geometric_mean_ratio([0.1, 0.3], [0.05, 0.05], confidence_level=0.9)
    assert (result.status, result.reason, result.n_benchmarks) == (OK, None, 2)
    assert result.method == "equal-weight mean of log-ratios, normal interval"
    assert result.ratio == pytest.approx(math.exp(0.2), rel=1e-12)
    assert result.confidence_level == 0.9


def test_geometric_mean_ratio_equal_weights():
    # A precise benchmark does not pull the estimate towards itself.
    result = geometric_mean_ratio([0.0, 0.4], [0.001, 0.3])
    assert result.ratio == pytest.approx(math.exp(0.2), rel=1e-12)


def test_geometric_mean_ratio_one_benchmark():
    # One benchmark: its own normal interval on the log scale.
    interval = log_ratio_interval([1.1, 1.3, 1.2, 1.25], [1.0, 1.05, 0.95, 1.02])
    result = geometric_mean_ratio([math.log(interval.ratio)], [interval.log_standard_error])
    half = Z_95 * interval.log_standard_error
    assert (result.low, result.high) == pytest.approx(
        (interval.ratio * math.exp(-half), interval.ratio * math.exp(half)), rel=1e-12
    )


def test_geometric_mean_ratio_drops_non_finite():
    result = geometric_mean_ratio([0.1, math.nan, 0.3, 0.2], [0.05, 0.05, math.inf, 0.05])
    assert (result.n_benchmarks, result.dropped) == (2, 2)
    assert result.ratio == pytest.approx(math.exp(0.15), rel=1e-12)


def test_geometric_mean_ratio_nothing_left():
    result = geometric_mean_ratio([math.nan], [0.1])
    assert (result.status, result.reason) == (
        INSUFFICIENT_DATA,
        (
            "no benchmarks are left after 1 was dropped for a NaN or infinite value; "
            "at least 1 is needed"
        ),
    )
    assert all(math.isnan(x) for x in (result.ratio, result.low, result.high))


def test_geometric_mean_ratio_empty():
    result = geometric_mean_ratio([], [])
    assert (result.status, result.reason) == (
        INSUFFICIENT_DATA,
        "no benchmarks are left; at least 1 is needed",
    )


def test_geometric_mean_ratio_exact_identical():
    result = geometric_mean_ratio([0.0, 0.0], [0.0, 0.0])
    assert (result.status, result.reason) == (
        IDENTICAL,
        "every benchmark has a log-ratio of 0 with a standard error of 0",
    )
    assert (result.ratio, result.low, result.high) == (1.0, 1.0, 1.0)


def test_geometric_mean_ratio_exact_deterministic():
    result = geometric_mean_ratio([math.log(0.8), math.log(0.8)], [0.0, 0.0])
    assert (result.status, result.reason) == (
        DETERMINISTIC,
        "every standard error is 0: a deterministic difference",
    )
    assert result.low == result.high == result.ratio == pytest.approx(0.8, rel=1e-12)


def test_geometric_mean_ratio_lengths_differ():
    with pytest.raises(ValueError, match="log_ratios has 2 values but standard_errors has 1"):
        geometric_mean_ratio([0.1, 0.2], [0.1])


def test_geometric_mean_ratio_negative_error():
    with pytest.raises(ValueError, match=r"standard_errors\[1\] = -0\.1 is negative"):
        geometric_mean_ratio([0.1, 0.2], [0.1, -0.1])
