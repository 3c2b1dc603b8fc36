"""Acceptance tests of the reports that --bench-json and --bench-html write (docs/json.md)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from inner_run import FAST_AND_SLOW, output_of, run_bench

# Three implementations, so that each round has 3! = 6 possible orders: ten rounds in one fixed
# order, or two runs with the same ten orders by chance, are about one in ten million.
THREE_IMPLEMENTATIONS = (
    FAST_AND_SLOW
    + """
    def medium():
        return sum(range(2000))

    @pytest.mark.benchmark
    @compare(a=slow, b=fast, c=medium, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
)


def reject_constant(name: str) -> Any:
    raise ValueError(f"the JSON contains {name}, which strict JSON does not allow")


def load_strict(text: str) -> dict[str, Any]:
    """Parse JSON and raise ValueError on NaN, Infinity and -Infinity."""
    return json.loads(text, parse_constant=reject_constant)


def bench_json(pytester: pytest.Pytester, *args: str, name: str = "out.json") -> dict[str, Any]:
    """Run pytest --bench with --bench-json and return the parsed file."""
    result = run_bench(pytester, f"--bench-json={name}", *args)
    assert (pytester.path / name).is_file(), output_of(result)
    return load_strict((pytester.path / name).read_text(encoding="utf-8"))


def positions(run: dict[str, Any]) -> dict[str, list[int]]:
    implementations = run["benchmarks"][0]["implementations"]
    return {i["name"]: i["samples"]["position"] for i in implementations}


def test_json_top_level_fields(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_json=THREE_IMPLEMENTATIONS)

    run = bench_json(pytester, "--bench-seed=123")

    assert run["schema"] == "pytest-statbench/run"
    assert run["schema_version"] == 1
    assert run["seed"] == 123
    assert run["settings"]["rounds"] == 10
    assert run["settings"]["min_sample_time"] == pytest.approx(200e-6)
    assert isinstance(run["environment"]["python"], str)
    assert [benchmark["id"] for benchmark in run["benchmarks"]] == ["test_json.py::test_x"]


def test_json_comparison_fields(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_json=THREE_IMPLEMENTATIONS)

    run = bench_json(pytester)

    comparisons = [c for c in run["benchmarks"][0]["comparisons"] if c["metric"] == "time"]
    assert [(c["candidate"], c["baseline"]) for c in comparisons] == [("b", "a"), ("c", "a")]
    for comparison in comparisons:
        assert len(comparison["ci"]) == 2, comparison
        low, high = comparison["ci"]
        assert low <= comparison["ratio"] <= high, comparison
        assert 0 <= comparison["p_value"] <= 1, comparison
        # Both candidates do at least 10 times less work than the baseline.
        assert comparison["verdict"] == "better", comparison


def test_json_summary_fields(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_json=THREE_IMPLEMENTATIONS)

    run = bench_json(pytester, "--bench-min-win-rate=1.0")

    summary = run["summary"]
    assert summary["comparisons"] == 2, summary
    assert summary["win_rate"] == 1.0, summary
    assert 0.9 < summary["average_improvement"] < 1.0, summary
    assert summary["passed"] is True, summary
    assert [gate["name"] for gate in summary["gates"]] == ["min_win_rate"], summary


def test_json_samples_cover_every_round(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_json=THREE_IMPLEMENTATIONS)

    run = bench_json(pytester)

    benchmark = run["benchmarks"][0]
    assert benchmark["rounds"] == 10
    for implementation in benchmark["implementations"]:
        samples = implementation["samples"]
        assert samples["round"] == list(range(10)), implementation
        assert len(samples["time"]) == 10, implementation
        assert len(samples["position"]) == 10, implementation
        assert set(samples["position"]) <= {0, 1, 2}, implementation


def test_json_positions_are_shuffled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_json=THREE_IMPLEMENTATIONS)

    run = bench_json(pytester)

    for name, places in positions(run).items():
        assert len(set(places)) > 1, f"{name} ran at the same place in every round: {places}"


