"""Tests of to_dataframe: one row per sample, with pandas when it is installed."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from test_report_runs import make_multi_metric_run, make_run

from pytest_statbench.report.dataframe import SAMPLE_COLUMNS, to_dataframe


def test_missing_pandas_names_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes "import pandas" raise ImportError, as if it were not installed.
    monkeypatch.setitem(sys.modules, "pandas", None)

    with pytest.raises(ImportError, match=r"pip install pytest-statbench\[pandas\]"):
        to_dataframe(make_run())


@pytest.fixture
def pandas() -> Any:
    return pytest.importorskip("pandas", reason="pandas is an optional extra")


def test_columns(pandas: Any) -> None:
    frame = to_dataframe(make_run())

    assert list(frame.columns) == list(SAMPLE_COLUMNS)


def test_one_row_per_sample(pandas: Any) -> None:
    run = make_run()
    expected = sum(
        len(implementation["samples"]["time"])
        for benchmark in run["benchmarks"]
        for implementation in benchmark["implementations"]
    )

    frame = to_dataframe(run)

    assert len(frame) == expected


def test_dtypes(pandas: Any) -> None:
    frame = to_dataframe(make_run())

    assert str(frame["round"].dtype) == "int64"
    assert str(frame["position"].dtype) == "int64"
    assert str(frame["time"].dtype) == "float64"
    assert str(frame["cpu_time"].dtype) == "float64"


def test_values_match_run(pandas: Any) -> None:
    run = make_run()
    samples = run["benchmarks"][1]["implementations"][2]["samples"]

    frame = to_dataframe(run)
    cached = frame[frame["implementation"] == "cached"]

    assert cached["benchmark"].unique().tolist() == ["tests/bench_json.py::test_parse[small]"]
    assert cached["time"].tolist() == samples["time"]
    assert cached["round"].tolist() == samples["round"]


def test_null_time_is_nan(pandas: Any) -> None:
    run = make_run()
    run["benchmarks"][0]["implementations"][0]["samples"]["time"][2] = None

    frame = to_dataframe(run)

    assert frame["time"].isna().sum() == 1


def test_groupby_median(pandas: Any) -> None:
    frame = to_dataframe(make_run())

    medians = frame.groupby("implementation")["time"].median()

    assert medians["concat"] == pytest.approx(1.84e-6)


def test_recorded_column(pandas: Any) -> None:
    frame = to_dataframe(make_multi_metric_run())
    concat = frame[frame["implementation"] == "concat"]

    assert list(frame.columns)[-1] == "recorded.allocations"
    assert concat["recorded.allocations"].tolist()[:2] == [7.0, 8.0]
    assert frame[frame["implementation"] == "join"]["recorded.allocations"].isna().all()


def test_empty_run(pandas: Any) -> None:
    run = make_run()
    run["benchmarks"] = []

    frame = to_dataframe(run)

    assert len(frame) == 0
    assert list(frame.columns) == list(SAMPLE_COLUMNS)
