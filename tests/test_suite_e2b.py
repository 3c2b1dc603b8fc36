"""The programmatic API running Code implementations on the E2B backend, against the fake."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

pytest.importorskip("e2b_code_interpreter")

from fake_e2b import API_KEY, FakeE2B

from pytest_statbench.sandbox import Code
from pytest_statbench.sandbox import e2b as backend
from pytest_statbench.suite import (
    Benchmark,
    BenchmarkContext,
    BenchmarkResult,
    BenchmarkRunner,
)

SLOW = Code("def work(n):\n    return sum(i * i for i in range(n * 20))\n", entry="work")
FAST = Code("def work(n):\n    return sum(i * i for i in range(n))\n", entry="work")


class SandboxedWork(Benchmark):
    name = "sandboxed_work"
    description = "two Code implementations measured in E2B sandboxes"

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        await context.compare({"slow": SLOW, "fast": FAST}, baseline="slow", args=(200,))
        return context.result


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeE2B]:
    configured = backend.current_settings()
    with FakeE2B() as service:
        monkeypatch.setenv("E2B_DOMAIN", "localhost")
        backend.configure(backend.E2BSettings(
            api_url=service.url, sandbox_url=service.url, retry_backoff=0.01
        ))
        yield service
        backend.end_session()
        backend.configure(configured)
        assert service.live_sandboxes() == []
    assert service.errors == []


def test_runner_measures_on_e2b(fake: FakeE2B) -> None:
    runner = BenchmarkRunner(
        e2b_api_key=API_KEY, sandbox="e2b", rounds=10, seed=1, min_sample_time=0.0002,
        warmup_time=0.001,
    )
    try:
        result = asyncio.run(runner.run_benchmark(SandboxedWork()))
    finally:
        runner.close()

    assert result.success, result.errors
    record = result.records[0]
    assert {i.name for i in record.implementations} == {"slow", "fast"}
    assert all(len(i.times) == 10 for i in record.implementations)
    assert fake.created >= 2


def test_runner_without_key_fails_clearly(fake: FakeE2B, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("E2B_API_KEY", raising=False)
    runner = BenchmarkRunner(sandbox="e2b", rounds=10, seed=1)
    try:
        result = asyncio.run(runner.run_benchmark(SandboxedWork()))
    finally:
        runner.close()

    # A framework that cannot start is reported as failing; nothing is measured.
    record = result.records[0]
    for implementation in record.implementations:
        assert implementation.setup_error is not None
        assert "E2B API key" in implementation.setup_error.message
        assert implementation.times == []
