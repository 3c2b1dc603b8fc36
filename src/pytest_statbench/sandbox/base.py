"""Parts shared by every sandbox backend: the runner protocol, its error and argument checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..api import BenchUsageError
from .harness import json_problem

if TYPE_CHECKING:
    from ..measure import Sample


class SandboxError(Exception):
    """The sandbox failed, not the code in it: the worker died, hit a limit or timed out.

    The message names what happened and what to change. Exceptions raised by the code itself
    arrive as ``RemoteCallError`` instead.
    """


class SandboxRunner(Protocol):
    """A ``Code`` implementation running in a sandbox worker, as the session and rounds use it.

    ``call_once`` is called first and once; ``time`` and ``peak_memory`` follow; ``close`` is
    always called and may be called again.
    """

    name: str
    is_async: bool

    def call_once(self) -> Any:
        """Call the entry point once and return its JSON-decoded return value."""
        ...

    def time(self, loops: int) -> Sample:
        """Time ``loops`` calls inside the worker."""
        ...

    def peak_memory(self) -> int | None:
        """Return the peak bytes allocated during one call, or None if it cannot be measured."""
        ...

    def close(self) -> None:
        """Stop the worker and every process it started, and remove its files."""
        ...


def check_arguments(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Raise BenchUsageError for an argument of a Code implementation that JSON cannot carry."""
    problems = [(f"argument {index}", value) for index, value in enumerate(args)]
    problems += [(f"keyword argument {key!r}", value) for key, value in kwargs.items()]
    for label, value in problems:
        problem = json_problem(value)
        if problem is not None:
            raise BenchUsageError(
                f"{label} of Code implementation {name!r} {problem}; arguments of Code "
                f"implementations travel as JSON, so pass None, bool, int, float, str, lists, "
                f"tuples or dicts with str keys"
            )
