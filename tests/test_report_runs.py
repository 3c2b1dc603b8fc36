"""Runs for the report tests: a small hand-made run of schema version 1, variants of it, and a
real run of the plugin.

The numbers of the hand-made runs are chosen to exercise the reports, not measured. They are
checked against the JSON Schema here, so a report test never passes on a run that the plugin
could not write.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from inner_run import BASE_OPTIONS, FAST_AND_SLOW, SMALL_SETTINGS

from pytest_statbench.schema import validate_run

SCRIPT_NAME = "<script>alert(1)</script>"
ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>'


def _samples(times: list[float]) -> dict[str, list[Any]]:
    return {
        "round": list(range(len(times))),
        "position": [index % 3 for index in range(len(times))],
        "time": times,
        "cpu_time": [time * 0.98 for time in times],
    }


def _spread(median: float | None) -> list[float]:
    """Five samples around median, so that box plots have quartiles apart."""
    if median is None:
        return []
    return [median * factor for factor in (0.97, 0.99, 1.0, 1.02, 1.08)]


def make_implementation(name: str, median: float | None, **fields: Any) -> dict[str, Any]:
    implementation: dict[str, Any] = {
        "name": name,
        "qualname": f"bench_strings.{name}",
        "is_async": False,
        "loops": 2000,
        "calls": 10000,
        "failures": 0,
        "errors": [],
        "samples": _samples(_spread(median)),
        "median_time": median,
        "mean_time": None if median is None else median * 1.02,
        "min_time": None if median is None else median * 0.97,
        "peak_memory": 2048,
        "rss_growth": 0,
        "success_rate": 1.0 if median is not None else 0.0,
        "code_metrics": None,
        "recorded": {},
        "supplied": {},
    }
    implementation.update(fields)
    return implementation


def make_comparison(candidate: str, baseline: str, **fields: Any) -> dict[str, Any]:
    comparison: dict[str, Any] = {
        "candidate": candidate,
        "baseline": baseline,
        "metric": "time",
        "unit": "s",
        "better": "lower",
        "kind": "sampled",
        "candidate_value": None,
        "baseline_value": None,
        "counted": True,
        "ratio": 0.8123,
        "ci": [0.7901, 0.8347],
        "confidence_level": 0.95,
        "ci_method": "paired bootstrap percentile",
        "p_value": 0.00002,
        "p_value_holm": 0.00006,
        "statistic": -14.2,
        "df": 7.9,
        "cohens_d": -2.31,
        "hedges_g": None,
        "mann_whitney_p": None,
        "vargha_delaney_a": None,
        "effect_size_band": "large",
        "n_candidate": 5,
        "n_baseline": 5,
        "n_pairs": 5,
        "margin": 0.05,
        "verdict": "better",
        "reason": "the whole confidence interval lies below 1 - margin",
        "expectation": None,
    }
    comparison.update(fields)
    return comparison


def make_run() -> dict[str, Any]:
    """Build a run with two benchmarks, an ANOVA, a failing implementation and a failed gate."""
    join_benchmark = {
        "id": "tests/bench_strings.py::test_build_string",
        "nodeid": "tests/bench_strings.py::test_build_string",
        "form": "decorator",
        "baseline": "concat",
        "expect": "faster",
        "rounds": 50,
        "notes": [],
        "metrics": ["time"],
        "counted_metrics": ["time"],
        "implementations": [
            make_implementation("concat", 1.84e-6),
            make_implementation("join", 1.49e-6),
            make_implementation("format", 1.95e-6),
        ],
        "comparisons": [
            make_comparison("join", "concat", expectation={"expect": "faster", "met": True}),
            make_comparison(
                "format",
                "concat",
                ratio=1.061,
                ci=[1.032, 1.091],
                p_value=0.0004,
                p_value_holm=0.0008,
                cohens_d=0.74,
                effect_size_band="medium",
                verdict="worse",
                reason="the whole confidence interval lies above 1 + margin",
                expectation={"expect": "faster", "met": False},
            ),
        ],
        "anova": {
            "statistic": 112.4,
            "df_between": 2,
            "df_within": 12,
            "p_value": 0.0000003,
            "eta_squared": 0.949,
        },
    }
    parse_benchmark = {
        "id": "tests/bench_json.py::test_parse[small]",
        "nodeid": "tests/bench_json.py::test_parse",
        "form": "fixture",
        "baseline": "stdlib",
        "expect": None,
        "rounds": 40,
        "notes": [],
        "metrics": ["time"],
        "counted_metrics": ["time"],
        "implementations": [
            make_implementation("stdlib", 12.4e-6, peak_memory=3 * 1024 * 1024),
            make_implementation("vendored", 12.6e-6),
            make_implementation("cached", 11.9e-6),
            make_implementation(
                "broken",
                None,
                failures=40,
                samples=_samples([]),
                peak_memory=None,
                errors=[
                    {"round": 0, "type": "KeyError", "message": "'payload'"},
                    {"round": 1, "type": "KeyError", "message": "'payload'"},
                ],
            ),
        ],
        "comparisons": [
            make_comparison(
                "vendored",
                "stdlib",
                ratio=1.012,
                ci=[0.991, 1.034],
                p_value=0.27,
                p_value_holm=0.54,
                cohens_d=0.21,
                effect_size_band="small",
                n_pairs=40,
                verdict="equivalent",
                reason="the whole confidence interval lies inside 1 +/- margin",
            ),
            make_comparison(
                "cached",
                "stdlib",
                ratio=0.962,
                ci=[0.921, 1.004],
                p_value=0.081,
                p_value_holm=0.243,
                cohens_d=-0.4,
                effect_size_band="small",
                n_pairs=40,
                verdict="inconclusive",
                reason="the confidence interval crosses 1 - margin",
            ),
            make_comparison(
                "broken",
                "stdlib",
                ratio=None,
                ci=None,
                p_value=None,
                p_value_holm=None,
                statistic=None,
                df=None,
                cohens_d=None,
                effect_size_band=None,
                n_candidate=0,
                n_pairs=0,
                verdict="insufficient-data",
                reason="broken has no successful sample; at least 2 are needed",
            ),
        ],
        "anova": None,
    }
    return {
        "schema": "pytest-statbench/run",
        "schema_version": 1,
        "tool": {"name": "pytest-statbench", "version": "0.1.0"},
        "created": "2025-12-04T19:41:07Z",
        "seed": 1234567,
        "settings": {
            "rounds": 50,
            "min_sample_time": 0.002,
            "warmup_time": 0.01,
            "max_time": 5.0,
            "margin": 0.05,
            "alpha": 0.05,
            "confidence_level": 0.95,
            "bootstrap_resamples": 2000,
            "min_win_rate": 0.5,
            "min_improvement": 0.1,
        },
        "environment": {
            "python": "3.11.7",
            "implementation": "CPython",
            "platform": "Linux-6.1-x86_64",
            "machine": "x86_64",
            "cpu_count": 2,
            "pytest": "9.0.3",
            "numpy": "2.1.0",
            "scipy": "1.14.1",
            "pytest_statbench": "0.1.0",
        },
        "benchmarks": [join_benchmark, parse_benchmark],
        "summary": {
            "comparisons": 4,
            "wins": 1,
            "win_rate": 0.25,
            "geometric_mean_ratio": 0.9548,
            "average_improvement": 0.0452,
            "verdicts": {
                "better": 1,
                "worse": 1,
                "equivalent": 1,
                "inconclusive": 1,
                "insufficient-data": 1,
            },
            "gates": [
                {
                    "name": "min_win_rate",
                    "threshold": 0.5,
                    "value": 0.25,
                    "passed": False,
                    "message": "win rate 25.0% is below the minimum of 50.0%",
                },
                {
                    "name": "min_improvement",
                    "threshold": 0.01,
                    "value": 0.0452,
                    "passed": True,
                    "message": "average improvement 4.5% meets the minimum of 1.0%",
                },
            ],
            "passed": False,
        },
    }


# Three implementations (an ANOVA with Games-Howell pairs), a recorded metric, a supplied
# value, and a second benchmark in the fixture form with a name that needs escaping.
REAL_MODULE = (
    FAST_AND_SLOW
    + """
    def medium(bench):
        bench.record("items", 3)
        return sum(range(2000))

    def fast_recording(bench):
        bench.record("items", 1)
        return fast()

    def slow_recording(bench):
        bench.record("items", 2)
        return slow()

    @pytest.mark.benchmark
    @compare(a=slow_recording, b=fast_recording, c=medium, baseline="a",
             supplied={"b": {"development_hours": 2}})
    def test_three(bench, impl):
        bench(impl, bench)

    @pytest.mark.benchmark
    def test_fixture(bench):
        bench.compare({"<script>x</script>": fast, "slow": slow}, baseline="slow")
    """
)


def run_real_benchmarks(folder: Path) -> Path:
    """Run pytest --bench on REAL_MODULE in a subprocess in folder and return its JSON file."""
    (folder / "test_real.py").write_text(textwrap.dedent(REAL_MODULE), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:benchmark",
        *BASE_OPTIONS,
        "--bench",
        *SMALL_SETTINGS,
        "--bench-json=out.json",
        "test_real.py",
    ]
    result = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=120, check=False
    )
    path = folder / "out.json"
    assert path.is_file(), result.stdout + result.stderr
    return path


# The JSON file of the one real run that the test modules share, once it exists.
_real_run_files: list[Path] = []


def real_run_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the JSON file of a real run, running the benchmarks on the first call only.

    The schema and browser tests both read this run, and each run takes a few seconds. The
    file must not be changed.
    """
    if not _real_run_files:
        _real_run_files.append(run_real_benchmarks(tmp_path_factory.mktemp("real_run")))
    return _real_run_files[0]


