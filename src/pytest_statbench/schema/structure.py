"""Structural checks of a run: the keys and container types that the reports read.

These checks run before every report is drawn, so that a missing field fails with its path
instead of rendering a blank cell. They cover less than the JSON Schema in run.schema.json,
and `load_run` falls back on them when jsonschema is not installed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..results import SCHEMA, SCHEMA_VERSION

_RUN_KEYS = (
    "schema",
    "schema_version",
    "tool",
    "created",
    "seed",
    "settings",
    "environment",
    "benchmarks",
    "summary",
)
_TOOL_KEYS = ("name", "version")
_SETTINGS_KEYS = ("rounds", "margin", "alpha", "confidence_level")
_BENCHMARK_KEYS = (
    "id",
    "nodeid",
    "form",
    "baseline",
    "expect",
    "rounds",
    "implementations",
    "comparisons",
    "anova",
)
_IMPLEMENTATION_KEYS = (
    "name",
    "qualname",
    "is_async",
    "loops",
    "failures",
    "errors",
    "samples",
    "median_time",
    "mean_time",
    "min_time",
    "peak_memory",
)
_SAMPLES_KEYS = ("time",)
_ERROR_KEYS = ("round", "type", "message")
_COMPARISON_KEYS = (
    "candidate",
    "baseline",
    "ratio",
    "ci",
    "confidence_level",
    "ci_method",
    "p_value",
    "p_value_holm",
    "cohens_d",
    "effect_size_band",
    "n_pairs",
    "margin",
    "verdict",
    "reason",
    "expectation",
)
_EXPECTATION_KEYS = ("expect", "met")
_ANOVA_KEYS = ("statistic", "df_between", "df_within", "p_value", "eta_squared")
_SUMMARY_KEYS = (
    "comparisons",
    "wins",
    "win_rate",
    "geometric_mean_ratio",
    "average_improvement",
    "verdicts",
    "gates",
    "passed",
)
_GATE_KEYS = ("name", "threshold", "value", "passed", "message")


def check_run(run: Any) -> None:
    """Check that run has the keys and container types of schema pytest-statbench/run, version 1.

    Raises TypeError when a part of the run has the wrong type and ValueError when a required
    key is missing or the run is not version 1 of pytest-statbench/run. Each message starts
    with the path of the value, such as ``run.benchmarks[0].comparisons[1]``.
    """
    _require_mapping(run, "run")
    _require_keys(run, _RUN_KEYS, "run")

    if run["schema"] != SCHEMA:
        raise ValueError(
            f"run.schema must be {SCHEMA!r}, got {run['schema']!r}. "
            "Pass a run written by --bench-json."
        )
    if run["schema_version"] != SCHEMA_VERSION:
        raise ValueError(
            f"run.schema_version {run['schema_version']!r} is not supported. This report renders "
            f"version {SCHEMA_VERSION}, so render the run with the pytest-statbench that wrote it."
        )

    _require_keys(_require_mapping(run["tool"], "run.tool"), _TOOL_KEYS, "run.tool")
    _require_keys(_require_mapping(run["settings"], "run.settings"), _SETTINGS_KEYS, "run.settings")
    _require_mapping(run["environment"], "run.environment")

    for index, benchmark in enumerate(_require_list(run["benchmarks"], "run.benchmarks")):
        _check_benchmark(benchmark, f"run.benchmarks[{index}]")

    summary = _require_mapping(run["summary"], "run.summary")
    _require_keys(summary, _SUMMARY_KEYS, "run.summary")
    _require_mapping(summary["verdicts"], "run.summary.verdicts")
    for index, gate in enumerate(_require_list(summary["gates"], "run.summary.gates")):
        path = f"run.summary.gates[{index}]"
        _require_keys(_require_mapping(gate, path), _GATE_KEYS, path)


def _check_benchmark(benchmark: Any, path: str) -> None:
    _require_keys(_require_mapping(benchmark, path), _BENCHMARK_KEYS, path)

    for index, implementation in enumerate(
        _require_list(benchmark["implementations"], f"{path}.implementations")
    ):
        item_path = f"{path}.implementations[{index}]"
        _require_keys(_require_mapping(implementation, item_path), _IMPLEMENTATION_KEYS, item_path)
        samples_path = f"{item_path}.samples"
        samples = _require_mapping(implementation["samples"], samples_path)
        _require_keys(samples, _SAMPLES_KEYS, samples_path)
        for key, values in samples.items():
            _require_list(values, f"{samples_path}.{key}")
        for error_index, error in enumerate(
            _require_list(implementation["errors"], f"{item_path}.errors")
        ):
            error_path = f"{item_path}.errors[{error_index}]"
            _require_keys(_require_mapping(error, error_path), _ERROR_KEYS, error_path)

    for index, comparison in enumerate(
        _require_list(benchmark["comparisons"], f"{path}.comparisons")
    ):
        item_path = f"{path}.comparisons[{index}]"
        _require_keys(_require_mapping(comparison, item_path), _COMPARISON_KEYS, item_path)
        if comparison["expectation"] is not None:
            expectation_path = f"{item_path}.expectation"
            _require_keys(
                _require_mapping(comparison["expectation"], expectation_path),
                _EXPECTATION_KEYS,
                expectation_path,
            )

    if benchmark["anova"] is not None:
        _require_keys(
            _require_mapping(benchmark["anova"], f"{path}.anova"), _ANOVA_KEYS, f"{path}.anova"
        )
    for key in ("notes", "diagnostics"):
        if benchmark.get(key) is not None:
            _require_list(benchmark[key], f"{path}.{key}")
    if benchmark.get("noise_floor") is not None:
        _require_mapping(benchmark["noise_floor"], f"{path}.noise_floor")


def _require_mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{path} must be a JSON object (a mapping), got {type(value).__name__}. "
            "Pass the run as loaded from the --bench-json file."
        )
    return value


def _require_list(value: Any, path: str) -> Sequence[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(
            f"{path} must be a JSON array (a list), got {type(value).__name__}. "
            "Pass the run as loaded from the --bench-json file."
        )
    return value


def _require_keys(mapping: Mapping[str, Any], keys: Sequence[str], path: str) -> None:
    missing = [key for key in keys if key not in mapping]
    if missing:
        noun, pronoun = ("key", "it") if len(missing) == 1 else ("keys", "them")
        names = ", ".join(repr(key) for key in missing)
        raise ValueError(
            f"{path} is missing required {noun} {names}. Every run of schema {SCHEMA} version "
            f"{SCHEMA_VERSION} has {pronoun}, so pass a complete run as written by --bench-json."
        )
