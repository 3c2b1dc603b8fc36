"""Tests of the CSV reports: columns, values, quoting and formula neutralisation."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from test_report_runs import make_first_release_run, make_multi_metric_run, make_run

from pytest_statbench.report.csvreport import (
    COMPARISON_COLUMNS,
    SAMPLE_COLUMNS,
    comparisons_csv,
    neutralise_cell,
    samples_csv,
)


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def run() -> dict[str, Any]:
    return make_run()


def test_comparison_header(run: dict[str, Any]) -> None:
    header = comparisons_csv(run).splitlines()[0]

    assert header.split(",") == list(COMPARISON_COLUMNS)


def test_one_row_per_comparison(run: dict[str, Any]) -> None:
    rows = read(comparisons_csv(run))

    assert [(row["benchmark"], row["candidate"]) for row in rows] == [
        ("tests/bench_strings.py::test_build_string", "join"),
        ("tests/bench_strings.py::test_build_string", "format"),
        ("tests/bench_json.py::test_parse[small]", "vendored"),
        ("tests/bench_json.py::test_parse[small]", "cached"),
        ("tests/bench_json.py::test_parse[small]", "broken"),
    ]


def test_comparison_values(run: dict[str, Any]) -> None:
    row = read(comparisons_csv(run))[0]

    assert row["ratio"] == "0.8123"
    assert row["ci_low"] == "0.7901"
    assert row["ci_high"] == "0.8347"
    assert row["p_value"] == "2e-05"
    assert row["n_pairs"] == "5"
    assert row["counted"] == "true"
    assert row["expect"] == "faster"
    assert row["expectation_met"] == "true"


def test_negative_number_stays_number(run: dict[str, Any]) -> None:
    row = read(comparisons_csv(run))[0]

    assert row["cohens_d"] == "-2.31"
    assert row["statistic"] == "-14.2"


def test_null_is_empty_cell(run: dict[str, Any]) -> None:
    broken = read(comparisons_csv(run))[4]

    assert broken["ratio"] == ""
    assert broken["ci_low"] == ""
    assert broken["ci_high"] == ""
    assert broken["expect"] == ""
    assert broken["expectation_met"] == ""


def test_deterministic_values() -> None:
    rows = read(comparisons_csv(make_multi_metric_run()))
    loc = [row for row in rows if row["metric"] == "loc"]

    assert [(row["candidate_value"], row["baseline_value"], row["kind"]) for row in loc] == [
        ("2", "4", "deterministic"),
        ("6", "4", "deterministic"),
    ]


def test_reason_with_comma_and_quote(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][0]["reason"] = 'the "interval", then\na new line'

    row = read(comparisons_csv(run))[0]

    assert row["reason"] == 'the "interval", then\na new line'


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://127.0.0.1/","x")',
        "+1+2",
        "-2+3",
        "@SUM(A1:A2)",
        "\tcmd",
        "\rcmd",
    ],
)
def test_formula_text_neutralised(run: dict[str, Any], text: str) -> None:
    run["benchmarks"][0]["comparisons"][0]["candidate"] = text
    run["benchmarks"][0]["id"] = text

    row = read(comparisons_csv(run))[0]

    assert row["candidate"] == "'" + text
    assert row["benchmark"] == "'" + text


def test_text_that_looks_negative_neutralised(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][0]["candidate"] = "-1"

    assert read(comparisons_csv(run))[0]["candidate"] == "'-1"


def test_plain_text_unchanged(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["comparisons"][0]["candidate"] = "a=b, c+d"

    assert read(comparisons_csv(run))[0]["candidate"] == "a=b, c+d"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), (True, "true"), (False, "false"), (-0.5, "-0.5"), (-3, "-3"), (1e-300, "1e-300")],
)
def test_neutralise_cell_keeps_numbers(value: Any, expected: str) -> None:
    assert neutralise_cell(value) == expected


def test_extra_comparison_field(run: dict[str, Any]) -> None:
    for benchmark in run["benchmarks"]:
        for comparison in benchmark["comparisons"]:
            comparison["trimmed_share"] = 0.1
            comparison["bootstrap_draws"] = [1.0, 2.0]

    text = comparisons_csv(run)

    assert text.splitlines()[0].endswith(",reason,trimmed_share")
    assert read(text)[0]["trimmed_share"] == "0.1"


def test_first_release_run() -> None:
    rows = read(comparisons_csv(make_first_release_run()))

    assert rows[0]["kind"] == ""
    assert rows[0]["ratio"] == "0.8123"


def test_unix_line_endings(run: dict[str, Any]) -> None:
    text = comparisons_csv(run) + samples_csv(run)

    assert "\r" not in text
    assert text.endswith("\n")


def test_sample_header(run: dict[str, Any]) -> None:
    assert samples_csv(run).splitlines()[0].split(",") == list(SAMPLE_COLUMNS)


def test_one_row_per_sample(run: dict[str, Any]) -> None:
    rows = read(samples_csv(run))
    expected = sum(
        len(implementation["samples"]["time"])
        for benchmark in run["benchmarks"]
        for implementation in benchmark["implementations"]
    )

    assert len(rows) == expected
    assert "broken" not in {row["implementation"] for row in rows}


def test_sample_values_exact(run: dict[str, Any]) -> None:
    samples = run["benchmarks"][0]["implementations"][0]["samples"]

    row = read(samples_csv(run))[1]

    assert row["benchmark"] == "tests/bench_strings.py::test_build_string"
    assert row["implementation"] == "concat"
    assert row["round"] == "1"
    assert row["position"] == "1"
    assert float(row["time"]) == samples["time"][1]
    assert row["time"] == repr(samples["time"][1])
    assert float(row["cpu_time"]) == samples["cpu_time"][1]


def test_recorded_metric_column() -> None:
    text = samples_csv(make_multi_metric_run())
    rows = [row for row in read(text) if row["implementation"] == "concat"]

    assert text.splitlines()[0].endswith(",cpu_time,recorded.allocations")
    # concat recorded 7 in round 0, 8 in round 1 and 6 in round 3, and nothing in rounds 2 and 4.
    assert [row["recorded.allocations"] for row in rows[:5]] == ["7.0", "8.0", "", "6.0", ""]


def test_recorded_column_empty_elsewhere() -> None:
    rows = read(samples_csv(make_multi_metric_run()))

    assert {row["recorded.allocations"] for row in rows if row["implementation"] != "concat"} == {
        ""
    }


def test_extra_sample_list(run: dict[str, Any]) -> None:
    run["benchmarks"][1]["implementations"][0]["samples"]["allocations"] = [3, 4, 5, 6, 7]

    rows = read(samples_csv(run))
    stdlib = [row for row in rows if row["implementation"] == "stdlib"]

    assert [row["allocations"] for row in stdlib] == ["3", "4", "5", "6", "7"]
    assert rows[0]["allocations"] == ""


def test_hostile_implementation_name(run: dict[str, Any]) -> None:
    run["benchmarks"][0]["implementations"][0]["name"] = "=cmd|'/C calc'!A0"

    row = read(samples_csv(run))[0]

    assert row["implementation"] == "'=cmd|'/C calc'!A0"


def test_malformed_run_rejected(run: dict[str, Any]) -> None:
    del run["benchmarks"][0]["comparisons"][0]["verdict"]

    with pytest.raises(ValueError, match=r"comparisons\[0\] is missing required key 'verdict'"):
        comparisons_csv(run)
