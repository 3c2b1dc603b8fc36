"""CSV reports of one run: one row per comparison, or one row per sample.

Numbers are written as Python writes them (``repr`` of a float round-trips), null as an empty
cell and booleans as ``true`` or ``false``. A text cell that a spreadsheet could run as a
formula, because it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, gets a
leading single quote, as the OWASP guidance on CSV injection advises. Numbers are never changed,
so a negative Cohen's d stays a number.

Rows end with ``\\n`` and not ``\\r\\n``, because the session writes reports in text mode, which
turns ``\\n`` into the platform's line ending.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..schema.samples import sample_columns
from ..schema.structure import check_run

# The columns of comparisons_csv, before any comparison field this list does not name.
COMPARISON_COLUMNS = (
    "benchmark",
    "nodeid",
    "candidate",
    "baseline",
    "metric",
    "unit",
    "better",
    "kind",
    "counted",
    "candidate_value",
    "baseline_value",
    "ratio",
    "ci_low",
    "ci_high",
    "confidence_level",
    "ci_method",
    "p_value",
    "p_value_paired",
    "p_value_holm",
    "statistic",
    "df",
    "cohens_d",
    "hedges_g",
    "effect_size_band",
    "mann_whitney_p",
    "vargha_delaney_a",
    "n_candidate",
    "n_baseline",
    "n_pairs",
    "margin",
    "verdict",
    "expect",
    "expectation_met",
    "reason",
)
# The columns of samples_csv, before the sample lists and recorded metrics it does not name.
SAMPLE_COLUMNS = ("benchmark", "implementation", "round", "position", "time", "cpu_time")

# Comparison fields that COMPARISON_COLUMNS shows under other names.
_RENAMED_FIELDS = {"ci", "expectation"}
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def comparisons_csv(run: Mapping[str, Any]) -> str:
    """Write one CSV row per comparison, in the order of the run's benchmarks.

    The confidence interval is split into ``ci_low`` and ``ci_high``, and the expectation into
    ``expect`` and ``expectation_met``. Fields added to comparisons after this module was written
    follow as extra columns, when their values are numbers, text, booleans or null.
    """
    check_run(run)
    comparisons = [
        (benchmark, comparison)
        for benchmark in run["benchmarks"]
        for comparison in benchmark["comparisons"]
    ]
    extra = _extra_keys(
        (comparison for _, comparison in comparisons),
        known=set(COMPARISON_COLUMNS) | _RENAMED_FIELDS,
        accept=_is_scalar,
    )

    rows = []
    for benchmark, comparison in comparisons:
        interval = comparison.get("ci") or (None, None)
        expectation = comparison.get("expectation") or {}
        row: dict[str, Any] = {key: comparison.get(key) for key in COMPARISON_COLUMNS}
        row.update(
            benchmark=benchmark["id"],
            nodeid=benchmark["nodeid"],
            ci_low=interval[0],
            ci_high=interval[1],
            expect=expectation.get("expect"),
            expectation_met=expectation.get("met"),
        )
        row.update((key, comparison.get(key)) for key in extra)
        rows.append(row)
    return _write([*COMPARISON_COLUMNS, *extra], rows)


def samples_csv(run: Mapping[str, Any]) -> str:
    """Write one CSV row per sample: benchmark, implementation, round, position and each value.

    Times are seconds per call. Sample lists added to ``samples`` after this module was written
    follow as extra columns, and so does one ``recorded.NAME`` column per metric recorded with
    ``bench.record``: the sum of the values recorded in that sample's round.
    """
    check_run(run)
    tables = [
        (benchmark["id"], implementation["name"], sample_columns(implementation))
        for benchmark in run["benchmarks"]
        for implementation in benchmark["implementations"]
    ]
    value_columns = list(SAMPLE_COLUMNS[2:])
    for _, _, columns in tables:
        value_columns.extend(key for key in columns if key not in value_columns)

    rows = []
    for benchmark, implementation, columns in tables:
        count = len(next(iter(columns.values()), []))
        for index in range(count):
            row = {"benchmark": benchmark, "implementation": implementation}
            row.update((key, values[index]) for key, values in columns.items())
            rows.append(row)
    return _write([*SAMPLE_COLUMNS[:2], *value_columns], rows)


def neutralise_cell(value: Any) -> str:
    """Format one cell: text that starts like a formula gets a leading single quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def _extra_keys(
    items: Iterable[Mapping[str, Any]], known: set[str], accept: Callable[[Any], bool]
) -> list[str]:
    """List the keys outside `known` whose every value passes `accept`, in order of appearance."""
    usable: dict[str, bool] = {}
    for item in items:
        for key, value in item.items():
            if key not in known:
                usable[key] = usable.get(key, True) and accept(value)
    return [key for key, passed in usable.items() if passed]


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _write(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # The csv module quotes a cell that contains the line terminator, "\n" here, but not one
    # that contains only "\r", which readers take as a line break. Such a row is written with
    # every cell quoted.
    quoting_writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow([neutralise_cell(column) for column in columns])
    for row in rows:
        cells = [neutralise_cell(row.get(column)) for column in columns]
        if any("\r" in cell for cell in cells):
            quoting_writer.writerow(cells)
        else:
            writer.writerow(cells)
    return buffer.getvalue()
