"""HTML report of one run: a single self-contained page with inline CSS and inline SVG charts.

The input is the run dict described in docs/json.md (schema ``pytest-statbench/run``, version 1).
Every value from the run reaches the page through Jinja2 autoescaping, or markupsafe.escape for
the raw sample rows. So benchmark ids, implementation names, reasons and error messages cannot
inject markup in text, attributes or the inline SVG. The page has no script and loads nothing
from any host. Its Content-Security-Policy forbids scripts and every request except inline
styles and data: images.

Chart geometry (pixel positions, ticks, quartiles) is computed here in Python, so the template
only lays it out. Comparisons are grouped by their ``metric`` and ``unit``. Each sampled metric
gets its own table and forest plot, the deterministic metrics share a table and get bar charts,
and every metric gets a heat map column.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from ..results import VERDICTS
from ..schema.samples import sample_columns
from ..schema.structure import check_run
from .format import (
    format_created,
    format_memory,
    format_number,
    format_p_value,
    format_p_value_clause,
    format_percent,
    format_plain,
    format_ratio,
    format_time,
    verdict_class,
)

TEMPLATE_DIRECTORY = Path(__file__).parent / "templates"
TEMPLATE_NAME = "report.html.j2"

THEMES = ("professional", "minimal", "dark")

# The heat map starts open up to this many rows, and closed beyond, where it would push the
# rest of the dashboard several screens down.
HEAT_MAP_OPEN_ROWS = 60

# The metric and unit of a comparison written before comparisons had other metrics than time.
DEFAULT_METRIC = "time"
DEFAULT_UNIT = "s"

# Units of the sample lists that docs/json.md defines; other lists are shown without a unit.
SAMPLE_UNITS = {"time": "s", "cpu_time": "s"}


def render_html(
    run: Mapping[str, Any],
    *,
    theme: str = "professional",
    include_charts: bool = True,
    include_raw_data: bool = True,
    include_details: bool = True,
) -> str:
    """Render one run (schema pytest-statbench/run, version 1) as a self-contained HTML page.

    ``theme`` is one of THEMES. ``include_charts`` adds the inline SVG charts (heat map, forest
    plots, box plots, bar charts), ``include_raw_data`` a collapsible section with every sample
    and recorded error, and ``include_details`` the implementation tables, reasons, ANOVA,
    noise floor, notes, diagnostics, settings and environment. The dashboard and the comparison
    tables are always there.

    Raises TypeError when a part of the run has the wrong type and ValueError when a required
    key is missing, the schema is not version 1 of pytest-statbench/run or the theme is unknown.
    """
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, got {theme!r}")
    check_run(run)

    sections = [
        build_benchmark_section(
            benchmark,
            index=index,
            include_charts=include_charts,
            include_raw_data=include_raw_data,
        )
        for index, benchmark in enumerate(run["benchmarks"])
    ]
    heat_map = build_heat_map(run["benchmarks"]) if include_charts else None

    template = _environment().get_template(TEMPLATE_NAME)
    return template.render(
        run=run,
        theme=theme,
        dashboard=build_dashboard(run),
        sections=sections,
        heat_map=heat_map,
        heat_map_open_rows=HEAT_MAP_OPEN_ROWS,
        include_charts=include_charts,
        include_raw_data=include_raw_data,
        include_details=include_details,
    )


# Page parts computed in Python, so the template only lays them out.


@dataclass(frozen=True)
class Dashboard:
    """The figures at the top of the page: gate outcome first, then the session's results."""

    passed: bool
    gates: list[Mapping[str, Any]]
    failed_gates: list[Mapping[str, Any]]
    verdict_counts: list[tuple[str, Any]]
    comparisons: int
    significant: int
    tested: int
    alpha: Any
    environment: list[tuple[str, str]]


@dataclass(frozen=True)
class MetricGroup:
    """The comparisons of one benchmark on one sampled metric, with their forest plot."""

    metric: str
    unit: str
    label: str
    better: str
    comparisons: list[Mapping[str, Any]]
    forest_plot: ForestPlot | None

    @property
    def direction(self) -> str:
        """How to read a ratio of this metric, such as "ratio below 1 is faster"."""
        if self.metric == "time":
            return "ratio below 1 is faster"
        if self.better == "higher":
            return "ratio above 1 is better"
        return "ratio below 1 is better"


@dataclass(frozen=True)
class RawTable:
    """Every sample of one implementation as text cells, and its recorded errors."""

    implementation: str
    headers: list[str]
    rows: list[list[str]]
    errors: list[Mapping[str, Any]]
    failures: Any
    # Values recorded with bench.record outside the rounds, as (metric, values) pairs.
    outside_rounds: list[tuple[str, list[str]]]

    @property
    def body_html(self) -> markupsafe.Markup:
        """The rows as table markup with every cell escaped by markupsafe.

        Built in Python because a template loop over the rows made the page of
        benchmarks/report_size.py (20,040 samples) take 0.62 s to render instead of 0.36 s.
        """
        escape = markupsafe.escape
        lines = [
            "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
            for row in self.rows
        ]
        return markupsafe.Markup("\n".join(lines))


