"""Interleaved, seeded rounds over the implementations of one benchmark.

Every round runs each implementation once, in an order freshly shuffled by a seeded
generator, so slow drift of the machine (frequency scaling, other jobs) falls on every
implementation alike and the samples of one round can be paired.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..results import CallError, ImplementationResult
from .record import RecordTarget, recording
from .runner import RemoteCallError, Runner
from .timing import calibrate, warm_up


@dataclass(frozen=True)
class RoundSettings:
    rounds: int
    min_rounds: int
    min_sample_time: float
    warmup_time: float
    max_time: float


def error_from(exception: BaseException, round_index: int | None) -> CallError:
    if isinstance(exception, RemoteCallError):
        return CallError(round=round_index, type=exception.type_name, message=exception.message)
    return CallError(round=round_index, type=type(exception).__qualname__, message=str(exception))


def measure(
    runners: list[Runner],
    results: dict[str, ImplementationResult],
    settings: RoundSettings,
    rng: np.random.Generator,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, list[str]]:
    """Warm up, calibrate and run the rounds; fill ``results`` and return (rounds, notes).

    Implementations that raise during warm-up are left out of the rounds with their error;
    an exception in a round marks only that sample as failed.
    """
    notes: list[str] = []
    active: list[Runner] = []
    round_cost = 0.0

    for runner in runners:
        result = results[runner.name]
        try:
            with recording(RecordTarget(result, None, keep=False)):
                per_call = warm_up(runner, settings.warmup_time)
                result.loops = calibrate(runner, per_call, settings.min_sample_time)
        except Exception as exception:  # noqa: BLE001 - user code may raise anything
            result.setup_error = error_from(exception, None)
            result.failures += 1
            continue
        active.append(runner)
        round_cost += max(per_call * result.loops, settings.min_sample_time)

    rounds = _rounds_within_budget(settings, round_cost)
    if rounds < settings.rounds:
        notes.append(
            f"ran {rounds} of {settings.rounds} rounds to stay within the "
            f"{settings.max_time:g} s budget (--bench-max-time); one round takes about "
            f"{round_cost:.3g} s"
        )
    if not active:
        rounds = 0

    gc.collect()
    for round_index in range(rounds):
        if progress is not None:
            progress(round_index, rounds)
        # Young garbage left by one round is collected here, not inside a later sample. A full
        # collection would cost tens of milliseconds per round in a large test process.
        gc.collect(1)
        order = rng.permutation(len(active))
        for position, index in enumerate(order):
            runner = active[int(index)]
            result = results[runner.name]
            try:
                with recording(RecordTarget(result, round_index)):
                    sample = runner.time(result.loops)
            except Exception as exception:  # noqa: BLE001 - user code may raise anything
                result.calls += result.loops
                result.record_error(error_from(exception, round_index))
                continue
            result.calls += sample.loops
            result.rounds.append(round_index)
            result.positions.append(position)
            result.times.append(sample.wall_ns / sample.loops / 1e9)
            result.cpu_times.append(sample.cpu_ns / sample.loops / 1e9)

    for runner in active:
        result = results[runner.name]
        with recording(RecordTarget(result, None, keep=False)):
            result.peak_memory = runner.peak_memory()
            # A sandbox runner may not measure the resident set; then the value stays None.
            rss_growth = getattr(runner, "rss_growth", None)
            result.rss_growth = rss_growth() if rss_growth is not None else None

    return rounds, notes


def _rounds_within_budget(settings: RoundSettings, round_cost: float) -> int:
    if round_cost <= 0:
        return settings.rounds
    affordable = math.floor(settings.max_time / round_cost)
    return max(settings.min_rounds, min(settings.rounds, affordable))
