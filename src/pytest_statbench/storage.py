"""Stored runs: save and load run files, find a baseline, describe where a run was measured.

A stored run is a results file named ``NAME.json`` in a storage folder (``.statbench/`` by
default), so ``main`` names ``.statbench/main.json``. A run is compared with a baseline run of
the same benchmarks. The environment fingerprint shows whether both were measured on the same
kind of machine, because a different machine moves times by more than most code changes do.
"""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .results import (
    MAX_ERRORS_KEPT,
    BenchmarkResult,
    CallError,
    Diagnostic,
    ImplementationResult,
    RecordedMetric,
    dumps_run,
    write_atomic,
)
from .schema import RunFileError, load_run

DEFAULT_STORAGE_DIR = ".statbench"
RUN_SUFFIX = ".json"

# Fields of the run's "environment" object that make up its fingerprint, in the order they are
# reported. Interpreter, machine and the packages that measure and analyse.
FINGERPRINT_FIELDS = (
    "python",
    "implementation",
    "machine",
    "cpu_count",
    "platform",
    "pytest",
    "numpy",
    "scipy",
    "pytest_statbench",
)

# Maximum wait for one git command of commit_info, in seconds.
GIT_TIMEOUT = 10.0

__all__ = [
    "DEFAULT_STORAGE_DIR",
    "NoStoredRunsError",
    "RunFileError",
    "StorageError",
    "benchmarks_from_run",
    "check_run_name",
    "commit_info",
    "environment_fingerprint",
    "fingerprint_differences",
    "load_run_file",
    "resolve_baseline",
    "save_run",
    "stored_run_path",
    "stored_runs",
    "with_commit_info",
]


class StorageError(ValueError):
    """A run name that is invalid, or a stored run or baseline that cannot be found."""


class NoStoredRunsError(StorageError):
    """A stored run was looked up by name in a storage folder that contains no runs yet."""


# Saving and finding stored runs.


def check_run_name(name: str) -> str:
    """Return name if it can name a stored run, else raise StorageError saying why.

    A name is a plain file name without the ``.json`` suffix: no path separator, not empty,
    not ``.`` or ``..``, and not starting with ``.``, because temporary files of an atomic
    write start with a dot.
    """
    separators = {"/", "\\", os.sep, os.altsep or "/"}
    if not isinstance(name, str) or not name.strip():
        raise StorageError(
            f"run name {name!r} is empty. Name a stored run with a plain name such as 'main'."
        )
    if any(separator in name for separator in separators):
        raise StorageError(
            f"run name {name!r} contains a path separator. A stored run's name is a plain "
            f"file name such as 'main'. Pass a path to compare a file outside the storage folder."
        )
    if name.startswith(".") or "\0" in name or name != name.strip():
        raise StorageError(
            f"run name {name!r} is invalid. A stored run's name must not start with a dot, "
            f"contain a NUL character or start or end with blanks. Use a name such as 'main'."
        )
    return name


def stored_run_path(name: str, storage_dir: str | os.PathLike[str]) -> Path:
    """Return the path of the stored run called name, whether or not it exists."""
    return Path(storage_dir) / f"{check_run_name(name)}{RUN_SUFFIX}"


def save_run(run: Mapping[str, Any], name: str, storage_dir: str | os.PathLike[str]) -> Path:
    """Write run as the stored run called name, replacing any run of that name atomically.

    Returns the path written. Raises StorageError for an invalid name and OSError when the
    folder cannot be created or written.
    """
    path = stored_run_path(name, storage_dir)
    return write_atomic(path, dumps_run(dict(run)))


def stored_runs(storage_dir: str | os.PathLike[str]) -> list[str]:
    """Return the names of the runs stored in storage_dir, sorted; [] when it does not exist."""
    folder = Path(storage_dir)
    if not folder.is_dir():
        return []
    names = []
    for entry in folder.iterdir():
        if entry.name.startswith(".") or not entry.name.endswith(RUN_SUFFIX):
            continue
        if entry.is_file():
            names.append(entry.name[: -len(RUN_SUFFIX)])
    return sorted(names)


