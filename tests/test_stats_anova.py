"""Tests of one_way_anova (with omega squared) and welch_anova: NIST StRD certified values,
published R results, hand computations and degenerate groups.

The NIST datasets under tests/data/nist_anova/ are NIST's files with their certified F
statistics, R-squared values and ANOVA tables (see the header of each file). Values marked
"scipy" were produced with scipy 1.17.1 by the quoted call. Values marked "R" are R's printed
output of the quoted call, compared to the digits R prints.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from pytest_statbench.stats import (
    INSUFFICIENT_DATA,
    OK,
    one_way_anova,
    welch_anova,
    welch_ttest,
)

pytestmark = pytest.mark.filterwarnings("error")

NIST_DIR = Path(__file__).parent / "data" / "nist_anova"
NIST_DATASETS = ["SiRstv", "SmLs01", "SmLs04", "SmLs07", "AtmWtAg"]

# R's datasets::PlantGrowth: dried weight of plants, control and two treatments.
CTRL = [4.17, 5.58, 5.18, 6.11, 4.50, 4.61, 5.17, 4.53, 5.33, 5.14]
TRT1 = [4.81, 4.17, 4.41, 3.59, 5.87, 3.83, 6.03, 4.89, 4.32, 4.69]
TRT2 = [6.31, 5.12, 5.54, 5.50, 5.37, 5.29, 4.92, 6.15, 5.80, 5.26]
PLANT_GROWTH = [CTRL, TRT1, TRT2]

# R's datasets::sleep, extra hours of sleep under drug 1 and drug 2.
SLEEP_DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

GROUPS = [[1.0, 2.0, 3.0], [4.0, 5.0, 7.0], [2.0, 2.0, 5.0]]


# --- NIST StRD ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NistDataset:
    """One NIST StRD ANOVA file: its certified table and its data, grouped by treatment."""

    df_between: int
    df_within: int
    ss_between: float
    ss_within: float
    f_statistic: float
    r_squared: float
    groups: list[list[Decimal]]


def read_nist(name: str) -> NistDataset:
    """Parse a NIST StRD ANOVA file: the certified table and the two-column data lines."""
    table: dict[str, list[str]] = {}
    r_squared = math.nan
    values: dict[int, list[Decimal]] = {}
    in_data = False
    for line in (NIST_DIR / f"{name}.dat").read_text().splitlines():
        fields = line.split()
        if line.startswith("#") or not fields:
            continue
        if fields[0] in ("Between", "Within"):
            table[fields[0]] = fields[2:]
        elif line.strip().startswith("Certified R-Squared"):
            r_squared = float(fields[-1])
        elif fields[0] == "Data:":
            # "Data:  Treatment   Response" opens the data; "Data:  1 Factor" describes them.
            in_data = not fields[1].isdigit()
        elif in_data:
            values.setdefault(int(fields[0]), []).append(Decimal(fields[1]))
    between, within = table["Between"], table["Within"]
    return NistDataset(
        df_between=int(between[0]),
        df_within=int(within[0]),
        ss_between=float(between[1]),
        ss_within=float(within[1]),
        f_statistic=float(between[3]),
        r_squared=r_squared,
        groups=[values[key] for key in sorted(values)],
    )


def centred_groups(dataset: NistDataset) -> list[list[float]]:
    """The data minus its first value, subtracted exactly in decimal before conversion to float.

    Values such as 1000000000000.4 (SmLs07) have no exact float64 form: the nearest double is
    off by about 2e-5, which alone moves F by about 4e-5 relative. Centring in decimal keeps
    that representation error out, so the tests measure the ANOVA arithmetic. ANOVA is
    unchanged by a shift of all values.
    """
    origin = dataset.groups[0][0]
    return [[float(value - origin) for value in group] for group in dataset.groups]


def test_nist_files_parse():
    # Sizes from each file's header: SiRstv 5 instruments x 5, SmLs 9 treatments x 21,
    # AtmWtAg 2 instruments x 24.
    shapes = {name: [len(g) for g in read_nist(name).groups] for name in NIST_DATASETS}
    assert shapes == {
        "SiRstv": [5] * 5,
        "SmLs01": [21] * 9,
        "SmLs04": [21] * 9,
        "SmLs07": [21] * 9,
        "AtmWtAg": [24] * 2,
    }


@pytest.mark.parametrize("name", NIST_DATASETS)
def test_nist_certified_f(name):
    dataset = read_nist(name)
    result = one_way_anova(centred_groups(dataset))
    assert result.statistic == pytest.approx(dataset.f_statistic, rel=1e-12)


@pytest.mark.parametrize("name", NIST_DATASETS)
def test_nist_certified_r_squared(name):
    # NIST's R-squared is SS_between / SS_total, which is eta squared.
    dataset = read_nist(name)
    result = one_way_anova(centred_groups(dataset))
    assert result.eta_squared == pytest.approx(dataset.r_squared, rel=1e-12)


@pytest.mark.parametrize("name", NIST_DATASETS)
def test_nist_certified_df(name):
    dataset = read_nist(name)
    result = one_way_anova(centred_groups(dataset))
    assert (result.df_between, result.df_within) == (dataset.df_between, dataset.df_within)


@pytest.mark.parametrize("name", NIST_DATASETS)
def test_nist_omega_squared(name):
    # Omega squared from NIST's certified sums of squares:
    # (SS_b - df_b * MS_w) / (SS_b + SS_w + MS_w), with MS_w = SS_w / df_w.
    dataset = read_nist(name)
    ms_within = dataset.ss_within / dataset.df_within
    expected = (dataset.ss_between - dataset.df_between * ms_within) / (
        dataset.ss_between + dataset.ss_within + ms_within
    )
    result = one_way_anova(centred_groups(dataset))
    assert result.omega_squared == pytest.approx(expected, rel=1e-12)


def test_nist_sirstv_raw_floats():
    # SiRstv has only 3 constant leading digits, so the floats as parsed are accurate enough.
    dataset = read_nist("SiRstv")
    groups = [[float(value) for value in group] for group in dataset.groups]
    assert one_way_anova(groups).statistic == pytest.approx(dataset.f_statistic, rel=1e-10)


# --- omega squared and the PlantGrowth example -----------------------------------------------


def test_omega_squared_by_hand():
    # GROUPS: SS_between = 1422/81, SS_within = 1026/81 with 6 df, so MS_within = 171/81;
    # omega^2 = (1422 - 2 * 171) / (2448 + 171) = 1080 / 2619 = 40/97.
    assert one_way_anova(GROUPS).omega_squared == pytest.approx(40 / 97, rel=1e-12)


def test_omega_squared_negative_when_f_below_one():
    # Equal group means: SS_between = 0, so omega^2 = -(k-1) MS_w / (SS_t + MS_w) < 0.
    result = one_way_anova([[1.0, 3.0], [0.0, 4.0], [2.0, 2.0, 1.0, 3.0]])
    assert result.omega_squared < 0.0
    assert result.eta_squared == pytest.approx(0.0, abs=1e-15)


def test_plant_growth_matches_r():
    # R: oneway.test(weight ~ group, data = PlantGrowth, var.equal = TRUE)
    #    F = 4.8461, num df = 2, denom df = 27, p-value = 0.01591
    result = one_way_anova(PLANT_GROWTH)
    assert result.statistic == pytest.approx(4.8461, abs=5e-5)
    assert (result.df_between, result.df_within) == (2.0, 27.0)
    assert result.p_value == pytest.approx(0.01591, abs=5e-6)


def test_anova_method_and_drops():
    result = one_way_anova([[*GROUPS[0], math.nan], [math.inf, *GROUPS[1]], GROUPS[2]])
    assert result.method == "one-way ANOVA"
    assert (result.n_total, result.dropped) == (9, 2)
    assert result.statistic == pytest.approx(79 / 19, rel=1e-12)


# --- Welch's ANOVA --------------------------------------------------------------------------


def test_welch_anova_plant_growth_matches_r():
    # R: oneway.test(weight ~ group, data = PlantGrowth, var.equal = FALSE)
    #    F = 5.181, num df = 2.000, denom df = 17.128, p-value = 0.01739
    result = welch_anova(PLANT_GROWTH)
    assert result.statistic == pytest.approx(5.181, abs=5e-4)
    assert result.df_between == 2.0
    assert result.df_within == pytest.approx(17.128, abs=5e-4)
    assert result.p_value == pytest.approx(0.01739, abs=5e-6)


def test_welch_anova_plant_growth_golden():
    # scipy: scipy.stats.f_oneway(CTRL, TRT1, TRT2, equal_var=False)
    #    statistic 5.1809724081131945, pvalue 0.017392821490169935
    result = welch_anova(PLANT_GROWTH)
    assert result.statistic == pytest.approx(5.1809724081131945, rel=1e-12)
    assert result.p_value == pytest.approx(0.017392821490169935, rel=1e-10)


def test_welch_anova_by_hand():
    # Welch (1951) on GROUPS, in exact fractions: n = 3 each; means 2, 16/3, 3; variances 1,
    # 7/3, 3; weights w = n / s^2 = 3, 9/7, 1.
    n = [3, 3, 3]
    means = [Fraction(2), Fraction(16, 3), Fraction(3)]
    variances = [Fraction(1), Fraction(7, 3), Fraction(3)]
    weights = [Fraction(ni) / v for ni, v in zip(n, variances, strict=True)]
    total = sum(weights)
    centre = sum(w * m for w, m in zip(weights, means, strict=True)) / total
    k = 3
    a = sum(w * (m - centre) ** 2 for w, m in zip(weights, means, strict=True)) / (k - 1)
    lam = sum((1 - w / total) ** 2 / (ni - 1) for w, ni in zip(weights, n, strict=True))
    f = a / (1 + Fraction(2 * (k - 2), k * k - 1) * lam)
    df2 = Fraction(k * k - 1) / (3 * lam)
    result = welch_anova(GROUPS)
    assert result.statistic == pytest.approx(float(f), rel=1e-12)
    assert result.df_within == pytest.approx(float(df2), rel=1e-12)


def test_welch_anova_two_groups_is_welch_t_squared():
    # With two groups Welch's F is t^2 of Welch's t-test, with the same df and p-value.
    anova = welch_anova([SLEEP_DRUG_1, SLEEP_DRUG_2])
    t = welch_ttest(SLEEP_DRUG_1, SLEEP_DRUG_2)
    assert anova.statistic == pytest.approx(t.statistic**2, rel=1e-12)
    assert anova.df_within == pytest.approx(t.df, rel=1e-12)
    assert anova.p_value == pytest.approx(t.p_value, rel=1e-10)


def test_welch_anova_effect_sizes_match_fisher():
    welch = welch_anova(PLANT_GROWTH)
    fisher = one_way_anova(PLANT_GROWTH)
    assert (welch.eta_squared, welch.omega_squared) == (fisher.eta_squared, fisher.omega_squared)


def test_welch_anova_ok_fields():
    result = welch_anova(PLANT_GROWTH)
    assert (result.status, result.reason, result.method) == (OK, None, "Welch one-way ANOVA")
    assert (result.n_groups, result.n_total, result.dropped) == (3, 30, 0)


def test_welch_anova_weights_by_hand():
    # The weighted mean gives the low-variance group more pull than the plain mean does.
    groups = [[10.0, 10.2, 9.8, 10.1], [12.0, 8.0, 14.0, 6.0]]
    n = [len(g) for g in groups]
    weights = [ni / statistics.variance(g) for ni, g in zip(n, groups, strict=True)]
    assert weights[0] > 100 * weights[1]
    assert welch_anova(groups).status == OK


# --- degenerate groups ----------------------------------------------------------------------

DEGENERATE_WELCH = {
    "one group": ([[1.0, 2.0, 3.0]], "1 group given; at least 2 are needed"),
    "no groups": ([], "0 groups given; at least 2 are needed"),
    "group n1": ([[1.0, 2.0], [3.0]], "groups[1] has 1 sample; at least 2 are needed"),
    "inf group": (
        [[1.0, 2.0], [math.inf, 3.0]],
        "groups[1] has 1 sample after 1 NaN or infinite value was dropped; at least 2 are needed",
    ),
    "all constant": ([[1.0, 1.0], [2.0, 2.0]], "all groups have zero variance"),
    "all constant, equal": ([[1.0, 1.0], [1.0, 1.0, 1.0]], "all groups have zero variance"),
    "one constant": (
        [[1.0, 2.0], [3.0, 3.0], [4.0, 6.0]],
        "groups[1] has zero variance, so its Welch weight n / s^2 is infinite",
    ),
}


@pytest.mark.parametrize(
    ("groups", "reason"), list(DEGENERATE_WELCH.values()), ids=list(DEGENERATE_WELCH)
)
def test_welch_anova_degenerate(groups, reason):
    result = welch_anova(groups)
    assert (result.status, result.reason) == (INSUFFICIENT_DATA, reason)
    numbers = [result.statistic, result.p_value, result.df_within, result.omega_squared]
    assert all(math.isnan(x) for x in numbers)


def test_anova_degenerate_omega_nan():
    result = one_way_anova([[1.0, 1.0], [2.0, 2.0]])
    assert (result.status, result.reason) == (INSUFFICIENT_DATA, "all groups have zero variance")
    assert math.isnan(result.omega_squared)


def test_welch_anova_string_groups():
    with pytest.raises(TypeError, match="groups must be a sequence of 1-D samples"):
        welch_anova("abc")  # type: ignore[arg-type]


def test_welch_anova_two_dimensional_group():
    with pytest.raises(ValueError, match=r"groups\[0\] must be 1-D"):
        welch_anova([[[1.0, 2.0]], [1.0, 2.0]])
