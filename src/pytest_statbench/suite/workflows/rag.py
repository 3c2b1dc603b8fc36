"""The same retrieval-augmented generation workflow written in three styles, and its benchmark.

Every style retrieves the top documents for the query, optionally summarises each one
(``complexity_level="advanced"``), builds the same prompt and sends it to the language model. With
the deterministic fakes every style returns the same answer, and the benchmark checks that.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any

from ..api import Benchmark, BenchmarkContext, BenchmarkResult
from .fakes import Document, FakeLLM, FakeRetriever, Latency, make_documents
from .primitives import Function, Map, Sequential

RAG_FRAMEWORKS = ("plain", "primitives", "langchain")

# Documents retrieved and whether each is summarised first, by complexity level.
COMPLEXITY = {
    "basic": (2, False),
    "intermediate": (4, False),
    "advanced": (4, True),
}

Workflow = Callable[[str], Coroutine[Any, Any, str]]

# Default seconds the fake clients wait per call.
DEFAULT_LLM_LATENCY = 0.0005
DEFAULT_RETRIEVER_LATENCY = 0.0002


def build_prompt(query: str, passages: Sequence[str]) -> str:
    context = "\n".join(f"[{index}] {passage}" for index, passage in enumerate(passages, 1))
    return f"Answer the question from the context.\nContext:\n{context}\nQuestion: {query}"


def summary_prompt(document: Document) -> str:
    return f"Summarise in one sentence: {document.text}"


def plain_rag(llm: Any, retriever: Any, k: int, summarise: bool) -> Workflow:
    """Return the workflow as plain async Python."""
    import asyncio

    async def answer(query: str) -> str:
        documents = await retriever.search(query, k)
        if summarise:
            completions = await asyncio.gather(
                *(llm.complete(summary_prompt(document)) for document in documents)
            )
            passages = [completion.text for completion in completions]
        else:
            passages = [document.text for document in documents]
        completion = await llm.complete(build_prompt(query, passages))
        return str(completion.text)

    return answer


def primitives_rag(llm: Any, retriever: Any, k: int, summarise: bool) -> Workflow:
    """Return the workflow composed from Sequential, Map and Function steps."""

    async def retrieve(query: str) -> tuple[str, list[Document]]:
        return query, await retriever.search(query, k)

    async def summarise_one(document: Document) -> str:
        return str((await llm.complete(summary_prompt(document))).text)

    summarise_all = Map(Function(summarise_one))

    async def passages(state: tuple[str, list[Document]]) -> tuple[str, list[str]]:
        query, documents = state
        if summarise:
            return query, await summarise_all(documents)
        return query, [document.text for document in documents]

    async def generate(state: tuple[str, list[str]]) -> str:
        query, texts = state
        return str((await llm.complete(build_prompt(query, texts))).text)

    pipeline = Sequential([Function(retrieve), Function(passages), Function(generate)])

    async def answer(query: str) -> str:
        return str(await pipeline(query))

    return answer


def langchain_available() -> bool:
    return importlib.util.find_spec("langchain_core") is not None


def langchain_rag(llm: Any, retriever: Any, k: int, summarise: bool) -> Workflow:
    """Return the workflow as a chain of langchain-core runnables around the same clients.

    The runnables wrap the same fake retriever and model, so the answer matches the other
    styles and the difference measured is the cost of the runnable machinery. LangChain's own
    fake chat model and fake embeddings return values unrelated to the input, which would fail
    the same-answer check.
    """
    # NOTE: this path runs only where langchain-core is installed, and it was not installed
    # when this was written, so it has not been run.
    from langchain_core.runnables import (  # type: ignore[import-not-found, unused-ignore]
        RunnableLambda,
    )

    async def retrieve(query: str) -> dict[str, Any]:
        return {"query": query, "documents": await retriever.search(query, k)}

    async def passages(state: dict[str, Any]) -> dict[str, Any]:
        documents = state["documents"]
        if summarise:
            summaries = RunnableLambda(_summariser(llm)).abatch(documents)
            return {"query": state["query"], "passages": list(await summaries)}
        return {"query": state["query"], "passages": [d.text for d in documents]}

    async def generate(state: dict[str, Any]) -> str:
        completion = await llm.complete(build_prompt(state["query"], state["passages"]))
        return str(completion.text)

    chain = RunnableLambda(retrieve) | RunnableLambda(passages) | RunnableLambda(generate)

    async def answer(query: str) -> str:
        return str(await chain.ainvoke(query))

    return answer


def _summariser(llm: Any) -> Callable[[Document], Awaitable[str]]:
    async def summarise_one(document: Document) -> str:
        return str((await llm.complete(summary_prompt(document))).text)

    return summarise_one


BUILDERS: dict[str, Callable[[Any, Any, int, bool], Workflow]] = {
    "plain": plain_rag,
    "primitives": primitives_rag,
    "langchain": langchain_rag,
}


class RAGWorkflowBenchmark(Benchmark):
    """Benchmark of the RAG workflow styles on time, memory, code metrics, tokens and cost.

    ``llm_latency`` and ``retriever_latency`` are seconds (or ``Latency`` models), one value
    for all frameworks or a dict per framework. ``llm`` and ``retriever`` replace the fakes
    with client objects of the same shape, shared by every framework. ``await
    llm.complete(prompt)`` must return an object with ``.text``, and ``await
    retriever.search(query, k)`` a list of objects with ``.text``. ``iterations`` is the number of rounds (at least 10).
    """

    name = "rag_workflow"
    description = "Retrieval-augmented generation: plain Python, primitives, LangChain"

    def __init__(
        self,
        query: str = "What are the benefits of using AI agents?",
        document_count: int = 10,
        complexity_level: str = "intermediate",
        frameworks: Sequence[str] | None = None,
        metrics: list[str] | None = None,
        iterations: int | None = None,
        execution_timeout: float | None = None,
        *,
        llm_latency: float | Latency | Mapping[str, float | Latency] = DEFAULT_LLM_LATENCY,
        retriever_latency: float | Latency | Mapping[str, float | Latency] = (
            DEFAULT_RETRIEVER_LATENCY
        ),
        llm: Any = None,
        retriever: Any = None,
        prices: Mapping[str, float] | None = None,
        seed: int = 0,
    ) -> None:
        if complexity_level not in COMPLEXITY:
            raise ValueError(
                f"complexity_level={complexity_level!r} is not one of {', '.join(COMPLEXITY)}"
            )
        if document_count < 1:
            raise ValueError(f"document_count={document_count!r} is below 1")
        chosen = list(frameworks or RAG_FRAMEWORKS)
        unknown = [name for name in chosen if name not in BUILDERS]
        if unknown:
            raise ValueError(f"unknown frameworks {unknown}; choose from {', '.join(BUILDERS)}")
        self.query = query
        self.document_count = document_count
        self.complexity_level = complexity_level
        self.frameworks = chosen
        self.metrics = metrics
        self.iterations = iterations
        self.timeout = execution_timeout
        self.llm_latency = llm_latency
        self.retriever_latency = retriever_latency
        self.llm = llm
        self.retriever = retriever
        self.prices = dict(prices) if prices is not None else None
        self.seed = seed

    def workflows(self) -> tuple[dict[str, Workflow], list[str]]:
        """Build each framework's workflow with its own clients, and return them with notes."""
        k, summarise = COMPLEXITY[self.complexity_level]
        documents = make_documents(self.document_count, seed=self.seed)
        built: dict[str, Workflow] = {}
        notes: list[str] = []
        for name in self.frameworks:
            if name == "langchain" and not langchain_available():
                notes.append("langchain skipped: langchain-core is not installed")
                continue
            llm = self.llm
            if llm is None:
                llm = FakeLLM(latency=_latency_for(self.llm_latency, name, DEFAULT_LLM_LATENCY))
            retriever = self.retriever
            if retriever is None:
                latency = _latency_for(self.retriever_latency, name, DEFAULT_RETRIEVER_LATENCY)
                retriever = FakeRetriever(documents, latency=latency)
            built[name] = BUILDERS[name](llm, retriever, k, summarise)
        return built, notes

    async def run(self, context: BenchmarkContext) -> BenchmarkResult:
        workflows, notes = self.workflows()
        for note in notes:
            context.log(note)
        if len(workflows) < 2:
            raise ValueError(
                f"only {list(workflows)} can run here, but a comparison needs two frameworks"
            )
        await context.compare(
            workflows,
            baseline=next(iter(workflows)),
            args=(self.query,),
            metrics=self.metrics,
            prices=self.prices,
            same_result=True,
            rounds=self.iterations,
            sources={name: BUILDERS[name] for name in workflows},
        )
        context.result.metadata.update(
            query=self.query,
            document_count=self.document_count,
            complexity_level=self.complexity_level,
            frameworks=list(workflows),
            skipped=notes,
            fake_clients=self.llm is None and self.retriever is None,
        )
        return context.result


def _latency_for(
    value: float | Latency | Mapping[str, float | Latency], framework: str, default: float
) -> Latency:
    if isinstance(value, Mapping):
        chosen = value.get(framework, default)
    else:
        chosen = value
    if isinstance(chosen, Latency):
        # A copy per framework, so one framework's draws do not shift another's.
        return Latency(chosen.base, chosen.jitter, chosen.seed)
    return Latency(base=float(chosen))
