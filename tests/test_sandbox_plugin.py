"""Acceptance tests of Code implementations in pytest runs: both comparison forms measure them
in sandbox workers, a failing Code implementation fails its test with the remote error, and
no worker outlives the run."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from inner_run import BASE_OPTIONS, output_of, read_json

# Settings of the inner runs. A Code implementation also costs one worker start, 0.1 to 0.2 s on
# the machine of docs/sandbox.md.
SANDBOX_SETTINGS = (
    "--bench-rounds=10",
    "--bench-min-sample-time=500us",
    "--bench-warmup-time=1ms",
)

# The start of an inner test module. FAST_SOURCE and SLOW_SOURCE differ about 1000-fold in work
# for n = 1000, so the verdict between them is certain.
CODE_IMPLEMENTATIONS = r"""
    import pytest
    from pytest_statbench import compare
    from pytest_statbench.sandbox import Code

    FAST_SOURCE = "def work(n):\n    return sum(range(10))\n"
    SLOW_SOURCE = "def work(n):\n    return sum(range(n * 20))\n"
    RAISING_SOURCE = "def work(n):\n    raise ValueError(f'broken code for n={n}')\n"
    LOOPING_SOURCE = "def work(n):\n    while True:\n        pass\n"
"""


@pytest.fixture
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make sandbox workers of the inner run create their directories under a folder of ours.

    Other test runs on the machine may have workers of their own, so a leftover is recognised
    by a working directory inside this folder.
    """
    folder = tmp_path / "sandboxes"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def run_sandboxed(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:benchmark", *BASE_OPTIONS, *args)


def workers_left(folder: Path) -> list[str]:
    """Return the processes and directories of sandbox workers left inside ``folder``."""
    left = [str(path) for path in folder.iterdir()]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            directory = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if directory.startswith(str(folder)):
            left.append(f"process {entry} in {directory}")
    return left


def test_decorator_measures_code(pytester: pytest.Pytester, private_tempdir: Path) -> None:
    pytester.makepyfile(
        test_code_decorated=CODE_IMPLEMENTATIONS
        + """
    @compare(fast=Code(FAST_SOURCE, entry="work"), slow=Code(SLOW_SOURCE, entry="work"),
             baseline="slow")
    def test_code(bench, impl):
        assert bench(impl, 1000) in (45, sum(range(20000)))
    """
    )

    result = run_sandboxed(pytester, "--bench", *SANDBOX_SETTINGS, "--bench-json=out.json")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    run = read_json(pytester.path / "out.json")
    benchmark = run["benchmarks"][0]
    assert [i["name"] for i in benchmark["implementations"]] == ["fast", "slow"]
    assert all(len(i["samples"]["time"]) == 10 for i in benchmark["implementations"])
    comparison = benchmark["comparisons"][0]
    assert comparison["candidate"] == "fast"
    assert comparison["verdict"] == "better"
    assert workers_left(private_tempdir) == []


def test_fixture_measures_code(pytester: pytest.Pytester, private_tempdir: Path) -> None:
    pytester.makepyfile(
        test_code_fixture=CODE_IMPLEMENTATIONS
        + """
    @pytest.mark.benchmark
    def test_code(bench):
        result = bench.compare(
            {"fast": Code(FAST_SOURCE, entry="work"), "slow": Code(SLOW_SOURCE, entry="work")},
            baseline="slow",
            args=(1000,),
        )
        result.assert_faster("fast")
    """
    )

    result = run_sandboxed(pytester, "--bench", *SANDBOX_SETTINGS, "--bench-json=out.json")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    comparison = read_json(pytester.path / "out.json")["benchmarks"][0]["comparisons"][0]
    assert comparison["verdict"] == "better"
    assert workers_left(private_tempdir) == []


def test_code_and_callable_mixed(pytester: pytest.Pytester, private_tempdir: Path) -> None:
    pytester.makepyfile(
        test_code_mixed=CODE_IMPLEMENTATIONS
        + """
    def local_slow(n):
        return sum(range(n * 20))

    @compare(fast=Code(FAST_SOURCE, entry="work"), slow=local_slow, baseline="slow")
    def test_code(bench, impl):
        bench(impl, 1000)
    """
    )

    result = run_sandboxed(pytester, "--bench", *SANDBOX_SETTINGS, "--bench-json=out.json")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    comparison = read_json(pytester.path / "out.json")["benchmarks"][0]["comparisons"][0]
    assert comparison["verdict"] == "better"
    assert workers_left(private_tempdir) == []


def test_raising_code_fails_test(pytester: pytest.Pytester, private_tempdir: Path) -> None:
    pytester.makepyfile(
        test_code_raising=CODE_IMPLEMENTATIONS
        + """
    @compare(good=Code(SLOW_SOURCE, entry="work"), broken=Code(RAISING_SOURCE, entry="work"),
             baseline="good")
    def test_code(bench, impl):
        bench(impl, 3)
    """
    )

    result = run_sandboxed(pytester, "--bench", *SANDBOX_SETTINGS)

    result.assert_outcomes(failed=1)
    output = output_of(result)
    assert "RemoteCallError: broken code for n=3" in output
    assert "ValueError: broken code for n=3" in output
    assert "implementation 'broken' raised" in output
    assert workers_left(private_tempdir) == []


def test_smoke_run_calls_code_once(pytester: pytest.Pytester, private_tempdir: Path) -> None:
    pytester.makepyfile(
        test_code_smoke=CODE_IMPLEMENTATIONS
        + """
    @compare(fast=Code(FAST_SOURCE, entry="work"), slow=Code(SLOW_SOURCE, entry="work"),
             baseline="slow", same_result=False)
    def test_code(bench, impl):
        assert bench(impl, 1) in (45, 190)
    """
    )

    result = run_sandboxed(pytester)

    result.assert_outcomes(passed=1)
    assert workers_left(private_tempdir) == []


def test_code_timeout_option(pytester: pytest.Pytester, private_tempdir: Path) -> None:
    pytester.makepyfile(
        test_code_timeout=CODE_IMPLEMENTATIONS
        + """
    @compare(fast=Code(FAST_SOURCE, entry="work"), looping=Code(LOOPING_SOURCE, entry="work"),
             baseline="fast")
    def test_code(bench, impl):
        bench(impl, 1)
    """
    )

    result = run_sandboxed(pytester, "--bench", *SANDBOX_SETTINGS, "--bench-sandbox-timeout=1s")

    result.assert_outcomes(failed=1)
    assert (
        "sandbox worker for 'looping' exceeded the 1 s request timeout during the first call"
        in output_of(result)
    )
    assert workers_left(private_tempdir) == []
