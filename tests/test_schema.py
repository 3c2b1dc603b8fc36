"""Tests of the run's JSON Schema and of load_run: real runs, gzip and clear errors."""

from __future__ import annotations

import gzip
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from test_report_runs import make_multi_metric_run, make_run, real_run_file

from pytest_statbench.schema import RunFileError, load_run, run_schema, validate_run

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Return the JSON file of the shared real run and the run it holds."""
    path = real_run_file(tmp_path_factory)
    return path, json.loads(path.read_text(encoding="utf-8"))


def full_validator() -> Any:
    return jsonschema.Draft202012Validator(run_schema())


def test_schema_is_valid_draft_2020_12() -> None:
    schema = run_schema()

    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_shipped_as_package_data() -> None:
    text = resources.files("pytest_statbench.schema").joinpath("run.schema.json").read_text()

    assert json.loads(text)["title"] == "pytest-statbench run, schema version 1"


def test_real_run_matches_schema(real_run: tuple[Path, dict[str, Any]]) -> None:
    _, run = real_run

    errors = [error.message for error in full_validator().iter_errors(run)]

    assert errors == []


def test_real_run_has_new_fields(real_run: tuple[Path, dict[str, Any]]) -> None:
    _, run = real_run
    first, second = run["benchmarks"]

    assert first["anova"]["posthoc"], "the schema test needs Games-Howell pairs"
    assert first["implementations"][0]["recorded"]["items"]["by_round"]
    assert first["implementations"][1]["supplied"] == {"development_hours": 2}
    assert {comparison["kind"] for comparison in first["comparisons"]} == {
        "sampled",
        "deterministic",
    }
    assert "<script>x</script>" in [
        implementation["name"] for implementation in second["implementations"]
    ]


def test_load_real_run(real_run: tuple[Path, dict[str, Any]]) -> None:
    path, run = real_run

    assert load_run(path) == run
    assert load_run(str(path)) == run


def test_load_gzip(real_run: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    path, run = real_run
    compressed = tmp_path / "run.json.gz"
    compressed.write_bytes(gzip.compress(path.read_bytes()))

    assert load_run(compressed) == run


def test_load_gzip_without_suffix(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_bytes(gzip.compress(json.dumps(make_run()).encode()))

    assert load_run(path)["seed"] == 1234567


def test_load_text_and_bytes() -> None:
    text = json.dumps(make_run())

    assert load_run(text)["seed"] == 1234567
    assert load_run("\n  " + text)["seed"] == 1234567
    assert load_run(text.encode())["seed"] == 1234567


def test_load_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(make_run()).encode())

    assert load_run(path)["seed"] == 1234567


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_run(tmp_path / "absent.json")


def test_load_wrong_type() -> None:
    with pytest.raises(TypeError, match="load_run\\(\\) needs a path, JSON text or bytes, got int"):
        load_run(3)  # type: ignore[arg-type]


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "run.json"
    path.write_bytes(data)
    return path


def test_error_not_json(tmp_path: Path) -> None:
    path = write(tmp_path, b"name,ratio\njoin,0.8\n")

    with pytest.raises(RunFileError) as caught:
        load_run(path)

    assert str(caught.value) == (
        f"results file {path} is not JSON: it starts with 'name,ratio\\njoin,0.8'. "
        "Pass the file that --bench-json wrote."
    )


def test_error_html_report(tmp_path: Path) -> None:
    path = write(tmp_path, b"<!DOCTYPE html>\n<html>")

    with pytest.raises(RunFileError, match="It looks like an HTML page, such as the --bench-html"):
        load_run(path)


def test_error_empty(tmp_path: Path) -> None:
    path = write(tmp_path, b"  \n")

    with pytest.raises(RunFileError, match=f"results file {path} is empty"):
        load_run(path)


def test_error_truncated_json(tmp_path: Path) -> None:
    text = json.dumps(make_run(), indent=2)
    path = write(tmp_path, text[: len(text) // 2].encode())

    with pytest.raises(RunFileError, match=r"is truncated: the JSON ends at line \d+ column \d+"):
        load_run(path)


def test_error_truncated_string() -> None:
    with pytest.raises(RunFileError, match="results text is truncated"):
        load_run('{"schema": "pytest-statb')


def test_error_invalid_json() -> None:
    with pytest.raises(RunFileError, match="results text is not valid JSON: Expecting"):
        load_run('{"schema": "pytest-statbench/run",, "x": 1}')


def test_error_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress(json.dumps(make_run()).encode())
    path = write(tmp_path, data[: len(data) // 2])

    with pytest.raises(RunFileError, match="is a truncated gzip file: the compressed data ends"):
        load_run(path)


def test_error_corrupt_gzip(tmp_path: Path) -> None:
    path = write(tmp_path, b"\x1f\x8b" + b"\x00" * 40)

    with pytest.raises(RunFileError, match="starts like gzip data but cannot be decompressed"):
        load_run(path)


def test_error_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, b'{"schema": "\xff"}')

    with pytest.raises(RunFileError, match="is not UTF-8 text"):
        load_run(path)


def test_error_not_an_object() -> None:
    with pytest.raises(RunFileError, match="results text contains a JSON array, but a run is"):
        load_run("[1, 2]")


def test_error_no_schema_field() -> None:
    with pytest.raises(
        RunFileError, match="has no 'schema' field, so it is not a pytest-statbench"
    ):
        load_run('{"benchmarks": []}')


def test_error_pytest_benchmark_file() -> None:
    text = json.dumps({"machine_info": {}, "commit_info": {}, "benchmarks": []})

    with pytest.raises(RunFileError, match="It looks like a pytest-benchmark file"):
        load_run(text)


def test_error_other_schema() -> None:
    with pytest.raises(
        RunFileError,
        match=r"has schema 'other/run', but a pytest-statbench run has schema "
        r"'pytest-statbench/run'",
    ):
        load_run('{"schema": "other/run", "schema_version": 1}')


def test_error_newer_version(tmp_path: Path) -> None:
    run = make_run()
    run["schema_version"] = 2
    path = write(tmp_path, json.dumps(run).encode())

    with pytest.raises(RunFileError) as caught:
        load_run(path)

    assert str(caught.value) == (
        f"results file {path} has schema_version 2, but this pytest-statbench reads version 1. "
        "Upgrade pytest-statbench to read it."
    )


def test_error_older_version() -> None:
    run = make_run()
    run["schema_version"] = 0

    with pytest.raises(
        RunFileError, match="has schema_version 0, an older format than the version 1"
    ):
        load_run(json.dumps(run))


@pytest.mark.parametrize("version", ["1", True, None, 1.5])
def test_error_version_not_integer(version: Any) -> None:
    run = make_run()
    run["schema_version"] = version

    with pytest.raises(RunFileError, match="but it must be an integer such as 1"):
        load_run(json.dumps(run))


def test_error_nan() -> None:
    text = json.dumps(make_run()).replace('"ratio": 0.8123', '"ratio": NaN', 1)

    with pytest.raises(RunFileError, match="contains NaN, which strict JSON does not allow"):
        load_run(text)


def test_error_schema_mismatch_names_path() -> None:
    run = make_run()
    run["benchmarks"][1]["comparisons"][0]["ratio"] = "fast"

    with pytest.raises(
        RunFileError,
        match=r"at run\.benchmarks\[1\]\.comparisons\[0\]\.ratio, 'fast' is not of type 'number', "
        r"'null'\. Pass a run as written by --bench-json\.",
    ):
        load_run(json.dumps(run))


def test_error_counts_more_problems() -> None:
    run = make_run()
    del run["benchmarks"][0]["comparisons"][0]["verdict"]
    del run["benchmarks"][0]["comparisons"][1]["verdict"]

    with pytest.raises(RunFileError, match=r"\(1 more error\)"):
        load_run(json.dumps(run))


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("time", "0.1", "is not a number of 0 or more, or null"),
        ("time", True, "is not a number of 0 or more, or null"),
        ("cpu_time", -1e-6, "is not a number of 0 or more, or null"),
        ("round", -1, "is not an integer of 0 or more"),
        ("position", 1.5, "is not an integer of 0 or more"),
    ],
)
def test_error_sample_value(key: str, value: Any, expected: str) -> None:
    run = make_run()
    run["benchmarks"][1]["implementations"][2]["samples"][key][3] = value

    with pytest.raises(RunFileError) as caught:
        load_run(json.dumps(run))

    assert f"at run.benchmarks[1].implementations[2].samples.{key}[3], " in str(caught.value)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("key", "value"), [("time", "0.1"), ("time", -0.5), ("round", -1), ("position", 1.5)]
)
def test_full_schema_rejects_sample_value(key: str, value: Any) -> None:
    run = make_run()
    run["benchmarks"][1]["implementations"][2]["samples"][key][3] = value

    assert not full_validator().is_valid(run)


def test_full_schema_accepts_null_time() -> None:
    run = make_run()
    run["benchmarks"][0]["implementations"][0]["samples"]["time"][0] = None

    assert full_validator().is_valid(run)
    validate_run(run)


@pytest.mark.parametrize("with_jsonschema", [True, False])
def test_names_checked(monkeypatch: pytest.MonkeyPatch, with_jsonschema: bool) -> None:
    if not with_jsonschema:
        monkeypatch.setitem(sys.modules, "jsonschema", None)
    cases = []
    run = make_run()
    run["benchmarks"][1]["id"] = run["benchmarks"][0]["id"]
    cases.append((run, (f"at run.benchmarks[1], the benchmark id {run['benchmarks'][0]['id']!r} "
                       f"appears twice.")))
    run = make_run()
    implementations = run["benchmarks"][1]["implementations"]
    implementations[2]["name"] = implementations[1]["name"]
    cases.append((run, (f"at run.benchmarks[1], the implementation name "
                       f"{implementations[1]['name']!r} appears twice.")))
    run = make_run()
    run["benchmarks"][0]["baseline"] = "ghost"
    cases.append((run, "at run.benchmarks[0], the baseline 'ghost' names no implementation"))

    for broken, expected in cases:
        with pytest.raises(RunFileError) as caught:
            load_run(json.dumps(broken))
        assert expected in str(caught.value)


def test_fallback_checks_sample_values_and_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    run = make_run()
    run["benchmarks"][1]["implementations"][2]["samples"]["time"][3] = -0.5
    with pytest.raises(RunFileError) as caught:
        load_run(json.dumps(run))
    assert "at run.benchmarks[1].implementations[2].samples.time[3], -0.5 is not a number of " \
        "0 or more, or null" in str(caught.value)

    run = make_run()
    run["benchmarks"][0]["id"] = ["not", "a", "string"]
    with pytest.raises(RunFileError) as caught:
        load_run(json.dumps(run))
    assert "run.benchmarks[0].id must be a string, got ['not', 'a', 'string']" in str(caught.value)


def test_added_fields_accepted() -> None:
    run = make_multi_metric_run()
    run["benchmarks"][0]["comparisons"][0]["a_field_added_later"] = {"any": "value"}
    run["a_top_level_field_added_later"] = [1, 2]

    validate_run(run)


def test_validate_false_skips_schema() -> None:
    run = make_run()
    del run["summary"]

    assert "summary" not in load_run(json.dumps(run), validate=False)


def test_fallback_without_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes "import jsonschema" raise ImportError, as if it were not installed.
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    run = make_run()
    del run["benchmarks"][0]["comparisons"][1]["verdict"]

    with pytest.raises(RunFileError) as caught:
        load_run(json.dumps(run))

    assert str(caught.value) == (
        "results text is not a valid run: run.benchmarks[0].comparisons[1] is missing required "
        "key 'verdict'. Every run of schema pytest-statbench/run version 1 has it, so pass a "
        "complete run as written by --bench-json."
    )


def test_fallback_accepts_valid_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)

    assert load_run(json.dumps(make_multi_metric_run()))["seed"] == 1234567


def test_fallback_version_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    run = make_run()
    run["schema_version"] = 3

    with pytest.raises(RunFileError, match="has schema_version 3, but this pytest-statbench reads"):
        load_run(json.dumps(run))
