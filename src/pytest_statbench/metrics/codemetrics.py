"""Code-quality metrics of one implementation, computed with radon.

``measure_code`` finds the source text of a function, method, lambda, class, module or
``Code`` object and returns its size, cyclomatic complexity, maintainability index, Halstead
measures and docstring coverage. When the source cannot be found or parsed, it returns a result
with status "unavailable" and a reason in place of raising. radon is imported on the first
measurement, so importing this module stays cheap.
"""

from __future__ import annotations

import ast
import functools
import inspect
import os
import reprlib
import sys
import textwrap
import tokenize
import types
from collections.abc import Callable
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from typing import Any, Literal, cast

__all__ = ["CodeMetrics", "SourceKind", "measure_code"]

SourceKind = Literal["function", "method", "lambda", "class", "module", "code", "file"]

OK: Literal["ok"] = "ok"
UNAVAILABLE: Literal["unavailable"] = "unavailable"

# Callables implemented in C; inspect finds no Python source for them.
_C_CALLABLE_TYPES = (
    types.BuiltinFunctionType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    types.ClassMethodDescriptorType,
)

# Set in the flags of every class created by a class statement; static C types lack it.
_HEAP_TYPE_FLAG = 1 << 9

# Limit on partial, bound-method and decorator layers peeled off one implementation.
_MAX_WRAPPER_LAYERS = 100

_value_repr = reprlib.Repr()
_value_repr.maxstring = 40
_value_repr.maxother = 40


@dataclass(frozen=True, slots=True)
class CodeMetrics:
    """Code-quality metrics of one implementation.

    With status "ok" every number is set, except ``doc_coverage``, which is None when the source
    defines no public function or class. With status "unavailable" every number is None and
    ``reason`` explains why.
    """

    status: Literal["ok", "unavailable"]
    reason: str | None
    source_kind: SourceKind | None
    """Kind of object the source came from. None when the object is not code, such as ``42``."""
    origin: str | None
    """Location of the measured source: ``module.py:12`` (file name and first line), ``Code:work``
    or ``path/to/file.py:work`` (the Code object's entry point). None when it is unknown."""
    note: str | None = None
    """Description of what was measured in place of the object given, such as the function
    inside a ``functools.partial``. None when the object itself was measured."""

    loc: int | None = None
    """Lines of text (radon.raw.analyze ``loc``)."""
    sloc: int | None = None
    """Lines that contain code (radon.raw.analyze ``sloc``)."""
    lloc: int | None = None
    """Logical lines of code, which are statements (radon.raw.analyze ``lloc``)."""
    comments: int | None = None
    """Comment lines (radon.raw.analyze ``comments``)."""
    blank: int | None = None
    """Blank lines (radon.raw.analyze ``blank``)."""

    complexity_total: int | None = None
    """Sum of the cyclomatic complexity of all blocks, as listed in ``measure_code``."""
    complexity_max: int | None = None
    """Cyclomatic complexity of the most complex block."""
    complexity_max_block: str | None = None
    """Name of the most complex block, such as ``work``, ``Parser.parse`` or ``outer.inner``."""
    complexity_rank: str | None = None
    """radon's rank A (simplest) to F of the most complex block (radon.complexity.cc_rank)."""

    maintainability_index: float | None = None
    """Maintainability index from 0 to 100, higher is better (radon.metrics.mi_visit with
    multi=True, so multi-line strings count as comment lines)."""

    halstead_volume: float | None = None
    """Halstead volume of the whole source (radon.metrics.h_visit ``total.volume``)."""
    halstead_difficulty: float | None = None
    """Halstead difficulty of the whole source (radon.metrics.h_visit ``total.difficulty``)."""
    halstead_effort: float | None = None
    """Halstead effort of the whole source (radon.metrics.h_visit ``total.effort``)."""

    doc_coverage: float | None = None
    """Share, from 0 to 1, of the public functions and classes that have a docstring."""
    doc_items: int | None = None
    """Number of public functions and classes that ``doc_coverage`` is computed over."""


