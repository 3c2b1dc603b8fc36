"""Acceptance tests of how the plugin behaves next to pytest-xdist and in verbose mode."""

from __future__ import annotations

import pytest
from inner_run import FAST_AND_SLOW, output_of, run_bench

MODULE = FAST_AND_SLOW + """
    @pytest.mark.benchmark
    @compare(fast=fast, slow=slow, baseline="slow")
    def test_x(bench, impl):
        bench(impl)
"""


def test_xdist_workers_rejected(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_inner_ecosystem=MODULE)

    result = run_bench(pytester, "-n", "2")

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output_of(result)
    assert (
        "pytest --bench measures one benchmark at a time, and pytest-xdist would run benchmarks "
        "in parallel workers (-n 2) that disturb each other's timings; run the benchmarks with "
        "-n 0"
    ) in result.stderr.str()


def test_xdist_zero_workers_measures(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_inner_ecosystem=MODULE)

    result = run_bench(pytester, "-n", "0")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines(["test_inner_ecosystem.py::test_x (10 rounds)"])


def test_verbose_prints_progress(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_ecosystem=MODULE)

    result = run_bench(pytester, "-vv")

    result.stdout.fnmatch_lines([
        "statbench: measuring test_inner_ecosystem.py::test_x: 2 implementations, up to 10 rounds",
        "statbench:   round 1 of 10",
        "statbench: measured test_inner_ecosystem.py::test_x in 10 rounds, * s",
    ])


def test_default_verbosity_is_quiet(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_ecosystem=MODULE)

    result = run_bench(pytester)

    assert "statbench: measuring" not in result.stdout.str()


def test_plugin_import_is_light() -> None:
    # A pytest run without --bench should not pay for numpy, scipy, radon or jinja2.
    import subprocess
    import sys

    code = (
        "import sys, pytest_statbench.plugin\n"
        "heavy = sorted(m for m in ('numpy', 'scipy', 'radon', 'jinja2') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == ""
