"""``Code``: an implementation given as source text, measured in a sandbox worker."""

from __future__ import annotations

import keyword
import os
import reprlib
from pathlib import Path

from ..api import BenchUsageError

_source_repr = reprlib.Repr()
_source_repr.maxstring = 40


class Code:
    """Source code of an implementation and the name of the function to call in it.

    The source never runs in the test process. A sandbox worker compiles it in a fresh module
    and calls ``entry`` with the benchmark's arguments, which travel as JSON, as does the return
    value. ``Code(source, entry="work")`` takes the text itself, and
    ``Code.from_file(path, entry="work")`` reads a UTF-8 file once, when the object is made.
    """

    # The plugin recognises Code implementations by this class attribute, so it need not
    # import the sandbox package to check an implementation.
    __statbench_code__ = True

    __slots__ = ("_entry", "_path", "_source")

    def __init__(self, source: str, entry: str) -> None:
        self._source = _checked_source(source)
        self._entry = _checked_entry(entry)
        self._path: str | None = None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], entry: str) -> Code:
        """Read the source of a UTF-8 Python file; raise BenchUsageError if it cannot be read."""
        entry = _checked_entry(entry)
        given_path = os.fspath(path)
        file = Path(path)
        if file.is_dir():
            raise BenchUsageError(
                f"Code.from_file: {given_path!r} is a directory; pass the path of a Python file"
            )
        try:
            source = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BenchUsageError(
                f"Code.from_file: {given_path!r} not found (the current directory is "
                f"{os.getcwd()}); pass the path of an existing Python file"
            ) from None
        except UnicodeDecodeError as error:
            raise BenchUsageError(
                f"Code.from_file: {given_path!r} is not valid UTF-8 text ({error.reason} at byte "
                f"{error.start}); save the file as UTF-8"
            ) from None
        except OSError as error:
            raise BenchUsageError(
                f"Code.from_file: could not read {given_path!r}: {error.strerror or error}"
            ) from None
        if not source.strip():
            raise BenchUsageError(
                f"Code.from_file: {given_path!r} is empty; the file must define the entry point "
                f"def {entry}(...)"
            )
        code = cls(source, entry)
        code._path = given_path
        return code

    @property
    def source(self) -> str:
        return self._source

    @property
    def entry(self) -> str:
        """Name of the function that is called."""
        return self._entry

    @property
    def path(self) -> str | None:
        """Path given to ``from_file``, or None for source given as text."""
        return self._path

    @property
    def qualname(self) -> str:
        """Name given_path in reports: ``Code:work``, or ``path/to/file.py:work`` for a file."""
        prefix = self._path if self._path is not None else "Code"
        return f"{prefix}:{self._entry}"

    @property
    def filename(self) -> str:
        """File name that tracebacks from the worker show for this source."""
        return self._path if self._path is not None else f"<Code:{self._entry}>"

    def __repr__(self) -> str:
        if self._path is not None:
            return f"Code.from_file({self._path!r}, entry={self._entry!r})"
        return f"Code({_source_repr.repr(self._source)}, entry={self._entry!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Code):
            return NotImplemented
        return (self._source, self._entry, self._path) == (other._source, other._entry, other._path)

    def __hash__(self) -> int:
        return hash((self._source, self._entry, self._path))


def _checked_source(source: object) -> str:
    if not isinstance(source, str):
        raise BenchUsageError(
            f"Code() takes the source text as a str, got {type(source).__name__}; "
            f"to read a file use Code.from_file(path, entry=...)"
        )
    if not source.strip():
        raise BenchUsageError(
            "Code() got empty source; pass the text of a module that defines the entry "
            "point, for example Code('def work(n):\\n    return n * 2', entry='work')"
        )
    if "\x00" in source:
        raise BenchUsageError(
            f"Code() source contains a null character at index {source.index(chr(0))}; "
            f"Python source cannot contain null characters"
        )
    return source


def _checked_entry(entry: object) -> str:
    if not isinstance(entry, str) or not entry.isidentifier() or keyword.iskeyword(entry):
        raise BenchUsageError(
            f"Code entry {entry!r} is not a Python identifier; name the function to call, "
            f"for example entry='work'"
        )
    return entry
