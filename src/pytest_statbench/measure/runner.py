"""Runners: an implementation bound to the arguments of its measured call.

The rounds only ask a runner to time a loop of calls and to report peak memory, so an
implementation in this process and one in a sandbox are measured by the same code.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from typing import Protocol

from .timing import CallSpec, Sample, time_loop


class Runner(Protocol):
    name: str
    is_async: bool

    def time(self, loops: int) -> Sample:
        """Time ``loops`` calls; raise what the implementation raised."""
        ...

    def peak_memory(self) -> int | None:
        """Return the peak bytes allocated during one call, or None if it cannot be measured."""
        ...

    def close(self) -> None: ...


class RemoteCallError(Exception):
    """An exception raised by an implementation in another process.

    Keeps the type name and traceback text from that process, because the exception object
    itself cannot cross the process boundary.
    """

    def __init__(self, type_name: str, message: str, traceback_text: str = "") -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text


class InProcessRunner:
    """Runs a callable in this process; an async one on the benchmark's event loop."""

    def __init__(self, call: CallSpec, loop: asyncio.AbstractEventLoop | None) -> None:
        self.call = call
        self.loop = loop
        self.name = call.name
        self.is_async = call.is_async

    def time(self, loops: int) -> Sample:
        return time_loop(self.call, loops, self.loop)

    def peak_memory(self) -> int | None:
        """Return the peak bytes Python allocates during one call, or None if the call raises.

        Runs after the timed rounds because tracemalloc slows every allocation.
        """
        already_tracing = tracemalloc.is_tracing()
        if not already_tracing:
            tracemalloc.start()
        try:
            gc.collect()
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            time_loop(self.call, 1, self.loop)
            _, peak = tracemalloc.get_traced_memory()
        except Exception:  # noqa: BLE001 - a failure here is already recorded by the rounds
            return None
        finally:
            if not already_tracing:
                tracemalloc.stop()
        return max(0, peak - before)

    def close(self) -> None:
        return None
