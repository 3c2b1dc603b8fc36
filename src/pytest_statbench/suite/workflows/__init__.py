"""Built-in benchmarks of AI workflow styles, run against deterministic offline fakes."""

from __future__ import annotations

from .fakes import Completion, Document, FakeLLM, FakeRetriever, Latency, make_documents
from .patterns import CachingBenchmark, ErrorHandlingBenchmark, ParallelProcessingBenchmark
from .rag import RAGWorkflowBenchmark, langchain_available
from .router import LLMRouterBenchmark

__all__ = [
    "CachingBenchmark",
    "Completion",
    "Document",
    "ErrorHandlingBenchmark",
    "FakeLLM",
    "FakeRetriever",
    "LLMRouterBenchmark",
    "Latency",
    "ParallelProcessingBenchmark",
    "RAGWorkflowBenchmark",
    "langchain_available",
    "make_documents",
]