def resolve_baseline(name_or_path: str, storage_dir: str | os.PathLike[str]) -> Path:
    """Return the results file that a stored run name or a file path refers to.

    A stored run of that name wins over a file of the same name in the working directory.
    Anything with a path separator or ending in ``.json`` or ``.json.gz`` is taken as a path.
    Raises StorageError naming the stored runs when neither exists, and its subclass
    NoStoredRunsError when a name is looked up in a storage folder that contains no runs.
    """
    text = str(name_or_path)
    if not text.strip():
        raise StorageError(
            "the baseline is empty. Pass the name of a stored run or the path of a results file."
        )
    looks_like_path = (
        any(separator in text for separator in {"/", "\\", os.sep})
        or text.endswith((RUN_SUFFIX, ".json.gz"))
    )
    name_error: StorageError | None = None
    if not looks_like_path:
        try:
            stored = stored_run_path(text, storage_dir)
        except StorageError as error:
            stored, name_error = None, error
        if stored is not None and stored.is_file():
            return stored

    path = Path(text)
    if path.is_file():
        return path
    if name_error is not None:
        raise name_error
    folder = Path(storage_dir)
    if folder.exists() and not folder.is_dir():
        raise StorageError(
            f"the storage folder {os.fspath(storage_dir)} is a file, not a folder. Choose "
            f"another storage folder, or move the file."
        )
    if path.is_dir():
        raise StorageError(
            f"{text} is a folder, not a results file. Pass the file that --bench-json wrote."
        )
    if looks_like_path:
        raise StorageError(
            f"results file {text} does not exist. Pass the path of a file written by "
            f"--bench-json or the name of a stored run."
        )
    if not stored_runs(storage_dir):
        raise NoStoredRunsError(_missing_name_message(text, storage_dir))
    raise StorageError(_missing_name_message(text, storage_dir))


def _missing_name_message(name: str, storage_dir: str | os.PathLike[str]) -> str:
    shown = f"{os.fspath(storage_dir).rstrip('/')}/"
    names = stored_runs(storage_dir)
    if names:
        return (
            f"no stored run named {name!r} in {shown}. Stored runs: {', '.join(names)}. Pass "
            f"one of these names or the path of a results file."
        )
    where = "which holds no runs yet" if Path(storage_dir).is_dir() else "which does not exist"
    return (
        f"no stored run named {name!r} in {shown}, {where}. Save one with "
        f"'statbench save RUN.json {name}', or pass the path of a results file."
    )


def load_run_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load and validate a results file, plain or gzip-compressed.

    Raises RunFileError (a ValueError) with a message that names the file and the next step,
    for a file that is missing, unreadable, empty, truncated, not JSON, not a run, or of
    another schema version.
    """
    name = f"results file {os.fspath(path)}"
    try:
        return load_run(Path(path))
    except FileNotFoundError as error:
        raise RunFileError(
            f"{name} does not exist. Pass the path of a file written by --bench-json."
        ) from error
    except IsADirectoryError as error:
        raise RunFileError(
            f"{name} is a folder, not a file. Pass the file that --bench-json wrote."
        ) from error
    except PermissionError as error:
        raise RunFileError(
            f"{name} cannot be read: permission denied. Make it readable or copy it elsewhere."
        ) from error
    except OSError as error:
        raise RunFileError(
            f"{name} cannot be read: {error.strerror or error}. Copy or write the file again."
        ) from error


# Environment fingerprint.


def environment_fingerprint(run: Mapping[str, Any]) -> dict[str, Any]:
    """Return the fields of a run's environment that decide whether two runs are comparable.

    Fields missing from the run (imported runs may lack some) are left out.
    """
    environment = run.get("environment")
    if not isinstance(environment, Mapping):
        return {}
    return {key: environment[key] for key in FINGERPRINT_FIELDS if key in environment}


def fingerprint_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """List the fingerprint fields that differ, as ``"python 3.11.7 -> 3.12.1"``.

    Takes two fingerprints, or two runs whose fingerprints are taken first. A field that only
    one fingerprint has is shown with ``(unknown)`` on the other side.
    """
    if "environment" in old:
        old = environment_fingerprint(old)
    if "environment" in new:
        new = environment_fingerprint(new)
    differences = []
    for key in FINGERPRINT_FIELDS:
        if key not in old and key not in new:
            continue
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        differences.append(f"{key} {_shown(before)} -> {_shown(after)}")
    return differences


def _shown(value: Any) -> str:
    return "(unknown)" if value is None else str(value)


# Commit information.


def commit_info(cwd: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe the git commit checked out in cwd: ``commit``, ``branch`` and ``dirty``.

    ``branch`` is None on a detached HEAD. ``dirty`` is true when tracked files differ from the
    commit, and untracked files do not count. Every value is None outside a repository, when
    git is not installed or when a git command fails. This never raises and never writes the
    index: ``git status`` runs with ``--no-optional-locks``.
    """
    unknown: dict[str, Any] = {"commit": None, "branch": None, "dirty": None}
    commit = _git(cwd, "rev-parse", "--verify", "--quiet", "HEAD")
    if not commit:
        return unknown
    branch = _git(cwd, "symbolic-ref", "--quiet", "--short", "HEAD")
    status = _git(cwd, "--no-optional-locks", "status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit,
        "branch": branch or None,
        "dirty": None if status is None else bool(status),
    }


def with_commit_info(run: Mapping[str, Any], cwd: str | os.PathLike[str]) -> dict[str, Any]:
    """Return a copy of run with a ``commit`` field from commit_info(cwd)."""
    return {**run, "commit": commit_info(cwd)}


