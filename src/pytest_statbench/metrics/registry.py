"""The metrics a comparison can report: name, unit, better direction and kind.

A sampled metric has one value per round and is compared with the statistics of the time;
a deterministic metric has one value per implementation and is compared exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SAMPLED = "sampled"
DETERMINISTIC = "deterministic"
LOWER = "lower"
HIGHER = "higher"


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    better: str
    kind: str
    description: str

    def cost_ratio(self, ratio: float) -> float:
        """Return the ratio oriented so that below 1 is always an improvement."""
        return ratio if self.better == LOWER else 1.0 / ratio


BUILTIN_METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric("time", "s", LOWER, SAMPLED, "wall-clock time per call"),
        Metric("cpu_time", "s", LOWER, SAMPLED, "CPU time of the process per call"),
        Metric("peak_memory", "B", LOWER, DETERMINISTIC,
               "peak bytes allocated by Python during one call (tracemalloc)"),
        Metric("rss_growth", "B", LOWER, DETERMINISTIC,
               "growth of the resident set size during one call"),
        Metric("success_rate", "", HIGHER, DETERMINISTIC,
               "share of timed samples in which every call returned"),
        Metric("loc", "lines", LOWER, DETERMINISTIC, "lines of code (radon raw LOC)"),
        Metric("sloc", "lines", LOWER, DETERMINISTIC, "source lines of code (radon raw SLOC)"),
        Metric("lloc", "lines", LOWER, DETERMINISTIC, "logical lines of code (radon raw LLOC)"),
        Metric("comments", "lines", HIGHER, DETERMINISTIC, "comment lines (radon raw)"),
        Metric("complexity_total", "", LOWER, DETERMINISTIC,
               "sum of the cyclomatic complexity of all blocks (radon cc)"),
        Metric("complexity_max", "", LOWER, DETERMINISTIC,
               "cyclomatic complexity of the most complex block (radon cc)"),
        Metric("maintainability_index", "", HIGHER, DETERMINISTIC,
               "maintainability index, 0 to 100 (radon mi)"),
        Metric("halstead_volume", "", LOWER, DETERMINISTIC, "Halstead volume (radon)"),
        Metric("halstead_difficulty", "", LOWER, DETERMINISTIC, "Halstead difficulty (radon)"),
        Metric("halstead_effort", "", LOWER, DETERMINISTIC, "Halstead effort (radon)"),
        Metric("doc_coverage", "", HIGHER, DETERMINISTIC,
               "share of public functions and classes with a docstring"),
        Metric("cache_hit_rate", "", HIGHER, SAMPLED,
               "cache_hits / (cache_hits + cache_misses) recorded with bench.record"),
        Metric("api_cost", "USD", LOWER, SAMPLED,
               "cost per call from recorded token counts and the price table"),
    )
}

CODE_METRICS = (
    "loc", "sloc", "lloc", "comments", "complexity_total", "complexity_max",
    "maintainability_index", "halstead_volume", "halstead_difficulty", "halstead_effort",
    "doc_coverage",
)

# Reported when neither compare(metrics=...) nor --bench-metrics chooses.
DEFAULT_REPORTED = (
    "time", "cpu_time", "peak_memory", "success_rate", "loc", "complexity_max",
    "maintainability_index",
)

# Counted towards the win rate and the improvement when nothing else is chosen: a session gate
# on speed should not pass because a candidate has fewer lines.
DEFAULT_COUNTED = ("time",)


def custom_metric(name: str, unit: str, better: str) -> Metric:
    """Return the metric of a value recorded with ``bench.record``."""
    return Metric(name, unit, better, SAMPLED, "recorded with bench.record")


def check_metric_names(names: Iterable[str], custom: Iterable[str], where: str) -> list[str]:
    """Return the names as a list, raising ValueError for a name that is not a known metric.

    Custom names (recorded with bench.record) are known only once recorded, so a name that is
    neither built-in nor recorded yet is accepted when it is a valid identifier; a typo of a
    built-in name is reported with the closest built-in names.
    """
    import difflib

    chosen = list(names)
    known = set(BUILTIN_METRICS) | set(custom)
    for name in chosen:
        if name in known:
            continue
        close = difflib.get_close_matches(name, list(BUILTIN_METRICS), n=3, cutoff=0.75)
        if close or not name.isidentifier():
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(
                f"{where}: {name!r} is not a metric{hint} Built-in metrics: "
                f"{', '.join(BUILTIN_METRICS)}"
            )
    return chosen