@dataclass(frozen=True, slots=True)
class _Source:
    """Source text found for an implementation, with what is needed to describe it."""

    text: str
    kind: SourceKind
    label: str
    """Name used in messages, such as ``function 'work'`` or ``Code:work``."""
    origin: str | None
    first_line: int
    """Line of the file at which ``text`` starts, so that parse errors name the file's line."""
    note: str | None


@dataclass(frozen=True, slots=True)
class _Unavailable:
    reason: str
    kind: SourceKind | None
    origin: str | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class _Numbers:
    loc: int
    sloc: int
    lloc: int
    comments: int
    blank: int
    complexity_total: int
    complexity_max: int
    complexity_max_block: str
    complexity_rank: str
    maintainability_index: float
    halstead_volume: float
    halstead_difficulty: float
    halstead_effort: float
    doc_coverage: float | None
    doc_items: int


@dataclass(frozen=True, slots=True)
class _Failure:
    """Cause of a failed measurement. ``line`` counts from the start of the measured text."""

    message: str
    line: int | None = None
    parsing: bool = True


def measure_code(implementation: object) -> CodeMetrics:
    """Measure the code quality of an implementation with radon 6.0.1 and ``ast``.

    Accepted implementations, and the source that is measured:

    - a function, async function or generator function: its ``def`` as ``inspect.getsource``
      returns it, from the first decorator line to the end of the body;
    - a decorated function: the innermost function found through ``inspect.unwrap``, which needs
      decorators that set ``__wrapped__`` (``functools.wraps`` does). A decorator without
      ``__wrapped__`` returns its own inner function, and that function is measured;
    - a method, bound method, staticmethod or classmethod: its ``def``, dedented;
    - a lambda: only the lambda expression, cut out of its line with ``ast``;
    - a ``functools.partial``: the function it wraps, noted in ``note``;
    - a class or module: its whole source;
    - a callable instance: ``type(instance).__call__``, noted in ``note``;
    - a ``Code`` object, recognised by the class attribute ``__statbench_code__ = True`` and
      the attributes ``source``, ``entry`` and optionally ``path``: the whole source text.

    Complexity blocks are radon's functions, methods and closures (radon.complexity.cc_visit
    and add_inner_blocks) and each class without methods. A class with methods is not a block,
    because radon gives it the average complexity of its methods and the total would count them
    twice. Module-level code forms the block ``<module>`` (``<lambda>`` for a lambda) when it
    contains decision points or when no other block exists. Like radon 6.0.1, this ignores
    classes defined inside functions and the decision points in the body of a class with methods.

    Public functions and classes, which ``doc_coverage`` counts, are the ``def`` and ``class``
    statements outside function bodies whose own name and enclosing classes' names do not
    start with "_".

    In place of raising, it returns status "unavailable" and a reason for an object without
    source (a builtin, a C extension function, a function from ``exec``, ``None``, ``42``), for
    a source that does not parse with the running Python and for a failure inside radon.
    Results are cached per source text and kind.
    """
    located = _locate(implementation)
    if isinstance(located, _Unavailable):
        return _unavailable(located.reason, located.kind, located.origin, located.note)

    measured = _measure_text(located.text, located.kind)
    if isinstance(measured, _Failure):
        return _unavailable(
            _failure_reason(measured, located), located.kind, located.origin, located.note
        )

    return CodeMetrics(
        status=OK,
        reason=None,
        source_kind=located.kind,
        origin=located.origin,
        note=located.note,
        loc=measured.loc,
        sloc=measured.sloc,
        lloc=measured.lloc,
        comments=measured.comments,
        blank=measured.blank,
        complexity_total=measured.complexity_total,
        complexity_max=measured.complexity_max,
        complexity_max_block=measured.complexity_max_block,
        complexity_rank=measured.complexity_rank,
        maintainability_index=measured.maintainability_index,
        halstead_volume=measured.halstead_volume,
        halstead_difficulty=measured.halstead_difficulty,
        halstead_effort=measured.halstead_effort,
        doc_coverage=measured.doc_coverage,
        doc_items=measured.doc_items,
    )


