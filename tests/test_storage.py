"""Unit tests of stored runs: names, baseline lookup, load errors, fingerprints, commit info."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_runcompare import lognormal_times, make_run

from pytest_statbench import storage
from pytest_statbench.schema import RunFileError
from pytest_statbench.storage import (
    StorageError,
    benchmarks_from_run,
    commit_info,
    environment_fingerprint,
    fingerprint_differences,
    load_run_file,
    resolve_baseline,
    save_run,
    stored_runs,
    with_commit_info,
)


@pytest.fixture
def run() -> dict[str, Any]:
    return make_run({"test_x.py::test_loop": {
        "reference": lognormal_times(1e-3, 12, 1),
        "function": lognormal_times(2e-3, 12, 2),
    }})


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# Saving and naming.


def test_save_run_round_trip(tmp_path: Path, run: dict[str, Any]) -> None:
    path = save_run(run, "main", tmp_path / ".statbench")

    assert path == tmp_path / ".statbench" / "main.json"
    assert load_run_file(path) == run


def test_save_run_replaces_old_run(tmp_path: Path, run: dict[str, Any]) -> None:
    save_run(run, "main", tmp_path)
    changed = {**run, "seed": 99}

    save_run(changed, "main", tmp_path)

    assert load_run_file(tmp_path / "main.json")["seed"] == 99
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.json"]


@pytest.mark.parametrize("name", ["a/b", "../main", "a\\b"])
def test_save_run_rejects_path_separator(tmp_path: Path, run: dict[str, Any], name: str) -> None:
    with pytest.raises(StorageError) as raised:
        save_run(run, name, tmp_path)

    assert str(raised.value) == (
        f"run name {name!r} contains a path separator. A stored run's name is a plain file "
        f"name such as 'main'. Pass a path to compare a file outside the storage folder."
    )


@pytest.mark.parametrize("name", [".hidden", "..", " main"])
def test_save_run_rejects_dot_and_blank_names(
    tmp_path: Path, run: dict[str, Any], name: str
) -> None:
    with pytest.raises(StorageError) as raised:
        save_run(run, name, tmp_path)

    assert str(raised.value) == (
        f"run name {name!r} is invalid. A stored run's name must not start with a dot, contain "
        f"a NUL character or start or end with blanks. Use a name such as 'main'."
    )


def test_save_run_rejects_empty_name(tmp_path: Path, run: dict[str, Any]) -> None:
    with pytest.raises(StorageError, match=r"^run name '' is empty\. Name a stored run"):
        save_run(run, "", tmp_path)


def test_stored_runs_lists_names(tmp_path: Path, run: dict[str, Any]) -> None:
    save_run(run, "main", tmp_path)
    save_run(run, "feature-1", tmp_path)
    (tmp_path / ".main.json.abc.tmp").write_text("{", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")

    assert stored_runs(tmp_path) == ["feature-1", "main"]
    assert stored_runs(tmp_path / "absent") == []


# Finding a baseline.


def test_resolve_stored_name(tmp_path: Path, run: dict[str, Any]) -> None:
    save_run(run, "main", tmp_path / "store")

    assert resolve_baseline("main", tmp_path / "store") == tmp_path / "store" / "main.json"


def test_resolve_file_path(tmp_path: Path, run: dict[str, Any]) -> None:
    path = save_run(run, "main", tmp_path)

    assert resolve_baseline(str(path), tmp_path / "store") == path


def test_stored_name_wins_over_file(
    tmp_path: Path, run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main").write_text("not a run", encoding="utf-8")
    save_run(run, "main", ".statbench")

    assert resolve_baseline("main", ".statbench") == Path(".statbench") / "main.json"


def test_missing_name_lists_stored_runs(tmp_path: Path, run: dict[str, Any],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    save_run(run, "a", ".statbench")
    save_run(run, "b", ".statbench")

    with pytest.raises(StorageError) as raised:
        resolve_baseline("main", ".statbench")

    assert str(raised.value) == (
        "no stored run named 'main' in .statbench/. Stored runs: a, b. Pass one of these names "
        "or the path of a results file."
    )


def test_missing_name_without_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    with pytest.raises(StorageError) as raised:
        resolve_baseline("main", ".statbench")

    assert str(raised.value) == (
        "no stored run named 'main' in .statbench/, which does not exist. Save one with "
        "'statbench save RUN.json main', or pass the path of a results file."
    )


def test_missing_name_in_empty_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path(".statbench").mkdir()

    with pytest.raises(StorageError) as raised:
        resolve_baseline("main", ".statbench")

    assert str(raised.value) == (
        "no stored run named 'main' in .statbench/, which holds no runs yet. Save one with "
        "'statbench save RUN.json main', or pass the path of a results file."
    )


def test_missing_file_path(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as raised:
        resolve_baseline("runs/old.json", tmp_path)

    assert str(raised.value) == (
        "results file runs/old.json does not exist. Pass the path of a file written by "
        "--bench-json or the name of a stored run."
    )


def test_folder_is_not_baseline(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()

    with pytest.raises(StorageError) as raised:
        resolve_baseline(str(tmp_path / "runs"), tmp_path)

    assert str(raised.value) == (
        f"{tmp_path / 'runs'} is a folder, not a results file. Pass the file that --bench-json "
        f"wrote."
    )


# Loading: every problem of a baseline file has its own message.


def test_load_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "old.json"

    with pytest.raises(RunFileError) as raised:
        load_run_file(path)

    assert str(raised.value) == (
        f"results file {path} does not exist. Pass the path of a file written by --bench-json."
    )


def test_load_unreadable_file(
    tmp_path: Path, run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tests may run as root, which reads any file whatever its mode, so the read fails here.
    path = save_run(run, "main", tmp_path)

    def deny(source: Any, **_: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(source))

    monkeypatch.setattr(storage, "load_run", deny)

    with pytest.raises(RunFileError) as raised:
        load_run_file(path)

    assert str(raised.value) == (
        f"results file {path} cannot be read: permission denied. Make it readable or copy it "
        f"elsewhere."
    )


def test_load_truncated_file(tmp_path: Path, run: dict[str, Any]) -> None:
    path = save_run(run, "main", tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")

    with pytest.raises(RunFileError) as raised:
        load_run_file(path)

    message = str(raised.value)
    assert message.startswith(f"results file {path} is truncated: the JSON ends at line ")
    assert message.endswith(" before the run is complete. Copy or write the file again.")


def test_load_non_json_file(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text("hello, this is text", encoding="utf-8")

    with pytest.raises(RunFileError) as raised:
        load_run_file(path)

    assert str(raised.value) == (
        f"results file {path} is not JSON: it starts with 'hello, this is text'. Pass the file "
        f"that --bench-json wrote."
    )


def test_load_wrong_schema(tmp_path: Path, run: dict[str, Any]) -> None:
    path = write_json(tmp_path / "old.json", {**run, "schema": "someone-else/run"})

    with pytest.raises(RunFileError) as raised:
        load_run_file(path)

    assert str(raised.value) == (
        f"results file {path} has schema 'someone-else/run', but a pytest-statbench run has "
        f"schema 'pytest-statbench/run'. Pass the file that --bench-json wrote."
    )


def test_load_newer_schema_version(tmp_path: Path, run: dict[str, Any]) -> None:
    path = write_json(tmp_path / "old.json", {**run, "schema_version": 2})

    with pytest.raises(RunFileError) as raised:
        load_run_file(path)

    assert str(raised.value) == (
        f"results file {path} has schema_version 2, but this pytest-statbench reads version 1. "
        f"Upgrade pytest-statbench to read it."
    )


def test_load_folder(tmp_path: Path) -> None:
    with pytest.raises(RunFileError) as raised:
        load_run_file(tmp_path)

    assert str(raised.value) == (
        f"results file {tmp_path} is a folder, not a file. Pass the file that --bench-json wrote."
    )


# Environment fingerprint.


def test_fingerprint_fields(run: dict[str, Any]) -> None:
    fingerprint = environment_fingerprint(run)

    assert list(fingerprint) == [
        "python", "implementation", "machine", "cpu_count", "platform", "pytest", "numpy",
        "scipy", "pytest_statbench",
    ]
    assert fingerprint["python"] == run["environment"]["python"]


def test_fingerprint_differences_listed() -> None:
    old = {"python": "3.11.7", "machine": "x86_64", "cpu_count": 2, "numpy": "2.1.0"}
    new = {"python": "3.12.1", "machine": "x86_64", "cpu_count": 8}

    assert fingerprint_differences(old, new) == [
        "python 3.11.7 -> 3.12.1",
        "cpu_count 2 -> 8",
        "numpy 2.1.0 -> (unknown)",
    ]


def test_fingerprint_differences_of_runs(run: dict[str, Any]) -> None:
    other = {**run, "environment": {**run["environment"], "cpu_count": 512}}

    assert fingerprint_differences(run, other) == [
        f"cpu_count {run['environment']['cpu_count']} -> 512"
    ]


def test_same_fingerprint_has_no_differences(run: dict[str, Any]) -> None:
    fingerprint = environment_fingerprint(run)

    assert fingerprint_differences(fingerprint, dict(fingerprint)) == []


# Commit information.


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.email", "bench@example.com")
    git(folder, "config", "user.name", "bench")
    (folder / "a.py").write_text("x = 1\n", encoding="utf-8")
    git(folder, "add", "a.py")
    git(folder, "commit", "-q", "-m", "first")
    return folder


def test_commit_info_clean_checkout(repository: Path) -> None:
    info = commit_info(repository)

    assert info == {"commit": git(repository, "rev-parse", "HEAD"), "branch": "main",
                    "dirty": False}


def test_commit_info_dirty_checkout(repository: Path) -> None:
    (repository / "a.py").write_text("x = 2\n", encoding="utf-8")

    assert commit_info(repository)["dirty"] is True


def test_commit_info_untracked_file_is_clean(repository: Path) -> None:
    (repository / "new.py").write_text("", encoding="utf-8")

    assert commit_info(repository)["dirty"] is False


def test_commit_info_detached_head(repository: Path) -> None:
    git(repository, "checkout", "-q", "--detach")

    info = commit_info(repository)

    assert info["branch"] is None
    assert info["commit"] == git(repository, "rev-parse", "HEAD")


def test_commit_info_outside_repository(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()

    assert commit_info(folder) == {"commit": None, "branch": None, "dirty": None}


def test_commit_info_without_git(repository: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repository / "no-such-folder"))

    assert commit_info(repository) == {"commit": None, "branch": None, "dirty": None}


def test_commit_info_missing_folder(tmp_path: Path) -> None:
    assert commit_info(tmp_path / "absent") == {"commit": None, "branch": None, "dirty": None}


def test_with_commit_info_copies_run(repository: Path, run: dict[str, Any]) -> None:
    updated = with_commit_info(run, repository)

    assert updated["commit"]["branch"] == "main"
    assert "commit" not in run


# Rebuilding the data model from a loaded run.


def test_benchmarks_from_run_keeps_samples(run: dict[str, Any]) -> None:
    benchmark = benchmarks_from_run(run)[0]

    assert benchmark.id == "test_x.py::test_loop"
    assert benchmark.baseline == "reference"
    assert benchmark.rounds == 12
    function = benchmark.implementation("function")
    stored = run["benchmarks"][0]["implementations"][1]["samples"]
    assert function.times == stored["time"]
    assert function.rounds == stored["round"]


def test_benchmarks_from_run_drops_null_times(run: dict[str, Any]) -> None:
    samples = run["benchmarks"][0]["implementations"][1]["samples"]
    samples["time"][3] = None

    function = benchmarks_from_run(run)[0].implementation("function")

    assert len(function.times) == 11
    assert 3 not in function.rounds
    assert not any(math.isnan(time) for time in function.times)


def test_benchmarks_from_run_keeps_setup_error(run: dict[str, Any]) -> None:
    implementation = run["benchmarks"][0]["implementations"][1]
    implementation["samples"] = {"round": [], "position": [], "time": [], "cpu_time": []}
    implementation["errors"] = [{"round": None, "type": "ValueError", "message": "boom"}]

    function = benchmarks_from_run(run)[0].implementation("function")

    assert function.setup_error is not None
    assert function.setup_error.describe() == "ValueError: boom"
    assert function.errors == []
