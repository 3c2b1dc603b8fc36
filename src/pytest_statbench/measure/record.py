"""Custom metrics recorded with ``bench.record`` while an implementation runs.

The rounds and the session set the recording target, the implementation and round being run,
in a context variable; ``record`` adds a value to that target. Warm-up and calibration calls
set no round and their values are dropped, so only the timed rounds and the calls outside
them (the test body and the first call) are kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from ..results import ImplementationResult, RecordedMetric

BETTER = ("lower", "higher")


@dataclass(frozen=True)
class RecordTarget:
    implementation: ImplementationResult
    # Round index, or None for calls outside the timed rounds.
    round: int | None
    # False during warm-up and calibration, whose values are dropped.
    keep: bool = True


_target: ContextVar[RecordTarget | None] = ContextVar("statbench_record_target", default=None)


@contextmanager
def recording(target: RecordTarget | None) -> Iterator[None]:
    token = _target.set(target)
    try:
        yield
    finally:
        _target.reset(token)


def is_recording() -> bool:
    """Return whether a value recorded now would reach an implementation's metrics."""
    return _target.get() is not None


class RecordError(ValueError):
    """A call of bench.record with an invalid name, value, unit or direction."""


def record(name: str, value: float, unit: str, better: str, reserved: frozenset[str]) -> None:
    """Add ``value`` to metric ``name`` of the implementation being run."""
    if not isinstance(name, str) or not name.isidentifier():
        raise RecordError(
            f"bench.record: metric name {name!r} is not an identifier; use a name such as "
            f"'api_calls'"
        )
    if name in reserved:
        raise RecordError(
            f"bench.record: {name!r} is a built-in metric measured by pytest-statbench; "
            f"record under another name"
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RecordError(
            f"bench.record: value {value!r} of {name!r} is not a finite number; record an int "
            f"or a float"
        )
    if better not in BETTER:
        raise RecordError(
            f"bench.record: better={better!r} for {name!r} is not 'lower' or 'higher'"
        )

    target = _target.get()
    if target is None:
        raise RecordError(
            f"bench.record({name!r}, ...) was called outside a measured implementation; call it "
            f"from inside an implementation, or from a @compare test body after bench(impl, ...)"
        )
    if not target.keep:
        return
    metrics = target.implementation.recorded
    metric = metrics.get(name)
    if metric is None:
        metric = metrics[name] = RecordedMetric(unit=unit, better=better)
    elif (metric.unit, metric.better) != (unit, better):
        raise RecordError(
            f"bench.record: {name!r} was first recorded with unit={metric.unit!r}, "
            f"better={metric.better!r}, now with unit={unit!r}, better={better!r}; use the same "
            f"unit and direction every time"
        )
    if target.round is None:
        metric.outside_rounds.append(float(value))
    else:
        metric.by_round[target.round] = metric.by_round.get(target.round, 0.0) + float(value)
