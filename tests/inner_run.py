"""Helpers of the acceptance tests: run pytest in-process on a test module written by a test.

The inner runs use tiny settings, and verdicts are asserted only for a 1000-fold difference in
work: ``sum(range(10))`` against ``sum(range(20000))``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

# The plugin imports these (and numpy and scipy through them) only when it measures. pytester
# drops the modules that an in-process run imported, and numpy cannot be imported twice in one
# process, so they are imported here, once, for every inner run.
import pytest_statbench.analysis
import pytest_statbench.measure
import pytest_statbench.report.html
import pytest_statbench.report.terminal  # noqa: F401

# Options of every inner run: no cache files, no Hypothesis (its terminal summary imports a large
# module again in every inner run), and pytest-asyncio's fixture loop scope set so that the
# inner runs emit no deprecation warning.
BASE_OPTIONS = (
    "-p", "no:cacheprovider",
    "-p", "no:hypothesispytest",
    "-o", "asyncio_default_fixture_loop_scope=function",
)

# Settings that keep one inner benchmark to a few milliseconds of measurement.
SMALL_SETTINGS = (
    "--bench-rounds=10",
    "--bench-min-sample-time=200us",
    "--bench-warmup-time=1ms",
)

# The start of an inner test module: two implementations whose costs differ about 1000-fold,
# so any verdict between them is certain.
FAST_AND_SLOW = """
    import pytest
    from pytest_statbench import compare

    def fast():
        return sum(range(10))

    def slow():
        return sum(range(20000))
"""

# The location line of a traceback entry, such as "test_x.py:8: ValueError" or
# "/site-packages/pytest_statbench/api.py:272: in compare".
TRACEBACK_LOCATION = re.compile(r"^\S+\.py:\d+:", re.MULTILINE)


def run_bench(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest --bench in-process with the small settings and pytest-benchmark disabled."""
    return pytester.runpytest("-p", "no:benchmark", *BASE_OPTIONS, "--bench", *SMALL_SETTINGS, *args)


def run_smoke(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run plain pytest (smoke mode) in-process with pytest-benchmark disabled."""
    return pytester.runpytest("-p", "no:benchmark", *BASE_OPTIONS, *args)


def output_of(result: pytest.RunResult) -> str:
    """Return stdout and stderr of an inner run, to show in a failed assert."""
    return result.stdout.str() + "\n" + result.stderr.str()


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def plugin_frames(result: pytest.RunResult) -> list[str]:
    """Return the traceback locations in the output that lie inside the plugin's package."""
    locations = TRACEBACK_LOCATION.findall(result.stdout.str())
    return [location for location in locations if "pytest_statbench" in location]


def assert_no_traceback(result: pytest.RunResult) -> None:
    """Assert that the inner run printed messages only: no traceback of any kind."""
    __tracebackhide__ = True
    output = output_of(result)
    assert "Traceback" not in output, output
    assert "INTERNALERROR" not in output, output
    assert not TRACEBACK_LOCATION.findall(result.stdout.str()), output
