"""Tests of the HTML report: content, charts, themes, options, escaping and malformed runs."""

from __future__ import annotations

import ast
import copy
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import pytest
from test_report_runs import (
    ATTRIBUTE_BREAKOUT,
    SCRIPT_NAME,
    make_comparison,
    make_first_release_run,
    make_multi_metric_run,
    make_run,
)

import pytest_statbench.report.csvreport
import pytest_statbench.report.dataframe
import pytest_statbench.report.markdown
import pytest_statbench.schema.loader
import pytest_statbench.schema.samples
import pytest_statbench.schema.structure
from pytest_statbench.report import html
from pytest_statbench.report.html import (
    HEAT_MAP_OPEN_ROWS,
    THEMES,
    build_bar_chart,
    build_box_plot,
    build_forest_plot,
    build_heat_map,
    deterministic_values,
    format_value,
    group_by_metric,
    render_html,
)

REPORT_MODULES = (
    html,
    pytest_statbench.report.csvreport,
    pytest_statbench.report.dataframe,
    pytest_statbench.report.markdown,
    pytest_statbench.schema.loader,
    pytest_statbench.schema.samples,
    pytest_statbench.schema.structure,
)


class PageParser(HTMLParser):
    """Collect tags, attributes, text, table rows, and SVGs and chart kinds per section."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.rows: list[list[str]] = []
        self.badges: list[str] = []
        self.svgs_by_section: dict[str, int] = {}
        self.figures_by_section: dict[str, list[str]] = {}
        self._section: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._badge: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "section":
            self._section = attributes.get("id")
        elif tag == "svg" and self._section is not None:
            self.svgs_by_section[self._section] = self.svgs_by_section.get(self._section, 0) + 1
        elif tag == "figure" and self._section is not None:
            classes = (attributes.get("class") or "").split()
            kind = next(name for name in classes if name != "chart")
            self.figures_by_section.setdefault(self._section, []).append(kind)
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "span" and "badge" in (attributes.get("class") or "").split():
            self._badge = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._section = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "span" and self._badge is not None:
            self.badges.append("".join(self._badge).strip())
            self._badge = None

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._badge is not None:
            self._badge.append(data)

    @property
    def text(self) -> str:
        return " ".join(self.text_parts)

    def row_starting_with(self, first_cell: str) -> list[str]:
        for row in self.rows:
            if row and row[0] == first_cell:
                return row
        raise LookupError(f"no table row starts with {first_cell!r}")


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture
def run() -> dict[str, Any]:
    return make_run()


@pytest.fixture
def page(run: dict[str, Any]) -> PageParser:
    return parse(render_html(run))


def test_page_title_and_header(page: PageParser) -> None:
    assert "pytest-statbench report" in page.text
    assert "1234567" in page.text
    assert "2025-12-04 19:41:07 UTC" in page.text


def test_settings_summary_line(page: PageParser) -> None:
    assert "50 rounds" in page.text
    assert "margin 5.0%" in page.text
    assert "alpha 0.05" in page.text
    assert "confidence level 95.0%" in page.text


def test_contains_benchmark_ids(run: dict[str, Any], page: PageParser) -> None:
    for benchmark in run["benchmarks"]:
        assert benchmark["id"] in page.text


def test_comparison_verdicts_shown(run: dict[str, Any], page: PageParser) -> None:
    for benchmark in run["benchmarks"]:
        for comparison in benchmark["comparisons"]:
            assert page.row_starting_with(comparison["candidate"])[3] == comparison["verdict"]


def test_summary_counts_each_verdict(page: PageParser) -> None:
    assert page.badges[:5] == ["better", "worse", "equivalent", "inconclusive", "insufficient-data"]


def test_badge_classes_follow_verdict(page: PageParser) -> None:
    badge_classes = {
        attributes.get("class")
        for tag, attributes in page.tags
        if tag == "span" and "badge" in (attributes.get("class") or "")
    }
    assert "badge verdict-better" in badge_classes
    assert "badge verdict-insufficient-data" in badge_classes


# The dashboard: gate outcome first, then the session's figures.


def test_failed_gate_outcome(page: PageParser) -> None:
    assert "FAILED" in page.text
    assert "1 of 2 gates failed" in page.text
    assert "win rate 25.0% is below the minimum of 50.0%" in page.text


def test_gate_outcome_before_figures(page: PageParser) -> None:
    text = page.text

    assert text.index("FAILED") < text.index("Win rate")
    assert text.index("FAILED") < text.index("Verdicts by benchmark and metric")


def test_single_failed_gate(run: dict[str, Any]) -> None:
    del run["summary"]["gates"][1]

    page = parse(render_html(run))

    assert "the gate failed" in page.text


def test_failed_gate_row(page: PageParser) -> None:
    assert page.row_starting_with("min_win_rate") == [
        "min_win_rate",
        "0.5",
        "0.25",
        "failed",
        "win rate 25.0% is below the minimum of 50.0%",
    ]


def test_passed_gate_outcome(run: dict[str, Any]) -> None:
    run["summary"]["passed"] = True
    run["summary"]["gates"][0]["passed"] = True

    page = parse(render_html(run))

    assert "PASSED" in page.text
    assert "FAILED" not in page.text
    assert "all 2 gates passed" in page.text


def test_no_gates_set(run: dict[str, Any]) -> None:
    run["summary"]["gates"] = []
    run["summary"]["passed"] = True

    page = parse(render_html(run))

    assert "PASSED" in page.text
    assert "no gate set" in page.text


def test_win_rate_with_counts(page: PageParser) -> None:
    assert "25.0%" in page.text
    assert "1 of 4 comparisons" in page.text


def test_average_improvement_with_ratio(page: PageParser) -> None:
    assert "4.5%" in page.text
    assert "geometric mean ratio 0.955" in page.text


def test_significant_comparisons_count(page: PageParser) -> None:
    # Holm p-values of make_run: 0.00006, 0.0008, 0.54, 0.243 and null, against alpha 0.05.
    text = " ".join(page.text.split())
    assert "2 of 4" in text
    assert (
        "comparisons with a Holm-adjusted p below alpha 0.05; "
        "1 more has no p-value (deterministic or too little data)"
    ) in text


def test_seed_with_repeat_option(page: PageParser) -> None:
    assert "--bench-seed=1234567" in page.text


def test_environment_summary(page: PageParser) -> None:
    assert "CPython 3.11.7" in page.text
    assert "Linux-6.1-x86_64" in page.text


def test_no_remote_urls(page: PageParser) -> None:
    for tag, attributes in page.tags:
        for name, value in attributes.items():
            if name in ("src", "href", "xlink:href", "action") and value is not None:
                assert value.startswith("#"), f"<{tag} {name}={value!r}>"


def test_no_remote_urls_in_css() -> None:
    source = render_html(make_run())
    style = source[source.index("<style>") : source.index("</style>")]

    assert "url(" not in style
    assert "@import" not in style


def test_no_script_element(page: PageParser) -> None:
    assert "script" not in [tag for tag, _ in page.tags]


def test_content_security_policy(page: PageParser) -> None:
    policies = [
        attributes.get("content")
        for tag, attributes in page.tags
        if tag == "meta" and attributes.get("http-equiv") == "Content-Security-Policy"
    ]

    assert policies == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]


def test_anchor_ids_from_index(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["id"] = 'odd id" with <spaces>'

    page = parse(render_html(run))
    section_ids = [attributes.get("id") for tag, attributes in page.tags if tag == "section"]

    assert section_ids == ["summary", "benchmark-1", "benchmark-2", "raw-data", "environment"]


def test_benchmark_list_links(page: PageParser) -> None:
    links = [attributes.get("href") for tag, attributes in page.tags if tag == "a"]

    # The benchmark list links each benchmark once, and each heat map row links its benchmark.
    assert links.count("#benchmark-1") == 1 + 2
    assert links.count("#benchmark-2") == 1 + 3
    assert len(links) == 7


# Themes and options.


@pytest.mark.parametrize("theme", THEMES)
def test_theme_sets_attribute(run: dict[str, Any], theme: str) -> None:
    page = parse(render_html(run, theme=theme))

    assert ("html", {"lang": "en", "data-theme": theme}) in page.tags


@pytest.mark.parametrize("theme", THEMES)
def test_theme_defines_every_colour(run: dict[str, Any], theme: str) -> None:
    source = render_html(run, theme=theme)
    style = source[source.index("<style>") : source.index("</style>")]
    root = style[style.index(":root {") : style.index("}", style.index(":root {"))]
    used = set(re.findall(r"var\((--[a-z-]+)\)", style))
    defined = set(re.findall(r"(--[a-z-]+):", root))

    assert used <= defined, used - defined


def test_dark_theme_colour_scheme(run: dict[str, Any]) -> None:
    source = render_html(run, theme="dark")

    assert '<meta name="color-scheme" content="dark">' in source
    assert "color-scheme: dark;" in source


def test_dark_theme_prints_light(run: dict[str, Any]) -> None:
    source = render_html(run, theme="dark")
    print_rules = source[source.index("@media print") :]

    assert "--background: #ffffff;" in print_rules


def test_unknown_theme_rejected(run: dict[str, Any]) -> None:
    with pytest.raises(
        ValueError, match="theme must be one of professional, minimal, dark, got 'neon'"
    ):
        render_html(run, theme="neon")


def test_without_charts(run: dict[str, Any]) -> None:
    page = parse(render_html(run, include_charts=False))

    assert "svg" not in [tag for tag, _ in page.tags]
    assert page.row_starting_with("join")[1] == "0.812"


def test_without_raw_data(run: dict[str, Any]) -> None:
    page = parse(render_html(run, include_raw_data=False))
    section_ids = [attributes.get("id") for tag, attributes in page.tags if tag == "section"]

    assert "raw-data" not in section_ids
    assert [a for tag, a in page.tags if tag == "details" and a.get("class") == "raw"] == []


def test_without_details(run: dict[str, Any]) -> None:
    page = parse(render_html(run, include_details=False))
    section_ids = [attributes.get("id") for tag, attributes in page.tags if tag == "section"]

    assert "environment" not in section_ids
    assert "Implementations" not in page.text
    assert "ANOVA" not in page.text
    assert "the whole confidence interval lies below 1 - margin" not in page.text
    assert page.row_starting_with("join")[3] == "better"


def test_without_details_drops_diagnostics(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["diagnostics"] = [
        {
            "implementation": "join",
            "kind": "drift",
            "message": "times drifted",
            "remedy": "look for background load",
            "detail": "12%",
        }
    ]

    assert "times drifted" in parse(render_html(run)).text
    assert "times drifted" not in parse(render_html(run, include_details=False)).text


# The heat map of verdicts.


def test_heat_map_in_summary(page: PageParser) -> None:
    assert page.figures_by_section["summary"] == ["heat-map"]


def test_heat_map_one_row_per_candidate(run: dict[str, Any]) -> None:
    heat_map = build_heat_map(run["benchmarks"])

    assert heat_map is not None
    assert [row.candidate for row in heat_map.rows] == [
        "join",
        "format",
        "vendored",
        "cached",
        "broken",
    ]
    assert [row.first_of_benchmark for row in heat_map.rows] == [True, False, True, False, False]
    assert [row.href for row in heat_map.rows] == ["#benchmark-1"] * 2 + ["#benchmark-2"] * 3


def test_heat_map_cells_by_verdict(run: dict[str, Any]) -> None:
    heat_map = build_heat_map(run["benchmarks"])

    assert heat_map is not None
    cells = [row.cells[0] for row in heat_map.rows]
    assert [cell.verdict for cell in cells] == [
        "better",
        "worse",
        "equivalent",
        "inconclusive",
        "insufficient-data",
    ]
    assert [cell.text for cell in cells] == ["0.812", "1.061", "1.012", "0.962", "n/a"]


def test_heat_map_metric_columns() -> None:
    heat_map = build_heat_map(make_multi_metric_run()["benchmarks"])

    assert heat_map is not None
    assert [column.label for column in heat_map.columns] == ["time", "cpu_time", "loc"]
    format_cells = heat_map.rows[1].cells
    assert [cell.verdict for cell in format_cells] == ["worse", None, "worse"]


def test_heat_map_none_without_comparisons(run: dict[str, Any]) -> None:
    for benchmark in run["benchmarks"]:
        benchmark["comparisons"] = []

    assert build_heat_map(run["benchmarks"]) is None
    assert "heat-map" not in parse(render_html(run)).figures_by_section.get("summary", [])


def test_heat_map_open_when_short(page: PageParser) -> None:
    details = [attributes for tag, attributes in page.tags if tag == "details"]

    assert details[0] == {"class": "heat-map-details", "open": None}


def test_heat_map_closed_when_long(run: dict[str, Any]) -> None:
    template = run["benchmarks"][0]["comparisons"][0]
    run["benchmarks"][0]["comparisons"] = [
        dict(template, candidate=f"candidate_{number}") for number in range(HEAT_MAP_OPEN_ROWS)
    ]

    page = parse(render_html(run))
    details = [attributes for tag, attributes in page.tags if tag == "details"]

    assert details[0] == {"class": "heat-map-details"}


# Comparisons grouped by metric, each with a table and a forest plot.


def test_comparison_row(page: PageParser) -> None:
    assert page.row_starting_with("format") == [
        "format",
        "1.061",
        "95.0% [1.032, 1.091]",
        "worse",
        "<0.001",
        "n/a",
        "<0.001",
        "0.74 (medium)",
        "5 / 5",
        "5",
        "faster: not met",
    ]


def test_comparison_reason_row(page: PageParser) -> None:
    assert page.row_starting_with("the whole confidence interval lies above 1 + margin") == [
        "the whole confidence interval lies above 1 + margin"
    ]


def test_paired_p_value_shown(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][1]["p_value_paired"] = 0.0123

    page = parse(render_html(run))

    assert page.row_starting_with("format")[5] == "0.012"


def test_comparisons_grouped_by_metric() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert "Comparisons of time (s)" in page.text
    assert "Comparisons of cpu_time (s)" in page.text
    assert "Comparisons of loc (lines)" not in page.text
    assert "Deterministic metrics" in page.text


def test_forest_plot_per_sampled_metric() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert page.figures_by_section["benchmark-1"].count("forest") == 2
    assert "cpu_time ratio (candidate / baseline)" in page.text
    assert "loc ratio (candidate / baseline)" not in page.text


def test_secondary_statistics_line() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert (
        "Hedges' g -2.1 · Mann-Whitney p 0.008 · Vargha-Delaney A 0.04 · "
        "not counted towards the win rate"
    ) in page.text


def test_metric_group_direction() -> None:
    run = make_run()
    run["benchmarks"][0]["comparisons"][0].update(metric="throughput", unit="1/s", better="higher")

    page = parse(render_html(run))

    assert "ratio above 1 is better" in page.text
    assert "ratio below 1 is faster" in page.text


def test_group_by_metric_order() -> None:
    comparisons = make_multi_metric_run()["benchmarks"][0]["comparisons"]

    groups = group_by_metric(comparisons)

    assert list(groups) == [("time", "s"), ("cpu_time", "s"), ("loc", "lines")]
    assert [c["candidate"] for c in groups[("loc", "lines")]] == ["join", "format"]


def test_group_by_metric_default_time(run: dict[str, Any]) -> None:
    comparison = run["benchmarks"][0]["comparisons"][0]
    del comparison["metric"]
    del comparison["unit"]

    assert list(group_by_metric([comparison])) == [("time", "s")]
    assert "Comparisons of time (s)" in parse(render_html(run)).text


def test_unknown_metric_keeps_unit(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][0].update(metric="requests", unit="req/s")

    page = parse(render_html(run))

    assert "Comparisons of requests (req/s)" in page.text
    assert "ratio below 1 is better" in page.text


def test_deterministic_table_rows() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert page.row_starting_with("loc") == [
        "loc",
        "join",
        "2 lines",
        "4 lines",
        "0.500",
        "better",
        "exact values 2 against 4, ratio 0.500 against the 5% margin",
    ]
    assert [
        "Metric",
        "Candidate",
        "Candidate value",
        "Baseline value",
        "Ratio",
        "Verdict",
        "Reason",
    ] in page.rows


def test_deterministic_counted_tag() -> None:
    run = make_multi_metric_run()
    run["benchmarks"][0]["comparisons"][-1]["counted"] = True

    page = parse(render_html(run))

    assert page.row_starting_with("loc counted")[1] == "format"


def test_kind_inferred_without_field() -> None:
    run = make_multi_metric_run()
    for comparison in run["benchmarks"][0]["comparisons"]:
        del comparison["kind"]

    page = parse(render_html(run))

    assert page.row_starting_with("loc")[1] == "join"
    assert page.figures_by_section["benchmark-1"].count("forest") == 2


# Box plots of the samples.


def test_box_plot_per_benchmark(page: PageParser) -> None:
    assert page.figures_by_section["benchmark-1"].count("box-plot") == 1
    assert page.figures_by_section["benchmark-2"].count("box-plot") == 1
    assert "time (s) per call, log scale" in page.text


def test_box_plot_quartiles_in_order(run: dict[str, Any]) -> None:
    plot = build_box_plot(run["benchmarks"][0])

    assert plot is not None
    assert plot.log_scale
    for row in plot.rows:
        assert row.whisker_low_x <= row.first_quartile_x
        assert row.first_quartile_x <= row.median_x
        assert row.median_x <= row.third_quartile_x
        assert row.third_quartile_x <= row.whisker_high_x


def test_box_plot_median_value(run: dict[str, Any]) -> None:
    plot = build_box_plot(run["benchmarks"][0])

    assert plot is not None
    # The samples of concat are 1.84 µs times 0.97, 0.99, 1.0, 1.02 and 1.08.
    assert plot.rows[0].median == pytest.approx(1.84e-6)
    assert plot.rows[0].summary.startswith(
        "median 1.84 µs, quartiles 1.82 µs to 1.88 µs, 5 samples"
    )


def test_box_plot_faster_left(run: dict[str, Any]) -> None:
    plot = build_box_plot(run["benchmarks"][0])

    assert plot is not None
    concat, join, _ = plot.rows
    assert join.median_x < concat.median_x


def test_box_plot_ticks_with_unit(run: dict[str, Any]) -> None:
    plot = build_box_plot(run["benchmarks"][0])

    assert plot is not None
    assert plot.ticks
    assert all(tick.label.endswith(" µs") for tick in plot.ticks)


def test_box_plot_outlier(run: dict[str, Any]) -> None:
    samples = run["benchmarks"][0]["implementations"][0]["samples"]
    samples["time"] = [1e-6, 1.01e-6, 1.02e-6, 0.99e-6, 1.0e-6, 1.01e-6, 9e-6]

    plot = build_box_plot(run["benchmarks"][0])

    assert plot is not None
    assert len(plot.rows[0].outlier_xs) == 1
    assert plot.rows[0].outlier_xs[0] > plot.rows[0].whisker_high_x


def test_box_plot_skips_null_and_zero(run: dict[str, Any]) -> None:
    samples = run["benchmarks"][0]["implementations"][0]["samples"]
    samples["time"] = samples["time"][:3] + [None, 0.0]

    plot = build_box_plot(run["benchmarks"][0])
    page = parse(render_html(run))

    assert plot is not None
    assert plot.skipped == 2
    assert plot.rows[0].count == 3
    assert "2 samples are null or not above zero and not drawn." in page.text


def test_box_plot_names_empty_implementation(run: dict[str, Any]) -> None:
    plot = build_box_plot(run["benchmarks"][1])

    assert plot is not None
    assert plot.empty == ["broken"]
    assert [row.name for row in plot.rows] == ["stdlib", "vendored", "cached"]


def test_box_plot_none_without_samples(run: dict[str, Any]) -> None:
    for implementation in run["benchmarks"][0]["implementations"]:
        implementation["samples"]["time"] = []

    assert build_box_plot(run["benchmarks"][0]) is None


def test_box_plot_linear_without_unit(run: dict[str, Any]) -> None:
    for implementation in run["benchmarks"][0]["implementations"]:
        implementation["samples"]["allocations"] = [10, 12, 11, 30, 9]

    plot = build_box_plot(run["benchmarks"][0], "allocations")

    assert plot is not None
    assert not plot.log_scale
    assert plot.rows[0].median == 11


def test_box_plot_for_compared_sample_metric() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert page.figures_by_section["benchmark-1"].count("box-plot") == 2
    assert "cpu_time (s) per call, log scale" in page.text


# Bar charts of deterministic metrics.


def test_deterministic_values_found() -> None:
    values = deterministic_values(make_multi_metric_run()["benchmarks"][0])

    assert values == [
        ("loc", "lines", "lower", [("concat", 4.0), ("join", 2.0), ("format", 6.0)]),
    ]


def test_deterministic_values_missing_value() -> None:
    run = make_multi_metric_run()
    run["benchmarks"][0]["comparisons"][-1]["candidate_value"] = None

    values = deterministic_values(run["benchmarks"][0])

    assert values[0][3] == [("concat", 4.0), ("join", 2.0), ("format", None)]


def test_deterministic_values_none_without_numbers(run: dict[str, Any]) -> None:
    assert deterministic_values(run["benchmarks"][0]) == []


def test_bar_chart_lengths_proportional() -> None:
    chart = build_bar_chart("loc", "lines", [("concat", 4.0), ("join", 2.0), ("format", 6.0)])

    assert chart is not None
    widths = [row.bar_width for row in chart.rows]
    assert widths[1] * 2 == pytest.approx(widths[0], abs=0.2)
    assert widths[1] * 3 == pytest.approx(widths[2], abs=0.2)
    assert [row.value_text for row in chart.rows] == ["4 lines", "2 lines", "6 lines"]


def test_bar_chart_title_names_direction() -> None:
    chart = build_bar_chart("maintainability_index", "", [("a", 80.0)], better="higher")

    assert chart is not None
    assert chart.title == "maintainability_index, higher is better"


def test_bar_chart_memory_ticks() -> None:
    chart = build_bar_chart("peak_memory", "B", [("a", 4458.0), ("b", 19046.0)])

    assert chart is not None
    assert [tick.label for tick in chart.ticks] == ["0 B", "5 KiB", "10 KiB", "15 KiB"]


def test_bar_chart_missing_value() -> None:
    chart = build_bar_chart("loc", "lines", [("concat", 4.0), ("broken", None)])

    assert chart is not None
    assert chart.rows[1].value_text == "n/a"
    assert chart.rows[1].bar_width == 0


def test_bar_chart_negative_value() -> None:
    chart = build_bar_chart("delta", "", [("a", -2.0), ("b", 4.0)])

    assert chart is not None
    assert chart.rows[0].bar_x < chart.zero_x
    assert chart.rows[1].bar_x == chart.zero_x


def test_bar_chart_none_without_values() -> None:
    assert build_bar_chart("loc", "lines", [("concat", None)]) is None


def test_bar_charts_in_section() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert page.figures_by_section["benchmark-1"].count("bar-chart") == 1
    assert "loc (lines), lower is better" in page.text


# The raw data section.


def test_raw_data_one_details_per_benchmark(page: PageParser) -> None:
    raw = [
        attributes
        for tag, attributes in page.tags
        if tag == "details" and attributes.get("class") == "raw"
    ]

    assert [attributes.get("id") for attributes in raw] == ["benchmark-1-raw", "benchmark-2-raw"]
    assert all("open" not in attributes for attributes in raw)


def test_raw_data_every_sample(run: dict[str, Any], page: PageParser) -> None:
    for benchmark in run["benchmarks"]:
        for implementation in benchmark["implementations"]:
            samples = implementation["samples"]
            for index, time in enumerate(samples["time"]):
                row = [
                    str(samples["round"][index]),
                    str(samples["position"][index]),
                    repr(time),
                    repr(samples["cpu_time"][index]),
                ]
                assert row in page.rows, row


def test_raw_data_headers(page: PageParser) -> None:
    assert ["round", "position", "time (s)", "cpu_time (s)"] in page.rows


def test_raw_data_summary_counts(page: PageParser) -> None:
    assert "15 samples" in page.text
    assert "2 recorded errors" in page.text


def test_raw_data_errors(page: PageParser) -> None:
    assert ["0", "KeyError: 'payload'"] in page.rows
    assert "38 more failed rounds are counted but not recorded." in page.text


def test_raw_data_recorded_columns() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert ["round", "position", "time (s)", "cpu_time (s)", "recorded.allocations"] in page.rows
    assert "allocations recorded outside the rounds: 2.0" in " ".join(page.text.split())


def test_raw_data_extra_sample_list(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["implementations"][0]["samples"]["allocations"] = [1, 2, 3, 4, 5]

    page = parse(render_html(run))

    assert ["round", "position", "time (s)", "cpu_time (s)", "allocations"] in page.rows


# Escaping of every text from the run.


@pytest.fixture
def hostile_run(run: dict[str, Any]) -> dict[str, Any]:
    implementation = run["benchmarks"][1]["implementations"][3]
    implementation["name"] = SCRIPT_NAME
    implementation["errors"][0]["message"] = f"bad value {ATTRIBUTE_BREAKOUT}"
    run["benchmarks"][1]["comparisons"][2]["candidate"] = SCRIPT_NAME

    run["benchmarks"][0]["comparisons"][0]["candidate"] = SCRIPT_NAME
    run["benchmarks"][0]["implementations"][1]["name"] = SCRIPT_NAME
    run["benchmarks"][0]["implementations"][1]["supplied"] = {SCRIPT_NAME: ATTRIBUTE_BREAKOUT}
    run["benchmarks"][0]["implementations"][1]["recorded"] = {
        SCRIPT_NAME: {"unit": "", "better": "lower", "by_round": {"0": 1.0}, "outside_rounds": []}
    }
    run["benchmarks"][0]["comparisons"].append(
        make_comparison(
            SCRIPT_NAME,
            "concat",
            metric=SCRIPT_NAME,
            unit=SCRIPT_NAME,
            kind="deterministic",
            candidate_value=3,
            baseline_value=2,
            ratio=1.5,
            ci=[1.5, 1.5],
            verdict=SCRIPT_NAME,
        )
    )

    run["benchmarks"][0]["id"] = ATTRIBUTE_BREAKOUT
    run["benchmarks"][0]["comparisons"][1]["reason"] = ATTRIBUTE_BREAKOUT
    run["benchmarks"][0]["comparisons"][1]["metric"] = SCRIPT_NAME
    run["environment"]["platform"] = SCRIPT_NAME
    run["summary"]["gates"][0]["message"] = SCRIPT_NAME
    return run


def test_escapes_script_name(hostile_run: dict[str, Any]) -> None:
    source = render_html(hostile_run)

    assert SCRIPT_NAME not in source
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source


def test_escapes_error_message(hostile_run: dict[str, Any]) -> None:
    source = render_html(hostile_run)

    assert ATTRIBUTE_BREAKOUT not in source
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in source


@pytest.mark.parametrize("theme", THEMES)
def test_escaped_page_has_no_injected_tags(hostile_run: dict[str, Any], theme: str) -> None:
    page = parse(render_html(hostile_run, theme=theme))
    tag_names = [tag for tag, _ in page.tags]

    assert "script" not in tag_names
    assert "img" not in tag_names


def test_escaped_page_has_no_event_attributes(hostile_run: dict[str, Any]) -> None:
    page = parse(render_html(hostile_run))
    attribute_names = {name for _, attributes in page.tags for name in attributes}

    assert "onerror" not in attribute_names


def test_escaped_names_in_every_svg(hostile_run: dict[str, Any]) -> None:
    source = render_html(hostile_run)
    svgs = re.findall(r"<svg.*?</svg>", source, flags=re.DOTALL)

    assert len(svgs) >= 6
    assert all("<script>" not in svg for svg in svgs)
    # The heat map, both forest plots, the box plot and the bar chart name the hostile text.
    assert sum("&lt;script&gt;" in svg for svg in svgs) >= 5


def test_escaped_names_in_attributes(hostile_run: dict[str, Any]) -> None:
    page = parse(render_html(hostile_run))
    titles = [attributes.get("title") for tag, attributes in page.tags if tag == "span"]

    assert f"{SCRIPT_NAME}, time" in titles


def test_escaped_heat_map_text(hostile_run: dict[str, Any]) -> None:
    heat_map = build_heat_map(hostile_run["benchmarks"])
    source = render_html(hostile_run)
    section = source[source.index('class="chart heat-map"') : source.index("</figure>")]

    assert heat_map is not None
    assert heat_map.rows[0].candidate == SCRIPT_NAME
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in section


# Charts and tables in each benchmark section.


def test_charts_per_benchmark(page: PageParser) -> None:
    assert page.figures_by_section == {
        "summary": ["heat-map"],
        "benchmark-1": ["forest", "box-plot"],
        "benchmark-2": ["forest", "box-plot"],
    }


def test_charts_with_other_metrics() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert page.figures_by_section["benchmark-1"] == [
        "forest",
        "forest",
        "box-plot",
        "box-plot",
        "bar-chart",
    ]


def test_svg_skipped_without_ratio(run: dict[str, Any]) -> None:
    for comparison in run["benchmarks"][1]["comparisons"]:
        comparison["ratio"] = None

    page = parse(render_html(run))

    assert "forest" not in page.figures_by_section["benchmark-2"]
    assert "No comparison has a ratio to plot." in page.text


def test_svg_axis_label(page: PageParser) -> None:
    assert "time ratio (candidate / baseline)" in page.text


def test_svg_notes_skipped_comparison(page: PageParser) -> None:
    assert "1 comparison has no ratio and is not plotted." in page.text


def test_null_values_render_na(page: PageParser) -> None:
    assert page.row_starting_with("broken") == [
        "broken",
        "n/a",
        "n/a",
        "insufficient-data",
        "n/a",
        "n/a",
        "n/a",
        "n/a",
        "0 / 5",
        "0",
    ]
    assert page.row_starting_with("broken has no successful sample; at least 2 are needed")


def test_null_times_render_na(page: PageParser) -> None:
    row = page.row_starting_with("broken bench_strings.broken")

    assert row[1:4] == ["n/a", "n/a", "n/a"]
    assert row[7] == "n/a"


def test_no_none_or_nan_text(page: PageParser) -> None:
    assert re.search(r"\bNone\b", page.text) is None
    assert re.search(r"\bnan\b", page.text, flags=re.IGNORECASE) is None


def test_null_counts_render_na(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["implementations"][1]["loops"] = None
    run["benchmarks"][0]["comparisons"][0]["n_pairs"] = None

    page = parse(render_html(run))

    assert page.row_starting_with("join bench_strings.join")[4] == "n/a"
    assert page.row_starting_with("join")[9] == "n/a"
    assert re.search(r"\bNone\b", page.text) is None


def test_rounds_cut_short(page: PageParser) -> None:
    assert "40 rounds of 50 (max_time reached)" in page.text


def test_nan_time_renders_na(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["implementations"][0]["median_time"] = math.nan

    page = parse(render_html(run))

    assert page.row_starting_with("concat baseline bench_strings.concat")[1] == "n/a"


def test_implementation_row(page: PageParser) -> None:
    assert page.row_starting_with("concat baseline bench_strings.concat") == [
        "concat baseline bench_strings.concat",
        "1.84 µs",
        "1.88 µs",
        "1.78 µs",
        "2000",
        "5",
        "0",
        "2.0 KiB",
    ]


def test_anova_line(page: PageParser) -> None:
    assert "F(2, 12) = 112, p < 0.001, η² = 0.949" in page.text


def test_anova_omega_and_welch() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert "η² = 0.949, ω² = 0.94" in page.text
    assert "Welch's ANOVA: F(2, 7.6) = 98.1, p < 0.001" in " ".join(page.text.split())


def test_games_howell_rows() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert page.row_starting_with("concat / join") == [
        "concat / join",
        "1.230",
        "[1.200, 1.260]",
        "<0.001",
    ]
    assert page.row_starting_with("concat / format") == ["concat / format", "0.940", "n/a", "n/a"]


def test_supplied_values_table() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert ["join", "development_hours", "3"] in page.rows
    assert "stated in the test for each implementation, not measured" in page.text


def test_code_origin_under_qualname() -> None:
    page = parse(render_html(make_multi_metric_run()))

    assert page.row_starting_with("concat baseline bench_strings.concat bench_strings.py:12")


def test_benchmark_list_counted_badges() -> None:
    page = parse(render_html(make_multi_metric_run()))
    titles = [
        attributes.get("title")
        for tag, attributes in page.tags
        if tag == "span" and attributes.get("title")
    ]

    assert titles[:2] == ["join, time", "format, time"]
    assert "join, loc" not in titles


def test_first_release_run_renders() -> None:
    page = parse(render_html(make_first_release_run()))

    assert page.row_starting_with("format")[3] == "worse"
    assert page.figures_by_section["benchmark-1"] == ["forest", "box-plot"]


def test_anova_not_computed(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["anova"].update(
        statistic=None, p_value=None, status="insufficient-data", reason="fewer than 2 rounds"
    )

    page = parse(render_html(run))

    assert "not computed: fewer than 2 rounds" in page.text


def test_anova_absent(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["anova"] = None

    page = parse(render_html(run))

    assert "ANOVA" not in page.text


def test_noise_floor_line(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["noise_floor"] = {
        "copy": "concat (A/A copy)",
        "ratio": 1.02,
        "ci": [0.97, 1.07],
        "floor": 0.07,
        "used_as_margin": False,
        "reason": None,
    }

    page = parse(render_html(run))

    assert (
        "7.0%: baseline concat against concat (A/A copy), ratio 1.020 [0.970, 1.070]." in page.text
    )


def test_errors_listed(page: PageParser) -> None:
    assert "40 failed rounds, 2 recorded" in page.text
    assert "KeyError" in page.text
    assert "'payload'" in page.text


def test_environment_listed(run: dict[str, Any], page: PageParser) -> None:
    for key, value in run["environment"].items():
        assert key in page.text
        assert str(value) in page.text


def test_settings_listed(run: dict[str, Any], page: PageParser) -> None:
    for key, value in run["settings"].items():
        assert key in page.text
        assert ("n/a" if value is None else str(value)) in page.text


# Malformed runs.


def test_missing_comparison_key(run: dict[str, Any]) -> None:
    del run["benchmarks"][1]["comparisons"][2]["verdict"]

    with pytest.raises(
        ValueError,
        match=r"run\.benchmarks\[1\]\.comparisons\[2\] is missing required key 'verdict'",
    ):
        render_html(run)


def test_missing_summary(run: dict[str, Any]) -> None:
    del run["summary"]

    with pytest.raises(ValueError, match="run is missing required key 'summary'"):
        render_html(run)


def test_missing_anova_field(run: dict[str, Any]) -> None:
    del run["benchmarks"][0]["anova"]["eta_squared"]

    with pytest.raises(ValueError, match="'eta_squared'"):
        render_html(run)


def test_template_undefined_is_strict(run: dict[str, Any]) -> None:
    template = html._environment().from_string("{{ run.not_a_field }}")

    with pytest.raises(jinja2.UndefinedError, match="not_a_field"):
        template.render(run=run)


def test_filter_undefined_is_strict() -> None:
    template = html._environment().from_string("{{ anova.eta_squared | number }}")

    with pytest.raises(jinja2.UndefinedError, match="eta_squared"):
        template.render(anova={})


def test_wrong_schema_version(run: dict[str, Any]) -> None:
    run["schema_version"] = 2

    with pytest.raises(ValueError, match="schema_version 2 is not supported"):
        render_html(run)


def test_wrong_schema_name(run: dict[str, Any]) -> None:
    run["schema"] = "pytest-benchmark"

    with pytest.raises(ValueError, match="run.schema must be"):
        render_html(run)


def test_run_not_mapping() -> None:
    with pytest.raises(TypeError, match="run must be a JSON object"):
        render_html([])  # type: ignore[arg-type]


def test_benchmarks_not_list(run: dict[str, Any]) -> None:
    run["benchmarks"] = "tests/bench_strings.py"

    with pytest.raises(TypeError, match="run.benchmarks must be a JSON array"):
        render_html(run)


def test_sample_list_not_list(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["implementations"][0]["samples"]["cpu_time"] = 0.5

    with pytest.raises(TypeError, match=r"samples\.cpu_time must be a JSON array"):
        render_html(run)


def test_text_ratio_rejected(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][0]["ratio"] = "0.8"

    with pytest.raises(TypeError, match="ratio must be a number"):
        render_html(run)


def test_render_keeps_run_unchanged(run: dict[str, Any]) -> None:
    original = copy.deepcopy(run)

    render_html(run)

    assert run == original


def test_empty_run_renders(run: dict[str, Any]) -> None:
    run["benchmarks"] = []

    page = parse(render_html(run))

    assert "This run has no benchmarks." in page.text
    assert "svg" not in [tag for tag, _ in page.tags]


@pytest.mark.parametrize("module", REPORT_MODULES, ids=lambda module: module.__name__)
def test_module_does_not_import_pytest(module: Any) -> None:
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            imported.add(node.module.split(".")[0])

    assert "pytest" not in imported


# Values with units and axis ticks.


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1.5e-6, "s", "1.50 µs"),
        (2048, "B", "2.0 KiB"),
        (12, "lines", "12 lines"),
        (0.5, "", "0.5"),
        (None, "lines", "n/a"),
    ],
)
def test_format_value(value: float | None, unit: str, expected: str) -> None:
    assert format_value(value, unit) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.92, 1.06, [0.92, 0.94, 0.96, 0.98, 1.0, 1.02, 1.04, 1.06]),
        (0.0008, 1.2, [0.001, 0.01, 0.1, 1.0]),
        (2e-6, 3e-3, [1e-05, 0.0001, 0.001]),
        # Thirteen decades: every second power of ten, counted from 1.
        (1e-9, 1e3, [1e-08, 1e-06, 1e-04, 0.01, 1.0, 100.0]),
    ],
)
def test_log_ticks(low: float, high: float, expected: list[float]) -> None:
    assert html._log_ticks(low, high) == pytest.approx(expected)


def test_linear_ticks() -> None:
    assert html._linear_ticks(0, 19) == [0, 5, 10, 15]


def test_forest_plot_faster_left_of_one(run: dict[str, Any]) -> None:
    plot = build_forest_plot(run["benchmarks"][0]["comparisons"])

    assert plot is not None
    assert plot.rows[0].ratio_x < plot.one_x
    assert plot.rows[1].ratio_x > plot.one_x


def test_forest_plot_interval_brackets_ratio(run: dict[str, Any]) -> None:
    plot = build_forest_plot(run["benchmarks"][0]["comparisons"])

    assert plot is not None
    for row in plot.rows:
        assert row.low_x is not None
        assert row.high_x is not None
        assert row.low_x < row.ratio_x
        assert row.ratio_x < row.high_x


def test_forest_plot_band_around_one(run: dict[str, Any]) -> None:
    plot = build_forest_plot(run["benchmarks"][0]["comparisons"])

    assert plot is not None
    assert plot.rows[0].band_left < plot.one_x < plot.rows[0].band_right


def test_forest_plot_log_scale(run: dict[str, Any]) -> None:
    comparisons = run["benchmarks"][0]["comparisons"]
    comparisons[0].update(ratio=0.5, ci=None)
    comparisons[1].update(ratio=2.0, ci=None)

    plot = build_forest_plot(comparisons)

    assert plot is not None
    assert plot.one_x - plot.rows[0].ratio_x == pytest.approx(
        plot.rows[1].ratio_x - plot.one_x, abs=0.2
    )


def test_forest_plot_ticks_include_one(run: dict[str, Any]) -> None:
    plot = build_forest_plot(run["benchmarks"][1]["comparisons"])

    assert plot is not None
    assert "1" in [tick.label for tick in plot.ticks]
    assert 3 <= len(plot.ticks) <= 8


def test_forest_plot_narrow_ticks(run: dict[str, Any]) -> None:
    plot = build_forest_plot(run["benchmarks"][1]["comparisons"])

    assert plot is not None
    assert [tick.label for tick in plot.ticks] == ["0.925", "0.95", "0.975", "1", "1.025", "1.05"]


def test_forest_plot_wide_ticks(run: dict[str, Any]) -> None:
    comparisons = run["benchmarks"][0]["comparisons"]
    comparisons[0].update(ratio=0.001, ci=[0.0005, 0.002])

    plot = build_forest_plot(comparisons)

    assert plot is not None
    assert [tick.label for tick in plot.ticks] == ["0.001", "0.01", "0.1", "1"]


def test_forest_plot_skips_null_ratio(run: dict[str, Any]) -> None:
    plot = build_forest_plot(run["benchmarks"][1]["comparisons"])

    assert plot is not None
    assert [row.candidate for row in plot.rows] == ["vendored", "cached"]
    assert plot.skipped == 1


def test_forest_plot_none_without_ratios() -> None:
    assert build_forest_plot([make_comparison("join", "concat", ratio=None, ci=None)]) is None


def test_forest_plot_rejects_margin(run: dict[str, Any]) -> None:
    comparisons = run["benchmarks"][0]["comparisons"]
    comparisons[0]["margin"] = 1.5

    with pytest.raises(ValueError, match=r"comparisons\[0\]\.margin must be a relative margin"):
        build_forest_plot(comparisons)
