"""Tests of the HTML report: content, escaping, the forest plot and errors for malformed runs."""

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

from pytest_statbench.report import html
from pytest_statbench.report.html import (
    build_forest_plot,
    format_memory,
    format_number,
    format_p_value,
    format_percent,
    format_ratio,
    format_time,
    render_html,
)

SCRIPT_NAME = "<script>alert(1)</script>"
ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>'


def _samples(times: list[float]) -> dict[str, list[Any]]:
    return {
        "round": list(range(len(times))),
        "position": [index % 3 for index in range(len(times))],
        "time": times,
        "cpu_time": times,
    }


def _implementation(name: str, median: float | None, **fields: Any) -> dict[str, Any]:
    implementation: dict[str, Any] = {
        "name": name,
        "qualname": f"bench_strings.{name}",
        "is_async": False,
        "loops": 2000,
        "calls": 10000,
        "failures": 0,
        "errors": [],
        "samples": _samples([median or 0.0] * 5),
        "median_time": median,
        "mean_time": None if median is None else median * 1.02,
        "min_time": None if median is None else median * 0.97,
        "peak_memory": 2048,
    }
    implementation.update(fields)
    return implementation


def _comparison(candidate: str, baseline: str, **fields: Any) -> dict[str, Any]:
    comparison: dict[str, Any] = {
        "candidate": candidate,
        "baseline": baseline,
        "metric": "time",
        "unit": "s",
        "ratio": 0.8123,
        "ci": [0.7901, 0.8347],
        "confidence_level": 0.95,
        "ci_method": "paired bootstrap percentile",
        "p_value": 0.00002,
        "p_value_holm": 0.00006,
        "statistic": -14.2,
        "df": 7.9,
        "cohens_d": -2.31,
        "effect_size_band": "large",
        "n_candidate": 5,
        "n_baseline": 5,
        "n_pairs": 5,
        "margin": 0.05,
        "verdict": "better",
        "reason": "the whole confidence interval lies below 1 - margin",
        "expectation": None,
    }
    comparison.update(fields)
    return comparison


def make_run() -> dict[str, Any]:
    """Build a run with two benchmarks, an ANOVA, a failing implementation and a failed gate."""
    join_benchmark = {
        "id": "tests/bench_strings.py::test_build_string",
        "nodeid": "tests/bench_strings.py::test_build_string",
        "form": "decorator",
        "baseline": "concat",
        "expect": "faster",
        "rounds": 50,
        "implementations": [
            _implementation("concat", 1.84e-6),
            _implementation("join", 1.49e-6),
            _implementation("format", 1.95e-6),
        ],
        "comparisons": [
            _comparison("join", "concat", expectation={"expect": "faster", "met": True}),
            _comparison(
                "format",
                "concat",
                ratio=1.061,
                ci=[1.032, 1.091],
                p_value=0.0004,
                p_value_holm=0.0008,
                cohens_d=0.74,
                effect_size_band="medium",
                verdict="worse",
                reason="the whole confidence interval lies above 1 + margin",
                expectation={"expect": "faster", "met": False},
            ),
        ],
        "anova": {
            "statistic": 112.4,
            "df_between": 2,
            "df_within": 12,
            "p_value": 0.0000003,
            "eta_squared": 0.949,
        },
    }
    parse_benchmark = {
        "id": "tests/bench_json.py::test_parse[small]",
        "nodeid": "tests/bench_json.py::test_parse",
        "form": "fixture",
        "baseline": "stdlib",
        "expect": None,
        "rounds": 40,
        "implementations": [
            _implementation("stdlib", 12.4e-6, peak_memory=3 * 1024 * 1024),
            _implementation("vendored", 12.6e-6),
            _implementation("cached", 11.9e-6),
            _implementation(
                "broken",
                None,
                failures=40,
                samples=_samples([]),
                peak_memory=None,
                errors=[
                    {"round": 0, "type": "KeyError", "message": "'payload'"},
                    {"round": 1, "type": "KeyError", "message": "'payload'"},
                ],
            ),
        ],
        "comparisons": [
            _comparison(
                "vendored",
                "stdlib",
                ratio=1.012,
                ci=[0.991, 1.034],
                p_value=0.27,
                p_value_holm=0.54,
                cohens_d=0.21,
                effect_size_band="small",
                n_pairs=40,
                verdict="equivalent",
                reason="the whole confidence interval lies inside 1 +/- margin",
            ),
            _comparison(
                "cached",
                "stdlib",
                ratio=0.962,
                ci=[0.921, 1.004],
                p_value=0.081,
                p_value_holm=0.243,
                cohens_d=-0.4,
                effect_size_band="small",
                n_pairs=40,
                verdict="inconclusive",
                reason="the confidence interval crosses 1 - margin",
            ),
            _comparison(
                "broken",
                "stdlib",
                ratio=None,
                ci=None,
                p_value=None,
                p_value_holm=None,
                statistic=None,
                df=None,
                cohens_d=None,
                effect_size_band=None,
                n_candidate=0,
                n_pairs=0,
                verdict="insufficient-data",
                reason="broken has no successful sample; at least 2 are needed",
            ),
        ],
        "anova": None,
    }
    return {
        "schema": "pytest-statbench/run",
        "schema_version": 1,
        "tool": {"name": "pytest-statbench", "version": "0.1.0"},
        "created": "2025-12-04T19:41:07Z",
        "seed": 1234567,
        "settings": {
            "rounds": 50,
            "min_sample_time": 0.002,
            "warmup_time": 0.01,
            "max_time": 5.0,
            "margin": 0.05,
            "alpha": 0.05,
            "confidence_level": 0.95,
            "bootstrap_resamples": 2000,
            "min_win_rate": 0.5,
            "min_improvement": 0.1,
        },
        "environment": {
            "python": "3.11.7",
            "implementation": "CPython",
            "platform": "Linux-6.1-x86_64",
            "machine": "x86_64",
            "cpu_count": 2,
            "pytest": "9.0.3",
            "numpy": "2.1.0",
            "scipy": "1.14.1",
            "pytest_statbench": "0.1.0",
        },
        "benchmarks": [join_benchmark, parse_benchmark],
        "summary": {
            "comparisons": 4,
            "wins": 1,
            "win_rate": 0.25,
            "geometric_mean_ratio": 0.9548,
            "average_improvement": 0.0452,
            "verdicts": {
                "better": 1,
                "worse": 1,
                "equivalent": 1,
                "inconclusive": 1,
                "insufficient-data": 1,
            },
            "gates": [
                {
                    "name": "min_win_rate",
                    "threshold": 0.5,
                    "value": 0.25,
                    "passed": False,
                    "message": "win rate 25.0% is below the minimum of 50.0%",
                },
                {
                    "name": "min_improvement",
                    "threshold": 0.01,
                    "value": 0.0452,
                    "passed": True,
                    "message": "average improvement 4.5% meets the minimum of 1.0%",
                },
            ],
            "passed": False,
        },
    }


