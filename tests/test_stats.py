"""Tests of pytest_statbench.stats: golden values with their provenance, degenerate inputs and
invalid arguments.

Golden values marked "scipy" were produced with scipy 1.17.1 by the exact call quoted next to them
on the literal arrays of the test; the others are computed by hand in the comments.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import statistics
from pathlib import Path

import numpy as np
import pytest

import pytest_statbench.stats
from pytest_statbench.stats import (
    INSUFFICIENT_DATA,
    OK,
    cohens_d,
    effect_size_band,
    geometric_mean,
    holm,
    one_way_anova,
    ratio_interval,
    welch_ttest,
)

# Degenerate data must never leak a warning (scipy warns about constant samples).
pytestmark = pytest.mark.filterwarnings("error")

A = [0.91, 1.02, 0.97, 1.10, 0.95, 1.05]
B = [1.21, 1.15, 1.30, 1.18, 1.25]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def lognormal_pairs(
    generator: np.random.Generator, n: int = 50, ratio: float = 1.10
) -> tuple[np.ndarray, np.ndarray]:
    """Paired log-normal times whose true geometric-mean ratio is ``ratio``."""
    baseline = np.exp(generator.normal(np.log(1e-4), 0.3, n))
    candidate = baseline * ratio * np.exp(generator.normal(0.0, 0.1, n))
    return candidate, baseline


# --- Welch's t-test -------------------------------------------------------------------------


# scipy: r = scipy.stats.ttest_ind(A, B, equal_var=False); r.confidence_interval(0.95)
WELCH_T = -5.615026910029353
WELCH_P = 0.00032914241910182767
WELCH_DF = 8.990711840172423
WELCH_CI_95 = (-0.30584070690473464, -0.13015929309526533)
# scipy: r.confidence_interval(0.90)
WELCH_CI_90 = (-0.28917786492246417, -0.1468221350775358)


def test_welch_statistic():
    assert welch_ttest(A, B).statistic == pytest.approx(WELCH_T, rel=1e-12)


def test_welch_p_value():
    assert welch_ttest(A, B).p_value == pytest.approx(WELCH_P, rel=1e-10)


def test_welch_df_golden():
    assert welch_ttest(A, B).df == pytest.approx(WELCH_DF, rel=1e-12)


def test_welch_df_by_hand():
    # Welch-Satterthwaite: df = (va/na + vb/nb)^2 / ((va/na)^2/(na-1) + (vb/nb)^2/(nb-1)),
    # with va, vb the sample variances (n - 1 denominator).
    qa = statistics.variance(A) / len(A)
    qb = statistics.variance(B) / len(B)
    df = (qa + qb) ** 2 / (qa**2 / (len(A) - 1) + qb**2 / (len(B) - 1))
    assert welch_ttest(A, B).df == pytest.approx(df, rel=1e-12)


def test_welch_statistic_by_hand():
    # t = (mean A - mean B) / sqrt(va/na + vb/nb)
    se = math.sqrt(statistics.variance(A) / len(A) + statistics.variance(B) / len(B))
    t = (statistics.mean(A) - statistics.mean(B)) / se
    assert welch_ttest(A, B).statistic == pytest.approx(t, rel=1e-12)


def test_welch_mean_difference():
    expected = statistics.mean(A) - statistics.mean(B)
    assert welch_ttest(A, B).mean_difference == pytest.approx(expected, rel=1e-12)


def test_welch_interval_95():
    assert welch_ttest(A, B).confidence_interval == pytest.approx(WELCH_CI_95, rel=1e-10)


def test_welch_interval_90():
    result = welch_ttest(A, B, confidence_level=0.90)
    assert result.confidence_interval == pytest.approx(WELCH_CI_90, rel=1e-10)


def test_welch_ok():
    result = welch_ttest(A, B)
    assert (result.status, result.reason) == (OK, None)


def test_welch_counts():
    result = welch_ttest(A, B)
    assert (result.n_candidate, result.n_baseline) == (6, 5)


def test_welch_drops_nan():
    result = welch_ttest([*A, math.nan], [math.nan, *B])
    assert result.statistic == pytest.approx(WELCH_T, rel=1e-12)


def test_welch_nan_counts():
    result = welch_ttest([*A, math.nan], [math.nan, *B])
    assert (result.n_candidate, result.n_baseline) == (6, 5)


def test_welch_one_side_constant():
    # Baseline has zero variance, candidate does not: still defined.
    # By hand: t = (2.5 - 5) / sqrt(var([1,2,3,4]) / 4) = -2.5 / sqrt((5/3) / 4) = -3.8729833...
    result = welch_ttest([1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0])
    assert result.statistic == pytest.approx(-2.5 / math.sqrt(5 / 12), rel=1e-12)


def test_welch_one_side_constant_df():
    # Only the candidate term is left in Welch-Satterthwaite, so df = n_candidate - 1 = 3.
    assert welch_ttest([1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0]).df == pytest.approx(3.0)


# --- Cohen's d ------------------------------------------------------------------------------


def test_cohens_d_by_hand():
    # candidate mean 4, variance 4; baseline mean 2, variance 1 (n - 1 denominators).
    # pooled variance = (2*4 + 2*1) / (3 + 3 - 2) = 2.5, so d = (4 - 2) / sqrt(2.5) = 1.26491...
    assert cohens_d([2.0, 4.0, 6.0], [1.0, 2.0, 3.0]).value == pytest.approx(2 / math.sqrt(2.5))


def test_cohens_d_unequal_n():
    # candidate [1, 2, 3, 4, 5]: mean 3, variance 2.5; baseline [3, 5]: mean 4, variance 2.
    # pooled variance = (4*2.5 + 1*2) / (5 + 2 - 2) = 2.4, d = (3 - 4) / sqrt(2.4) = -0.6455...
    value = cohens_d([1.0, 2.0, 3.0, 4.0, 5.0], [3.0, 5.0]).value
    assert value == pytest.approx(-1 / math.sqrt(2.4))


def test_cohens_d_band():
    assert cohens_d([2.0, 4.0, 6.0], [1.0, 2.0, 3.0]).band == "large"


def test_cohens_d_sign():
    assert cohens_d([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]).value < 0


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0.0, "negligible"),
        (0.19999, "negligible"),
        (0.2, "small"),
        (0.49999, "small"),
        (0.5, "medium"),
        (0.79999, "medium"),
        (0.8, "large"),
        (-0.5, "medium"),
        (-3.0, "large"),
        (math.inf, "large"),
    ],
)
def test_band(value, band):
    assert effect_size_band(value) == band


def test_band_nan():
    with pytest.raises(ValueError, match="nan"):
        effect_size_band(math.nan)


# --- one-way ANOVA --------------------------------------------------------------------------

GROUPS = [[1.0, 2.0, 3.0], [4.0, 5.0, 7.0], [2.0, 2.0, 5.0]]
# scipy: scipy.stats.f_oneway([1, 2, 3], [4, 5, 7], [2, 2, 5])
ANOVA_F = 4.157894736842103
ANOVA_P = 0.07362203910543465


def test_anova_statistic():
    assert one_way_anova(GROUPS).statistic == pytest.approx(ANOVA_F, rel=1e-12)


def test_anova_p_value():
    assert one_way_anova(GROUPS).p_value == pytest.approx(ANOVA_P, rel=1e-10)


def test_anova_eta_squared():
    # Group means 2, 16/3, 3; grand mean 31/9.
    # SS_between = 3 * ((13/9)^2 + (17/9)^2 + (4/9)^2) = 3 * 474/81 = 1422/81
    # SS_within = 2 + 42/9 + 6 = 38/3 = 1026/81, SS_total = 2448/81
    # eta^2 = 1422/2448 = 79/136 (and F = (1422/81/2) / (38/3/6) = 79/19, as scipy says)
    assert one_way_anova(GROUPS).eta_squared == pytest.approx(79 / 136, rel=1e-12)


def test_anova_df():
    result = one_way_anova(GROUPS)
    assert (result.df_between, result.df_within) == (2.0, 6.0)


def test_anova_counts():
    result = one_way_anova(GROUPS)
    assert (result.n_groups, result.n_total) == (3, 9)


def test_anova_drops_nan():
    groups = [[*GROUPS[0], math.nan], GROUPS[1], GROUPS[2]]
    assert one_way_anova(groups).statistic == pytest.approx(ANOVA_F, rel=1e-12)


def test_anova_one_constant_group():
    # One group with zero variance is fine as long as another varies.
    assert one_way_anova([[1.0, 1.0], [2.0, 3.0]]).status == OK


# --- ratio of geometric means, bootstrap interval -------------------------------------------


def test_ratio_deterministic():
    c, b = lognormal_pairs(rng(1))
    first = ratio_interval(c, b, paired=True, rng=rng(42))
    second = ratio_interval(c, b, paired=True, rng=rng(42))
    assert (first.low, first.high) == (second.low, second.high)


def test_ratio_unpaired_deterministic():
    c, b = lognormal_pairs(rng(1))
    first = ratio_interval(c, b, paired=False, rng=rng(42))
    second = ratio_interval(c, b, paired=False, rng=rng(42))
    assert (first.low, first.high) == (second.low, second.high)


def test_ratio_seed_matters():
    c, b = lognormal_pairs(rng(1))
    first = ratio_interval(c, b, paired=True, rng=rng(1))
    second = ratio_interval(c, b, paired=True, rng=rng(2))
    assert (first.low, first.high) != (second.low, second.high)


@pytest.mark.parametrize("paired", [True, False])
def test_ratio_point_exact(paired):
    # The estimate is defined as exp(mean(log c) - mean(log b)).
    c, b = lognormal_pairs(rng(3))
    expected = math.exp(np.mean(np.log(c)) - np.mean(np.log(b)))
    assert ratio_interval(c, b, paired=paired, rng=rng()).ratio == expected


def test_ratio_is_geometric_mean_ratio():
    c, b = lognormal_pairs(rng(3))
    expected = geometric_mean(c) / geometric_mean(b)
    assert ratio_interval(c, b, paired=True, rng=rng()).ratio == pytest.approx(expected, rel=1e-12)


def test_ratio_by_hand():
    # geometric means: sqrt(2 * 8) = 4 and sqrt(1 * 4) = 2, ratio 2.
    result = ratio_interval([2.0, 8.0], [1.0, 4.0], paired=False, rng=rng())
    assert result.ratio == pytest.approx(2.0)


@pytest.mark.parametrize("paired", [True, False])
def test_ratio_inside_interval(paired):
    c, b = lognormal_pairs(rng(4))
    result = ratio_interval(c, b, paired=paired, rng=rng())
    assert result.low <= result.ratio <= result.high


def test_ratio_paired_narrower():
    # Round-to-round noise is shared by both sides, so pairing removes it.
    c, b = lognormal_pairs(rng(5))
    paired = ratio_interval(c, b, paired=True, rng=rng())
    unpaired = ratio_interval(c, b, paired=False, rng=rng())
    assert paired.high - paired.low < unpaired.high - unpaired.low


def test_ratio_wider_at_higher_level():
    c, b = lognormal_pairs(rng(6))
    at_90 = ratio_interval(c, b, paired=True, confidence_level=0.90, rng=rng())
    at_99 = ratio_interval(c, b, paired=True, confidence_level=0.99, rng=rng())
    assert at_99.high - at_99.low > at_90.high - at_90.low


def test_ratio_paired_method():
    c, b = lognormal_pairs(rng(7))
    assert ratio_interval(c, b, paired=True, rng=rng()).method == "paired bootstrap, percentile"


def test_ratio_unpaired_method():
    c, b = lognormal_pairs(rng(7))
    method = ratio_interval(c, b, paired=False, rng=rng()).method
    assert method == "unpaired bootstrap, percentile"


def test_ratio_reports_settings():
    c, b = lognormal_pairs(rng(7))
    result = ratio_interval(c, b, paired=True, confidence_level=0.9, resamples=500, rng=rng())
    assert (result.confidence_level, result.resamples) == (0.9, 500)


def test_ratio_paired_drops_nan_pairs():
    c, b = lognormal_pairs(rng(8), n=10)
    c[2], b[5] = math.nan, math.nan
    result = ratio_interval(c, b, paired=True, rng=rng())
    assert (result.n_pairs, result.n_candidate, result.n_baseline) == (8, 8, 8)


def test_ratio_paired_nan_estimate():
    c, b = lognormal_pairs(rng(8), n=10)
    c[2], b[5] = math.nan, math.nan
    keep = np.ones(10, dtype=bool)
    keep[[2, 5]] = False
    expected = math.exp(np.mean(np.log(c[keep])) - np.mean(np.log(b[keep])))
    assert ratio_interval(c, b, paired=True, rng=rng()).ratio == pytest.approx(expected)


def test_ratio_unpaired_drops_nan():
    c, b = lognormal_pairs(rng(8), n=10)
    c[2], b[5] = math.nan, math.nan
    result = ratio_interval(c[:-1], b, paired=False, rng=rng())
    assert (result.n_candidate, result.n_baseline, result.n_pairs) == (8, 9, None)


def test_ratio_paired_coverage():
    # True ratio 1.10, 50 pairs, 200 seeded repetitions: a 95% interval should cover ~95%.
    hits = 0
    for seed in range(200):
        c, b = lognormal_pairs(rng(1000 + seed), n=50, ratio=1.10)
        result = ratio_interval(c, b, paired=True, rng=rng(seed))
        hits += result.low <= 1.10 <= result.high
    assert 0.88 <= hits / 200 <= 0.99


def test_ratio_unpaired_coverage():
    hits = 0
    for seed in range(200):
        generator = rng(2000 + seed)
        b = np.exp(generator.normal(np.log(1e-4), 0.2, 50))
        c = np.exp(generator.normal(np.log(1.10e-4), 0.2, 50))
        result = ratio_interval(c, b, paired=False, rng=rng(seed))
        hits += result.low <= 1.10 <= result.high
    assert 0.88 <= hits / 200 <= 0.99


# --- Holm -----------------------------------------------------------------------------------


def test_holm_r_example():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), method = "holm"), by hand from Holm (1979):
    # sorted p (0.005, 0.01, 0.03, 0.04) times (4, 3, 2, 1) -> (0.02, 0.03, 0.06, 0.04);
    # running maximum -> (0.02, 0.03, 0.06, 0.06); back in input order -> 0.03, 0.06, 0.06, 0.02.
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02], rtol=1e-12)


def test_holm_capped():
    # sorted (0.3, 0.5) times (2, 1) -> (0.6, 0.5) -> max -> (0.6, 0.6); 0.7 * 2 caps at 1.
    np.testing.assert_allclose(holm([0.7, 0.9]), [1.0, 1.0])


def test_holm_nan_passes_through():
    adjusted = holm([0.01, math.nan, 0.04])
    assert math.isnan(adjusted[1])


def test_holm_nan_not_counted():
    # Family of two: sorted (0.01, 0.04) times (2, 1) -> (0.02, 0.04).
    adjusted = holm([0.01, math.nan, 0.04])
    np.testing.assert_allclose(adjusted[[0, 2]], [0.02, 0.04])


def test_holm_empty():
    assert holm([]).shape == (0,)


def test_holm_all_nan():
    assert np.isnan(holm([math.nan, math.nan])).all()


def test_holm_single():
    np.testing.assert_allclose(holm([0.03]), [0.03])


def test_holm_ties():
    # sorted (0.02, 0.02, 0.02) times (3, 2, 1) -> (0.06, 0.04, 0.02) -> max -> all 0.06.
    np.testing.assert_allclose(holm([0.02, 0.02, 0.02]), [0.06, 0.06, 0.06])


def test_holm_monotone():
    p = rng(9).uniform(0, 0.2, 30)
    order = np.argsort(p)
    assert (np.diff(holm(p)[order]) >= 0).all()


def test_holm_not_below_raw():
    p = rng(9).uniform(0, 0.2, 30)
    assert (holm(p) >= p).all()


# --- geometric mean -------------------------------------------------------------------------


def test_geometric_mean_by_hand():
    # (1 * 2 * 4) ** (1/3) = 2
    assert geometric_mean([1.0, 2.0, 4.0]) == pytest.approx(2.0)


def test_geometric_mean_drops_nan():
    assert geometric_mean([1.0, math.nan, 4.0]) == pytest.approx(2.0)


def test_geometric_mean_empty():
    assert math.isnan(geometric_mean([]))


def test_geometric_mean_all_nan():
    assert math.isnan(geometric_mean([math.nan]))


def test_geometric_mean_non_positive():
    with pytest.raises(ValueError, match=r"values\[1\] = 0\.0"):
        geometric_mean([1.0, 0.0, 2.0])


# --- degenerate data: insufficient-data, a reason, NaN numbers, no exception ----------------

DEGENERATE_TWO_SAMPLE = {
    "n1": ([1.0], [1.0, 2.0, 3.0], "candidate has 1 sample; at least 2 are needed"),
    "n0": ([], [1.0, 2.0, 3.0], "candidate has 0 samples"),
    "baseline n1": ([1.0, 2.0], [3.0], "baseline has 1 sample"),
    "all nan": (
        [math.nan, math.nan],
        [1.0, 2.0],
        "candidate has 0 samples after 2 NaN or infinite values were dropped",
    ),
    "nan leaves one": ([1.0, math.nan], [1.0, 2.0], "candidate has 1 sample"),
    "inf leaves one": (
        [1.0, math.inf],
        [1.0, 2.0],
        "candidate has 1 sample after 1 NaN or infinite value was dropped; at least 2 are needed",
    ),
    "-inf leaves one": ([1.0, 2.0], [-math.inf, 2.0], "baseline has 1 sample after 1 NaN"),
}


def _two_sample_cases():
    return pytest.mark.parametrize(
        ("candidate", "baseline", "reason"),
        list(DEGENERATE_TWO_SAMPLE.values()),
        ids=list(DEGENERATE_TWO_SAMPLE),
    )


@_two_sample_cases()
def test_welch_degenerate_status(candidate, baseline, reason):
    assert welch_ttest(candidate, baseline).status == INSUFFICIENT_DATA


@_two_sample_cases()
def test_welch_degenerate_reason(candidate, baseline, reason):
    assert reason in welch_ttest(candidate, baseline).reason


@_two_sample_cases()
def test_welch_degenerate_nan(candidate, baseline, reason):
    result = welch_ttest(candidate, baseline)
    numbers = [result.statistic, result.p_value, result.df, result.mean_difference]
    assert all(math.isnan(x) for x in [*numbers, *result.confidence_interval])


def test_welch_degenerate_counts():
    result = welch_ttest([1.0, math.nan], [1.0, 2.0, 3.0])
    assert (result.n_candidate, result.n_baseline, result.dropped) == (1, 3, 1)


def test_welch_degenerate_keeps_level():
    assert welch_ttest([1.0], [1.0, 2.0], confidence_level=0.9).confidence_level == 0.9


@_two_sample_cases()
def test_cohens_d_degenerate_status(candidate, baseline, reason):
    assert cohens_d(candidate, baseline).status == INSUFFICIENT_DATA


@_two_sample_cases()
def test_cohens_d_degenerate_reason(candidate, baseline, reason):
    assert reason in cohens_d(candidate, baseline).reason


@_two_sample_cases()
def test_cohens_d_degenerate_nan(candidate, baseline, reason):
    assert math.isnan(cohens_d(candidate, baseline).value)


def test_cohens_d_degenerate_band():
    assert cohens_d([1.0], [1.0, 2.0]).band is None


# A zero pooled standard deviation makes d 0/0 or infinite, so d stays insufficient-data
# where the t-tests report "identical" or "deterministic".
@pytest.mark.parametrize(
    ("candidate", "baseline"),
    [([2.0, 2.0, 2.0], [3.0, 3.0]), ([2.0, 2.0], [2.0, 2.0])],
    ids=["constant, different", "constant, equal"],
)
def test_cohens_d_zero_pooled_sd(candidate, baseline):
    result = cohens_d(candidate, baseline)
    assert result.status == INSUFFICIENT_DATA
    assert result.reason == (
        "both samples have zero variance, so the pooled standard deviation is zero"
    )
    assert math.isnan(result.value)


DEGENERATE_ANOVA = {
    "one group": ([[1.0, 2.0, 3.0]], "1 group given; at least 2 are needed"),
    "no groups": ([], "0 groups given"),
    "group n1": ([[1.0, 2.0], [3.0]], "groups[1] has 1 sample"),
    "group n0": ([[1.0, 2.0], []], "groups[1] has 0 samples"),
    "nan group": ([[1.0, 2.0], [math.nan, 3.0]], "groups[1] has 1 sample"),
    "zero variance": ([[1.0, 1.0], [2.0, 2.0]], "all groups have zero variance"),
    "identical": ([[1.0, 1.0], [1.0, 1.0]], "all groups have zero variance"),
    "inf": (
        [[1.0, 2.0], [3.0, math.inf]],
        "groups[1] has 1 sample after 1 NaN or infinite value was dropped",
    ),
}


def _anova_cases():
    return pytest.mark.parametrize(
        ("groups", "reason"), list(DEGENERATE_ANOVA.values()), ids=list(DEGENERATE_ANOVA)
    )


@_anova_cases()
def test_anova_degenerate_status(groups, reason):
    assert one_way_anova(groups).status == INSUFFICIENT_DATA


@_anova_cases()
def test_anova_degenerate_reason(groups, reason):
    assert reason in one_way_anova(groups).reason


@_anova_cases()
def test_anova_degenerate_nan(groups, reason):
    result = one_way_anova(groups)
    numbers = [
        result.statistic,
        result.p_value,
        result.df_between,
        result.df_within,
        result.eta_squared,
    ]
    assert all(math.isnan(x) for x in numbers)


DEGENERATE_RATIO = {
    "paired n1": ([1.0], [2.0], True, "1 complete pair; at least 2 are needed"),
    "paired n0": ([], [], True, "0 complete pairs"),
    "paired nan pairs": (
        [1.0, math.nan],
        [math.nan, 2.0],
        True,
        "0 complete pairs after 2 rounds were dropped for a NaN or infinite value",
    ),
    "paired inf": (
        [1.0, math.inf],
        [1.0, 2.0],
        True,
        (
            "1 complete pair after 1 round was dropped for a NaN or infinite value; "
            "at least 2 are needed"
        ),
    ),
    "unpaired n1": ([1.0], [1.0, 2.0], False, "candidate has 1 sample"),
    "unpaired n0": ([1.0, 2.0], [], False, "baseline has 0 samples"),
    "unpaired inf": (
        [1.0, 2.0],
        [math.inf, 2.0],
        False,
        "baseline has 1 sample after 1 NaN or infinite value was dropped",
    ),
}


def _ratio_cases():
    return pytest.mark.parametrize(
        ("candidate", "baseline", "paired", "reason"),
        list(DEGENERATE_RATIO.values()),
        ids=list(DEGENERATE_RATIO),
    )


@_ratio_cases()
def test_ratio_degenerate_status(candidate, baseline, paired, reason):
    result = ratio_interval(candidate, baseline, paired=paired, rng=rng())
    assert result.status == INSUFFICIENT_DATA


@_ratio_cases()
def test_ratio_degenerate_reason(candidate, baseline, paired, reason):
    result = ratio_interval(candidate, baseline, paired=paired, rng=rng())
    assert reason in result.reason


@_ratio_cases()
def test_ratio_degenerate_nan(candidate, baseline, paired, reason):
    result = ratio_interval(candidate, baseline, paired=paired, rng=rng())
    assert all(math.isnan(x) for x in (result.ratio, result.low, result.high))


def test_ratio_one_side_constant_is_ok():
    # Unpaired: the baseline varies, so resampling still gives an interval.
    result = ratio_interval([2.0, 2.0, 2.0], [1.0, 2.0, 3.0], paired=False, rng=rng())
    assert result.status == OK


def test_results_are_frozen():
    result = welch_ttest(A, B)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_value = 0.5  # type: ignore[misc]


# --- invalid arguments: ValueError naming the value -----------------------------------------


@pytest.mark.parametrize("level", [1.5, 0.0, 1.0, -0.1, math.nan])
def test_welch_bad_level(level):
    with pytest.raises(ValueError, match=f"confidence_level .* got {level!r}"):
        welch_ttest(A, B, confidence_level=level)


def test_ratio_bad_level():
    with pytest.raises(ValueError, match="got 95"):
        ratio_interval(A, B, paired=False, confidence_level=95, rng=rng())


@pytest.mark.parametrize("resamples", [-1, 0, 2.5])
def test_ratio_bad_resamples(resamples):
    with pytest.raises(ValueError, match=f"resamples .* got {resamples!r}"):
        ratio_interval(A, B, paired=False, resamples=resamples, rng=rng())


def test_ratio_bad_rng():
    with pytest.raises(TypeError, match="numpy.random.Generator, got 42"):
        ratio_interval(A, B, paired=False, rng=42)  # type: ignore[arg-type]


def test_ratio_bad_paired():
    with pytest.raises(TypeError, match="paired must be True or False, got 'yes'"):
        ratio_interval(A, B, paired="yes", rng=rng())  # type: ignore[arg-type]


def test_ratio_unequal_pairs():
    with pytest.raises(ValueError, match="candidate with 6 and baseline with 5"):
        ratio_interval(A, B, paired=True, rng=rng())


def test_ratio_zero_time():
    with pytest.raises(ValueError, match=r"candidate\[1\] = 0\.0 .* > 0"):
        ratio_interval([1.0, 0.0, -1.0], [1.0, 2.0, 3.0], paired=True, rng=rng())


def test_ratio_negative_time():
    with pytest.raises(ValueError, match=r"baseline\[2\] = -3\.0"):
        ratio_interval([1.0, 2.0, 3.0], [1.0, 2.0, -3.0], paired=False, rng=rng())


def test_welch_two_dimensional():
    with pytest.raises(ValueError, match=r"candidate must be 1-D.*\(2, 2\)"):
        welch_ttest([[1.0, 2.0], [3.0, 4.0]], B)


def test_cohens_d_two_dimensional():
    with pytest.raises(ValueError, match=r"baseline must be 1-D.*\(1, 3\)"):
        cohens_d(A, [[1.0, 2.0, 3.0]])


def test_anova_two_dimensional_group():
    with pytest.raises(ValueError, match=r"groups\[1\] must be 1-D"):
        one_way_anova([[1.0, 2.0], [[1.0, 2.0]]])


def test_ratio_scalar_input():
    with pytest.raises(ValueError, match=r"candidate must be 1-D.*\(\)"):
        ratio_interval(1.0, [1.0, 2.0], paired=False, rng=rng())


def test_welch_not_numbers():
    with pytest.raises(ValueError, match="candidate must be a 1-D sequence of numbers"):
        welch_ttest(["a", "b"], B)


def test_holm_out_of_range():
    with pytest.raises(ValueError, match=r"p_values\[1\] = 1\.5"):
        holm([0.1, 1.5])


def test_holm_two_dimensional():
    with pytest.raises(ValueError, match="p_values must be 1-D"):
        holm([[0.1, 0.2]])


# --- the package stays pure -----------------------------------------------------------------


def test_imports_nothing_from_pytest():
    # Only relative imports inside stats; never pytest or the rest of pytest_statbench.
    imported = set()
    for source in Path(pytest_statbench.stats.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module or "")
    assert not {name for name in imported if name.split(".")[0].startswith("pytest")}


# Paired t-test.
# Golden values: scipy.stats.ttest_rel([1.1, 2.3, 3.2, 4.8, 5.1], [1.0, 2.0, 3.5, 4.0, 4.6])
# gives statistic 1.5096588248481382, pvalue 0.2056399589507091, df 4. By hand: the differences
# (0.1, 0.3, -0.3, 0.8, 0.5) have mean 0.28 and standard deviation 0.41473 (n - 1 = 4), so
# t = 0.28 / (0.41473 / sqrt(5)) = 1.50966.
PAIRED_CANDIDATE = [1.1, 2.3, 3.2, 4.8, 5.1]
PAIRED_BASELINE = [1.0, 2.0, 3.5, 4.0, 4.6]


def test_paired_ttest_statistic() -> None:
    result = pytest_statbench.stats.paired_ttest(PAIRED_CANDIDATE, PAIRED_BASELINE)
    assert result.statistic == pytest.approx(1.5096588248481382, rel=1e-12)


def test_paired_ttest_p_value() -> None:
    result = pytest_statbench.stats.paired_ttest(PAIRED_CANDIDATE, PAIRED_BASELINE)
    assert result.p_value == pytest.approx(0.2056399589507091, rel=1e-12)


def test_paired_ttest_df_and_mean() -> None:
    result = pytest_statbench.stats.paired_ttest(PAIRED_CANDIDATE, PAIRED_BASELINE)
    assert result.df == 4.0
    assert result.mean_difference == pytest.approx(0.28)


def test_paired_ttest_drops_nan_pairs() -> None:
    result = pytest_statbench.stats.paired_ttest(PAIRED_CANDIDATE + [math.nan], PAIRED_BASELINE + [9.0])
    assert result.n_candidate == 5
    assert result.statistic == pytest.approx(1.5096588248481382, rel=1e-12)


def test_paired_ttest_constant_differences() -> None:
    # Every round is exactly 1.0 slower: a deterministic difference, with no test to run.
    result = pytest_statbench.stats.paired_ttest([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    assert result.status == "deterministic"
    assert result.reason == (
        "every paired difference is the same nonzero value: a deterministic difference"
    )
    assert math.isnan(result.p_value)
    assert result.mean_difference == 1.0
    assert result.confidence_interval == (1.0, 1.0)


def test_paired_ttest_length_mismatch() -> None:
    with pytest.raises(ValueError, match="candidate has 3 values, baseline 2"):
        pytest_statbench.stats.paired_ttest([1.0, 2.0, 3.0], [1.0, 2.0])
