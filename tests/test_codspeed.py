"""Acceptance tests with pytest-codspeed, which also claims @pytest.mark.benchmark."""

from __future__ import annotations

import pytest
from inner_run import BASE_OPTIONS, FAST_AND_SLOW, SMALL_SETTINGS, output_of

pytest.importorskip("pytest_codspeed")

MODULE = FAST_AND_SLOW + """
    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a")
    def test_ours(bench, impl):
        bench(impl)

    def test_theirs(codspeed_benchmark):
        assert codspeed_benchmark(fast) == 45
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*BASE_OPTIONS, "-p", "no:benchmark", *args)


def test_codspeed_alone_under_bench(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_codspeed=MODULE)

    result = run(pytester, "--bench", *SMALL_SETTINGS)

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    # --bench deselects test_theirs, which has no benchmark marker.
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["test_inner_codspeed.py::test_ours (10 rounds)"])


def test_codspeed_alone_smoke_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_codspeed=MODULE)

    result = run(pytester)

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.assert_outcomes(passed=2)


def test_codspeed_with_pytest_benchmark(pytester: pytest.Pytester) -> None:
    # With both plugins loaded, pytest-benchmark owns the benchmark fixture and pytest-codspeed
    # offers codspeed_benchmark; all three kinds of test run side by side.
    pytester.makepyfile(test_inner_codspeed=MODULE + """
    def test_pytest_benchmark(benchmark):
        assert benchmark(fast) == 45
    """)

    result = pytester.runpytest(
        *BASE_OPTIONS, "--benchmark-min-rounds=1", "--benchmark-max-time=0.001"
    )

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.assert_outcomes(passed=3)


def test_codspeed_with_pytest_benchmark_under_bench(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_codspeed=MODULE)

    result = pytester.runpytest(*BASE_OPTIONS, "--bench", *SMALL_SETTINGS)

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines(["test_inner_codspeed.py::test_ours (10 rounds)"])
