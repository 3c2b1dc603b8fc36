"""Tests of the statbench command (cli.py), including A/B runs on a fixture git repository.

The fixture repository has a benchmark that compares ``function`` from ``loop.py`` against a
fixed reference, both a pure-Python loop of about 200 µs. Its head commit makes ``function``
20% slower, or leaves it unchanged. On a shared test machine two pytest processes measuring
the same code can differ by up to about 1.7 times, because other jobs load the cores. The
comparison of head against base takes the time of ``function`` relative to the reference in
the same round, which cancels that, so the tests use the default 5% margin.

Relative times do not cancel a sample that waited for a core while the machine is
oversubscribed, which makes wall time noisy then. CPU time excludes that wait, so the inner
runs count both time and cpu_time, and a regression of either fails the gate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from test_imports import pytest_benchmark_document, pytest_benchmark_entry
from test_runcompare import lognormal_times, make_run, simple_run

from pytest_statbench.cli import main
from pytest_statbench.storage import load_run_file, save_run

# Iterations of the loop of ``function`` and of the reference; about 200 µs of pure Python.
LOOP_ITERATIONS = 3200

# pytest arguments of each inner run of statbench ab: 10 rounds of samples of at least 1 ms,
# time and CPU time, and no plugins that slow the start of every run.
INNER_PYTEST_ARGS = [
    "example_benchmarks",
    "-p", "no:benchmark",
    "-p", "no:hypothesispytest",
    "-p", "no:cacheprovider",
    "--bench-rounds=10",
    "--bench-min-sample-time=1ms",
    "--bench-warmup-time=1ms",
    "--bench-metrics=time,cpu_time",
    "--bench-counted-metrics=time,cpu_time",
]

LOOP_MODULE = '''\
ITERATIONS = {iterations}


def function():
    total = 0
    for i in range(ITERATIONS):
        total += i * i
    return total
'''

BENCHMARK_MODULE = f'''\
import pytest
from pytest_statbench import compare

from loop import function


def reference():
    total = 0
    for i in range({LOOP_ITERATIONS}):
        total += i * i
    return total


@pytest.mark.benchmark
@compare(reference=reference, function=function, baseline="reference")
def test_loop(bench, impl):
    bench(impl)
'''


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def make_repository(root: Path, *, head_iterations: int, broken_base: bool = False) -> Path:
    """Create a repository with a base commit (also origin/main) and a head commit.

    The head commit sets the iterations of ``function``; with LOOP_ITERATIONS it changes only
    a comment. ``broken_base`` gives the base commit a benchmark module that cannot be imported.
    """
    repository = root / "project"
    (repository / "example_benchmarks").mkdir(parents=True)
    git(repository, "init", "-q", "-b", "main")
    git(repository, "config", "user.email", "bench@example.com")
    git(repository, "config", "user.name", "bench")
    (repository / "loop.py").write_text(
        LOOP_MODULE.format(iterations=LOOP_ITERATIONS), encoding="utf-8"
    )
    module = "def broken(:\n" if broken_base else BENCHMARK_MODULE
    (repository / "example_benchmarks" / "test_loop.py").write_text(module, encoding="utf-8")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "base")
    git(repository, "update-ref", "refs/remotes/origin/main", "HEAD")

    head = LOOP_MODULE.format(iterations=head_iterations) + "# head commit\n"
    (repository / "loop.py").write_text(head, encoding="utf-8")
    (repository / "example_benchmarks" / "test_loop.py").write_text(
        BENCHMARK_MODULE, encoding="utf-8"
    )
    git(repository, "commit", "-q", "-am", "head")
    return repository


def worktrees(repository: Path) -> list[str]:
    listing = git(repository, "worktree", "list", "--porcelain")
    return [line for line in listing.splitlines() if line.startswith("worktree ")]


@pytest.fixture
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point tempfile at a folder of this test, to check that statbench ab leaves nothing."""
    folder = tmp_path / "temporary"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def save(tmp_path: Path, name: str, run: dict[str, Any]) -> str:
    return str(save_run(run, name, tmp_path))


# statbench compare.


def test_compare_regression_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = save(tmp_path, "old", simple_run(1e-3, 1))
    new = save(tmp_path, "new", simple_run(3e-3, 2))

    status = main(["compare", old, new])

    output = capsys.readouterr().out
    assert status == 1
    assert "gate --fail-on regression: failed: 1 regression" in output
    assert "regressions: 1 (test_x.py::test_loop function time relative to 'reference' ratio " \
        in output


