"""Deterministic, offline stand-ins for a language model and a retriever.

Each fake waits on ``asyncio.sleep`` for a latency drawn from its ``Latency`` model, so the
time an implementation spends waiting on the "network" is controlled, and records token counts
and calls as custom metrics while it is being measured. A completion depends only on the model name and the prompt.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
from dataclasses import dataclass, field

from ..api import record_metric

_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class Latency:
    """Seconds a fake call waits: ``base`` plus a uniform draw in [0, jitter) from ``seed``."""

    base: float = 0.0005
    jitter: float = 0.0
    seed: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.base < 0 or self.jitter < 0:
            raise ValueError(f"latency base={self.base!r} and jitter={self.jitter!r} must be >= 0")
        self._random = random.Random(self.seed)

    def next(self) -> float:
        return self.base + (self._random.random() * self.jitter if self.jitter else 0.0)

    async def wait(self) -> None:
        duration = self.next()
        if duration > 0:
            await asyncio.sleep(duration)


def tokens(text: str) -> list[str]:
    """Split text into lower-case word tokens, the unit the fakes count and price."""
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    input_tokens: int
    output_tokens: int


class FakeLLM:
    """A language model whose answer is a digest of the prompt, after a fixed or seeded wait.

    Records ``api_calls``, ``input_tokens`` and ``output_tokens`` for the framework being
    measured, so a price table turns them into ``api_cost``. ``fail_every`` makes every n-th
    call raise ConnectionError, a deterministic flaky service.
    """

    def __init__(
        self,
        model: str = "fake-small",
        latency: Latency | float = 0.0005,
        *,
        fail_every: int = 0,
    ) -> None:
        self.model = model
        self.latency = latency if isinstance(latency, Latency) else Latency(base=latency)
        self.fail_every = fail_every
        self.calls = 0

    async def complete(self, prompt: str) -> Completion:
        self.calls += 1
        await self.latency.wait()
        record_metric("api_calls", 1, unit="calls")
        if self.fail_every and self.calls % self.fail_every == 0:
            raise ConnectionError(f"{self.model}: simulated failure of call {self.calls}")
        digest = hashlib.sha256(f"{self.model}\n{prompt}".encode()).hexdigest()[:12]
        words = tokens(prompt)
        text = f"[{self.model}] answer {digest} from {len(words)} prompt tokens"
        completion = Completion(text, self.model, len(words), len(tokens(text)))
        record_metric("input_tokens", completion.input_tokens, unit="tokens")
        record_metric("output_tokens", completion.output_tokens, unit="tokens")
        return completion


@dataclass(frozen=True)
class Document:
    id: int
    text: str


TOPICS = (
    "agents", "retrieval", "caching", "routing", "latency", "embeddings", "prompts", "tools",
    "evaluation", "memory", "planning", "fallback",
)


def make_documents(count: int, *, seed: int = 0, words_per_document: int = 40) -> list[Document]:
    """Return ``count`` synthetic documents drawn from a fixed vocabulary by ``seed``."""
    generator = random.Random(seed)
    vocabulary = [*TOPICS, "the", "of", "and", "benefits", "using", "ai", "systems", "data"]
    return [
        Document(index, " ".join(generator.choice(vocabulary) for _ in range(words_per_document)))
        for index in range(count)
    ]


class FakeRetriever:
    """A retriever ranking documents by shared query words (ties by id) after a wait."""

    def __init__(self, documents: list[Document], latency: Latency | float = 0.0002) -> None:
        self.documents = list(documents)
        self.latency = latency if isinstance(latency, Latency) else Latency(base=latency)

    async def search(self, query: str, k: int) -> list[Document]:
        await self.latency.wait()
        record_metric("retrievals", 1, unit="calls")
        wanted = set(tokens(query))
        scored = sorted(
            self.documents,
            key=lambda document: (-len(wanted.intersection(tokens(document.text))), document.id),
        )
        return scored[:k]
