"""Acceptance tests of the session gates, their ini twins, and expectations stated by a test."""

from __future__ import annotations

import pytest
from inner_run import FAST_AND_SLOW, assert_no_traceback, output_of, run_bench

# b does 2000 times less work than the baseline a.
CANDIDATE_WINS = (
    FAST_AND_SLOW
    + """
    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
)

# b does 2000 times more work than the baseline a.
CANDIDATE_LOSES = (
    FAST_AND_SLOW
    + """
    @pytest.mark.benchmark
    @compare(a=fast, b=slow, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
)

WIN_RATE_FAILED = (
    "gate min_win_rate: FAILED: win rate 0.0% is below the minimum of 100.0% "
    "(0 of 1 comparisons won)"
)
WIN_RATE_PASSED = (
    "gate min_win_rate: passed: win rate 100.0% meets the minimum of 100.0% "
    "(1 of 1 comparisons won)"
)


def test_win_rate_gate_fails_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gate=CANDIDATE_LOSES)

    result = run_bench(pytester, "--bench-min-win-rate=1.0")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines([WIN_RATE_FAILED])
    assert_no_traceback(result)


def test_win_rate_gate_passes_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gate=CANDIDATE_WINS)

    result = run_bench(pytester, "--bench-min-win-rate=1.0")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines([WIN_RATE_PASSED])


def test_improvement_gate_fails_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gate=CANDIDATE_LOSES)

    result = run_bench(pytester, "--bench-min-improvement=50%")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines(
        [
            ("gate min_improvement: FAILED: average improvement -*% is below the minimum of "
            "50.0% (geometric mean time ratio over 1 comparisons)")
        ]
    )
    assert_no_traceback(result)


def test_improvement_gate_passes_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gate=CANDIDATE_WINS)

    result = run_bench(pytester, "--bench-min-improvement=50%")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines(
        [
            ("gate min_improvement: passed: average improvement 99.*% meets the minimum of "
            "50.0% (geometric mean time ratio over 1 comparisons)")
        ]
    )


def test_ini_win_rate_fails_session(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nbench_min_win_rate = 1.0\n")
    pytester.makepyfile(test_gate=CANDIDATE_LOSES)

    result = run_bench(pytester)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines([WIN_RATE_FAILED])
    assert_no_traceback(result)


def test_ini_win_rate_passes_session(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nbench_min_win_rate = 1.0\n")
    pytester.makepyfile(test_gate=CANDIDATE_WINS)

    result = run_bench(pytester)

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines([WIN_RATE_PASSED])


def test_ini_improvement_fails_session(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nbench_min_improvement = 50%\n")
    pytester.makepyfile(test_gate=CANDIDATE_LOSES)

    result = run_bench(pytester)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines(["gate min_improvement: FAILED: *"])


def test_option_overrides_ini_gate(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nbench_min_win_rate = 1.0\n")
    pytester.makepyfile(test_gate=CANDIDATE_LOSES)

    result = run_bench(pytester, "--bench-min-win-rate=0")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines(
        [
            ("gate min_win_rate: passed: win rate 0.0% meets the minimum of 0.0% "
            "(0 of 1 comparisons won)")
        ]
    )


def test_expect_faster_unmet_fails_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_expect=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    @compare(a=fast, b=slow, baseline="a", expect="faster")
    def test_x(bench, impl):
        bench(impl)
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            ("BenchmarkFailed: expected faster than baseline 'a' at 95% confidence with a 5% "
            "margin:"),
            ("  b vs baseline a: time ratio *, verdict worse (*); Welch p = *; "
            "n = 10 and 10 samples, 10 paired rounds"),
        ]
    )
    assert_no_traceback(result)


def test_expect_not_slower_met_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_expect=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a", expect="not slower")
    def test_x(bench, impl):
        bench(impl)
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(passed=1)
