"""Built-in workflow benchmarks: same answers across styles and verdicts that follow cost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pytest_statbench.suite import BenchmarkResult, BenchmarkRunner
from pytest_statbench.suite.workflows import (
    CachingBenchmark,
    ErrorHandlingBenchmark,
    FakeLLM,
    FakeRetriever,
    Latency,
    LLMRouterBenchmark,
    ParallelProcessingBenchmark,
    RAGWorkflowBenchmark,
    langchain_available,
    make_documents,
)
from pytest_statbench.suite.workflows import router as router_module
from pytest_statbench.suite.workflows.primitives import Cache, Fallback, Function, Retry

TINY: dict[str, Any] = {"rounds": 10, "seed": 11, "min_sample_time": 0.0002, "warmup_time": 0.001,
        "bootstrap_resamples": 400}


def run(benchmark: Any) -> BenchmarkResult:
    return asyncio.run(BenchmarkRunner(**TINY).run_benchmark(benchmark))


def time_verdicts(result: BenchmarkResult) -> dict[str, str]:
    return {
        c.candidate: c.verdict
        for record in result.records for c in record.comparisons if c.metric == "time"
    }


@pytest.mark.parametrize("level", ["basic", "intermediate", "advanced"])
def test_rag_styles_answer_alike(level: str) -> None:
    benchmark = RAGWorkflowBenchmark(complexity_level=level, llm_latency=0.0, retriever_latency=0.0)
    workflows, _ = benchmark.workflows()

    answers = {name: asyncio.run(workflow(benchmark.query)) for name, workflow in workflows.items()}

    assert len(set(answers.values())) == 1
    assert "fake-small" in next(iter(answers.values()))


def test_rag_verdict_follows_latency() -> None:
    cheap_primitives = RAGWorkflowBenchmark(
        complexity_level="basic", frameworks=["plain", "primitives"],
        llm_latency={"plain": 0.004, "primitives": 0.0004},
    )
    costly_primitives = RAGWorkflowBenchmark(
        complexity_level="basic", frameworks=["plain", "primitives"],
        llm_latency={"plain": 0.0004, "primitives": 0.004},
    )

    faster = run(cheap_primitives)
    slower = run(costly_primitives)

    assert faster.success, faster.error
    assert slower.success, slower.error
    assert time_verdicts(faster) == {"primitives": "better"}
    assert time_verdicts(slower) == {"primitives": "worse"}


def test_rag_records_tokens_and_cost() -> None:
    benchmark = RAGWorkflowBenchmark(
        complexity_level="advanced", frameworks=["plain", "primitives"],
        prices={"input_tokens": 3e-06, "output_tokens": 1.5e-05},
    )
    result = run(benchmark)

    assert result.success, result.error
    plain = result.framework_results["plain"]
    assert plain.api_calls == 5.0
    assert plain.custom["input_tokens"] > 0
    assert plain.cost_per_request is not None and plain.cost_per_request > 0
    cost = next(c for c in result.records[0].comparisons if c.metric == "api_cost")
    assert cost.verdict == "equivalent"
    assert result.framework_results["primitives"].lines_of_code is not None


@pytest.mark.skipif(langchain_available(), reason="langchain-core is installed here")
def test_rag_skips_missing_langchain() -> None:
    result = run(RAGWorkflowBenchmark(complexity_level="basic"))

    assert result.success, result.error
    assert result.metadata["frameworks"] == ["plain", "primitives"]
    assert result.metadata["skipped"] == ["langchain skipped: langchain-core is not installed"]


def test_rag_accepts_client_objects() -> None:
    llm = FakeLLM("client-model", latency=0.0)
    retriever = FakeRetriever(make_documents(5), latency=0.0)
    benchmark = RAGWorkflowBenchmark(frameworks=["plain", "primitives"], llm=llm,
                                     retriever=retriever)
    workflows, _ = benchmark.workflows()

    answer = asyncio.run(workflows["plain"]("agents"))

    assert answer.startswith("[client-model]")
    assert llm.calls == 1


def test_rag_rejects_unknown_options() -> None:
    with pytest.raises(ValueError, match="complexity_level='expert'"):
        RAGWorkflowBenchmark(complexity_level="expert")
    with pytest.raises(ValueError, match="unknown frameworks"):
        RAGWorkflowBenchmark(frameworks=["plain", "haystack"])


@pytest.mark.parametrize("scenario", ["simple", "complex", "fallback"])
def test_router_styles_route_alike(scenario: str) -> None:
    answers = []
    for build in router_module.BUILDERS.values():
        models = router_module.make_models(scenario, {"small": 0.0, "large": 0.0, "code": 0.0})
        answers.append(asyncio.run(build(models)(router_module.SCENARIOS[scenario])))

    assert answers[0] == answers[1] == answers[2]
    chosen = [model for model, _ in answers[0]]
    if scenario == "simple":
        assert chosen == ["small"] * 4
    if scenario == "complex":
        assert chosen == ["large", "code", "small", "large"]
    if scenario == "fallback":
        assert chosen == ["large", "code", "small", "small"]


def test_router_benchmark_one_comparison_per_scenario() -> None:
    result = run(LLMRouterBenchmark(routing_scenarios=["simple", "fallback"]))

    assert result.success, result.error
    assert [record.id for record in result.records] == [
        "llm_router[simple]", "llm_router[fallback]",
    ]
    assert set(result.comparison_metrics["llm_router[fallback]"]) == {
        "if_else", "table", "primitives",
    }


def test_router_verdict_follows_model_latency() -> None:
    benchmark = LLMRouterBenchmark(
        routing_scenarios=["simple"], frameworks=["if_else", "table"],
        model_latency={"table": {"small": 0.003}},
    )
    result = run(benchmark)

    assert result.success, result.error
    assert time_verdicts(result) == {"table": "worse"}


def test_parallel_gather_beats_sequential() -> None:
    result = run(ParallelProcessingBenchmark(requests=4, latency=0.001))

    assert result.success, result.error
    verdicts = time_verdicts(result)
    assert verdicts["gather"] == "better"
    assert verdicts["map"] == "better"


def test_caching_records_hits_and_misses() -> None:
    result = run(CachingBenchmark(requests=8, distinct=2, latency=0.001))

    assert result.success, result.error
    assert result.framework_results["no_cache"].cache_hit_rate == 0.0
    assert result.framework_results["memo"].cache_hit_rate == pytest.approx(6 / 8)
    assert result.framework_results["cache_primitive"].cache_hit_rate == pytest.approx(6 / 8)
    assert result.framework_results["memo"].api_calls == 2.0
    assert time_verdicts(result)["memo"] == "better"


def test_error_handling_retries_and_falls_back() -> None:
    benchmark = ErrorHandlingBenchmark(requests=4, fail_every=1, attempts=2, latency=0.0)
    implementations = benchmark.implementations()

    answers = {name: asyncio.run(call(["a", "b"])) for name, call in implementations.items()}

    assert answers["plain"] == answers["primitives"] == ["fake-backup", "fake-backup"]
    result = run(ErrorHandlingBenchmark(requests=4, fail_every=3))
    assert result.success, result.error
    assert result.framework_results["plain"].success_rate == 1.0


def test_primitives_retry_and_cache() -> None:
    flaky = FakeLLM(latency=Latency(base=0.0), fail_every=2)

    async def ask(prompt: str) -> str:
        return (await flaky.complete(prompt)).text

    async def scenario() -> tuple[str, str, str]:
        retried = Retry(Function(ask), attempts=2)
        cached = Cache(retried)
        first = await cached("q")
        second = await retried("q")
        third = await cached("q")
        return first, second, third

    first, second, third = asyncio.run(scenario())

    assert first == second == third
    assert flaky.calls == 3

    steady = FakeLLM(latency=0.0)

    async def fails(value: str) -> str:
        raise ConnectionError("down")

    async def ask_steady(prompt: str) -> str:
        return (await steady.complete(prompt)).text

    assert asyncio.run(Fallback(Function(fails), Function(ask_steady))("q")) == first


def test_latency_rejects_negative() -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        Latency(base=-1.0)