def _unavailable(
    reason: str, kind: SourceKind | None, origin: str | None, note: str | None
) -> CodeMetrics:
    return CodeMetrics(
        status=UNAVAILABLE, reason=reason, source_kind=kind, origin=origin, note=note
    )


def _failure_reason(failure: _Failure, source: _Source) -> str:
    if not failure.parsing:
        return f"could not measure the source of {source.label}: {failure.message}"
    where = ""
    if failure.line is not None:
        where = f" (line {failure.line + source.first_line - 1})"
    return f"cannot parse the source of {source.label}: {failure.message}{where}"


# Locating the source -------------------------------------------------------------------------


def _locate(implementation: object) -> _Source | _Unavailable:
    """Find the source text to measure for an implementation, or the reason there is none."""
    if _is_code_object(implementation):
        return _code_object_source(implementation)

    target, notes = _peel_wrappers(implementation)
    note = "; ".join(notes) or None

    if isinstance(target, types.ModuleType):
        return _module_source(target, note)
    if isinstance(target, type):
        return _class_source(target, note)
    if isinstance(target, types.FunctionType):
        return _function_source(target, note)
    if isinstance(target, _C_CALLABLE_TYPES):
        return _Unavailable(
            f"source of builtin function {_builtin_name(target)!r} is not available: "
            f"it is implemented in C",
            "function",
            None,
            note,
        )
    if callable(target):
        return _callable_instance_source(target, notes)

    shown = _value_repr.repr(target)
    return _Unavailable(
        f"{shown} ({type(target).__name__}) is not a function, method, class, module or Code "
        f"object, so it has no source to measure",
        None,
        None,
        note,
    )


def _is_code_object(implementation: object) -> bool:
    # The same test as pytest_statbench.api.is_code, which this module cannot import because
    # the api module imports pytest.
    return inspect.getattr_static(type(implementation), "__statbench_code__", False) is True


def _code_object_source(code: Any) -> _Source | _Unavailable:
    try:
        source = code.source
        entry = code.entry
        path = getattr(code, "path", None)
    except Exception as error:  # noqa: BLE001 - measure_code must not raise.
        # Any class can declare __statbench_code__, and its properties may raise anything.
        return _Unavailable(
            f"could not read the source of the Code object: {type(error).__name__}: {error}",
            "code",
            None,
        )

    kind: SourceKind = "code" if path is None else "file"
    if path is None:
        origin = f"Code:{entry}"
    elif isinstance(path, (str, os.PathLike)):
        origin = f"{os.fspath(path)}:{entry}"
    else:
        origin = f"{path!r}:{entry}"
    if not isinstance(source, str):
        return _Unavailable(
            f"source of {origin} is a {type(source).__name__}, not a str",
            kind,
            origin,
        )
    note = f"the whole source text is measured, not only the entry function {entry!r}"
    return _Source(source, kind, origin, origin, 1, note)


def _peel_wrappers(implementation: object) -> tuple[object, list[str]]:
    """Return the object that contains the source, and notes on the layers taken off it."""
    target = implementation
    notes: list[str] = []
    for _ in range(_MAX_WRAPPER_LAYERS):
        if isinstance(target, functools.partial):
            notes.append("measured the function wrapped by functools.partial")
            target = target.func
        elif isinstance(target, types.MethodType):
            target = target.__func__
        elif _has_wrapped(target):
            try:
                unwrapped = inspect.unwrap(cast("Callable[..., Any]", target))
            except ValueError:  # A cycle of __wrapped__ references.
                break
            notes.append("measured the function that the decorator wraps (inspect.unwrap)")
            target = unwrapped
        else:
            break
    return target, notes


def _has_wrapped(target: object) -> bool:
    if isinstance(target, (type, types.ModuleType)):
        return False
    # getattr_static reads the attribute without running a __getattr__ of the object's class.
    wrapped = inspect.getattr_static(target, "__wrapped__", None)
    return wrapped is not None and wrapped is not target


