"""Suites, runners and benchmarks that drive the measurement engine without pytest.

``BenchmarkContext.compare`` does what a ``bench.compare`` call does in a test: it calls each
implementation once, runs the interleaved rounds of ``pytest_statbench.measure`` and analyses
the samples with ``pytest_statbench.analysis``. The engine's record of each comparison, with
every raw sample, is kept on the ``BenchmarkResult``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..implementations import qualname, result_difference
from ..measure.record import RecordTarget, recording
from ..results import BenchmarkResult as EngineRecord
from ..results import CallError, ImplementationResult
from ..settings import MIN_ROUNDS, Settings

logger = logging.getLogger("pytest_statbench.suite")

# One measurement or sandboxed execute() runs at a time in a process, so that concurrent
# benchmarks never share the CPU while samples are taken. It is a thread lock because the rounds run in a worker thread,
# which keeps running after its awaiting task is cancelled by a timeout.
_MEASUREMENT_LOCK = threading.Lock()

# Names of BenchmarkMetrics fields accepted in metrics= for the engine metric they read.
METRIC_ALIASES = {
    "execution_time": "time",
    "memory_usage": "peak_memory",
    "lines_of_code": "loc",
    "cyclomatic_complexity": "complexity_max",
    "maintainability_score": "maintainability_index",
    "cost_per_request": "api_cost",
}


class ResultMismatch(Exception):
    """Implementations of one comparison returned different values for the same input."""


@dataclass
class BenchmarkMetrics:
    """Measured figures of one framework in one comparison, None where nothing was measured.

    Times are seconds per call (the median over the timed rounds), memory is the peak bytes
    Python allocates during one call, and per-call custom values are means over the rounds.
    """

    execution_time: float | None = None
    execution_time_samples: list[float] = field(default_factory=list)
    memory_usage: int | None = None
    success_rate: float | None = None
    lines_of_code: int | None = None
    cyclomatic_complexity: int | None = None
    maintainability_index: float | None = None
    api_calls: float | None = None
    cache_hit_rate: float | None = None
    cost_per_request: float | None = None
    custom: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BenchmarkResult:
    """Outcome of one benchmark: per-framework metrics and the engine's comparison records."""

    benchmark_name: str
    framework_results: dict[str, BenchmarkMetrics] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    # The engine's records: implementations with raw samples, comparisons, ANOVA, diagnostics.
    records: list[EngineRecord] = field(default_factory=list)
    # Metrics of every comparison by record id. framework_results keeps each framework's first.
    comparison_metrics: dict[str, dict[str, BenchmarkMetrics]] = field(default_factory=dict)
    success: bool = True
    error: str | None = None
    execution_logs: list[str] = field(default_factory=list)
    attempts: int = 1
    duration: float = 0.0
    # Settings the records were measured with; the report needs them for the JSON header.
    settings: Settings | None = None


class Benchmark:
    """A named benchmark. Subclasses implement ``run`` with the helpers of the context."""

    name: str = "benchmark"
    description: str = ""
    # Seconds the runner allows run() to take, or None for the runner's default_timeout.
    timeout: float | None = None

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        raise NotImplementedError(f"{type(self).__qualname__} must implement async run(context)")

    def cache_key(self) -> str:
        """Return the key of the runner's result cache: the class, name and parameters."""
        parameters = sorted((key, repr(value)) for key, value in vars(self).items())
        return f"{type(self).__qualname__}:{self.name}:{parameters}"


