"""Acceptance tests of --bench-save and --bench-compare in a pytest session.

The module compares ``function`` against a fixed ``reference`` of the same cost. The second
session of a test may run while other jobs load the machine differently from the first. So
the comparison takes the function's time relative to the reference in the same round, which
catches a 20% slowdown at the default 5% margin. Relative times do not cancel a sample that
waited for a core on an oversubscribed machine, but CPU time excludes that wait, so these
sessions count both.
"""

from __future__ import annotations

import pytest
from inner_run import output_of, run_bench

MODULE = """
    import pytest
    from pytest_statbench import compare

    WORK = {work}

    def reference():
        return sum(range(2000))

    def function():
        return sum(range(WORK))

    @pytest.mark.benchmark
    @compare(reference=reference, function=function, baseline="reference")
    def test_x(bench, impl):
        bench(impl)
"""


# Thirty rounds of samples of at least 1 ms, instead of ten of 200 µs, narrow the interval of
# a comparison across runs: with the small settings one noisy run widened it past the margin.
ROUNDS = ("--bench-rounds=30", "--bench-min-sample-time=1ms",
          "--bench-counted-metrics=time,cpu_time")


def test_save_then_compare_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))
    saved = run_bench(pytester, *ROUNDS, "--bench-save=main")
    assert saved.ret == pytest.ExitCode.OK, output_of(saved)
    assert (pytester.path / ".statbench" / "main.json").exists()

    result = run_bench(pytester, *ROUNDS, "--bench-compare=main")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines([
        ("statbench compare: this run against main (margin 5%, alpha 0.05, unpaired; times "
        "relative to each baseline)"),
        ("  time and cpu_time are relative to 'reference' in the same round (1.000x = as "
        "fast as 'reference'), and the change of 'reference' itself is not counted"),
        "gate --fail-on regression: passed: no regression",
    ])


def test_compare_catches_twenty_percent_slowdown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))
    run_bench(pytester, *ROUNDS, "--bench-save=main")
    # The same test file, with 20% more work in the function.
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2400))

    result = run_bench(pytester, *ROUNDS, "--bench-compare=main")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines([
        ("regressions: * (test_inner_compare.py::test_x function * relative to 'reference' "
         "ratio 1.*)"),
        "gate --fail-on regression: failed: * regression*",
    ])


def test_compare_as_measured(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))
    run_bench(pytester, "--bench-save=main")

    result = run_bench(pytester, "--bench-compare=main", "--bench-compare-reference=none",
                       "--bench-margin=50%")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines([
        "statbench compare: this run against main (margin 50%, alpha 0.05, unpaired)",
        "gate --fail-on regression: passed: no regression",
    ])
    assert "relative" not in result.stdout.str()


def test_invalid_compare_reference_rejected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))

    result = run_bench(pytester, "--bench-compare=main", "--bench-compare-reference=first")

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output_of(result)
    assert "Traceback" not in output_of(result)


def test_first_run_without_stored_runs_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))

    result = run_bench(pytester, "--bench-compare=main", "--bench-save=main")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines([
        ("statbench: --bench-compare main: no run is stored in .statbench/ yet, so this first "
         "run was compared with nothing and passes. --bench-save main stores it as the "
         "baseline."),
    ])
    assert (pytester.path / ".statbench" / "main.json").exists()
    assert "statbench compare:" not in result.stdout.str()


def test_first_run_markdown_says_nothing_compared(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))

    result = run_bench(pytester, "--bench-compare=main", "--bench-markdown=summary.md")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines([
        ("statbench: --bench-compare main: no run is stored in .statbench/ yet, so this first "
         "run was compared with nothing and passes. Add --bench-save main to store it as the "
         "baseline."),
    ])
    markdown = (pytester.path / "summary.md").read_text(encoding="utf-8")
    assert markdown.startswith("> --bench-compare main: no run is stored in .statbench/ yet"), (
        markdown
    )


def test_first_run_annotates_github(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "summary.md"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(pytester.path / "outputs.txt"))

    result = run_bench(pytester, "--bench-compare=main")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines([
        ("::warning title=statbench compare::--bench-compare main: no run is stored in "
        ".statbench/ yet, so this first run was compared with nothing and passes. *"),
    ])
    summary = (pytester.path / "summary.md").read_text(encoding="utf-8")
    assert "> --bench-compare main: no run is stored in .statbench/ yet" in summary


def test_storage_that_is_a_file_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))
    (pytester.path / "runs").write_text("not a folder\n", encoding="utf-8")

    result = run_bench(pytester, "--bench-compare=main", "--bench-storage=runs")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines([
        ("statbench: --bench-compare main: the storage folder runs is a file, not a folder. "
         "Choose another storage folder, or move the file."),
    ])


def test_invalid_compare_name_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))

    result = run_bench(pytester, "--bench-compare=.main")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines(["statbench: --bench-compare .main: run name '.main' is invalid. *"])


def test_failed_comparison_leads_markdown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))
    run_bench(pytester, "--bench-save=main")
    pytester.makepyfile(test_inner_compare=MODULE.format(work=20000))

    result = run_bench(pytester, "--bench-compare=main", "--bench-markdown=summary.md")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    markdown = (pytester.path / "summary.md").read_text(encoding="utf-8")
    assert markdown.startswith(
        "### statbench: `this run` against `main`\n\n**Gate `--fail-on regression`: failed: "
        "1 regression.**"
    ), markdown
    assert "### pytest-statbench: " in markdown


def test_compare_missing_name_beside_others(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))
    run_bench(pytester, "--bench-save=other")

    result = run_bench(pytester, "--bench-compare=main")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines([
        ("statbench: --bench-compare main: no stored run named 'main' in .statbench/. Stored "
        "runs: other. Pass one of these names or the path of a results file."),
    ])
    assert "Traceback" not in output_of(result)


def test_compare_missing_path(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))

    result = run_bench(pytester, "--bench-compare=runs/main.json")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines([
        ("statbench: --bench-compare runs/main.json: results file runs/main.json does not "
        "exist. Pass the path of a file written by --bench-json or the name of a stored run."),
    ])


def test_compare_truncated_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))
    (pytester.path / "old.json").write_text('{"schema": "pytest-statbench/run", "sch')

    result = run_bench(pytester, "--bench-compare=old.json")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines(["statbench: --bench-compare old.json: *"])
    assert "Traceback" not in output_of(result)


def test_invalid_run_name_rejected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))

    result = run_bench(pytester, "--bench-save=../escape")

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output_of(result)
    assert "--bench-save" in result.stderr.str()


COUNTED_WORK = """
    import pytest
    from pytest_statbench import compare

    def steady(bench):
        bench.record("work", 10)

    def changing(bench):
        bench.record("work", {work})

    @pytest.mark.benchmark
    @compare(steady=steady, changing=changing, baseline="steady", counted=["work"])
    def test_work(bench, impl):
        bench(impl, bench)
"""


def test_constant_counted_metric_regression(pytester: pytest.Pytester) -> None:
    # Every call records the same value, so the comparison is exact and has no p-value; a
    # doubled value is still a regression. counted= alone also reports the metric.
    pytester.makepyfile(test_inner_work=COUNTED_WORK.format(work=10))
    run_bench(pytester, "--bench-save=main")
    pytester.makepyfile(test_inner_work=COUNTED_WORK.format(work=20))

    result = run_bench(pytester, "--bench-compare=main")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines([
        "regressions: 1 (test_inner_work.py::test_work changing work ratio 2.000)",
        "gate --fail-on regression: failed: 1 regression",
    ])
