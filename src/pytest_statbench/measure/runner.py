"""Runners: an implementation bound to the arguments of its measured call.

The rounds only ask a runner to time a loop of calls and to report peak memory, so an
implementation in this process and one in a sandbox are measured by the same code.
"""

from __future__ import annotations

import gc
import os
import tracemalloc
from typing import Protocol

from .timing import CallSpec, CoroutineRunner, Sample, time_loop


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

    def __init__(self, call: CallSpec, loop: CoroutineRunner | None) -> None:
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

    def rss_growth(self) -> int | None:
        """Return the growth of this process's resident set during one call, in bytes.

        Reads the current resident set from /proc/self/statm, so it is None on systems without
        /proc. Memory the allocator keeps from earlier calls is reused, so the value is often 0
        for a function that allocates and frees; it shows memory a call keeps or maps anew.
        """
        before = resident_set_size()
        if before is None:
            return None
        gc.collect()
        before = resident_set_size()
        try:
            time_loop(self.call, 1, self.loop)
        except Exception:  # noqa: BLE001 - a failure here is already recorded by the rounds
            return None
        after = resident_set_size()
        if before is None or after is None:
            return None
        return max(0, after - before)

    def close(self) -> None:
        return None


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_set_size() -> int | None:
    """Return this process's current resident set size in bytes, or None without /proc."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            fields = statm.read().split()
    except OSError:
        return None
    return int(fields[1]) * _PAGE_SIZE