def _callable_instance_source(instance: object, notes: list[str]) -> _Source | _Unavailable:
    qualname = f"{type(instance).__qualname__}.__call__"
    notes = [*notes, f"measured {qualname} of the callable instance"]
    target, more_notes = _peel_wrappers(type(instance).__call__)
    notes.extend(more_notes)
    note = "; ".join(notes)
    if isinstance(target, types.FunctionType):
        return _function_source(target, note)
    if isinstance(target, _C_CALLABLE_TYPES):
        detail = "it is implemented in C"
    else:
        detail = f"it is a {type(target).__name__}, not a function"
    return _Unavailable(f"source of {qualname} is not available: {detail}", "method", None, note)


def _function_kind(function: types.FunctionType) -> SourceKind:
    if function.__name__ == "<lambda>":
        return "lambda"
    # "Parser.parse" is a method and "outer.<locals>.inner" a nested function.
    scopes = function.__qualname__.split(".")
    if len(scopes) >= 2 and scopes[-2] != "<locals>":
        return "method"
    return "function"


def _function_source(function: types.FunctionType, note: str | None) -> _Source | _Unavailable:
    kind = _function_kind(function)
    code = function.__code__
    origin = f"{os.path.basename(code.co_filename)}:{code.co_firstlineno}"
    label = f"{kind} {function.__qualname__!r}"
    if kind == "lambda":
        label = f"lambda at {origin}"

    try:
        lines, first_line = inspect.findsource(function)
    except OSError as error:
        reason = f"source of {label} is not available: {_no_file_detail(code.co_filename, error)}"
        return _Unavailable(reason, kind, origin, note)

    if kind == "lambda":
        return _lambda_source(function, "".join(lines), label, origin, note)

    try:
        block = inspect.getblock(lines[first_line:])
    except (SyntaxError, tokenize.TokenError) as error:
        reason = f"source of {label} is not available: could not tokenize {origin} ({error})"
        return _Unavailable(reason, kind, origin, note)
    return _Source(_dedent("".join(block)), kind, label, origin, first_line + 1, note)


def _no_file_detail(filename: str, error: OSError) -> str:
    if filename.startswith("<") and filename.endswith(">"):
        return (
            f"it was compiled from {filename!r}, which is not a file (code run by exec() or "
            f"compile())"
        )
    return f"could not read it from {filename!r} ({error})"


def _class_source(cls: type, note: str | None) -> _Source | _Unavailable:
    label = f"class {cls.__qualname__!r}"
    try:
        lines, first_line = inspect.getsourcelines(cls)
        filename = inspect.getsourcefile(cls) or inspect.getfile(cls)
    except (OSError, TypeError, SyntaxError) as error:
        detail = _no_class_source_detail(cls, error)
        return _Unavailable(f"source of {label} is not available: {detail}", "class", None, note)

    origin = f"{os.path.basename(filename)}:{first_line}"
    return _Source(_dedent("".join(lines)), "class", label, origin, first_line, note)


def _no_class_source_detail(cls: type, error: Exception) -> str:
    if not cls.__flags__ & _HEAP_TYPE_FLAG:
        return "it is implemented in C"
    # Classes created by exec() without a __name__ in its globals get the module "builtins".
    module = sys.modules.get(cls.__module__)
    if cls.__module__ != "builtins" and _is_c_module(module):
        return "it is implemented in C"
    if isinstance(error, TypeError):
        # inspect raises TypeError when the class's module has no file.
        return (
            f"its module {cls.__module__!r} has no source file (classes created by exec() or "
            f"type() have none)"
        )
    return f"inspect could not find it ({error})"


def _module_source(module: types.ModuleType, note: str | None) -> _Source | _Unavailable:
    label = f"module {module.__name__!r}"
    try:
        text = inspect.getsource(module)
        filename = inspect.getsourcefile(module) or inspect.getfile(module)
    except (OSError, TypeError) as error:
        module_file = getattr(module, "__file__", None)
        if _is_c_module(module):
            detail = "it is implemented in C"
        elif module_file is None:
            detail = "it has no source file (modules created in memory have none)"
        else:
            detail = f"could not read it from {module_file!r} ({error})"
        return _Unavailable(f"source of {label} is not available: {detail}", "module", None, note)

    origin = f"{os.path.basename(filename)}:1"
    return _Source(text, "module", label, origin, 1, note)


