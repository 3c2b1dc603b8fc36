"""Reports and statistics over the results of a suite run.

Every figure comes from the engine's repeated samples: comparisons from
``pytest_statbench.analysis`` and ad hoc tests from ``pytest_statbench.stats`` on the per-round
samples. A test with fewer than two samples on a side reports ``insufficient-data`` with the
reason and None in place of every number.
"""

from __future__ import annotations

import copy
import gzip
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..environment import environment
from ..results import BenchmarkResult as EngineRecord
from ..results import Comparison, ImplementationResult, write_atomic
from ..settings import Settings
from .api import BenchmarkResult


@dataclass(frozen=True)
class TestSummary:
    """A statistical test on the samples of a metric, with None numbers unless status is ok."""

    __test__ = False  # not a pytest test class

    test: str
    metric: str
    statistic: float | None
    p_value: float | None
    df: float | None
    status: str
    reason: str | None
    sizes: dict[str, int]

    @property
    def significant(self) -> bool | None:
        """Whether p is below the report's significance level, or None without a p-value."""
        return None if self.p_value is None else self.p_value < self._alpha

    _alpha: float = field(default=0.05, repr=False)


@dataclass(frozen=True)
class EffectSizeSummary:
    """Cohen's d of a metric, candidate minus baseline, with its band and interval."""

    metric: str
    value: float | None
    band: str | None
    ci: tuple[float, float] | None
    status: str
    reason: str | None


