"""Compare regression-detection rules on simulated benchmark timings with a known true ratio.

Each simulated comparison has a baseline and a candidate measured in interleaved rounds. Log
times share a drift term per round (an AR(1) process), get independent log-normal noise per
sample and, in some scenarios, a spike that slows one of the two samples of a round. The
candidate's true time ratio is 1.00 (A/A), 1.05 or 1.10 (slowdowns), 0.95 or 0.90 (speed-ups).

Five rules judge the same samples, and each either flags a regression (slower), flags an
improvement (faster) or flags nothing:

- statbench: pytest-statbench's verdict. The 95% paired-by-round percentile bootstrap interval
  of the ratio of geometric means must lie wholly beyond a 5% margin.
- pytest-benchmark: ``--benchmark-compare-fail=mean:5%``. It flags a regression when
  mean(candidate) / mean(baseline) - 1 > 5% and never flags an improvement.
- pyperf: Student's two-sample t-test (pooled variance) on the raw times, two-sided, alpha 0.05,
  no minimum speed; the ratio of means gives the direction.
- benchstat: two-sided Mann-Whitney U test on the raw times at alpha 0.05, exact distribution
  (continuous data has no ties); the medians give the direction.
- criterion: a bootstrap Welch t-test at alpha 0.05, resampling both samples from the pooled
  sample, and a 95% percentile bootstrap interval of the relative change of means that must
  lie wholly beyond a 1% noise threshold.

The other tools' rules are written here from their source and default settings, and none of
their code is copied. Each function's docstring names the version and file read. The
printed Markdown table counts how often each rule flags each true ratio. Cells run in
``--jobs`` worker processes; each cell seeds its own generators, so results do not depend on
the number of workers.

Run from the repository root:

    python benchmarks/simulate_decisions.py --output simulation.md
    python benchmarks/simulate_decisions.py --quick
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import stats as scipy_stats

from pytest_statbench.stats import ratio_interval

try:
    from pytest_statbench.comparisons import decide_verdict
except ImportError:
    # Up to commit 2903330, which produced docs/simulation.md, decide_verdict was in analysis.py.
    from pytest_statbench.analysis import (  # type: ignore[attr-defined,no-redef,unused-ignore]
        decide_verdict,
    )

FloatArray = npt.NDArray[np.float64]
FlagArray = npt.NDArray[np.int8]

SLOWER = 1
FASTER = -1
NO_FLAG = 0

ALPHA = 0.05
MARGIN = 0.05  # pytest-statbench's default --bench-margin
PYTEST_BENCHMARK_THRESHOLD = 0.05  # the 5% of --benchmark-compare-fail=mean:5%
CRITERION_NOISE_THRESHOLD = 0.01  # criterion.rs 0.7.0 default noise_threshold
CRITERION_CONFIDENCE_LEVEL = 0.95  # criterion.rs 0.7.0 default confidence_level

# Comparisons per block in the criterion bootstrap. The largest arrays of a block hold
# CRITERION_BLOCK * resamples * 2 * rounds values of 8 bytes: 32 MB each for 50 rounds and 2000
# resamples, and an estimated 100 MB for the whole block.
CRITERION_BLOCK = 20

# go-moremath's MannWhitneyExactLimit: the largest sample without ties that gets the exact U
# distribution; larger samples get the normal approximation with continuity correction.
MANN_WHITNEY_EXACT_LIMIT = 50

SLOWDOWNS = (1.05, 1.10)
SPEEDUPS = (0.95, 0.90)
RATIOS = (1.00, *SLOWDOWNS, *SPEEDUPS)

RULES = ("statbench", "pytest-benchmark", "pyperf", "benchstat", "criterion")
RULE_LABELS = {
    "statbench": "pytest-statbench (paired bootstrap CI beyond 5% margin)",
    "pytest-benchmark": "pytest-benchmark style (mean +5%, no test)",
    "pyperf": "pyperf style (Student t, alpha 0.05)",
    "benchstat": "benchstat style (Mann-Whitney U, alpha 0.05)",
    "criterion": "criterion style (bootstrap Welch t and CI beyond 1%)",
}


@dataclass(frozen=True)
class Scenario:
    """Parameters of the generative model. Every spread is a standard deviation of log time."""

    name: str
    noise_sigma: float
    drift_sd: float  # stationary standard deviation of the AR(1) drift
    drift_phi: float  # AR(1) coefficient from one round to the next
    spike_rate: float  # share of rounds in which one implementation's sample is slowed
    spike_factor: float  # time multiplier of a spiked sample


SCENARIOS = (
    Scenario(
        "quiet", noise_sigma=0.02, drift_sd=0.01, drift_phi=0.9, spike_rate=0.0, spike_factor=1.0
    ),
    Scenario(
        "noisy", noise_sigma=0.05, drift_sd=0.05, drift_phi=0.95, spike_rate=0.02, spike_factor=1.5
    ),
    Scenario(
        "very noisy",
        noise_sigma=0.10,
        drift_sd=0.10,
        drift_phi=0.98,
        spike_rate=0.05,
        spike_factor=2.0,
    ),
)


@dataclass(frozen=True)
class Cell:
    """One simulated setting: a scenario, a number of rounds and a true time ratio."""

    scenario_index: int
    rounds: int
    ratio: float
    comparisons: int
    resamples: int
    seed: int

    def rng(self, stream: int) -> np.random.Generator:
        """Return a generator that depends only on the seed, this cell and the stream.

        Stream 0 draws the timings, 1 the pytest-statbench bootstrap, 2 the criterion bootstrap.
        """
        ratio_key = round(self.ratio * 1000)
        return np.random.default_rng(
            [self.seed, self.scenario_index, self.rounds, ratio_key, stream]
        )


@dataclass
class CellResult:
    """Counts of flags per rule in one cell."""

    cell: Cell
    slower: dict[str, int] = field(default_factory=dict)
    faster: dict[str, int] = field(default_factory=dict)
    # Comparisons where pytest-statbench reached insufficient-data. They count as not flagged.
    statbench_insufficient: int = 0
    seconds: float = 0.0


def simulate_timings(
    scenario: Scenario, ratio: float, rounds: int, comparisons: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Draw candidate and baseline times of shape (comparisons, rounds).

    The baseline's true time is 1 and the candidate's is ``ratio``.
    Column r of both arrays is round r, so the two samples of a round share its drift.
    """
    innovation_sd = scenario.drift_sd * math.sqrt(1.0 - scenario.drift_phi**2)
    innovations = rng.standard_normal((comparisons, rounds))
    drift = np.empty((comparisons, rounds))
    drift[:, 0] = scenario.drift_sd * innovations[:, 0]
    for r in range(1, rounds):
        drift[:, r] = scenario.drift_phi * drift[:, r - 1] + innovation_sd * innovations[:, r]

    log_candidate = (
        math.log(ratio) + drift + scenario.noise_sigma * rng.standard_normal((comparisons, rounds))
    )
    log_baseline = drift + scenario.noise_sigma * rng.standard_normal((comparisons, rounds))

    spiked = rng.random((comparisons, rounds)) < scenario.spike_rate
    spike_hits_candidate = rng.random((comparisons, rounds)) < 0.5
    spike = math.log(scenario.spike_factor)
    log_candidate += spike * (spiked & spike_hits_candidate)
    log_baseline += spike * (spiked & ~spike_hits_candidate)
    return np.exp(log_candidate), np.exp(log_baseline)


