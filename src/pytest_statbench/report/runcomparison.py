"""Render a comparison of two runs as terminal lines or as GitHub-flavoured Markdown."""

from __future__ import annotations

from ..metrics.registry import DETERMINISTIC
from ..results import VERDICTS, Comparison
from ..runcompare import (
    RELATIVE_METRICS,
    BenchmarkChange,
    Finding,
    RunComparison,
    count_phrase,
)
from .format import format_memory, format_number, format_p_value, format_ratio, format_time

__all__ = [
    "environment_warning",
    "reference_lines",
    "reference_notes",
    "render_lines",
    "render_markdown",
]


def render_lines(comparison: RunComparison) -> list[str]:
    """Render a run comparison as plain-text lines for a terminal."""
    summary = comparison.summary
    level = f"{(1 - comparison.alpha) * 100:.4g}%"
    heading = (
        f"statbench compare: {comparison.new_label} against {comparison.old_label} "
        f"(margin {comparison.margin * 100:.4g}%, alpha {comparison.alpha:g}, unpaired"
        f"{'; times relative to each baseline' if comparison.relative else ''})"
    )
    lines = [heading]
    if comparison.environment_differences:
        lines.append(environment_warning(comparison.environment_differences))

    for benchmark in comparison.benchmarks:
        lines.append("")
        if benchmark.status == "new":
            lines.append(f"{benchmark.id}: new, only in {comparison.new_label}")
            continue
        if benchmark.status == "missing":
            lines.append(f"{benchmark.id}: missing, only in {comparison.old_label}")
            continue
        lines.append(benchmark.id)
        lines.extend(_benchmark_lines(benchmark, level))

    lines.append("")
    lines.append(_findings_line("regressions", summary.regressions))
    lines.append(_findings_line("improvements", summary.improvements))
    counts = ", ".join(f"{summary.verdicts.get(v, 0)} {v}" for v in VERDICTS)
    lines.append(f"verdicts of counted metrics: {counts}")
    if comparison.new_benchmarks:
        lines.append(f"new benchmarks: {', '.join(comparison.new_benchmarks)}")
    if comparison.missing_benchmarks:
        lines.append(f"missing benchmarks: {', '.join(comparison.missing_benchmarks)}")
    if summary.compared == 0:
        lines.append(
            "warning: no counted comparison reached a verdict, so the gate checked nothing"
        )
    lines.append(f"gate --fail-on {summary.fail_on}: {summary.message}")
    return lines


def environment_warning(differences: list[str]) -> str:
    """Return the warning printed when two runs come from different environments."""
    return (
        "warning: the runs were measured in different environments, so differences may come "
        f"from the environment and not the code: {', '.join(differences)}"
    )


def _benchmark_lines(benchmark: BenchmarkChange, level: str) -> list[str]:
    reference_changes = benchmark.reference_changes
    # The reference's own change is always shown: it is the drift that relative times cancel.
    shown = [
        change for change in benchmark.changes
        if change.comparison.counted or change.comparison.verdict != "equivalent"
        or change in reference_changes
    ]
    hidden = sorted({
        change.comparison.metric for change in benchmark.changes if change not in shown
    })

    rows = [["implementation", "metric", "old", "new", f"ratio [{level} CI]", "verdict",
             "p (Holm)"]]
    reasons = []
    for change in shown:
        comparison = change.comparison
        rows.append([
            change.implementation + (" (reference)" if change in reference_changes else ""),
            comparison.metric,
            _value(change.old_value, comparison.unit),
            _value(change.new_value, comparison.unit),
            _ratio_and_interval(comparison),
            comparison.verdict,
            format_p_value(comparison.p_value_holm) if comparison.p_value_holm is not None else "",
        ])
        if comparison.verdict == "insufficient-data":
            reasons.append(f"    {change.implementation} {comparison.metric}: {comparison.reason}")

    lines = _table(rows) if len(rows) > 1 else []
    lines.extend(reasons)
    lines.extend(f"  {line}" for line in reference_lines(benchmark))
    if hidden:
        lines.append(f"  equivalent elsewhere: {', '.join(hidden)}")
    if benchmark.new_implementations:
        lines.append(f"  new implementations: {', '.join(benchmark.new_implementations)}")
    if benchmark.missing_implementations:
        lines.append(
            f"  missing implementations: {', '.join(benchmark.missing_implementations)}"
        )
    return lines


def reference_lines(benchmark: BenchmarkChange) -> list[str]:
    """Explain what the times of a benchmark are relative to, and flag a moved reference."""
    reference = benchmark.reference
    metrics = [
        metric for metric in RELATIVE_METRICS
        if any(c.relative_to and c.comparison.metric == metric for c in benchmark.changes)
    ]
    if reference is None or not metrics:
        return reference_notes(benchmark)
    verb = "is" if len(metrics) == 1 else "are"
    return [(
        f"{' and '.join(metrics)} {verb} relative to {reference!r} in the same round (1.000x = "
        f"as fast as {reference!r}), and the change of {reference!r} itself is not counted"
    ), *reference_notes(benchmark)]


