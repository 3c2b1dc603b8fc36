"""pytest hooks of pytest-statbench: options, the ``bench`` fixture and session set-up."""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable
from typing import Any

import pytest

from .api import Bench, BenchUsageError, compare_spec
from .session import BenchSession
from .settings import OPTIONS, Settings, new_seed

SESSION_KEY = pytest.StashKey[BenchSession]()


def _argparse_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Wrap a parser so argparse reports its ValueError message with the option name."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = parse.__name__.removeprefix("parse_")
    return convert


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("statbench", "statistical benchmarks (pytest-statbench)")
    group.addoption(
        "--bench",
        action="store_true",
        default=False,
        help="measure and compare the benchmark tests and deselect the others; without it, "
        "benchmark tests call each implementation once as a smoke test",
    )
    for option, ini_key, parse, help_text in OPTIONS:
        # --bench-aa may be given without a value, which means "report".
        optional_value = {"nargs": "?", "const": "report"} if ini_key == "bench_aa" else {}
        group.addoption(
            f"--{option}",
            dest=ini_key,
            default=None,
            **optional_value,
            type=_argparse_type(parse) if parse is not None else str,
            metavar=ini_key.removeprefix("bench_").upper(),
            # argparse expands %-placeholders in help text, so a literal percent sign is doubled.
            help=help_text.replace("%", "%%"),
        )
        parser.addini(ini_key, help=help_text, default=None)


def _read_settings(config: pytest.Config) -> Settings:
    """Combine options and ini keys (options win) and validate ini values."""
    values: dict[str, Any] = {}
    for _option, ini_key, parse, _help in OPTIONS:
        value = config.getoption(ini_key)
        if value is None:
            raw = config.getini(ini_key)
            if raw not in (None, ""):
                if parse is None:
                    value = str(raw)
                else:
                    try:
                        value = parse(str(raw))
                    except ValueError as error:
                        raise pytest.UsageError(f"ini option {ini_key}: {error}") from None
        if value is not None:
            values[ini_key] = value

    seed = values.get("bench_seed")
    settings = Settings(
        enabled=bool(config.getoption("bench")),
        seed=seed if seed is not None else new_seed(),
        seed_given=seed is not None,
    )
    mapping = {
        "bench_rounds": "rounds",
        "bench_margin": "margin",
        "bench_alpha": "alpha",
        "bench_min_win_rate": "min_win_rate",
        "bench_min_improvement": "min_improvement",
        "bench_min_sample_time": "min_sample_time",
        "bench_warmup_time": "warmup_time",
        "bench_max_time": "max_time",
        "bench_resamples": "bootstrap_resamples",
        "bench_json": "json_path",
        "bench_html": "html_path",
        "bench_html_theme": "html_theme",
        "bench_csv": "csv_path",
        "bench_samples_csv": "samples_csv_path",
        "bench_markdown": "markdown_path",
        "bench_aa": "aa",
        "bench_save": "save_name",
        "bench_compare": "compare_to",
        "bench_storage": "storage_dir",
        "bench_fail_on": "fail_on",
        "bench_compare_reference": "compare_reference",
        "bench_metrics": "metrics",
        "bench_counted_metrics": "counted_metrics",
        "bench_sandbox": "sandbox",
        "bench_sandbox_timeout": "sandbox_timeout",
        "bench_sandbox_memory": "sandbox_memory",
    }
    changes = {field: values[key] for key, field in mapping.items() if key in values}
    settings = dataclasses.replace(settings, **changes)
    _reject_shared_report_paths(values)
    if settings.sandbox == "e2b" and settings.enabled:
        settings = dataclasses.replace(settings, e2b=_e2b_settings(config, values))
    return settings


def _warn_unused_outputs(config: pytest.Config, settings: Settings) -> None:
    """Warn when a report or a stored run is asked for without --bench, which writes none."""
    asked = [
        option
        for option, value in (
            ("--bench-json", settings.json_path),
            ("--bench-html", settings.html_path),
            ("--bench-csv", settings.csv_path),
            ("--bench-samples-csv", settings.samples_csv_path),
            ("--bench-markdown", settings.markdown_path),
            ("--bench-save", settings.save_name),
            ("--bench-compare", settings.compare_to),
        )
        if value
    ]
    # Options from an ini file are meant for --bench runs; only a command line is a slip.
    if _given_on_command_line(config, asked):
        config.issue_config_time_warning(
            pytest.PytestConfigWarning(
                f"{', '.join(asked)} {'takes' if len(asked) == 1 else 'take'} effect with "
                f"--bench only; this run measures nothing and writes no report"
            ),
            stacklevel=2,
        )


