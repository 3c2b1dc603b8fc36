"""Acceptance tests of the plugin as users run it: the @compare and bench.compare forms, smoke
mode, deselection, implementations that raise, and coexistence with pytest-benchmark."""

from __future__ import annotations

import sys

import pytest
from inner_run import (
    BASE_OPTIONS,
    FAST_AND_SLOW,
    SMALL_SETTINGS,
    output_of,
    plugin_frames,
    read_json,
    run_bench,
    run_smoke,
)

# --- the @compare decorator ---------------------------------------------------------------


def test_decorator_prints_comparison_table(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_decorated=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
    )

    result = run_bench(pytester)

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines(["statbench: seed *"])
    result.stdout.fnmatch_lines(
        [
            "*= statbench =*",
            "test_decorated.py::test_x (10 rounds)",
            "  implementation  median  ratio *verdict*",
            "  a (baseline) *",
            "  b  *  better  *",
        ]
    )


def test_decorator_seed_option_repeats(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_seeded=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
    )

    result = run_bench(pytester, "--bench-seed=123")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines(
        [
            ("statbench: seed 123, 10 rounds, margin 5.0%, alpha 0.05, sample >= 0.2 ms, "
            "callables in-process, Code in local sandbox, * (repeat with --bench-seed=123)")
        ]
    )
    result.stdout.fnmatch_lines(["seed: 123 (repeat with --bench-seed=123)"])


def test_decorator_setup_is_not_timed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_setup=FAST_AND_SLOW
        + """
    import time

    @pytest.mark.benchmark
    @compare(a=fast, b=lambda: sum(range(10)), baseline="a")
    def test_x(bench, impl):
        time.sleep(0.01)
        bench(impl)
    """
    )

    result = run_bench(pytester, "--bench-json=out.json")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    implementations = read_json(pytester.path / "out.json")["benchmarks"][0]["implementations"]
    for implementation in implementations:
        # Timing the 10 ms sleep of the body would put every median above 10 ms.
        assert implementation["median_time"] < 0.005, implementation


def test_decorator_bench_returns_value(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_returned=FAST_AND_SLOW
        + """
    def formula():
        return 9 * 10 // 2

    @pytest.mark.benchmark
    @compare(a=fast, b=formula, baseline="a")
    def test_x(bench, impl):
        assert bench(impl) == 45
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(passed=1)


def test_decorator_body_runs_once_each(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_body_count=FAST_AND_SLOW
        + """
    BODY_CALLS = []

    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a")
    def test_x(bench, impl):
        BODY_CALLS.append(impl)
        bench(impl)

    # Marked so that --bench does not deselect this check.
    @pytest.mark.benchmark
    def test_body_calls():
        assert BODY_CALLS == [slow, fast]
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(passed=2)


# --- bench.compare --------------------------------------------------------------------------


def test_fixture_assertions_pass_when_faster(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixture_faster=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    def test_x(bench):
        result = bench.compare({"a": slow, "b": fast}, baseline="a")
        result.assert_faster("b")
        result.assert_not_slower("b")
        assert result.verdict("b") == "better"
        assert result.ratio("b") < 0.1
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(passed=1)


def test_fixture_assert_faster_explains_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixture_slower=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    def test_x(bench):
        result = bench.compare({"a": fast, "b": slow}, baseline="a")
        result.assert_faster("b")
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            ("E   *AssertionError: expected faster than baseline 'a' at 95% confidence "
            "with a 5% margin:"),
            ("E   *b vs baseline a: time ratio * CI *, verdict worse (*); Welch p = *; "
            "n = 10 and 10 samples, 10 paired rounds"),
        ]
    )


def test_fixture_assert_not_slower_explains_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixture_not_slower=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    def test_x(bench):
        result = bench.compare({"a": fast, "b": slow}, baseline="a")
        result.assert_not_slower("b")
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            ("E   *AssertionError: expected not slower than baseline 'a' at 95% confidence "
            "with a 5% margin:"),
            ("E   *b vs baseline a: time ratio * CI *, verdict worse (*); Welch p = *; "
            "n = 10 and 10 samples, 10 paired rounds"),
        ]
    )


