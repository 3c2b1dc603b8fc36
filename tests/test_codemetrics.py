"""Tests of pytest_statbench.metrics.codemetrics: radon metrics of every kind of source, and the
reasons given when there is no source to measure.

Golden values computed by hand are derived in the comments next to them. Values marked "radon"
come from radon 6.0.1 called directly on the same text, by the call quoted in the test.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import inspect
import math
import operator
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest
from radon.metrics import h_visit, mi_visit
from radon.raw import analyze

from pytest_statbench.metrics import CodeMetrics, measure_code
from pytest_statbench.metrics.codemetrics import _measure_text

NUMBER_FIELDS = (
    "loc",
    "sloc",
    "lloc",
    "comments",
    "blank",
    "complexity_total",
    "complexity_max",
    "complexity_max_block",
    "complexity_rank",
    "maintainability_index",
    "halstead_volume",
    "halstead_difficulty",
    "halstead_effort",
    "doc_coverage",
    "doc_items",
)

HERE = Path(__file__).name


# Implementations measured by the tests. Their line counts are part of the expected values,
# so edit them only together with the tests.


def golden(items: list[int]) -> int:
    # Sum the positive items.
    total = 0

    for item in items:
        if item > 0:
            total += item
    return total


async def gather_lengths(names: list[str]) -> list[int]:
    lengths = []
    for name in names:
        lengths.append(len(name))
    return lengths


def outer(values: list[int]) -> list[int]:
    def inner(value: int) -> int:
        return value if value > 0 else -value if value else 0

    return [inner(value) for value in values]


class Counter:
    """Count events."""

    def add(self, count: int) -> None:
        """Add count events."""
        if count < 0:
            raise ValueError(count)
        self.count = count

    def _reset(self) -> None:
        self.count = 0

    @classmethod
    def empty(cls) -> Counter:
        return cls()


class Point:
    x = 0
    y = 0


class Banner:
    def shout(self, words: str) -> str:
        line = """