def _direction(slower: npt.NDArray[np.bool_], faster: npt.NDArray[np.bool_]) -> FlagArray:
    flags = np.full(slower.shape, NO_FLAG, dtype=np.int8)
    flags[slower] = SLOWER
    flags[faster] = FASTER
    return flags


def decide_statbench(
    candidate: FloatArray, baseline: FloatArray, resamples: int, rng: np.random.Generator
) -> tuple[FlagArray, int]:
    """Apply pytest-statbench's verdict rule to each row.

    Returns the flags and the number of rows whose interval was insufficient-data.
    """
    flags = np.full(candidate.shape[0], NO_FLAG, dtype=np.int8)
    insufficient = 0
    for row in range(candidate.shape[0]):
        interval = ratio_interval(
            candidate[row],
            baseline[row],
            paired=True,
            confidence_level=1.0 - ALPHA,
            resamples=resamples,
            rng=rng,
        )
        if interval.status != "ok":
            insufficient += 1
            continue
        verdict, _ = decide_verdict(interval.low, interval.high, MARGIN, 1.0 - ALPHA)
        if verdict == "worse":
            flags[row] = SLOWER
        elif verdict == "better":
            flags[row] = FASTER
    return flags, insufficient


def decide_mean_threshold(candidate: FloatArray, baseline: FloatArray) -> FlagArray:
    """Flag a regression when mean(candidate) / mean(baseline) - 1 exceeds 5%.

    pytest-benchmark 5.2.3 (src/pytest_benchmark/utils.py, PercentageRegressionCheck) fails
    ``--benchmark-compare-fail=mean:5%`` when ``current / compared * 100 - 100 > 5``. It has no
    check for improvements, so this rule never flags one.
    """
    change = candidate.mean(axis=1) / baseline.mean(axis=1) - 1.0
    slower = change > PYTEST_BENCHMARK_THRESHOLD
    return _direction(slower, np.zeros_like(slower))


