"""Ten concurrent I/O waits: awaited one after another, or together with ``asyncio.gather``.

Each wait is ``asyncio.sleep(0.001)``, a stand-in for a network call. In sequence the waits
add up to about 10 ms; gathered they overlap and take about 1 ms.
"""

from __future__ import annotations

import asyncio

import pytest

from pytest_statbench import compare

WAITS = 10
WAIT_SECONDS = 0.001


async def fetch(index: int) -> int:
    await asyncio.sleep(WAIT_SECONDS)
    return index


async def fetch_sequentially(count: int) -> list[int]:
    return [await fetch(index) for index in range(count)]


async def fetch_concurrently(count: int) -> list[int]:
    return list(await asyncio.gather(*(fetch(index) for index in range(count))))


@pytest.mark.benchmark
@compare(sequential=fetch_sequentially, gather=fetch_concurrently, baseline="sequential",
         expect="faster", same_result=True)
def test_concurrent_waits(bench, impl):
    bench(impl, WAITS)
