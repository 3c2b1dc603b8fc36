"""Benchmarks of three workflow patterns: error handling, parallel calls and caching.

Each compares real implementations that return the same value for the same input, checked
before the rounds, against the deterministic fake model of ``fakes``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from ..api import Benchmark, BenchmarkContext, BenchmarkResult, record_metric
from .fakes import Completion, FakeLLM, Latency
from .primitives import Cache, Fallback, Function, Map, Retry

Batch = Callable[[Sequence[str]], Coroutine[Any, Any, list[str]]]


def prompts(count: int, distinct: int | None = None) -> list[str]:
    """Return ``count`` prompts, cycling through ``distinct`` different ones when given."""
    distinct = count if distinct is None else distinct
    return [f"Question {index % distinct}: what does step {index % distinct} do?"
            for index in range(count)]


class ErrorHandlingBenchmark(Benchmark):
    """Retry then fall back, written as a plain loop and as Retry and Fallback primitives.

    The primary model fails every ``fail_every``-th call. A failed request is retried up to
    ``attempts`` calls, then sent to the backup model.
    """

    name = "error_handling"
    description = "Retry and fallback against a flaky model: plain loop vs primitives"

    def __init__(
        self, requests: int = 6, fail_every: int = 3, attempts: int = 2,
        latency: float | Latency = 0.0003, iterations: int | None = None,
    ) -> None:
        self.requests = requests
        self.fail_every = fail_every
        self.attempts = attempts
        self.latency = latency
        self.iterations = iterations

    def implementations(self) -> dict[str, Batch]:
        attempts = self.attempts

        def clients() -> tuple[FakeLLM, FakeLLM]:
            primary = FakeLLM("fake-primary", self.latency, fail_every=self.fail_every)
            return primary, FakeLLM("fake-backup", self.latency)

        primary_a, backup_a = clients()

        async def plain(batch: Sequence[str]) -> list[str]:
            answers = []
            for prompt in batch:
                completion: Completion | None = None
                for _ in range(attempts):
                    try:
                        completion = await primary_a.complete(prompt)
                        break
                    except ConnectionError:
                        continue
                if completion is None:
                    completion = await backup_a.complete(prompt)
                answers.append(completion.model)
            return answers

        primary_b, backup_b = clients()

        async def ask_primary(prompt: str) -> str:
            return (await primary_b.complete(prompt)).model

        async def ask_backup(prompt: str) -> str:
            return (await backup_b.complete(prompt)).model

        step = Fallback(Retry(Function(ask_primary), attempts), Function(ask_backup))

        async def primitives(batch: Sequence[str]) -> list[str]:
            return [await step(prompt) for prompt in batch]

        return {"plain": plain, "primitives": primitives}

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        await context.compare(
            self.implementations(), baseline="plain", args=(prompts(self.requests),),
            same_result=True, rounds=self.iterations,
        )
        return context.result


class ParallelProcessingBenchmark(Benchmark):
    """Independent model calls awaited one by one, with asyncio.gather, and with Map."""

    name = "parallel_processing"
    description = "Independent model calls: sequential vs asyncio.gather vs Map primitive"

    def __init__(
        self, requests: int = 5, latency: float | Latency = 0.0005,
        iterations: int | None = None,
    ) -> None:
        self.requests = requests
        self.latency = latency
        self.iterations = iterations

    def implementations(self) -> dict[str, Batch]:
        sequential_llm = FakeLLM(latency=self.latency)
        gather_llm = FakeLLM(latency=self.latency)
        map_llm = FakeLLM(latency=self.latency)

        async def sequential(batch: Sequence[str]) -> list[str]:
            return [(await sequential_llm.complete(prompt)).text for prompt in batch]

        async def gather(batch: Sequence[str]) -> list[str]:
            completions = await asyncio.gather(*(gather_llm.complete(p) for p in batch))
            return [completion.text for completion in completions]

        async def ask(prompt: str) -> str:
            return (await map_llm.complete(prompt)).text

        mapped = Map(Function(ask))

        async def map_primitive(batch: Sequence[str]) -> list[str]:
            return list(await mapped(batch))

        return {"sequential": sequential, "gather": gather, "map": map_primitive}

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        await context.compare(
            self.implementations(), baseline="sequential", args=(prompts(self.requests),),
            same_result=True, rounds=self.iterations,
        )
        return context.result


class CachingBenchmark(Benchmark):
    """A batch with repeated prompts: no cache, a dict memo, and the Cache primitive.

    Each call of an implementation starts with an empty cache, so every sample does the same
    work. Every lookup records ``cache_hits`` or ``cache_misses``. Without a cache every
    request counts as a miss, so the derived ``cache_hit_rate`` is 0 for it.
    """

    name = "caching"
    description = "Repeated prompts: no cache vs memoising caches, with hit and miss counts"

    def __init__(
        self, requests: int = 8, distinct: int = 3, latency: float | Latency = 0.0005,
        iterations: int | None = None,
    ) -> None:
        self.requests = requests
        self.distinct = distinct
        self.latency = latency
        self.iterations = iterations

    def implementations(self) -> dict[str, Batch]:
        uncached_llm = FakeLLM(latency=self.latency)
        memo_llm = FakeLLM(latency=self.latency)
        primitive_llm = FakeLLM(latency=self.latency)

        async def no_cache(batch: Sequence[str]) -> list[str]:
            answers = []
            for prompt in batch:
                record_metric("cache_misses", 1, unit="calls")
                answers.append((await uncached_llm.complete(prompt)).text)
            return answers

        async def memo(batch: Sequence[str]) -> list[str]:
            cache: dict[str, str] = {}
            answers = []
            for prompt in batch:
                if prompt in cache:
                    record_metric("cache_hits", 1, unit="calls")
                else:
                    record_metric("cache_misses", 1, unit="calls")
                    cache[prompt] = (await memo_llm.complete(prompt)).text
                answers.append(cache[prompt])
            return answers

        async def ask(prompt: str) -> str:
            return (await primitive_llm.complete(prompt)).text

        async def cache_primitive(batch: Sequence[str]) -> list[str]:
            cached = Cache(Function(ask))
            return [await cached(prompt) for prompt in batch]

        return {"no_cache": no_cache, "memo": memo, "cache_primitive": cache_primitive}

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        frameworks: dict[str, Any] = self.implementations()
        await context.compare(
            frameworks, baseline="no_cache",
            args=(prompts(self.requests, self.distinct),),
            metrics=["time", "peak_memory", "success_rate", "cache_hit_rate", "api_calls"],
            same_result=True, rounds=self.iterations,
        )
        return context.result
