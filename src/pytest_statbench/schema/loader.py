"""Read a run written by --bench-json, plain or gzip-compressed, and check it against the schema."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..results import SCHEMA, SCHEMA_VERSION
from .structure import check_run

SCHEMA_RESOURCE = "run.schema.json"

_GZIP_MAGIC = b"\x1f\x8b"
# Maximum length of a value or of the file's start quoted in an error message.
_EXCERPT_CHARACTERS = 60


class RunFileError(ValueError):
    """A results file or text that is not a readable run of this version of pytest-statbench."""


def load_run(source: str | os.PathLike[str] | bytes, *, validate: bool = True) -> dict[str, Any]:
    """Load a run from a file path, from JSON text or from bytes, and validate it.

    A path may name a plain JSON file or a gzip-compressed one (``.json.gz``): gzip data is
    recognised by its first two bytes, whatever the file's name. A ``str`` whose first
    non-blank character is ``{`` or ``[`` is taken as JSON text, and any other ``str`` as a path.

    With ``validate=True`` the run is checked against the JSON Schema of version 1 when
    jsonschema is installed, and against the structural checks of the reports when it is not.
    Raises RunFileError (a ValueError) for data that is not a run of schema version 1, and
    OSError when the file cannot be read.
    """
    data, name = _read(source)
    text = _decode(data, name)
    document = _parse(text, name)
    run = _require_run(document, name)
    if validate:
        validate_run(run, name=name)
    return run


def validate_run(run: dict[str, Any], *, name: str = "run") -> None:
    """Validate a loaded run against the JSON Schema of version 1, or the structural checks.

    ``name`` starts each error message, such as "results file out.json". The JSON Schema is
    used when jsonschema is installed (it is in the dev extra), so that every field's type is
    checked. Without it, only the keys and container types that the reports read are checked.
    """
    _check_version(run, name)
    try:
        # jsonschema ships no type information; its stubs are a separate package.
        import jsonschema  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        try:
            check_run(run)
        except (TypeError, ValueError) as error:
            raise RunFileError(f"{name} is not a valid run: {error}") from error
        _check_sample_values(run, name)
        _check_names(run, name)
        return

    errors = list(_validator().iter_errors(run))
    if not errors:
        _check_sample_values(run, name)
        _check_names(run, name)
        return
    best = jsonschema.exceptions.best_match(errors)
    location = _json_path(best.absolute_path)
    more = len(errors) - 1
    others = "" if more == 0 else f" ({more} more {'error' if more == 1 else 'errors'})"
    raise RunFileError(
        f"{name} does not match schema {SCHEMA} version {SCHEMA_VERSION}: at {location}, "
        f"{_shorten(best.message, 200)}{others}. Pass a run as written by --bench-json."
    )


def run_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a run of schema version 1, as a new dict."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


@cache
def _schema_text() -> str:
    return resources.files(__package__).joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


@cache
def _validator() -> Any:
    import jsonschema  # type: ignore[import-untyped, unused-ignore]

    # jsonschema takes about 4 microseconds per list item (jsonschema 4.26 on a 2-CPU AMD EPYC
    # machine), a third of a second for the 80,000 sample values of a run of 500 comparisons.
    # _check_sample_values checks those items by the same rules as the schema file, about
    # thirty times faster, so they are left out of the schema that jsonschema gets.
    schema = run_schema()
    for sample_list in schema["$defs"]["samples"]["properties"].values():
        sample_list.pop("items")
    return jsonschema.Draft202012Validator(schema)


# The item types of the sample lists in run.schema.json: a count or a number that may be null.
_SAMPLE_ITEM_RULES = {
    "round": ("an integer of 0 or more", False),
    "position": ("an integer of 0 or more", False),
    "time": ("a number of 0 or more, or null", True),
    "cpu_time": ("a number of 0 or more, or null", True),
}


def _check_sample_values(run: dict[str, Any], name: str) -> None:
    """Check the items of each sample list as run.schema.json does, after the schema passed."""
    for benchmark_index, benchmark in enumerate(run["benchmarks"]):
        for implementation_index, implementation in enumerate(benchmark["implementations"]):
            samples = implementation["samples"]
            for key, (expected, is_measurement) in _SAMPLE_ITEM_RULES.items():
                # Without jsonschema only "time" is known to be there, as a list.
                values = samples.get(key)
                for item_index, value in enumerate(values if isinstance(values, list) else []):
                    if _sample_value_valid(value, is_measurement):
                        continue
                    location = (
                        f"run.benchmarks[{benchmark_index}].implementations"
                        f"[{implementation_index}].samples.{key}[{item_index}]"
                    )
                    raise RunFileError(
                        f"{name} does not match schema {SCHEMA} version {SCHEMA_VERSION}: at "
                        f"{location}, {_shorten(repr(value), _EXCERPT_CHARACTERS)} is not "
                        f"{expected}. Pass a run as written by --bench-json."
                    )


def _check_names(run: dict[str, Any], name: str) -> None:
    """Check that benchmark ids and implementation names are unique and baselines exist.

    Comparisons and run comparisons look benchmarks and implementations up by these names, so
    a duplicate or a baseline that names no implementation would compare the wrong samples.
    """
    ids: set[str] = set()
    for index, benchmark in enumerate(run["benchmarks"]):
        location = f"run.benchmarks[{index}]"
        texts = [
            (f"{location}.{key}", benchmark[key]) for key in ("id", "baseline")
        ] + [
            (f"{location}.implementations[{number}].name", implementation["name"])
            for number, implementation in enumerate(benchmark["implementations"])
        ]
        for path, value in texts:
            if not isinstance(value, str):
                raise RunFileError(
                    f"{name} is not a valid run: {path} must be a string, got {value!r}. Pass "
                    f"a run as written by --bench-json."
                )
        if benchmark["id"] in ids:
            raise RunFileError(
                f"{name} is not a valid run: at {location}, the benchmark id "
                f"{benchmark['id']!r} appears twice. Pass a run as written by --bench-json."
            )
        ids.add(benchmark["id"])
        names = [implementation["name"] for implementation in benchmark["implementations"]]
        duplicates = sorted({str(n) for n in names if names.count(n) > 1})
        if duplicates:
            raise RunFileError(
                f"{name} is not a valid run: at {location}, the implementation name "
                f"{duplicates[0]!r} appears twice. Pass a run as written by --bench-json."
            )
        if names and benchmark["baseline"] not in names:
            raise RunFileError(
                f"{name} is not a valid run: at {location}, the baseline "
                f"{benchmark['baseline']!r} names no implementation of the benchmark "
                f"({', '.join(map(repr, names))}). Pass a run as written by --bench-json."
            )


def _sample_value_valid(value: Any, is_measurement: bool) -> bool:
    if isinstance(value, bool):
        return False
    if is_measurement:
        return value is None or (isinstance(value, (int, float)) and value >= 0)
    return isinstance(value, int) and value >= 0


# Reading, decoding and parsing, each with a message that names the file and the next step.


def _read(source: str | os.PathLike[str] | bytes) -> tuple[bytes | str, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "results data"
    if isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
        return source, "results text"
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"load_run() needs a path, JSON text or bytes, got {type(source).__name__}")
    path = Path(source)
    return path.read_bytes(), f"results file {path}"


def _decode(data: bytes | str, name: str) -> str:
    if isinstance(data, str):
        return data

    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except EOFError as error:
            raise RunFileError(
                f"{name} is a truncated gzip file: the compressed data ends early. "
                "Copy or write the file again."
            ) from error
        except (gzip.BadGzipFile, zlib.error) as error:
            raise RunFileError(
                f"{name} starts like gzip data but cannot be decompressed ({error}). "
                "Copy or write the file again."
            ) from error

    try:
        # utf-8-sig accepts a byte order mark that an editor may have added.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RunFileError(
            f"{name} is not UTF-8 text (invalid byte at offset {error.start}), so it is not "
            "a results file. Pass the file that --bench-json wrote."
        ) from error


def _parse(text: str, name: str) -> Any:
    content = text.strip()
    if not content:
        raise RunFileError(f"{name} is empty. Pass the file that --bench-json wrote.")
    if content[0] not in "{[":
        hint = (
            " It looks like an HTML page, such as the --bench-html report."
            if content[:1] == "<"
            else ""
        )
        raise RunFileError(
            f"{name} is not JSON: it starts with {_shorten(content, 20)!r}.{hint} "
            "Pass the file that --bench-json wrote."
        )

    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        if error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated string"):
            raise RunFileError(
                f"{name} is truncated: the JSON ends at line {error.lineno} column "
                f"{error.colno} before the run is complete. Copy or write the file again."
            ) from error
        raise RunFileError(
            f"{name} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}. "
            "Pass the file that --bench-json wrote, unedited."
        ) from error
    except _NonFiniteNumberError as error:
        raise RunFileError(
            f"{name} contains {error.args[0]}, which strict JSON does not allow and "
            "--bench-json never writes (it writes null). Replace it with null."
        ) from error


class _NonFiniteNumberError(ValueError):
    pass


def _reject_constant(constant: str) -> Any:
    raise _NonFiniteNumberError(constant)


def _require_run(document: Any, name: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise RunFileError(
            f"{name} contains a JSON {_json_type(document)}, but a run is a JSON object. "
            "Pass the file that --bench-json wrote."
        )
    if "schema" not in document:
        hint = (
            " It looks like a pytest-benchmark file, which pytest-statbench does not read."
            if "machine_info" in document
            else ""
        )
        raise RunFileError(
            f"{name} has no 'schema' field, so it is not a pytest-statbench run.{hint} "
            "Pass the file that --bench-json wrote."
        )
    if document["schema"] != SCHEMA:
        raise RunFileError(
            f"{name} has schema {_shorten(repr(document['schema']), _EXCERPT_CHARACTERS)}, "
            f"but a pytest-statbench run has schema {SCHEMA!r}. "
            "Pass the file that --bench-json wrote."
        )
    return document


def _check_version(run: dict[str, Any], name: str) -> None:
    version = run.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise RunFileError(
            f"{name} has schema_version "
            f"{_shorten(repr(version), _EXCERPT_CHARACTERS)}, but it must be an integer such "
            f"as {SCHEMA_VERSION}. Pass the file that --bench-json wrote."
        )
    if version > SCHEMA_VERSION:
        raise RunFileError(
            f"{name} has schema_version {version}, but this pytest-statbench reads version "
            f"{SCHEMA_VERSION}. Upgrade pytest-statbench to read it."
        )
    if version < SCHEMA_VERSION:
        raise RunFileError(
            f"{name} has schema_version {version}, an older format than the version "
            f"{SCHEMA_VERSION} this pytest-statbench reads. Run the benchmarks again to write "
            "it in the current format."
        )


def _json_path(parts: Any) -> str:
    """Format a jsonschema error path such as deque(['benchmarks', 0, 'ratio'])."""
    text = "run"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
