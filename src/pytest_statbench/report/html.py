"""HTML report of one run: a single self-contained page with inline CSS and inline SVG plots.

The input is the run dict described in docs/json.md (schema ``pytest-statbench/run``, version 1).
Every value from the run reaches the page through Jinja2 autoescaping, so benchmark ids,
implementation names, reasons and error messages cannot inject markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ..results import SCHEMA, SCHEMA_VERSION, VERDICTS
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

AXIS_LABEL = "time ratio (candidate / baseline)"

_RUN_KEYS = (
    "schema",
    "schema_version",
    "tool",
    "created",
    "seed",
    "settings",
    "environment",
    "benchmarks",
    "summary",
)
_TOOL_KEYS = ("name", "version")
_SETTINGS_KEYS = ("rounds", "margin", "alpha", "confidence_level")
_BENCHMARK_KEYS = (
    "id",
    "nodeid",
    "form",
    "baseline",
    "expect",
    "rounds",
    "implementations",
    "comparisons",
    "anova",
)
_IMPLEMENTATION_KEYS = (
    "name",
    "qualname",
    "is_async",
    "loops",
    "failures",
    "errors",
    "samples",
    "median_time",
    "mean_time",
    "min_time",
    "peak_memory",
)
_SAMPLES_KEYS = ("time",)
_ERROR_KEYS = ("round", "type", "message")
_COMPARISON_KEYS = (
    "candidate",
    "baseline",
    "ratio",
    "ci",
    "confidence_level",
    "ci_method",
    "p_value",
    "p_value_holm",
    "cohens_d",
    "effect_size_band",
    "n_pairs",
    "margin",
    "verdict",
    "reason",
    "expectation",
)
_EXPECTATION_KEYS = ("expect", "met")
# NOTE: docs/json.md (version 1) does not list the fields of `anova`. These names follow the
# comparison fields (`statistic`, `p_value`) and must match what the analysis writes.
_ANOVA_KEYS = ("statistic", "df_between", "df_within", "p_value", "eta_squared")
_SUMMARY_KEYS = (
    "comparisons",
    "wins",
    "win_rate",
    "geometric_mean_ratio",
    "average_improvement",
    "verdicts",
    "gates",
    "passed",
)
_GATE_KEYS = ("name", "threshold", "value", "passed", "message")


def render_html(run: Mapping[str, Any]) -> str:
    """Render one run (schema pytest-statbench/run, version 1) as a self-contained HTML page.

    Raises TypeError when a part of the run has the wrong type and ValueError when a required
    key is missing or the schema is not version 1 of pytest-statbench/run.
    """
    _check_run(run)

    sections = [
        BenchmarkSection(
            anchor=f"benchmark-{index + 1}",
            benchmark=benchmark,
            forest_plot=build_forest_plot(
                benchmark["comparisons"], path=f"run.benchmarks[{index}]"
            ),
            failing_implementations=[
                implementation
                for implementation in benchmark["implementations"]
                if implementation["failures"] or implementation["errors"]
            ],
        )
        for index, benchmark in enumerate(run["benchmarks"])
    ]

    summary = run["summary"]
    verdict_counts = _count_verdicts(summary["verdicts"])
    failed_gates = [gate for gate in summary["gates"] if not gate["passed"]]

    template = _environment().get_template(TEMPLATE_NAME)
    return template.render(
        run=run,
        sections=sections,
        verdict_counts=verdict_counts,
        failed_gates=failed_gates,
        axis_label=AXIS_LABEL,
    )


# Page parts computed in Python, so the template only lays them out.


@dataclass(frozen=True)
class BenchmarkSection:
    """One benchmark with its anchor id, forest plot and the implementations that failed."""

    anchor: str
    benchmark: Mapping[str, Any]
    forest_plot: ForestPlot | None
    failing_implementations: list[Mapping[str, Any]]


@dataclass(frozen=True)
class ForestPlotTick:
    """A labelled tick on the log ratio axis, at pixel position x."""

    x: float
    label: str


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
    """Pixel geometry of a forest plot of time ratios on a log x axis."""

    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    row_height: float
    one_x: float
    ticks: list[ForestPlotTick]
    rows: list[ForestPlotRow]
    axis_label_x: float
    axis_label_y: float
    skipped: int


_PLOT_WIDTH = 860.0
_ROW_HEIGHT = 26.0
_PLOT_TOP = 8.0
_PLOT_RIGHT_PADDING = 16.0
_AXIS_HEIGHT = 44.0
_LABEL_CHARACTERS = 28
# Estimated width of one character of the 12 px label font, used to size the label column.
_LABEL_CHARACTER_WIDTH = 7.0


def build_forest_plot(
    comparisons: Sequence[Mapping[str, Any]], path: str = "comparisons"
) -> ForestPlot | None:
    """Lay out a forest plot of the comparisons' ratios and confidence intervals on a log x axis.

    Comparisons without a positive, finite ratio are skipped and counted in `skipped`. Returns
    None when no comparison has a ratio to plot. `path` names the comparisons in error messages.
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

    def position(value: float) -> float:
        share = (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
        return round(plot_left + share * (plot_right - plot_left), 1)

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
                ratio_x=position(ratio),
                low_x=None if confidence_interval is None else position(confidence_interval[0]),
                high_x=None if confidence_interval is None else position(confidence_interval[1]),
                band_left=position(1 - margin),
                band_right=position(1 + margin),
            )
        )

    ticks = [
        ForestPlotTick(x=position(value), label=f"{value:g}") for value in _ratio_ticks(low, high)
    ]
    return ForestPlot(
        width=_PLOT_WIDTH,
        height=plot_bottom + _AXIS_HEIGHT,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=_PLOT_TOP,
        plot_bottom=plot_bottom,
        row_height=_ROW_HEIGHT,
        one_x=position(1.0),
        ticks=ticks,
        rows=rows,
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


def _padded_domain(low: float, high: float) -> tuple[float, float]:
    """Widen [low, high] by 8% of its log width on each side, and by at least 1%."""
    padding = max((math.log(high) - math.log(low)) * 0.08, 0.01)
    return math.exp(math.log(low) - padding), math.exp(math.log(high) + padding)


def _ratio_ticks(low: float, high: float) -> list[float]:
    """Choose 3 to 8 round tick values in [low, high], always including 1 (which the domain contains).

    A narrow domain (high / low below 3) gets evenly spaced ticks, because a log axis that narrow
    is close to linear. A wider one gets 1-2-5 ticks per decade, or fewer per decade when the
    domain spans many decades.
    """
    if high / low < 3:
        raw_step = (high - low) / 7
        magnitude = 10 ** math.floor(math.log10(raw_step))
        step = next(
            factor * magnitude for factor in (1, 2, 2.5, 5, 10) if factor * magnitude >= raw_step
        )
        first = math.ceil(low / step)
        last = math.floor(high / step)
        return [round(index * step, 10) for index in range(first, last + 1)]

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

    # More than 8 decades: keep every step-th power of ten, counted from 1 so that 1 stays.
    step = math.ceil(len(ticks) / 8)
    one_index = ticks.index(1.0)
    return [value for index, value in enumerate(ticks) if (index - one_index) % step == 0]


def _shorten(text: str) -> str:
    if len(text) <= _LABEL_CHARACTERS:
        return text
    return text[: _LABEL_CHARACTERS - 1] + "…"


def _count_verdicts(verdicts: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """List (verdict, count) for every known verdict in a fixed order, then any other verdict."""
    counts = [(verdict, verdicts.get(verdict, 0)) for verdict in VERDICTS]
    counts.extend(
        (verdict, count) for verdict, count in verdicts.items() if verdict not in VERDICTS
    )
    return counts


# Checks of the run's structure, so that a missing field fails with its path instead of
# rendering a blank cell. The template's StrictUndefined catches any key these checks miss.


def _check_run(run: Any) -> None:
    _require_mapping(run, "run")
    _require_keys(run, _RUN_KEYS, "run")

    if run["schema"] != SCHEMA:
        raise ValueError(
            f"run.schema must be {SCHEMA!r}, got {run['schema']!r}. Pass a run written by --bench-json."
        )
    if run["schema_version"] != SCHEMA_VERSION:
        raise ValueError(
            f"run.schema_version {run['schema_version']!r} is not supported. This report renders "
            f"version {SCHEMA_VERSION}, so render the run with the pytest-statbench that wrote it."
        )

    _require_keys(_require_mapping(run["tool"], "run.tool"), _TOOL_KEYS, "run.tool")
    _require_keys(_require_mapping(run["settings"], "run.settings"), _SETTINGS_KEYS, "run.settings")
    _require_mapping(run["environment"], "run.environment")

    for index, benchmark in enumerate(_require_list(run["benchmarks"], "run.benchmarks")):
        _check_benchmark(benchmark, f"run.benchmarks[{index}]")

    summary = _require_mapping(run["summary"], "run.summary")
    _require_keys(summary, _SUMMARY_KEYS, "run.summary")
    _require_mapping(summary["verdicts"], "run.summary.verdicts")
    for index, gate in enumerate(_require_list(summary["gates"], "run.summary.gates")):
        path = f"run.summary.gates[{index}]"
        _require_keys(_require_mapping(gate, path), _GATE_KEYS, path)


def _check_benchmark(benchmark: Any, path: str) -> None:
    _require_keys(_require_mapping(benchmark, path), _BENCHMARK_KEYS, path)

    for index, implementation in enumerate(
        _require_list(benchmark["implementations"], f"{path}.implementations")
    ):
        item_path = f"{path}.implementations[{index}]"
        _require_keys(_require_mapping(implementation, item_path), _IMPLEMENTATION_KEYS, item_path)
        samples_path = f"{item_path}.samples"
        _require_keys(
            _require_mapping(implementation["samples"], samples_path), _SAMPLES_KEYS, samples_path
        )
        _require_list(implementation["samples"]["time"], f"{samples_path}.time")
        for error_index, error in enumerate(
            _require_list(implementation["errors"], f"{item_path}.errors")
        ):
            error_path = f"{item_path}.errors[{error_index}]"
            _require_keys(_require_mapping(error, error_path), _ERROR_KEYS, error_path)

    for index, comparison in enumerate(
        _require_list(benchmark["comparisons"], f"{path}.comparisons")
    ):
        item_path = f"{path}.comparisons[{index}]"
        _require_keys(_require_mapping(comparison, item_path), _COMPARISON_KEYS, item_path)
        if comparison["expectation"] is not None:
            expectation_path = f"{item_path}.expectation"
            _require_keys(
                _require_mapping(comparison["expectation"], expectation_path),
                _EXPECTATION_KEYS,
                expectation_path,
            )

    if benchmark["anova"] is not None:
        _require_keys(
            _require_mapping(benchmark["anova"], f"{path}.anova"), _ANOVA_KEYS, f"{path}.anova"
        )


def _require_mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{path} must be a JSON object (a mapping), got {type(value).__name__}. "
            "Pass the run as loaded from the --bench-json file."
        )
    return value


def _require_list(value: Any, path: str) -> Sequence[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(
            f"{path} must be a JSON array (a list), got {type(value).__name__}. "
            "Pass the run as loaded from the --bench-json file."
        )
    return value


def _require_keys(mapping: Mapping[str, Any], keys: Sequence[str], path: str) -> None:
    missing = [key for key in keys if key not in mapping]
    if missing:
        noun, pronoun = ("key", "it") if len(missing) == 1 else ("keys", "them")
        names = ", ".join(repr(key) for key in missing)
        raise ValueError(
            f"{path} is missing required {noun} {names}. Every run of schema {SCHEMA} version "
            f"{SCHEMA_VERSION} has {pronoun}, so pass a complete run as written by --bench-json."
        )


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIRECTORY),
        autoescape=True,
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
    )
    return environment
