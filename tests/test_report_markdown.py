"""Tests of the Markdown summary: order, table, counts and escaping of text from the run."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_report_runs import SCRIPT_NAME, make_first_release_run, make_multi_metric_run, make_run

from pytest_statbench.report.markdown import code_span, escape_text, markdown_summary

# A table cell boundary: a "|" that no backslash escapes.
CELL_BOUNDARY = re.compile(r"(?<!\\)\|")


def table_rows(text: str) -> list[list[str]]:
    """Split the Markdown table rows of text into cells, as GitHub splits them."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in CELL_BOUNDARY.split(line)[1:-1]])
    return rows


@pytest.fixture
def run() -> dict[str, Any]:
    return make_run()


def test_gate_outcome_first(run: dict[str, Any]) -> None:
    lines = markdown_summary(run).splitlines()

    assert lines[0] == "### pytest-statbench: FAILED, 1 of 2 gates failed"
    assert lines[2] == "- `min_win_rate` **failed**: win rate 25.0% is below the minimum of 50.0%"
    assert lines[3] == (
        "- `min_improvement` passed: average improvement 4.5% meets the minimum of 1.0%"
    )


@pytest.mark.parametrize(
    ("gates", "passed", "heading"),
    [
        ([], True, "### pytest-statbench: PASSED, no gate set"),
        ([True], True, "### pytest-statbench: PASSED, the gate passed"),
        ([False], False, "### pytest-statbench: FAILED, the gate failed"),
        ([True, True], True, "### pytest-statbench: PASSED, all 2 gates passed"),
    ],
)
def test_gate_headings(run: dict[str, Any], gates: list[bool], passed: bool, heading: str) -> None:
    template = run["summary"]["gates"][0]
    run["summary"]["gates"] = [dict(template, passed=gate) for gate in gates]
    run["summary"]["passed"] = passed

    assert markdown_summary(run).splitlines()[0] == heading


def test_figures_line(run: dict[str, Any]) -> None:
    assert (
        "Win rate 25.0% (1 of 4), average improvement 4.5% (geometric mean ratio 0.955), "
        "alpha 0.05, seed 1234567."
    ) in markdown_summary(run)


def test_table_lists_not_equivalent(run: dict[str, Any]) -> None:
    rows = table_rows(markdown_summary(run))

    assert rows[0] == ["Benchmark", "Candidate", "Metric", "Ratio [95.0% CI]", "Holm p", "Verdict"]
    assert [row[1] for row in rows[2:]] == ["`format`", "`broken`", "`cached`", "`join`"]


def test_table_row_cells(run: dict[str, Any]) -> None:
    rows = table_rows(markdown_summary(run))

    assert rows[2] == [
        "`tests/bench_strings.py::test_build_string`",
        "`format`",
        "`time` (s)",
        "1.061 [1.032, 1.091]",
        "<0.001",
        "**worse**",
    ]


def test_equivalent_counted_in_one_line(run: dict[str, Any]) -> None:
    text = markdown_summary(run)

    assert text.rstrip().splitlines()[-1] == (
        "1 of 5 comparisons is equivalent within the margin and not listed."
    )
    assert "`vendored`" not in text


def test_no_equivalent_line(run: dict[str, Any]) -> None:
    run["benchmarks"][1]["comparisons"][0]["verdict"] = "better"

    assert (
        markdown_summary(run)
        .rstrip()
        .endswith("None of the 5 comparisons is equivalent within the margin.")
    )


def test_no_comparisons(run: dict[str, Any]) -> None:
    for benchmark in run["benchmarks"]:
        benchmark["comparisons"] = []

    text = markdown_summary(run)

    assert "| Benchmark" not in text
    assert text.rstrip().endswith("No comparison was made.")


def test_counted_first() -> None:
    rows = table_rows(markdown_summary(make_multi_metric_run()))

    assert rows[0][-1] == "Counted"
    counted = [row[-1] for row in rows[2:]]
    assert counted == sorted(counted, key=lambda value: value != "yes")
    assert rows[2][:3] == ["`tests/bench_strings.py::test_build_string`", "`format`", "`time` (s)"]


def test_counted_column_absent_when_all_count(run: dict[str, Any]) -> None:
    assert "Counted" not in markdown_summary(run)


def test_deterministic_exact_values() -> None:
    rows = table_rows(markdown_summary(make_multi_metric_run()))
    loc = [row for row in rows if row[2] == "`loc` (lines)"]

    assert [row[3] for row in loc] == ["1.500 (exact: 6 / 4)", "0.500 (exact: 2 / 4)"]


def test_max_rows(run: dict[str, Any]) -> None:
    text = markdown_summary(run, max_rows=2)

    assert len(table_rows(text)) == 2 + 2
    assert "2 more comparisons not listed; the HTML report has them all." in text


def test_max_rows_zero(run: dict[str, Any]) -> None:
    text = markdown_summary(run, max_rows=0)

    assert table_rows(text) == []
    assert "4 more comparisons not listed" in text


def test_max_rows_negative(run: dict[str, Any]) -> None:
    with pytest.raises(
        ValueError, match="max_rows must be 0 or more, or None for no limit, got -1"
    ):
        markdown_summary(run, max_rows=-1)


def test_pipe_in_name_stays_in_cell(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][1]["candidate"] = "a|b"
    run["benchmarks"][0]["id"] = "test_x[|]"

    rows = table_rows(markdown_summary(run))

    assert all(len(row) == len(rows[0]) for row in rows)
    assert rows[2][:2] == [r"`test_x[\|]`", r"`a\|b`"]


def test_script_name_in_code_span(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][1]["candidate"] = SCRIPT_NAME

    rows = table_rows(markdown_summary(run))

    assert rows[2][1] == f"`{SCRIPT_NAME}`"


def test_backticks_in_name(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][1]["candidate"] = "a``b`"

    rows = table_rows(markdown_summary(run))

    assert rows[2][1] == "``` a``b` ```"


def test_newline_in_name(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][1]["candidate"] = "first\nsecond"

    rows = table_rows(markdown_summary(run))

    assert rows[2][1] == "`first second`"


def test_gate_message_escaped(run: dict[str, Any]) -> None:
    run["summary"]["gates"][0]["message"] = "*bold* [link](x) <b>|</b> @team ~gone~"

    line = markdown_summary(run).splitlines()[2]

    assert line.endswith(r"\*bold\* \[link\](x) &lt;b&gt;\|&lt;/b&gt; &#64;team \~gone\~")


def test_metric_name_escaped(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][1].update(metric="a|b", unit="<i>")

    rows = table_rows(markdown_summary(run))

    assert rows[2][2] == r"`a\|b` (&lt;i&gt;)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "`plain`"),
        ("a`b", "``a`b``"),
        ("`start", "`` `start ``"),
        ("", "` `"),
        ("x|y", r"`x\|y`"),
    ],
)
def test_code_span(text: str, expected: str) -> None:
    assert code_span(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5% (of 3)", "1.5% (of 3)"),
        ("a_b*c", r"a\_b\*c"),
        ("<&>", "&lt;&amp;&gt;"),
        ("back\\slash", "back\\\\slash"),
        ("line\nbreak", "line break"),
    ],
)
def test_escape_text(text: str, expected: str) -> None:
    assert escape_text(text) == expected


def test_first_release_run() -> None:
    rows = table_rows(markdown_summary(make_first_release_run()))

    assert rows[2][2] == "`time` (s)"


def test_ends_with_newline(run: dict[str, Any]) -> None:
    assert markdown_summary(run).endswith(".\n")
