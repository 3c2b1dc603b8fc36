"""The public API used in test files: ``compare``, the ``bench`` fixture object and results."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from .results import EXPECTATIONS, BenchmarkResult, Comparison

if TYPE_CHECKING:
    from .measure import Runner
    from .session import BenchSession

F = TypeVar("F", bound=Callable[..., Any])

COMPARE_ATTRIBUTE = "__statbench_compare__"

# Keywords of compare() itself; they cannot name an implementation.
COMPARE_KEYWORDS = (
    "baseline", "expect", "same_result", "metrics", "counted", "prices", "supplied",
)


@dataclass(frozen=True)
class MetricOptions:
    """Metric choices of a comparison: reported and counted metrics, prices, supplied values."""

    # None means the session's --bench-metrics, or the defaults.
    metrics: tuple[str, ...] | None = None
    counted: tuple[str, ...] | None = None
    # Price per unit of a recorded metric, for the derived api_cost metric.
    prices: dict[str, float] = field(default_factory=dict)
    # Values per implementation that the user states and cannot measure.
    supplied: dict[str, dict[str, Any]] = field(default_factory=dict)


def metric_options(
    metrics: Any, counted: Any, prices: Any, supplied: Any, implementations: Mapping[str, Any],
    where: str,
) -> MetricOptions:
    """Validate the metric keywords of compare() or bench.compare() and return them."""
    from .metrics.registry import check_metric_names

    def names(value: Any, keyword: str) -> tuple[str, ...] | None:
        if value is None:
            return None
        if isinstance(value, str) or not all(isinstance(item, str) for item in value):
            raise BenchUsageError(
                f"{where}: {keyword}={value!r} is not a list of metric names; write "
                f"{keyword}=['time', 'peak_memory']"
            )
        try:
            return tuple(check_metric_names(value, (), f"{where}: {keyword}"))
        except ValueError as error:
            raise BenchUsageError(str(error)) from None

    chosen = names(metrics, "metrics")
    counted_names = names(counted, "counted")
    if chosen is not None and counted_names is not None:
        extra = [name for name in counted_names if name not in chosen]
        if extra:
            raise BenchUsageError(
                f"{where}: counted metrics {extra} are not among metrics={list(chosen)}; a "
                f"metric must be reported to count"
            )
    price_table: dict[str, float] = {}
    for key, price in dict(prices or {}).items():
        if not isinstance(key, str) or isinstance(price, bool) or not isinstance(price, (int, float)):
            raise BenchUsageError(
                f"{where}: prices entry {key!r}: {price!r} is not a metric name and a number; "
                f"write prices={{'input_tokens': 3e-06}}"
            )
        if price < 0:
            raise BenchUsageError(f"{where}: price of {key!r} is negative: {price!r}")
        price_table[key] = float(price)
    supplied_values: dict[str, dict[str, Any]] = {}
    for name, values in dict(supplied or {}).items():
        if name not in implementations:
            raise BenchUsageError(
                f"{where}: supplied values for {name!r}, which is not an implementation "
                f"({', '.join(repr(n) for n in implementations)})"
            )
        if not isinstance(values, Mapping):
            raise BenchUsageError(
                f"{where}: supplied[{name!r}] is {type(values).__name__}, not a dict such as "
                f"{{'development_hours': 4}}"
            )
        for key, value in values.items():
            if not _plain_json(value):
                raise BenchUsageError(
                    f"{where}: supplied[{name!r}][{key!r}] is {value!r}, which a JSON report "
                    f"cannot hold; give a string, a finite number, a bool, None, or a list or "
                    f"dict of those"
                )
        supplied_values[name] = dict(values)
    return MetricOptions(chosen, counted_names, price_table, supplied_values)


class BenchUsageError(Exception):
    """A mistake in how a benchmark is written; pytest shows only the message, no traceback."""


@dataclass(frozen=True)
class CompareSpec:
    """Settings that ``@compare(...)`` attaches to a test."""

    implementations: dict[str, Any]
    baseline: str
    expect: str | None
    same_result: bool
    options: MetricOptions = field(default_factory=MetricOptions)
    # Keyword arguments of compare() that are not implementations, checked at setup.
    extra: dict[str, Any] = field(default_factory=dict)


def validate_implementations(
    implementations: Mapping[str, Any], baseline: Any, expect: Any, where: str
) -> None:
    """Raise BenchUsageError naming the value and the fix for a malformed comparison."""
    names = ", ".join(repr(name) for name in implementations) or "none"
    if len(implementations) < 2:
        raise BenchUsageError(
            f"{where} needs at least two implementations to compare, got {names}; "
            f"add another, for example {where}(old=old_function, new=new_function, "
            f"baseline='old')"
        )
    for name, implementation in implementations.items():
        if not isinstance(name, str) or not name:
            raise BenchUsageError(
                f"{where}: implementation name {name!r} is not a non-empty string; "
                f"name each implementation with a string"
            )
        if not callable(implementation) and not is_code(implementation):
            raise BenchUsageError(
                f"{where}: implementation {name!r} is {type(implementation).__name__} "
                f"{implementation!r}, which is not callable; pass the function itself, "
                f"not the result of calling it"
            )
    if not isinstance(baseline, str) or baseline not in implementations:
        raise BenchUsageError(
            f"{where}: baseline {baseline!r} is not among the implementations ({names}); "
            f"set baseline= to one of those names"
        )
    if expect is not None and expect not in EXPECTATIONS:
        allowed = ", ".join(repr(value) for value in EXPECTATIONS)
        raise BenchUsageError(f"{where}: expect={expect!r} is not one of {allowed}")


def is_code(implementation: object) -> bool:
    """Return whether an implementation is a ``Code`` object, measured in a sandbox."""
    return getattr(type(implementation), "__statbench_code__", False) is True


def _plain_json(value: Any, depth: int = 0) -> bool:
    """Return whether a value is made only of what strict JSON can hold."""
    if depth > 20:
        return False
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_plain_json(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and _plain_json(item, depth + 1) for key, item in value.items()
        )
    return False


def compare(
    *,
    baseline: str,
    expect: str | None = None,
    same_result: bool = False,
    metrics: list[str] | tuple[str, ...] | None = None,
    counted: list[str] | tuple[str, ...] | None = None,
    prices: Mapping[str, float] | None = None,
    supplied: Mapping[str, Mapping[str, Any]] | None = None,
    **implementations: Callable[..., Any],
) -> Callable[[F], F]:
    """Turn a test into one comparison of the given implementations against ``baseline``.

    The test takes the ``bench`` fixture and an ``impl`` argument. pytest-statbench calls the
    test body once per implementation with ``impl`` set to it. The body calls
    ``bench(impl, *args, **kwargs)`` once, and only that call is measured. ``expect`` ("faster", "not slower" or "equivalent") fails the test
    when a candidate does not reach that verdict. ``same_result=True`` fails the test when
    the implementations return different values. ``metrics`` chooses the metrics reported
    and ``counted`` those that count towards the session's win rate and improvement;
    ``prices`` maps recorded metrics to a price per unit for the derived ``api_cost``, and
    ``supplied`` attaches values per implementation that are stated rather than measured.

    Mistakes are reported when the test runs, as a test error naming the value and the fix,
    so a typo does not break the collection of the whole module.
    """
    spec = CompareSpec(
        dict(implementations),
        baseline,
        expect,
        same_result,
        extra={"metrics": metrics, "counted": counted, "prices": prices, "supplied": supplied},
    )

    def decorate(test_function: F) -> F:
        if getattr(test_function, COMPARE_ATTRIBUTE, None) is not None:
            raise BenchUsageError(
                f"@compare is applied twice to {test_function.__qualname__}; "
                f"list every implementation in one @compare(...)"
            )
        setattr(test_function, COMPARE_ATTRIBUTE, spec)
        return pytest.mark.benchmark(test_function)  # type: ignore[no-any-return]

    return decorate


def compare_spec(test_function: object) -> CompareSpec | None:
    spec = getattr(test_function, COMPARE_ATTRIBUTE, None)
    return spec if isinstance(spec, CompareSpec) else None


def check_spec(spec: CompareSpec, test_function: Callable[..., Any]) -> CompareSpec:
    """Raise BenchUsageError when a @compare test is malformed; return the checked spec."""
    validate_implementations(spec.implementations, spec.baseline, spec.expect, "@compare")
    options = metric_options(
        spec.extra.get("metrics"), spec.extra.get("counted"), spec.extra.get("prices"),
        spec.extra.get("supplied"), spec.implementations, "@compare",
    )
    parameters = inspect.signature(test_function).parameters
    missing = [name for name in ("bench", "impl") if name not in parameters]
    if missing:
        raise BenchUsageError(
            f"@compare test {test_function.__qualname__} does not take "
            f"{' and '.join(missing)}; write it as def {test_function.__name__}(bench, impl): "
            f"bench(impl, ...)"
        )
    return replace(spec, options=options)


@dataclass
class ComparisonResult:
    """The outcome of one comparison, with statistical assertions.

    ``comparisons`` contains the time comparison of each candidate, and
    ``metric(candidate, name)`` returns the comparison on another metric. Outside benchmark mode (no ``--bench``) each
    implementation ran once as a smoke test; nothing was measured, so ``measured`` is False
    and the assertions check nothing.
    """

    benchmark: BenchmarkResult
    measured: bool
    comparisons: dict[str, Comparison] = field(default_factory=dict)

    @property
    def baseline(self) -> str:
        return self.benchmark.baseline

    def verdict(self, candidate: str, metric: str = "time") -> str:
        """Return the candidate's verdict on ``metric``; "not-measured" in a smoke run."""
        if not self.measured:
            self._check_candidate(candidate)
            return "not-measured"
        return self.metric(candidate, metric).verdict

    def ratio(self, candidate: str, metric: str = "time") -> float | None:
        """Return the candidate's ratio to the baseline on ``metric``; None in a smoke run."""
        if not self.measured:
            self._check_candidate(candidate)
            return None
        return self.metric(candidate, metric).ratio

    def _check_candidate(self, candidate: str) -> None:
        names = [i.name for i in self.benchmark.implementations if i.name != self.baseline]
        if candidate not in names:
            raise BenchUsageError(
                f"{candidate!r} is not a candidate of this comparison; candidates: "
                f"{', '.join(repr(name) for name in names)}"
            )

    def metric(self, candidate: str, name: str) -> Comparison:
        """Return the comparison of ``candidate`` with the baseline on metric ``name``."""
        __tracebackhide__ = True
        self._comparison(candidate)
        for comparison in self.benchmark.comparisons:
            if comparison.candidate == candidate and comparison.metric == name:
                return comparison
        reported = sorted({c.metric for c in self.benchmark.comparisons})
        raise BenchUsageError(
            f"metric {name!r} was not compared for {candidate!r}; compared metrics: "
            f"{', '.join(reported)}"
        )

    def assert_faster(self, candidate: str | None = None) -> None:
        """Assert the candidate (default: every candidate) is faster beyond the margin."""
        __tracebackhide__ = True
        self._assert("faster", candidate, "time")

    def assert_not_slower(self, candidate: str | None = None) -> None:
        """Assert the candidate is at most ``margin`` slower: the interval ends below 1 + margin."""
        __tracebackhide__ = True
        self._assert("not slower", candidate, "time")

    def assert_equivalent(self, candidate: str | None = None, metric: str = "time") -> None:
        """Assert the candidate's interval lies within the margin on both sides."""
        __tracebackhide__ = True
        self._assert("equivalent", candidate, metric)

    def assert_better(self, candidate: str | None = None, metric: str = "time") -> None:
        """Assert the candidate is better than the baseline on ``metric`` beyond the margin."""
        __tracebackhide__ = True
        self._assert("faster", candidate, metric)

    def _comparison(self, candidate: str) -> Comparison:
        __tracebackhide__ = True
        if candidate == self.baseline:
            raise BenchUsageError(
                f"{candidate!r} is the baseline; name a candidate: "
                f"{', '.join(repr(name) for name in self.comparisons)}"
            )
        if candidate not in self.comparisons:
            names = [i.name for i in self.benchmark.implementations if i.name != self.baseline]
            if candidate in names and not self.measured:
                raise BenchUsageError(
                    f"{candidate!r} has no measurement: this run is a smoke run without --bench"
                )
            raise BenchUsageError(
                f"{candidate!r} is not a candidate of this comparison; candidates: "
                f"{', '.join(repr(name) for name in names)}"
            )
        return self.comparisons[candidate]

    def _assert(self, expect: str, candidate: str | None, metric: str) -> None:
        __tracebackhide__ = True
        if not self.measured:
            return
        from .analysis import expectation_met
        from .comparisons import percent

        names = [candidate] if candidate is not None else list(self.comparisons)
        failures = []
        checked = []
        for name in names:
            comparison = self.metric(name, metric)
            checked.append(comparison)
            if not expectation_met(comparison, expect):
                failures.append(comparison.describe())
        if failures:
            wanted = expect if metric == "time" else f"{expect.replace('faster', 'better')} on {metric}"
            raise AssertionError(
                f"expected {wanted} than baseline {self.baseline!r} "
                f"at {percent(checked[0].confidence_level)} confidence with a "
                f"{percent(checked[0].margin)} margin:\n  " + "\n  ".join(failures)
            )


