"""Acceptance tests of async implementations: they are awaited, timed to completion and run on
one event loop per benchmark, and a benchmark inside a running event loop is rejected."""

from __future__ import annotations

import pytest
from inner_run import output_of, read_json, run_bench, run_smoke

# Async implementations that count how often their body runs. A coroutine that is created but
# never awaited does not run its body, so the counts prove that the calls were awaited.
COUNTED = """
    import pytest
    from pytest_statbench import compare

    AWAITED = {"first": 0, "second": 0}

    async def first():
        AWAITED["first"] += 1
        return 1

    async def second():
        AWAITED["second"] += 1
        return 1
"""


def test_decorator_awaits_async_implementations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_async_decorated=COUNTED
        + """
    @pytest.mark.benchmark
    @compare(a=first, b=second, baseline="a")
    def test_x(bench, impl):
        assert bench(impl) == 1

    # Marked so that --bench does not deselect this check. Each of the 10 rounds awaits every
    # implementation at least once, after the one call of the test body.
    @pytest.mark.benchmark
    def test_awaited():
        assert AWAITED["first"] >= 11, AWAITED
        assert AWAITED["second"] >= 11, AWAITED
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(passed=2)


def test_fixture_awaits_async_implementations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_async_fixture=COUNTED
        + """
    @pytest.mark.benchmark
    def test_x(bench):
        bench.compare({"a": first, "b": second}, baseline="a")

    @pytest.mark.benchmark
    def test_awaited():
        assert AWAITED["first"] >= 11, AWAITED
        assert AWAITED["second"] >= 11, AWAITED
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(passed=2)


def test_smoke_awaits_async_implementations_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_async_smoke=COUNTED
        + """
    @pytest.mark.benchmark
    @compare(a=first, b=second, baseline="a")
    def test_decorated(bench, impl):
        bench(impl)

    @pytest.mark.benchmark
    def test_fixture(bench):
        bench.compare({"a": first, "b": second}, baseline="a")

    def test_awaited():
        assert AWAITED == {"first": 2, "second": 2}
    """
    )

    result = run_smoke(pytester)

    result.assert_outcomes(passed=3)


def test_async_time_covers_the_awaits(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_async_sleeps="""
    import asyncio

    import pytest
    from pytest_statbench import compare

    async def pause():
        await asyncio.sleep(0.002)

    async def sequential():
        for _ in range(5):
            await pause()

    async def gathered():
        await asyncio.gather(*(pause() for _ in range(5)))

    @pytest.mark.benchmark
    @compare(sequential=sequential, gathered=gathered, baseline="sequential")
    def test_x(bench, impl):
        bench(impl)
    """
    )

    result = run_bench(pytester, "--bench-json=out.json")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    implementations = read_json(pytester.path / "out.json")["benchmarks"][0]["implementations"]
    sequential = next(i for i in implementations if i["name"] == "sequential")
    assert sequential["is_async"] is True, sequential
    # Five sequential 2 ms sleeps take at least 10 ms; creating the coroutine takes about 1 µs.
    assert sequential["median_time"] > 0.005, sequential


def test_async_benchmark_uses_one_loop(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_async_loops="""
    import asyncio

    import pytest
    from pytest_statbench import compare

    # The loops themselves are kept, not their ids, so that a closed loop cannot pass its id on
    # to a new one.
    LOOPS = []

    async def first():
        LOOPS.append(asyncio.get_running_loop())

    async def second():
        LOOPS.append(asyncio.get_running_loop())

    @pytest.mark.benchmark
    @compare(a=first, b=second, baseline="a")
    def test_x(bench, impl):
        bench(impl)

    @pytest.mark.benchmark
    def test_one_loop():
        assert len(LOOPS) > 2
        assert len({id(loop) for loop in LOOPS}) == 1
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(passed=2)


RUNNING_LOOP_MESSAGE = (
    "BenchUsageError: bench.compare() cannot run inside an async test, whose event loop is "
    "already running; write result = await bench.acompare(...) to measure on the test's loop"
)


def test_async_test_compare_is_rejected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_async_test=COUNTED
        + """
    @pytest.mark.benchmark
    @pytest.mark.asyncio
    async def test_x(bench):
        bench.compare({"a": first, "b": second}, baseline="a")
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([RUNNING_LOOP_MESSAGE])


def test_async_decorated_test_is_rejected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_async_decorated_test=COUNTED
        + """
    @pytest.mark.benchmark
    @pytest.mark.asyncio
    @compare(a=first, b=second, baseline="a")
    async def test_x(bench, impl):
        await bench(impl)
    """
    )

    result = run_bench(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        ("BenchUsageError: @compare test test_x is an async def; pytest-statbench runs async "
        "implementations on its own event loop, so write the test as a plain def and keep the "
        "implementations async")
    ])