==="""
        return words.upper() + line if words else line


class Doubler:
    def __call__(self, value: int) -> int:
        return value * 2 if value else 0


def logged(function: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any) -> Any:
        return function(*args)

    return wrapper


def unwrapped_decorator(function: Any) -> Any:
    def plain_wrapper(*args: Any) -> Any:
        return function(*args)

    return plain_wrapper


@logged
def decorated(value: int) -> int:
    return value + 1


@unwrapped_decorator
def hidden(value: int) -> int:
    return value + 1


@functools.lru_cache(maxsize=8)
def cached(value: int) -> int:
    return value * 3


increment = lambda value: value + 1
pick = lambda x: (lambda y: y if y else 0) if x else None
first, second = lambda a: a + 1, lambda b: b * 2 if b else 0
same_first, same_second = lambda: 0, lambda: 0
spread = (
    lambda value:
    value + 1
    if value else 0
)  # fmt: skip


@dataclasses.dataclass
class CodeStandIn:
    """Stand-in for pytest_statbench.sandbox.Code: the attributes measure_code reads."""

    source: Any
    entry: str
    path: str | None = None

    __statbench_code__ = True


class BrokenCode:
    __statbench_code__ = True

    @property
    def source(self) -> str:
        raise RuntimeError("no source today")

    entry = "work"


def first_line_of(function: Any) -> int:
    return int(function.__code__.co_firstlineno)


def check_unavailable(result: CodeMetrics) -> None:
    assert result.status == "unavailable"
    for name in NUMBER_FIELDS:
        assert getattr(result, name) is None, name


def check_complete(result: CodeMetrics) -> None:
    assert result.status == "ok"
    assert result.reason is None
    for name in NUMBER_FIELDS:
        if name != "doc_coverage":
            assert getattr(result, name) is not None, name


# Golden values ---------------------------------------------------------------------------------


def test_golden_raw_counts() -> None:
    result = measure_code(golden)
    # Eight lines: def, comment, total = 0, blank, for, if, total += item, return.
    assert result.loc == 8
    # Six of them contain code, which are also six statements (logical lines).
    assert result.sloc == 6
    assert result.lloc == 6
    assert result.comments == 1
    assert result.blank == 1


def test_golden_complexity() -> None:
    result = measure_code(golden)
    # McCabe: 1 + one decision point for the for loop + one for the if = 3.
    assert result.complexity_total == 3
    assert result.complexity_max == 3
    assert result.complexity_max_block == "golden"
    # radon ranks 1 to 5 as A.
    assert result.complexity_rank == "A"


def test_golden_halstead_by_hand() -> None:
    result = measure_code(golden)
    # Operators: > and += (h1 = 2 distinct, N1 = 2). Operands: item, 0, total, item
    # (h2 = 3 distinct, N2 = 4). Volume = (N1 + N2) * log2(h1 + h2) = 6 * log2(5).
    # Difficulty = h1 / 2 * N2 / h2 = 4 / 3, and effort = difficulty * volume.
    volume = 6 * math.log2(5)
    assert result.halstead_volume == pytest.approx(volume)
    assert result.halstead_difficulty == pytest.approx(4 / 3)
    assert result.halstead_effort == pytest.approx(4 / 3 * volume)


def test_golden_matches_radon() -> None:
    result = measure_code(golden)
    source = inspect.getsource(golden)
    # radon: mi_visit(source, multi=True) and h_visit(source).total on the function's text.
    assert result.maintainability_index == pytest.approx(mi_visit(source, multi=True))
    assert result.halstead_volume == pytest.approx(h_visit(source).total.volume)
    assert result.halstead_effort == pytest.approx(h_visit(source).total.effort)


def test_golden_maintainability_range() -> None:
    result = measure_code(golden)
    assert result.maintainability_index is not None
    assert 0.0 < result.maintainability_index <= 100.0


def test_golden_description() -> None:
    result = measure_code(golden)
    check_complete(result)
    assert result.source_kind == "function"
    assert result.origin == f"{HERE}:{first_line_of(golden)}"
    assert result.note is None


def test_golden_doc_coverage() -> None:
    result = measure_code(golden)
    # One public function, without a docstring.
    assert result.doc_items == 1
    assert result.doc_coverage == 0.0


# Source kinds ----------------------------------------------------------------------------------


def test_async_function() -> None:
    result = measure_code(gather_lengths)
    check_complete(result)
    assert result.source_kind == "function"
    # 1 + the for loop.
    assert result.complexity_max == 2
    assert result.loc == 5


def test_closure_block_name() -> None:
    result = measure_code(outer)
    # outer: 1 + comprehension = 2. inner: 1 + two conditional expressions = 3.
    assert result.complexity_total == 5
    assert result.complexity_max == 3
    assert result.complexity_max_block == "outer.inner"


def test_closure_not_public_item() -> None:
    result = measure_code(outer)
    # inner is local to outer, so only outer counts.
    assert result.doc_items == 1


def test_method_dedent() -> None:
    result = measure_code(Counter.add)
    check_complete(result)
    assert result.source_kind == "method"
    assert result.origin == f"{HERE}:{first_line_of(Counter.add)}"
    # 1 + the if.
    assert result.complexity_max == 2
    assert result.complexity_max_block == "add"


def test_method_matches_radon_on_dedented_text() -> None:
    result = measure_code(Counter.add)
    source = textwrap.dedent(inspect.getsource(Counter.add))
    # radon: analyze(source) and mi_visit(source, multi=True) on the dedented method.
    assert result.loc == analyze(source).loc
    assert result.lloc == analyze(source).lloc
    assert result.maintainability_index == pytest.approx(mi_visit(source, multi=True))


def test_method_docstring() -> None:
    result = measure_code(Counter.add)
    assert result.doc_items == 1
    assert result.doc_coverage == 1.0


def test_method_string_at_column_zero() -> None:
    # The closing line of the string starts at column 0, so textwrap.dedent removes nothing.
    result = measure_code(Banner.shout)
    check_complete(result)
    assert result.loc == 4
    # 1 + the conditional expression.
    assert result.complexity_max == 2


def test_bound_method() -> None:
    result = measure_code(Counter().add)
    assert result == measure_code(Counter.add)


def test_classmethod_bound_to_class() -> None:
    result = measure_code(Counter.empty)
    check_complete(result)
    assert result.source_kind == "method"
    # The decorator line, def and return.
    assert result.loc == 3


def test_lambda_alone() -> None:
    result = measure_code(increment)
    check_complete(result)
    assert result.source_kind == "lambda"
    assert result.origin == f"{HERE}:{first_line_of(increment)}"
    assert result.complexity_max_block == "<lambda>"


def test_lambda_halstead_by_hand() -> None:
    result = measure_code(increment)
    # "lambda value: value + 1" has one operator (+) and the operands value and 1, so the
    # volume is 3 * log2(3).
    assert result.halstead_volume == pytest.approx(3 * math.log2(3))


def test_two_lambdas_first() -> None:
    result = measure_code(first)
    check_complete(result)
    # "lambda a: a + 1" has no decision point. The whole line would have 2, because of the
    # conditional expression in the second lambda.
    assert result.complexity_max == 1


def test_two_lambdas_second() -> None:
    result = measure_code(second)
    check_complete(result)
    # "lambda b: b * 2 if b else 0" has one conditional expression.
    assert result.complexity_max == 2


def test_nested_lambda_outer() -> None:
    result = measure_code(pick)
    # The outer lambda contains both conditional expressions: 1 + 2.
    assert result.complexity_max == 3


def test_nested_lambda_inner() -> None:
    result = measure_code(pick(1))
    # "lambda y: y if y else 0": 1 + 1.
    assert result.complexity_max == 2


def test_identical_lambdas_on_one_line() -> None:
    result = measure_code(same_second)
    check_complete(result)
    assert result == measure_code(same_first)


def test_multiline_lambda() -> None:
    result = measure_code(spread)
    check_complete(result)
    assert result.loc == 3
    assert result.complexity_max == 2


def test_lambda_without_column_positions(tmp_path: Path) -> None:
    script = tmp_path / "two_lambdas.py"
    script.write_text(
        "from pytest_statbench.metrics import measure_code\n"
        "first, second = lambda a: a + 1, lambda b: b * 2\n"
        "print(measure_code(second).reason)\n",
        encoding="utf-8",
    )
    completed = subprocess.run(
        [sys.executable, "-X", "no_debug_ranges", str(script)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert completed.stdout.strip() == (
        "source of lambda at two_lambdas.py:2 is ambiguous: 2 lambdas start on line 2 and "
        "the code object has no column positions (Python runs with -X no_debug_ranges or "
        "PYTHONNODEBUGRANGES)"
    )


def test_decorated_function() -> None:
    result = measure_code(decorated)
    check_complete(result)
    assert result.source_kind == "function"
    assert result.note == "measured the function that the decorator wraps (inspect.unwrap)"
    assert result.complexity_max_block == "decorated"


def test_decorated_includes_decorator_line() -> None:
    result = measure_code(decorated)
    # "@logged", def and return.
    assert result.loc == 3
    assert result.origin == f"{HERE}:{first_line_of(inspect.unwrap(decorated))}"


def test_decorator_without_wraps() -> None:
    result = measure_code(hidden)
    # Without __wrapped__ the inner function of the decorator is all there is to measure.
    assert result.complexity_max_block == "plain_wrapper"


def test_lru_cache_function() -> None:
    result = measure_code(cached)
    check_complete(result)
    assert result.complexity_max_block == "cached"


def test_partial() -> None:
    result = measure_code(functools.partial(golden, [1, 2]))
    assert result.note == "measured the function wrapped by functools.partial"
    assert result.complexity_total == 3
    assert result.loc == 8


def test_partial_of_partial() -> None:
    result = measure_code(functools.partial(functools.partial(golden), [1]))
    assert result.complexity_max_block == "golden"


def test_callable_instance() -> None:
    result = measure_code(Doubler())
    check_complete(result)
    assert result.source_kind == "method"
    assert result.origin == f"{HERE}:{first_line_of(Doubler.__call__)}"
    assert result.note == "measured Doubler.__call__ of the callable instance"
    assert result.complexity_max_block == "__call__"


def test_class_blocks() -> None:
    result = measure_code(Counter)
    check_complete(result)
    assert result.source_kind == "class"
    # add 2, _reset 1, empty 1. The class itself is no block because it has methods.
    assert result.complexity_total == 4
    assert result.complexity_max_block == "Counter.add"


def test_class_doc_coverage() -> None:
    result = measure_code(Counter)
    # Public: Counter and add (documented) and empty (not). _reset is private.
    assert result.doc_items == 3
    assert result.doc_coverage == pytest.approx(2 / 3)


def test_class_origin() -> None:
    result = measure_code(Counter)
    _, line = inspect.getsourcelines(Counter)
    assert result.origin == f"{HERE}:{line}"


def test_class_without_methods() -> None:
    result = measure_code(Point)
    check_complete(result)
    assert result.complexity_max_block == "Point"
    assert result.complexity_total == 1


MODULE_TEXT = '''\
"""Shapes."""

import math


def area(radius):
    """Return the area of a circle."""
    return math.pi * radius**2


def _check(value):
    if value < 0:
        raise ValueError(value)


class Shape:
    def grow(self, factor):
        return factor if factor > 1 else 1


if __name__ == "__main__":
    print(area(2))
'''


def import_module_from(tmp_path: Path, name: str, text: str) -> types.ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_module_raw(tmp_path: Path) -> None:
    result = measure_code(import_module_from(tmp_path, "shapes", MODULE_TEXT))
    check_complete(result)
    assert result.source_kind == "module"
    assert result.origin == "shapes.py:1"
    # radon: analyze(MODULE_TEXT).
    assert result.loc == analyze(MODULE_TEXT).loc
    assert result.sloc == analyze(MODULE_TEXT).sloc


def test_module_complexity(tmp_path: Path) -> None:
    result = measure_code(import_module_from(tmp_path, "shapes_cc", MODULE_TEXT))
    # area 1, _check 2, Shape.grow 2, and the module-level if 1 + 1 = 2.
    assert result.complexity_total == 7
    assert result.complexity_max == 2
    # The first block in source order wins a tie.
    assert result.complexity_max_block == "_check"


def test_module_doc_coverage(tmp_path: Path) -> None:
    result = measure_code(import_module_from(tmp_path, "shapes_doc", MODULE_TEXT))
    # Public: area (documented), Shape and Shape.grow (not).
    assert result.doc_items == 3
    assert result.doc_coverage == pytest.approx(1 / 3)


def test_module_matches_radon(tmp_path: Path) -> None:
    result = measure_code(import_module_from(tmp_path, "shapes_mi", MODULE_TEXT))
    # radon: mi_visit(MODULE_TEXT, multi=True) and h_visit(MODULE_TEXT).total.
    assert result.maintainability_index == pytest.approx(mi_visit(MODULE_TEXT, multi=True))
    assert result.halstead_difficulty == pytest.approx(h_visit(MODULE_TEXT).total.difficulty)


def test_code_object() -> None:
    source = "def work(n):\n    return [i for i in range(n) if i % 2]\n"
    result = measure_code(CodeStandIn(source, "work"))
    check_complete(result)
    assert result.source_kind == "code"
    assert result.origin == "Code:work"
    assert result.note == "the whole source text is measured, not only the entry function 'work'"
    # 1 + the comprehension + its if.
    assert result.complexity_max == 3


def test_code_object_whole_text() -> None:
    source = "def helper(x):\n    return x if x else 1\n\n\ndef work(n):\n    return helper(n)\n"
    result = measure_code(CodeStandIn(source, "work"))
    assert result.complexity_total == 3
    assert result.complexity_max_block == "helper"
    assert result.loc == 6


def test_code_from_file() -> None:
    result = measure_code(CodeStandIn("def work():\n    return 1\n", "work", "jobs/work.py"))
    check_complete(result)
    assert result.source_kind == "file"
    assert result.origin == "jobs/work.py:work"


def test_code_unparsable() -> None:
    result = measure_code(CodeStandIn("def work(:\n    pass\n", "work"))
    check_unavailable(result)
    assert result.source_kind == "code"
    assert result.reason == "cannot parse the source of Code:work: invalid syntax (line 1)"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the type statement parses on 3.12+")
def test_code_newer_syntax() -> None:
    source = "type Number = int\n\n\ndef work(n):\n    return n\n"
    result = measure_code(CodeStandIn(source, "work"))
    check_unavailable(result)
    assert result.reason == "cannot parse the source of Code:work: invalid syntax (line 1)"


def test_code_syntax_error_line() -> None:
    result = measure_code(CodeStandIn("def work():\n    return (1\n", "work"))
    assert result.reason == "cannot parse the source of Code:work: '(' was never closed (line 2)"


def test_code_null_character() -> None:
    result = measure_code(CodeStandIn("x = 1\x00\n", "work"))
    check_unavailable(result)
    assert result.reason == (
        "cannot parse the source of Code:work: source code string cannot contain null bytes"
    )


def test_code_source_not_text() -> None:
    result = measure_code(CodeStandIn(b"def work(): pass", "work"))
    check_unavailable(result)
    assert result.reason == "source of Code:work is a bytes, not a str"


def test_code_property_raises() -> None:
    result = measure_code(BrokenCode())
    check_unavailable(result)
    assert result.reason == (
        "could not read the source of the Code object: RuntimeError: no source today"
    )


def test_code_class_itself() -> None:
    # The class carries __statbench_code__, but only its instances are Code objects.
    result = measure_code(CodeStandIn)
    assert result.source_kind == "class"


# No source -------------------------------------------------------------------------------------


def test_builtin_function() -> None:
    result = measure_code(len)
    check_unavailable(result)
    assert result.source_kind == "function"
    assert (
        result.reason == "source of builtin function 'len' is not available: it is implemented in C"
    )


def test_c_extension_function() -> None:
    result = measure_code(math.sqrt)
    check_unavailable(result)
    assert result.reason == (
        "source of builtin function 'math.sqrt' is not available: it is implemented in C"
    )


def test_builtin_method() -> None:
    result = measure_code([].append)
    assert result.reason == (
        "source of builtin function 'list.append' is not available: it is implemented in C"
    )


def test_builtin_class() -> None:
    result = measure_code(int)
    check_unavailable(result)
    assert result.source_kind == "class"
    assert result.reason == "source of class 'int' is not available: it is implemented in C"


def test_c_extension_module() -> None:
    result = measure_code(math)
    check_unavailable(result)
    assert result.source_kind == "module"
    assert result.reason == "source of module 'math' is not available: it is implemented in C"


def test_module_in_memory() -> None:
    result = measure_code(types.ModuleType("scratch"))
    check_unavailable(result)
    assert result.reason == (
        "source of module 'scratch' is not available: it has no source file (modules created "
        "in memory have none)"
    )


def test_c_callable_instance() -> None:
    result = measure_code(operator.itemgetter(1))
    check_unavailable(result)
    assert result.source_kind == "method"
    assert result.reason == (
        "source of itemgetter.__call__ is not available: it is implemented in C"
    )


def test_exec_function() -> None:
    namespace: dict[str, Any] = {}
    exec("def work():\n    return 1\n", namespace)  # noqa: S102 - a function without a file
    result = measure_code(namespace["work"])
    check_unavailable(result)
    assert result.origin == "<string>:1"
    assert result.reason == (
        "source of function 'work' is not available: it was compiled from '<string>', which "
        "is not a file (code run by exec() or compile())"
    )


def test_exec_lambda() -> None:
    namespace: dict[str, Any] = {}
    exec("work = lambda: 1\n", namespace)  # noqa: S102 - a lambda without a file
    result = measure_code(namespace["work"])
    check_unavailable(result)
    assert result.reason == (
        "source of lambda at <string>:1 is not available: it was compiled from '<string>', "
        "which is not a file (code run by exec() or compile())"
    )


def test_exec_class() -> None:
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec("class Job:\n    pass\n", namespace)  # noqa: S102 - a class without a file
    result = measure_code(namespace["Job"])
    check_unavailable(result)
    assert result.reason == (
        "source of class 'Job' is not available: its module 'generated' has no source file "
        "(classes created by exec() or type() have none)"
    )


def test_missing_file(tmp_path: Path) -> None:
    namespace: dict[str, Any] = {}
    missing = tmp_path / "gone.py"
    code = compile("def work():\n    return 1\n", str(missing), "exec")
    exec(code, namespace)  # noqa: S102 - a function whose file does not exist
    result = measure_code(namespace["work"])
    check_unavailable(result)
    # The text in brackets is inspect's error message, which varies across Python versions.
    assert result.reason is not None
    assert result.reason.startswith(
        f"source of function 'work' is not available: could not read it from {str(missing)!r} ("
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [(42, "42 (int)"), (None, "None (NoneType)"), ("def f(): pass", "'def f(): pass' (str)")],
)
def test_not_code(value: object, shown: str) -> None:
    result = measure_code(value)
    check_unavailable(result)
    assert result.source_kind is None
    assert result.reason == (
        f"{shown} is not a function, method, class, module or Code object, so it has no "
        f"source to measure"
    )


def test_radon_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(source: str) -> None:
        raise RuntimeError("tokenizer broke")

    monkeypatch.setattr("radon.raw.analyze", fail)
    # A source text used by no other test, so the cache contains no result for it.
    result = measure_code(CodeStandIn("def work():\n    return 'radon failure'\n", "work"))
    check_unavailable(result)
    assert result.reason == (
        "could not measure the source of Code:work: radon failed with RuntimeError: tokenizer broke"
    )


# Caching and import cost -----------------------------------------------------------------------


def test_cache_hit() -> None:
    source = "def work():\n    return 'cache test'\n"
    measure_code(CodeStandIn(source, "work"))
    hits = _measure_text.cache_info().hits
    measure_code(CodeStandIn(source, "other_entry"))
    assert _measure_text.cache_info().hits == hits + 1


def test_results_are_frozen() -> None:
    result = measure_code(golden)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.loc = 0  # type: ignore[misc]


def test_import_leaves_radon_unloaded() -> None:
    code = "import sys\nimport pytest_statbench.metrics\nprint('radon' in sys.modules)\n"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert completed.stdout.strip() == "False"