@dataclass(frozen=True)
class BenchmarkSection:
    """One benchmark with its anchor id, comparisons by metric, charts and raw data."""

    anchor: str
    benchmark: Mapping[str, Any]
    metric_groups: list[MetricGroup]
    deterministic_comparisons: list[Mapping[str, Any]]
    box_plots: list[BoxPlot]
    bar_charts: list[BarChart]
    failing_implementations: list[Mapping[str, Any]]
    supplied: list[tuple[str, str, Any]]
    raw_tables: list[RawTable]
    sample_count: int

    @property
    def forest_plot(self) -> ForestPlot | None:
        """The forest plot of the first sampled metric, time in a run of the plugin."""
        return self.metric_groups[0].forest_plot if self.metric_groups else None


def build_dashboard(run: Mapping[str, Any]) -> Dashboard:
    """Collect the gate outcome, verdict counts, significant comparisons and environment summary."""
    summary = run["summary"]
    alpha = run["settings"]["alpha"]
    comparisons = [
        comparison for benchmark in run["benchmarks"] for comparison in benchmark["comparisons"]
    ]
    holm_p_values = [
        comparison["p_value_holm"]
        for comparison in comparisons
        if _is_number(comparison["p_value_holm"])
    ]
    significant = sum(1 for p_value in holm_p_values if _is_number(alpha) and p_value < alpha)
    return Dashboard(
        passed=bool(summary["passed"]),
        gates=list(summary["gates"]),
        failed_gates=[gate for gate in summary["gates"] if not gate["passed"]],
        verdict_counts=_count_verdicts(summary["verdicts"]),
        comparisons=len(comparisons),
        significant=significant,
        tested=len(holm_p_values),
        alpha=alpha,
        environment=_environment_summary(run["environment"]),
    )


def build_benchmark_section(
    benchmark: Mapping[str, Any],
    *,
    index: int,
    include_charts: bool = True,
    include_raw_data: bool = True,
) -> BenchmarkSection:
    """Group a benchmark's comparisons by metric and lay out its charts and raw data tables.

    Each sampled metric gets a table and a forest plot. Deterministic metrics, compared
    exactly, share one table and get a bar chart of their values each.
    """
    path = f"run.benchmarks[{index}]"
    metric_groups = []
    deterministic: list[Mapping[str, Any]] = []
    for (metric, unit), comparisons in group_by_metric(benchmark["comparisons"]).items():
        sampled = [c for c in comparisons if comparison_kind(c) == "sampled"]
        deterministic.extend(c for c in comparisons if comparison_kind(c) == "deterministic")
        if not sampled:
            continue
        forest_plot = build_forest_plot(sampled, path=path) if include_charts else None
        metric_groups.append(
            MetricGroup(
                metric=metric,
                unit=unit,
                label=metric_label(metric, unit),
                better=str(sampled[0].get("better") or "lower"),
                comparisons=sampled,
                forest_plot=forest_plot,
            )
        )

    box_plots: list[BoxPlot] = []
    bar_charts: list[BarChart] = []
    if include_charts:
        for metric in _sampled_metrics(benchmark):
            box_plot = build_box_plot(benchmark, metric)
            if box_plot is not None:
                box_plots.append(box_plot)
        for metric, unit, better, values in deterministic_values(benchmark):
            bar_chart = build_bar_chart(
                metric, unit, values, baseline=benchmark["baseline"], better=better
            )
            if bar_chart is not None:
                bar_charts.append(bar_chart)

    implementations = benchmark["implementations"]
    return BenchmarkSection(
        anchor=f"benchmark-{index + 1}",
        benchmark=benchmark,
        metric_groups=metric_groups,
        deterministic_comparisons=deterministic,
        box_plots=box_plots,
        bar_charts=bar_charts,
        failing_implementations=[
            implementation
            for implementation in implementations
            if implementation["failures"] or implementation["errors"]
        ],
        supplied=[
            (implementation["name"], str(key), value)
            for implementation in implementations
            if isinstance(implementation.get("supplied"), Mapping)
            for key, value in implementation["supplied"].items()
        ],
        raw_tables=[_raw_table(implementation) for implementation in implementations]
        if include_raw_data
        else [],
        sample_count=sum(
            len(implementation["samples"]["time"]) for implementation in implementations
        ),
    )


def comparison_kind(comparison: Mapping[str, Any]) -> str:
    """Return "sampled" or "deterministic", from ``kind`` or, in a run without it, the values.

    A comparison with a ``candidate_value`` compares exact values; any other compares samples,
    as every comparison did before deterministic metrics were added.
    """
    kind = comparison.get("kind")
    if kind in ("sampled", "deterministic"):
        return str(kind)
    return "deterministic" if comparison.get("candidate_value") is not None else "sampled"


def group_by_metric(
    comparisons: Iterable[Mapping[str, Any]],
) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """Group comparisons by (metric, unit), in order of first appearance.

    A comparison without ``metric`` or ``unit`` counts as time in seconds, as every comparison
    was before other metrics were added.
    """
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for comparison in comparisons:
        key = (
            str(comparison.get("metric", DEFAULT_METRIC)),
            str(comparison.get("unit", DEFAULT_UNIT)),
        )
        groups.setdefault(key, []).append(comparison)
    return groups