def _given_on_command_line(config: pytest.Config, options: list[str]) -> bool:
    """Return whether any of the options was given on the command line, not only in an ini."""
    return any(
        config.getoption(option.removeprefix("--").replace("-", "_"), None) is not None
        for option in options
    )


REPORT_OPTIONS = ("bench_json", "bench_html", "bench_csv", "bench_samples_csv", "bench_markdown")


def _reject_shared_report_paths(values: dict[str, Any]) -> None:
    """Stop when two reports name one file, since the second would replace the first."""
    seen: dict[str, str] = {}
    for key in REPORT_OPTIONS:
        path = values.get(key)
        if path is None:
            continue
        resolved = os.path.realpath(str(path))
        if resolved in seen and os.path.exists(resolved) and not os.path.isfile(resolved):
            continue  # several reports may go to one stream, such as /dev/stdout
        if resolved in seen:
            first = seen[resolved].replace("_", "-")
            raise pytest.UsageError(
                f"--{first} and --{key.replace('_', '-')} both write {path}; give each report "
                f"its own path"
            )
        seen[resolved] = key


def _e2b_settings(config: pytest.Config, values: dict[str, Any]) -> Any:
    """Build the E2B backend's options from the command line, or None when none is given.

    Importing the backend here turns a missing SDK into a usage error before any test runs.
    """
    try:
        from .sandbox.e2b import E2BSettings
    except BenchUsageError as error:
        raise pytest.UsageError(str(error)) from None

    options: dict[str, Any] = {}
    if "bench_e2b_template" in values:
        options["template"] = values["bench_e2b_template"]
    if "bench_e2b_max_concurrent" in values:
        options["max_concurrent"] = values["bench_e2b_max_concurrent"]
    if "bench_e2b_lifetime" in values:
        options["sandbox_timeout"] = max(1, round(values["bench_e2b_lifetime"]))
    if "bench_e2b_retries" in values:
        options["max_retries"] = values["bench_e2b_retries"]
        options["retry_failed"] = values["bench_e2b_retries"] > 0
    if "bench_e2b_cache_hours" in values:
        if config.cache is None:
            raise pytest.UsageError(
                "--bench-e2b-cache-hours needs pytest's cache folder; remove -p no:cacheprovider"
            )
        options["cache_results"] = True
        options["cache_ttl_hours"] = values["bench_e2b_cache_hours"]
        options["cache_dir"] = config.cache.mkdir("statbench-e2b")
    if not options:
        # Without options the module's configure() settings, or its defaults, apply.
        return None
    try:
        return E2BSettings(**options)
    except BenchUsageError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "benchmark: a benchmark test (used bare); pytest --bench measures it, "
        "plain pytest runs each implementation once",
    )
    settings = _read_settings(config)
    if settings.enabled:
        _reject_parallel_workers(config)
    else:
        _warn_unused_outputs(config, settings)
    session = BenchSession(config, settings)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "statbench-session")


def _reject_parallel_workers(config: pytest.Config) -> None:
    """Refuse benchmark mode under pytest-xdist workers.

    Workers on the same machine would measure at the same time and slow each other down, and
    the interleaved rounds of one benchmark would no longer share the machine's conditions, so
    results gathered from several workers would not be comparable.
    """
    workers = config.getoption("numprocesses", default=None)
    distributing = config.getoption("dist", default="no") not in ("no", None)
    if workers or distributing or hasattr(config, "workerinput"):
        raise pytest.UsageError(
            f"pytest --bench measures one benchmark at a time, and pytest-xdist would run "
            f"benchmarks in parallel workers (-n {workers}) that disturb each other's timings; "
            f"run the benchmarks with -n 0"
        )


@pytest.fixture
def bench(request: pytest.FixtureRequest) -> Bench:
    """Measure and compare implementations: ``bench(impl, ...)`` in a @compare test,
    ``bench.compare({...}, baseline=...)`` in any test."""
    return Bench(request.config.stash[SESSION_KEY], request.node.nodeid)


@pytest.fixture
def impl(request: pytest.FixtureRequest) -> None:
    """Placeholder for the implementation that @compare passes to each call of the test."""
    if compare_spec(request.function) is None:
        raise BenchUsageError(
            f"{request.node.name} takes an argument named impl, which only @compare(...) "
            f"provides; decorate the test with @compare(...) or rename the argument"
        )
