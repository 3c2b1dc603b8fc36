"""Tests of the GitHub Actions outputs (github.py), the workflow and the pre-commit hook."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_cli import INNER_PYTEST_ARGS, LOOP_ITERATIONS, make_repository, worktrees
from test_runcompare import simple_run

from pytest_statbench.github import (
    annotation,
    escape_data,
    escape_property,
    output_lines,
    publish_comparison,
    publish_run,
    report_for_comparison,
    report_for_run,
)
from pytest_statbench.runcompare import compare_runs

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "benchmarks.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"


def github_environment(tmp_path: Path) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
    }


# Workflow commands.


def test_escape_data() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"


def test_escape_property() -> None:
    assert escape_property("a.py:3, b%") == "a.py%3A3%2C b%25"


def test_annotation_format() -> None:
    line = annotation("warning", "slower\nby 3x", title="statbench: gate", file="t.py")

    assert line == "::warning file=t.py,title=statbench%3A gate::slower%0Aby 3x"


def test_annotation_rejects_level() -> None:
    with pytest.raises(ValueError, match="annotation level 'fatal' is not error, warning"):
        annotation("fatal", "x")


def test_output_lines_multiline_value() -> None:
    text = output_lines({"passed": "true", "detail": "a\nb"})

    lines = text.splitlines()
    assert lines[0] == "passed=true"
    assert lines[1].startswith("detail<<statbench_")
    delimiter = lines[1].split("<<")[1]
    assert lines[2:] == ["a", "b", delimiter]


# Reports of a run comparison and of one run.


def test_comparison_report_of_regression() -> None:
    comparison = compare_runs(simple_run(1e-3, 1), simple_run(3e-3, 2),
                              old_label="main", new_label="branch")

    report = report_for_comparison(comparison)

    assert report.outputs == {"passed": "false", "regressions": "1", "improvements": "0",
                              "win_rate": "0.0000"}
    assert report.annotations[0] == (
        "::error title=statbench gate::branch against main: gate --fail-on regression failed: "
        "1 regression"
    )
    assert report.annotations[1].startswith(
        "::warning file=test_x.py,title=statbench regression::test_x.py::test_loop: function "
        "time relative to 'reference' is worse in branch than in main: ratio "
    )
    assert report.annotations[1].endswith(", beyond the 5%25 margin")
    assert report.markdown.startswith("### statbench: `branch` against `main`")


def test_comparison_report_of_missing_benchmark() -> None:
    old = simple_run(1e-3, 1, benchmark="test_old.py::test_gone")
    new = simple_run(1e-3, 2)

    report = report_for_comparison(compare_runs(old, new))

    assert report.outputs["passed"] == "true"
    missing = (
        "::warning title=statbench missing benchmark::test_old.py::test_gone ran in old but not "
        "in new, so it was not compared"
    )
    nothing_compared = (
        "::warning title=statbench gate::no counted comparison reached a verdict, so the gate "
        "checked nothing"
    )
    assert report.annotations == [nothing_compared, missing]


def test_run_report_of_failed_gate() -> None:
    run = simple_run(3e-3, 1)
    run["summary"]["gates"] = [{"name": "min_win_rate", "threshold": 0.5, "value": 0.0,
                                "passed": False, "message": "win rate 0.0% is below 50.0%"}]
    run["summary"]["passed"] = False

    report = report_for_run(run)

    assert report.outputs == {"passed": "false", "regressions": "1", "improvements": "0",
                              "win_rate": "0.0000"}
    assert report.annotations[0] == (
        "::error title=statbench gate::gate min_win_rate: win rate 0.0%25 is below 50.0%25"
    )
    assert report.annotations[1].startswith(
        "::warning file=test_x.py,title=statbench regression::test_x.py::test_loop: function "
        "is worse than baseline reference on time: the 95%25 CI ["
    )


# Publishing into the files of a fake environment.


def test_publish_outside_github_does_nothing(tmp_path: Path) -> None:
    environment = github_environment(tmp_path)
    del environment["GITHUB_ACTIONS"]
    stream = io.StringIO()

    done = publish_run(simple_run(1e-3, 1), environment, stream)

    assert done == []
    assert stream.getvalue() == ""
    assert not (tmp_path / "summary.md").exists()
    assert not (tmp_path / "output.txt").exists()


def test_publish_comparison_writes_files(tmp_path: Path) -> None:
    environment = github_environment(tmp_path)
    (tmp_path / "output.txt").write_text("earlier=1\n", encoding="utf-8")
    comparison = compare_runs(simple_run(1e-3, 1), simple_run(3e-3, 2))
    stream = io.StringIO()

    done = publish_comparison(comparison, environment, stream)

    assert done == [
        "printed 2 annotations",
        f"appended the summary to {tmp_path / 'summary.md'}",
        f"appended passed, regressions, improvements, win_rate to {tmp_path / 'output.txt'}",
    ]
    assert stream.getvalue().splitlines()[0].startswith("::error title=statbench gate::")
    assert (tmp_path / "output.txt").read_text(encoding="utf-8") == (
        "earlier=1\npassed=false\nregressions=1\nimprovements=0\nwin_rate=0.0000\n"
    )
    assert "| `test_x.py::test_loop` | `function` | `time` |" in (
        tmp_path / "summary.md"
    ).read_text(encoding="utf-8")


def test_publish_appends_summaries(tmp_path: Path) -> None:
    environment = github_environment(tmp_path)
    run = simple_run(1e-3, 1)

    publish_run(run, environment, io.StringIO())
    first = (tmp_path / "summary.md").read_text(encoding="utf-8")
    publish_run(run, environment, io.StringIO())

    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == first + first


# The workflow, run locally on a fixture repository.


def load_yaml(path: Path) -> Any:
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to parse the workflow")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def workflow_steps() -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    workflow = load_yaml(WORKFLOW)
    job = workflow["jobs"]["ab"]
    return workflow, job["steps"], job


def test_workflow_runs_on_pull_requests() -> None:
    workflow, steps, job = workflow_steps()

    # YAML 1.1 reads the key "on" as true.
    triggers = workflow.get("on", workflow.get(True))
    assert "pull_request" in triggers
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"
    assert any(s.get("run") == 'python -m pip install -e ".[dev]"' for s in steps)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert "statbench-ab/head.html" in upload["with"]["path"]
    assert "statbench-ab/head.json" in upload["with"]["path"]
    assert job["env"]["STATBENCH_RUNS"] == "3"


def test_workflow_command_runs_locally(tmp_path: Path) -> None:
    _, steps, job = workflow_steps()
    step = next(s for s in steps if "statbench ab" in s.get("run", ""))
    assert step["env"]["BASE_REF"] == "${{ github.base_ref }}"
    repository = make_repository(tmp_path, head_iterations=LOOP_ITERATIONS)
    # The console script comes from pyproject.toml; a shim runs the same entry point here.
    shims = tmp_path / "bin"
    shims.mkdir()
    shim = shims / "statbench"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pytest_statbench.cli "$@"\n',
                    encoding="utf-8")
    shim.chmod(0o755)
    environment = {
        **os.environ,
        **job["env"],
        **github_environment(tmp_path),
        "BASE_REF": "main",
        "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}",
        # One run per revision keeps the test short; the margin is the workflow's own.
        "STATBENCH_RUNS": "1",
        # Small settings reach every inner pytest run through pytest's own variable.
        "PYTEST_ADDOPTS": " ".join(INNER_PYTEST_ARGS[1:]),
    }

    completed = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=repository, env=environment,
        capture_output=True, text=True, check=False,
    )

    output = completed.stdout + completed.stderr
    # The head is unchanged, and its time relative to the reference cancels the drift
    # between the two pytest processes, so the gate passes at the workflow's margin.
    assert completed.returncode == 0, output
    assert "statbench ab: base origin/main" in output
    outputs = (tmp_path / "output.txt").read_text(encoding="utf-8").splitlines()
    assert outputs[:2] == ["passed=true", "regressions=0"]
    assert (tmp_path / "summary.md").read_text(encoding="utf-8").startswith("### statbench:")
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    for path in upload["with"]["path"].split():
        assert (repository / path).is_file(), path
    assert worktrees(repository) == [f"worktree {repository}"]


# The pre-commit hook.


def test_pre_commit_hook() -> None:
    hooks = load_yaml(HOOKS)

    hook = next(h for h in hooks if h["id"] == "statbench-quick")
    assert hook["entry"] == "pytest --bench -q --bench-rounds=10"
    assert hook["language"] == "system"
    assert hook["pass_filenames"] is True
    assert set(hook) <= {"id", "name", "description", "entry", "language", "types", "files",
                         "pass_filenames", "require_serial"}
