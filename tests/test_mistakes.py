"""Acceptance tests of user mistakes: each is reported with one message line that names the value
and the fix, with no traceback, in benchmark mode and in smoke mode alike."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from inner_run import (
    FAST_AND_SLOW,
    assert_no_traceback,
    output_of,
    run_bench,
    run_smoke,
)


@dataclass(frozen=True)
class Mistake:
    """An inner test module with one mistake, and the message pytest must show for it."""

    name: str
    body: str
    message: str
    # "errors" when the mistake is found while the test is set up, "failed" when it runs.
    outcome: str


MISTAKES = [
    Mistake(
        "baseline_not_an_implementation",
        """
    @compare(a=fast, b=slow, baseline="c")
    def test_x(bench, impl):
        bench(impl)
    """,
        "BenchUsageError: @compare: baseline 'c' is not among the implementations ('a', 'b'); "
        "set baseline= to one of those names",
        "errors",
    ),
    Mistake(
        "fixture_baseline_not_an_implementation",
        """
    @pytest.mark.benchmark
    def test_x(bench):
        bench.compare({"a": fast, "b": slow}, baseline="c")
    """,
        "BenchUsageError: bench.compare: baseline 'c' is not among the implementations "
        "('a', 'b'); set baseline= to one of those names",
        "failed",
    ),
    Mistake(
        "one_implementation",
        """
    @compare(a=fast, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """,
        "BenchUsageError: @compare needs at least two implementations to compare, got 'a'; "
        "add another, for example @compare(old=old_function, new=new_function, baseline='old')",
        "errors",
    ),
    Mistake(
        "implementation_not_callable",
        """
    @compare(a=fast, b=slow(), baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """,
        "BenchUsageError: @compare: implementation 'b' is int 199990000, which is not callable; "
        "pass the function itself, not the result of calling it",
        "errors",
    ),
    Mistake(
        "settings_on_marker",
        """
    @pytest.mark.benchmark(baseline="a")
    def test_x(bench):
        bench.compare({"a": fast, "b": slow}, baseline="a")
    """,
        "BenchUsageError: @pytest.mark.benchmark got baseline='a'; pytest-statbench settings go "
        "on @compare(...) or bench.compare(...), and the marker is used bare: "
        "@pytest.mark.benchmark",
        "errors",
    ),
    Mistake(
        "compare_test_without_impl",
        """
    @compare(a=fast, b=slow, baseline="a")
    def test_x(bench):
        bench(fast)
    """,
        "BenchUsageError: @compare test test_x does not take impl; write it as "
        "def test_x(bench, impl): bench(impl, ...)",
        "errors",
    ),
    Mistake(
        "compare_test_without_bench",
        """
    @compare(a=fast, b=slow, baseline="a")
    def test_x(impl):
        impl()
    """,
        "BenchUsageError: @compare test test_x does not take bench; write it as "
        "def test_x(bench, impl): bench(impl, ...)",
        "errors",
    ),
    Mistake(
        "bench_called_twice",
        """
    @compare(a=fast, b=slow, baseline="a")
    def test_x(bench, impl):
        bench(impl)
        bench(impl)
    """,
        "BenchUsageError: bench(impl, ...) was called twice for implementation 'a'; "
        "a @compare test measures one call per implementation",
        "failed",
    ),
    Mistake(
        "bench_given_other_function",
        """
    def other():
        return 0

    @compare(a=fast, b=slow, baseline="a")
    def test_x(bench, impl):
        bench(other)
    """,
        "BenchUsageError: bench() got 'other', not the implementation 'a'; "
        "pass impl itself: bench(impl, *args, **kwargs)",
        "failed",
    ),
    Mistake(
        "bench_not_called",
        """
    @compare(a=fast, b=slow, baseline="a")
    def test_x(bench, impl):
        impl()
    """,
        "BenchUsageError: the body of test_x did not call bench(impl, ...) for implementation "
        "'a'; call bench(impl, *args) once in the body",
        "failed",
    ),
    Mistake(
        "bench_call_without_compare",
        """
    @pytest.mark.benchmark
    def test_x(bench):
        bench(fast)
    """,
        "BenchUsageError: bench(impl, ...) works in a test decorated with @compare(...), which "
        "sets impl; in other tests use bench.compare({'a': fn_a, 'b': fn_b}, baseline='a')",
        "failed",
    ),
    Mistake(
        "impl_without_compare",
        """
    @pytest.mark.benchmark
    def test_x(impl):
        impl()
    """,
        "BenchUsageError: test_x takes an argument named impl, which only @compare(...) "
        "provides; decorate the test with @compare(...) or rename the argument",
        "errors",
    ),
    Mistake(
        "unknown_expectation",
        """
    @compare(a=fast, b=slow, baseline="a", expect="fastest")
    def test_x(bench, impl):
        bench(impl)
    """,
        "BenchUsageError: @compare: expect='fastest' is not one of 'faster', 'not slower', "
        "'equivalent'",
        "errors",
    ),
    Mistake(
        "compare_given_list",
        """
    @pytest.mark.benchmark
    def test_x(bench):
        bench.compare([fast, slow], baseline="a")
    """,
        "BenchUsageError: bench.compare() takes a dict of name to callable, got list; "
        "write bench.compare({'a': fn_a, 'b': fn_b}, baseline='a')",
        "failed",
    ),
]

MODES = {"bench": run_bench, "smoke": run_smoke}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("mistake", MISTAKES, ids=[mistake.name for mistake in MISTAKES])
def test_mistake_shows_message_only(pytester: pytest.Pytester, mistake: Mistake, mode: str) -> None:
    pytester.makepyfile(test_mistake=FAST_AND_SLOW + mistake.body)

    result = MODES[mode](pytester)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.assert_outcomes(**{mistake.outcome: 1})
    result.stdout.fnmatch_lines([mistake.message])
    assert_no_traceback(result)


# --- option and ini values ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--bench-rounds=3", "argument --bench-rounds: '3' is below the minimum of 10"),
        ("--bench-rounds=abc", "argument --bench-rounds: 'abc' is not a whole number"),
        ("--bench-margin=2", "argument --bench-margin: '2' is outside [0, 0.5]"),
        ("--bench-alpha=0", "argument --bench-alpha: '0' is outside (0, 0.5]"),
        ("--bench-min-win-rate=150%", "argument --bench-min-win-rate: '150%' is outside [0, 1]"),
        (
            "--bench-min-sample-time=-1",
            "argument --bench-min-sample-time: '-1' is not a positive duration",
        ),
        (
            "--bench-sandbox=docker",
            "argument --bench-sandbox: 'docker' is not a sandbox backend; use one of local, e2b",
        ),
        (
            "--bench-sandbox-memory=1MiB",
            "argument --bench-sandbox-memory: '1MiB' is below 16MiB, too little to start Python",
        ),
    ],
)
def test_invalid_option_is_usage_error(
    pytester: pytest.Pytester, option: str, message: str
) -> None:
    pytester.makepyfile(test_options="def test_plain():\n    pass\n")

    result = run_bench(pytester, option)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output_of(result)
    assert message in result.stderr.str(), output_of(result)


def test_invalid_ini_value_is_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nbench_rounds = many\n")
    pytester.makepyfile(test_options="def test_plain():\n    pass\n")

    # Smoke mode, because --bench-rounds of the benchmark-mode settings would override the ini.
    result = run_smoke(pytester)

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output_of(result)
    result.stderr.fnmatch_lines(["ERROR: ini option bench_rounds: 'many' is not a whole number"])


def test_help_lists_every_option(pytester: pytest.Pytester) -> None:
    # argparse formats help text with %, so an unescaped "5%" would crash --help.
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest("--help", "-p", "no:benchmark")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines(["*--bench-margin=MARGIN*", "*as 0.05 or 5% (default*"])


# --- report paths ---------------------------------------------------------------------------


def test_unwritable_json_fails_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_report=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    @compare(a=slow, b=fast, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
    )
    # A regular file cannot contain out.json.
    pytester.makefile(".txt", somefile="")

    result = run_bench(pytester, "--bench-json=somefile.txt/out.json", "--bench-html=out.html")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["statbench: could not write somefile.txt/out.json: *"])
    assert (pytester.path / "out.html").is_file(), output_of(result)
    assert_no_traceback(result)


def test_supplied_value_not_json(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_supplied=FAST_AND_SLOW + """
    import datetime

    @pytest.mark.benchmark
    @compare(fast=fast, slow=slow, baseline="slow",
             supplied={"fast": {"released": datetime.date(2024, 1, 1)}})
    def test_x(bench, impl):
        bench(impl)
    """)

    result = run_bench(pytester)

    # A plain substring check, because fnmatch reads the brackets as character classes.
    assert (
        "BenchUsageError: @compare: supplied['fast']['released'] is datetime.date(2024, 1, 1), "
        "which a JSON report cannot hold; give a string, a finite number, a bool, None, or a "
        "list or dict of those"
    ) in result.stdout.str()
    assert_no_traceback(result)


def test_two_reports_one_path(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_options="def test_plain():\n    pass\n")

    result = run_bench(pytester, "--bench-json=same.out", "--bench-html=same.out")

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output_of(result)
    assert (
        "--bench-json and --bench-html both write same.out; give each report its own path"
    ) in result.stderr.str()


def test_resamples_above_maximum(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_options="def test_plain():\n    pass\n")

    result = run_bench(pytester, "--bench-resamples=100000000")

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output_of(result)
    assert "'100000000' is above the maximum of 100000" in result.stderr.str()


def test_repeated_compare_name(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_names=FAST_AND_SLOW + """
    @pytest.mark.benchmark
    def test_x(bench):
        bench.compare({"a": fast, "b": slow}, baseline="a", name="x")
        bench.compare({"a": fast, "b": slow}, baseline="a", name="x")
    """)

    result = run_bench(pytester)

    assert (
        "BenchUsageError: this test already has a comparison "
        "'test_inner_names.py::test_x[x]'; give each bench.compare(...) call its own name="
    ) in result.stdout.str()
