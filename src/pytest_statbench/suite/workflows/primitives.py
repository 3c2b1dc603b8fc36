"""Small composable async steps: the composition-of-primitives style of the workflows.

A step is any object with ``async __call__(value)``. The combinators build a workflow from
steps the way workflow libraries do, so their cost (an extra await and call per step) is
measured against plain code doing the same work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Protocol

from ..api import record_metric


class Step(Protocol):
    async def __call__(self, value: Any) -> Any: ...


class Function:
    """A step from an async function or a plain one."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function

    async def __call__(self, value: Any) -> Any:
        result = self.function(value)
        if isinstance(result, Awaitable):
            return await result
        return result


class Sequential:
    """Steps run one after another, each receiving the previous step's output."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = list(steps)

    async def __call__(self, value: Any) -> Any:
        for step in self.steps:
            value = await step(value)
        return value


class Parallel:
    """Steps run concurrently on the same input, returning their outputs in order."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = list(steps)

    async def __call__(self, value: Any) -> list[Any]:
        return list(await asyncio.gather(*(step(value) for step in self.steps)))


class Map:
    """One step run concurrently on every item of the input, returning outputs in order."""

    def __init__(self, step: Step) -> None:
        self.step = step

    async def __call__(self, values: Sequence[Any]) -> list[Any]:
        return list(await asyncio.gather(*(self.step(value) for value in values)))


class Retry:
    """A step called again after one of ``errors``, up to ``attempts`` calls in total."""

    def __init__(
        self, step: Step, attempts: int = 3,
        errors: tuple[type[BaseException], ...] = (ConnectionError,),
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts={attempts!r} is below 1")
        self.step = step
        self.attempts = attempts
        self.errors = errors

    async def __call__(self, value: Any) -> Any:
        for attempt in range(1, self.attempts + 1):
            try:
                return await self.step(value)
            except self.errors:
                if attempt == self.attempts:
                    raise
        raise AssertionError("unreachable: the loop returns or raises")


class Fallback:
    """A ``primary`` step, and a ``fallback`` called with the same input after ``errors``."""

    def __init__(
        self, primary: Step, fallback: Step,
        errors: tuple[type[BaseException], ...] = (ConnectionError,),
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.errors = errors

    async def __call__(self, value: Any) -> Any:
        try:
            return await self.primary(value)
        except self.errors:
            return await self.fallback(value)


class Cache:
    """A step memoised by ``key(value)`` that records ``cache_hits`` and ``cache_misses``."""

    def __init__(self, step: Step, key: Callable[[Any], Hashable] = lambda value: value) -> None:
        self.step = step
        self.key = key
        self.store: dict[Hashable, Any] = {}

    async def __call__(self, value: Any) -> Any:
        key = self.key(value)
        if key in self.store:
            record_metric("cache_hits", 1, unit="calls")
            return self.store[key]
        record_metric("cache_misses", 1, unit="calls")
        result = await self.step(value)
        self.store[key] = result
        return result


class Router:
    """Routes that send the input to the first step whose predicate is true, else ``default``."""

    def __init__(
        self, routes: Sequence[tuple[Callable[[Any], bool], Step]], default: Step
    ) -> None:
        self.routes = list(routes)
        self.default = default

    async def __call__(self, value: Any) -> Any:
        for predicate, step in self.routes:
            if predicate(value):
                return await step(value)
        return await self.default(value)
