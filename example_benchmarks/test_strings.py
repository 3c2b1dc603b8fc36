"""Building a string: repeated ``+=`` against one ``str.join``.

``+=`` copies or resizes the growing string for every word; ``join`` sizes the result once.
CPython often resizes ``+=`` in place, which narrows the gap but does not close it.
"""

from __future__ import annotations

import pytest

from pytest_statbench import compare

WORDS = [f"word{index}" for index in range(2000)]


def concat_plus(words: list[str]) -> str:
    text = ""
    for word in words:
        text += word
    return text


def concat_join(words: list[str]) -> str:
    return "".join(words)


@pytest.mark.benchmark
@compare(plus=concat_plus, join=concat_join, baseline="plus", expect="faster", same_result=True)
def test_string_building(bench, impl):
    text = bench(impl, WORDS)
    assert text.startswith("word0word1")