class BenchmarkReport:
    """Statistics, summaries and files (HTML, JSON, CSV, pandas) for a list of results.

    ``min_win_rate`` and ``min_improvement`` are the session gates of the engine: the summary
    states whether they pass. Failed benchmarks are listed and carry no comparisons.
    """

    def __init__(
        self,
        results: Sequence[BenchmarkResult],
        *,
        min_win_rate: float | None = None,
        min_improvement: float | None = None,
    ) -> None:
        self.results = list(results)
        self.min_win_rate = min_win_rate
        self.min_improvement = min_improvement
        settings = [r.settings for r in self.results if r.settings is not None]
        self.settings: Settings = settings[0] if settings else Settings(enabled=True)
        self.records: list[EngineRecord] = [rec for r in self.results for rec in r.records]
        self.run = self._build_run(self.records, self.settings)

    @classmethod
    def load_json(cls, path: str | Path) -> BenchmarkReport:
        """Rebuild a report from a results file that ``save_json`` or ``--bench-json`` wrote.

        The samples are analysed again with the stored settings and seed, so the comparisons
        match the file's. Prices are not stored in a run, so ``api_cost`` is not recomputed.
        Raises ``pytest_statbench.schema.RunFileError`` for a file that is not a valid run.
        """
        from ..analysis import AnalysisSettings, analyse_benchmark
        from ..schema import load_run
        from ..storage import benchmarks_from_run

        run = load_run(Path(path))
        stored = run["settings"]
        settings = Settings(
            enabled=True,
            rounds=int(stored["rounds"]),
            seed=int(run["seed"]),
            seed_given=True,
            min_sample_time=float(stored["min_sample_time"]),
            warmup_time=float(stored["warmup_time"]),
            max_time=float(stored["max_time"]),
            margin=float(stored["margin"]),
            alpha=float(stored["alpha"]),
            bootstrap_resamples=int(stored["bootstrap_resamples"]),
        )
        analysis = AnalysisSettings(
            margin=settings.margin,
            alpha=settings.alpha,
            resamples=settings.bootstrap_resamples,
            seed=settings.seed,
        )
        results: dict[str, BenchmarkResult] = {}
        for record in benchmarks_from_run(run):
            analyse_benchmark(record, analysis)
            result = results.setdefault(
                record.nodeid, BenchmarkResult(record.nodeid, settings=settings)
            )
            result.records.append(record)
        for stored_result in run.get("suite", {}).get("results", []):
            name = str(stored_result["benchmark_name"])
            result = results.setdefault(name, BenchmarkResult(name, settings=settings))
            result.success = bool(stored_result.get("success", True))
            result.error = stored_result.get("error")
            result.metadata = dict(stored_result.get("metadata") or {})
            result.execution_logs = list(stored_result.get("execution_logs") or [])
        summary = run["summary"]
        thresholds = {gate["name"]: gate["threshold"] for gate in summary.get("gates", [])}
        return cls(
            list(results.values()),
            min_win_rate=thresholds.get("min_win_rate"),
            min_improvement=thresholds.get("min_improvement"),
        )

    # Building the run, the JSON-able structure every report module reads.

    def _build_run(self, records: list[EngineRecord], settings: Settings) -> dict[str, Any]:
        from ..analysis import adjust_session, summarise
        from ..diagnostics import diagnose_rounds
        from ..results import run_to_dict

        adjust_session(records)
        for record in records:
            record.diagnostics = [d for d in record.diagnostics if d.kind != "too-few-rounds"]
        diagnose_rounds(records, settings.alpha)
        summary = summarise(
            records,
            alpha=settings.alpha,
            min_win_rate=self.min_win_rate,
            min_improvement=self.min_improvement,
            confidence_level=settings.confidence_level,
        )
        return run_to_dict(
            tool_version=__version__,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            seed=settings.seed,
            settings=settings.to_record(),
            environment=environment(),
            benchmarks=records,
            summary=summary,
        )

    def _run_at(self, alpha: float) -> tuple[dict[str, Any], list[EngineRecord]]:
        """Return the run analysed at another significance level, from copies of the samples."""
        if math.isclose(alpha, self.settings.alpha):
            return self.run, self.records
        from ..analysis import AnalysisSettings, analyse_benchmark

        if not 0 < alpha < 1:
            raise ValueError(f"significance_level={alpha!r} is not between 0 and 1")
        settings = replace(self.settings, alpha=alpha)
        records = copy.deepcopy(self.records)
        for record in records:
            analyse_benchmark(
                record,
                AnalysisSettings(
                    margin=settings.margin,
                    alpha=alpha,
                    resamples=settings.bootstrap_resamples,
                    seed=settings.seed,
                ),
            )
        return self._build_run(records, settings), records

    # Files.

    def save_html(
        self,
        path: str | Path,
        *,
        theme: str = "professional",
        include_charts: bool = True,
        include_raw_data: bool = True,
        significance_level: float | None = None,
        confidence_level: float | None = None,
        effect_size_threshold: float | None = None,
    ) -> Path:
        """Write the engine's HTML report and return the path written.

        ``significance_level`` (alpha) and ``confidence_level`` (1 - alpha) re-analyse the
        same samples at that level and must agree when both are given.
        ``effect_size_threshold`` adds a note to each comparison set listing the time
        comparisons whose absolute Cohen's d is below it.
        """
        from ..report.html import render_html

        alpha = self._alpha_from(significance_level, confidence_level)
        run, _ = self._run_at(alpha)
        if effect_size_threshold is not None:
            run = _with_effect_notes(run, effect_size_threshold)
        text = render_html(
            run, theme=theme, include_charts=include_charts, include_raw_data=include_raw_data
        )
        return write_atomic(path, text)

    def _alpha_from(self, significance: float | None, confidence: float | None) -> float:
        if (
            significance is not None
            and confidence is not None
            and not math.isclose(significance, 1 - confidence)
        ):
            raise ValueError(
                f"significance_level={significance!r} and confidence_level={confidence!r} "
                f"disagree; the confidence level is 1 - significance level"
            )
        if significance is not None:
            return significance
        if confidence is not None:
            return 1 - confidence
        return self.settings.alpha

    def to_dict(self, *, include_metadata: bool = True, include_raw_results: bool = True) -> dict[
        str, Any
    ]:
        """Return the run as a dict in the JSON results format, plus a ``suite`` section.

        Without raw results, the per-round sample lists and recorded values are emptied, so
        the file no longer validates against the run schema.
        """
        run = copy.deepcopy(self.run)
        if include_metadata:
            run["suite"] = {
                "results": [
                    {
                        "benchmark_name": result.benchmark_name,
                        "success": result.success,
                        "error": result.error,
                        "attempts": result.attempts,
                        "duration": result.duration,
                        "metadata": _jsonable(result.metadata),
                        "execution_logs": list(result.execution_logs),
                        "records": [record.id for record in result.records],
                    }
                    for result in self.results
                ]
            }
        if not include_raw_results:
            for benchmark in run["benchmarks"]:
                for implementation in benchmark["implementations"]:
                    implementation["samples"] = {key: [] for key in implementation["samples"]}
                    for metric in implementation.get("recorded", {}).values():
                        metric["by_round"] = {}
        return run

    def save_json(
        self,
        path: str | Path,
        *,
        pretty: bool = True,
        include_metadata: bool = True,
        include_raw_results: bool = True,
        compress: bool = False,
    ) -> Path:
        """Write the run as strict JSON, gzip-compressed with ``compress``, and return the path."""
        run = self.to_dict(
            include_metadata=include_metadata, include_raw_results=include_raw_results
        )
        text = json.dumps(
            run, indent=2 if pretty else None, allow_nan=False, ensure_ascii=False
        ) + "\n"
        if not compress:
            return write_atomic(path, text)
        target = Path(path)
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_bytes(gzip.compress(text.encode("utf-8")))
        temporary.replace(target)
        return target

    def export_csv(self, path: str | Path, *, samples_path: str | Path | None = None) -> Path:
        """Write one row per comparison (and with ``samples_path``, one per sample)."""
        from ..report.csvreport import comparisons_csv, samples_csv

        if samples_path is not None:
            write_atomic(samples_path, samples_csv(self.run))
        return write_atomic(path, comparisons_csv(self.run))

    def export_to_pandas(self) -> Any:
        """Return one row per sample as a pandas DataFrame (needs pandas)."""
        from ..report.dataframe import to_dataframe

        return to_dataframe(self.run)

    def markdown(self) -> str:
        from ..report.markdown import markdown_summary

        return markdown_summary(self.run)

    # Comparisons made by the engine.

    def comparisons(self, metric: str = "time") -> list[Comparison]:
        return [c for record in self.records for c in record.comparisons if c.metric == metric]

    def compare_frameworks(
        self, candidate: str, baseline: str, *, benchmark: str | None = None
    ) -> dict[str, Any]:
        """Return the time comparison of two frameworks measured in the same rounds.

        When ``baseline`` is the record's baseline this is the engine's comparison; otherwise
        the ratio and interval are computed from the same paired samples. The improvement
        is ``1 - ratio`` in percent: positive when the candidate is faster.
        """
        record = self._record_with(candidate, baseline, benchmark)
        found = [
            c for c in record.comparisons
            if c.metric == "time" and c.candidate == candidate and c.baseline == baseline
        ]
        if found:
            comparison = found[0]
            ratio, ci = comparison.ratio, comparison.ci
            verdict, reason = comparison.verdict, comparison.reason
            p_value = comparison.p_value_paired
            if p_value is None:
                p_value = comparison.p_value
        else:
            ratio, ci, p_value, verdict, reason = self._ad_hoc_ratio(record, candidate, baseline)
        return {
            "benchmark": record.id,
            "candidate": candidate,
            "baseline": baseline,
            "metric": "time",
            "ratio": ratio,
            "ci": ci,
            "confidence_level": self.settings.confidence_level,
            "improvement_percent": None if ratio is None else (1.0 - ratio) * 100.0,
            "improvement_percent_ci": None if ci is None else (
                (1.0 - ci[1]) * 100.0, (1.0 - ci[0]) * 100.0
            ),
            "p_value": p_value,
            "verdict": verdict,
            "reason": reason,
        }

    def _ad_hoc_ratio(
        self, record: EngineRecord, candidate: str, baseline: str
    ) -> tuple[float | None, tuple[float, float] | None, float | None, str, str]:
        from .. import stats
        from ..analysis import benchmark_rng

        first = record.implementation(candidate).time_by_round(record.rounds)
        second = record.implementation(baseline).time_by_round(record.rounds)
        interval = stats.ratio_interval(
            first, second, paired=True, confidence_level=self.settings.confidence_level,
            resamples=self.settings.bootstrap_resamples,
            rng=benchmark_rng(self.settings.seed, f"{record.id}:{candidate}:{baseline}", 2),
        )
        if interval.status == stats.INSUFFICIENT_DATA:
            return None, None, None, "insufficient-data", interval.reason or ""
        paired = stats.paired_ttest(_log(first), _log(second))
        margin = self.settings.margin
        if interval.high < 1 - margin:
            verdict = "better"
        elif interval.low > 1 + margin:
            verdict = "worse"
        elif 1 - margin <= interval.low and interval.high <= 1 + margin:
            verdict = "equivalent"
        else:
            verdict = "inconclusive"
        return (
            interval.ratio, (interval.low, interval.high), _number(paired.p_value), verdict,
            f"paired bootstrap interval against {baseline!r}, margin {margin:.0%}",
        )

    def _record_with(self, first: str, second: str, benchmark: str | None) -> EngineRecord:
        matches = []
        for record in self._records_named(benchmark):
            names = {i.name for i in record.implementations}
            if first in names and second in names:
                matches.append(record)
        if not matches:
            known = sorted({i.name for r in self.records for i in r.implementations})
            raise KeyError(
                f"no measured comparison contains both {first!r} and {second!r}"
                + (f" in benchmark {benchmark!r}" if benchmark else "")
                + f"; frameworks measured: {', '.join(known) or 'none'}"
            )
        if len(matches) > 1:
            raise ValueError(
                f"{first!r} and {second!r} were measured together in several comparisons "
                f"({', '.join(r.id for r in matches)}); pass benchmark= to choose one"
            )
        return matches[0]

    # Ad hoc tests on the samples.

    def get_t_test(
        self, first: str, second: str, metric: str = "time", *, benchmark: str | None = None
    ) -> TestSummary:
        """Welch's t-test of ``first`` against ``second`` on a sampled metric's per-round values.

        Times are tested on their logarithms, as the engine does.
        """
        from .. import stats

        record = self._record_with(first, second, benchmark)
        a = _series(record, first, metric)
        b = _series(record, second, metric)
        result = stats.welch_ttest(a, b, confidence_level=self.settings.confidence_level)
        return self._summary("Welch's t-test", metric, result.statistic, result.p_value,
                             result.df, result.status, result.reason,
                             {first: result.n_candidate, second: result.n_baseline})

    def get_anova_test(self, metric: str = "time", *, benchmark: str | None = None) -> TestSummary:
        """Welch's one-way ANOVA across the frameworks of one comparison (log-times for time)."""
        from .. import stats

        record = self._only_record(benchmark)
        names = [i.name for i in record.implementations if i.name != record.aa_copy]
        groups = [_series(record, name, metric) for name in names]
        result = stats.welch_anova(groups)
        sizes = {name: int(sum(1 for v in g if math.isfinite(v))) for name, g in zip(names, groups)}
        return self._summary("Welch's ANOVA", metric, result.statistic, result.p_value,
                             result.df_within, result.status, result.reason, sizes)

    def get_effect_size(
        self, candidate: str, baseline: str, metric: str = "time", *,
        benchmark: str | None = None,
    ) -> EffectSizeSummary:
        """Cohen's d of ``candidate`` minus ``baseline`` (on log-times for time)."""
        from .. import stats

        record = self._record_with(candidate, baseline, benchmark)
        result = stats.cohens_d(
            _series(record, candidate, metric), _series(record, baseline, metric),
            confidence_level=self.settings.confidence_level,
        )
        ok = result.status == stats.OK
        low, high = result.confidence_interval
        return EffectSizeSummary(
            metric=metric,
            value=_number(result.value) if ok else None,
            band=result.band if ok else None,
            ci=(low, high) if ok and math.isfinite(low) and math.isfinite(high) else None,
            status=result.status,
            reason=result.reason,
        )

    def get_confidence_intervals(self, metric: str = "time") -> dict[str, dict[str, Any]]:
        """Return each comparison's ratio and interval, keyed ``"candidate vs baseline (id)"``."""
        return {
            f"{c.candidate} vs {c.baseline} ({record.id})": {
                "ratio": c.ratio, "ci": c.ci, "confidence_level": c.confidence_level,
                "verdict": c.verdict,
            }
            for record in self.records for c in record.comparisons if c.metric == metric
        }

    def _only_record(self, benchmark: str | None) -> EngineRecord:
        matches = self._records_named(benchmark)
        if len(matches) != 1:
            ids = ", ".join(r.id for r in self.records) or "none"
            raise ValueError(
                f"benchmark={benchmark!r} matches {len(matches)} comparisons; pass one of: {ids}"
            )
        return matches[0]

    def _records_named(self, benchmark: str | None) -> list[EngineRecord]:
        """Return the records of a comparison id, else of a benchmark name, else all."""
        if benchmark is None:
            return list(self.records)
        exact = [r for r in self.records if r.id == benchmark]
        return exact or [r for r in self.records if r.nodeid == benchmark]

    def _summary(
        self, test: str, metric: str, statistic: float, p_value: float, df: float,
        status: str, reason: str | None, sizes: dict[str, int],
    ) -> TestSummary:
        from .. import stats

        ok = status == stats.OK
        return TestSummary(
            test=test,
            metric=metric,
            statistic=_number(statistic) if ok else None,
            p_value=_number(p_value) if ok else None,
            df=_number(df) if ok else None,
            status=status,
            reason=reason,
            sizes=sizes,
            _alpha=self.settings.alpha,
        )

    # Summaries.

    def get_win_rate(self, candidate: str, metric: str = "time") -> float | None:
        """Return the share of the candidate's comparisons with a verdict that it won, or None.

        A win is a ``better`` verdict whose Holm-adjusted p-value is below alpha.
        """
        from ..analysis import is_win

        made = [
            c for c in self.comparisons(metric)
            if c.candidate == candidate and c.verdict != "insufficient-data"
        ]
        if not made:
            return None
        return sum(1 for c in made if is_win(c, self.settings.alpha)) / len(made)

    def get_statistical_summary(self) -> dict[str, Any]:
        """Return the engine's session summary plus per-candidate win rates."""
        summary = dict(self.run["summary"])
        candidates = sorted({c.candidate for c in self.comparisons()})
        summary["win_rate_by_candidate"] = {name: self.get_win_rate(name) for name in candidates}
        summary["alpha"] = self.settings.alpha
        summary["margin"] = self.settings.margin
        return summary

    def get_executive_summary(self) -> dict[str, Any]:
        """Return counts, the win rate, the improvement, effect sizes and one line per finding."""
        alpha = self.settings.alpha
        times = self.comparisons()
        significant = [
            c for c in times if c.p_value_holm is not None and c.p_value_holm < alpha
        ]
        effects = [abs(c.cohens_d) for c in times if c.cohens_d is not None]
        summary = self.run["summary"]
        findings = [
            f"{record.id}: {c.candidate} vs {c.baseline}: {c.verdict}"
            + ("" if c.ratio is None else f", time ratio {c.ratio:.3g}")
            + ("" if c.ci is None else f" [{c.ci[0]:.3g}, {c.ci[1]:.3g}]")
            for record in self.records for c in record.comparisons if c.metric == "time"
        ]
        failed = [r for r in self.results if not r.success]
        findings.extend(f"{r.benchmark_name}: failed: {r.error}" for r in failed)
        return {
            "total_benchmarks": len(self.results),
            "failed_benchmarks": len(failed),
            "total_comparisons": len(times),
            "significant_results": len(significant),
            "win_rate": summary["win_rate"],
            "average_improvement": summary["average_improvement"],
            "average_improvement_ci": _improvement_ci(summary.get("geometric_mean_ratio_ci")),
            "average_effect_size": sum(effects) / len(effects) if effects else None,
            "verdicts": summary["verdicts"],
            "gates_passed": summary["passed"],
            "findings": findings,
        }


