"""Tests of the ratio intervals: log_ratio_interval (t on log-times), the BCa option of
ratio_interval against an independent slow implementation and scipy.stats.bootstrap, and the
"identical" and "deterministic" statuses of samples without spread.
"""

from __future__ import annotations

import inspect
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
    log_ratio_interval,
    ratio_interval,
)

pytestmark = pytest.mark.filterwarnings("error")

IDENTICAL_REASON = "both samples are constant and equal"
DETERMINISTIC_REASON = "both samples are constant: a deterministic difference"


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def skewed_pairs(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Paired times whose per-round log ratio is right-skewed, so BCa differs from percentile."""
    generator = rng(seed)
    baseline = np.exp(generator.normal(np.log(1e-4), 0.3, n))
    candidate = baseline * np.exp(generator.exponential(0.2, n))
    return candidate, baseline


# --- log_ratio_interval ---------------------------------------------------------------------


def test_log_ratio_unpaired_by_hand():
    # log c = (ln 2, ln 8), log b = (0, ln 4): means ln 4 and ln 2, ratio 2. Each variance is
    # (ln 4)^2 / 2, so SE = sqrt(2 * (ln 4)^2 / 4) = ln 4 / sqrt(2), and Welch's df is 2.
    result = log_ratio_interval([2.0, 8.0], [1.0, 4.0])
    standard_error = math.log(4) / math.sqrt(2)
    half = scipy.stats.t.ppf(0.975, 2) * standard_error
    assert result.ratio == pytest.approx(2.0, rel=1e-12)
    assert (result.low, result.high) == pytest.approx(
        (2.0 * math.exp(-half), 2.0 * math.exp(half)), rel=1e-12
    )
    assert result.df == pytest.approx(2.0, rel=1e-12)
    assert result.log_standard_error == pytest.approx(standard_error, rel=1e-12)


def test_log_ratio_unpaired_matches_scipy_on_logs():
    c, b = skewed_pairs(1, 30)
    reference = scipy.stats.ttest_ind(np.log(c), np.log(b), equal_var=False)
    interval = reference.confidence_interval(0.95)
    result = log_ratio_interval(c, b)
    assert (result.low, result.high) == pytest.approx(
        (math.exp(interval.low), math.exp(interval.high)), rel=1e-12
    )
    assert (result.statistic, result.p_value, result.df) == pytest.approx(
        (reference.statistic, reference.pvalue, reference.df), rel=1e-12
    )


def test_log_ratio_paired_by_hand():
    # Per-round log ratios d_i; interval exp(mean d -+ t(0.975, n - 1) * sd(d) / sqrt(n)).
    c, b = skewed_pairs(2, 12)
    d = [math.log(x) - math.log(y) for x, y in zip(c, b, strict=True)]
    standard_error = statistics.stdev(d) / math.sqrt(12)
    half = scipy.stats.t.ppf(0.975, 11) * standard_error
    result = log_ratio_interval(c, b, paired=True)
    assert (result.low, result.high) == pytest.approx(
        (math.exp(statistics.mean(d) - half), math.exp(statistics.mean(d) + half)), rel=1e-12
    )
    assert result.df == 11.0
    assert result.log_standard_error == pytest.approx(standard_error, rel=1e-12)
    assert result.statistic == pytest.approx(statistics.mean(d) / standard_error, rel=1e-12)


def test_log_ratio_estimate_matches_bootstrap():
    c, b = skewed_pairs(3, 20)
    parametric = log_ratio_interval(c, b, paired=True)
    bootstrap = ratio_interval(c, b, paired=True, rng=rng())
    assert parametric.ratio == bootstrap.ratio


def test_log_ratio_fields():
    c, b = skewed_pairs(4, 20)
    paired = log_ratio_interval(c, b, paired=True, confidence_level=0.9)
    unpaired = log_ratio_interval(c, b)
    assert (paired.method, paired.n_pairs, paired.resamples) == ("paired t on log-times", 20, 0)
    assert (unpaired.method, unpaired.n_pairs) == ("Welch t on log-times", None)
    assert (paired.status, paired.reason, paired.confidence_level) == (OK, None, 0.9)


def test_log_ratio_drops_non_finite():
    c, b = skewed_pairs(5, 10)
    c[2], b[5] = math.nan, math.inf
    paired = log_ratio_interval(c, b, paired=True)
    unpaired = log_ratio_interval(c, b)
    assert (paired.n_pairs, paired.dropped) == (8, 2)
    assert (unpaired.n_candidate, unpaired.n_baseline, unpaired.dropped) == (9, 9, 2)


def test_log_ratio_bootstrap_standard_errors_agree():
    # With 200 rounds the bootstrap standard error of the log ratio is close to the t one.
    c, b = skewed_pairs(6, 200)
    parametric = log_ratio_interval(c, b, paired=True)
    bootstrap = ratio_interval(c, b, paired=True, rng=rng())
    assert bootstrap.log_standard_error == pytest.approx(parametric.log_standard_error, rel=0.1)


def test_log_ratio_zero_time():
    with pytest.raises(ValueError, match=r"baseline\[1\] = 0\.0 is not a positive time"):
        log_ratio_interval([1.0, 2.0], [1.0, 0.0])


def test_log_ratio_unequal_pairs():
    with pytest.raises(ValueError, match="candidate with 3 and baseline with 2 values"):
        log_ratio_interval([1.0, 2.0, 3.0], [1.0, 2.0], paired=True)


def test_log_ratio_bad_paired():
    with pytest.raises(TypeError, match="paired must be True or False, got 1"):
        log_ratio_interval([1.0, 2.0], [1.0, 2.0], paired=1)  # type: ignore[arg-type]


# --- samples without spread: both interval functions ----------------------------------------


def bootstrap_percentile(c, b, paired):
    return ratio_interval(c, b, paired=paired, rng=rng())


def bootstrap_bca(c, b, paired):
    return ratio_interval(c, b, paired=paired, rng=rng(), method="bca")


def t_on_logs(c, b, paired):
    return log_ratio_interval(c, b, paired=paired)


INTERVALS = [bootstrap_percentile, bootstrap_bca, t_on_logs]

NO_SPREAD = {
    "unpaired equal": (
        [0.04] * 10, [0.04] * 30, False, IDENTICAL, IDENTICAL_REASON, 1.0,
    ),
    "unpaired different": (
        [0.04] * 10, [0.05] * 30, False, DETERMINISTIC, DETERMINISTIC_REASON, 0.04 / 0.05,
    ),
    "paired equal": ([0.04] * 5, [0.04] * 5, True, IDENTICAL, IDENTICAL_REASON, 1.0),
    "paired different": (
        [0.05] * 5, [0.04] * 5, True, DETERMINISTIC, DETERMINISTIC_REASON, 0.05 / 0.04,
    ),
    "paired zero differences": (
        [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], True, IDENTICAL, "every paired difference is zero", 1.0,
    ),
    "paired constant ratio": (
        [1.1, 2.2, 3.3],
        [1.0, 2.0, 3.0],
        True,
        DETERMINISTIC,
        "every paired difference is the same nonzero value: a deterministic difference",
        1.1,
    ),
}


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize(
    ("candidate", "baseline", "paired", "status", "reason", "ratio"),
    list(NO_SPREAD.values()),
    ids=list(NO_SPREAD),
)
def test_no_spread(interval, candidate, baseline, paired, status, reason, ratio):
    result = interval(candidate, baseline, paired)
    assert (result.status, result.reason) == (status, reason)
    assert result.ratio == pytest.approx(ratio, rel=1e-12)
    assert (result.low, result.high) == (result.ratio, result.ratio)
    assert math.isnan(result.p_value)


@pytest.mark.parametrize("interval", INTERVALS)
def test_constant_equal_ratio_exactly_one(interval):
    result = interval([0.04] * 10, [0.04] * 30, False)
    assert (result.ratio, result.low, result.high) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize("paired", [True, False])
def test_too_few_after_drop(interval, paired):
    result = interval([1.0, math.inf], [1.0, math.nan], paired)
    assert result.status == INSUFFICIENT_DATA
    assert all(math.isnan(x) for x in (result.ratio, result.low, result.high))


@pytest.mark.parametrize("interval", INTERVALS)
def test_one_constant_side_unpaired_is_ok(interval):
    result = interval([2.0, 2.0, 2.0], [1.0, 2.0, 3.0], False)
    assert result.status == OK


# --- BCa ------------------------------------------------------------------------------------


def linear_quantile(values, probability):
    """numpy's default ("linear") quantile: interpolate at position (B - 1) p of the sorted list."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * probability
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def slow_bca(samples, signs, resamples, seed, level):
    """BCa interval of exp(sum_s sign_s * mean(log sample_s)), one resample at a time.

    Draws the same index matrices as ratio_interval (one rng.integers call per sample, in
    order), then follows Efron (1987): z0 from the share of bootstrap estimates below the
    estimate (ties count one half), the acceleration from the jackknife of each sample.
    """
    generator = rng(seed)
    logs = [[math.log(x) for x in sample] for sample in samples]
    indexes = [generator.integers(0, len(s), size=(resamples, len(s))) for s in logs]

    def statistic(parts):
        return sum(sign * statistics.fmean(part) for sign, part in zip(signs, parts, strict=True))

    estimate = statistic(logs)
    boot = []
    for row in range(resamples):
        parts = [[s[i] for i in index[row]] for s, index in zip(logs, indexes, strict=True)]
        boot.append(statistic(parts))
    below = 0.0
    for value in boot:
        if value < estimate:
            below += 1.0
        elif value == estimate:
            below += 0.5
    z0 = statistics.NormalDist().inv_cdf(below / resamples)

    numerator = denominator = 0.0
    for position, sample in enumerate(logs):
        n = len(sample)
        jackknife = []
        for left_out in range(n):
            parts = list(logs)
            parts[position] = sample[:left_out] + sample[left_out + 1 :]
            jackknife.append(statistic(parts))
        centre = statistics.fmean(jackknife)
        influences = [(n - 1) * (centre - value) for value in jackknife]
        numerator += sum(u**3 for u in influences) / n**3
        denominator += sum(u**2 for u in influences) / n**2
    a = numerator / (6 * denominator**1.5)

    ends = []
    for tail in ((1 - level) / 2, (1 + level) / 2):
        z = statistics.NormalDist().inv_cdf(tail)
        adjusted = statistics.NormalDist().cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
        ends.append(math.exp(linear_quantile(boot, adjusted)))
    return tuple(ends)


def test_bca_paired_matches_slow_loop():
    c, b = skewed_pairs(7, 12)
    # Paired: one sample, the per-round ratios, whose logs are the per-round differences.
    ratios = [x / y for x, y in zip(c, b, strict=True)]
    expected = slow_bca([ratios], [1.0], resamples=400, seed=11, level=0.95)
    result = ratio_interval(c, b, paired=True, resamples=400, rng=rng(11), method="bca")
    assert (result.low, result.high) == pytest.approx(expected, rel=1e-9)


def test_bca_unpaired_matches_slow_loop():
    c, b = skewed_pairs(8, 12)
    c, b = c[:9], b[:12]
    expected = slow_bca([c, b], [1.0, -1.0], resamples=400, seed=12, level=0.9)
    result = ratio_interval(
        c, b, paired=False, confidence_level=0.9, resamples=400, rng=rng(12), method="bca"
    )
    assert (result.low, result.high) == pytest.approx(expected, rel=1e-9)


BOOTSTRAP_HAS_RNG = "rng" in inspect.signature(scipy.stats.bootstrap).parameters


@pytest.mark.skipif(not BOOTSTRAP_HAS_RNG, reason="scipy.stats.bootstrap(rng=...) needs scipy 1.15")
def test_bca_paired_matches_scipy_bootstrap():
    # scipy.stats.bootstrap((d,), numpy.mean, method="BCa", n_resamples=999, rng=Generator)
    # draws rng.integers(0, n, (999, n)), the same index matrix as ratio_interval.
    c, b = skewed_pairs(9, 15)
    d = np.log(c) - np.log(b)
    reference = scipy.stats.bootstrap(
        (d,), np.mean, method="BCa", n_resamples=999, rng=rng(13)
    ).confidence_interval
    result = ratio_interval(c, b, paired=True, resamples=999, rng=rng(13), method="bca")
    assert (result.low, result.high) == pytest.approx(
        (math.exp(reference.low), math.exp(reference.high)), rel=1e-12
    )


@pytest.mark.skipif(not BOOTSTRAP_HAS_RNG, reason="scipy.stats.bootstrap(rng=...) needs scipy 1.15")
def test_bca_unpaired_matches_scipy_bootstrap():
    c, b = skewed_pairs(10, 15)
    c = c[:11]

    def difference_of_means(x, y, axis=-1):
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    reference = scipy.stats.bootstrap(
        (np.log(c), np.log(b)), difference_of_means, method="BCa", n_resamples=999, rng=rng(14)
    ).confidence_interval
    result = ratio_interval(c, b, paired=False, resamples=999, rng=rng(14), method="bca")
    assert (result.low, result.high) == pytest.approx(
        (math.exp(reference.low), math.exp(reference.high)), rel=1e-12
    )


def test_bca_differs_from_percentile_on_skewed_data():
    c, b = skewed_pairs(15, 15)
    bca = ratio_interval(c, b, paired=True, rng=rng(1), method="bca")
    percentile = ratio_interval(c, b, paired=True, rng=rng(1))
    assert (bca.low, bca.high) != (percentile.low, percentile.high)
    assert bca.ratio == percentile.ratio


def test_bca_method_names():
    c, b = skewed_pairs(16, 15)
    paired = ratio_interval(c, b, paired=True, rng=rng(), method="bca")
    unpaired = ratio_interval(c, b, paired=False, rng=rng(), method="bca")
    assert (paired.method, unpaired.method) == ("paired bootstrap, BCa", "unpaired bootstrap, BCa")


def test_default_method_is_percentile():
    c, b = skewed_pairs(17, 15)
    default = ratio_interval(c, b, paired=True, rng=rng(3))
    explicit = ratio_interval(c, b, paired=True, rng=rng(3), method="percentile")
    assert (default.low, default.high, default.method) == (
        explicit.low,
        explicit.high,
        "paired bootstrap, percentile",
    )


def test_bca_fallback_when_z0_infinite():
    # One resample lies on one side of the estimate, so z0 = +-inf. The percentile interval
    # of the same draw is returned, and the method string names the fallback.
    c, b = skewed_pairs(18, 15)
    bca = ratio_interval(c, b, paired=True, resamples=1, rng=rng(5), method="bca")
    percentile = ratio_interval(c, b, paired=True, resamples=1, rng=rng(5))
    assert bca.method == (
        "paired bootstrap, percentile (BCa fallback: every bootstrap estimate lies on one side "
        "of the estimate, so the bias correction z0 is infinite)"
    )
    assert (bca.low, bca.high) == (percentile.low, percentile.high)
    assert bca.status == OK


def test_bca_paired_coverage():
    # True ratio 1.10 with right-skewed noise, 30 rounds, 200 seeded repetitions.
    hits = 0
    for seed in range(200):
        generator = rng(3000 + seed)
        b = np.exp(generator.normal(np.log(1e-4), 0.3, 30))
        noise = generator.exponential(0.1, 30) - 0.1
        c = b * 1.10 * np.exp(noise)
        result = ratio_interval(c, b, paired=True, resamples=1000, rng=rng(seed), method="bca")
        hits += result.low <= 1.10 <= result.high
    assert 0.88 <= hits / 200 <= 0.99


def test_bca_bad_method():
    with pytest.raises(ValueError, match="method must be 'percentile' or 'bca', got 'BCa'"):
        ratio_interval([1.0, 2.0], [1.0, 2.0], paired=False, rng=rng(), method="BCa")
