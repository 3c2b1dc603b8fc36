"""Tests of tukey_hsd and games_howell: R's published Tukey HSD, Games-Howell computed by hand
from its formula, scipy golden values, pair order, names and degenerate groups.

Values marked "scipy" were produced with scipy 1.17.1 by the quoted call. Values marked "R" are
R's printed output of the quoted call, compared to the 7 digits R prints.
"""

from __future__ import annotations

import math
import statistics

import pytest
import scipy.stats

from pytest_statbench.stats import (
    DETERMINISTIC,
    IDENTICAL,
    INSUFFICIENT_DATA,
    OK,
    games_howell,
    tukey_hsd,
)

pytestmark = pytest.mark.filterwarnings("error")

# R's datasets::PlantGrowth: dried weight of plants, control and two treatments.
CTRL = [4.17, 5.58, 5.18, 6.11, 4.50, 4.61, 5.17, 4.53, 5.33, 5.14]
TRT1 = [4.81, 4.17, 4.41, 3.59, 5.87, 3.83, 6.03, 4.89, 4.32, 4.69]
TRT2 = [6.31, 5.12, 5.54, 5.50, 5.37, 5.29, 4.92, 6.15, 5.80, 5.26]
PLANT_GROWTH = [CTRL, TRT1, TRT2]
NAMES = ["ctrl", "trt1", "trt2"]

# Unequal sizes and variances, for the Games-Howell hand computation.
UNEVEN = [
    [0.91, 1.02, 0.97, 1.10, 0.95, 1.05],
    [1.21, 1.15, 1.30, 1.18, 1.25],
    [1.4, 0.6, 1.9, 0.8, 1.2, 1.7, 0.5],
]
UNEVEN_NAMES = ["a", "b", "c"]


# --- Tukey HSD ------------------------------------------------------------------------------

# R: TukeyHSD(aov(weight ~ group, data = PlantGrowth)) prints, as "row - column" differences:
#                 diff        lwr       upr     p adj
#   trt1-ctrl -0.371 -1.0622161 0.3202161 0.3908711
#   trt2-ctrl  0.494 -0.1972161 1.1852161 0.1979960
#   trt2-trt1  0.865  0.1737839 1.5562161 0.0120064
# Our pairs are first - second, (ctrl, trt1), (ctrl, trt2), (trt1, trt2): the signs flip.
R_TUKEY = [
    (0.371, (-0.3202161, 1.0622161), 0.3908711),
    (-0.494, (-1.1852161, 0.1972161), 0.1979960),
    (-0.865, (-1.5562161, -0.1737839), 0.0120064),
]


@pytest.fixture(scope="module")
def plant_growth_tukey():
    return tukey_hsd(PLANT_GROWTH, NAMES)


@pytest.mark.parametrize("index", range(3))
def test_tukey_plant_growth_matches_r(plant_growth_tukey, index):
    result = plant_growth_tukey[index]
    difference, interval, p_value = R_TUKEY[index]
    assert result.mean_difference == pytest.approx(difference, abs=1e-12)
    assert result.confidence_interval == pytest.approx(interval, abs=5e-8)
    assert result.p_value == pytest.approx(p_value, abs=5e-8)


def test_tukey_pair_order_and_names(plant_growth_tukey):
    pairs = [(r.first, r.second) for r in plant_growth_tukey]
    assert pairs == [("ctrl", "trt1"), ("ctrl", "trt2"), ("trt1", "trt2")]


def test_tukey_statistic_by_hand(plant_growth_tukey):
    # MSE = sum of within-group squares / (N - k); q = |diff| / sqrt(MSE / 2 * (1/n_i + 1/n_j)).
    ss_within = sum((len(g) - 1) * statistics.variance(g) for g in PLANT_GROWTH)
    mse = ss_within / 27
    q = 0.865 / math.sqrt(mse / 2 * (1 / 10 + 1 / 10))
    result = plant_growth_tukey[2]
    assert result.statistic == pytest.approx(q, rel=1e-10)
    assert result.df == 27.0


def test_tukey_p_value_from_statistic(plant_growth_tukey):
    # scipy.stats.tukey_hsd's p-value is the studentized range tail at q with (k, N - k).
    result = plant_growth_tukey[2]
    expected = scipy.stats.studentized_range.sf(result.statistic, 3, 27)
    assert result.p_value == pytest.approx(expected, rel=1e-6)