class PageParser(HTMLParser):
    """Collect tags, attributes, text, table rows and SVGs per section of a rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.rows: list[list[str]] = []
        self.badges: list[str] = []
        self.svgs_by_section: dict[str, int] = {}
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


def test_failed_gate_outcome(page: PageParser) -> None:
    assert "FAILED" in page.text
    assert "1 of 2 gates failed" in page.text
    assert "win rate 25.0% is below the minimum of 50.0%" in page.text


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


def test_no_remote_urls(page: PageParser) -> None:
    for tag, attributes in page.tags:
        for name, value in attributes.items():
            if name in ("src", "href", "xlink:href") and value is not None:
                assert "http://" not in value, f"<{tag} {name}={value!r}>"
                assert "https://" not in value, f"<{tag} {name}={value!r}>"


def test_no_script_element(page: PageParser) -> None:
    assert "script" not in [tag for tag, _ in page.tags]


def test_anchor_ids_from_index(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["id"] = 'odd id" with <spaces>'

    page = parse(render_html(run))
    section_ids = [attributes.get("id") for tag, attributes in page.tags if tag == "section"]

    assert section_ids == ["summary", "benchmark-1", "benchmark-2", "environment"]


def test_benchmark_list_links(page: PageParser) -> None:
    links = [attributes.get("href") for tag, attributes in page.tags if tag == "a"]
    assert links == ["#benchmark-1", "#benchmark-2"]


@pytest.fixture
def hostile_run(run: dict[str, Any]) -> dict[str, Any]:
    implementation = run["benchmarks"][1]["implementations"][3]
    implementation["name"] = SCRIPT_NAME
    implementation["errors"][0]["message"] = f"bad value {ATTRIBUTE_BREAKOUT}"
    run["benchmarks"][1]["comparisons"][2]["candidate"] = SCRIPT_NAME
    run["benchmarks"][0]["comparisons"][0]["candidate"] = SCRIPT_NAME
    run["benchmarks"][0]["implementations"][1]["name"] = SCRIPT_NAME
    run["benchmarks"][0]["id"] = ATTRIBUTE_BREAKOUT
    run["benchmarks"][0]["comparisons"][1]["reason"] = ATTRIBUTE_BREAKOUT
    return run


def test_escapes_script_name(hostile_run: dict[str, Any]) -> None:
    source = render_html(hostile_run)

    assert SCRIPT_NAME not in source
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source


def test_escapes_error_message(hostile_run: dict[str, Any]) -> None:
    source = render_html(hostile_run)

    assert ATTRIBUTE_BREAKOUT not in source
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in source


def test_escaped_page_has_no_injected_tags(hostile_run: dict[str, Any]) -> None:
    page = parse(render_html(hostile_run))
    tag_names = [tag for tag, _ in page.tags]

    assert "script" not in tag_names
    assert "img" not in tag_names


def test_escaped_page_has_no_event_attributes(hostile_run: dict[str, Any]) -> None:
    page = parse(render_html(hostile_run))
    attribute_names = {name for _, attributes in page.tags for name in attributes}

    assert "onerror" not in attribute_names


def test_escaped_names_in_svg(hostile_run: dict[str, Any]) -> None:
    source = render_html(hostile_run)
    svg = source[source.index("<svg") : source.index("</svg>")]

    assert "&lt;script&gt;" in svg
    assert "<script>" not in svg


def test_svg_per_plotted_benchmark(page: PageParser) -> None:
    assert page.svgs_by_section == {"benchmark-1": 1, "benchmark-2": 1}


def test_svg_skipped_without_ratio(run: dict[str, Any]) -> None:
    for comparison in run["benchmarks"][1]["comparisons"]:
        comparison["ratio"] = None

    page = parse(render_html(run))

    assert page.svgs_by_section == {"benchmark-1": 1}
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
        "0",
        "broken has no successful sample; at least 2 are needed",
    ]


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
    assert page.row_starting_with("join")[7] == "n/a"
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


def test_comparison_row(page: PageParser) -> None:
    assert page.row_starting_with("format") == [
        "format",
        "1.061",
        "95.0% [1.032, 1.091]",
        "worse",
        "<0.001",
        "<0.001",
        "0.74 (medium)",
        "5",
        "faster: not met",
        "the whole confidence interval lies above 1 + margin",
    ]


def test_anova_line(page: PageParser) -> None:
    assert "F(2, 12) = 112, p < 0.001, η² = 0.949" in page.text


def test_anova_absent(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["anova"] = None

    page = parse(render_html(run))

    assert "ANOVA" not in page.text


def test_errors_listed(page: PageParser) -> None:
    assert "40 failed rounds, 2 recorded" in page.text
    assert "KeyError" in page.text
    assert "'payload'" in page.text


def test_environment_listed(run: dict[str, Any], page: PageParser) -> None:
    for key, value in run["environment"].items():
        assert key in page.text
        assert str(value) in page.text


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


def test_text_ratio_rejected(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][0]["ratio"] = "0.8"

    with pytest.raises(TypeError, match="ratio must be a number"):
        render_html(run)


def test_render_keeps_run_unchanged(run: dict[str, Any]) -> None:
    original = copy.deepcopy(run)

    render_html(run)

    assert run == original


def test_module_does_not_import_pytest() -> None:
    tree = ast.parse(Path(html.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            imported.add(node.module.split(".")[0])

    assert "pytest" not in imported


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (None, "n/a"),
        (math.nan, "n/a"),
        (math.inf, "n/a"),
        (0.0, "0 s"),
        (4.2e-10, "0.420 ns"),
        (12.34e-9, "12.3 ns"),
        (999.6e-9, "1.00 µs"),
        (1.234e-6, "1.23 µs"),
        (0.0456, "45.6 ms"),
        (1.0, "1.00 s"),
        (123.4, "123 s"),
        (4321.0, "4320 s"),
    ],
)
def test_format_time(seconds: float | None, expected: str) -> None:
    assert format_time(seconds) == expected


@pytest.mark.parametrize(
    ("p_value", "expected"),
    [
        (None, "n/a"),
        (0.0, "<0.001"),
        (0.00099, "<0.001"),
        (0.001, "0.001"),
        (0.0456, "0.046"),
        (1.0, "1.000"),
    ],
)
def test_format_p_value(p_value: float | None, expected: str) -> None:
    assert format_p_value(p_value) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(None, "n/a"), (0.05, "5.0%"), (0.95, "95.0%"), (-0.00001, "0.0%"), (-0.123, "-12.3%")],
)
def test_format_percent(fraction: float | None, expected: str) -> None:
    assert format_percent(fraction) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (None, "n/a"),
        (512, "512 B"),
        (1536, "1.5 KiB"),
        (1024 * 1024 - 10, "1.0 MiB"),
        (3 * 1024**3, "3.0 GiB"),
    ],
)
def test_format_memory(size: int | None, expected: str) -> None:
    assert format_memory(size) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (None, "n/a"),
        (2, "2"),
        (57.94, "57.9"),
        (-0.853, "-0.853"),
        (0.05, "0.05"),
        (12345.6, "12,346"),
    ],
)
def test_format_number(number: float | None, expected: str) -> None:
    assert format_number(number) == expected


def test_format_ratio() -> None:
    assert format_ratio(0.81234) == "0.812"
    assert format_ratio(None) == "n/a"


def test_format_rejects_text() -> None:
    with pytest.raises(TypeError, match="time must be a number or None, got '1.0'"):
        format_time("1.0")  # type: ignore[arg-type]


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
    assert build_forest_plot([_comparison("join", "concat", ratio=None, ci=None)]) is None


def test_forest_plot_rejects_margin(run: dict[str, Any]) -> None:
    comparisons = run["benchmarks"][0]["comparisons"]
    comparisons[0]["margin"] = 1.5

    with pytest.raises(ValueError, match=r"comparisons\[0\]\.margin must be a relative margin"):
        build_forest_plot(comparisons)