def _improvement_ci(ratio_ci: Any) -> tuple[float, float] | None:
    if not ratio_ci or ratio_ci[0] is None or ratio_ci[1] is None:
        return None
    return (1.0 - ratio_ci[1], 1.0 - ratio_ci[0])


def _series(record: EngineRecord, name: str, metric: str) -> list[float]:
    """Return one value per round for a sampled metric, NaN where the sample failed."""
    implementation: ImplementationResult = record.implementation(name)
    if metric in ("time", "execution_time"):
        return _log(implementation.time_by_round(record.rounds))
    if metric == "cpu_time":
        return _log(implementation.cpu_time_by_round(record.rounds))
    if metric in implementation.recorded:
        return implementation.recorded_by_round(metric, record.rounds)
    raise KeyError(
        f"metric {metric!r} has no samples for {name!r}; sampled metrics are time, cpu_time "
        f"and recorded ones ({', '.join(implementation.recorded) or 'none recorded'})"
    )


def _log(values: list[float]) -> list[float]:
    return [math.log(v) if v > 0 else math.nan for v in values]


def _number(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def _with_effect_notes(run: dict[str, Any], threshold: float) -> dict[str, Any]:
    run = copy.deepcopy(run)
    for benchmark in run["benchmarks"]:
        small = [
            c["candidate"] for c in benchmark["comparisons"]
            if c["metric"] == "time" and c.get("cohens_d") is not None
            and abs(c["cohens_d"]) < threshold
        ]
        if small:
            benchmark["notes"].append(
                f"|Cohen's d| below the effect-size threshold {threshold:g} for: "
                + ", ".join(small)
            )
    return run
