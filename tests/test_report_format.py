"""Tests of the number formatting shared by the terminal summary and the HTML report."""

from __future__ import annotations

import math

import pytest

from pytest_statbench.report.format import (
    format_memory,
    format_number,
    format_p_value,
    format_percent,
    format_ratio,
    format_time,
)


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
    assert format_ratio(0.0) == "0.000"


def test_format_ratio_huge_and_tiny() -> None:
    assert format_ratio(6.6e300) == "6.6e+300"
    assert format_ratio(2.5e-7) == "2.5e-07"
    assert format_ratio(999_999.0) == "999999.000"


def test_format_rejects_text() -> None:
    with pytest.raises(TypeError, match="time must be a number or None, got '1.0'"):
        format_time("1.0")  # type: ignore[arg-type]