def decide_student_t(candidate: FloatArray, baseline: FloatArray) -> FlagArray:
    """Flag when Student's pooled-variance t-test rejects at ALPHA; the means give the direction.

    pyperf 2.10.0 (pyperf/_compare.py) reports a change of any size when the test is
    significant, because its default ``--min-speed`` is 0. The ratio of means gives the direction.

    NOTE: pyperf 2.10.0 (pyperf/_utils.py, is_significant) compares |t| with a table of 95%
    critical values that rounds the degrees of freedom down to the nearest tabulated entry
    (2.042 for 38 df, 1.990 for 98 df). The exact p-value used here is slightly less
    conservative than that table.
    """
    result = scipy_stats.ttest_ind(candidate, baseline, axis=1, equal_var=True)
    significant = np.asarray(result.pvalue) < ALPHA
    ratio_of_means = candidate.mean(axis=1) / baseline.mean(axis=1)
    return _direction(significant & (ratio_of_means > 1.0), significant & (ratio_of_means < 1.0))


def decide_mann_whitney(candidate: FloatArray, baseline: FloatArray) -> FlagArray:
    """Flag when the two-sided Mann-Whitney U test rejects at ALPHA; the medians give the direction.

    benchstat's default assumption (golang.org/x/perf, benchmath/anone.go) compares medians with
    go-moremath's MannWhitneyUTest (stats/utest.go), which uses the exact U distribution for
    samples of up to 50 values without ties and the normal approximation above, as here.
    """
    exact = candidate.shape[1] <= MANN_WHITNEY_EXACT_LIMIT
    result = scipy_stats.mannwhitneyu(
        candidate,
        baseline,
        axis=1,
        alternative="two-sided",
        method="exact" if exact else "asymptotic",
    )
    significant = np.asarray(result.pvalue) < ALPHA
    median_change = np.median(candidate, axis=1) - np.median(baseline, axis=1)
    return _direction(significant & (median_change > 0), significant & (median_change < 0))


def _welch_t(a: FloatArray, b: FloatArray) -> FloatArray:
    """Welch's t statistic along the last axis, sample variances with n - 1."""
    n_a, n_b = a.shape[-1], b.shape[-1]
    standard_error = np.sqrt(a.var(axis=-1, ddof=1) / n_a + b.var(axis=-1, ddof=1) / n_b)
    result: FloatArray = (a.mean(axis=-1) - b.mean(axis=-1)) / standard_error
    return result


def decide_criterion(
    candidate: FloatArray, baseline: FloatArray, resamples: int, rng: np.random.Generator
) -> FlagArray:
    """Apply criterion.rs 0.7.0's rule (src/analysis/compare.rs, src/report.rs) to each row.

    The t-test compares the observed Welch t with the Welch t of B resamples. Each resample is
    drawn with replacement from the pooled sample and split into two groups of the original
    sizes. When k of the B values lie below the observed t, the p-value is 2 * min(k, B - k) / B.
    The change is the percentile interval of mean(candidate*) / mean(baseline*) - 1, with each
    side resampled independently. A row is flagged when p < ALPHA and the whole interval lies
    beyond the noise threshold.

    NOTE: criterion.rs defaults to 100000 resamples, but this uses ``resamples`` (2000 by
    default) to stay fast. That adds Monte Carlo noise of about 0.5 percentage points to p
    near 0.05.
    """
    comparisons, rounds = candidate.shape
    flags = np.full(comparisons, NO_FLAG, dtype=np.int8)
    lower_tail = 50.0 * (1.0 - CRITERION_CONFIDENCE_LEVEL)
    upper_tail = 50.0 * (1.0 + CRITERION_CONFIDENCE_LEVEL)
    for start in range(0, comparisons, CRITERION_BLOCK):
        a = candidate[start : start + CRITERION_BLOCK]
        b = baseline[start : start + CRITERION_BLOCK]
        block = a.shape[0]

        observed_t = _welch_t(a, b)
        pooled = np.concatenate([a, b], axis=1)
        pooled_index = rng.integers(0, 2 * rounds, size=(block, resamples, 2 * rounds))
        resampled = np.take_along_axis(pooled[:, None, :], pooled_index, axis=2)
        null_t = _welch_t(resampled[:, :, :rounds], resampled[:, :, rounds:])
        below = (null_t < observed_t[:, None]).sum(axis=1)
        p_value = 2.0 * np.minimum(below, resamples - below) / resamples

        index_a = rng.integers(0, rounds, size=(block, resamples, rounds))
        index_b = rng.integers(0, rounds, size=(block, resamples, rounds))
        mean_a = np.take_along_axis(a[:, None, :], index_a, axis=2).mean(axis=2)
        mean_b = np.take_along_axis(b[:, None, :], index_b, axis=2).mean(axis=2)
        change = mean_a / mean_b - 1.0
        low, high = np.percentile(change, [lower_tail, upper_tail], axis=1)

        significant = p_value < ALPHA
        slower = significant & (low > CRITERION_NOISE_THRESHOLD)
        faster = significant & (high < -CRITERION_NOISE_THRESHOLD)
        flags[start : start + block] = _direction(slower, faster)
    return flags


