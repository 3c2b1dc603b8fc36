"""The environment block of a run: interpreter, machine and package versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

from . import __version__


def environment() -> dict[str, Any]:
    """Describe the interpreter and machine, so a stored run records where it was measured."""
    versions: dict[str, str | None] = {}
    for package in ("pytest", "numpy", "scipy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        **versions,
        "pytest_statbench": __version__,
    }
