"""Tests of the t-tests: published R results, Student's pooled test, constant samples ("identical"
and "deterministic"), dropped values, large samples and p-values that underflow.

Golden values marked "scipy" were produced with scipy 1.17.1 by the exact call quoted next to them.
Values marked "R" are the printed output of the quoted call in R's stats package, as reproduced
in many public R transcripts. R prints 5 significant digits for t and p and 7 for intervals, so
the values are compared to that precision.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
import scipy.stats

from pytest_statbench.stats import (
    DETERMINISTIC,
    IDENTICAL,
    INSUFFICIENT_DATA,
    OK,
    benjamini_hochberg,
    holm,
    paired_ttest,
    student_ttest,
    welch_ttest,
)

pytestmark = pytest.mark.filterwarnings("error")

# R's datasets::sleep (Cushny & Peebles 1905, analysed by Student 1908): extra hours of sleep of
# 10 patients under drug 1 (group 1) and drug 2 (group 2). Entry i of both is patient i.
SLEEP_DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

A = [0.91, 1.02, 0.97, 1.10, 0.95, 1.05]
B = [1.21, 1.15, 1.30, 1.18, 1.25]

IDENTICAL_REASON = "both samples are constant and equal"
DETERMINISTIC_REASON = "both samples are constant: a deterministic difference"


# --- published results on the sleep data ----------------------------------------------------


def test_welch_sleep_matches_r():
    # R: t.test(extra ~ group, data = sleep)
    #    t = -1.8608, df = 17.776, p-value = 0.07939, 95% CI -3.3654832 0.2054832
    result = welch_ttest(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert result.statistic == pytest.approx(-1.8608, abs=5e-5)
    assert result.df == pytest.approx(17.776, abs=5e-4)
    assert result.p_value == pytest.approx(0.07939, abs=5e-6)
    assert result.confidence_interval == pytest.approx((-3.3654832, 0.2054832), abs=5e-8)


def test_student_sleep_matches_r():
    # R: t.test(extra ~ group, data = sleep, var.equal = TRUE)
    #    t = -1.8608, df = 18, p-value = 0.07919, 95% CI -3.363874 0.203874
    result = student_ttest(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert result.statistic == pytest.approx(-1.8608, abs=5e-5)
    assert result.df == 18.0
    assert result.p_value == pytest.approx(0.07919, abs=5e-6)
    assert result.confidence_interval == pytest.approx((-3.363874, 0.203874), abs=5e-7)


def test_paired_sleep_matches_r():
    # R: t.test(extra ~ group, data = sleep, paired = TRUE)
    #    t = -4.0621, df = 9, p-value = 0.002833, 95% CI -2.4598858 -0.7001142, mean -1.58
    result = paired_ttest(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert result.statistic == pytest.approx(-4.0621, abs=5e-5)
    assert result.df == 9.0
    assert result.p_value == pytest.approx(0.002833, abs=5e-7)
    assert result.confidence_interval == pytest.approx((-2.4598858, -0.7001142), abs=5e-8)
    assert result.mean_difference == pytest.approx(-1.58, abs=1e-12)


def test_welch_sleep_by_hand():
    # t = (m1 - m2) / sqrt(v1/n + v2/n) and the Welch-Satterthwaite df, from the sample
    # variances (n - 1 denominator) of the two groups of 10.
    q1 = statistics.variance(SLEEP_DRUG_1) / 10
    q2 = statistics.variance(SLEEP_DRUG_2) / 10
    t = (statistics.mean(SLEEP_DRUG_1) - statistics.mean(SLEEP_DRUG_2)) / math.sqrt(q1 + q2)
    df = (q1 + q2) ** 2 / (q1**2 / 9 + q2**2 / 9)
    result = welch_ttest(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert result.statistic == pytest.approx(t, rel=1e-12)
    assert result.df == pytest.approx(df, rel=1e-12)


def test_sleep_means_by_hand():
    # Group sums 7.5 and 23.3 over 10 patients: means 0.75 and 2.33, difference -1.58.
    result = student_ttest(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert result.mean_difference == pytest.approx(-1.58, abs=1e-12)


# --- Student's t-test -----------------------------------------------------------------------

# scipy: r = scipy.stats.ttest_ind(A, B, equal_var=True); r.confidence_interval(0.95)
STUDENT_T = -5.520215962172355
STUDENT_P = 0.00037038033264852923
STUDENT_CI_95 = (-0.307335320369593, -0.12866467963040695)


def test_student_statistic_golden():
    assert student_ttest(A, B).statistic == pytest.approx(STUDENT_T, rel=1e-12)


def test_student_p_value_golden():
    assert student_ttest(A, B).p_value == pytest.approx(STUDENT_P, rel=1e-10)


def test_student_interval_golden():
    assert student_ttest(A, B).confidence_interval == pytest.approx(STUDENT_CI_95, rel=1e-10)


def test_student_statistic_by_hand():
    # Pooled variance sp^2 = ((na - 1) va + (nb - 1) vb) / (na + nb - 2);
    # t = (mean A - mean B) / sqrt(sp^2 (1/na + 1/nb)), df = na + nb - 2 = 9.
    na, nb = len(A), len(B)
    pooled = ((na - 1) * statistics.variance(A) + (nb - 1) * statistics.variance(B)) / (na + nb - 2)
    t = (statistics.mean(A) - statistics.mean(B)) / math.sqrt(pooled * (1 / na + 1 / nb))
    result = student_ttest(A, B)
    assert result.statistic == pytest.approx(t, rel=1e-12)
    assert result.df == 9.0


def test_student_interval_by_hand():
    # mean difference -+ t(0.975, 9) * sqrt(sp^2 (1/na + 1/nb))
    na, nb = len(A), len(B)
    pooled = ((na - 1) * statistics.variance(A) + (nb - 1) * statistics.variance(B)) / (na + nb - 2)
    half = scipy.stats.t.ppf(0.975, 9) * math.sqrt(pooled * (1 / na + 1 / nb))
    difference = statistics.mean(A) - statistics.mean(B)
    interval = student_ttest(A, B).confidence_interval
    assert interval == pytest.approx((difference - half, difference + half), rel=1e-12)


def test_student_one_side_constant():
    # Pooled variance (3 * 5/3 + 2 * 0) / 5 = 1, so t = (2.5 - 5) / sqrt(1/4 + 1/3).
    result = student_ttest([1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0])
    assert result.status == OK
    assert result.statistic == pytest.approx(-2.5 / math.sqrt(1 / 4 + 1 / 3), rel=1e-12)


def test_student_level():
    result = student_ttest(A, B, confidence_level=0.9)
    assert result.confidence_level == 0.9


@pytest.mark.parametrize("level", [0.0, 1.0, 95, math.nan])
def test_student_bad_level(level):
    with pytest.raises(ValueError, match="confidence_level must be a number strictly between"):
        student_ttest(A, B, confidence_level=level)


# --- constant samples: "identical" and "deterministic" --------------------------------------

TWO_SAMPLE_TESTS = [welch_ttest, student_ttest]


@pytest.mark.parametrize("test", TWO_SAMPLE_TESTS)
def test_constant_equal_status(test):
    # scipy 1.17.1: scipy.stats.ttest_ind([0.04] * 10, [0.04] * 30) returns p = 4.6e-06 (and
    # 9.9e-05 with equal_var=False), because the two means differ by rounding. That p-value
    # must not leak.
    result = test([0.04] * 10, [0.04] * 30)
    assert result.status == IDENTICAL
    assert result.reason == IDENTICAL_REASON


@pytest.mark.parametrize("test", TWO_SAMPLE_TESTS)
def test_constant_equal_numbers(test):
    result = test([0.04] * 10, [0.04] * 30)
    assert math.isnan(result.p_value)
    assert math.isnan(result.statistic)
    assert math.isnan(result.df)
    assert result.mean_difference == 0.0
    assert result.confidence_interval == (0.0, 0.0)
    assert (result.n_candidate, result.n_baseline) == (10, 30)


@pytest.mark.parametrize("test", TWO_SAMPLE_TESTS)
def test_constant_different_status(test):
    result = test([0.04] * 10, [0.05] * 30)
    assert result.status == DETERMINISTIC
    assert result.reason == DETERMINISTIC_REASON


@pytest.mark.parametrize("test", TWO_SAMPLE_TESTS)
def test_constant_different_numbers(test):
    # Never p = 0 from t = inf: the statistic and p-value are NaN, the difference exact.
    result = test([0.04] * 10, [0.05] * 30)
    assert math.isnan(result.p_value)
    assert math.isnan(result.statistic)
    assert result.mean_difference == 0.04 - 0.05
    assert result.confidence_interval == (0.04 - 0.05, 0.04 - 0.05)


def test_paired_constant_equal():
    result = paired_ttest([0.04] * 5, [0.04] * 5)
    assert (result.status, result.reason) == (IDENTICAL, IDENTICAL_REASON)
    assert math.isnan(result.p_value)
    assert result.confidence_interval == (0.0, 0.0)


def test_paired_constant_different():
    result = paired_ttest([0.04] * 5, [0.05] * 5)
    assert (result.status, result.reason) == (DETERMINISTIC, DETERMINISTIC_REASON)
    assert math.isnan(result.statistic)
    assert result.mean_difference == 0.04 - 0.05


def test_paired_zero_differences():
    # The samples vary, but every round has the same value on both sides.
    result = paired_ttest([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert (result.status, result.reason) == (IDENTICAL, "every paired difference is zero")
    assert result.mean_difference == 0.0
    assert math.isnan(result.p_value)


# --- too few values, NaN and infinite values ------------------------------------------------

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
        [math.inf, -math.inf, 3.0],
        (
            "baseline has 1 sample after 2 NaN or infinite values were dropped; "
            "at least 2 are needed"
        ),
    ),
}


@pytest.mark.parametrize("test", TWO_SAMPLE_TESTS)
@pytest.mark.parametrize(
    ("candidate", "baseline", "reason"), list(FEW.values()), ids=list(FEW)
)
def test_two_sample_too_few(test, candidate, baseline, reason):
    result = test(candidate, baseline)
    assert (result.status, result.reason) == (INSUFFICIENT_DATA, reason)
    assert math.isnan(result.p_value)
    assert math.isnan(result.mean_difference)


@pytest.mark.parametrize("test", TWO_SAMPLE_TESTS)
def test_two_sample_drops_non_finite(test):
    clean = test(A, B)
    dirty = test([*A, math.nan, math.inf], [-math.inf, *B])
    assert dirty.statistic == clean.statistic
    assert (dirty.n_candidate, dirty.n_baseline, dirty.dropped) == (6, 5, 3)


def test_paired_drops_non_finite_rounds():
    candidate = [*SLEEP_DRUG_1, math.inf, 1.0]
    baseline = [*SLEEP_DRUG_2, 2.0, math.nan]
    result = paired_ttest(candidate, baseline)
    assert (result.n_candidate, result.dropped) == (10, 2)
    assert result.statistic == paired_ttest(SLEEP_DRUG_1, SLEEP_DRUG_2).statistic


def test_paired_too_few_after_drop():
    result = paired_ttest([1.0, math.inf, 3.0], [1.0, 2.0, math.nan])
    assert result.status == INSUFFICIENT_DATA
    assert result.reason == (
        "1 complete pair after 2 rounds were dropped for a NaN or infinite value; "
        "at least 2 are needed"
    )


def test_paired_empty():
    result = paired_ttest([], [])
    assert (result.status, result.reason) == (
        INSUFFICIENT_DATA,
        "0 complete pairs; at least 2 are needed",
    )


# --- large samples and underflow ------------------------------------------------------------


def million_normal_pair(shift: float) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(20)
    baseline = generator.normal(0.0, 1.0, 1_000_000)
    candidate = generator.normal(shift, 1.0, 1_000_000)
    return candidate, baseline


@pytest.mark.parametrize("test", TWO_SAMPLE_TESTS)
def test_million_values_trivial_shift(test):
    # A shift of 0.001 standard deviations: the estimate is tiny and the test still runs.
    candidate, baseline = million_normal_pair(0.001)
    result = test(candidate, baseline)
    assert result.status == OK
    assert abs(result.mean_difference) < 0.01
    assert result.confidence_interval[1] - result.confidence_interval[0] < 0.01


@pytest.mark.parametrize("test", TWO_SAMPLE_TESTS)
def test_p_value_underflow_is_zero(test):
    # t is about -1100 with 2 million degrees of freedom, far beyond the smallest double.
    candidate, baseline = million_normal_pair(-1.0)
    result = test(candidate, baseline)
    assert result.status == OK
    assert result.p_value == 0.0
    assert math.isfinite(result.statistic)


def test_corrections_accept_underflowed_p():
    candidate, baseline = million_normal_pair(-1.0)
    p = welch_ttest(candidate, baseline).p_value
    np.testing.assert_array_equal(holm([p, 0.5]), [0.0, 0.5])
    np.testing.assert_array_equal(benjamini_hochberg([p, 0.5]), [0.0, 0.5])
