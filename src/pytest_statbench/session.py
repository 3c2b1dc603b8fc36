"""State of one benchmark session, registered with pytest as a plugin object."""

from __future__ import annotations

import asyncio
import inspect
import io
import logging
import os
import shlex
import sys
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from . import __version__
from .api import (
    Bench,
    BenchUsageError,
    Capture,
    CompareSpec,
    ComparisonResult,
    MetricOptions,
    check_spec,
    compare_spec,
    is_code,
)
from .environment import environment
from .implementations import qualname, result_difference
from .measure.record import RecordTarget, recording
from .metrics.registry import CODE_METRICS
from .results import (
    BenchmarkResult,
    CallError,
    ImplementationResult,
    SessionSummary,
    dumps_run,
    run_to_dict,
    write_atomic,
)
from .settings import MIN_ROUNDS, Settings

if TYPE_CHECKING:
    from .measure import Runner

# numpy and scipy are imported where a measurement or an analysis starts, so that loading
# the plugin costs pytest little when --bench is off.

logger = logging.getLogger("pytest_statbench")

# Keyword arguments that belong on @compare(...) and are a mistake on @pytest.mark.benchmark.
OUR_MARKER_KEYWORDS = frozenset({"baseline", "expect", "same_result", "rounds", "margin", "alpha"})


class BenchmarkFailed(Exception):
    """A benchmark test failed for a reason the message states fully; shown without traceback."""


