"""Report a run or a run comparison to GitHub Actions.

Inside a workflow (``GITHUB_ACTIONS=true``) the Markdown summary is appended to the file named
by ``GITHUB_STEP_SUMMARY``. ``::error`` and ``::warning`` workflow commands are printed for a
failed gate and each regression. The outcome is appended to the file named by
``GITHUB_OUTPUT`` as ``passed``, ``regressions``, ``improvements`` and ``win_rate``, which later
steps read as ``steps.<id>.outputs.<name>``. The functions take the environment as a mapping,
so they can be tested without a workflow.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .report.format import format_ratio
from .report.runcomparison import render_markdown
from .runcompare import RunComparison

__all__ = [
    "GitHubReport",
    "annotation",
    "escape_data",
    "escape_property",
    "in_github_actions",
    "output_lines",
    "publish",
    "publish_comparison",
    "publish_run",
    "report_for_comparison",
    "report_for_run",
]


@dataclass
class GitHubReport:
    """Summary, annotations and key outputs that one workflow step reports."""

    markdown: str
    annotations: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)


def in_github_actions(environment: Mapping[str, str]) -> bool:
    """Return whether the environment is a GitHub Actions job, which sets GITHUB_ACTIONS=true."""
    return environment.get("GITHUB_ACTIONS") == "true"


# Workflow commands.


def escape_data(text: str) -> str:
    """Escape the message of a workflow command: %, carriage return and line feed."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value of a workflow command, which also may not contain : or ,."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    level: str, message: str, *, title: str | None = None, file: str | None = None
) -> str:
    """Return a workflow command that annotates the job, such as ``::error title=...::message``.

    level is ``error``, ``warning`` or ``notice``. Raises ValueError for another level.
    """
    if level not in ("error", "warning", "notice"):
        raise ValueError(f"annotation level {level!r} is not error, warning or notice")
    properties = []
    if file:
        properties.append(f"file={escape_property(file)}")
    if title:
        properties.append(f"title={escape_property(title)}")
    joined = f" {','.join(properties)}" if properties else ""
    return f"::{level}{joined}::{escape_data(message)}"


def _file_of(nodeid: str) -> str | None:
    """Return the file part of a pytest node id, relative to pytest's root directory."""
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".py") else None


# Reports.


def report_for_comparison(comparison: RunComparison) -> GitHubReport:
    """Build the GitHub report of a run comparison."""
    summary = comparison.summary
    annotations = []
    if not summary.passed:
        annotations.append(annotation(
            "error",
            f"{comparison.new_label} against {comparison.old_label}: gate --fail-on "
            f"{summary.fail_on} {summary.message}",
            title="statbench gate",
        ))
    for finding in summary.regressions:
        change = finding.change
        ratio = change.comparison.ratio
        estimate = "no ratio" if ratio is None else f"ratio {format_ratio(ratio)}"
        relative = f" relative to {change.relative_to!r}" if change.relative_to else ""
        annotations.append(annotation(
            "warning",
            f"{finding.benchmark}: {change.implementation} {change.comparison.metric}{relative} "
            f"is worse in {comparison.new_label} than in {comparison.old_label}: {estimate}, "
            f"and {change.comparison.reason}",
            title="statbench regression",
            file=_file_of(finding.nodeid),
        ))
    if summary.compared == 0:
        annotations.append(annotation(
            "warning",
            "no counted comparison reached a verdict, so the gate checked nothing",
            title="statbench gate",
        ))
    for benchmark_id in comparison.missing_benchmarks:
        annotations.append(annotation(
            "warning",
            f"{benchmark_id} ran in {comparison.old_label} but not in {comparison.new_label}, "
            f"so it was not compared",
            title="statbench missing benchmark",
        ))
    return GitHubReport(
        markdown=render_markdown(comparison),
        annotations=annotations,
        outputs={
            "passed": _boolean(summary.passed),
            "regressions": str(len(summary.regressions)),
            "improvements": str(len(summary.improvements)),
            "win_rate": _share(summary.win_rate),
        },
    )


