"""The programmatic API examples run offline as scripts and write their reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_statbench.schema import load_run

EXAMPLES = Path(__file__).resolve().parent.parent / "example_benchmarks"
TINY = ["--rounds", "10", "--min-sample-time", "0.0002", "--warmup-time", "0.001", "--seed", "5"]


def run_example(name: str, output: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), str(output), *TINY, *extra],
        capture_output=True, text=True, timeout=180, check=False,
    )


@pytest.mark.parametrize(
    "name",
    ["api_basic.py", "api_multi_dimensional.py", "api_ci_gate.py", "api_custom_benchmark.py"],
)
def test_example_writes_reports(name: str, tmp_path: Path) -> None:
    completed = run_example(name, tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (tmp_path / "report.html").stat().st_size > 0
    assert (tmp_path / "comparisons.csv").stat().st_size > 0
    run = load_run(tmp_path / "results.json")
    assert run["benchmarks"]


def test_ci_gate_fails_on_unmet_threshold(tmp_path: Path) -> None:
    completed = run_example("api_ci_gate.py", tmp_path, "--min-improvement", "0.99")

    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "FAIL average improvement" in completed.stdout
    assert (tmp_path / "results.json").exists()
