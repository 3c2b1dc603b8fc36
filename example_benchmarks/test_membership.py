"""Membership tests: a linear scan of a list against a hash lookup in a set.

Written in the fixture form: ``bench.compare`` returns a result the test asserts on.
"""

from __future__ import annotations

import pytest

ITEMS = list(range(1000))
PROBES = list(range(0, 2000, 7))


def count_in_list(items: list[int], probes: list[int]) -> int:
    return sum(1 for probe in probes if probe in items)


def count_in_set(items: set[int], probes: list[int]) -> int:
    return sum(1 for probe in probes if probe in items)


@pytest.mark.benchmark
def test_membership(bench):
    as_list = ITEMS
    as_set = set(ITEMS)
    result = bench.compare(
        {
            "list": lambda: count_in_list(as_list, PROBES),
            "set": lambda: count_in_set(as_set, PROBES),
        },
        baseline="list",
    )
    result.assert_faster("set")
