"""Fibonacci numbers computed by code that runs in the local sandbox.

Code implementations are source text with an entry point; each runs in a worker process with
no network and resource limits, and its calls are timed inside that worker. The recursive
version repeats work exponentially; the loop computes each number once.
"""

from __future__ import annotations

import pytest

from pytest_statbench import Code, compare

RECURSIVE = '''
def fibonacci(n):
    if n < 2:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)
'''

ITERATIVE = '''
def fibonacci(n):
    previous, current = 0, 1
    for _ in range(n):
        previous, current = current, previous + current
    return previous
'''


@pytest.mark.benchmark
@compare(
    recursive=Code(RECURSIVE, entry="fibonacci"),
    iterative=Code(ITERATIVE, entry="fibonacci"),
    baseline="recursive",
    expect="faster",
    same_result=True,
)
def test_fibonacci(bench, impl):
    assert bench(impl, 18) == 2584