class Capture:
    """Records how the test body calls the current implementation, for a @compare test."""

    def __init__(self, name: str, implementation: Callable[..., Any]) -> None:
        self.name = name
        self.implementation = implementation
        self.runner: Runner | None = None
        self.returned: Any = None
        self.arguments: tuple[tuple[Any, ...], dict[str, Any]] = ((), {})


class Bench:
    """The ``bench`` fixture: measures implementations and compares them."""

    def __init__(self, session: BenchSession, nodeid: str) -> None:
        self._session = session
        self._nodeid = nodeid
        self._capture: Capture | None = None
        self._compare_count = 0
        self._ids: set[str] = set()

    def __call__(self, implementation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``implementation(*args, **kwargs)`` once and record the call for measurement.

        Returns what the implementation returns, so the test body can check it.
        """
        __tracebackhide__ = True
        capture = self._capture
        if capture is None:
            raise BenchUsageError(
                "bench(impl, ...) works in a test decorated with @compare(...), which sets "
                "impl; in other tests use bench.compare({'a': fn_a, 'b': fn_b}, baseline='a')"
            )
        if implementation is not capture.implementation:
            raise BenchUsageError(
                f"bench() got {_describe(implementation)}, not the implementation "
                f"{capture.name!r}; pass impl itself: bench(impl, *args, **kwargs)"
            )
        if capture.runner is not None:
            raise BenchUsageError(
                f"bench(impl, ...) was called twice for implementation {capture.name!r}; "
                f"a @compare test measures one call per implementation"
            )
        capture.arguments = (args, kwargs)
        capture.returned, capture.runner = self._session.call_once(
            capture.name, implementation, args, kwargs
        )
        return capture.returned

    def compare(
        self,
        implementations: Mapping[str, Callable[..., Any]],
        *,
        baseline: str,
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        expect: str | None = None,
        name: str | None = None,
        metrics: list[str] | tuple[str, ...] | None = None,
        counted: list[str] | tuple[str, ...] | None = None,
        prices: Mapping[str, float] | None = None,
        supplied: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> ComparisonResult:
        """Measure ``implementations`` (each called with ``args`` and ``kwargs``) and compare.

        Returns the comparison at once, so the test can assert on it. With ``expect`` set,
        an unmet expectation fails the test.
        """
        __tracebackhide__ = True
        if not isinstance(implementations, Mapping):
            raise BenchUsageError(
                f"bench.compare() takes a dict of name to callable, got "
                f"{type(implementations).__name__}; write bench.compare({{'a': fn_a, "
                f"'b': fn_b}}, baseline='a')"
            )
        validate_implementations(implementations, baseline, expect, "bench.compare")
        options = metric_options(
            metrics, counted, prices, supplied, implementations, "bench.compare"
        )
        return self._session.run_fixture_comparison(
            benchmark_id=self._next_id(name),
            nodeid=self._nodeid,
            implementations=dict(implementations),
            baseline=baseline,
            args=tuple(args),
            kwargs=dict(kwargs or {}),
            expect=expect,
            options=options,
        )

    async def acompare(
        self,
        implementations: Mapping[str, Callable[..., Any]],
        *,
        baseline: str,
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        expect: str | None = None,
        name: str | None = None,
        metrics: list[str] | tuple[str, ...] | None = None,
        counted: list[str] | tuple[str, ...] | None = None,
        prices: Mapping[str, float] | None = None,
        supplied: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> ComparisonResult:
        """Measure and compare inside an ``async def`` test, on the test's own event loop.

        Takes the same arguments as ``compare``; async implementations may use the test's
        async fixtures and clients, since they run on the loop those belong to.
        """
        __tracebackhide__ = True
        if not isinstance(implementations, Mapping):
            raise BenchUsageError(
                f"bench.acompare() takes a dict of name to callable, got "
                f"{type(implementations).__name__}"
            )
        validate_implementations(implementations, baseline, expect, "bench.acompare")
        options = metric_options(
            metrics, counted, prices, supplied, implementations, "bench.acompare"
        )
        return await self._session.run_fixture_comparison_async(
            benchmark_id=self._next_id(name),
            nodeid=self._nodeid,
            implementations=dict(implementations),
            baseline=baseline,
            args=tuple(args),
            kwargs=dict(kwargs or {}),
            expect=expect,
            options=options,
        )

    def _next_id(self, name: str | None) -> str:
        if self._session.measuring:
            raise BenchUsageError(
                "bench.compare() was called inside an implementation that is being measured; "
                "compare from the test body, not from an implementation"
            )
        self._compare_count += 1
        if name is not None:
            benchmark_id = f"{self._nodeid}[{name}]"
        elif self._compare_count > 1:
            benchmark_id = f"{self._nodeid}[{self._compare_count}]"
        else:
            benchmark_id = self._nodeid
        if benchmark_id in self._ids:
            raise BenchUsageError(
                f"this test already has a comparison {benchmark_id!r}; give each "
                f"bench.compare(...) call its own name="
            )
        self._ids.add(benchmark_id)
        return benchmark_id

    def record(
        self, name: str, value: float, *, unit: str = "", better: str = "lower"
    ) -> None:
        """Record a value of a custom metric for the implementation being run.

        Inside an implementation during the timed rounds, the values of each round are summed
        and divided by the calls of its sample, giving a per-call mean per round that is
        compared like the time. Recorded in a @compare test body, outside the rounds, the
        mean of the values is compared exactly. ``better`` is "lower" or "higher".
        """
        __tracebackhide__ = True
        from .measure.record import RecordError, record
        from .metrics.registry import BUILTIN_METRICS

        try:
            record(name, value, unit, better, frozenset(BUILTIN_METRICS))
        except RecordError as error:
            raise BenchUsageError(str(error)) from None


def _describe(value: object) -> str:
    qualname = getattr(value, "__qualname__", None)
    return repr(qualname) if qualname else repr(value)
