"""Serialising the same records with json, pickle and marshal.

json writes text and escapes every string; pickle and marshal write a binary format with
less work per object. Three implementations also give a one-way ANOVA in the report.
"""

from __future__ import annotations

import json
import marshal
import pickle

import pytest

from pytest_statbench import compare

RECORDS = {
    "users": [
        {"id": index, "name": f"user{index}", "tags": ["a", "b"], "score": index * 0.5,
         "active": index % 2 == 0}
        for index in range(200)
    ]
}


def dump_json(records: dict) -> bytes:
    return json.dumps(records).encode("utf-8")


def dump_pickle(records: dict) -> bytes:
    return pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL)


def dump_marshal(records: dict) -> bytes:
    return marshal.dumps(records)


@pytest.mark.benchmark
@compare(json=dump_json, pickle=dump_pickle, marshal=dump_marshal, baseline="json",
         expect="faster")
def test_serialization(bench, impl):
    payload = bench(impl, RECORDS)
    assert isinstance(payload, bytes)
