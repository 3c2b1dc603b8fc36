"""Acceptance tests of the A/A mode: the baseline against a copy of itself."""

from __future__ import annotations

import pytest
from inner_run import FAST_AND_SLOW, output_of, read_json, run_bench

AA_MODULE = FAST_AND_SLOW + """
    @pytest.mark.benchmark
    @compare(fast=fast, slow=slow, baseline="slow")
    def test_x(bench, impl):
        bench(impl)
"""


def test_aa_report_adds_noise_floor(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_aa=AA_MODULE)

    result = run_bench(pytester, "--bench-aa", "--bench-json=out.json")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.stdout.fnmatch_lines([
        "  slow (A/A copy) * A/A",
        "    noise floor: *% (baseline against its A/A copy)",
    ])
    benchmark = read_json(pytester.path / "out.json")["benchmarks"][0]
    assert benchmark["noise_floor"]["copy"] == "slow (A/A copy)"
    assert benchmark["noise_floor"]["floor"] >= 0
    assert benchmark["noise_floor"]["used_as_margin"] is False


def test_aa_copy_not_a_comparison(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_aa=AA_MODULE)

    run_bench(pytester, "--bench-aa", "--bench-json=out.json")

    run = read_json(pytester.path / "out.json")
    candidates = {c["candidate"] for c in run["benchmarks"][0]["comparisons"]}
    assert candidates == {"fast"}
    assert run["summary"]["comparisons"] == 1


def test_aa_margin_widens_to_floor(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_aa=AA_MODULE)

    # A margin of 0 is always below the noise floor, so the floor becomes the margin.
    run_bench(pytester, "--bench-aa=margin", "--bench-margin=0", "--bench-json=out.json")

    benchmark = read_json(pytester.path / "out.json")["benchmarks"][0]
    floor = benchmark["noise_floor"]["floor"]
    assert benchmark["noise_floor"]["used_as_margin"] is True
    assert benchmark["comparisons"][0]["margin"] == pytest.approx(floor)


def test_aa_off_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_aa=AA_MODULE)

    run_bench(pytester, "--bench-json=out.json")

    benchmark = read_json(pytester.path / "out.json")["benchmarks"][0]
    assert benchmark["noise_floor"] is None
    assert [i["name"] for i in benchmark["implementations"]] == ["fast", "slow"]


def test_aa_invalid_mode_is_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_aa=AA_MODULE)

    result = run_bench(pytester, "--bench-aa=always")

    assert result.ret == pytest.ExitCode.USAGE_ERROR, output_of(result)
    assert "'always' is not an A/A mode; use one of off, report, margin" in result.stderr.str()


def test_aa_noise_floor_in_html(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_aa=AA_MODULE)

    run_bench(pytester, "--bench-aa", "--bench-html=report.html")

    page = (pytester.path / "report.html").read_text(encoding="utf-8")
    assert "against slow (A/A copy), ratio" in page
