"""Rule-based routing of requests to models in three styles, and its benchmark.

A request that mentions code goes to the code model, a long or analytical one to the large
model, anything else to the small model. When the chosen model fails, the small model replies.
Each style processes the scenario's requests one after another and returns
``[(model, answer), ...]``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from ..api import Benchmark, BenchmarkContext, BenchmarkResult
from .fakes import FakeLLM, Latency, tokens
from .primitives import Fallback, Function, Router

ROUTER_FRAMEWORKS = ("if_else", "table", "primitives")

CODE_WORDS = frozenset({"code", "python", "function", "sql"})
ANALYSIS_WORDS = frozenset({"explain", "compare", "analyse", "analyze", "evaluate"})
LONG_REQUEST_TOKENS = 12

SCENARIOS: dict[str, list[str]] = {
    "simple": [
        "What time zone is UTC?",
        "Define latency.",
        "Name a sorting algorithm.",
        "Translate hello to French.",
    ],
    "complex": [
        "Explain and compare the trade-offs of retrieval strategies for long documents",
        "Write python code that parses a CSV file into dictionaries",
        "Summarise this paragraph.",
        "Evaluate the risks of caching answers from a language model in production systems",
    ],
}
# The fallback scenario sends the complex requests while the large model fails every
# second call, so some answers come from the small model.
SCENARIOS["fallback"] = list(SCENARIOS["complex"])
FALLBACK_FAIL_EVERY = 2

# Seconds each fake model waits per call.
MODEL_LATENCY = {"small": 0.0002, "large": 0.0008, "code": 0.0005}

Answers = list[tuple[str, str]]
RouterFunction = Callable[[Sequence[str]], Coroutine[Any, Any, Answers]]


def make_models(
    scenario: str, latency: Mapping[str, float | Latency] | None = None
) -> dict[str, Any]:
    """Return fresh fake models for one framework, with a flaky large model under fallback."""
    latency = {**MODEL_LATENCY, **dict(latency or {})}
    fail_every = FALLBACK_FAIL_EVERY if scenario == "fallback" else 0
    return {
        "small": FakeLLM("fake-small", latency["small"]),
        "large": FakeLLM("fake-large", latency["large"], fail_every=fail_every),
        "code": FakeLLM("fake-code", latency["code"]),
    }


def if_else_router(models: Mapping[str, Any]) -> RouterFunction:
    async def route(requests: Sequence[str]) -> Answers:
        answers: Answers = []
        for request in requests:
            words = set(tokens(request))
            if words & CODE_WORDS:
                model = "code"
            elif len(tokens(request)) > LONG_REQUEST_TOKENS or words & ANALYSIS_WORDS:
                model = "large"
            else:
                model = "small"
            try:
                completion = await models[model].complete(request)
            except ConnectionError:
                model = "small"
                completion = await models["small"].complete(request)
            answers.append((model, str(completion.text)))
        return answers

    return route


RULES: list[tuple[Callable[[set[str], int], bool], str]] = [
    (lambda words, length: bool(words & CODE_WORDS), "code"),
    (lambda words, length: length > LONG_REQUEST_TOKENS, "large"),
    (lambda words, length: bool(words & ANALYSIS_WORDS), "large"),
]


def table_router(models: Mapping[str, Any]) -> RouterFunction:
    async def route(requests: Sequence[str]) -> Answers:
        answers: Answers = []
        for request in requests:
            words = tokens(request)
            model = next(
                (name for rule, name in RULES if rule(set(words), len(words))), "small"
            )
            try:
                completion = await models[model].complete(request)
            except ConnectionError:
                model = "small"
                completion = await models["small"].complete(request)
            answers.append((model, str(completion.text)))
        return answers

    return route


def primitives_router(models: Mapping[str, Any]) -> RouterFunction:
    def ask(model: str) -> Function:
        async def call(request: str) -> tuple[str, str]:
            return model, str((await models[model].complete(request)).text)

        return Function(call)

    small = ask("small")
    routes = [
        (
            (lambda request, rule=rule: rule(set(tokens(request)), len(tokens(request)))),
            Fallback(ask(model), small),
        )
        for rule, model in RULES
    ]
    router = Router(routes, default=small)

    async def route(requests: Sequence[str]) -> Answers:
        return [await router(request) for request in requests]

    return route


BUILDERS: dict[str, Callable[[Mapping[str, Any]], RouterFunction]] = {
    "if_else": if_else_router,
    "table": table_router,
    "primitives": primitives_router,
}


class LLMRouterBenchmark(Benchmark):
    """Benchmark of the routing styles, with one comparison per scenario.

    ``model_latency`` maps a framework to ``{"small"|"large"|"code": seconds}`` to change what
    one framework's models cost. ``iterations`` is the number of rounds (at least 10).
    """

    name = "llm_router"
    description = "Rule-based model routing: if/else, rule table, primitives"

    def __init__(
        self,
        routing_scenarios: Sequence[str] = ("simple", "complex", "fallback"),
        iterations: int | None = None,
        *,
        frameworks: Sequence[str] | None = None,
        metrics: list[str] | None = None,
        model_latency: Mapping[str, Mapping[str, float | Latency]] | None = None,
        prices: Mapping[str, float] | None = None,
        execution_timeout: float | None = None,
    ) -> None:
        unknown = [name for name in routing_scenarios if name not in SCENARIOS]
        if unknown:
            raise ValueError(f"unknown scenarios {unknown}; choose from {', '.join(SCENARIOS)}")
        chosen = list(frameworks or ROUTER_FRAMEWORKS)
        unknown = [name for name in chosen if name not in BUILDERS]
        if unknown:
            raise ValueError(f"unknown frameworks {unknown}; choose from {', '.join(BUILDERS)}")
        if len(chosen) < 2:
            raise ValueError("a comparison needs at least two frameworks")
        self.routing_scenarios = list(routing_scenarios)
        self.iterations = iterations
        self.frameworks = chosen
        self.metrics = metrics
        self.model_latency = {k: dict(v) for k, v in dict(model_latency or {}).items()}
        self.prices = dict(prices) if prices is not None else None
        self.timeout = execution_timeout

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        for scenario in self.routing_scenarios:
            routers = {
                name: BUILDERS[name](make_models(scenario, self.model_latency.get(name)))
                for name in self.frameworks
            }
            await context.compare(
                routers,
                baseline=self.frameworks[0],
                args=(SCENARIOS[scenario],),
                name=scenario,
                metrics=self.metrics,
                prices=self.prices,
                same_result=True,
                rounds=self.iterations,
                sources={name: BUILDERS[name] for name in self.frameworks},
            )
        context.result.metadata.update(
            scenarios=self.routing_scenarios, frameworks=self.frameworks
        )
        return context.result
