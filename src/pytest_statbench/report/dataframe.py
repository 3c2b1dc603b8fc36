"""The samples of one run as a pandas DataFrame, for analysis in a notebook.

pandas is an optional dependency (the ``pandas`` extra), so it is imported when a DataFrame is
requested, never when this module is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..schema.samples import sample_columns
from ..schema.structure import check_run

if TYPE_CHECKING:
    # pandas is optional and not in the dev extra, so mypy may run without it.
    import pandas  # type: ignore[import-untyped, import-not-found, unused-ignore]

# The columns of to_dataframe, before the sample lists and recorded metrics it does not name.
SAMPLE_COLUMNS = ("benchmark", "implementation", "round", "position", "time", "cpu_time")

_INSTALL_HINT = (
    "to_dataframe() needs pandas, which is not installed. "
    "Install it with: pip install pytest-statbench[pandas]"
)


def to_dataframe(run: Mapping[str, Any]) -> pandas.DataFrame:
    """Return one row per sample: benchmark, implementation, round, position, time, cpu_time.

    Times are seconds per call, and a null time is NaN. ``round`` and ``position`` are 0-based
    integers. Sample lists added to ``samples`` after this module was written follow as extra
    columns, and so does one ``recorded.NAME`` column per metric recorded with ``bench.record``:
    the sum of the values recorded in that sample's round. Raises ImportError naming the
    install command when pandas is missing.
    """
    try:
        import pandas  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error

    check_run(run)
    tables = [
        (benchmark["id"], implementation["name"], sample_columns(implementation))
        for benchmark in run["benchmarks"]
        for implementation in benchmark["implementations"]
    ]
    value_columns = list(SAMPLE_COLUMNS[2:])
    for _, _, sample_lists in tables:
        value_columns.extend(key for key in sample_lists if key not in value_columns)

    # An implementation without one of the columns gets nulls in it.
    columns: dict[str, list[Any]] = {name: [] for name in (*SAMPLE_COLUMNS[:2], *value_columns)}
    for benchmark, implementation, sample_lists in tables:
        count = len(next(iter(sample_lists.values()), []))
        columns["benchmark"].extend([benchmark] * count)
        columns["implementation"].extend([implementation] * count)
        for key in value_columns:
            columns[key].extend(sample_lists.get(key, [None] * count))

    frame = pandas.DataFrame(columns)
    for key in ("round", "position"):
        if not frame[key].isna().any():
            frame[key] = frame[key].astype("int64")
    for key in ("time", "cpu_time"):
        frame[key] = frame[key].astype("float64")
    return frame