def _is_c_module(module: types.ModuleType | None) -> bool:
    if module is None:
        return False
    if module.__name__ in sys.builtin_module_names:
        return True
    filename = getattr(module, "__file__", None)
    return isinstance(filename, str) and filename.endswith(tuple(EXTENSION_SUFFIXES))


def _builtin_name(function: object) -> str:
    name = str(getattr(function, "__qualname__", None) or getattr(function, "__name__", "?"))
    module = getattr(function, "__module__", None)
    if isinstance(module, str) and module != "builtins":
        return f"{module}.{name}"
    return name


def _dedent(text: str) -> str:
    """Remove the indentation of a method or nested definition so that it parses alone.

    textwrap.dedent removes only the indentation common to all lines, so a line of a multi-line
    string at column 0 stops it. Then the first line's indentation is removed from each line
    that has it, and lines with less indentation (possible only inside strings and brackets)
    lose what they have. That changes at most the content of such strings.
    """
    dedented = textwrap.dedent(text)
    indent = dedented[: len(dedented) - len(dedented.lstrip(" \t"))]
    if not indent:
        return dedented
    lines = dedented.splitlines(keepends=True)
    return "".join(_strip_indent(line, indent) for line in lines)


def _strip_indent(line: str, indent: str) -> str:
    if line.startswith(indent):
        return line[len(indent) :]
    stripped = line.lstrip(" \t")
    removable = len(line) - len(stripped)
    return line[min(removable, len(indent)) :]


# Lambdas -------------------------------------------------------------------------------------


def _lambda_source(
    function: types.FunctionType, file_text: str, label: str, origin: str, note: str | None
) -> _Source | _Unavailable:
    """Cut the lambda expression of ``function`` out of the source file that defines it."""
    code = function.__code__
    line = code.co_firstlineno
    tree = _parse_file(file_text)
    if tree is None:
        return _Unavailable(
            f"source of {label} is not available: its file no longer parses", "lambda", origin, note
        )

    candidates = [
        node for node in ast.walk(tree) if isinstance(node, ast.Lambda) and node.lineno == line
    ]
    texts = {ast.get_source_segment(file_text, node) for node in candidates}
    if not candidates or None in texts:
        return _Unavailable(
            f"source of {label} is not available: no lambda starts on that line of the file, "
            f"which may have changed since it was imported",
            "lambda",
            origin,
            note,
        )

    chosen = candidates[0]
    if len(texts) > 1:
        matched = _match_lambda(code, candidates)
        if isinstance(matched, str):
            count = len(candidates)
            reason = f"source of {label} is ambiguous: {count} lambdas start on line {line}"
            return _Unavailable(f"{reason} and {matched}", "lambda", origin, note)
        chosen = matched

    text = ast.get_source_segment(file_text, chosen) or ""
    if "\n" in text:
        # The continuation lines of a multi-line lambda parse only inside brackets.
        text = f"({text})"
    return _Source(text, "lambda", label, origin, line, note)


