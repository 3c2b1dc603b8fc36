"""Tests of ``Code`` objects and of the checks that run before any sandbox worker starts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pytest_statbench.sandbox
from pytest_statbench.api import BenchUsageError, is_code
from pytest_statbench.sandbox import BACKENDS, Code, open_runner, register_backend
from pytest_statbench.sandbox.harness import json_problem
from pytest_statbench.settings import Settings

SOURCE = "def work(n):\n    return n * 2\n"


def test_code_is_recognised_by_plugin() -> None:
    assert is_code(Code(SOURCE, entry="work"))


def test_code_qualname_for_source() -> None:
    assert Code(SOURCE, entry="work").qualname == "Code:work"


def test_code_qualname_for_file(tmp_path: Path) -> None:
    path = tmp_path / "algorithms.py"
    path.write_text(SOURCE, encoding="utf-8")

    code = Code.from_file(path, entry="work")

    assert code.qualname == f"{path}:work"
    assert code.source == SOURCE
    assert code.path == str(path)
    assert code.filename == str(path)


def test_code_repr_shows_entry() -> None:
    expected = "Code('def work(n):\\n    return n * 2\\n', entry='work')"

    assert repr(Code(SOURCE, entry="work")) == expected


def test_code_repr_for_file(tmp_path: Path) -> None:
    path = tmp_path / "algorithms.py"
    path.write_text(SOURCE, encoding="utf-8")

    code = Code.from_file(path, entry="work")

    assert repr(code) == f"Code.from_file({str(path)!r}, entry='work')"


def test_code_equality_by_value() -> None:
    assert Code(SOURCE, entry="work") == Code(SOURCE, entry="work")
    assert Code(SOURCE, entry="work") != Code(SOURCE + "\n", entry="work")
    assert len({Code(SOURCE, entry="work"), Code(SOURCE, entry="work")}) == 1


@pytest.mark.parametrize("source", ["", "   \n\t"])
def test_code_rejects_empty_source(source: str) -> None:
    with pytest.raises(BenchUsageError, match="Code\\(\\) got empty source; pass the text"):
        Code(source, entry="work")


def test_code_rejects_bytes_source() -> None:
    with pytest.raises(BenchUsageError, match="takes the source text as a str, got bytes"):
        Code(b"def work(): pass", entry="work")  # type: ignore[arg-type]


def test_code_rejects_null_character() -> None:
    with pytest.raises(BenchUsageError, match="null character at index 3"):
        Code("def\x00 work(): pass", entry="work")


@pytest.mark.parametrize("entry", ["", "2fast", "work()", "my-function", "class", None])
def test_code_rejects_invalid_entry(entry: object) -> None:
    expected = re.escape(f"Code entry {entry!r} is not a Python identifier")
    with pytest.raises(BenchUsageError, match=expected):
        Code(SOURCE, entry=entry)  # type: ignore[arg-type]


def test_from_file_missing(tmp_path: Path) -> None:
    missing = tmp_path / "absent.py"

    with pytest.raises(BenchUsageError, match="absent.py' not found"):
        Code.from_file(missing, entry="work")


def test_from_file_directory(tmp_path: Path) -> None:
    with pytest.raises(BenchUsageError, match="is a directory"):
        Code.from_file(tmp_path, entry="work")


def test_from_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.py"
    path.write_bytes("def work():\n    return 'caf\xe9'\n".encode("latin-1"))

    # Byte 27 is the é, after "def work():\n" (12 bytes) and "    return 'caf" (15 bytes).
    with pytest.raises(BenchUsageError, match="is not valid UTF-8 text .* at byte 27"):
        Code.from_file(path, entry="work")


def test_from_file_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.py"
    path.write_text("\n", encoding="utf-8")

    with pytest.raises(BenchUsageError, match="is empty; the file must define the entry point"):
        Code.from_file(path, entry="work")


def test_from_file_checks_entry(tmp_path: Path) -> None:
    path = tmp_path / "algorithms.py"
    path.write_text(SOURCE, encoding="utf-8")

    with pytest.raises(BenchUsageError, match="not a Python identifier"):
        Code.from_file(path, entry="not valid")


# JSON arguments.


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, None),
        ([1, 2.5, "x", True, None, {"key": [()]}], None),
        ((1, 2), None),
        ({1, 2}, "is of type set: {1, 2}"),
        ({"a": [1, b"raw"]}, "is of type bytes: b'raw' (at ['a'][1])"),
        ({1: "one"}, "has the int key 1; JSON keys are strings"),
        ([[{"deep": {3}}]], "is of type set: {3} (at [0][0]['deep'])"),
    ],
)
def test_json_problem_names_type_and_place(value: object, problem: str | None) -> None:
    assert json_problem(value) == problem


def test_json_problem_finds_cycle() -> None:
    looped: list[object] = [1]
    looped.append(looped)

    assert json_problem(looped) == "contains a reference to itself (at [1])"


def test_json_problem_allows_shared_values() -> None:
    shared = [1, 2]

    assert json_problem([shared, shared]) is None


def test_open_runner_rejects_set_argument() -> None:
    code = Code(SOURCE, entry="work")

    with pytest.raises(BenchUsageError) as raised:
        open_runner("double", code, ({1, 2},), {}, Settings())

    assert str(raised.value) == (
        "argument 0 of Code implementation 'double' is of type set: {1, 2}; arguments of Code "
        "implementations travel as JSON, so pass None, bool, int, float, str, lists, tuples "
        "or dicts with str keys"
    )


def test_open_runner_rejects_keyword_argument() -> None:
    code = Code(SOURCE, entry="work")

    with pytest.raises(BenchUsageError, match="keyword argument 'n' of Code implementation"):
        open_runner("double", code, (), {"n": object()}, Settings())


def test_open_runner_rejects_callable() -> None:
    def double(n: int) -> int:
        return n * 2

    with pytest.raises(BenchUsageError, match="'double' is a function, not a Code object"):
        open_runner("double", double, (), {}, Settings())  # type: ignore[arg-type]


def test_unknown_backend_not_installed() -> None:
    code = Code(SOURCE, entry="work")

    with pytest.raises(BenchUsageError) as raised:
        open_runner("double", code, (1,), {}, Settings(sandbox="docker"))

    assert str(raised.value) == (
        "the docker sandbox backend is not installed in this build; use --bench-sandbox=local"
    )


def test_register_backend_dispatches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytest_statbench.sandbox, "BACKENDS", dict(BACKENDS))
    # The json module has no open_runner, so reaching it proves the dispatch by name.
    register_backend("fake", "json")

    with pytest.raises(AttributeError, match="open_runner"):
        open_runner("double", Code(SOURCE, entry="work"), (), {}, Settings(sandbox="fake"))
