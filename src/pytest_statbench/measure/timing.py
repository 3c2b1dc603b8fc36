"""Timed loops and calibration for one implementation call.

A sample is one loop of ``loops`` calls between two clock readings, so the timer's resolution
and the cost of reading it are spread over many calls. The per-call time of a sample is its
elapsed time divided by ``loops``; the calls inside a loop are never counted as samples.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import itertools
import math
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

# Upper bound of calls per sample, so a near-empty function cannot make one sample run for long
# after a misleadingly fast warm-up.
MAX_LOOPS = 10_000_000

# Trial samples of the calibration; each lasts about one sample, 2 ms by default.
CALIBRATION_TRIALS = 5

# A warm-up stops after this many calls even when warmup_time has not passed yet.
MAX_WARMUP_CALLS = 100_000


@dataclass
class CallSpec:
    """An implementation together with the arguments of the call that is measured."""

    name: str
    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    is_async: bool = False


@dataclass(frozen=True)
class Sample:
    """Elapsed wall and CPU time of one loop, in nanoseconds, and its number of calls."""

    wall_ns: int
    cpu_ns: int
    loops: int


def _time_sync(call: CallSpec, loops: int) -> Sample:
    function = call.function
    args = call.args
    kwargs = call.kwargs
    repeat = itertools.repeat(None, loops)
    cpu_start = time.process_time_ns()
    start = time.perf_counter_ns()
    for _ in repeat:
        function(*args, **kwargs)
    end = time.perf_counter_ns()
    cpu_end = time.process_time_ns()
    return Sample(end - start, cpu_end - cpu_start, loops)


async def _time_async(call: CallSpec, loops: int) -> Sample:
    # The clock brackets the awaits inside one coroutine on the measurement's event loop,
    # so each call is created and awaited to completion; starting the loop is not timed.
    function = call.function
    args = call.args
    kwargs = call.kwargs
    repeat = itertools.repeat(None, loops)
    cpu_start = time.process_time_ns()
    start = time.perf_counter_ns()
    for _ in repeat:
        await function(*args, **kwargs)
    end = time.perf_counter_ns()
    cpu_end = time.process_time_ns()
    return Sample(end - start, cpu_end - cpu_start, loops)


class CoroutineRunner(Protocol):
    """Runs a coroutine to completion: an event loop, or a bridge to a loop in another thread."""

    def run_until_complete(self, coroutine: Coroutine[Any, Any, Any]) -> Any: ...


class LoopBridge:
    """Runs coroutines on an event loop that is running in another thread, and waits.

    An async test's implementations must run on the test's own loop, where its fixtures and
    clients live. The rounds then run in a worker thread and hand each timed coroutine to that
    loop; the clock is read inside the coroutine, so the hand-over is not timed. The
    coroutine runs in a copy of the worker's context, so bench.record finds its target.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def run_until_complete(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        context = contextvars.copy_context()
        result: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def start() -> None:
            task = self.loop.create_task(coroutine, context=context)
            futures_chain(task, result)

        self.loop.call_soon_threadsafe(start)
        return result.result()


def futures_chain(task: asyncio.Task[Any], result: concurrent.futures.Future[Any]) -> None:
    """Copy the outcome of an asyncio task into a concurrent future when the task ends."""

    def done(finished: asyncio.Task[Any]) -> None:
        if finished.cancelled():
            result.cancel()
        elif (error := finished.exception()) is not None:
            result.set_exception(error)
        else:
            result.set_result(finished.result())

    task.add_done_callback(done)


def time_loop(call: CallSpec, loops: int, loop: CoroutineRunner | None) -> Sample:
    """Time ``loops`` calls of ``call``; an async call runs on ``loop``."""
    if call.is_async:
        if loop is None:
            raise RuntimeError(f"implementation {call.name!r} is async but no event loop was given")
        sample: Sample = loop.run_until_complete(_time_async(call, loops))
        return sample
    return _time_sync(call, loops)


class TimesLoops(Protocol):
    """Anything that can time a loop of calls: an in-process runner or a sandboxed one."""

    def time(self, loops: int) -> Sample: ...


def warm_up(runner: TimesLoops, warmup_time: float) -> float:
    """Call the implementation for about ``warmup_time`` seconds; return seconds per call.

    The calls run in growing batches, so the clock is read rarely for fast functions and a
    slow function stops after one call.
    """
    budget_ns = warmup_time * 1e9
    calls = 0
    elapsed_ns = 0
    batch = 1
    while True:
        sample = runner.time(batch)
        calls += batch
        elapsed_ns += sample.wall_ns
        if elapsed_ns >= budget_ns or calls >= MAX_WARMUP_CALLS:
            break
        batch = min(batch * 2, MAX_WARMUP_CALLS - calls)
    return max(elapsed_ns, 1) / calls / 1e9


def calibrate(runner: TimesLoops, per_call: float, min_sample_time: float) -> int:
    """Choose calls per sample so one sample lasts at least ``min_sample_time`` seconds.

    Starts from the warm-up estimate, then runs a few trial samples and sizes the loop from the
    fastest per-call time seen. The minimum is the estimate least disturbed by other processes,
    so identical implementations get the same loop count even on a busy machine; differing
    counts would give their samples different exposure to preemption.
    """
    fastest = per_call
    loops = _loops_for(fastest, min_sample_time)
    for _ in range(CALIBRATION_TRIALS):
        sample = runner.time(loops)
        fastest = min(fastest, max(sample.wall_ns, 1) / sample.loops / 1e9)
        loops = _loops_for(fastest, min_sample_time)
    return loops


def _loops_for(per_call: float, min_sample_time: float) -> int:
    if per_call <= 0:
        return MAX_LOOPS
    return max(1, min(MAX_LOOPS, math.ceil(min_sample_time * 1.1 / per_call)))