class BenchmarkSuite:
    """Named benchmarks, run in the order they were added."""

    def __init__(self) -> None:
        self.benchmarks: dict[str, Benchmark] = {}

    def add_benchmark(self, name: str, benchmark: Benchmark) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"benchmark name {name!r} is invalid; use a non-empty string")
        if name in self.benchmarks:
            raise ValueError(
                f"a benchmark named {name!r} is already in the suite; remove it first or "
                f"choose another name"
            )
        if not isinstance(benchmark, Benchmark):
            raise TypeError(
                f"benchmark {name!r} is a {type(benchmark).__name__}, not a Benchmark; "
                f"subclass pytest_statbench.suite.Benchmark"
            )
        self.benchmarks[name] = benchmark

    def remove_benchmark(self, name: str) -> Benchmark:
        try:
            return self.benchmarks.pop(name)
        except KeyError:
            known = ", ".join(repr(key) for key in self.benchmarks) or "none"
            raise KeyError(f"no benchmark named {name!r} in the suite; known: {known}") from None

    def list_benchmarks(self) -> list[str]:
        return list(self.benchmarks)

    def __len__(self) -> int:
        return len(self.benchmarks)

    def __iter__(self) -> Iterator[tuple[str, Benchmark]]:
        return iter(list(self.benchmarks.items()))


class BenchmarkContext:
    """Helpers for one run of one benchmark: measured comparisons, code metrics, logs."""

    def __init__(self, name: str, settings: Settings, result: BenchmarkResult) -> None:
        self.name = name
        self.settings = settings
        self.result = result

    def log(self, message: str) -> None:
        """Add a line to the result's execution logs and to the suite logger."""
        self.result.execution_logs.append(message)
        logger.info("%s: %s", self.name, message)

    async def compare(
        self,
        frameworks: Mapping[str, Any],
        *,
        baseline: str,
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        name: str | None = None,
        metrics: list[str] | None = None,
        prices: Mapping[str, float] | None = None,
        same_result: bool = False,
        rounds: int | None = None,
        sources: Mapping[str, object] | None = None,
    ) -> dict[str, BenchmarkMetrics]:
        """Measure the frameworks in interleaved rounds against ``baseline`` and return metrics.

        A framework is a callable, sync or async, or a ``pytest_statbench.sandbox.Code``. Each
        is called once with ``args`` first. With ``same_result``, a differing return value
        raises ResultMismatch before any round runs. ``rounds`` overrides the runner's
        rounds for this comparison. ``sources`` maps a framework to the object whose source
        the code metrics read, such as the function that builds a closure. The engine's record
        is appended to ``result.records``.
        """
        if baseline not in frameworks:
            raise ValueError(
                f"baseline {baseline!r} is not among the frameworks "
                f"({', '.join(repr(n) for n in frameworks)})"
            )
        if len(frameworks) < 2:
            raise ValueError("compare needs at least two frameworks: a baseline and a candidate")
        record_id = f"{self.name}[{name}]" if name else self.name
        if any(record.id == record_id for record in self.result.records):
            raise ValueError(
                f"comparison {record_id!r} was already measured in this benchmark; pass a "
                f"different name="
            )
        settings = self.settings
        if rounds is not None:
            if rounds < MIN_ROUNDS:
                raise ValueError(
                    f"rounds={rounds!r} is below {MIN_ROUNDS}; fewer rounds leave the bootstrap "
                    f"interval too coarse for any verdict"
                )
            settings = replace(settings, rounds=rounds)
        record = _new_record(record_id, self.name, baseline, settings, metrics, prices)
        started = time.perf_counter()
        await asyncio.to_thread(
            _measure_locked, record, dict(frameworks), args, dict(kwargs or {}), settings,
            same_result, dict(sources or {}),
        )
        self.log(
            f"measured {record_id}: {len(frameworks)} frameworks, {record.rounds} rounds, "
            f"{time.perf_counter() - started:.2f} s"
        )
        self.result.records.append(record)
        measured = metrics_from_record(record)
        self.result.comparison_metrics[record_id] = measured
        for framework, values in measured.items():
            self.result.framework_results.setdefault(framework, values)
        return measured

    def code_metrics(self, implementation: object) -> dict[str, Any]:
        """Return radon's figures for an implementation's source, as ``measure_code`` gives."""
        from ..metrics import measure_code

        return asdict(measure_code(implementation))

    async def execute(self, code: Any, *args: Any, **kwargs: Any) -> Any:
        """Call a ``Code`` implementation once in a sandbox worker and return its value."""
        return await asyncio.to_thread(_execute_code, code, args, kwargs, self.settings)