def run_cell(cell: Cell) -> CellResult:
    """Simulate one cell and count the flags of every rule on the same samples."""
    started = time.perf_counter()
    scenario = SCENARIOS[cell.scenario_index]
    candidate, baseline = simulate_timings(
        scenario, cell.ratio, cell.rounds, cell.comparisons, cell.rng(stream=0)
    )
    statbench_flags, insufficient = decide_statbench(
        candidate, baseline, cell.resamples, cell.rng(stream=1)
    )
    flags_by_rule: dict[str, FlagArray] = {
        "statbench": statbench_flags,
        "pytest-benchmark": decide_mean_threshold(candidate, baseline),
        "pyperf": decide_student_t(candidate, baseline),
        "benchstat": decide_mann_whitney(candidate, baseline),
        "criterion": decide_criterion(candidate, baseline, cell.resamples, cell.rng(stream=2)),
    }
    result = CellResult(cell=cell, statbench_insufficient=insufficient)
    for rule, flags in flags_by_rule.items():
        result.slower[rule] = int((flags == SLOWER).sum())
        result.faster[rule] = int((flags == FASTER).sum())
    result.seconds = time.perf_counter() - started
    return result


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """Return the Wilson score interval of a binomial proportion (95% for the default z)."""
    share = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half_width = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials**2))
    half_width /= denominator
    return max(0.0, centre - half_width), min(1.0, centre + half_width)


def _percent(count: int, total: int) -> str:
    return f"{100.0 * count / total:.1f}%"