def metric_label(metric: str, unit: str) -> str:
    """Return a metric's name with its unit in brackets, such as "time (s)"."""
    return f"{metric} ({unit})" if unit else metric


def deterministic_values(
    benchmark: Mapping[str, Any],
) -> list[tuple[str, str, str, list[tuple[str, float | None]]]]:
    """List each deterministic metric as (metric, unit, better, [(implementation, value)]).

    The values come from the comparisons' ``baseline_value`` and ``candidate_value``, the
    baseline first and then the candidates in the order of the implementations. A metric is
    listed when at least one value is a number.
    """
    order = {
        implementation["name"]: number
        for number, implementation in enumerate(benchmark["implementations"])
    }
    listed = []
    for (metric, unit), comparisons in group_by_metric(benchmark["comparisons"]).items():
        exact = [c for c in comparisons if comparison_kind(c) == "deterministic"]
        if not exact:
            continue
        values: dict[str, float | None] = {}
        for comparison in exact:
            if values.get(comparison["baseline"]) is None:
                values[comparison["baseline"]] = _number_or_none(comparison.get("baseline_value"))
            values[comparison["candidate"]] = _number_or_none(comparison.get("candidate_value"))
        if all(value is None for value in values.values()):
            continue
        ordered = sorted(values.items(), key=lambda item: order.get(item[0], len(order)))
        better = str(exact[0].get("better") or "lower")
        listed.append((metric, unit, better, ordered))
    return listed


def _sampled_metrics(benchmark: Mapping[str, Any]) -> list[str]:
    """Name the sample lists to draw as box plots: time, then each other compared metric."""
    compared = [
        metric
        for (metric, _), comparisons in group_by_metric(benchmark["comparisons"]).items()
        if any(comparison_kind(comparison) == "sampled" for comparison in comparisons)
    ]
    keys: set[str] = set()
    for implementation in benchmark["implementations"]:
        keys.update(implementation["samples"])
    metrics = ["time"]
    metrics.extend(metric for metric in compared if metric in keys and metric not in metrics)
    return metrics


def _raw_table(implementation: Mapping[str, Any]) -> RawTable:
    columns = sample_columns(implementation)
    count = len(next(iter(columns.values()), []))
    rows = [[_raw_cell(values[row]) for values in columns.values()] for row in range(count)]
    headers = [f"{key} ({SAMPLE_UNITS[key]})" if key in SAMPLE_UNITS else key for key in columns]
    outside_rounds = []
    recorded = implementation.get("recorded")
    if isinstance(recorded, Mapping):
        for name, entry in recorded.items():
            values = entry.get("outside_rounds") if isinstance(entry, Mapping) else None
            if values:
                outside_rounds.append((str(name), [_raw_cell(value) for value in values]))
    return RawTable(
        implementation=implementation["name"],
        headers=headers,
        rows=rows,
        errors=list(implementation["errors"]),
        failures=implementation["failures"],
        outside_rounds=outside_rounds,
    )


def _raw_cell(value: Any) -> str:
    """Format a stored sample value exactly: repr() of a float round-trips."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _environment_summary(environment: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Pick the environment values that tell two machines apart, as (label, text) pairs."""
    python = " ".join(
        str(environment[key]) for key in ("implementation", "python") if environment.get(key)
    )
    cpu_count = environment.get("cpu_count")
    pairs = [
        ("Python", python),
        ("Platform", str(environment.get("platform") or "")),
        ("Machine", str(environment.get("machine") or "")),
        ("CPUs", "" if cpu_count is None else str(cpu_count)),
    ]
    return [(label, text) for label, text in pairs if text]