class BenchmarkRunner:
    """Runner of benchmarks and suites that turns each failure into a failed result.

    ``max_concurrent`` bounds how many ``run`` coroutines are active at once; measurements
    themselves never overlap. A benchmark that raises or exceeds ``default_timeout`` seconds
    becomes a failed result with its error, retried up to ``max_retries`` times when
    ``retry_failed`` is set.
    """

    def __init__(
        self,
        e2b_api_key: str | None = None,
        *,
        max_concurrent: int = 1,
        default_timeout: float | None = 300.0,
        retry_failed: bool = False,
        max_retries: int = 2,
        e2b_template: str | None = None,
        cleanup_sandboxes: bool = True,
        sandbox_timeout: float = 60.0,
        log_level: str | int = "WARNING",
        log_file: str | None = None,
        cache_results: bool = False,
        cache_ttl_hours: float = 24.0,
        sandbox: str = "local",
        rounds: int = 30,
        seed: int | None = None,
        margin: float = 0.05,
        alpha: float = 0.05,
        min_sample_time: float = 0.002,
        warmup_time: float = 0.01,
        max_time: float = 20.0,
        bootstrap_resamples: int = 2000,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent={max_concurrent!r} is below 1")
        if max_retries < 0:
            raise ValueError(f"max_retries={max_retries!r} is negative")
        if rounds < MIN_ROUNDS:
            raise ValueError(f"rounds={rounds!r} is below the minimum of {MIN_ROUNDS}")
        if not 0 < alpha < 1:
            raise ValueError(f"alpha={alpha!r} is not between 0 and 1")
        if not 0 <= margin < 1:
            raise ValueError(f"margin={margin!r} is not between 0 and 1")
        if sandbox not in ("local", "e2b"):
            raise ValueError(f"sandbox={sandbox!r} is not a backend; use 'local' or 'e2b'")
        from ..settings import new_seed

        e2b_options: Any = None
        if sandbox == "e2b":
            # Importing the backend turns a missing SDK into a clear error now, not mid-run.
            from ..sandbox.e2b import E2BSettings, current_settings

            e2b_options = dataclasses.replace(
                current_settings(),
                api_key=e2b_api_key,
                template=e2b_template,
                cleanup_sandboxes=cleanup_sandboxes,
            )
            if not isinstance(e2b_options, E2BSettings):
                raise TypeError("the E2B backend returned settings of an unexpected type")

        self.e2b_api_key = e2b_api_key
        self.e2b_template = e2b_template
        self.cleanup_sandboxes = cleanup_sandboxes
        self.max_concurrent = max_concurrent
        self.default_timeout = default_timeout
        self.retry_failed = retry_failed
        self.max_retries = max_retries
        self.cache_results = cache_results
        self.cache_ttl_hours = cache_ttl_hours
        self.settings = Settings(
            enabled=True,
            rounds=rounds,
            seed=new_seed() if seed is None else seed,
            seed_given=seed is not None,
            min_sample_time=min_sample_time,
            warmup_time=warmup_time,
            max_time=max_time,
            margin=margin,
            alpha=alpha,
            bootstrap_resamples=bootstrap_resamples,
            sandbox=sandbox,
            sandbox_timeout=sandbox_timeout,
            e2b=e2b_options,
        )
        self.total_executions = 0
        self.successful_executions = 0
        self._cache: dict[str, tuple[float, BenchmarkResult]] = {}
        logger.setLevel(log_level if isinstance(log_level, int) else log_level.upper())
        self._log_handler: logging.Handler | None = None
        if log_file is not None:
            self._log_handler = logging.FileHandler(log_file, encoding="utf-8")
            self._log_handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
            )
            logger.addHandler(self._log_handler)
        if sandbox == "local" and (e2b_api_key is not None or e2b_template is not None):
            logger.warning(
                "e2b_api_key and e2b_template apply to sandbox='e2b' only; Code "
                "implementations run in the local sandbox"
            )

    def close(self) -> None:
        """Kill this process's E2B sandboxes, and close the log file that ``log_file`` added."""
        e2b = sys.modules.get("pytest_statbench.sandbox.e2b")
        if e2b is not None and self.settings.sandbox == "e2b":
            e2b.end_session()
        if self._log_handler is not None:
            logger.removeHandler(self._log_handler)
            self._log_handler.close()
            self._log_handler = None

    @property
    def success_rate(self) -> float | None:
        """Share of benchmark runs that succeeded; None before any run."""
        if self.total_executions == 0:
            return None
        return self.successful_executions / self.total_executions

    async def run_benchmark(
        self, benchmark: Benchmark, *, name: str | None = None
    ) -> BenchmarkResult:
        """Run one benchmark with its retries and timeout.

        A benchmark that raises an Exception or times out gives a failed result instead of an
        exception.
        """
        name = name or benchmark.name
        key = benchmark.cache_key() if self.cache_results else None
        if key is not None:
            cached = self._cache.get(key)
            if cached is not None and time.time() - cached[0] < self.cache_ttl_hours * 3600:
                logger.info("%s: returning the cached result", name)
                return cached[1]

        attempts = 1 + (self.max_retries if self.retry_failed else 0)
        logs: list[str] = []
        result = BenchmarkResult(benchmark_name=name, settings=self.settings)
        for attempt in range(1, attempts + 1):
            result = await self._attempt(benchmark, name, attempt, logs)
            if result.success:
                break
            if attempt < attempts:
                message = f"attempt {attempt} failed ({result.error}); retrying"
                logs.append(message)
                logger.warning("%s: %s", name, message)
        self.total_executions += 1
        if result.success:
            self.successful_executions += 1
            if key is not None:
                self._cache[key] = (time.time(), result)
        return result

    async def _attempt(
        self, benchmark: Benchmark, name: str, attempt: int, logs: list[str]
    ) -> BenchmarkResult:
        result = BenchmarkResult(benchmark_name=name, settings=self.settings, attempts=attempt)
        result.execution_logs.extend(logs)
        context = BenchmarkContext(name, self.settings, result)
        timeout = benchmark.timeout if benchmark.timeout is not None else self.default_timeout
        context.log(f"attempt {attempt} started")
        started = time.perf_counter()
        try:
            returned = await asyncio.wait_for(benchmark.run(context), timeout)
        except TimeoutError:
            # NOTE: only the benchmark's coroutine is cancelled. A measurement already running
            # in its worker thread finishes its rounds before the next one starts.
            result.success = False
            result.error = (
                f"timed out after {timeout:g} s; raise the benchmark's timeout or the runner's "
                f"default_timeout"
            )
            logger.error("%s: %s", name, result.error)
        except Exception as error:  # noqa: BLE001 - a benchmark may raise anything
            result.success = False
            result.error = f"{type(error).__qualname__}: {error}"
            logger.error("%s: attempt %d failed: %s", name, attempt, result.error)
        else:
            if not isinstance(returned, BenchmarkResult):
                result.success = False
                result.error = (
                    f"run() returned {type(returned).__name__}, not a BenchmarkResult; return "
                    f"context.result or a BenchmarkResult"
                )
            elif returned is not result:
                returned.records = returned.records or result.records
                returned.execution_logs = result.execution_logs + returned.execution_logs
                returned.settings = self.settings
                returned.attempts = attempt
                result = returned
        result.duration = time.perf_counter() - started
        if result.error is not None:
            result.success = False
            result.execution_logs.append(f"failed: {result.error}")
        return result

    async def run_suite(self, suite: BenchmarkSuite) -> list[BenchmarkResult]:
        """Run every benchmark of the suite, at most ``max_concurrent`` at a time, in order."""
        semaphore = asyncio.Semaphore(self.max_concurrent)

        async def run_one(name: str, benchmark: Benchmark) -> BenchmarkResult:
            async with semaphore:
                return await self.run_benchmark(benchmark, name=name)

        return list(await asyncio.gather(*(run_one(n, b) for n, b in suite)))


