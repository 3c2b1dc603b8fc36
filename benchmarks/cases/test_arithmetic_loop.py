"""A tight integer loop against an identical copy, 10% more work and 10% less work.

A call of ``work`` takes about 70 µs on the machine of docs/benchmarks.md. The loop count,
not the machine, sets the true time ratios: about 1.0, 1.1 and 0.9, a little closer to 1
because the fixed cost of the call does not scale with the loop count.
"""

from __future__ import annotations

import pytest

from pytest_statbench import compare

ITERATIONS = 1500  # a multiple of 10, so 10% of it is a whole number of iterations


def work(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def work_copy(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def work_more(n: int) -> int:
    total = 0
    for i in range(n * 11 // 10):
        total += i * i % 7
    return total


def work_less(n: int) -> int:
    total = 0
    for i in range(n * 9 // 10):
        total += i * i % 7
    return total


@pytest.mark.benchmark
@compare(base=work, copy=work_copy, baseline="base")
def test_identical(bench, impl):
    bench(impl, ITERATIONS)


@pytest.mark.benchmark
@compare(base=work, more=work_more, baseline="base")
def test_ten_percent_more(bench, impl):
    bench(impl, ITERATIONS)


@pytest.mark.benchmark
@compare(base=work, less=work_less, baseline="base")
def test_ten_percent_less(bench, impl):
    bench(impl, ITERATIONS)
