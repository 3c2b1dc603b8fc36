"""Building a list of (int, str) tuples: every iteration allocates a tuple and a string.

The same three comparisons as test_arithmetic_loop.py, on a function whose time includes
the allocator and the cleanup of the returned list. A call of ``build`` takes about 100 µs
on the machine of docs/benchmarks.md.
"""

from __future__ import annotations

import pytest

from pytest_statbench import compare

LENGTH = 1200  # a multiple of 10, so 10% of it is a whole number of items


def build(n: int) -> list[tuple[int, str]]:
    items = []
    for i in range(n):
        items.append((i, str(i)))
    return items


def build_copy(n: int) -> list[tuple[int, str]]:
    items = []
    for i in range(n):
        items.append((i, str(i)))
    return items


def build_more(n: int) -> list[tuple[int, str]]:
    items = []
    for i in range(n * 11 // 10):
        items.append((i, str(i)))
    return items


def build_less(n: int) -> list[tuple[int, str]]:
    items = []
    for i in range(n * 9 // 10):
        items.append((i, str(i)))
    return items


@pytest.mark.benchmark
@compare(base=build, copy=build_copy, baseline="base")
def test_list_identical(bench, impl):
    bench(impl, LENGTH)


@pytest.mark.benchmark
@compare(base=build, more=build_more, baseline="base")
def test_list_ten_percent_more(bench, impl):
    bench(impl, LENGTH)


@pytest.mark.benchmark
@compare(base=build, less=build_less, baseline="base")
def test_list_ten_percent_less(bench, impl):
    bench(impl, LENGTH)