def _count_verdicts(verdicts: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """List (verdict, count) for every known verdict in a fixed order, then any other verdict."""
    counts = [(verdict, verdicts.get(verdict, 0)) for verdict in VERDICTS]
    counts.extend(
        (verdict, count) for verdict, count in verdicts.items() if verdict not in VERDICTS
    )
    return counts


def _number_or_none(value: Any) -> float | None:
    return float(value) if _is_number(value) else None


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


# Values with their units, for table cells, chart labels and tick labels.


def format_value(value: float | None, unit: str) -> str:
    """Format a metric value with its unit: SI prefixes for seconds, KiB and MiB for bytes."""
    if unit == "s":
        return format_time(value)
    if unit == "B":
        return format_memory(value)
    text = format_number(value)
    if not unit or text == "n/a":
        return text
    return f"{text} {unit}"


def _unit_scales(unit: str) -> tuple[tuple[str, float], ...]:
    if unit == "s":
        return (("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0))
    if unit == "B":
        return (("B", 1.0), ("KiB", 1024.0), ("MiB", 1024.0**2), ("GiB", 1024.0**3))
    return (("", 1.0),)


def _tick_unit(largest: float, unit: str) -> float:
    """Return the scale of the display unit for values up to `largest`, such as 1024 for KiB."""
    chosen = 1.0
    for _, scale in _unit_scales(unit):
        if largest >= scale:
            chosen = scale
    return chosen


def _tick_label(value: float, unit: str) -> str:
    """Format a tick value in a few characters, such as "10 µs", "1.5 MiB" or "200 lines"."""
    if value == 0:
        return f"0 {unit}".strip()
    if unit not in ("s", "B"):
        return f"{value:.4g} {unit}".strip()
    scales = _unit_scales(unit)
    name, scale = scales[0]
    for candidate_name, candidate_scale in scales:
        if abs(value) >= candidate_scale * 0.999:
            name, scale = candidate_name, candidate_scale
    return f"{value / scale:.3g} {name}"


# Axes shared by the charts.


@dataclass(frozen=True)
class Tick:
    """A labelled tick on an axis, at pixel position x."""

    x: float
    label: str


@dataclass(frozen=True)
class _Axis:
    """Map values in [low, high] to pixels in [left, right], on a log or a linear scale."""

    low: float
    high: float
    left: float
    right: float
    log: bool
    # Linear ticks are round numbers in this unit, such as 1024 for ticks at whole KiB.
    tick_unit: float = 1.0
    tick_count: int = 5

    def x(self, value: float) -> float:
        if self.log:
            share = (math.log(value) - math.log(self.low)) / (
                math.log(self.high) - math.log(self.low)
            )
        else:
            share = (value - self.low) / (self.high - self.low)
        return round(self.left + share * (self.right - self.left), 1)

    def ticks(self, label: Callable[[float], str]) -> list[Tick]:
        if self.log:
            values = _log_ticks(self.low, self.high)
        else:
            values = [
                value * self.tick_unit
                for value in _linear_ticks(
                    self.low / self.tick_unit, self.high / self.tick_unit, self.tick_count
                )
            ]
        return [Tick(x=self.x(value), label=label(value)) for value in values]


_PLOT_WIDTH = 860.0
_ROW_HEIGHT = 26.0
_PLOT_TOP = 8.0
_PLOT_RIGHT_PADDING = 16.0
_AXIS_HEIGHT = 44.0
_LABEL_CHARACTERS = 28
# Estimated width of one character of the 12 px label font, used to size the label column.
_LABEL_CHARACTER_WIDTH = 7.0


def _padded_domain(low: float, high: float) -> tuple[float, float]:
    """Widen [low, high] by 8% of its log width on each side, and by at least 1%."""
    padding = max((math.log(high) - math.log(low)) * 0.08, 0.01)
    return math.exp(math.log(low) - padding), math.exp(math.log(high) + padding)


def _log_ticks(low: float, high: float) -> list[float]:
    """Choose about 3 to 8 round tick values in [low, high] for a log axis.

    A narrow domain (high / low below 3) gets evenly spaced ticks, because a log axis that narrow
    is close to linear. A wider one gets 1-2-5 ticks per decade, or fewer per decade when the
    domain spans many decades. The value 1 is a tick whenever the domain contains it.
    """
    if high / low < 3:
        return _linear_ticks(low, high, count=7)

    decades = range(math.floor(math.log10(low)), math.floor(math.log10(high)) + 1)
    ticks: list[float] = []
    for mantissas in ((1, 1.5, 2, 3, 5, 7), (1, 2, 5), (1,)):
        ticks = [
            value
            for exponent in decades
            for mantissa in mantissas
            if low <= (value := float(f"{mantissa}e{exponent}")) <= high
        ]
        if len(ticks) <= 8:
            return ticks

    # More than 8 decades: keep every step-th power of ten, counted from 1 when 1 is a tick.
    step = math.ceil(len(ticks) / 8)
    anchor = ticks.index(1.0) if 1.0 in ticks else 0
    return [value for index, value in enumerate(ticks) if (index - anchor) % step == 0]


def _linear_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Choose round tick values in [low, high], about `count` of them, at a 1-2-2.5-5 step."""
    if high <= low:
        return [low]
    raw_step = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(
        factor * magnitude for factor in (1, 2, 2.5, 5, 10) if factor * magnitude >= raw_step
    )
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(index * step, 12) for index in range(first, last + 1)]


def _shorten(text: str, limit: int = _LABEL_CHARACTERS) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def _shorten_start(text: str, limit: int) -> str:
    """Shorten from the start, because the end of a node id names the test."""
    if len(text) <= limit:
        return text
    return "…" + text[len(text) - limit + 1 :]


# The forest plot: each comparison's ratio and confidence interval on a log axis.


@dataclass(frozen=True)
class ForestPlotRow:
    """One comparison in the forest plot: its ratio and confidence interval as pixel positions."""

    candidate: str
    label: str
    verdict: str
    ratio: float
    confidence_interval: tuple[float, float] | None
    confidence_level: float
    top: float
    y: float
    ratio_x: float
    low_x: float | None
    high_x: float | None
    band_left: float
    band_right: float


@dataclass(frozen=True)
class ForestPlot:
    """Pixel geometry of a forest plot of ratios on a log x axis."""

    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    row_height: float
    one_x: float
    ticks: list[Tick]
    rows: list[ForestPlotRow]
    axis_label: str
    axis_label_x: float
    axis_label_y: float
    skipped: int


def build_forest_plot(
    comparisons: Sequence[Mapping[str, Any]], path: str = "comparisons"
) -> ForestPlot | None:
    """Lay out a forest plot of the comparisons' ratios and confidence intervals on a log x axis.

    Comparisons without a positive, finite ratio are skipped and counted in `skipped`. Returns
    None when no comparison has a ratio to plot. `path` names the comparisons in error messages.
    The axis is labelled with the metric of the first comparison.
    """
    plotted: list[tuple[Mapping[str, Any], float, tuple[float, float] | None, float]] = []
    for index, comparison in enumerate(comparisons):
        item_path = f"{path}.comparisons[{index}]"
        ratio = _plot_value(comparison["ratio"], f"{item_path}.ratio")
        if ratio is None:
            continue
        confidence_interval = _plot_interval(comparison["ci"], f"{item_path}.ci")
        margin = _plot_margin(comparison["margin"], f"{item_path}.margin")
        plotted.append((comparison, ratio, confidence_interval, margin))

    if not plotted:
        return None

    values = [1.0]
    for _, ratio, confidence_interval, margin in plotted:
        values.extend((ratio, 1 - margin, 1 + margin))
        if confidence_interval is not None:
            values.extend(confidence_interval)
    low, high = _padded_domain(min(values), max(values))

    longest_label = max(len(_shorten(comparison["candidate"])) for comparison, *_ in plotted)
    plot_left = 16.0 + _LABEL_CHARACTER_WIDTH * longest_label
    plot_right = _PLOT_WIDTH - _PLOT_RIGHT_PADDING
    plot_bottom = _PLOT_TOP + _ROW_HEIGHT * len(plotted)
    axis = _Axis(low=low, high=high, left=plot_left, right=plot_right, log=True)

    rows = []
    for number, (comparison, ratio, confidence_interval, margin) in enumerate(plotted):
        top = _PLOT_TOP + _ROW_HEIGHT * number
        rows.append(
            ForestPlotRow(
                candidate=comparison["candidate"],
                label=_shorten(comparison["candidate"]),
                verdict=comparison["verdict"],
                ratio=ratio,
                confidence_interval=confidence_interval,
                confidence_level=comparison["confidence_level"],
                top=top,
                y=top + _ROW_HEIGHT / 2,
                ratio_x=axis.x(ratio),
                low_x=None if confidence_interval is None else axis.x(confidence_interval[0]),
                high_x=None if confidence_interval is None else axis.x(confidence_interval[1]),
                band_left=axis.x(1 - margin),
                band_right=axis.x(1 + margin),
            )
        )

    metric = str(plotted[0][0].get("metric", DEFAULT_METRIC))
    return ForestPlot(
        width=_PLOT_WIDTH,
        height=plot_bottom + _AXIS_HEIGHT,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=_PLOT_TOP,
        plot_bottom=plot_bottom,
        row_height=_ROW_HEIGHT,
        one_x=axis.x(1.0),
        ticks=axis.ticks(lambda value: f"{value:g}"),
        rows=rows,
        axis_label=f"{metric} ratio (candidate / baseline)",
        axis_label_x=round((plot_left + plot_right) / 2, 1),
        axis_label_y=plot_bottom + _AXIS_HEIGHT - 6,
        skipped=len(comparisons) - len(plotted),
    )


def _plot_value(value: Any, path: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{path} must be a number or null, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        return None
    return float(value)


def _plot_interval(value: Any, path: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(f"{path} must be a [low, high] pair or null, got {value!r}")
    low = _plot_value(value[0], f"{path}[0]")
    high = _plot_value(value[1], f"{path}[1]")
    if low is None or high is None:
        return None
    return (low, high)


def _plot_margin(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{path} must be a number, got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(
            f"{path} must be a relative margin in [0, 1), such as 0.05 for 5%, got {value!r}"
        )
    return float(value)


# Box plots of the per-round samples of each implementation.


@dataclass(frozen=True)
class BoxPlotRow:
    """One implementation's samples: quartiles, Tukey whiskers and outliers as pixel positions."""

    name: str
    label: str
    is_baseline: bool
    count: int
    median: float
    summary: str
    top: float
    y: float
    whisker_low_x: float
    first_quartile_x: float
    median_x: float
    third_quartile_x: float
    whisker_high_x: float
    outlier_xs: list[float]


@dataclass(frozen=True)
class BoxPlot:
    """Pixel geometry of a box plot of one sample list per implementation."""

    metric: str
    unit: str
    log_scale: bool
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    row_height: float
    ticks: list[Tick]
    rows: list[BoxPlotRow]
    axis_label: str
    axis_label_x: float
    axis_label_y: float
    skipped: int
    empty: list[str]


# Room right of the boxes for each implementation's median as text.
_BOX_VALUE_WIDTH = 80.0


def build_box_plot(benchmark: Mapping[str, Any], metric: str = "time") -> BoxPlot | None:
    """Lay out box plots of the sample list `metric` of each implementation in a benchmark.

    A list in seconds is drawn on a log axis, and the quartiles and whiskers are computed on
    log values, because timings are right-skewed and the analysis works on log-times. Other
    units get a linear axis. Whiskers reach the furthest sample within 1.5 interquartile ranges
    of the box (Tukey), and samples beyond are outliers. Null values, and zero or negative values
    on a log axis, are skipped and counted. Returns None when no implementation has a sample.
    """
    unit = SAMPLE_UNITS.get(metric, "")
    log_scale = unit == "s"

    measured: list[tuple[Mapping[str, Any], list[float]]] = []
    empty: list[str] = []
    skipped = 0
    for implementation in benchmark["implementations"]:
        raw = implementation["samples"].get(metric, [])
        values = [
            float(value) for value in raw if _is_number(value) and (value > 0 or not log_scale)
        ]
        skipped += len(raw) - len(values)
        if values:
            measured.append((implementation, values))
        else:
            empty.append(implementation["name"])
    if not measured:
        return None

    forward: Callable[[float], float] = math.log if log_scale else _identity
    backward: Callable[[float], float] = math.exp if log_scale else _identity
    every_value = [value for _, values in measured for value in values]
    low, high = min(every_value), max(every_value)
    if log_scale:
        low, high = _padded_domain(low, high)
    else:
        padding = (high - low) * 0.05 or abs(high) * 0.05 or 1.0
        low, high = low - padding, high + padding

    longest_label = max(len(_shorten(implementation["name"])) for implementation, _ in measured)
    plot_left = 16.0 + _LABEL_CHARACTER_WIDTH * longest_label
    plot_right = _PLOT_WIDTH - _PLOT_RIGHT_PADDING - _BOX_VALUE_WIDTH
    plot_bottom = _PLOT_TOP + _ROW_HEIGHT * len(measured)
    axis = _Axis(
        low=low,
        high=high,
        left=plot_left,
        right=plot_right,
        log=log_scale,
        tick_unit=_tick_unit(max(abs(low), abs(high)), unit),
    )

    rows = []
    for number, (implementation, values) in enumerate(measured):
        transformed = sorted(forward(value) for value in values)
        first_quartile, median, third_quartile = _quartiles(transformed)
        reach = 1.5 * (third_quartile - first_quartile)
        inside = [
            value
            for value in transformed
            if first_quartile - reach <= value <= third_quartile + reach
        ]
        outliers = [
            value
            for value in transformed
            if not first_quartile - reach <= value <= third_quartile + reach
        ]
        top = _PLOT_TOP + _ROW_HEIGHT * number
        median_value = backward(median)
        rows.append(
            BoxPlotRow(
                name=implementation["name"],
                label=_shorten(implementation["name"]),
                is_baseline=implementation["name"] == benchmark["baseline"],
                count=len(values),
                median=median_value,
                summary=(
                    f"median {format_value(median_value, unit)}, quartiles "
                    f"{format_value(backward(first_quartile), unit)} to "
                    f"{format_value(backward(third_quartile), unit)}, {len(values)} samples, "
                    f"{len(outliers)} outside the whiskers"
                ),
                top=top,
                y=top + _ROW_HEIGHT / 2,
                whisker_low_x=axis.x(backward(inside[0])),
                first_quartile_x=axis.x(backward(first_quartile)),
                median_x=axis.x(median_value),
                third_quartile_x=axis.x(backward(third_quartile)),
                whisker_high_x=axis.x(backward(inside[-1])),
                outlier_xs=[axis.x(backward(value)) for value in outliers],
            )
        )

    return BoxPlot(
        metric=metric,
        unit=unit,
        log_scale=log_scale,
        width=_PLOT_WIDTH,
        height=plot_bottom + _AXIS_HEIGHT,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=_PLOT_TOP,
        plot_bottom=plot_bottom,
        row_height=_ROW_HEIGHT,
        ticks=axis.ticks(lambda value: _tick_label(value, unit)),
        rows=rows,
        axis_label=f"{metric_label(metric, unit)} per call" + (", log scale" if log_scale else ""),
        axis_label_x=round((plot_left + plot_right) / 2, 1),
        axis_label_y=plot_bottom + _AXIS_HEIGHT - 6,
        skipped=skipped,
        empty=empty,
    )


def _quartiles(ordered: Sequence[float]) -> tuple[float, float, float]:
    """First quartile, median and third quartile by linear interpolation (numpy's default)."""
    if len(ordered) == 1:
        return ordered[0], ordered[0], ordered[0]
    first, median, third = statistics.quantiles(ordered, n=4, method="inclusive")
    return first, median, third


def _identity(value: float) -> float:
    return value


# Bar charts of the metrics with one value per implementation.


@dataclass(frozen=True)
class BarChartRow:
    """One implementation's bar: its value as text and the bar's pixel geometry."""

    name: str
    label: str
    is_baseline: bool
    value: float | None
    value_text: str
    top: float
    y: float
    bar_x: float
    bar_width: float
    text_x: float


@dataclass(frozen=True)
class BarChart:
    """Pixel geometry of a horizontal bar chart of one metric, from zero."""

    metric: str
    unit: str
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    zero_x: float
    row_height: float
    bar_height: float
    ticks: list[Tick]
    rows: list[BarChartRow]
    title: str
    axis_label: str
    axis_label_x: float
    axis_label_y: float


# Bar charts are half as wide as the other charts, so that two fit side by side.
_BAR_CHART_WIDTH = 420.0
_BAR_VALUE_WIDTH = 72.0
_BAR_LABEL_CHARACTERS = 20


def build_bar_chart(
    metric: str,
    unit: str,
    values: Sequence[tuple[str, float | None]],
    *,
    baseline: str | None = None,
    better: str | None = None,
) -> BarChart | None:
    """Lay out a bar chart of one value per implementation on a linear axis from zero.

    Implementations without a value get no bar and "n/a". Returns None when no value is a
    finite number. A negative value is drawn from zero to the left. ``better`` ("lower" or
    "higher") is named in the title.
    """
    numbers = [value for _, value in values if value is not None and _is_number(value)]
    if not numbers:
        return None

    low = min(0.0, *numbers)
    high = max(0.0, *numbers)
    if high == low:
        high = low + 1.0
    longest_label = max(len(_shorten(name, _BAR_LABEL_CHARACTERS)) for name, _ in values)
    plot_left = 16.0 + _LABEL_CHARACTER_WIDTH * longest_label
    plot_right = _BAR_CHART_WIDTH - _PLOT_RIGHT_PADDING - _BAR_VALUE_WIDTH
    plot_bottom = _PLOT_TOP + _ROW_HEIGHT * len(values)
    axis = _Axis(
        low=low,
        high=high,
        left=plot_left,
        right=plot_right,
        log=False,
        tick_unit=_tick_unit(max(abs(low), abs(high)), unit),
        tick_count=4,
    )
    zero_x = axis.x(0.0)

    rows = []
    for number, (name, value) in enumerate(values):
        top = _PLOT_TOP + _ROW_HEIGHT * number
        end_x = zero_x if value is None else axis.x(value)
        rows.append(
            BarChartRow(
                name=name,
                label=_shorten(name, _BAR_LABEL_CHARACTERS),
                is_baseline=name == baseline,
                value=value,
                value_text=format_value(value, unit),
                top=top,
                y=top + _ROW_HEIGHT / 2,
                bar_x=min(end_x, zero_x),
                bar_width=round(abs(end_x - zero_x), 1),
                text_x=max(end_x, zero_x) + 6,
            )
        )

    title = metric_label(metric, unit)
    if better in ("lower", "higher"):
        title += f", {better} is better"
    return BarChart(
        metric=metric,
        unit=unit,
        width=_BAR_CHART_WIDTH,
        height=plot_bottom + _AXIS_HEIGHT,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=_PLOT_TOP,
        plot_bottom=plot_bottom,
        zero_x=zero_x,
        row_height=_ROW_HEIGHT,
        bar_height=_ROW_HEIGHT - 10,
        ticks=axis.ticks(lambda tick: _tick_label(tick, unit)),
        rows=rows,
        title=title,
        axis_label=metric_label(metric, unit),
        axis_label_x=round((plot_left + plot_right) / 2, 1),
        axis_label_y=plot_bottom + _AXIS_HEIGHT - 6,
    )


# The heat map of verdicts: one row per benchmark and candidate, one column per metric.


@dataclass(frozen=True)
class HeatMapCell:
    """One comparison as a coloured cell with its ratio, or an empty cell without comparison."""

    x: float
    text_x: float
    verdict: str | None
    text: str
    title: str


@dataclass(frozen=True)
class HeatMapRow:
    """One candidate of one benchmark; the benchmark label is on its first row only."""

    benchmark_label: str
    benchmark_id: str
    candidate_label: str
    candidate: str
    href: str
    top: float
    y: float
    first_of_benchmark: bool
    cells: list[HeatMapCell]


@dataclass(frozen=True)
class HeatMap:
    """Pixel geometry of the heat map of verdicts across benchmarks and metrics."""

    width: float
    height: float
    header_height: float
    label_angle: float
    row_height: float
    cell_width: float
    candidate_x: float
    grid_left: float
    columns: list[Tick]
    rows: list[HeatMapRow]


_HEAT_MAP_ROW_HEIGHT = 22.0
_HEAT_MAP_CELL_WIDTH = 80.0
_HEAT_MAP_HEADER_HEIGHT = 28.0
_HEAT_MAP_LABEL_ANGLE = 35.0
_HEAT_MAP_BENCHMARK_CHARACTERS = 40
_HEAT_MAP_CANDIDATE_CHARACTERS = 22


def build_heat_map(benchmarks: Sequence[Mapping[str, Any]]) -> HeatMap | None:
    """Lay out the verdict of every comparison: rows are (benchmark, candidate), columns metrics.

    Each cell shows the ratio and is coloured by the verdict, and links to the benchmark's
    section. Returns None when the run has no comparison.
    """
    metrics: list[str] = []
    lines: list[tuple[int, Mapping[str, Any], str, dict[str, Mapping[str, Any]]]] = []
    for index, benchmark in enumerate(benchmarks):
        by_candidate: dict[str, dict[str, Mapping[str, Any]]] = {}
        compared = [
            str(comparison.get("metric", DEFAULT_METRIC)) for comparison in benchmark["comparisons"]
        ]
        # A benchmark's own list of metrics gives the order of the columns, when it has one.
        listed = benchmark.get("metrics")
        ordered = [str(metric) for metric in listed] if isinstance(listed, list) else []
        for metric in ordered + compared:
            if metric in compared and metric not in metrics:
                metrics.append(metric)
        for comparison in benchmark["comparisons"]:
            metric = str(comparison.get("metric", DEFAULT_METRIC))
            by_candidate.setdefault(comparison["candidate"], {}).setdefault(metric, comparison)
        for candidate, by_metric in by_candidate.items():
            lines.append((index, benchmark, candidate, by_metric))
    if not lines:
        return None

    benchmark_width = _LABEL_CHARACTER_WIDTH * min(
        _HEAT_MAP_BENCHMARK_CHARACTERS,
        max(len(benchmark["id"]) for _, benchmark, _, _ in lines),
    )
    candidate_width = _LABEL_CHARACTER_WIDTH * min(
        _HEAT_MAP_CANDIDATE_CHARACTERS, max(len(candidate) for _, _, candidate, _ in lines)
    )
    candidate_x = 4.0 + benchmark_width + 16.0
    grid_left = candidate_x + candidate_width + 12.0
    columns = [
        Tick(x=grid_left + _HEAT_MAP_CELL_WIDTH * (number + 0.5), label=metric)
        for number, metric in enumerate(metrics)
    ]
    # Column labels are turned up by _HEAT_MAP_LABEL_ANGLE degrees, so that long metric names
    # fit above narrow columns. The header is as high as the longest label reaches.
    longest_metric = _LABEL_CHARACTER_WIDTH * max(len(metric) for metric in metrics)
    angle = math.radians(_HEAT_MAP_LABEL_ANGLE)
    header_height = max(_HEAT_MAP_HEADER_HEIGHT, round(longest_metric * math.sin(angle) + 16, 1))
    label_overhang = longest_metric * math.cos(angle) - _HEAT_MAP_CELL_WIDTH / 2

    rows = []
    previous_index = -1
    for number, (index, benchmark, candidate, by_metric) in enumerate(lines):
        top = header_height + _HEAT_MAP_ROW_HEIGHT * number
        cells = []
        for column, metric in enumerate(metrics):
            x = grid_left + _HEAT_MAP_CELL_WIDTH * column
            comparison = by_metric.get(metric)
            if comparison is None:
                cells.append(
                    HeatMapCell(
                        x=x,
                        text_x=x + _HEAT_MAP_CELL_WIDTH / 2,
                        verdict=None,
                        text="",
                        title=f"{benchmark['id']}: {candidate} has no {metric} comparison",
                    )
                )
                continue
            ratio = format_ratio(comparison["ratio"])
            cells.append(
                HeatMapCell(
                    x=x,
                    text_x=x + _HEAT_MAP_CELL_WIDTH / 2,
                    verdict=comparison["verdict"],
                    text=ratio,
                    title=(
                        f"{benchmark['id']}: {candidate} against {comparison['baseline']}, "
                        f"{metric} ratio {ratio}, {comparison['verdict']}"
                    ),
                )
            )
        rows.append(
            HeatMapRow(
                benchmark_label=_shorten_start(benchmark["id"], _HEAT_MAP_BENCHMARK_CHARACTERS),
                benchmark_id=benchmark["id"],
                candidate_label=_shorten(candidate, _HEAT_MAP_CANDIDATE_CHARACTERS),
                candidate=candidate,
                href=f"#benchmark-{index + 1}",
                top=top,
                y=top + _HEAT_MAP_ROW_HEIGHT / 2,
                first_of_benchmark=index != previous_index,
                cells=cells,
            )
        )
        previous_index = index

    return HeatMap(
        width=round(grid_left + _HEAT_MAP_CELL_WIDTH * len(metrics) + max(label_overhang, 4), 1),
        height=header_height + _HEAT_MAP_ROW_HEIGHT * len(lines) + 2,
        header_height=header_height,
        label_angle=_HEAT_MAP_LABEL_ANGLE,
        row_height=_HEAT_MAP_ROW_HEIGHT,
        cell_width=_HEAT_MAP_CELL_WIDTH,
        candidate_x=candidate_x,
        grid_left=grid_left,
        columns=columns,
        rows=rows,
    )


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIRECTORY),
        autoescape=True,
        extensions=["jinja2.ext.do"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        time=format_time,
        ratio=format_ratio,
        p_value=format_p_value,
        p_value_clause=format_p_value_clause,
        percent=format_percent,
        memory=format_memory,
        number=format_number,
        created=format_created,
        plain=format_plain,
        verdict_class=verdict_class,
        value=format_value,
    )
    environment.globals.update(metric_label=metric_label)
    return environment