def test_same_seed_repeats_positions(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_json=THREE_IMPLEMENTATIONS)

    first = bench_json(pytester, "--bench-seed=123", name="first.json")
    second = bench_json(pytester, "--bench-seed=123", name="second.json")

    assert positions(first) == positions(second)


def test_other_seed_changes_positions(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_json=THREE_IMPLEMENTATIONS)

    first = bench_json(pytester, "--bench-seed=123", name="first.json")
    second = bench_json(pytester, "--bench-seed=124", name="second.json")

    assert positions(first) != positions(second)


def test_json_raising_implementation_has_nulls(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_json=FAST_AND_SLOW
        + """
    def broken():
        raise ValueError("broken on purpose")

    @pytest.mark.benchmark
    @compare(a=fast, b=broken, baseline="a")
    def test_x(bench, impl):
        bench(impl)
    """
    )

    run = bench_json(pytester)

    comparison = run["benchmarks"][0]["comparisons"][0]
    assert comparison["candidate"] == "b", comparison
    assert comparison["ratio"] is None, comparison
    assert comparison["ci"] is None, comparison
    assert comparison["verdict"] == "insufficient-data", comparison


def test_fixture_compare_ids(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_json=FAST_AND_SLOW
        + """
    @pytest.mark.benchmark
    def test_x(bench):
        bench.compare({"a": slow, "b": fast}, baseline="a")
        bench.compare({"a": slow, "b": fast}, baseline="a")
        bench.compare({"a": slow, "b": fast}, baseline="a", name="x")
    """
    )

    run = bench_json(pytester)

    assert [benchmark["id"] for benchmark in run["benchmarks"]] == [
        "test_json.py::test_x",
        "test_json.py::test_x[2]",
        "test_json.py::test_x[x]",
    ]


def test_parametrized_compare_ids(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_json="""
    import pytest
    from pytest_statbench import compare

    def fast(size):
        return sum(range(size // 1000))

    def slow(size):
        return sum(range(size))

    @pytest.mark.parametrize("size", [20000, 30000])
    @compare(a=slow, b=fast, baseline="a")
    def test_x(bench, impl, size):
        bench(impl, size)
    """
    )

    run = bench_json(pytester)

    assert [benchmark["id"] for benchmark in run["benchmarks"]] == [
        "test_json.py::test_x[20000]",
        "test_json.py::test_x[30000]",
    ]


def test_html_report_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_html=THREE_IMPLEMENTATIONS)

    result = run_bench(pytester, "--bench-html=report/out.html")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    text = (pytester.path / "report" / "out.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>"), text[:200]


def test_json_file_mode_follows_umask(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_json=THREE_IMPLEMENTATIONS)

    previous = os.umask(0o022)
    try:
        bench_json(pytester)
    finally:
        os.umask(previous)

    mode = stat.S_IMODE((pytester.path / "out.json").stat().st_mode)
    assert mode == 0o644, oct(mode)


def test_report_into_fifo_keeps_fifo(tmp_path: Path) -> None:
    # Renaming a temporary file over a FIFO or device would replace it; it is written to.
    import threading

    from pytest_statbench.results import write_atomic

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_atomic(fifo, "report\n")
    reader.join(timeout=10)
    assert received == ["report\n"]
    assert fifo.is_fifo()


def test_report_through_symlink_keeps_link(tmp_path: Path) -> None:
    from pytest_statbench.results import write_atomic

    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    write_atomic(tmp_path / "link.json", "{}\n")
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real.json").read_text() == "{}\n"


def test_write_under_a_file_names_the_file(tmp_path: Path) -> None:
    from pytest_statbench.results import write_atomic

    (tmp_path / "afile").write_text("x", encoding="utf-8")

    with pytest.raises(NotADirectoryError, match="afile is a file, not a folder"):
        write_atomic(tmp_path / "afile" / "out.json", "{}")