@functools.lru_cache(maxsize=32)
def _parse_file(file_text: str) -> ast.Module | None:
    try:
        return ast.parse(file_text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _match_lambda(code: types.CodeType, candidates: list[ast.Lambda]) -> ast.Lambda | str:
    """Pick the lambda whose body contains the source positions of the code's instructions.

    Returns the reason as a clause when no single lambda matches. Columns of ``co_positions``
    and of ``ast`` nodes both count UTF-8 bytes. The innermost match wins, because the body of
    ``lambda: lambda: 1`` contains the positions of both lambdas.
    """
    spans = []
    for start_line, end_line, start_column, end_column in code.co_positions():
        if None in (start_line, end_line, start_column, end_column):
            continue
        start, end = (start_line, start_column), (end_line, end_column)
        if start < end:  # Empty spans, such as that of RESUME, mark no expression.
            spans.append((start, end))
    if not spans:
        return (
            "the code object has no column positions (Python runs with -X no_debug_ranges or "
            "PYTHONNODEBUGRANGES)"
        )

    matches = []
    for node in candidates:
        body_start, body_end = _span(node.body)
        if all(body_start <= start and end <= body_end for start, end in spans):
            matches.append(node)
    if not matches:
        return "none of them contains the positions of the code object"
    return min(matches, key=_innermost_first)


def _innermost_first(node: ast.Lambda) -> tuple[tuple[int, int], tuple[int, int]]:
    # A nested body ends before the outer body or together with it, and then starts later.
    (start_line, start_column), end = _span(node.body)
    return end, (-start_line, -start_column)


def _span(node: ast.expr) -> tuple[tuple[int, int], tuple[int, int]]:
    end_line = node.lineno if node.end_lineno is None else node.end_lineno
    end_column = node.col_offset if node.end_col_offset is None else node.end_col_offset
    return (node.lineno, node.col_offset), (end_line, end_column)


# Measuring -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _measure_text(text: str, kind: SourceKind) -> _Numbers | _Failure:
    """Compute all the numbers for one source text, or the reason it cannot be measured."""
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        return _Failure(str(error.msg), error.lineno)
    except (ValueError, RecursionError, MemoryError) as error:
        return _Failure(f"{type(error).__name__}: {error}")

    items, documented = _count_documented(tree)
    doc_coverage = documented / items if items else None
    try:
        return _radon_numbers(text, tree, kind, doc_coverage, items)
    except Exception as error:  # noqa: BLE001 - measure_code must not raise.
        # Any failure of radon on a source that parses becomes the reason.
        return _Failure(f"radon failed with {type(error).__name__}: {error}", parsing=False)


def _radon_numbers(
    text: str, tree: ast.Module, kind: SourceKind, doc_coverage: float | None, doc_items: int
) -> _Numbers:
    from radon.complexity import cc_rank
    from radon.metrics import h_visit_ast, mi_visit
    from radon.raw import analyze

    raw = analyze(text)
    blocks = _complexity_blocks(tree, "<lambda>" if kind == "lambda" else "<module>")
    worst_name, worst = max(blocks, key=lambda block: block[1])
    halstead = h_visit_ast(tree).total
    return _Numbers(
        loc=int(raw.loc),
        sloc=int(raw.sloc),
        lloc=int(raw.lloc),
        comments=int(raw.comments),
        blank=int(raw.blank),
        complexity_total=sum(complexity for _, complexity in blocks),
        complexity_max=worst,
        complexity_max_block=worst_name,
        complexity_rank=str(cc_rank(worst)),
        maintainability_index=float(mi_visit(text, multi=True)),
        halstead_volume=float(halstead.volume),
        halstead_difficulty=float(halstead.difficulty),
        halstead_effort=float(halstead.effort),
        doc_coverage=doc_coverage,
        doc_items=doc_items,
    )


def _complexity_blocks(tree: ast.Module, module_block: str) -> list[tuple[str, int]]:
    """Return (name, cyclomatic complexity) of each block, in source order.

    radon.complexity.cc_visit returns ``ComplexityVisitor.from_ast(tree).blocks``; the visitor
    is used here directly because its ``complexity`` attribute counts the module-level code.
    """
    from radon.complexity import add_inner_blocks
    from radon.visitors import Class, ComplexityVisitor

    visitor = ComplexityVisitor.from_ast(tree)
    ordered = sorted(add_inner_blocks(visitor.blocks), key=lambda b: (b.lineno, b.col_offset))
    blocks = [
        (block.fullname, int(block.complexity))
        for block in ordered
        if not (isinstance(block, Class) and block.methods)
    ]
    module_complexity = int(visitor.complexity)
    if module_complexity > 1 or not blocks:
        blocks.append((module_block, module_complexity))
    return blocks


def _count_documented(tree: ast.Module) -> tuple[int, int]:
    """Return how many public functions and classes the source defines, and how many of them
    have a docstring."""
    items = documented = 0
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if child.name.startswith("_"):
                    continue
                items += 1
                documented += ast.get_docstring(child, clean=False) is not None
                if isinstance(child, ast.ClassDef):
                    pending.append(child)
            elif isinstance(child, ast.stmt):
                # Definitions inside if, try, with and loop statements are still module or
                # class members; definitions inside function bodies are local.
                pending.append(child)
    return items, documented