def test_fixture_args_reach_implementations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixture_args="""
    import pytest

    SEEN = set()

    def first(count, *, scale):
        SEEN.add(("first", count, scale))
        return count * scale

    def second(count, *, scale):
        SEEN.add(("second", count, scale))
        return count * scale

    @pytest.mark.benchmark
    def test_x(bench):
        bench.compare(
            {"a": first, "b": second}, baseline="a", args=(3,), kwargs={"scale": 2}
        )
        assert SEEN == {("first", 3, 2), ("second", 3, 2)}
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(passed=1)


# --- smoke mode (no --bench) ----------------------------------------------------------------


def test_smoke_calls_each_implementation_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_smoke_count="""
    import pytest
    from pytest_statbench import compare

    CALLS = []

    def first():
        CALLS.append("first")

    def second():
        CALLS.append("second")

    @pytest.mark.benchmark
    @compare(a=first, b=second, baseline="a")
    def test_decorated(bench, impl):
        bench(impl)

    @pytest.mark.benchmark
    def test_fixture(bench):
        bench.compare({"a": first, "b": second}, baseline="a")

    def test_calls():
        assert CALLS == ["first", "second", "first", "second"]
    """
    )

    result = run_smoke(pytester)

    result.assert_outcomes(passed=3)


def test_smoke_prints_no_statbench_section(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_smoke_quiet=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
    )

    result = run_smoke(pytester)

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.no_fnmatch_line("*= statbench =*")
    result.stdout.no_fnmatch_line("statbench: *")


def test_smoke_writes_no_files(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # Bytecode caches of the inner test module would be files written by pytest itself.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    pytester.makepyfile(
        test_smoke_files=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
    )
    before = sorted(str(path.relative_to(pytester.path)) for path in pytester.path.rglob("*"))

    # Smoke mode writes no report even when report paths are given.
    result = run_smoke(pytester, "--bench-json=out.json", "--bench-html=out.html")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    after = sorted(str(path.relative_to(pytester.path)) for path in pytester.path.rglob("*"))
    assert after == before
    result.stdout.fnmatch_lines([
        ("*PytestConfigWarning: --bench-json, --bench-html take effect with --bench only; this "
        "run measures nothing and writes no report")
    ])


def test_smoke_raising_implementation_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_smoke_raises=FAST_AND_SLOW
        + """
    def broken():
        raise ValueError("broken on purpose")

    @pytest.mark.benchmark
    @compare(a=fast, b=broken, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
    )

    result = run_smoke(pytester)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E *ValueError: broken on purpose"])


def test_smoke_fixture_assertions_never_fail(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_smoke_assertions=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    def test_x(bench):
        result = bench.compare({"a": fast, "b": slow}, baseline="a")
        result.assert_faster("b")
        result.assert_not_slower("b")
        result.assert_equivalent("b")
    """
    )

    result = run_smoke(pytester)

    result.assert_outcomes(passed=1)


# --- selection ------------------------------------------------------------------------------


def test_bench_mode_deselects_unmarked_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_selection=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a")
    def test_x(bench, impl):
        bench(impl)

    def test_plain():
        pass
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["*= 1 passed, 1 deselected in *"])


# --- implementations that raise -------------------------------------------------------------


def test_raise_in_rounds_fails_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_rounds_raise=FAST_AND_SLOW
        + """
    import time

    CALLS = []

    def flaky():
        # One 2 ms call outlasts the 1 ms warm-up and the 200 us sample time, so the warm-up
        # makes one call and each of the five calibration trials one more. Call 1 is the
        # body's, calls 2 to 7 are the warm-up and the calibration, and the rounds start at 8.
        CALLS.append(None)
        time.sleep(0.002)
        if len(CALLS) > 7 and len(CALLS) % 3 == 0:
            raise ValueError("every third call fails")

    def steady():
        time.sleep(0.002)

    @pytest.mark.benchmark
    @compare(a=steady, b=flaky, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            ("BenchmarkFailed: implementations raised during the timed rounds or their warm-up; "
            "failed samples are left out of the statistics:"),
            "  'b' raised in 3 of 10 rounds, first in round *: ValueError: every third call fails",
        ]
    )
    result.stdout.fnmatch_lines(["test_rounds_raise.py::test_x (10 rounds)", "  a (baseline) *"])


