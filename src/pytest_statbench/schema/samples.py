"""The per-sample columns of an implementation in a run, for the CSV, pandas and HTML reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Keys of `samples` that place a sample instead of measuring it.
SAMPLE_INDEX_KEYS = ("round", "position")
# Prefix of the columns of values recorded with bench.record, so that a recorded name such as
# "round" cannot replace a column of the samples.
RECORDED_PREFIX = "recorded."


def sample_columns(implementation: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return the implementation's per-sample values as columns of equal length.

    The columns are ``round`` and ``position``, then every other list in ``samples`` (``time``
    and ``cpu_time`` in seconds per call). Then comes one ``recorded.NAME`` column per metric
    recorded with ``bench.record``: the sum of the values recorded in the sample's round, from
    ``recorded.NAME.by_round``, or None for a round without one. A shorter list is padded
    with None.
    """
    samples = implementation["samples"]
    keys = [key for key in SAMPLE_INDEX_KEYS if key in samples]
    keys.extend(key for key in samples if key not in SAMPLE_INDEX_KEYS)
    columns = {key: list(samples[key]) for key in keys if isinstance(samples[key], list)}

    rounds = columns.get("round", [])
    recorded = implementation.get("recorded")
    if isinstance(recorded, Mapping):
        for name, entry in recorded.items():
            by_round = entry.get("by_round") if isinstance(entry, Mapping) else None
            if not isinstance(by_round, Mapping):
                continue
            columns[RECORDED_PREFIX + str(name)] = [by_round.get(str(number)) for number in rounds]

    count = max((len(values) for values in columns.values()), default=0)
    for values in columns.values():
        values.extend([None] * (count - len(values)))
    return columns