class BenchSession:
    """Runs the comparisons of a session and, in benchmark mode, analyses and reports them."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.benchmarks: list[BenchmarkResult] = []
        self.summary: SessionSummary | None = None
        self.run: dict[str, Any] | None = None
        self.written: list[str] = []
        self.run_comparison: Any = None
        self.github_lines: list[str] = []
        self.interrupted = False
        # True while a benchmark's implementations are running, to reject nested comparisons.
        self.measuring = False
        self.write_errors: list[str] = []
        # Messages about --bench-compare that do not fail the session.
        self.compare_notes: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runners: list[Runner] = []

    # Hooks, in the order pytest calls them.

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        if not self.settings.enabled:
            return []
        settings = self.settings
        return [
            (f"statbench: seed {settings.seed}, {settings.rounds} rounds, "
            f"margin {settings.margin:.1%}, alpha {settings.alpha:g}, "
            f"sample >= {settings.min_sample_time * 1000:g} ms, callables in-process, "
            f"Code in {self._describe_sandbox()} (repeat with --bench-seed={settings.seed})")
        ]

    def _describe_sandbox(self) -> str:
        from .sandbox import describe_isolation

        try:
            return describe_isolation(self.settings.sandbox)
        except Exception as error:  # noqa: BLE001 - a header must not stop the session
            return f"{self.settings.sandbox} sandbox ({error})"

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if not self.settings.enabled:
            return
        selected = [item for item in items if item.get_closest_marker("benchmark") is not None]
        deselected = [item for item in items if item.get_closest_marker("benchmark") is None]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = selected

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        marker = item.get_closest_marker("benchmark")
        if marker is not None:
            misplaced = sorted(OUR_MARKER_KEYWORDS.intersection(marker.kwargs))
            if misplaced:
                given = ", ".join(f"{key}={marker.kwargs[key]!r}" for key in misplaced)
                raise BenchUsageError(
                    f"@pytest.mark.benchmark got {given}; pytest-statbench settings go on "
                    f"@compare(...) or bench.compare(...), and the marker is used bare: "
                    f"@pytest.mark.benchmark"
                )
        self._check_awaited(item)
        function = getattr(item, "obj", None)
        spec = compare_spec(function)
        if spec is not None and function is not None:
            check_spec(spec, function)
            if inspect.iscoroutinefunction(function):
                raise BenchUsageError(
                    f"@compare test {item.name} is an async def; pytest-statbench runs async "
                    f"implementations on its own event loop, so write the test as a plain def "
                    f"and keep the implementations async"
                )

    def _check_awaited(self, item: pytest.Item) -> None:
        """Fail an async benchmark test that no plugin would await, instead of letting it pass.

        Older pytest versions skip such a test with a warning, so a forgotten mark would hide
        the benchmark. pytest-asyncio awaits a test marked asyncio, or any test in auto mode.
        """
        if item.get_closest_marker("benchmark") is None:
            return
        function = getattr(item, "function", None)
        if not inspect.iscoroutinefunction(function):
            return
        if any(item.get_closest_marker(name) for name in ("asyncio", "anyio", "trio")):
            return
        if self.config.pluginmanager.hasplugin("asyncio"):
            mode = "strict"
            if _has_ini(self.config, "asyncio_mode"):
                mode = str(self.config.getini("asyncio_mode"))
            if mode == "auto":
                return
            raise BenchUsageError(
                f"async benchmark test {item.name} would not be awaited: mark it "
                f"@pytest.mark.asyncio or set asyncio_mode = auto for pytest-asyncio"
            )
        raise BenchUsageError(
            f"async benchmark test {item.name} would not be awaited: install pytest-asyncio "
            f"and mark the test @pytest.mark.asyncio"
        )

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        spec = compare_spec(pyfuncitem.obj)
        if spec is None:
            return None
        self.run_decorated(pyfuncitem, check_spec(spec, pyfuncitem.obj))
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        excinfo = call.excinfo
        from .sandbox.base import SandboxError

        message_only = excinfo is not None and isinstance(
            excinfo.value, (BenchUsageError, BenchmarkFailed, SandboxError)
        )
        if message_only and report.failed and excinfo is not None:
            report.longrepr = f"{type(excinfo.value).__name__}: {excinfo.value}"
        return report

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        # Sandboxes on E2B live until killed or expired: kill this session's before reporting.
        e2b = sys.modules.get("pytest_statbench.sandbox.e2b")
        if e2b is not None:
            try:
                e2b.end_session()
            except Exception:  # cleanup must not hide the results
                logger.exception("sweeping this session's E2B sandboxes failed")
        if not self.settings.enabled:
            return
        if session.exitstatus == pytest.ExitCode.INTERRUPTED:
            # A partial run must not replace earlier reports or pass a gate on part of the
            # benchmarks, so nothing is analysed or written.
            self.interrupted = True
            return
        from .analysis import adjust_session, summarise
        from .diagnostics import diagnose_rounds

        settings = self.settings
        adjust_session(self.benchmarks)
        diagnose_rounds(self.benchmarks, settings.alpha)
        self.summary = summarise(
            self.benchmarks,
            alpha=settings.alpha,
            min_win_rate=settings.min_win_rate,
            min_improvement=settings.min_improvement,
            confidence_level=settings.confidence_level,
        )
        self.run = run_to_dict(
            tool_version=__version__,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            seed=settings.seed,
            settings=settings.to_record(),
            environment=environment(),
            benchmarks=self.benchmarks,
            summary=self.summary,
        )
        self._compare_and_store()
        self._write_reports(self.run)
        self.github_lines = self._publish_to_github()

        comparison_failed = (
            self.run_comparison is not None and not self.run_comparison.summary.passed
        )
        failed = not self.summary.passed or bool(self.write_errors) or comparison_failed
        if failed and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.interrupted:
            terminalreporter.write_line(
                f"statbench: the session was interrupted after {len(self.benchmarks)} "
                f"benchmark(s); no results were analysed and no report was written",
                yellow=True,
            )
            return
        if self.run is None:
            return
        from .report.terminal import summary_lines

        terminalreporter.write_sep("=", "statbench")
        for line, markup in summary_lines(self.run):
            terminalreporter.write_line(line, **markup)
        if self.run_comparison is not None:
            from .report.runcomparison import render_lines

            terminalreporter.write_line("")
            for line in render_lines(self.run_comparison):
                terminalreporter.write_line(line)
        for message in self.compare_notes:
            terminalreporter.write_line(f"statbench: {message}", yellow=True)
        for line in self.github_lines:
            terminalreporter.write_line(line)
        for path in self.written:
            terminalreporter.write_line(f"statbench: wrote {path}")
        for message in self.write_errors:
            terminalreporter.write_line(f"statbench: {message}", red=True, bold=True)

    # Running comparisons.

    @contextmanager
    def _benchmark_scope(self) -> Iterator[None]:
        """Provide one event loop for the async calls of one benchmark; close it and the runners.

        Every runner opened while the scope is active, a sandbox worker for example, is closed
        when the scope ends, whether the benchmark passed, failed or was interrupted.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise BenchUsageError(
                "bench.compare() cannot run inside an async test, whose event loop is already "
                "running; write result = await bench.acompare(...) to measure on the test's loop"
            )
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._runners = []
        try:
            yield
        finally:
            for runner in self._runners:
                try:
                    runner.close()
                except Exception:  # closing one runner must not skip the others
                    logger.exception("closing the runner of %r failed", runner.name)
            self._runners = []
            self._loop = None
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def call_once(
        self,
        name: str,
        implementation: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> tuple[Any, Runner]:
        """Call an implementation once and return its value and the runner that measures it.

        A callable runs in this process and is awaited on the benchmark's loop if it returns
        an awaitable. A ``Code`` implementation runs in a sandbox worker opened here.
        """
        __tracebackhide__ = True
        from .measure import CallSpec, InProcessRunner

        if is_code(implementation):
            from .sandbox import open_runner

            runner = open_runner(name, implementation, args, kwargs, self.settings)
            self._runners.append(runner)
            return runner.call_once(), runner

        value = implementation(*args, **kwargs)
        is_async = inspect.isawaitable(value)
        if is_async:
            if self._loop is None:
                raise RuntimeError("an async implementation was called outside a benchmark")
            value = self._loop.run_until_complete(_await(value))
        call = CallSpec(name, implementation, args, kwargs, is_async)
        return value, InProcessRunner(call, self._loop)

    def run_decorated(self, item: pytest.Function, spec: CompareSpec) -> None:
        """Run a @compare test: capture each implementation's call, then measure them."""
        __tracebackhide__ = True
        bench = item.funcargs.get("bench")
        if not isinstance(bench, Bench):
            raise BenchUsageError(
                f"@compare test {item.name} needs the bench fixture from pytest-statbench, "
                f"got {type(bench).__name__}; remove any fixture of your own named 'bench'"
            )
        parameters = inspect.signature(item.obj).parameters
        arguments = {name: item.funcargs[name] for name in parameters if name in item.funcargs}

        benchmark = self._new_benchmark(
            item.nodeid, item.nodeid, "decorator", spec.baseline, spec.expect, spec.options
        )
        runners: list[Runner] = []
        returned: dict[str, Any] = {}
        raised: list[tuple[str, Exception]] = []
        baseline_arguments: tuple[tuple[Any, ...], dict[str, Any]] | None = None

        with self._benchmark_scope():
            for name, implementation in spec.implementations.items():
                result = self._new_implementation(benchmark, name, implementation, spec.options)
                capture = Capture(name, implementation)
                bench._capture = capture
                try:
                    with recording(RecordTarget(result, None)):
                        item.obj(**{**arguments, "impl": implementation})
                except BenchUsageError:
                    raise
                except Exception as exception:  # noqa: BLE001 - user code may raise anything
                    result.setup_error = _error_from(exception)
                    result.failures += 1
                    raised.append((name, exception))
                    continue
                finally:
                    bench._capture = None
                if capture.runner is None:
                    raise BenchUsageError(
                        f"the body of {item.name} did not call bench(impl, ...) for "
                        f"implementation {name!r}; call bench(impl, *args) once in the body"
                    )
                result.is_async = capture.runner.is_async
                runners.append(capture.runner)
                returned[name] = capture.returned
                if name == spec.baseline:
                    baseline_arguments = capture.arguments

            if spec.same_result and not raised:
                difference = result_difference(returned, spec.baseline)
                if difference is not None:
                    raise BenchmarkFailed(f"same_result=True but {difference}")
            if self.settings.enabled:
                if baseline_arguments is not None:
                    args, kwargs = baseline_arguments
                    self._add_aa_copy(
                        benchmark, spec.implementations[spec.baseline], args, kwargs, runners
                    )
                self._measure(benchmark, runners, spec.implementations)

        _raise_implementation_errors(raised)
        if self.settings.enabled:
            _check_measurement_errors(benchmark, {name for name, _ in raised})
            _check_expectation(benchmark)

    def run_fixture_comparison(
        self,
        *,
        benchmark_id: str,
        nodeid: str,
        implementations: dict[str, Callable[..., Any]],
        baseline: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        expect: str | None,
        options: MetricOptions,
    ) -> ComparisonResult:
        """Run ``bench.compare(...)``: call each implementation once, then measure them."""
        __tracebackhide__ = True
        benchmark = self._new_benchmark(benchmark_id, nodeid, "fixture", baseline, expect, options)
        runners: list[Runner] = []
        raised: list[tuple[str, Exception]] = []

        with self._benchmark_scope():
            for name, implementation in implementations.items():
                result = self._new_implementation(benchmark, name, implementation, options)
                try:
                    with recording(RecordTarget(result, None)):
                        _, runner = self.call_once(name, implementation, args, kwargs)
                except BenchUsageError:
                    # A setup mistake, such as a missing E2B key, is the same for every
                    # implementation: one message, not one traceback each.
                    raise
                except Exception as exception:  # noqa: BLE001 - user code may raise anything
                    result.setup_error = _error_from(exception)
                    result.failures += 1
                    raised.append((name, exception))
                    continue
                result.is_async = runner.is_async
                runners.append(runner)
            if self.settings.enabled:
                if not any(name == baseline for name, _ in raised):
                    self._add_aa_copy(benchmark, implementations[baseline], args, kwargs, runners)
                self._measure(benchmark, runners, implementations)

        return self._fixture_outcome(benchmark, raised)

    async def run_fixture_comparison_async(
        self,
        *,
        benchmark_id: str,
        nodeid: str,
        implementations: dict[str, Callable[..., Any]],
        baseline: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        expect: str | None,
        options: MetricOptions,
    ) -> ComparisonResult:
        """Run ``await bench.acompare(...)`` inside an async test, on the test's event loop.

        The first call of each implementation is awaited directly. The rounds run in a worker
        thread, which hands every async sample to the test's loop and waits for it, so the
        implementations share the loop, fixtures and clients of the test.
        """
        __tracebackhide__ = True
        from .measure import CallSpec, InProcessRunner
        from .measure.timing import LoopBridge

        bridge = LoopBridge(asyncio.get_running_loop())
        benchmark = self._new_benchmark(benchmark_id, nodeid, "fixture", baseline, expect, options)
        runners: list[Runner] = []
        raised: list[tuple[str, Exception]] = []
        opened: list[Runner] = []
        try:
            for name, implementation in implementations.items():
                result = self._new_implementation(benchmark, name, implementation, options)
                try:
                    with recording(RecordTarget(result, None)):
                        if is_code(implementation):
                            runner = await asyncio.to_thread(
                                self._open_code_runner, name, implementation, args, kwargs
                            )
                            opened.append(runner)
                        else:
                            value = implementation(*args, **kwargs)
                            is_async = inspect.isawaitable(value)
                            if is_async:
                                await value
                            call = CallSpec(name, implementation, args, kwargs, is_async)
                            runner = InProcessRunner(call, bridge)
                except Exception as exception:  # noqa: BLE001 - user code may raise anything
                    result.setup_error = _error_from(exception)
                    result.failures += 1
                    raised.append((name, exception))
                    continue
                result.is_async = runner.is_async
                runners.append(runner)

            if self.settings.enabled:
                if self.settings.aa != "off" and not any(n == baseline for n, _ in raised):
                    source = next(r for r in runners if r.name == baseline)
                    if isinstance(source, InProcessRunner):
                        copy = self._aa_copy_name(benchmark)
                        benchmark.implementations.append(ImplementationResult(
                            name=copy, qualname=qualname(implementations[baseline]),
                            is_async=source.is_async,
                        ))
                        benchmark.aa_copy = copy
                        runners.append(InProcessRunner(replace(source.call, name=copy), bridge))
                    else:
                        benchmark.notes.append(
                            "the A/A copy is not measured for a Code baseline in an async test"
                        )
                await asyncio.to_thread(self._measure, benchmark, runners, implementations)
        finally:
            for runner in opened:
                await asyncio.to_thread(runner.close)

        return self._fixture_outcome(benchmark, raised)

    def _open_code_runner(
        self, name: str, implementation: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Runner:
        """Open a sandbox runner for a Code implementation and make its first call."""
        from .sandbox import open_runner

        runner: Runner = open_runner(name, implementation, args, kwargs, self.settings)
        try:
            runner.call_once()  # type: ignore[attr-defined]
        except BaseException:
            runner.close()
            raise
        return runner

    def _fixture_outcome(
        self, benchmark: BenchmarkResult, raised: list[tuple[str, Exception]]
    ) -> ComparisonResult:
        __tracebackhide__ = True
        _raise_implementation_errors(raised)
        outcome = ComparisonResult(
            benchmark=benchmark,
            measured=self.settings.enabled,
            comparisons={c.candidate: c for c in benchmark.comparisons if c.metric == "time"},
        )
        if self.settings.enabled:
            _check_measurement_errors(benchmark, {name for name, _ in raised})
            _check_expectation(benchmark)
        return outcome

    def _new_benchmark(
        self,
        benchmark_id: str,
        nodeid: str,
        form: str,
        baseline: str,
        expect: str | None,
        options: MetricOptions,
    ) -> BenchmarkResult:
        from .metrics.registry import DEFAULT_COUNTED, DEFAULT_REPORTED

        metrics = list(options.metrics or self.settings.metrics or DEFAULT_REPORTED)
        if "time" not in metrics:
            metrics.insert(0, "time")
        counted = list(options.counted or self.settings.counted_metrics or DEFAULT_COUNTED)
        # A benchmark's own counted metric is reported too, so counted=["tokens"] alone keeps
        # it. The session-wide choice counts only metrics reported anyway, which spares the
        # benchmarks that record no such metric a note about it.
        metrics.extend(name for name in options.counted or () if name not in metrics)
        return BenchmarkResult(
            id=benchmark_id,
            nodeid=nodeid,
            form=form,
            baseline=baseline,
            expect=expect,
            rounds_requested=self.settings.rounds,
            metrics=metrics,
            counted_metrics=[name for name in counted if name in metrics],
            prices=dict(options.prices),
        )

    def _new_implementation(
        self, benchmark: BenchmarkResult, name: str, implementation: Any, options: MetricOptions
    ) -> ImplementationResult:
        result = ImplementationResult(
            name=name,
            qualname=qualname(implementation),
            supplied=dict(options.supplied.get(name, {})),
        )
        benchmark.implementations.append(result)
        return result

    def _add_aa_copy(
        self,
        benchmark: BenchmarkResult,
        implementation: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        runners: list[Runner],
    ) -> None:
        """Add a copy of the baseline to the rounds when --bench-aa is on.

        The copy runs through its own runner (its own worker for Code) and shares only the
        rounds with the baseline. Any difference between the two is therefore noise.
        """
        if self.settings.aa == "off":
            return
        copy = self._aa_copy_name(benchmark)
        result = ImplementationResult(name=copy, qualname=qualname(implementation))
        try:
            _, runner = self.call_once(copy, implementation, args, kwargs)
        except Exception as exception:  # noqa: BLE001 - the baseline itself already ran
            benchmark.notes.append(
                f"the A/A copy of the baseline raised and was left out: "
                f"{_error_from(exception).describe()}"
            )
            return
        result.is_async = runner.is_async
        benchmark.implementations.append(result)
        benchmark.aa_copy = copy
        runners.append(runner)

    @staticmethod
    def _aa_copy_name(benchmark: BenchmarkResult) -> str:
        names = {i.name for i in benchmark.implementations}
        copy = f"{benchmark.baseline} (A/A copy)"
        while copy in names:
            copy += "'"
        return copy

    def _measure(
        self,
        benchmark: BenchmarkResult,
        runners: list[Runner],
        implementations: Mapping[str, Any],
    ) -> None:
        from .analysis import AnalysisSettings, analyse_benchmark, benchmark_rng
        from .diagnostics import diagnose_benchmark
        from .measure import RoundSettings, measure

        settings = self.settings
        round_settings = RoundSettings(
            rounds=settings.rounds,
            min_rounds=MIN_ROUNDS,
            min_sample_time=settings.min_sample_time,
            warmup_time=settings.warmup_time,
            max_time=settings.max_time,
        )
        results = {i.name: i for i in benchmark.implementations}
        rng = benchmark_rng(settings.seed, benchmark.id, stream=0)
        reporter = self._progress_reporter()
        self._progress(
            reporter,
            f"statbench: measuring {benchmark.id}: {len(runners)} implementations, "
            f"up to {settings.rounds} rounds",
        )
        started = time.perf_counter()
        self.measuring = True
        try:
            benchmark.rounds, notes = measure(
                runners, results, round_settings, rng, progress=self._round_progress(reporter)
            )
        finally:
            self.measuring = False
        self._progress(
            reporter,
            f"statbench: measured {benchmark.id} in {benchmark.rounds} rounds, "
            f"{time.perf_counter() - started:.2f} s",
        )
        benchmark.notes.extend(notes)
        if any(name in CODE_METRICS for name in benchmark.metrics):
            from .metrics import measure_code

            for name, implementation in implementations.items():
                benchmark.implementation(name).code_metrics = asdict(measure_code(implementation))
        analyse_benchmark(
            benchmark,
            AnalysisSettings(
                margin=settings.margin,
                alpha=settings.alpha,
                resamples=settings.bootstrap_resamples,
                seed=settings.seed,
                aa=settings.aa,
            ),
        )
        benchmark.diagnostics.extend(diagnose_benchmark(benchmark, settings.margin))
        self.benchmarks.append(benchmark)
        logger.info("measured %s in %d rounds", benchmark.id, benchmark.rounds)

    def _progress_reporter(self) -> Any:
        """Return the terminal reporter when -v requests progress lines, else None."""
        if self.config.get_verbosity() < 1:
            return None
        return self.config.pluginmanager.get_plugin("terminalreporter")

    def _round_progress(self, reporter: Any) -> Callable[[int, int], None] | None:
        """Return a callback that reports every tenth round with -vv, or None."""
        if reporter is None or self.config.get_verbosity() < 2:
            return None

        def report(round_index: int, rounds: int) -> None:
            if round_index % 10 == 0:
                self._progress(reporter, f"statbench:   round {round_index + 1} of {rounds}")

        return report

    def _progress(self, reporter: Any, line: str) -> None:
        """Write a progress line past pytest's output capture, as the test is running."""
        if reporter is None:
            return
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if capture is None:
            reporter.write_line(line)
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)

    def _compare_and_store(self) -> None:
        """Add commit info, compare with the stored baseline, then store this run.

        Comparing comes first, so --bench-save main --bench-compare main compares with the
        previous main and then replaces it.
        """
        from .schema import RunFileError
        from .storage import (
            NoStoredRunsError,
            StorageError,
            load_run_file,
            resolve_baseline,
            save_run,
            with_commit_info,
        )

        if self.run is None:
            return
        settings = self.settings
        self.run = with_commit_info(self.run, self.config.rootpath)
        if settings.compare_to:
            try:
                baseline = load_run_file(resolve_baseline(settings.compare_to, settings.storage_dir))
            except NoStoredRunsError:
                # A first run: the gate passes. A name missing beside other stored runs may be a
                # typo, so that case stays an error.
                storage = f"{os.fspath(settings.storage_dir).rstrip('/')}/"
                name = shlex.quote(settings.compare_to)
                advice = (
                    f"--bench-save {name} stores it as the baseline"
                    if settings.save_name == settings.compare_to
                    else f"Add --bench-save {name} to store it as the baseline"
                )
                self.compare_notes.append(
                    f"--bench-compare {settings.compare_to}: no run is stored in {storage} "
                    f"yet, so this first run was compared with nothing and passes. {advice}."
                )
            except (StorageError, RunFileError) as error:
                self.write_errors.append(f"--bench-compare {settings.compare_to}: {error}")
            else:
                from .runcompare import compare_runs

                self.run_comparison = compare_runs(
                    baseline,
                    self.run,
                    margin=settings.margin,
                    alpha=settings.alpha,
                    resamples=settings.bootstrap_resamples,
                    seed=settings.seed,
                    fail_on=settings.fail_on,
                    reference=settings.compare_reference,
                    old_label=settings.compare_to,
                    new_label="this run",
                )
        if settings.save_name:
            try:
                path = save_run(self.run, settings.save_name, settings.storage_dir)
            except OSError as error:
                self.write_errors.append(
                    f"could not store the run as {settings.save_name!r} in "
                    f"{settings.storage_dir}: {error.strerror or error}; choose a writable "
                    f"--bench-storage"
                )
            else:
                self.written.append(str(path))

    def _publish_to_github(self) -> list[str]:
        """Write the job summary, outputs and annotations when running in GitHub Actions."""
        from .github import in_github_actions, publish, report_for_comparison, report_for_run

        if self.run is None or not in_github_actions(os.environ):
            return []
        report = (
            report_for_comparison(self.run_comparison)
            if self.run_comparison is not None
            else report_for_run(self.run)
        )
        if self.compare_notes:
            from .github import annotation
            from .report.markdown import escape_text

            # A first run passes, so the annotation keeps a storage folder that a CI cache
            # never fills from passing unnoticed run after run.
            notes = "".join(f"\n> {escape_text(note)}\n" for note in self.compare_notes)
            report = replace(
                report,
                markdown=report.markdown + notes,
                annotations=[
                    *report.annotations,
                    *(annotation("warning", note, title="statbench compare")
                      for note in self.compare_notes),
                ],
            )
        annotations = io.StringIO()
        try:
            done = publish(report, os.environ, annotations)
        except OSError as error:
            self.write_errors.append(f"could not write the GitHub Actions outputs: {error}")
            return []
        # Workflow commands such as ::error are read from the job's standard output.
        return annotations.getvalue().splitlines() + [f"statbench: {line}" for line in done]

    def _markdown(self, run: dict[str, Any]) -> str:
        """Render the Markdown summary, led by the comparison with a stored run when there is one.

        The comparison's gate decides the exit status too, so it comes first.
        """
        from .report.markdown import escape_text, markdown_summary

        parts = []
        if self.run_comparison is not None:
            from .report.runcomparison import render_markdown

            parts.append(render_markdown(self.run_comparison))
        parts.extend(f"> {escape_text(note)}\n" for note in self.compare_notes)
        parts.append(markdown_summary(run))
        return "\n".join(parts)

    def _write_reports(self, run: dict[str, Any]) -> None:
        settings = self.settings
        targets: list[tuple[str, Callable[[dict[str, Any]], str]]] = []
        if settings.json_path:
            targets.append((settings.json_path, dumps_run))
        if settings.html_path:
            from .report.html import render_html

            theme = settings.html_theme
            targets.append((settings.html_path, lambda run: render_html(run, theme=theme)))
        if settings.csv_path:
            from .report.csvreport import comparisons_csv

            targets.append((settings.csv_path, comparisons_csv))
        if settings.samples_csv_path:
            from .report.csvreport import samples_csv

            targets.append((settings.samples_csv_path, samples_csv))
        if settings.markdown_path:
            targets.append((settings.markdown_path, self._markdown))
        for path, render in targets:
            try:
                text = render(run)
            except (TypeError, ValueError) as error:
                # One report that cannot be rendered must not stop the others.
                logger.exception("rendering %s failed", path)
                self.write_errors.append(f"could not render {path}: {error}")
                continue
            try:
                written = write_atomic(path, text)
            except OSError as error:
                self.write_errors.append(
                    f"could not write {path}: {error.strerror or error}; "
                    f"choose a writable path"
                )
                continue
            self.written.append(str(written))


def _error_from(exception: BaseException) -> CallError:
    # An exception from a sandbox worker keeps the type name it had there.
    type_name = getattr(exception, "type_name", None) or type(exception).__qualname__
    message = getattr(exception, "message", None)
    return CallError(
        round=None, type=str(type_name), message=str(message if message is not None else exception)
    )


def _has_ini(config: pytest.Config, name: str) -> bool:
    try:
        config.getini(name)
    except ValueError:
        return False
    return True


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _raise_implementation_errors(raised: list[tuple[str, Exception]]) -> None:
    """Re-raise what implementations raised before measurement, with their tracebacks."""
    __tracebackhide__ = True
    if not raised:
        return
    if len(raised) == 1:
        name, exception = raised[0]
        exception.add_note(
            f"pytest-statbench: implementation {name!r} raised; the other implementations "
            f"still ran"
        )
        raise exception
    names = ", ".join(repr(name) for name, _ in raised)
    raise ExceptionGroup(f"implementations {names} raised", [e for _, e in raised])


def _check_measurement_errors(benchmark: BenchmarkResult, raised_before: set[str]) -> None:
    """Fail the test when an implementation raised during warm-up or the timed rounds.

    Errors from the test body were already re-raised with their tracebacks, so they are
    skipped here by name.
    """
    __tracebackhide__ = True
    lines = []
    for implementation in benchmark.implementations:
        if implementation.name in raised_before:
            continue
        if implementation.setup_error is not None:
            lines.append(
                f"{implementation.name!r} raised during warm-up and was not measured: "
                f"{implementation.setup_error.describe()}"
            )
        elif implementation.errors:
            first = implementation.errors[0]
            lines.append(
                f"{implementation.name!r} raised in {implementation.failures} of "
                f"{benchmark.rounds} rounds, first in round {first.round}: {first.describe()}"
            )
    if lines:
        raise BenchmarkFailed(
            "implementations raised during the timed rounds or their warm-up; failed samples "
            "are left out of the statistics:\n  " + "\n  ".join(lines)
        )


def _check_expectation(benchmark: BenchmarkResult) -> None:
    __tracebackhide__ = True
    if benchmark.expect is None:
        return
    unmet = [c for c in benchmark.comparisons if c.expectation and not c.expectation["met"]]
    if not unmet:
        return
    first = benchmark.comparisons[0]
    raise BenchmarkFailed(
        f"expected {benchmark.expect} than baseline {benchmark.baseline!r} at "
        f"{first.confidence_level * 100:.4g}% confidence with a {first.margin * 100:.4g}% margin:\n  "
        + "\n  ".join(c.describe() for c in unmet)
    )