def report_for_run(run: Mapping[str, Any]) -> GitHubReport:
    """Build the GitHub report of one run: its session gates and the worse verdicts in it.

    A regression of a single run is a counted comparison whose candidate is judged ``worse``
    than its baseline.
    """
    summary = run.get("summary") or {}
    annotations = []
    for gate in summary.get("gates", []):
        if not gate.get("passed", True):
            annotations.append(annotation(
                "error", f"gate {gate.get('name')}: {gate.get('message')}", title="statbench gate"
            ))
    regressions = 0
    for benchmark in run.get("benchmarks", []):
        for comparison in benchmark.get("comparisons", []):
            if comparison.get("verdict") != "worse" or not comparison.get("counted", True):
                continue
            regressions += 1
            annotations.append(annotation(
                "warning",
                f"{benchmark.get('id')}: {comparison.get('candidate')} is worse than baseline "
                f"{comparison.get('baseline')} on {comparison.get('metric')}: "
                f"{comparison.get('reason')}",
                title="statbench regression",
                file=_file_of(str(benchmark.get("nodeid", ""))),
            ))
    return GitHubReport(
        markdown=_run_markdown(run),
        annotations=annotations,
        outputs={
            "passed": _boolean(bool(summary.get("passed", True))),
            "regressions": str(regressions),
            "improvements": str(summary.get("wins", 0)),
            "win_rate": _share(summary.get("win_rate")),
        },
    )


def _run_markdown(run: Mapping[str, Any]) -> str:
    try:
        from .report.markdown import markdown_summary
    except ImportError:
        # NOTE: the Markdown report module ships with the same package, so this fallback runs
        # only in an installation that lacks it. It gives the gate outcome without the table.
        summary = run.get("summary") or {}
        outcome = "passed" if summary.get("passed", True) else "failed"
        return f"### statbench\n\nGates {outcome}; win rate {_share(summary.get('win_rate'))}.\n"
    return markdown_summary(run)


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _share(value: Any) -> str:
    """Format a share for an output: 4 decimals, or empty when it could not be computed."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return f"{value:.4f}"


# Writing to the workflow.


def output_lines(outputs: Mapping[str, str]) -> str:
    """Format outputs for the GITHUB_OUTPUT file.

    A single-line value is written as ``name=value``. A value with a line break uses the
    ``name<<DELIMITER`` form, with a random delimiter that does not occur in the value.
    """
    lines = []
    for name, value in outputs.items():
        if "\n" not in value and "\r" not in value:
            lines.append(f"{name}={value}\n")
            continue
        delimiter = f"statbench_{secrets.token_hex(8)}"
        while delimiter in value:
            delimiter = f"statbench_{secrets.token_hex(8)}"
        lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(lines)


def publish(
    report: GitHubReport, environment: Mapping[str, str], stream: TextIO | None = None
) -> list[str]:
    """Write a report to the workflow when the environment is a GitHub Actions job.

    Annotations go to stream (standard output by default), where the runner reads workflow
    commands. Returns what was written, one line each, and [] outside GitHub Actions. Raises
    OSError when a file named by the environment cannot be written.
    """
    if not in_github_actions(environment):
        return []
    stream = sys.stdout if stream is None else stream
    done = []
    for line in report.annotations:
        stream.write(line + "\n")
    if report.annotations:
        done.append(f"printed {len(report.annotations)} annotations")
    summary_path = environment.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        _append(summary_path, report.markdown if report.markdown.endswith("\n")
                else report.markdown + "\n")
        done.append(f"appended the summary to {summary_path}")
    output_path = environment.get("GITHUB_OUTPUT")
    if output_path:
        _append(output_path, output_lines(report.outputs))
        done.append(f"appended {', '.join(report.outputs)} to {output_path}")
    stream.flush()
    return done


def publish_comparison(
    comparison: RunComparison, environment: Mapping[str, str], stream: TextIO | None = None
) -> list[str]:
    """Publish a run comparison to GitHub Actions; see publish."""
    return publish(report_for_comparison(comparison), environment, stream)


def publish_run(
    run: Mapping[str, Any], environment: Mapping[str, str], stream: TextIO | None = None
) -> list[str]:
    """Publish one run to GitHub Actions; see publish."""
    return publish(report_for_run(run), environment, stream)


def _append(path: str | os.PathLike[str], text: str) -> None:
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(text)