def test_compare_unchanged_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = save(tmp_path, "old", simple_run(1e-3, 1))
    new = save(tmp_path, "new", simple_run(1e-3, 2))

    status = main(["compare", old, new])

    assert status == 0
    assert "gate --fail-on regression: passed: no regression" in capsys.readouterr().out


def test_compare_fail_on_never_exits_0(tmp_path: Path) -> None:
    old = save(tmp_path, "old", simple_run(1e-3, 1))
    new = save(tmp_path, "new", simple_run(3e-3, 2))

    assert main(["compare", old, new, "--fail-on", "never"]) == 0


def test_compare_stored_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    save_run(simple_run(1e-3, 1), "main", ".statbench")
    save_run(simple_run(1e-3, 2), "feature", ".statbench")

    status = main(["compare", "main", "feature"])

    assert status == 0
    assert capsys.readouterr().out.startswith("statbench compare: feature against main")


def test_compare_missing_baseline_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    save_run(simple_run(1e-3, 1), "a", ".statbench")
    save_run(simple_run(1e-3, 2), "b", ".statbench")

    status = main(["compare", "main", "b"])

    assert status == 2
    assert capsys.readouterr().err == (
        "statbench: error: no stored run named 'main' in .statbench/. Stored runs: a, b. Pass "
        "one of these names or the path of a results file.\n"
    )


def test_compare_truncated_baseline_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = Path(save(tmp_path, "old", simple_run(1e-3, 1)))
    old.write_text(old.read_text(encoding="utf-8")[:500], encoding="utf-8")
    new = save(tmp_path, "new", simple_run(1e-3, 2))

    status = main(["compare", str(old), new])

    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith(f"statbench: error: results file {old} is truncated")
    assert "Traceback" not in error


def test_compare_warns_of_other_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_run = simple_run(1e-3, 1)
    new_run = simple_run(1e-3, 2)
    new_run["environment"] = {**new_run["environment"], "python": "3.99.0", "machine": "arm64"}
    old = save(tmp_path, "old", old_run)
    new = save(tmp_path, "new", new_run)

    main(["compare", old, new])

    environment = old_run["environment"]
    warning = (
        "warning: the runs were measured in different environments, so differences may come "
        f"from the environment and not the code: python {environment['python']} -> 3.99.0, "
        f"machine {environment['machine']} -> arm64"
    )
    assert warning in capsys.readouterr().out.splitlines()


def test_compare_writes_markdown(tmp_path: Path) -> None:
    old = save(tmp_path, "old", simple_run(1e-3, 1))
    new = save(tmp_path, "new", simple_run(3e-3, 2))

    main(["compare", old, new, "--md", str(tmp_path / "comparison.md")])

    markdown = (tmp_path / "comparison.md").read_text(encoding="utf-8")
    assert markdown.startswith(f"### statbench: `{new}` against `{old}`")
    assert "| `test_x.py::test_loop` | `function` | `time` |" in markdown


def test_compare_invalid_margin_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["compare", "a.json", "b.json", "--margin", "90%"])

    assert status == 2
    assert "argument --margin: '90%' is outside [0, 0.5]" in capsys.readouterr().err


def test_compare_rejects_pytest_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["compare", "a.json", "b.json", "--", "-k", "x"])

    assert status == 2
    assert capsys.readouterr().err == (
        "statbench: error: only statbench ab passes arguments after -- to pytest, not "
        "statbench compare\n"
    )


# statbench report, import, save, list.


