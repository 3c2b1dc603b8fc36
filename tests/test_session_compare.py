"""Acceptance tests of --bench-save and --bench-compare in a pytest session."""

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


def test_save_then_compare_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))
    saved = run_bench(pytester, "--bench-save=main")
    assert saved.ret == pytest.ExitCode.OK, output_of(saved)
    assert (pytester.path / ".statbench" / "main.json").exists()

    result = run_bench(pytester, "--bench-compare=main", "--bench-margin=50%")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines(["gate --fail-on regression: passed: *"])


def test_compare_catches_slowdown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))
    run_bench(pytester, "--bench-save=main")
    # The same test file, now doing ten times the work in the function.
    pytester.makepyfile(test_inner_compare=MODULE.format(work=20000))

    result = run_bench(pytester, "--bench-compare=main", "--bench-margin=50%")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines(["gate --fail-on regression: failed: 1 regression"])


def test_compare_missing_name(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_compare=MODULE.format(work=2000))

    result = run_bench(pytester, "--bench-compare=main")

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output_of(result)
    result.stdout.fnmatch_lines([
        "statbench: --bench-compare main: no stored run named 'main' in .statbench/*"
    ])
    assert "Traceback" not in output_of(result)


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