def test_tukey_ok_fields(plant_growth_tukey):
    result = plant_growth_tukey[0]
    assert (result.status, result.reason, result.confidence_level) == (OK, None, 0.95)
    assert (result.n_first, result.n_second, result.dropped) == (10, 10, 0)


# --- Games-Howell ---------------------------------------------------------------------------


def games_howell_by_hand(a, b, k, level):
    """Games-Howell for one pair, straight from the formula (Games & Howell 1976)."""
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    standard_error = math.sqrt((va + vb) / 2)
    difference = statistics.mean(a) - statistics.mean(b)
    q = abs(difference) / standard_error
    p_value = scipy.stats.studentized_range.sf(q, k, df)
    half = scipy.stats.studentized_range.ppf(level, k, df) * standard_error
    return difference, (difference - half, difference + half), p_value, q, df


# Each Games-Howell pair takes about 0.1 s, mostly in studentized_range.ppf, so the results
# are computed once per module.
@pytest.fixture(scope="module")
def uneven_games_howell():
    return games_howell(UNEVEN, UNEVEN_NAMES)


@pytest.fixture(scope="module")
def plant_growth_games_howell():
    return games_howell(PLANT_GROWTH, NAMES)


@pytest.mark.parametrize(("index", "i", "j"), [(0, 0, 1), (1, 0, 2), (2, 1, 2)])
def test_games_howell_by_hand(uneven_games_howell, index, i, j):
    difference, interval, p_value, q, df = games_howell_by_hand(UNEVEN[i], UNEVEN[j], 3, 0.95)
    result = uneven_games_howell[index]
    assert result.mean_difference == pytest.approx(difference, rel=1e-12)
    assert result.df == pytest.approx(df, rel=1e-12)
    assert result.statistic == pytest.approx(q, rel=1e-12)
    assert result.p_value == pytest.approx(p_value, rel=1e-12)
    assert result.confidence_interval == pytest.approx(interval, rel=1e-12)


# scipy: r = scipy.stats.tukey_hsd(CTRL, TRT1, TRT2, equal_var=False), scipy's Games-Howell;
# r.pvalue[i, j] and r.confidence_interval(0.95).low / .high [i, j] for (i, j) = (0, 1),
# (0, 2), (1, 2).
SCIPY_GAMES_HOWELL = [
    (0.47455492219394857, (-0.43008751452242533, 1.1720875145224245)),
    (0.11288917685382871, (-1.088554443847522, 0.10055444384752088)),
    (0.023703454738939533, (-1.6164870112983378, -0.1135129887016626)),
]


@pytest.mark.parametrize("index", range(3))
def test_games_howell_plant_growth_golden(plant_growth_games_howell, index):
    result = plant_growth_games_howell[index]
    p_value, interval = SCIPY_GAMES_HOWELL[index]
    assert result.p_value == pytest.approx(p_value, rel=1e-8)
    assert result.confidence_interval == pytest.approx(interval, rel=1e-8)


def test_games_howell_one_constant_group():
    # One constant side leaves only the other's term: df = n - 1 of the varying group.
    result = games_howell([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0]], ["x", "y"])[0]
    assert result.status == OK
    assert result.df == pytest.approx(3.0, rel=1e-12)


def test_games_howell_pair_order(plant_growth_games_howell):
    pairs = [(r.first, r.second) for r in plant_growth_games_howell]
    assert pairs == [("ctrl", "trt1"), ("ctrl", "trt2"), ("trt1", "trt2")]


def test_games_howell_ok_fields(plant_growth_games_howell):
    result = plant_growth_games_howell[0]
    assert (result.status, result.reason, result.confidence_level) == (OK, None, 0.95)
    assert (result.n_first, result.n_second, result.dropped) == (10, 10, 0)


def test_games_howell_level():
    at_90 = games_howell([TRT1, TRT2], ["trt1", "trt2"], confidence_level=0.9)[0]
    at_95 = games_howell([TRT1, TRT2], ["trt1", "trt2"])[0]
    assert at_90.confidence_interval[1] - at_90.confidence_interval[0] < (
        at_95.confidence_interval[1] - at_95.confidence_interval[0]
    )