def test_every_third_call_raising_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_third_call="""
    import pytest
    from pytest_statbench import compare

    CALLS = []

    def flaky():
        CALLS.append(None)
        if len(CALLS) % 3 == 0:
            raise ValueError("every third call fails")

    def steady():
        return None

    @pytest.mark.benchmark
    @compare(a=steady, b=flaky, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
    )

    result = run_bench(pytester)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines(
        ["  'b' raised during warm-up and was not measured: ValueError: every third call fails"]
    )


def test_always_raising_keeps_other_comparisons(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_always_raises=FAST_AND_SLOW
        + """
    def broken():
        raise ValueError("broken on purpose")

    @pytest.mark.benchmark
    @compare(a=fast, b=broken, baseline="a")
    def test_broken(bench, impl):
        bench(impl)

    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a")
    def test_fine(bench, impl):
        bench(impl)
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["E *ValueError: broken on purpose"])
    result.stdout.fnmatch_lines(
        ["test_always_raises.py::test_fine (10 rounds)", "  a (baseline) *", "  b  *  better  *"]
    )


def test_decorator_raise_hides_plugin_frames(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_decorator_frames=FAST_AND_SLOW
        + """
    def broken():
        raise ValueError("broken on purpose")

    @pytest.mark.benchmark
    @compare(a=fast, b=broken, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(failed=1)
    assert not plugin_frames(result), output_of(result)


def test_fixture_raise_hides_plugin_frames(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixture_frames=FAST_AND_SLOW
        + """
    def broken():
        raise ValueError("broken on purpose")

    @pytest.mark.benchmark
    def test_x(bench):
        bench.compare({"a": fast, "b": broken}, baseline="a")
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(failed=1)
    assert not plugin_frames(result), output_of(result)


# --- coexistence with pytest-benchmark ------------------------------------------------------

# Short runs of pytest-benchmark's own fixture.
PYTEST_BENCHMARK_SETTINGS = ("--benchmark-min-rounds=1", "--benchmark-max-time=0.001")

BOTH_PLUGINS = (
    FAST_AND_SLOW
    + """
    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a")
    def test_ours(bench, impl):
        bench(impl)

    @pytest.mark.benchmark
    def test_theirs(benchmark):
        assert benchmark(fast) == 45
    """
)


def test_pytest_benchmark_coexists_under_bench(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_both_plugins=BOTH_PLUGINS)

    result = pytester.runpytest(
        *BASE_OPTIONS, "--bench", *SMALL_SETTINGS, *PYTEST_BENCHMARK_SETTINGS
    )

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["test_both_plugins.py::test_ours (10 rounds)"])


def test_pytest_benchmark_coexists_in_smoke_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_both_plugins=BOTH_PLUGINS)

    result = pytester.runpytest(*BASE_OPTIONS, *PYTEST_BENCHMARK_SETTINGS)

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.assert_outcomes(passed=2)


def test_interrupted_session_writes_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_interrupt=FAST_AND_SLOW + """
    @pytest.mark.benchmark
    @compare(fast=fast, slow=slow, baseline="slow")
    def test_a(bench, impl):
        bench(impl)

    @pytest.mark.benchmark
    def test_b():
        raise KeyboardInterrupt
    """)
    (pytester.path / "out.json").write_text("old results\\n")

    # A subprocess, because pytester re-raises a KeyboardInterrupt of an in-process run.
    result = pytester.runpytest_subprocess(
        "-p", "no:benchmark", *BASE_OPTIONS, "--bench", *SMALL_SETTINGS, "--bench-json=out.json"
    )

    assert result.ret == pytest.ExitCode.INTERRUPTED, output_of(result)
    assert (pytester.path / "out.json").read_text() == "old results\\n"
    result.stdout.fnmatch_lines([
        ("statbench: the session was interrupted after * benchmark(s); no results were analysed "
        "and no report was written")
    ])