def make_multi_metric_run() -> dict[str, Any]:
    """Add metrics other than time to the first benchmark of make_run(), as the plugin writes them.

    The first benchmark gets a cpu_time comparison of join and a deterministic loc comparison
    of each candidate (concat 4 lines, join 2 and format 6). concat records a metric with
    bench.record, join has a supplied value, and the ANOVA gains Welch's ANOVA and Games-Howell
    pairs. None of the new comparisons counts towards the win rate.
    """
    run = make_run()
    benchmark = run["benchmarks"][0]
    benchmark["metrics"] = ["time", "cpu_time", "loc"]
    cpu_time = copy.deepcopy(benchmark["comparisons"][0])
    cpu_time.update(
        metric="cpu_time",
        ratio=0.83,
        ci=[0.8, 0.86],
        counted=False,
        hedges_g=-2.1,
        mann_whitney_p=0.008,
        vargha_delaney_a=0.04,
    )
    benchmark["comparisons"].append(cpu_time)
    for candidate, lines, verdict in (("join", 2, "better"), ("format", 6, "worse")):
        benchmark["comparisons"].append(
            make_comparison(
                candidate,
                "concat",
                metric="loc",
                unit="lines",
                kind="deterministic",
                counted=False,
                candidate_value=lines,
                baseline_value=4,
                ratio=lines / 4,
                ci=[lines / 4, lines / 4],
                ci_method="exact",
                p_value=None,
                p_value_holm=None,
                statistic=None,
                df=None,
                cohens_d=None,
                effect_size_band=None,
                n_candidate=0,
                n_baseline=0,
                n_pairs=0,
                verdict=verdict,
                reason=(
                    f"exact values {lines} against 4, ratio {lines / 4:.3f} against the 5% margin"
                ),
            )
        )
    concat, join, _ = benchmark["implementations"]
    concat["recorded"] = {
        "allocations": {
            "unit": "",
            "better": "lower",
            "by_round": {"0": 7.0, "1": 8.0, "3": 6.0},
            "outside_rounds": [2.0],
        }
    }
    concat["code_metrics"] = {"status": "ok", "reason": None, "origin": "bench_strings.py:12"}
    join["supplied"] = {"development_hours": 3}
    benchmark["anova"].update(
        omega_squared=0.94,
        welch_statistic=98.1,
        welch_p_value=0.00001,
        welch_df_within=7.6,
        posthoc=[
            {
                "first": "concat",
                "second": "join",
                "ratio": 1.23,
                "ci": [1.2, 1.26],
                "p_value": 0.0001,
            },
            {"first": "concat", "second": "format", "ratio": 0.94, "ci": None, "p_value": None},
        ],
    )
    return run


