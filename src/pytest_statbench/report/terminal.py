"""The summary printed at the end of a benchmark session."""

from __future__ import annotations

from typing import Any

from .format import (
    format_interval,
    format_memory,
    format_p_value,
    format_percent,
    format_ratio,
    format_time,
)

Line = tuple[str, dict[str, bool]]

VERDICT_MARKUP: dict[str, dict[str, bool]] = {
    "better": {"green": True},
    "worse": {"red": True},
    "equivalent": {},
    "inconclusive": {"yellow": True},
    "insufficient-data": {"yellow": True},
}


# Names longer than this are cut in the terminal; the JSON and the reports keep them whole.
MAX_NAME = 60


def clean(text: object, limit: int | None = MAX_NAME) -> str:
    """Make user text safe for one terminal line: escape control characters, cut long text."""
    shown = "".join(
        character if character.isprintable() else repr(character)[1:-1]
        for character in str(text)
    )
    if limit is None or len(shown) <= limit:
        return shown
    return shown[: limit - 1] + "…"


def _table(rows: list[list[str]]) -> list[str]:
    rows = [[clean(cell) for cell in row] for row in rows]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
            for row in rows]


def benchmark_lines(benchmark: dict[str, Any], confidence_level: float) -> list[Line]:
    """Return the table of one benchmark: one row per implementation."""
    heading = f"{clean(benchmark['id'], limit=None)} ({benchmark['rounds']} rounds)"
    lines: list[Line] = [(heading, {"bold": True})]
    comparisons = {c["candidate"]: c for c in benchmark["comparisons"] if c["metric"] == "time"}
    header = ["implementation", "median", f"ratio [{confidence_level * 100:.4g}% CI]", "verdict",
              "p (Holm)"]
    rows = [header]
    verdicts = [""]
    for implementation in benchmark["implementations"]:
        name = implementation["name"]
        median = format_time(implementation["median_time"])
        if name == benchmark["baseline"]:
            rows.append([f"{name} (baseline)", median, "", "", ""])
            verdicts.append("")
            continue
        comparison = comparisons.get(name)
        noise_floor = benchmark.get("noise_floor")
        if noise_floor and name == noise_floor["copy"]:
            rows.append([name, median, _estimate(noise_floor), "A/A", ""])
            verdicts.append("")
            continue
        if comparison is None:
            rows.append([name, median, "", "", ""])
            verdicts.append("")
            continue
        rows.append([
            name,
            median,
            _estimate(comparison),
            comparison["verdict"],
            format_p_value(comparison["p_value_holm"]),
        ])
        verdicts.append(comparison["verdict"])
    for text, verdict in zip(_table(rows), verdicts):
        lines.append((text, VERDICT_MARKUP.get(verdict, {})))

    for comparison in comparisons.values():
        if comparison["verdict"] in ("inconclusive", "insufficient-data"):
            lines.append((f"    {clean(comparison['candidate'])}: {comparison['reason']}", {}))
        expectation = comparison.get("expectation")
        if expectation and not expectation["met"]:
            lines.append((
                (f"    {comparison['candidate']}: expected {expectation['expect']}, "
                f"got {comparison['verdict']}"),
                {"red": True},
            ))
    lines.extend(_other_metric_lines(benchmark))
    anova = benchmark.get("anova")
    if anova and anova["status"] == "ok":
        lines.append((
            (f"    one-way ANOVA on log-times: F({anova['df_between']:.0f}, "
            f"{anova['df_within']:.0f}) = {anova['statistic']:.3g}, "
            f"p {_p_clause(anova['p_value'])}, eta squared = {anova['eta_squared']:.3f}"),
            {},
        ))
        if anova.get("welch_statistic") is not None:
            lines.append((
                (f"    Welch's ANOVA: F({anova['df_between']:.0f}, {anova['welch_df_within']:.1f}) "
                f"= {anova['welch_statistic']:.3g}, p {_p_clause(anova['welch_p_value'])}"),
                {},
            ))
        for pair in anova.get("posthoc", []):
            if pair["ratio"] is None:
                continue
            lines.append((
                (f"      Games-Howell {pair['first']} / {pair['second']}: "
                f"{_estimate(pair)}, p {_p_clause(pair['p_value'])}"),
                {},
            ))
    noise_floor = benchmark.get("noise_floor")
    if noise_floor:
        if noise_floor["floor"] is None:
            lines.append((f"    noise floor: n/a ({noise_floor['reason']})", {"yellow": True}))
        else:
            used = ", used as the margin" if noise_floor["used_as_margin"] else ""
            lines.append((
                (f"    noise floor: {format_percent(noise_floor['floor'])} (baseline against its "
                f"A/A copy{used})"),
                {},
            ))
    for note in benchmark.get("notes", []):
        lines.append((f"    note: {note}", {}))
    lines.extend(_diagnostic_lines(benchmark.get("diagnostics", [])))
    return lines