def _git(cwd: str | os.PathLike[str], *args: str) -> str | None:
    """Run git and return its stripped output, or None when it cannot run or fails."""
    try:
        completed = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.strip()


# From a loaded run back to the data model, so that stored samples can be analysed again.


def benchmarks_from_run(run: Mapping[str, Any]) -> list[BenchmarkResult]:
    """Rebuild the benchmarks of a loaded run with their samples, ready for analysis.

    Comparisons and ANOVA are left empty, because they are computed from the samples. The
    price table of ``prices=`` is not stored in a run, so ``api_cost`` cannot be computed again.
    """
    return [_benchmark_from_dict(benchmark) for benchmark in run.get("benchmarks", [])]


def _benchmark_from_dict(data: Mapping[str, Any]) -> BenchmarkResult:
    noise_floor = data.get("noise_floor")
    rounds = int(data.get("rounds") or 0)
    benchmark = BenchmarkResult(
        id=str(data["id"]),
        nodeid=str(data.get("nodeid", data["id"])),
        form=str(data.get("form", "fixture")),
        baseline=str(data["baseline"]),
        expect=data.get("expect"),
        rounds_requested=rounds,
        rounds=rounds,
        implementations=[_implementation_from_dict(i) for i in data.get("implementations", [])],
        notes=list(data.get("notes", [])),
        metrics=list(data.get("metrics", ["time"])),
        counted_metrics=list(data.get("counted_metrics", ["time"])),
        diagnostics=[
            Diagnostic(
                implementation=d.get("implementation"),
                kind=str(d.get("kind", "")),
                message=str(d.get("message", "")),
                remedy=str(d.get("remedy", "")),
                detail=str(d.get("detail", "")),
            )
            for d in data.get("diagnostics", [])
        ],
        aa_copy=noise_floor.get("copy") if isinstance(noise_floor, Mapping) else None,
    )
    # A run keeps the round index of each sample; a round past "rounds" would be lost.
    highest = max((max(i.rounds, default=-1) for i in benchmark.implementations), default=-1)
    benchmark.rounds = max(benchmark.rounds, highest + 1)
    return benchmark


def _implementation_from_dict(data: Mapping[str, Any]) -> ImplementationResult:
    samples = data.get("samples") or {}
    times = [_float_or_nan(value) for value in samples.get("time", [])]
    cpu_times = [_float_or_nan(value) for value in samples.get("cpu_time", [])]
    rounds = [int(value) for value in samples.get("round", range(len(times)))]
    positions = [int(value) for value in samples.get("position", [0] * len(times))]
    # The lists are parallel in a run written by --bench-json; a hand-edited file may not be.
    if len(rounds) != len(times):
        rounds = list(range(len(times)))
    if len(positions) != len(times):
        positions = [0] * len(times)
    if len(cpu_times) != len(times):
        cpu_times = [math.nan] * len(times)
    # A time stored as null could not be measured, so its round counts as a failed sample.
    kept = [index for index, time in enumerate(times) if not math.isnan(time)]
    times = [times[index] for index in kept]
    cpu_times = [cpu_times[index] for index in kept]
    rounds = [rounds[index] for index in kept]
    positions = [positions[index] for index in kept]

    errors = [
        CallError(
            round=error.get("round"),
            type=str(error.get("type", "")),
            message=str(error.get("message", "")),
        )
        for error in data.get("errors", [])
    ]
    # The JSON writer puts an error raised before the timed rounds first, with round null.
    setup_error = None
    if errors and errors[0].round is None and not times:
        setup_error = errors.pop(0)

    implementation = ImplementationResult(
        name=str(data["name"]),
        qualname=str(data.get("qualname", data["name"])),
        is_async=bool(data.get("is_async", False)),
        loops=int(data.get("loops") or 0),
        calls=int(data.get("calls") or 0),
        failures=int(data.get("failures") or 0),
        errors=errors[:MAX_ERRORS_KEPT],
        rounds=rounds,
        positions=positions,
        times=times,
        cpu_times=cpu_times,
        peak_memory=data.get("peak_memory"),
        rss_growth=data.get("rss_growth"),
        setup_error=setup_error,
        code_metrics=data.get("code_metrics"),
        supplied=dict(data.get("supplied") or {}),
    )
    for name, recorded in (data.get("recorded") or {}).items():
        implementation.recorded[name] = RecordedMetric(
            unit=str(recorded.get("unit", "")),
            better=str(recorded.get("better", "lower")),
            by_round={
                int(index): _float_or_nan(value)
                for index, value in (recorded.get("by_round") or {}).items()
            },
            outside_rounds=[_float_or_nan(v) for v in recorded.get("outside_rounds", [])],
        )
    return implementation


def _float_or_nan(value: Any) -> float:
    """Map the JSON null of a value that could not be computed back to NaN."""
    return math.nan if value is None else float(value)