# --- degenerate groups ----------------------------------------------------------------------


def test_games_howell_small_group_only_its_pairs():
    results = games_howell([[1.0, 2.0], [3.0], [4.0, 6.0]], ["a", "b", "c"])
    assert [r.status for r in results] == [INSUFFICIENT_DATA, OK, INSUFFICIENT_DATA]
    assert results[0].reason == "group 'b' has 1 sample; at least 2 are needed"
    assert math.isnan(results[0].p_value)


def test_games_howell_constant_pairs():
    results = games_howell([[2.0, 2.0], [2.0, 2.0, 2.0], [3.0, 3.0]], ["a", "b", "c"])
    assert [(r.status, r.reason) for r in results] == [
        (IDENTICAL, "both samples are constant and equal"),
        (DETERMINISTIC, "both samples are constant: a deterministic difference"),
        (DETERMINISTIC, "both samples are constant: a deterministic difference"),
    ]
    assert results[1].mean_difference == -1.0
    assert results[1].confidence_interval == (-1.0, -1.0)
    assert math.isnan(results[1].p_value)


def test_games_howell_drops_non_finite(plant_growth_games_howell):
    # The third group is all NaN, so only the first pair is computed.
    results = games_howell(
        [[*CTRL, math.nan], [math.inf, *TRT1], [math.nan, math.nan]], NAMES
    )
    assert [r.dropped for r in results] == [2, 3, 3]
    assert results[0].p_value == plant_growth_games_howell[0].p_value
    assert results[1].reason == (
        "group 'trt2' has 0 samples after 2 NaN or infinite values were dropped; "
        "at least 2 are needed"
    )


def test_tukey_small_group_all_pairs():
    results = tukey_hsd([[1.0, 2.0], [3.0, math.nan], [4.0, 6.0]], ["a", "b", "c"])
    reason = "group 'b' has 1 sample after 1 NaN or infinite value was dropped; at least 2 are needed"
    assert [(r.status, r.reason) for r in results] == [(INSUFFICIENT_DATA, reason)] * 3


def test_tukey_all_constant():
    results = tukey_hsd([[2.0, 2.0], [2.0, 2.0], [3.0, 3.0]], ["a", "b", "c"])
    assert [r.status for r in results] == [IDENTICAL, DETERMINISTIC, DETERMINISTIC]
    assert [r.mean_difference for r in results] == [0.0, -1.0, -1.0]
    assert all(math.isnan(r.p_value) for r in results)


def test_tukey_one_constant_group_is_ok():
    results = tukey_hsd([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0], [2.0, 4.0, 3.0]], ["a", "b", "c"])
    assert [r.status for r in results] == [OK, OK, OK]


@pytest.mark.parametrize("compare", [games_howell, tukey_hsd])
def test_fewer_than_two_groups(compare):
    assert compare([[1.0, 2.0, 3.0]], ["only"]) == []


# --- invalid names --------------------------------------------------------------------------


@pytest.mark.parametrize("compare", [games_howell, tukey_hsd])
def test_names_wrong_length(compare):
    with pytest.raises(ValueError, match="names has 2 entries but there are 3 groups"):
        compare(PLANT_GROWTH, ["ctrl", "trt1"])


@pytest.mark.parametrize("compare", [games_howell, tukey_hsd])
def test_names_repeated(compare):
    with pytest.raises(ValueError, match="names must be distinct, but 'x' is repeated"):
        compare(PLANT_GROWTH, ["x", "y", "x"])


@pytest.mark.parametrize("compare", [games_howell, tukey_hsd])
def test_names_not_strings(compare):
    with pytest.raises(TypeError, match=r"names\[1\] must be a string, got 2"):
        compare(PLANT_GROWTH, ["ctrl", 2, "trt2"])


@pytest.mark.parametrize("compare", [games_howell, tukey_hsd])
def test_names_one_string(compare):
    with pytest.raises(TypeError, match="names must be a sequence of strings"):
        compare(PLANT_GROWTH, "abc")


@pytest.mark.parametrize("compare", [games_howell, tukey_hsd])
def test_posthoc_bad_level(compare):
    with pytest.raises(ValueError, match="confidence_level must be a number strictly between"):
        compare(PLANT_GROWTH, NAMES, confidence_level=1.5)