def reference_notes(benchmark: BenchmarkChange) -> list[str]:
    """Return why a benchmark's times are not relative, or how far its reference moved."""
    if benchmark.absolute_reason is not None:
        return [f"times are not relative: {benchmark.absolute_reason}"]
    reference = benchmark.reference
    lines = []
    for change in benchmark.reference_changes:
        comparison = change.comparison
        if comparison.verdict in ("better", "worse") and comparison.ratio is not None:
            lines.append(
                f"{reference!r} {comparison.metric} moved by ratio "
                f"{format_ratio(comparison.ratio)} "
                f"between the runs. Relative times cancel a move of the machine. If the change "
                f"touched {reference!r} itself, compare times as measured with --reference "
                f"none (pytest: --bench-compare-reference=none)."
            )
    return lines


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def _findings_line(label: str, findings: list[Finding]) -> str:
    if not findings:
        return f"{label}: 0"
    return f"{label}: {len(findings)} ({'; '.join(f.describe() for f in findings)})"


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "s":
        return format_time(value)
    if unit == "B":
        return format_memory(value)
    if unit == "ratio":
        return f"{format_ratio(value)}x"
    return format_number(value)


def _ratio_and_interval(comparison: Comparison) -> str:
    if comparison.ratio is None:
        return "n/a"
    if comparison.ci is None or comparison.kind == DETERMINISTIC:
        return format_ratio(comparison.ratio)
    low, high = comparison.ci
    return f"{format_ratio(comparison.ratio)} [{format_ratio(low)}, {format_ratio(high)}]"


def render_markdown(comparison: RunComparison) -> str:
    """Render a run comparison as GitHub-flavoured Markdown, for a job summary or a comment.

    Names from the runs are written as code spans, so Markdown and HTML in them are shown as
    text, and ``|`` is escaped so it cannot split a table cell.
    """
    summary = comparison.summary
    level = f"{(1 - comparison.alpha) * 100:.4g}%"
    gate = (
        f"**Gate `--fail-on {summary.fail_on}`: {_escape(summary.message)}.** "
        f"{count_phrase(len(summary.regressions), 'regression', 'regressions')} and "
        f"{count_phrase(len(summary.improvements), 'improvement', 'improvements')} in "
        f"{count_phrase(summary.compared, 'counted comparison', 'counted comparisons')} "
        f"(margin {comparison.margin * 100:.4g}%, alpha {comparison.alpha:g})."
    )
    lines = [
        f"### statbench: {_code(comparison.new_label)} against {_code(comparison.old_label)}",
        "",
        gate,
    ]
    if comparison.environment_differences:
        warning = environment_warning(comparison.environment_differences)
        lines += ["", f"> **Warning:** {_escape(warning.removeprefix('warning: '))}"]
    if comparison.relative:
        lines += [
            "",
            ("Time and CPU time are relative to each benchmark's baseline in the same round "
            "(1.000x = as fast as the baseline). The baselines' own changes are listed as "
            "(reference) and not counted."),
        ]
    notes = [
        f"- {_code(benchmark.id)}: {_escape(note)}"
        for benchmark in comparison.benchmarks
        for note in [
            *reference_notes(benchmark),
            *(f"new implementation {name!r}" for name in benchmark.new_implementations),
            *(f"missing implementation {name!r}" for name in benchmark.missing_implementations),
        ]
    ]
    if notes:
        lines += ["", *notes]

    notable = [
        (benchmark, change)
        for benchmark in comparison.benchmarks
        for change in benchmark.changes
        if change.comparison.verdict != "equivalent"
    ]
    notable.sort(key=lambda item: _VERDICT_RANK.get(item[1].comparison.verdict, 4))
    if notable:
        lines += [
            "",
            f"| benchmark | implementation | metric | old | new | ratio [{level} CI] | verdict |",
            "|---|---|---|---|---|---|---|",
        ]
        for benchmark, change in notable:
            row = change.comparison
            role = " (reference)" if change in benchmark.reference_changes else ""
            lines.append(
                f"| {_code(benchmark.id)} | {_code(change.implementation)}{role} | "
                f"{_code(row.metric)} | {_value(change.old_value, row.unit)} | "
                f"{_value(change.new_value, row.unit)} | {_ratio_and_interval(row)} | "
                f"{row.verdict} |"
            )
    equivalent = sum(
        1 for b in comparison.benchmarks for c in b.changes if c.comparison.verdict == "equivalent"
    )
    total = sum(len(b.changes) for b in comparison.benchmarks)
    lines += ["", f"{equivalent} of {total} comparisons are equivalent within the margin."]
    if comparison.new_benchmarks:
        lines.append(f"New benchmarks: {', '.join(_code(i) for i in comparison.new_benchmarks)}.")
    if comparison.missing_benchmarks:
        lines.append(
            f"Missing benchmarks: {', '.join(_code(i) for i in comparison.missing_benchmarks)}."
        )
    return "\n".join(lines) + "\n"


# Verdicts in the order the Markdown table lists them: what needs attention first.
_VERDICT_RANK = {"worse": 0, "insufficient-data": 1, "inconclusive": 2, "better": 3}


def _code(text: str) -> str:
    """Write text as a Markdown code span that no backtick in it can close early."""
    text = text.replace("|", "\\|").replace("\n", " ")
    fence = "`"
    while fence in text:
        fence += "`"
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _escape(text: str) -> str:
    """Escape Markdown emphasis, code, link and table characters and HTML in plain text."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for character in "\\`*_[]|~":
        text = text.replace(character, "\\" + character)
    return text