# Fields added to the run after its first version-1 release, which a reader must not require.
ADDED_BENCHMARK_FIELDS = ("notes", "metrics", "counted_metrics", "diagnostics", "noise_floor")
ADDED_IMPLEMENTATION_FIELDS = ("rss_growth", "success_rate", "code_metrics", "recorded", "supplied")
ADDED_COMPARISON_FIELDS = (
    "better",
    "kind",
    "candidate_value",
    "baseline_value",
    "counted",
    "hedges_g",
    "mann_whitney_p",
    "vargha_delaney_a",
    "p_value_paired",
)


def make_first_release_run() -> dict[str, Any]:
    """Return make_run() without the fields added within version 1 since its first release."""
    run = make_run()
    for benchmark in run["benchmarks"]:
        for key in ADDED_BENCHMARK_FIELDS:
            benchmark.pop(key, None)
        for implementation in benchmark["implementations"]:
            for key in ADDED_IMPLEMENTATION_FIELDS:
                implementation.pop(key, None)
        for comparison in benchmark["comparisons"]:
            for key in ADDED_COMPARISON_FIELDS:
                comparison.pop(key, None)
    return run


@pytest.mark.parametrize("build", [make_run, make_multi_metric_run, make_first_release_run])
def test_sample_run_matches_schema(build: Any) -> None:
    validate_run(build())