def test_report_writes_each_format(tmp_path: Path) -> None:
    run = save(tmp_path, "run", make_run({"a": {"x": lognormal_times(1e-3, 12, 1),
                                                 "y": lognormal_times(2e-3, 12, 2)}}))

    status = main(["report", run, "--html", str(tmp_path / "r.html"),
                   "--md", str(tmp_path / "r.md"), "--csv", str(tmp_path / "r.csv"),
                   "--samples-csv", str(tmp_path / "s.csv")])

    assert status == 0
    assert (tmp_path / "r.html").read_text(encoding="utf-8").lstrip().startswith("<!DOCTYPE html>")
    assert "`y`" in (tmp_path / "r.md").read_text(encoding="utf-8")
    assert (tmp_path / "r.csv").read_text(encoding="utf-8").startswith("benchmark,nodeid,")
    assert len((tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()) == 25


def test_report_to_stdout_pipe(tmp_path: Path) -> None:
    run = save(tmp_path, "run", simple_run(1e-3, 1))

    completed = subprocess.run(
        [sys.executable, "-m", "pytest_statbench.cli", "report", run, "--md", "/dev/stdout"],
        capture_output=True, text=True, check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("### pytest-statbench: "), completed.stdout


def test_closed_output_pipe_prints_no_traceback(tmp_path: Path) -> None:
    old = save(tmp_path, "old", simple_run(1e-3, 1))
    new = save(tmp_path, "new", simple_run(3e-3, 2))
    read_end, write_end = os.pipe()
    os.close(read_end)

    completed = subprocess.run(
        [sys.executable, "-m", "pytest_statbench.cli", "compare", old, new],
        stdout=write_end, stderr=subprocess.PIPE, text=True, check=False,
    )
    os.close(write_end)

    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr, completed.stderr


def test_choices_ignore_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = save(tmp_path, "old", simple_run(1e-3, 1))
    new = save(tmp_path, "new", simple_run(3e-3, 2))

    status = main(["compare", old, new, "--reference", "NONE", "--fail-on", "Never"])

    output = capsys.readouterr().out
    assert status == 0
    assert "gate --fail-on never: report only" in output
    assert "relative" not in output


def test_report_without_output_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = save(tmp_path, "run", simple_run(1e-3, 1))

    status = main(["report", run])

    assert status == 2
    assert capsys.readouterr().err == (
        "statbench: error: statbench report writes nothing without --html, --md, --csv or "
        "--samples-csv; name at least one output file\n"
    )


def test_report_missing_renderer_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = save(tmp_path, "run", simple_run(1e-3, 1))
    # A None entry in sys.modules makes the import raise ImportError, as a missing module does.
    monkeypatch.setitem(sys.modules, "pytest_statbench.report.csvreport", None)

    status = main(["report", run, "--csv", str(tmp_path / "r.csv")])

    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith(
        "statbench: error: --csv needs pytest_statbench.report.csvreport.comparisons_csv, "
        "which this installation of pytest-statbench lacks ("
    )
    assert error.endswith("Upgrade pytest-statbench, or leave out --csv.\n")
    assert not (tmp_path / "r.csv").exists()


def test_import_summary_only_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "pb.json"
    source.write_text(json.dumps(pytest_benchmark_document(
        [pytest_benchmark_entry("test_sort", None)]
    )), encoding="utf-8")

    status = main(["import", str(source), "--from", "pytest-benchmark",
                   "--output", str(tmp_path / "run.json")])

    output = capsys.readouterr().out
    assert status == 0
    assert f"statbench: imported 1 benchmark from pytest-benchmark file {source}" in output
    assert ("warning: 1 of 1 benchmarks have summary statistics only and no raw samples "
            "(test_sort)") in output
    run = load_run_file(tmp_path / "run.json")
    assert run["benchmarks"][0]["implementations"][0]["imported"]["raw_samples"] is False


def test_import_bad_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "other.json"
    source.write_text("{}", encoding="utf-8")

    status = main(["import", str(source), "--output", str(tmp_path / "run.json")])

    assert status == 2
    assert capsys.readouterr().err.startswith(
        f"statbench: error: {source} is neither a pytest-benchmark nor a pyperf results file."
    )


def test_save_and_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    run = simple_run(1e-3, 1)
    Path("run.json").write_text(json.dumps(run), encoding="utf-8")

    assert main(["save", "run.json", "main"]) == 0
    assert main(["list"]) == 0

    output = capsys.readouterr().out.splitlines()
    assert output[0] == f"statbench: saved run.json as 'main' in {Path('.statbench/main.json')}"
    assert output[1] == "main  2025-01-01T00:00:00+00:00  1 benchmark"
    assert load_run_file(".statbench/main.json") == run


def test_save_invalid_name_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = save(tmp_path, "run", simple_run(1e-3, 1))

    status = main(["save", run, "a/b", "--storage", str(tmp_path)])

    assert status == 2
    assert capsys.readouterr().err.startswith(
        "statbench: error: run name 'a/b' contains a path separator."
    )


# statbench ab on a fixture repository.


def test_ab_catches_slower_head(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    private_tempdir: Path,
) -> None:
    repository = make_repository(tmp_path, head_iterations=LOOP_ITERATIONS * 6 // 5)
    monkeypatch.chdir(repository)

    status = main(["ab", "--base", "origin/main", "--head", "HEAD", "--runs", "3",
                   "--seed", "3", "--", *INNER_PYTEST_ARGS])

    output = capsys.readouterr().out
    assert status == 1, output
    regressions = next(line for line in output.splitlines() if line.startswith("regressions:"))
    assert not regressions.startswith("regressions: 0"), output
    findings = regressions.split(" (", 1)[1].rstrip(")").split("; ")
    for finding in findings:
        assert finding.startswith(
            "example_benchmarks/test_loop.py::test_loop function "
        ), output
        assert " relative to 'reference' ratio 1." in finding, output
    assert "gate --fail-on regression: failed: " in output
    assert worktrees(repository) == [f"worktree {repository}"]
    assert list(private_tempdir.iterdir()) == []


def test_ab_unchanged_head_passes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    private_tempdir: Path,
) -> None:
    repository = make_repository(tmp_path, head_iterations=LOOP_ITERATIONS)
    monkeypatch.chdir(repository)
    summary = tmp_path / "step_summary.md"
    outputs = tmp_path / "outputs.txt"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))

    # Three alternated runs per revision: a slow spell of the machine during one process
    # then moves only a third of a side's samples.
    status = main(["ab", "--base", "origin/main", "--head", "HEAD", "--runs", "3",
                   "--seed", "4", "--output-dir", str(tmp_path / "out"),
                   "--", *INNER_PYTEST_ARGS])

    output = capsys.readouterr().out
    assert status == 0, output
    assert "gate --fail-on regression: passed: no regression" in output
    assert outputs.read_text(encoding="utf-8").splitlines()[:2] == ["passed=true",
                                                                     "regressions=0"]
    assert summary.read_text(encoding="utf-8").startswith("### statbench: `head HEAD` against")
    head = load_run_file(tmp_path / "out" / "head.json")
    assert head["commit"]["commit"] == git(repository, "rev-parse", "HEAD")
    assert head["commit"]["ref"] == "HEAD"
    assert head["benchmarks"][0]["rounds"] == 30
    assert head["notes"][0].startswith("merged from 3 runs (seeds 4, 5, 6)")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "base.json", "comparison.md", "head.html", "head.json",
    ]
    assert worktrees(repository) == [f"worktree {repository}"]
    assert list(private_tempdir.iterdir()) == []


