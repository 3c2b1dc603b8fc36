"""The JSON Schema of a run (schema pytest-statbench/run, version 1) and the loader that uses it."""

from __future__ import annotations

from .loader import SCHEMA_RESOURCE, RunFileError, load_run, run_schema, validate_run
from .structure import check_run

__all__ = [
    "SCHEMA_RESOURCE",
    "RunFileError",
    "check_run",
    "load_run",
    "run_schema",
    "validate_run",
]