def _diagnostic_lines(diagnostics: list[dict[str, Any]]) -> list[Line]:
    """Return one warning per kind of diagnostic, listing each implementation's value."""
    from ..diagnostics import HEADLINES

    by_kind: dict[str, list[dict[str, Any]]] = {}
    for diagnostic in diagnostics:
        by_kind.setdefault(diagnostic["kind"], []).append(diagnostic)
    lines: list[Line] = []
    for kind, group in by_kind.items():
        values = ", ".join(
            f"{d['implementation']!r} {d['detail']}" if d["implementation"] else d["detail"]
            for d in group
        )
        headline = HEADLINES.get(kind, kind)
        lines.append((f"    warning: {headline}: {values}; {group[0]['remedy']}", {"yellow": True}))
    return lines


def summary_lines(run: dict[str, Any]) -> list[Line]:
    """Return every line of the session summary with its terminal markup."""
    settings = run["settings"]
    summary = run["summary"]
    lines: list[Line] = []
    if not run["benchmarks"]:
        lines.append(("no benchmark was measured", {"yellow": True}))
    for benchmark in run["benchmarks"]:
        lines.extend(benchmark_lines(benchmark, settings["confidence_level"]))
        lines.append(("", {}))

    made = summary["comparisons"]
    lines.append((
        (f"win rate: {format_percent(summary['win_rate'])} ({summary['wins']} of {made} "
        f"comparisons better beyond the {settings['margin'] * 100:.4g}% margin, Holm-adjusted)"),
        {},
    ))
    lines.append((
        (f"average improvement: {format_percent(summary['average_improvement'])} "
        f"(geometric mean ratio {format_ratio(summary['geometric_mean_ratio'])}"
        f"{_interval_suffix(summary.get('geometric_mean_ratio_ci'))} over {made} comparisons)"),
        {},
    ))
    counts = ", ".join(f"{count} {verdict}" for verdict, count in summary["verdicts"].items())
    lines.append((f"verdicts: {counts}", {}))
    for gate in summary["gates"]:
        outcome = "passed" if gate["passed"] else "FAILED"
        lines.append((f"gate {gate['name']}: {outcome}: {gate['message']}",
                      {"green": True} if gate["passed"] else {"red": True, "bold": True}))
    if not summary["gates"]:
        lines.append(("gates: none set (--bench-min-win-rate, --bench-min-improvement)", {}))
    lines.append((f"seed: {run['seed']} (repeat with --bench-seed={run['seed']})", {}))
    return lines


def _p_clause(value: float | None) -> str:
    text = format_p_value(value)
    return text.replace("<", "< ") if text.startswith("<") else f"= {text}"


def _estimate(comparison: dict[str, Any]) -> str:
    if comparison["ratio"] is None:
        return format_ratio(None)
    return f"{format_ratio(comparison['ratio'])} {format_interval(comparison['ci'])}"


def _other_metric_lines(benchmark: dict[str, Any]) -> list[Line]:
    """Return a row per candidate and metric other than time that is not equivalent.

    Equivalent ones are only counted, to keep the summary short; the JSON and HTML list all.
    """
    all_others = [c for c in benchmark["comparisons"] if c["metric"] != "time"]
    others = [c for c in all_others if c["verdict"] != "equivalent"]
    equivalent = sorted({c["metric"] for c in all_others if c["verdict"] == "equivalent"})
    if not all_others:
        return []
    if not others:
        return [(f"  other metrics: all equivalent ({', '.join(equivalent)})", {})]
    rows = [["metric", "candidate", "value", "baseline", "ratio [CI]", "verdict"]]
    verdicts = [""]
    for comparison in others:
        if comparison["kind"] == "deterministic":
            value = _metric_value(comparison["candidate_value"], comparison["unit"])
            baseline = _metric_value(comparison["baseline_value"], comparison["unit"])
            estimate = format_ratio(comparison["ratio"])
        else:
            value = baseline = ""
            estimate = _estimate(comparison)
        rows.append([
            comparison["metric"],
            comparison["candidate"],
            value,
            baseline,
            estimate,
            comparison["verdict"],
        ])
        verdicts.append(comparison["verdict"])
    lines: list[Line] = [("  other metrics:", {})]
    for text, verdict in zip(_table(rows), verdicts, strict=True):
        lines.append(("  " + text, VERDICT_MARKUP.get(verdict, {})))
    if equivalent:
        lines.append((f"    equivalent elsewhere: {', '.join(equivalent)}", {}))
    return lines


def _metric_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "B":
        return format_memory(value)
    if unit == "" and 0 <= value <= 1 and not float(value).is_integer():
        return format_percent(value)
    # Counts such as lines need no unit in a column headed by the metric's name.
    shown_unit = f" {unit}" if unit not in ("", "lines") else ""
    if float(value).is_integer():
        return f"{value:.0f}{shown_unit}"
    return f"{value:.3g}{shown_unit}"


def _interval_suffix(interval: list[float | None] | None) -> str:
    if not interval or interval[0] is None or interval[1] is None:
        return ""
    return f" {format_interval(interval)}"
