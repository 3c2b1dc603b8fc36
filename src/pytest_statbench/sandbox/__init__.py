"""Sandboxes: run ``Code`` implementations outside the test process and measure them there.

``open_runner`` starts a worker of the backend chosen by ``--bench-sandbox`` and returns a
runner that the rounds time like an in-process one. Backends are modules registered by name
in ``BACKENDS``; each defines ``open_runner`` and ``describe_isolation`` with the signatures of
the functions below. A module is imported when its backend is first used, so an optional
backend's dependencies are loaded only on request.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from ..api import BenchUsageError
from .base import SandboxError, SandboxRunner, check_arguments
from .code import Code

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = [
    "BACKENDS",
    "Code",
    "SandboxError",
    "SandboxRunner",
    "describe_isolation",
    "open_runner",
    "register_backend",
]

# Backend name to the module that implements it.
BACKENDS: dict[str, str] = {
    "local": "pytest_statbench.sandbox.local",
    "e2b": "pytest_statbench.sandbox.e2b",
}


def register_backend(name: str, module: str) -> None:
    """Make ``--bench-sandbox=NAME`` use ``module`` (imported when the backend is first used)."""
    BACKENDS[name] = module


def open_runner(
    name: str,
    code: Code,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    settings: Settings,
) -> SandboxRunner:
    """Start a sandbox worker for ``code`` bound to the arguments of the measured call.

    Raises BenchUsageError, before any worker starts, when an argument cannot travel as JSON or
    the chosen backend is not installed.
    """
    if not isinstance(code, Code):
        raise BenchUsageError(
            f"implementation {name!r} is a {type(code).__name__}, not a Code object; build it "
            f"with Code(source, entry=...) or Code.from_file(path, entry=...)"
        )
    check_arguments(name, args, kwargs)
    backend = _backend(settings.sandbox)
    return cast("SandboxRunner", backend.open_runner(name, code, args, kwargs, settings))


def describe_isolation(backend: str = "local") -> str:
    """Return a short phrase for the report header, such as "local sandbox, network isolated"."""
    return cast(str, _backend(backend).describe_isolation())


def _backend(name: str) -> ModuleType:
    module = BACKENDS.get(name)
    if module is None:
        raise BenchUsageError(
            f"the {name} sandbox backend is not installed in this build; "
            f"use --bench-sandbox=local"
        )
    return importlib.import_module(module)