def _new_record(
    record_id: str,
    benchmark_name: str,
    baseline: str,
    settings: Settings,
    metrics: list[str] | None,
    prices: Mapping[str, float] | None,
) -> EngineRecord:
    from ..metrics.registry import DEFAULT_COUNTED, DEFAULT_REPORTED, check_metric_names

    chosen = [METRIC_ALIASES.get(name, name) for name in (metrics or DEFAULT_REPORTED)]
    check_metric_names(chosen, (), f"compare {record_id!r}: metrics")
    if "time" not in chosen:
        chosen.insert(0, "time")
    return EngineRecord(
        id=record_id,
        nodeid=benchmark_name,
        form="api",
        baseline=baseline,
        expect=None,
        rounds_requested=settings.rounds,
        metrics=chosen,
        counted_metrics=[name for name in DEFAULT_COUNTED if name in chosen],
        prices={key: float(value) for key, value in dict(prices or {}).items()},
    )


def _measure_locked(
    record: EngineRecord,
    frameworks: dict[str, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    settings: Settings,
    same_result: bool,
    sources: dict[str, object],
) -> None:
    with _MEASUREMENT_LOCK:
        _measure(record, frameworks, args, kwargs, settings, same_result, sources)


def _measure(
    record: EngineRecord,
    frameworks: dict[str, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    settings: Settings,
    same_result: bool,
    sources: dict[str, object],
) -> None:
    """Call each framework once, then run the rounds and the analysis, as the plugin does."""
    from ..analysis import AnalysisSettings, analyse_benchmark, benchmark_rng
    from ..diagnostics import diagnose_benchmark
    from ..measure import CallSpec, InProcessRunner, RoundSettings, Runner, measure
    from ..metrics import measure_code
    from ..metrics.registry import CODE_METRICS

    loop = asyncio.new_event_loop()
    runners: list[Runner] = []
    returned: dict[str, Any] = {}
    try:
        for name, implementation in frameworks.items():
            result = ImplementationResult(name=name, qualname=qualname(implementation))
            record.implementations.append(result)
            try:
                with recording(RecordTarget(result, None)):
                    if _is_code(implementation):
                        runner = _open_code_runner(name, implementation, args, kwargs, settings)
                        runners.append(runner)
                        returned[name] = runner.call_once()
                        result.is_async = runner.is_async
                        continue
                    value = implementation(*args, **kwargs)
                    is_async = inspect.isawaitable(value)
                    if is_async:
                        value = loop.run_until_complete(_await(value))
            except Exception as error:  # noqa: BLE001 - an implementation may raise anything
                result.setup_error = CallError(None, type(error).__qualname__, str(error))
                result.failures += 1
                continue
            returned[name] = value
            result.is_async = is_async
            call = CallSpec(name, implementation, args, kwargs, is_async)
            runners.append(InProcessRunner(call, loop))

        if same_result and record.baseline in returned:
            difference = result_difference(returned, record.baseline)
            if difference is not None:
                raise ResultMismatch(difference)

        round_settings = RoundSettings(
            rounds=settings.rounds,
            min_rounds=MIN_ROUNDS,
            min_sample_time=settings.min_sample_time,
            warmup_time=settings.warmup_time,
            max_time=settings.max_time,
        )
        results = {i.name: i for i in record.implementations}
        measured = [runner for runner in runners if results[runner.name].setup_error is None]
        rng = benchmark_rng(settings.seed, record.id, stream=0)
        record.rounds, notes = measure(measured, results, round_settings, rng)
        record.notes.extend(notes)
    finally:
        for runner in runners:
            try:
                runner.close()
            except Exception:  # closing one runner must not skip the others
                logger.exception("closing the runner of %r failed", runner.name)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    if any(name in CODE_METRICS for name in record.metrics):
        for name, implementation in frameworks.items():
            source = sources.get(name, implementation)
            record.implementation(name).code_metrics = asdict(measure_code(source))
    analyse_benchmark(
        record,
        AnalysisSettings(
            margin=settings.margin,
            alpha=settings.alpha,
            resamples=settings.bootstrap_resamples,
            seed=settings.seed,
        ),
    )
    record.diagnostics.extend(diagnose_benchmark(record, settings.margin))


def _open_code_runner(
    name: str, code: Any, args: tuple[Any, ...], kwargs: dict[str, Any], settings: Settings
) -> Any:
    from ..sandbox import open_runner

    return open_runner(name, code, args, kwargs, settings)


def _execute_code(
    code: Any, args: tuple[Any, ...], kwargs: dict[str, Any], settings: Settings
) -> Any:
    if not _is_code(code):
        raise TypeError(
            f"execute() takes a pytest_statbench.sandbox.Code, got {type(code).__name__}; "
            f"call a plain function directly"
        )
    with _MEASUREMENT_LOCK:
        runner = _open_code_runner("execute", code, args, kwargs, settings)
        try:
            return runner.call_once()
        finally:
            runner.close()


def _is_code(implementation: object) -> bool:
    from ..sandbox.code import Code

    return isinstance(implementation, Code)


async def _await(awaitable: Any) -> Any:
    return await awaitable


def metrics_from_record(record: EngineRecord) -> dict[str, BenchmarkMetrics]:
    """Return the BenchmarkMetrics of each framework of a measured record."""
    metrics: dict[str, BenchmarkMetrics] = {}
    for implementation in record.implementations:
        values = BenchmarkMetrics(
            execution_time=_median(implementation.times),
            execution_time_samples=list(implementation.times),
            memory_usage=implementation.peak_memory,
            success_rate=implementation.success_rate,
        )
        if implementation.setup_error is not None:
            values.error = implementation.setup_error.describe()
        code = implementation.code_metrics or {}
        if code.get("status") == "ok":
            values.lines_of_code = code.get("loc")
            values.cyclomatic_complexity = code.get("complexity_max")
            values.maintainability_index = code.get("maintainability_index")
        per_call = _recorded_per_call(implementation, record.rounds)
        values.custom = per_call
        values.api_calls = per_call.get("api_calls")
        hits, misses = per_call.get("cache_hits"), per_call.get("cache_misses")
        if hits is not None or misses is not None:
            total = (hits or 0.0) + (misses or 0.0)
            values.cache_hit_rate = (hits or 0.0) / total if total > 0 else None
        priced = [name for name in record.prices if name in per_call]
        if priced:
            values.cost_per_request = sum(per_call[name] * record.prices[name] for name in priced)
        metrics[implementation.name] = values
    return metrics


def _recorded_per_call(implementation: ImplementationResult, rounds: int) -> dict[str, float]:
    """Return the mean per-call value of each recorded metric over the successful rounds."""
    import math

    means: dict[str, float] = {}
    for name in implementation.recorded:
        values = [v for v in implementation.recorded_by_round(name, rounds) if not math.isnan(v)]
        if values:
            means[name] = sum(values) / len(values)
    return means


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def record_metric(name: str, value: float, *, unit: str = "", better: str = "lower") -> None:
    """Record a custom metric for the framework being measured, or do nothing outside one.

    Inside ``BenchmarkContext.compare`` the values of each timed round are summed and divided
    by the calls of its sample, as ``bench.record`` does in a test. A call from code that is
    not being measured, such as a direct call of a workflow, is ignored.
    """
    from ..measure import record as recorder
    from ..metrics.registry import BUILTIN_METRICS

    if not recorder.is_recording():
        return
    recorder.record(name, value, unit, better, frozenset(BUILTIN_METRICS))