def format_table(results: Sequence[CellResult]) -> str:
    """Render one Markdown row per scenario, number of rounds and rule."""
    by_key = {(r.cell.scenario_index, r.cell.rounds, r.cell.ratio): r for r in results}
    rounds_values = sorted({r.cell.rounds for r in results}, reverse=True)
    header = [
        "scenario",
        "rounds",
        "rule",
        "comparisons per cell",
        "A/A flagged (95% CI)",
        "A/A flagged slower / faster",
        "1.05: flagged slower",
        "1.10: flagged slower",
        "1.05 and 1.10: flagged faster",
        "0.95: flagged faster",
        "0.90: flagged faster",
        "0.95 and 0.90: flagged slower",
    ]
    lines = [
        "| " + " | ".join(header) + " |",
        "| --- | ---: | --- | " + " | ".join(["---:"] * (len(header) - 3)) + " |",
    ]
    for scenario_index, scenario in enumerate(SCENARIOS):
        for rounds in rounds_values:
            if (scenario_index, rounds, 1.00) not in by_key:
                continue
            cells = {ratio: by_key[(scenario_index, rounds, ratio)] for ratio in RATIOS}
            n = cells[1.00].cell.comparisons
            for rule in RULES:
                aa_slower = cells[1.00].slower[rule]
                aa_faster = cells[1.00].faster[rule]
                low, high = wilson_interval(aa_slower + aa_faster, n)
                wrong_on_slowdown = sum(cells[ratio].faster[rule] for ratio in SLOWDOWNS)
                wrong_on_speedup = sum(cells[ratio].slower[rule] for ratio in SPEEDUPS)
                if rule == "pytest-benchmark":
                    speedup_cells = ["n/a", "n/a"]
                else:
                    speedup_cells = [_percent(cells[ratio].faster[rule], n) for ratio in SPEEDUPS]
                aa_flagged = (
                    f"{_percent(aa_slower + aa_faster, n)} [{100 * low:.1f}, {100 * high:.1f}]"
                )
                row = [
                    scenario.name,
                    str(rounds),
                    RULE_LABELS[rule],
                    str(n),
                    aa_flagged,
                    f"{aa_slower} / {aa_faster}",
                    _percent(cells[1.05].slower[rule], n),
                    _percent(cells[1.10].slower[rule], n),
                    f"{wrong_on_slowdown} of {2 * n}",
                    *speedup_cells,
                    f"{wrong_on_speedup} of {2 * n}",
                ]
                lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description="Simulate benchmark comparisons with known time ratios and tabulate how "
        "often pytest-statbench's verdict and four other tools' decision rules flag them.",
    )
    parser.add_argument(
        "--comparisons",
        type=int,
        default=None,
        help="simulated comparisons per scenario, number of rounds and true ratio "
        "(default 2000; 200 with --quick)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        nargs="+",
        default=[50, 20],
        help="numbers of rounds per comparison to simulate (default 50 20)",
    )
    parser.add_argument(
        "--resamples",
        type=int,
        default=2000,
        help="bootstrap resamples of pytest-statbench and of the criterion-style rule "
        "(default 2000, pytest-statbench's default)",
    )
    parser.add_argument("--seed", type=int, default=20261204, help="seed (default 20261204)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="worker processes, one cell at a time each (default min(2, CPUs))",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke check: 200 comparisons per cell unless --comparisons is given",
    )
    parser.add_argument(
        "--output", type=Path, help="also write the summary line and the table to this file"
    )
    arguments = parser.parse_args(argv)

    arguments.rounds = sorted(set(arguments.rounds), reverse=True)
    if arguments.comparisons is None:
        arguments.comparisons = 200 if arguments.quick else 2000
    if arguments.comparisons < 1:
        parser.error(f"--comparisons {arguments.comparisons} is invalid; give at least 1")
    if any(rounds < 2 for rounds in arguments.rounds):
        parser.error(f"--rounds {arguments.rounds} is invalid; every value must be at least 2")
    if arguments.resamples < 1:
        parser.error(f"--resamples {arguments.resamples} is invalid; give at least 1")
    if arguments.seed < 0:
        parser.error(f"--seed {arguments.seed} is invalid; give 0 or more")
    if arguments.jobs < 1:
        parser.error(f"--jobs {arguments.jobs} is invalid; give at least 1")
    return arguments


def run_cells(
    cells: list[Cell], jobs: int, progress: Callable[[CellResult], None]
) -> list[CellResult]:
    """Run the cells, in worker processes when jobs > 1, and return results in cell order."""
    if jobs == 1:
        results = []
        for cell in cells:
            result = run_cell(cell)
            progress(result)
            results.append(result)
        return results
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = []
        for result in pool.map(run_cell, cells):
            progress(result)
            results.append(result)
        return results


def report_progress(result: CellResult) -> None:
    """Write one line per finished cell to stderr."""
    cell = result.cell
    print(
        f"{SCENARIOS[cell.scenario_index].name}, {cell.rounds} rounds, ratio {cell.ratio:.2f}: "
        f"{result.seconds:.1f} s",
        file=sys.stderr,
    )


def main(argv: list[str]) -> int:
    """Run the simulation, print the table and write it to --output when given."""
    arguments = parse_arguments(argv)
    cells = [
        Cell(
            scenario_index,
            rounds,
            ratio,
            arguments.comparisons,
            arguments.resamples,
            arguments.seed,
        )
        for scenario_index in range(len(SCENARIOS))
        for rounds in arguments.rounds
        for ratio in RATIOS
    ]
    started = time.perf_counter()
    results = run_cells(cells, arguments.jobs, report_progress)
    elapsed = time.perf_counter() - started

    insufficient = sum(r.statbench_insufficient for r in results)
    summary = (
        f"Seed {arguments.seed}, {arguments.comparisons} comparisons per cell, "
        f"{arguments.resamples} bootstrap resamples, alpha {ALPHA}, margin {MARGIN:.0%}; "
        f"{insufficient} pytest-statbench comparisons were insufficient-data; "
        f"{elapsed:.0f} s with {arguments.jobs} worker process(es)."
    )
    report = summary + "\n\n" + format_table(results) + "\n"
    print(report)
    if arguments.output is not None:
        arguments.output.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
