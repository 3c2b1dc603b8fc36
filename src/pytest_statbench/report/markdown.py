"""Markdown summary of one run, for a GitHub Actions job summary or a pull-request comment.

The gate outcome comes first, then a table of the comparisons whose verdict is not
``equivalent``, then one line that counts the equivalent ones. The table lists the comparisons
that count towards the win rate first, and the worst verdicts first within each group. Names
from the run are written as code spans, where Markdown, HTML, links and @-mentions are not
interpreted, and ``|`` is escaped so that it cannot split a table cell. Other text from the run
is escaped with backslashes and HTML character references.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..schema.structure import check_run
from .format import format_interval, format_number, format_p_value, format_percent, format_ratio

# Verdicts in the order the table lists them: what needs attention first.
VERDICT_ORDER = ("worse", "insufficient-data", "inconclusive", "better")

# Characters that start Markdown syntax in the middle of a line: emphasis, code, links, images,
# strikethrough and table cells. Text from the run never starts a line here, so the characters
# that only matter there (#, +, -, digits and a period) stay as they are.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_BACKTICK_RUN = re.compile(r"`+")


def markdown_summary(run: Mapping[str, Any], *, max_rows: int | None = None) -> str:
    """Summarise a run in GitHub-flavoured Markdown: gates, notable comparisons, the rest counted.

    ``max_rows`` limits the table, for a pull-request comment, whose size GitHub limits. The
    comparisons left out are counted below the table. None lists every comparison that is not
    ``equivalent``.
    """
    check_run(run)
    if max_rows is not None and max_rows < 0:
        raise ValueError(f"max_rows must be 0 or more, or None for no limit, got {max_rows!r}")

    lines = _gate_lines(run)
    lines.append("")
    lines.append(_figures_line(run))

    comparisons = [
        (benchmark, comparison)
        for benchmark in run["benchmarks"]
        for comparison in benchmark["comparisons"]
    ]
    equivalent = [item for item in comparisons if item[1]["verdict"] == "equivalent"]
    # Counted comparisons decide the gates, so they come first, the worst verdicts first.
    notable = sorted(
        (item for item in comparisons if item[1]["verdict"] != "equivalent"),
        key=lambda item: (not _is_counted(item[1]), _verdict_rank(item[1]["verdict"])),
    )
    listed = notable if max_rows is None else notable[:max_rows]

    if listed:
        lines.append("")
        show_counted = any(not _is_counted(comparison) for _, comparison in comparisons)
        lines.extend(_comparison_table(listed, show_counted=show_counted))
    if len(listed) < len(notable):
        left_out = len(notable) - len(listed)
        lines.append("")
        lines.append(
            f"{left_out} more {_plural(left_out, 'comparison', 'comparisons')} not listed; "
            "the HTML report has them all."
        )

    lines.append("")
    lines.append(_equivalent_line(len(equivalent), len(comparisons)))
    return "\n".join(lines) + "\n"


def code_span(text: str) -> str:
    """Write text as an inline code span that is safe inside a GitHub table cell.

    The fence is one backtick longer than the longest run of backticks in the text, newlines
    become spaces, and ``|`` is escaped, because GitHub splits table cells on it before it
    parses code spans.
    """
    text = " ".join(str(text).splitlines()).replace("|", "\\|")
    if not text:
        return "` `"
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * (longest + 1)
    # A space on each side keeps a backtick at either end of the text out of the fence.
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def escape_text(text: str) -> str:
    """Escape text so that Markdown and HTML show it literally, on one line."""
    text = " ".join(str(text).splitlines())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A character reference keeps "@name" from becoming a mention.
    text = text.replace("@", "&#64;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _gate_lines(run: Mapping[str, Any]) -> list[str]:
    summary = run["summary"]
    gates = summary["gates"]
    failed = [gate for gate in gates if not gate["passed"]]
    if not gates:
        outcome = "PASSED, no gate set"
    elif failed and len(gates) == 1:
        outcome = "FAILED, the gate failed"
    elif failed:
        outcome = (
            f"FAILED, {len(failed)} of {len(gates)} {_plural(len(gates), 'gate', 'gates')} failed"
        )
    elif len(gates) == 1:
        outcome = "PASSED, the gate passed"
    else:
        outcome = f"PASSED, all {len(gates)} gates passed"
    if not summary["passed"] and not failed:
        outcome = "FAILED"

    lines = [f"### pytest-statbench: {outcome}"]
    if gates:
        lines.append("")
    for gate in gates:
        result = "passed" if gate["passed"] else "**failed**"
        lines.append(f"- {code_span(gate['name'])} {result}: {escape_text(gate['message'])}")
    return lines


def _figures_line(run: Mapping[str, Any]) -> str:
    summary = run["summary"]
    return (
        f"Win rate {format_percent(summary['win_rate'])} "
        f"({_count(summary['wins'])} of {_count(summary['comparisons'])}), "
        f"average improvement {format_percent(summary['average_improvement'])} "
        f"(geometric mean ratio {format_ratio(summary['geometric_mean_ratio'])}), "
        f"alpha {format_number(run['settings']['alpha'])}, seed {_count(run['seed'])}."
    )


def _comparison_table(
    items: list[tuple[Mapping[str, Any], Mapping[str, Any]]], *, show_counted: bool
) -> list[str]:
    levels = {
        comparison["confidence_level"]
        for _, comparison in items
        if comparison["ci"] and not _is_deterministic(comparison)
    }
    # A confidence level shared by every row goes in the header, or else each cell names its own.
    shared_level = format_percent(levels.pop()) if len(levels) == 1 else None
    interval_header = f"Ratio [{shared_level} CI]" if shared_level else "Ratio [CI]"
    counted_header, counted_rule = (" Counted |", "---|") if show_counted else ("", "")
    lines = [
        f"| Benchmark | Candidate | Metric | {interval_header} | Holm p | Verdict |"
        + counted_header,
        f"|---|---|---|---:|---:|---|{counted_rule}",
    ]
    for benchmark, comparison in items:
        metric = code_span(str(comparison.get("metric", "time")))
        unit = str(comparison.get("unit", ""))
        if unit:
            metric += f" ({escape_text(unit)})"
        counted = ""
        if show_counted:
            counted = " yes |" if _is_counted(comparison) else " no |"
        lines.append(
            f"| {code_span(benchmark['id'])} | {code_span(comparison['candidate'])} "
            f"| {metric} | {_estimate(comparison, shared_level)} "
            f"| {format_p_value(comparison['p_value_holm'])} "
            f"| {_verdict_text(comparison['verdict'])} |{counted}"
        )
    return lines


def _estimate(comparison: Mapping[str, Any], shared_level: str | None) -> str:
    """Format the ratio with its interval, or with the exact values of a deterministic metric."""
    estimate = format_ratio(comparison["ratio"])
    if _is_deterministic(comparison):
        candidate = comparison.get("candidate_value")
        baseline = comparison.get("baseline_value")
        if candidate is not None and baseline is not None:
            estimate += f" (exact: {format_number(candidate)} / {format_number(baseline)})"
        return estimate
    if comparison["ci"] is not None:
        estimate += f" {format_interval(comparison['ci'])}"
        if shared_level is None:
            estimate += f" ({format_percent(comparison['confidence_level'])})"
    return estimate


def _is_deterministic(comparison: Mapping[str, Any]) -> bool:
    kind = comparison.get("kind")
    if kind is not None:
        return bool(kind == "deterministic")
    return comparison.get("candidate_value") is not None


def _is_counted(comparison: Mapping[str, Any]) -> bool:
    """Return whether a comparison counts towards the win rate, True for a run without `counted`."""
    return comparison.get("counted", True) is not False


def _equivalent_line(equivalent: int, total: int) -> str:
    if total == 0:
        return "No comparison was made."
    if equivalent == 0:
        return f"None of the {total} comparisons is equivalent within the margin."
    verb = "is" if equivalent == 1 else "are"
    return (
        f"{equivalent} of {total} {_plural(total, 'comparison', 'comparisons')} {verb} "
        "equivalent within the margin and not listed."
    )


def _verdict_text(verdict: str) -> str:
    text = escape_text(verdict)
    return f"**{text}**" if verdict == "worse" else text


def _verdict_rank(verdict: str) -> int:
    if verdict in VERDICT_ORDER:
        return VERDICT_ORDER.index(verdict)
    return len(VERDICT_ORDER)


def _count(value: Any) -> str:
    return "n/a" if value is None else escape_text(str(value))


def _plural(count: int, singular: str, plural: str) -> str:
    return singular if count == 1 else plural