CLIENT_MODULE = """
    import asyncio
    import pytest
    import pytest_asyncio

    class Client:
        def __init__(self):
            self.loop = asyncio.get_running_loop()
            self.calls = 0

        async def get(self, value):
            # A client bound to the loop of its fixture fails on any other loop.
            if asyncio.get_running_loop() is not self.loop:
                raise RuntimeError("client used on a foreign event loop")
            self.calls += 1
            await asyncio.sleep(0)
            return value

    @pytest_asyncio.fixture
    async def client():
        return Client()

    @pytest.mark.benchmark
    {mark}
    async def test_x(bench, client):
        async def one_by_one():
            return [await client.get(i) for i in range(20)]

        def plain():
            return sum(range(20000))

        result = await bench.acompare({{"async": one_by_one, "plain": plain}}, baseline="plain")
        assert result.verdict("async") in ("better", "worse", "equivalent", "inconclusive")
"""


@pytest.mark.parametrize(
    ("mode", "mark"), [("strict", "@pytest.mark.asyncio"), ("auto", "")]
)
def test_acompare_uses_test_loop(pytester: pytest.Pytester, mode: str, mark: str) -> None:
    pytester.makepyfile(test_inner_acompare=CLIENT_MODULE.format(mark=mark))

    result = run_bench(pytester, "-o", f"asyncio_mode={mode}", "--bench-json=out.json")

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    benchmark = read_json(pytester.path / "out.json")["benchmarks"][0]
    assert [i["name"] for i in benchmark["implementations"]] == ["async", "plain"]
    assert benchmark["implementations"][0]["is_async"] is True


def test_acompare_smoke_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_acompare="""
    import pytest

    CALLS = []

    async def counted():
        CALLS.append(None)

    @pytest.mark.asyncio
    async def test_x(bench):
        result = await bench.acompare({"a": counted, "b": counted}, baseline="a")
        assert result.verdict("b") == "not-measured"
        assert result.ratio("b") is None
        assert len(CALLS) == 2
    """)

    result = run_smoke(pytester)

    result.assert_outcomes(passed=1)


FORGOTTEN_MARK = """
    import pytest

    @pytest.mark.benchmark
    async def test_x(bench):
        async def a():
            return 1

        await bench.acompare({"a": a, "b": a}, baseline="a")
"""


def test_forgotten_asyncio_mark_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_forgotten=FORGOTTEN_MARK)

    result = run_smoke(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        ("BenchUsageError: async benchmark test test_x would not be awaited: mark it "
        "@pytest.mark.asyncio or set asyncio_mode = auto for pytest-asyncio")
    ])


def test_missing_asyncio_plugin_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_forgotten=FORGOTTEN_MARK)

    result = run_smoke(pytester, "-p", "no:asyncio")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        ("BenchUsageError: async benchmark test test_x would not be awaited: install "
        "pytest-asyncio and mark the test @pytest.mark.asyncio")
    ])


def test_acompare_module_scoped_client(pytester: pytest.Pytester) -> None:
    # A client created once per module lives on the module's event loop; the measurement must
    # run there too, for every test of the module.
    pytester.makepyfile(test_inner_module_scope="""
    import asyncio
    import pytest
    import pytest_asyncio

    class Client:
        def __init__(self):
            self.loop = asyncio.get_running_loop()

        async def get(self):
            if asyncio.get_running_loop() is not self.loop:
                raise RuntimeError("client used on a foreign event loop")
            await asyncio.sleep(0)

    @pytest_asyncio.fixture(scope="module", loop_scope="module")
    async def client():
        return Client()

    @pytest.mark.benchmark
    @pytest.mark.asyncio(loop_scope="module")
    async def test_first(bench, client):
        await bench.acompare({"a": client.get, "b": client.get}, baseline="a")

    @pytest.mark.benchmark
    @pytest.mark.asyncio(loop_scope="module")
    async def test_second(bench, client):
        await bench.acompare({"a": client.get, "b": client.get}, baseline="a")
    """)

    result = run_bench(pytester)

    assert result.ret == pytest.ExitCode.OK, output_of(result)
    result.assert_outcomes(passed=2)
