"""Settings of a benchmark session, parsed from command-line options and ini keys."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_ROUNDS = 50
DEFAULT_MIN_SAMPLE_TIME = 0.002
DEFAULT_WARMUP_TIME = 0.01
DEFAULT_MAX_TIME = 20.0
DEFAULT_MARGIN = 0.05
DEFAULT_ALPHA = 0.05
DEFAULT_RESAMPLES = 2000
DEFAULT_SANDBOX = "local"
SANDBOX_BACKENDS = ("local", "e2b")
DEFAULT_SANDBOX_TIMEOUT = 60.0
DEFAULT_SANDBOX_MEMORY = 2 * 1024**3

# Fewer rounds than this leave the bootstrap interval too coarse to support any verdict,
# so --bench-max-time never cuts a benchmark below it.
MIN_ROUNDS = 10


@dataclass(frozen=True)
class Settings:
    """Settings of one benchmark session; times are in seconds, shares are fractions."""

    enabled: bool = False
    rounds: int = DEFAULT_ROUNDS
    seed: int = 0
    seed_given: bool = False
    min_sample_time: float = DEFAULT_MIN_SAMPLE_TIME
    warmup_time: float = DEFAULT_WARMUP_TIME
    max_time: float = DEFAULT_MAX_TIME
    margin: float = DEFAULT_MARGIN
    alpha: float = DEFAULT_ALPHA
    bootstrap_resamples: int = DEFAULT_RESAMPLES
    min_win_rate: float | None = None
    min_improvement: float | None = None
    json_path: str | None = None
    html_path: str | None = None
    html_theme: str = "professional"
    # Stored runs: save this run under a name, compare it with a stored or saved run.
    save_name: str | None = None
    compare_to: str | None = None
    storage_dir: str = ".statbench"
    fail_on: str = "regression"
    compare_reference: str = "baseline"
    csv_path: str | None = None
    samples_csv_path: str | None = None
    markdown_path: str | None = None
    aa: str = "off"
    # None means the defaults of the metric registry.
    metrics: tuple[str, ...] | None = None
    counted_metrics: tuple[str, ...] | None = None
    sandbox: str = DEFAULT_SANDBOX
    sandbox_timeout: float = DEFAULT_SANDBOX_TIMEOUT
    sandbox_memory: int = DEFAULT_SANDBOX_MEMORY
    # Options of the E2B backend (pytest_statbench.sandbox.e2b.E2BSettings) when it is chosen.
    # Never stored in the results: it contains the API key.
    e2b: Any = None
    e2b_options: dict[str, Any] = field(default_factory=dict)

    @property
    def confidence_level(self) -> float:
        return 1.0 - self.alpha

    def to_record(self) -> dict[str, Any]:
        """Return the settings stored in the JSON results (paths and switches left out)."""
        record = asdict(self)
        for key in (
            "enabled", "seed", "seed_given", "json_path", "html_path", "csv_path",
            "samples_csv_path", "markdown_path", "e2b", "e2b_options", "save_name",
            "compare_to", "storage_dir", "compare_reference",
        ):
            del record[key]
        for key in ("metrics", "counted_metrics"):
            if record[key] is not None:
                record[key] = list(record[key])
        record["confidence_level"] = self.confidence_level
        return record


def parse_positive_int(text: str, *, minimum: int = 1) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise ValueError(f"{text!r} is below the minimum of {minimum}")
    return value


def parse_seed(text: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise ValueError(f"{text!r} is outside 0 to 2**63 - 1")
    return value


def parse_seconds(text: str) -> float:
    """Parse a duration such as ``0.002``, ``2ms``, ``500us`` or ``1.5s`` into seconds."""
    raw = str(text).strip().lower()
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
    scale = 1.0
    for suffix in ("ns", "us", "µs", "ms", "s"):
        if raw.endswith(suffix):
            raw = raw[: -len(suffix)].strip()
            scale = units[suffix]
            break
    try:
        value = float(raw) * scale
    except ValueError:
        raise ValueError(f"{text!r} is not a duration such as 0.002, 2ms or 1.5s") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    return value


def parse_fraction(
    text: str, *, low: float = 0.0, high: float = 1.0, open_low: bool = False
) -> float:
    """Parse a share given as a fraction (``0.05``) or a percentage (``5%``)."""
    raw = str(text).strip()
    scale = 1.0
    if raw.endswith("%"):
        raw = raw[:-1].strip()
        scale = 0.01
    try:
        value = float(raw) * scale
    except ValueError:
        raise ValueError(f"{text!r} is not a number such as 0.05 or 5%") from None
    too_low = value <= low if open_low else value < low
    if not math.isfinite(value) or too_low or value > high:
        bracket = "(" if open_low else "["
        raise ValueError(f"{text!r} is outside {bracket}{low:g}, {high:g}]")
    return value


def parse_margin(text: str) -> float:
    return parse_fraction(text, low=0.0, high=0.5)


def parse_alpha(text: str) -> float:
    return parse_fraction(text, low=0.0, high=0.5, open_low=True)


def parse_share(text: str) -> float:
    return parse_fraction(text, low=0.0, high=1.0)


def parse_improvement(text: str) -> float:
    # A negative minimum improvement is a tolerated slowdown, for example -5%.
    return parse_fraction(text, low=-1.0, high=1.0)


def parse_metric_names(text: str) -> tuple[str, ...]:
    """Parse a comma-separated list of metric names, such as ``time,peak_memory,loc``."""
    from .metrics.registry import check_metric_names

    names = tuple(name.strip() for name in str(text).split(",") if name.strip())
    if not names:
        raise ValueError(f"{text!r} names no metric; write for example time,peak_memory")
    check_metric_names(names, (), "metric list")
    return names


AA_MODES = ("off", "report", "margin")


def parse_aa(text: str) -> str:
    value = str(text).strip().lower()
    if value not in AA_MODES:
        raise ValueError(f"{text!r} is not an A/A mode; use one of {', '.join(AA_MODES)}")
    return value


def parse_sandbox(text: str) -> str:
    value = str(text).strip().lower()
    if value not in SANDBOX_BACKENDS:
        allowed = ", ".join(SANDBOX_BACKENDS)
        raise ValueError(f"{text!r} is not a sandbox backend; use one of {allowed}")
    return value


def parse_bytes(text: str) -> int:
    """Parse a size such as ``512MiB``, ``2GiB``, ``2G`` or a number of bytes."""
    raw = str(text).strip()
    units = {
        "kib": 1024, "mib": 1024**2, "gib": 1024**3,
        "kb": 1000, "mb": 1000**2, "gb": 1000**3,
        "k": 1024, "m": 1024**2, "g": 1024**3, "b": 1,
    }
    scale = 1
    lowered = raw.lower()
    for suffix in sorted(units, key=len, reverse=True):
        if lowered.endswith(suffix):
            raw = raw[: -len(suffix)].strip()
            scale = units[suffix]
            break
    try:
        value = float(raw) * scale
    except ValueError:
        raise ValueError(f"{text!r} is not a size such as 512MiB or 2GiB") from None
    if not math.isfinite(value) or value < 16 * 1024**2:
        raise ValueError(f"{text!r} is below 16MiB, too little to start Python")
    return int(value)


FAIL_ON = ("regression", "any-change", "never")

# References of run comparisons: time and CPU time relative to each benchmark's baseline in
# the same round, or as measured.
REFERENCES = ("baseline", "none")


def parse_fail_on(text: str) -> str:
    value = str(text).strip().lower()
    if value not in FAIL_ON:
        raise ValueError(f"{text!r} is not a gate; use one of {', '.join(FAIL_ON)}")
    return value


def parse_reference(text: str) -> str:
    value = str(text).strip().lower()
    if value not in REFERENCES:
        raise ValueError(
            f"{text!r} is not a reference of run comparisons; use baseline (times relative to "
            f"each benchmark's baseline) or none (times as measured)"
        )
    return value


def parse_run_name(text: str) -> str:
    from .storage import check_run_name

    return check_run_name(str(text).strip())


THEMES = ("professional", "minimal", "dark")


def parse_theme(text: str) -> str:
    value = str(text).strip().lower()
    if value not in THEMES:
        raise ValueError(f"{text!r} is not a report theme; use one of {', '.join(THEMES)}")
    return value


def parse_retries(text: str) -> int:
    return parse_positive_int(text, minimum=0)


def parse_hours(text: str) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a number of hours such as 24") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text!r} is not a positive number of hours")
    return value


def parse_rounds(text: str) -> int:
    return parse_positive_int(text, minimum=MIN_ROUNDS)


# Resamples beyond this add nothing the interval can show at three decimals, and the index
# matrix of resamples x rounds would take gigabytes.
MAX_RESAMPLES = 100_000


def parse_resamples(text: str) -> int:
    value = parse_positive_int(text, minimum=100)
    if value > MAX_RESAMPLES:
        raise ValueError(f"{text!r} is above the maximum of {MAX_RESAMPLES}")
    return value


# Option name (without the leading dashes), ini key, parser, help text.
Parser = Callable[[str], Any]
OPTIONS: list[tuple[str, str, Parser | None, str]] = [
    ("bench-rounds", "bench_rounds", parse_rounds,
     (f"rounds per benchmark; each round runs every implementation once "
     f"in a shuffled order (default {DEFAULT_ROUNDS}, minimum {MIN_ROUNDS})")),
    ("bench-seed", "bench_seed", parse_seed,
     ("seed of the round-order shuffles and the bootstrap (default: drawn at random and "
     "printed in the header)")),
    ("bench-margin", "bench_margin", parse_margin,
     f"relative margin of the verdicts, as 0.05 or 5% (default {DEFAULT_MARGIN:g})"),
    ("bench-alpha", "bench_alpha", parse_alpha,
     f"significance level; intervals are at 1 - alpha (default {DEFAULT_ALPHA:g})"),
    ("bench-min-win-rate", "bench_min_win_rate", parse_share,
     "fail the session when the share of comparisons won is below this, as 0.5 or 50%"),
    ("bench-min-improvement", "bench_min_improvement", parse_improvement,
     ("fail the session when the average time saved by the candidates is below this, "
     "as 0.1 or 10%")),
    ("bench-min-sample-time", "bench_min_sample_time", parse_seconds,
     (f"shortest duration of one sample; calls are looped until a sample lasts this long "
     f"(default {DEFAULT_MIN_SAMPLE_TIME * 1000:g}ms)")),
    ("bench-warmup-time", "bench_warmup_time", parse_seconds,
     (f"warm-up duration per implementation before calibration "
     f"(default {DEFAULT_WARMUP_TIME * 1000:g}ms)")),
    ("bench-max-time", "bench_max_time", parse_seconds,
     (f"time budget of the rounds of one benchmark; fewer rounds are run to fit it, "
     f"never fewer than {MIN_ROUNDS} (default {DEFAULT_MAX_TIME:g}s)")),
    ("bench-resamples", "bench_resamples", parse_resamples,
     f"bootstrap resamples per confidence interval (default {DEFAULT_RESAMPLES})"),
    ("bench-aa", "bench_aa", parse_aa,
     ("measure each baseline against a copy of itself in the same rounds: 'report' shows "
     "each benchmark's noise floor, 'margin' also widens the margin to it (default off; "
     "--bench-aa alone means report)")),
    ("bench-metrics", "bench_metrics", parse_metric_names,
     ("comma-separated metrics to report, such as time,cpu_time,peak_memory,loc "
     "(default time,cpu_time,peak_memory,success_rate,loc,complexity_max,"
     "maintainability_index)")),
    ("bench-counted-metrics", "bench_counted_metrics", parse_metric_names,
     ("comma-separated metrics that count towards the win rate and the improvement "
     "(default time)")),
    ("bench-sandbox", "bench_sandbox", parse_sandbox,
     (f"backend that runs Code implementations: {' or '.join(SANDBOX_BACKENDS)} "
     f"(default {DEFAULT_SANDBOX})")),
    ("bench-sandbox-timeout", "bench_sandbox_timeout", parse_seconds,
     (f"wall-clock limit of one request to a sandbox; the worker is killed when it passes "
     f"(default {DEFAULT_SANDBOX_TIMEOUT:g}s)")),
    ("bench-sandbox-memory", "bench_sandbox_memory", parse_bytes,
     "address-space limit of a local sandbox worker, as 512MiB or 2GiB (default 2GiB)"),
    ("bench-e2b-template", "bench_e2b_template", str,
     "E2B sandbox template (default: the SDK's code-interpreter template)"),
    ("bench-e2b-max-concurrent", "bench_e2b_max_concurrent", parse_positive_int,
     "E2B sandboxes alive at once (default 20)"),
    ("bench-e2b-lifetime", "bench_e2b_lifetime", parse_seconds,
     "lifetime of an E2B sandbox, refreshed while in use (default 300s)"),
    ("bench-e2b-retries", "bench_e2b_retries", parse_retries,
     ("retries of an E2B request after a rate limit, a busy service or a lost sandbox "
     "(default 3; 0 turns retries off)")),
    ("bench-e2b-cache-hours", "bench_e2b_cache_hours", parse_hours,
     ("reuse E2B results of the same code, arguments and harness for this many hours "
     "(default: no cache)")),
    ("bench-save", "bench_save", parse_run_name,
     "store this run under NAME in the storage folder, with its raw samples"),
    ("bench-compare", "bench_compare", None,
     "compare this run with a stored run (a name) or a saved JSON file (a path)"),
    ("bench-storage", "bench_storage", None, "folder of stored runs (default .statbench)"),
    ("bench-fail-on", "bench_fail_on", parse_fail_on,
     ("what fails the session in --bench-compare: regression, any-change or never "
     "(default regression)")),
    ("bench-compare-reference", "bench_compare_reference", parse_reference,
     ("how --bench-compare compares time and CPU time: relative to each benchmark's "
     "baseline in the same round, which cancels a change of the machine's speed between the "
     "runs (baseline), or as measured (none) (default baseline)")),
    ("bench-json", "bench_json", None, "write the results as JSON to this path"),
    ("bench-html", "bench_html", None, "write an HTML report to this path"),
    ("bench-html-theme", "bench_html_theme", parse_theme,
     "look of the HTML report: professional, minimal or dark (default professional)"),
    ("bench-csv", "bench_csv", None, "write the comparisons as CSV to this path"),
    ("bench-samples-csv", "bench_samples_csv", None,
     "write every sample as CSV to this path"),
    ("bench-markdown", "bench_markdown", None,
     ("write a Markdown summary (gate outcome and comparisons that are not equivalent) to "
     "this path")),
]


def new_seed() -> int:
    return secrets.randbits(32)