def test_ab_failed_run_removes_worktrees(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    private_tempdir: Path,
) -> None:
    repository = make_repository(tmp_path, head_iterations=LOOP_ITERATIONS, broken_base=True)
    monkeypatch.chdir(repository)

    status = main(["ab", "--base", "origin/main", "--head", "HEAD", "--runs", "1", "--",
                   *INNER_PYTEST_ARGS])

    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith(
        "statbench: error: pytest failed in the base worktree (origin/main) with exit code 2. "
        "Its output ends with:\n"
    )
    assert "SyntaxError" in error
    assert worktrees(repository) == [f"worktree {repository}"]
    assert list(private_tempdir.iterdir()) == []


def test_ab_unknown_revision_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repository = make_repository(tmp_path, head_iterations=LOOP_ITERATIONS)
    monkeypatch.chdir(repository)

    status = main(["ab", "--base", "origin/nope", "--head", "HEAD"])

    assert status == 2
    assert capsys.readouterr().err == (
        f"statbench: error: revision 'origin/nope' is not a commit of the repository "
        f"{repository.resolve()}. Pass a branch, tag or commit that git rev-parse accepts, and "
        f"fetch it first if it is remote (actions/checkout needs fetch-depth: 0).\n"
    )


def test_ab_outside_repository_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))

    status = main(["ab", "--base", "main", "--head", "HEAD"])

    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith(
        "statbench: error: could not find the repository of the current folder: git rev-parse "
        "--show-toplevel failed: fatal: not a git repository"
    )


def test_ab_rejects_bench_json(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["ab", "--base", "main", "--head", "HEAD", "--", "--bench-json=x.json"])

    assert status == 2
    assert capsys.readouterr().err == (
        "statbench: error: statbench ab sets --bench-json for each pytest run itself; remove it "
        "from the arguments after --, and use --output-dir to keep the merged runs\n"
    )
